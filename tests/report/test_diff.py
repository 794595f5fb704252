"""report/diff.py on hand-built results: what counts as new, resolved, changed and a regression, and that
identity never depends on lines. Renderers: JSON against the shipped schema, SARIF against the official
2.1.0 schema (baselineState), HTML escaping, table marks."""

from __future__ import annotations

import json
import os
from importlib import resources

import jsonschema
import pytest

from tests.report.conftest import HOSTILE
from tests.schema_validators import sarif_validator
from tierguard.model import (
    Asset,
    Citation,
    Decision,
    Finding,
    Location,
    ProducerRef,
    Provenance,
    RuleInfo,
    RuleMatch,
    ScanResult,
    Usage,
    UsageVerdict,
    Waiver,
)
from tierguard.report import diff_render
from tierguard.report.diff import ScanDiff, diff, make_thresholds, usage_key
from tierguard.report.diff_sarif import diff_log, mark_baseline

DEEPSEEK = ProducerRef(id="deepseek", name="DeepSeek", jurisdiction="CN")
CITE = Citation(instrument="Test instrument", date="2025-01-01", url="https://example.org/rule")
RULE = RuleInfo(id="T-DEEPSEEK", name="deepseek", short="DeepSeek", severity="high", citations=(CITE,))


def _usage(
    path: str, line: int, *, mode: str = "hosted-api", excerpt: str = "", strength: str = "A"
) -> Usage:
    return Usage.model_validate(
        {
            "location": {"path": path, "line": line},
            "use_mode": mode,
            "strength": strength,
            "as_written": "deepseek-chat",
            "service": "DeepSeek API",
            "operator": "deepseek",
            "service_jurisdiction": "CN",
            "excerpt": excerpt or f"line {line}",
        }
    )


def _asset(name: str, usages: tuple[Usage, ...], jurisdiction: str = "CN") -> Asset:
    producer = DEEPSEEK.model_copy(update={"jurisdiction": jurisdiction})
    return Asset(
        kind="ai-model",
        name=name,
        use_mode="hosted-api",
        usages=usages,
        provenance=Provenance(producers=(producer,)),
    )


def _decision(a: Asset, verdict: str, *, waived: bool = False) -> Decision:
    match = RuleMatch(
        pack="p",
        pack_version="1",
        rule_id=RULE.id,
        verdict=verdict,
        severity="high",
        reason="r",
        citation=CITE,
    )
    groups = tuple(
        UsageVerdict(
            use_mode=k[0],
            service_jurisdiction=k[1],
            strength=k[2],
            verdict=verdict,
            rules=(RULE.id,),
            usages=1,
        )
        for k in dict.fromkeys(u.group_key for u in a.usages)
    )
    waiver = (
        Waiver(id="W1", justification="j", owner="o", approval="a", expires="2099-01-01", asset_id=a.id)
        if waived
        else None
    )
    return Decision.model_validate(
        {
            "asset_id": a.id,
            "verdict": verdict,
            "matches": [match.model_dump()] if verdict != "allow" else [],
            "by_usage": [g.model_dump() for g in groups],
            "waived_by": waiver.model_dump() if waiver else None,
        }
    )


def _result(
    assets: tuple[Asset, ...], verdicts: dict[str, str], findings: tuple[Finding, ...] = (), target: str = "t"
) -> ScanResult:
    decisions = tuple(_decision(a, verdicts.get(a.name, "deny")) for a in assets)
    return ScanResult(
        tool_version="0",
        catalog_version="c",
        target=target,
        assets=assets,
        decisions=decisions,
        findings=findings,
        rules=(RULE,),
    )


V3 = "deepseek-ai/DeepSeek-V3"


def test_identical_results_diff_empty_even_with_other_target_and_times() -> None:
    a = _asset(V3, (_usage("app.py", 3),))
    old = _result((a,), {})
    new = _result((a,), {}, target="/elsewhere/t").model_copy(update={"started": "2027-01-01T00:00:00Z"})
    d = diff(old, new)
    assert d.empty and not d.regressions
    assert d.summary.regressions == 0


