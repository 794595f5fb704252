"""Every rule says what kind of instrument it rests on; citations are primary sources or marked verify;
--binding-only evaluates only binding instruments in force and says what it dropped."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from helpers import deepseek_api, mk_asset, qwen_weights

from tierguard.errors import PolicyError
from tierguard.model import BINDING_STATUSES, Context
from tierguard.policy.citations import citation_problems, news_domains, packs_citation_problems
from tierguard.policy.context import build_context
from tierguard.policy.engine import evaluate, parse_day
from tierguard.policy.explain import coverage_notes, trace
from tierguard.policy.packs import Pack, load_pack, load_packs, shipped_pack_ids
from tierguard.policy.schema import parse_pack

TODAY = dt.date(2026, 12, 10)
ROOT = Path(__file__).resolve().parents[2]

PACK = """\
id: mine
version: "1"
title: t
description: d
date: 2025-01-01
rules:
  - id: M-1
    title: t
    verdict: deny
    severity: high
    instrument: i
{status}    date: 2025-01-01
    url: {url}
{verify}    match: {{producer_ids: [deepseek]}}
    reason: r
"""


def _pack(status: str = "directive", url: str = "https://example.org/policy/1", verify: bool = False) -> Pack:
    text = PACK.format(
        status=f"    status: {status}\n" if status else "",
        url=url,
        verify="    verify: true\n" if verify else "",
    )
    return parse_pack(text, "mine.yaml")


# ------------------------------------------------------------------------------------------- status


def test_rule_without_status_is_rejected_with_file_line_field() -> None:
    with pytest.raises(PolicyError) as e:
        _pack(status="")
    assert "mine.yaml:7:" in str(e.value) and "rules[0].status" in str(e.value)


def test_unknown_status_is_rejected() -> None:
    with pytest.raises(PolicyError, match=r"rules\[0\]\.status"):
        _pack(status="law-ish")


@pytest.mark.parametrize("pack_id", shipped_pack_ids())
def test_every_shipped_rule_has_a_status_and_binding_ones_an_effective_date(pack_id: str) -> None:
    for r in load_pack(pack_id).rules:
        assert r.status, r.id
        if r.status in BINDING_STATUSES:
            assert r.effective or r.verify, f"{r.id}: binding instrument without an effective date"


def test_statuses_of_the_packs_say_what_each_rule_is() -> None:
    rules = {r.id: r for p in load_packs(None) for r in p.rules}
    assert {r.status for r in rules.values() if r.id.startswith("OAI-")} == {"proposal"}
    assert rules["US-BILL-HR1121"].status == "bill" and rules["US-BILL-NAAI"].status == "bill"
    assert (
        rules["US-NDAA26-6604"].status == "statute" and rules["US-NDAA26-1532-DEEPSEEK"].status == "statute"
    )
    assert rules["US-KS-HB2313"].status == "statute"
    assert (
        rules["US-VA-EO46"].status == "executive-order"
        and rules["US-LA-2025-DEEPSEEK"].status == "executive-order"
    )
    assert rules["AU-PSPF-001-2025"].status == "directive"
    assert rules["IN-FINMIN-2025-AI-TOOLS"].status == "guidance"
    assert rules["US-BIS-GP10-PRC-ICS"].status == "guidance"
    # the Berlin DPA asked app stores to delist the app: a data-protection action, not a ban
    assert rules["DE-BLN-2025-DEEPSEEK"].status == "regulator-action"
    assert rules["DE-BLN-2025-DEEPSEEK"].verdict == "review"
    assert rules["US-FCC-COVERED-DRONES"].status == "regulation"
    assert rules["CTX-NONE-PRC"].status == "tool-default"
    assert {rules[i].status for i in ("ART-UNSAFE-LOAD", "ART-INSPECTION-INCOMPLETE")} == {"tool-default"}


def test_new_instruments_are_in_the_packs() -> None:
    rules = {r.id: r for p in load_packs(None) for r in p.rules}
    s1532 = rules["US-NDAA26-1532-DEEPSEEK"]
    assert {"deepseek", "high-flyer"} <= set(s1532.match[0].producer_ids)
    assert "dod-contractor" in s1532.scope.device_classes and s1532.effective == "2025-12-18"
    assert rules["CZ-2025-DEEPSEEK"].date == "2025-07-09"
    assert rules["US-LA-2025-DEEPSEEK"].date == "2025-09-29"
    assert rules["DE-BLN-2025-DEEPSEEK"].date == "2025-06-27"
    assert rules["US-BIS-GP10-PRC-ICS"].date == "2025-05-13"
    assert rules["US-FCC-COVERED-DRONES"].date == "2025-12-22"
    fw = load_pack("ai-diffusion-2025").frameworks[0]
    assert fw.rescinded == "2025-05-13"  # a labelled historical framework


# ------------------------------------------------------------------------------------------- citations


def test_unverified_bare_homepage_citation_is_a_problem() -> None:
    (rule,) = _pack(url="https://www.navy.mil/").rules
    assert any("bare homepage" in p for p in citation_problems(rule))
    (rule,) = _pack(url="https://www.navy.mil").rules
    assert any("bare homepage" in p for p in citation_problems(rule))
    (rule,) = _pack(url="https://www.navy.mil/", verify=True).rules
    assert citation_problems(rule) == []
    (rule,) = _pack(url="https://www.navy.mil/Press-Office/News-Stories/Article/123/").rules
    assert citation_problems(rule) == []


def test_news_site_citation_needs_verify() -> None:
    assert {"reuters.com", "cnbc.com", "axios.com"} <= news_domains()
    (rule,) = _pack(url="https://www.reuters.com/technology/some-story-2025-03-17/").rules
    assert any("news site (reuters.com)" in p for p in citation_problems(rule))
    (rule,) = _pack(url="https://www.reuters.com/technology/some-story-2025-03-17/", verify=True).rules
    assert citation_problems(rule) == []
    (rule,) = _pack(url="https://notreuters.com/x").rules  # a suffix is not a subdomain
    assert citation_problems(rule) == []


def test_docs_path_is_only_for_tierguard_defaults() -> None:
    (rule,) = _pack(url="docs/policy.md#x").rules
    assert any("tierguard's own docs" in p for p in citation_problems(rule))
    (rule,) = _pack(status="tool-default", url="docs/policy.md#x").rules
    assert citation_problems(rule) == []


def test_shipped_packs_cite_primary_sources_or_say_verify() -> None:
    assert packs_citation_problems(load_packs(None)) == []


def test_news_domains_file_is_clean() -> None:
    domains = news_domains()
    assert all(re.fullmatch(r"[a-z0-9.-]+\.[a-z]{2,}", d) for d in domains), domains


# ------------------------------------------------------------------------------------------- binding-only


def _uk_gov(binding_only: bool) -> Context:
    return build_context({"country": "GB", "sector": "government"}).model_copy(
        update={"binding_only": binding_only}
    )


def test_binding_only_drops_the_proposals_rules() -> None:
    packs = load_packs(None)
    (plain,) = evaluate([deepseek_api()], [], [], _uk_gov(False), packs, today=TODAY)
    assert plain.verdict == "deny" and {m.rule_id for m in plain.matches} == {"OAI-2025-T1-API"}
    assert plain.matches[0].citation.status == "proposal"
    (binding,) = evaluate([deepseek_api()], [], [], _uk_gov(True), packs, today=TODAY)
    assert binding.verdict == "allow" and binding.matches == ()
    assert any("--binding-only" in n for n in binding.notes)


def test_binding_only_keeps_a_statutes_rules() -> None:
    packs = load_packs(None)
    ks = build_context({"country": "US", "state": "US-KS", "sector": "government"}).model_copy(
        update={"binding_only": True}
    )
    (d,) = evaluate([qwen_weights()], [], [], ks, packs, today=TODAY)
    assert d.verdict == "deny" and [m.rule_id for m in d.matches] == ["US-KS-HB2313"]
    assert d.matches[0].citation.status == "statute" and d.matches[0].citation.effective == "2025-07-01"
    # the bill that would also apply (H.R. 1121 is national only; the No Adversarial AI Act too) is gone,
    # and the statute before it came into force is dropped as well
    (early,) = evaluate([qwen_weights()], [], [], ks, packs, today=dt.date(2025, 5, 1))
    assert early.verdict == "allow"


def test_binding_only_drops_bills_but_keeps_directives_and_tool_defaults() -> None:
    packs = load_packs(None)
    tx = build_context({"country": "US", "state": "US-TX", "sector": "government"})
    api = deepseek_api()
    (d,) = evaluate([api], [], [], tx.model_copy(update={"binding_only": True}), packs, today=TODAY)
    assert d.verdict == "deny" and "US-TX-2025-DEEPSEEK" in {m.rule_id for m in d.matches}
    fed = build_context({"country": "US", "sector": "government"})
    (bill,) = evaluate([api], [], [], fed, packs, today=TODAY)
    # a US federal context without an agency: only the proposal (US is Tier 1) and bills match
    assert {m.citation.status for m in bill.matches} == {"proposal", "bill"}
    assert {"US-BILL-HR1121", "OAI-2025-T1-API"} <= {m.rule_id for m in bill.matches}
    (none,) = evaluate([api], [], [], fed.model_copy(update={"binding_only": True}), packs, today=TODAY)
    assert none.verdict == "allow"
    # without a context the fail-closed tool default stays: binding-only never turns "unknown" into allow
    (nc,) = evaluate([api], [], [], Context(binding_only=True), packs, today=TODAY)
    assert nc.verdict == "review" and [m.rule_id for m in nc.matches] == ["CTX-NONE-PRC"]


def test_binding_only_note_says_it_was_applied_and_what_it_dropped() -> None:
    packs = load_packs(None)
    notes = coverage_notes([deepseek_api()], _uk_gov(True), packs, today=TODAY)
    (note,) = [n for n in notes if n.startswith("--binding-only")]
    total = sum(len(p.rules) for p in packs)
    dropped = sum(
        1
        for p in packs
        for r in p.rules
        if r.status != "tool-default"
        and (r.status not in BINDING_STATUSES or parse_day(r.effective or r.date) > TODAY)
    )
    assert f"dropped {dropped} of {total} rules" in note
    proposals = sum(1 for p in packs for r in p.rules if r.status == "proposal")
    assert f"{proposals} proposal" in note and "3 bill" in note
    assert "OAI-2025-T1-API" in note  # which dropped rules would have applied here
    assert not [
        n for n in coverage_notes([deepseek_api()], _uk_gov(False), packs, today=TODAY) if "binding" in n
    ]


def test_trace_explains_a_dropped_rule() -> None:
    traces = trace(deepseek_api(), [], [], _uk_gov(True), load_packs(None), today=TODAY)
    t = next(t for t in traces if t.rule_id == "OAI-2025-T1-API")
    assert t.status == "not-applicable" and "a proposal, not a binding instrument" in t.why


def test_unsafe_artifact_stays_denied_with_binding_only() -> None:
    from tierguard.model import Finding, Location

    model = mk_asset("ai-model", "model.pkl", "self-hosted", path="m/model.pkl")
    bad = Finding(
        rule_id="TG-PKL-001",
        severity="critical",
        message="x",
        location=Location(path="m/model.pkl"),
        asset_id=model.id,
    )
    (d,) = evaluate([model], [bad], [], _uk_gov(True), load_packs(None), today=TODAY)
    assert d.verdict == "deny" and d.matches[0].citation.status == "tool-default"


# ------------------------------------------------------------------------------------------- docs


def test_docs_table_lists_every_rule_with_its_status() -> None:
    docs = (ROOT / "docs" / "policy.md").read_text()
    table = docs[docs.index("## Every shipped rule") :]
    for p in load_packs(None):
        for r in p.rules:
            row = next((line for line in table.splitlines() if line.startswith(f"| `{r.id}` |")), None)
            assert row is not None, f"{r.id} missing from the docs table"
            cells = [c.strip() for c in row.strip("|").split("|")]
            assert cells[3] == r.status, (r.id, cells)
            assert cells[4] == (r.effective or "-"), (r.id, cells)
            assert cells[5] == ("yes" if r.verify else "no"), (r.id, cells)
