"""Records past the per-export cap are counted as an incomplete skip in every reader (Azure, Vertex and
SageMaker list exports used to drop them silently; Bedrock counted them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tierguard.catalog import load_catalog
from tierguard.cloud import read_cloud
from tierguard.cloud import records as records_mod

CLOUD = Path(__file__).resolve().parents[2] / "examples" / "cloud"


def _grow(src: Path, dst: Path, key: str | None) -> Path:
    """The example export with its records tripled (the cap is lowered below that in the test)."""
    doc = json.loads(src.read_text())
    items = doc[key] if key else doc
    items = items * 3
    dst.write_text(json.dumps({**doc, key: items} if key else items))
    return dst


@pytest.mark.parametrize(
    ("example", "key"),
    [
        ("azure/az-cognitiveservices-account-deployment-list.json", None),
        ("gcp/gcloud-ai-endpoints-list.json", None),
        ("aws/sagemaker-list-endpoints.json", "Endpoints"),
        ("aws/bedrock-list-imported-models.json", "modelSummaries"),
    ],
)
def test_records_past_the_cap_are_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, example: str, key: str | None
) -> None:
    src = CLOUD / example
    doc = json.loads(src.read_text())
    n = len(doc[key] if key else doc)
    grown = _grow(src, tmp_path / src.name, key)
    monkeypatch.setattr(records_mod, "MAX_RECORDS", n)
    out = read_cloud(grown, catalog=load_catalog())
    past = [s for s in out.skipped if s.reason == "incomplete" and "records past" in s.detail]
    assert [s.detail for s in past] == [f"{2 * n:,} records past {n:,}"]