def test_lines_moving_is_no_change_and_a_second_call_is_one_new_usage() -> None:
    old = _result((_asset(V3, (_usage("app.py", 3, excerpt="chat(model='deepseek-chat')"),)),), {})
    moved = _result((_asset(V3, (_usage("app.py", 40, excerpt="chat(model='deepseek-chat')"),)),), {})
    assert diff(old, moved).empty
    two = _asset(
        V3,
        (
            _usage("app.py", 10, excerpt="x = chat(model='deepseek-chat', t=1)"),
            _usage("app.py", 41, excerpt="chat(model='deepseek-chat')"),
        ),
    )
    d = diff(old, _result((two,), {}))
    assert [(u.change, u.location.line) for u in d.usages] == [("new", 10)]  # the moved one pairs by text
    (u,) = d.usages
    assert u.existing_asset and u.verdict == "deny" and u.rules == (RULE.id,)
    assert [r.kind for r in d.regressions] == ["usage"]
    assert diff(old, _result((two,), {}), thresholds=make_thresholds("never")).regressions == ()


def test_usage_key_ignores_line_and_excerpt_but_not_use_mode() -> None:
    a = _asset(V3, ())
    assert usage_key(a.id, _usage("a.py", 1)) == usage_key(a.id, _usage("a.py", 99, excerpt="other"))
    assert usage_key(a.id, _usage("a.py", 1)) != usage_key(a.id, _usage("a.py", 1, mode="self-hosted"))
    assert usage_key(a.id, _usage("a.py", 1)) != usage_key(a.id, _usage("b.py", 1))


def test_new_asset_is_new_decision_regression_at_threshold_only() -> None:
    base = _asset(V3, (_usage("app.py", 3),))
    r1 = _asset("deepseek-ai/DeepSeek-R1", (_usage("new.py", 1),))
    old, new = _result((base,), {}), _result((base, r1), {"deepseek-ai/DeepSeek-R1": "review"})
    d = diff(old, new, thresholds=make_thresholds("review"))
    assert [(a.change, a.name) for a in d.assets] == [("new", "deepseek-ai/DeepSeek-R1")]
    assert [(c.change, c.old, c.new) for c in d.decisions] == [("new", None, "review")]
    assert [r.kind for r in d.regressions] == ["decision"]  # its usage is not counted twice
    assert not diff(old, new, thresholds=make_thresholds("deny")).regressions
    gone = diff(new, old, thresholds=make_thresholds("allow"))
    assert [(c.change, c.old, c.new) for c in gone.decisions] == [("resolved", "review", None)]
    assert not gone.regressions and [a.change for a in gone.assets] == ["resolved"]


def test_verdict_worse_is_a_regression_better_is_not_and_a_waiver_counts_as_allow() -> None:
    a = _asset(V3, (_usage("app.py", 3),))
    review, deny = _result((a,), {V3: "review"}), _result((a,), {V3: "deny"})
    worse = diff(review, deny)
    assert [(c.change, c.old, c.new) for c in worse.decisions] == [("worse", "review", "deny")]
    assert [r.kind for r in worse.regressions] == ["verdict"]
    assert "review -> deny" in worse.regressions[0].message
    better = diff(deny, review)
    assert [c.change for c in better.decisions] == ["better"] and not better.regressions
    waived = deny.model_copy(update={"decisions": (_decision(a, "deny", waived=True),)})
    assert [(c.change, c.new) for c in diff(deny, waived).decisions] == [("better", "allow")]
    back = diff(waived, deny)  # the waiver was removed (or expired): the deny is back
    assert [(c.change, c.old, c.new) for c in back.decisions] == [("worse", "allow", "deny")]
    assert back.regressions


def test_changed_provenance_and_use_mode_are_reported_fields() -> None:
    old = _result((_asset(V3, (_usage("app.py", 3),)),), {})
    moved = _asset(V3, (_usage("app.py", 3),), jurisdiction="US").model_copy(
        update={"use_mode": "self-hosted"}
    )
    d = diff(old, _result((moved,), {}))
    (change,) = d.assets
    assert change.change == "changed"
    fields = {f.field: (f.old, f.new) for f in change.fields}
    assert fields["provenance"] == ("DeepSeek (CN)", "DeepSeek (US)")
    assert fields["use_mode"] == ("hosted-api", "self-hosted")


