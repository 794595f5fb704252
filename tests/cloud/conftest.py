"""Shared helpers of the cloud inventory tests: the samples, a reader with a stable display name, AWS env."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tierguard.catalog import Catalog
from tierguard.cloud import CloudOptions, CloudOutput, read_cloud
from tierguard.model import Asset

REGION = "us-east-1"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "cloud"


def read(path: Path, catalog: Catalog, **opts: Any) -> CloudOutput:
    """``read_cloud`` with the display name ``exports`` (stable evidence ids in tests)."""
    return read_cloud(path, catalog=catalog, options=CloudOptions(display="exports", **opts))


def write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2), "utf-8")
    return path


def asset(out: CloudOutput, kind: str, name: str) -> Asset:
    got = [a for a in out.assets if a.kind == kind and a.name == name]
    assert len(got) == 1, f"{kind} {name!r} not among {[(a.kind, a.name) for a in out.assets]}"
    return got[0]


def producers(a: Asset) -> set[tuple[str, str, str]]:
    return {(p.id, p.jurisdiction, p.role) for p in a.provenance.producers}


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
