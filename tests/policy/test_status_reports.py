"""Every report shows the instrument's status beside the verdict: console rules line and legend, SARIF result
properties and rule help, CycloneDX ``tierguard:rule``, HTML."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from helpers import deepseek_api, qwen_weights

from tierguard.model import BINDING_STATUSES, PackRef, ScanResult
from tierguard.policy.context import build_context
from tierguard.policy.engine import evaluate
from tierguard.policy.explain import coverage_notes, rules_info
from tierguard.policy.packs import load_packs
from tierguard.report import FORMATS

TODAY = dt.date(2026, 12, 10)


def _result(values: dict[str, str], binding_only: bool = False) -> ScanResult:
    packs = load_packs(None)
    ctx = build_context(values).model_copy(update={"binding_only": binding_only})
    assets = [deepseek_api(), qwen_weights()]
    return ScanResult(
        tool_version="t",
        catalog_version="c",
        target="repo",
        context=ctx,
        assets=tuple(assets),
        decisions=tuple(evaluate(assets, [], [], ctx, packs, today=TODAY)),
        rules=tuple(rules_info(packs)),
        notes=tuple(coverage_notes(assets, ctx, packs, today=TODAY)),
        packs=tuple(PackRef(id=p.id, version=p.version) for p in packs),
    )


@pytest.fixture(scope="module")
def kansas() -> ScanResult:
    """DeepSeek API: deny under the statute (and the proposal); Qwen weights: deny under the statute."""
    return _result({"country": "US", "state": "US-KS", "sector": "government"})


def test_console_rules_line_and_legend(kansas: ScanResult) -> None:
    out = FORMATS["table"](kansas)
    assert "US-KS-HB2313 (deny, statute)" in out and "OAI-2025-T1-API (deny, proposal)" in out
    legend = out[out.index("Rules cited, by source") :]
    assert "[statute, binding]" in legend and "[proposal, not binding]" in legend
    assert "Status: statute, regulation, executive-order, directive bind where in force" in legend


def test_sarif_results_and_rule_help(kansas: ScanResult) -> None:
    sarif = json.loads(FORMATS["sarif"](kansas))
    run = sarif["runs"][0]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    ks = by_rule["US-KS-HB2313"]
    assert ks["properties"]["instrumentStatus"] == "statute" and ks["properties"]["binding"] is True
    assert ks["message"]["text"].startswith("DENY (statute, binding):")
    oai = by_rule["OAI-2025-T1-API"]
    assert oai["properties"]["instrumentStatus"] == "proposal" and oai["properties"]["binding"] is False
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["OAI-2025-T1-API"]["properties"]["instrumentStatus"] == "proposal"
    assert rules["OAI-2025-T1-API"]["help"]["text"].startswith("[proposal, not binding]")
    assert "(proposal, not binding)" in rules["OAI-2025-T1-API"]["help"]["markdown"]


def test_cyclonedx_rule_property(kansas: ScanResult) -> None:
    bom = json.loads(FORMATS["cyclonedx"](kansas))
    props = [
        p["value"]
        for c in bom["components"] + bom.get("services", [])
        for p in c.get("properties", [])
        if p["name"] == "tierguard:rule"
    ]
    assert any(v.startswith("US-KS-HB2313|deny|statute|us-gov-devices@") for v in props), props
    assert any(v.startswith("OAI-2025-T1-API|deny|proposal|openai-2025-03-proposal@") for v in props), props


def test_html_status_badge_beside_the_verdict(kansas: ScanResult) -> None:
    html = FORMATS["html"](kansas)
    assert '<span class="verdict deny">deny</span> <span class="status binding">statute</span>' in html
    assert '<span class="verdict deny">deny</span> <span class="status nonbinding">proposal</span>' in html


def test_binding_only_note_reaches_every_format() -> None:
    res = _result({"country": "GB", "sector": "government"}, binding_only=True)
    assert {d.verdict for d in res.decisions} == {"allow"}
    assert json.loads(FORMATS["json"](res))["context"]["binding_only"] is True
    note = next(n for n in res.notes if n.startswith("--binding-only"))
    assert "dropped" in note
    assert "--binding-only" in FORMATS["table"](res)
    assert "--binding-only" in json.dumps(json.loads(FORMATS["sarif"](res))["runs"][0]["properties"])


def test_html_template_binding_statuses_match_the_model() -> None:
    text = (
        Path(__file__).resolve().parents[2] / "src" / "tierguard" / "report" / "templates" / "report.html.j2"
    ).read_text()
    found = re.search(r"set binding_statuses = \[(.*?)\]", text)
    assert found is not None
    assert {s.strip().strip('"') for s in found.group(1).split(",")} == set(BINDING_STATUSES)
