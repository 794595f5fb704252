from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.schema_validators import sarif_validator, schema_errors
from tierguard.model import ScanResult
from tierguard.report import sarif

from .conftest import MODEL_NAME, SCHEMAS, asset_by_name, load_json


@pytest.fixture(scope="module")
def sarif_schema() -> dict[str, Any]:
    schema: dict[str, Any] = load_json(SCHEMAS / "sarif-schema-2.1.0.json")
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")
    return schema


def _log(result: ScanResult) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(sarif.render(result))
    return data


def test_validates_against_official_schema(result: ScanResult, sarif_schema: dict[str, Any]) -> None:
    log = _log(result)
    errors = schema_errors(sarif_validator(), log)
    assert not errors, errors
    assert log["version"] == "2.1.0"


def test_empty_result_validates(empty_result: ScanResult, sarif_schema: dict[str, Any]) -> None:
    jsonschema.Draft4Validator(sarif_schema).validate(_log(empty_result))


def test_rules_carry_citations_and_security_severity(result: ScanResult) -> None:
    driver = _log(result)["runs"][0]["tool"]["driver"]
    assert driver["name"] == "tierguard" and driver["version"] == "0.1.0"
    assert driver["informationUri"].startswith("https://")
    rules = {r["id"]: r for r in driver["rules"]}
    fed = rules["US-FED-DEEPSEEK-001"]
    assert fed["helpUri"] == "https://www.congress.gov/bill/119th-congress/house-bill/1121"
    assert "H.R. 1121" in fed["help"]["text"] and "2025-02-06" in fed["help"]["text"]
    assert "(https://www.congress.gov/bill/119th-congress/house-bill/1121)" in fed["help"]["markdown"]
    assert fed["properties"]["security-severity"] == "8.0"
    assert "security" in fed["properties"]["tags"]
    assert rules["US-NDAA-889-HIKVISION"]["properties"]["security-severity"] == "9.5"
    assert rules["US-NDAA-889-HIKVISION"]["defaultConfiguration"]["level"] == "error"
    assert rules["ORG-PRC-SDK-REVIEW"]["defaultConfiguration"]["level"] == "warning"
    for r in driver["rules"]:  # GitHub: name is an identifier-like string
        assert r["name"].isalnum()