def test_findings_by_stable_id_and_severity_threshold() -> None:
    a = _asset(V3, ())
    high = Finding(rule_id="TG-PICKLE", severity="high", message="m", location=Location(path="m.pt", line=1))
    low = Finding(rule_id="TG-LOW", severity="low", message="m", location=Location(path="x.pt"))
    old = _result((a,), {}, findings=(high.model_copy(update={"location": Location(path="m.pt", line=9)}),))
    new = _result((a,), {}, findings=(high, low))
    d = diff(old, new)
    assert [(f.change, f.rule_id) for f in d.findings] == [("new", "TG-LOW")]
    assert not d.regressions
    assert [r.kind for r in diff(old, new, thresholds=make_thresholds("deny", "low")).regressions] == [
        "finding"
    ]
    assert [f.change for f in diff(new, old).findings] == ["resolved"]


def _sample() -> tuple[ScanResult, ScanResult, ScanDiff]:
    hostile = _asset(HOSTILE, (_usage(f"{HOSTILE}.py", 2),))
    a = _asset(V3, (_usage("app.py", 3),))
    old = _result((a,), {V3: "review"})
    new = _result(
        (
            _asset(V3, (_usage("app.py", 3), _usage("new.py", 7, excerpt="OpenAI(base_url=deepseek)"))),
            hostile,
        ),
        {V3: "deny"},
        findings=(
            Finding(rule_id="TG-X", severity="critical", message=HOSTILE, location=Location(path="m.pt")),
        ),
    )
    return old, new, diff(old, new, old_label="old.json", new_label="scan 2")


def test_json_validates_against_the_shipped_schema_and_schema_is_in_sync() -> None:
    path = resources.files("tierguard.report").joinpath("schema", diff_render.SCHEMA_FILENAME)
    committed = path.read_text("utf-8")
    if os.environ.get("TIERGUARD_UPDATE_GOLDEN") == "1":
        with open(str(path), "w", encoding="utf-8") as fh:
            fh.write(diff_render.schema_text())
    else:
        assert committed == diff_render.schema_text(), "regenerate with TIERGUARD_UPDATE_GOLDEN=1"
    schema = diff_render.load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    _, _, d = _sample()
    data = json.loads(diff_render.render_json(d))
    jsonschema.Draft202012Validator(schema).validate(data)
    assert data["diff_schema_version"] == "1.0.0"
    assert data["summary"]["regressions"] == len(d.regressions) == 4  # worse, new asset, new usage, finding
    assert ScanDiff.model_validate(data) == d  # no path needing the encoding here: round trip exact
    data["summary"]["regressions"] = "many"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(data)


def test_sarif_diff_has_only_changes_with_baseline_states() -> None:
    old, new, d = _sample()
    log = diff_log(d)
    sarif_validator().validate(log)
    states = sorted((r["baselineState"], r["ruleId"]) for r in log["runs"][0]["results"])
    assert states == [("new", "T-DEEPSEEK"), ("new", "TG-X"), ("updated", "T-DEEPSEEK")]
    back = diff_log(diff(new, old))
    sarif_validator().validate(back)
    assert {r["baselineState"] for r in back["runs"][0]["results"]} == {"absent"}


def test_scan_sarif_marked_against_baseline() -> None:
    old, new, d = _sample()
    log = mark_baseline(new, d)
    sarif_validator().validate(log)
    results = log["runs"][0]["results"]
    assert results and all("baselineState" in r for r in results)
    # V3 got worse: its results are updated; the hostile asset and the finding are new
    states = {(r["properties"].get("assetId", ""), r["baselineState"]) for r in results}
    assert (new.assets[0].id, "updated") in states and (new.assets[1].id, "new") in states
    same = mark_baseline(new, diff(new, new))
    assert {r["baselineState"] for r in same["runs"][0]["results"]} == {"unchanged"}


def test_html_escapes_hostile_names_and_table_marks_new() -> None:
    _, _, d = _sample()
    html = diff_render.renderer("html")(d)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'id="regressions"' in html and "https://example.org/rule" in html
    text = diff_render.render_table(d)
    assert "NEW" in text and "WORSE" in text and "review" in text and "deny" in text
    assert "Regressions (4" in text
    assert "No changes." in diff_render.render_table(diff(_sample()[0], _sample()[0]))
