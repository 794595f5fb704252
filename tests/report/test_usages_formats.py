"""Canonical ids, aliases and usages reach every machine format (JSON, SARIF, CycloneDX, HTML)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tierguard.catalog import load_catalog
from tierguard.model import Context, ScanResult
from tierguard.policy.packs import load_packs
from tierguard.report import FORMATS
from tierguard.scanner import Scanner

ESTATE = Path(__file__).resolve().parents[2] / "examples" / "estate"


@pytest.fixture(scope="module")
def demo() -> ScanResult:
    return Scanner(load_catalog(), load_packs()).scan(
        ESTATE, Context(country="US"), display_name="examples/estate"
    )


def _r1(demo: ScanResult) -> str:
    return next(a.id for a in demo.assets if a.name == "deepseek-ai/DeepSeek-R1")


def test_json_carries_usages_aliases_and_usage_verdicts(demo: ScanResult) -> None:
    doc = json.loads(FORMATS["json"](demo))
    r1 = next(a for a in doc["assets"] if a["id"] == _r1(demo))
    assert (
        "us.deepseek.r1-v1:0" in r1["aliases"] and r1["details"]["canonical_id"] == "deepseek-ai/DeepSeek-R1"
    )
    assert {u["service"] for u in r1["usages"] if "service" in u} >= {"DeepSeek API", "Amazon Bedrock"}
    d = next(d for d in doc["decisions"] if d["asset_id"] == r1["id"])
    assert {g["verdict"] for g in d["by_usage"]} >= {"deny", "review"}
    assert d["driven_by"] and all(loc["path"] != "README.md" for loc in d["driven_by"])


def test_sarif_deny_results_point_at_the_driving_usages(demo: ScanResult) -> None:
    run = json.loads(FORMATS["sarif"](demo))["runs"][0]
    mine = [r for r in run["results"] if r["properties"]["assetId"] == _r1(demo)]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in mine}
    assert uris == {"deploy/config/router.toml", "services/web/src/chat.ts"}  # the DeepSeek API calls only
    assert all(r["properties"]["service"] == "DeepSeek API (CN)" for r in mine)
    assert all("us.deepseek.r1-v1:0" in r["properties"]["aliases"] for r in mine)


def test_cyclonedx_occurrences_are_usages_and_aliases_are_properties(demo: ScanResult) -> None:
    bom = json.loads(FORMATS["cyclonedx"](demo))
    comp = next(c for c in bom["components"] if c["name"] == "deepseek-ai/DeepSeek-R1")
    props = [(p["name"], p["value"]) for p in comp["properties"]]
    assert ("tierguard:alias", "deepseek-reasoner") in props
    assert any(n == "tierguard:usage-verdict" and v.startswith("hosted-api|CN|B|deny|") for n, v in props)
    contexts = [o["additionalContext"] for o in comp["evidence"]["occurrences"]]
    assert any("via Amazon Bedrock (US)" in c for c in contexts)
    assert any("via DeepSeek API (CN)" in c for c in contexts)


def test_html_shows_aliases_and_usages(demo: ScanResult) -> None:
    html = FORMATS["html"](demo)
    assert "also written: " in html and "deepseek-reasoner" in html
    assert "<th>Usage</th>" in html and "Amazon Bedrock (US)" in html