def test_deny_results_at_every_evidence_location(result: ScanResult) -> None:
    run = _log(result)["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    model = asset_by_name(result, MODEL_NAME)
    mine = [
        r
        for r in run["results"]
        if r["properties"].get("assetId") == model.id and "verdict" in r["properties"]
    ]
    assert {r["ruleId"] for r in mine} == {"US-FED-DEEPSEEK-001"}
    assert all(r["level"] == "error" for r in mine)
    locs = {
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in mine
    }
    assert locs == {("app/inference.py", 12), ("deploy/Modelfile", 1)}
    for r in mine:
        assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "SRCROOT"
        assert rules[r["ruleIndex"]] == r["ruleId"]
        text = r["message"]["text"]
        assert "DeepSeek (CN)" in text and "Meta (US)" in text and "self-hosted" in text
        assert "distill of meta-llama/Llama-3.3-70B-Instruct" in text


def test_review_is_warning_and_allow_is_absent(result: ScanResult) -> None:
    run = _log(result)["runs"][0]
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for r in run["results"]:
        by_rule.setdefault(r["ruleId"], []).append(r)
    review = by_rule["ORG-PRC-SDK-REVIEW"]
    assert [r["level"] for r in review] == ["warning"]
    loc = review[0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "requirements.txt" and loc["region"]["startLine"] == 3
    anthropic = asset_by_name(result, "@anthropic-ai/sdk")
    assert not [r for r in run["results"] if r["properties"].get("assetId") == anthropic.id]


def test_service_message_names_operator(result: ScanResult) -> None:
    run = _log(result)["runs"][0]
    svc = asset_by_name(result, "api.deepseek.com")
    (res,) = [r for r in run["results"] if r["properties"].get("assetId") == svc.id]
    assert "operated by DeepSeek (CN)" in res["message"]["text"]
    assert res["properties"]["useMode"] == "hosted-api"


def test_waived_decision_is_suppressed_and_has_no_region_without_line(result: ScanResult) -> None:
    run = _log(result)["runs"][0]
    (cam,) = [r for r in run["results"] if r["ruleId"] == "US-NDAA-889-HIKVISION"]
    assert cam["suppressions"][0]["kind"] == "external"
    assert "WVR-2026-007" in cam["suppressions"][0]["justification"]
    phys = cam["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"]["uri"] == "inventory/hosts.json"
    assert "region" not in phys


def test_findings_and_stable_fingerprints(result: ScanResult) -> None:
    run = _log(result)["runs"][0]
    (f,) = [r for r in run["results"] if r["ruleId"] == "TG-PICKLE-GLOBAL"]
    assert f["level"] == "error"
    assert f["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "models/legacy.pt"
    assert f["locations"][0]["logicalLocations"][0]["name"] == "archive/data.pkl"
    assert f["partialFingerprints"][sarif.FINGERPRINT_KEY] == result.findings[0].id
    # fingerprints do not depend on line numbers
    moved = result.model_copy(
        update={
            "assets": tuple(
                a.model_copy(
                    update={
                        "evidence": tuple(
                            e.model_copy(update={"location": e.location.model_copy(update={"line": 99})})
                            for e in a.evidence
                        )
                    }
                )
                for a in result.assets
            )
        }
    )
    fp = sorted(r["partialFingerprints"][sarif.FINGERPRINT_KEY] for r in run["results"])
    fp_moved = sorted(
        r["partialFingerprints"][sarif.FINGERPRINT_KEY] for r in _log(moved)["runs"][0]["results"]
    )
    assert fp == fp_moved
    assert len(set(fp)) == len(fp)


def test_invocation_and_notifications(result: ScanResult) -> None:
    inv = _log(result)["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is True
    assert inv["startTimeUtc"] == "2026-11-22T10:00:00Z"
    notes = inv["toolExecutionNotifications"]
    ids = [n["descriptor"]["id"] for n in notes]
    assert ids.count("tierguard/skipped/vendored") == 2
    assert "tierguard/skipped/binary" in ids
    incomplete = [n for n in notes if n["descriptor"]["id"] == "tierguard/inspection/incomplete"]
    assert incomplete[0]["message"]["text"].startswith("incomplete: models/q4.gguf")
    assert "truncated metadata" in incomplete[0]["message"]["text"]


def test_uri_is_percent_encoded(result: ScanResult) -> None:
    odd = result.model_copy(
        update={"skipped": (result.skipped[0].model_copy(update={"path": "./dir with space/ü#.py"}),)}
    )
    notes = _log(odd)["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    uri = notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "dir%20with%20space/%C3%BC%23.py"


def test_unmatched_decision_and_unknown_asset(result: ScanResult, sarif_schema: dict[str, Any]) -> None:
    from tierguard.model import Decision

    sdk = asset_by_name(result, "@anthropic-ai/sdk")
    odd = result.model_copy(
        update={
            "decisions": (
                Decision(asset_id=sdk.id, verdict="review", notes=("producer unknown",)),
                Decision(asset_id="as-0000000000000000", verdict="deny"),
            ),
            "findings": (),
        }
    )
    log = _log(odd)
    jsonschema.Draft4Validator(sarif_schema).validate(log)
    run = log["runs"][0]
    (res,) = run["results"]
    assert res["ruleId"] == "TG-DECISION" and res["level"] == "warning"
    assert "producer unknown" in res["message"]["text"]
    assert run["tool"]["driver"]["rules"][res["ruleIndex"]]["id"] == "TG-DECISION"
    ids = [n["descriptor"]["id"] for n in run["invocations"][0]["toolExecutionNotifications"]]
    assert "tierguard/unknown-asset" in ids


def test_github_limits(
    result: ScanResult, sarif_schema: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tierguard.model import Skipped

    monkeypatch.setattr(sarif, "MAX_RESULTS", 3)
    monkeypatch.setattr(sarif, "MAX_SKIP_NOTIFICATIONS", 10)
    many = tuple(Skipped(path=f"vendor/x{i}.js", reason="vendored") for i in range(25))
    log = _log(result.model_copy(update={"skipped": many}))
    jsonschema.Draft4Validator(sarif_schema).validate(log)
    run = log["runs"][0]
    assert len(run["results"]) == 3
    assert all(r["level"] == "error" for r in run["results"])  # most severe kept
    notes = run["invocations"][0]["toolExecutionNotifications"]
    (vend,) = [n for n in notes if n["descriptor"]["id"] == "tierguard/skipped/vendored"]
    assert vend["properties"]["count"] == 25 and "vendor/x0.js" in vend["message"]["text"]
    assert any(n["descriptor"]["id"] == "tierguard/truncated" for n in notes)


def test_help_uri_is_always_absolute(tmp_path: Path) -> None:
    """The shipped artifact-safety pack cites a project document (docs/policy.md#...): code-scanning UIs
    link helpUri as is, so only absolute http(s) URLs may appear there."""
    from tierguard.catalog import load_catalog
    from tierguard.model import Context
    from tierguard.policy.packs import load_packs
    from tierguard.report.sarif import render
    from tierguard.scanner import Scanner

    (tmp_path / "evil.pkl").write_bytes(b"cos\nsystem\n(S'x'\ntR.")
    (tmp_path / "app.py").write_text('URL = "https://api.deepseek.com/v1"\n', encoding="utf-8")
    result = Scanner(load_catalog(), load_packs(None)).scan(
        tmp_path, Context(country="GB", sector="government")
    )
    rules = json.loads(render(result))["runs"][0]["tool"]["driver"]["rules"]
    assert any(r["id"].startswith("ART-") for r in rules)
    for r in rules:
        if "helpUri" in r:
            assert r["helpUri"].startswith(("https://", "http://")), (r["id"], r["helpUri"])
