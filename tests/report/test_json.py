from __future__ import annotations

import json
import os
from importlib import resources

import jsonschema
import pytest

from tierguard.model import SCHEMA_VERSION, ScanResult
from tierguard.report import json_report

from .conftest import MODEL_NAME, asset_by_name


def _schema_path() -> str:
    return str(resources.files("tierguard.report").joinpath("schema", json_report.SCHEMA_FILENAME))


def test_committed_schema_matches_model() -> None:
    """The shipped schema equals a fresh generation; TIERGUARD_UPDATE_GOLDEN=1 rewrites it."""
    fresh = json_report.schema_text()
    path = _schema_path()
    if os.environ.get("TIERGUARD_UPDATE_GOLDEN") == "1":
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(fresh)
    with open(path, encoding="utf-8") as fh:
        committed = fh.read()
    assert committed == fresh, (
        "report/schema is stale: bump SCHEMA_VERSION/CHANGELOG if needed, then regenerate with "
        "TIERGUARD_UPDATE_GOLDEN=1 pytest tests/report/test_json.py"
    )


def test_schema_is_versioned_and_has_changelog() -> None:
    schema = json_report.load_schema()
    assert schema["$id"].endswith(SCHEMA_VERSION)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    changelog = resources.files("tierguard.report").joinpath("schema", "CHANGELOG.md").read_text("utf-8")
    assert f"## {SCHEMA_VERSION}" in changelog


def test_rendered_result_validates_and_round_trips(result: ScanResult) -> None:
    text = json_report.render(result)
    data = json.loads(text)
    jsonschema.Draft202012Validator(json_report.load_schema()).validate(data)
    assert data["schema_version"] == SCHEMA_VERSION
    model = asset_by_name(result, MODEL_NAME)
    by_id = {a["id"]: a for a in data["assets"]}
    assert by_id[model.id]["provenance"]["lineage"][0]["base_producer"]["jurisdiction"] == "US"
    assert json_report.load(text) == result  # paths decoded, the derived coverage dropped


def test_schema_rejects_broken_result(result: ScanResult) -> None:
    data = json.loads(json_report.render(result))
    data["decisions"][0]["verdict"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(json_report.load_schema()).validate(data)


def test_empty_result_validates(empty_result: ScanResult) -> None:
    jsonschema.Draft202012Validator(json_report.load_schema()).validate(
        json.loads(json_report.render(empty_result))
    )
