from __future__ import annotations

import datetime as dt

import pytest
from helpers import deepseek_api, deepseek_weights, mk_asset, qwen_weights

from tierguard.model import Context, Decision, Finding, Inspection, Location, Waiver
from tierguard.policy.context import BUILTIN_PROFILES, build_context
from tierguard.policy.engine import evaluate
from tierguard.policy.explain import coverage_notes, rules_info, trace
from tierguard.policy.packs import Pack
from tierguard.policy.waivers import waiver_report

TODAY = dt.date(2026, 11, 22)


def decide(packs: list[Pack], ctx: Context, *assets, **kw) -> list[Decision]:  # type: ignore[no-untyped-def]
    return evaluate(
        list(assets),
        kw.get("findings", []),
        kw.get("inspections", []),
        ctx,
        packs,
        kw.get("waivers", ()),
        today=kw.get("today", TODAY),
    )


def profile(name: str) -> Context:
    return build_context(BUILTIN_PROFILES[name], profile=name)


def rules(d: Decision) -> set[str]:
    return {m.rule_id for m in d.matches}


def test_uk_government(packs: list[Pack]) -> None:
    api, weights = decide(packs, profile("uk-gov"), deepseek_api(), qwen_weights())
    assert api.verdict == "deny" and "OAI-2025-T1-API" in rules(api)
    # the proposal's text bars PRC-produced models, but self-hosting has no data path to the PRC: review
    assert weights.verdict == "review" and rules(weights) == {"OAI-2025-T1-SELF"}
    m = weights.matches[0]
    assert m.citation.url.startswith("https://openai.com/") and m.citation.date == "2025-03-13"
    assert "behavioural" in m.reason


def test_texas_agency(packs: list[Pack]) -> None:
    api, ds_w, qwen = decide(
        packs, profile("texas-agency"), deepseek_api(), deepseek_weights(), qwen_weights()
    )
    assert api.verdict == "deny" and {"US-TX-2025-DEEPSEEK", "OAI-2025-T1-API"} <= rules(api)
    tx = next(m for m in ds_w.matches if m.rule_id == "US-TX-2025-DEEPSEEK")
    assert tx.verdict == "review"  # the order targets the app/service; self-hosted weights: review
    assert "US-TX-2025-DEEPSEEK" not in rules(qwen)  # the order names DeepSeek, not Qwen
    assert qwen.verdict == "review" and "OAI-2025-T1-SELF" in rules(qwen)  # US is tier 1


def test_kansas_country_of_concern(packs: list[Pack]) -> None:
    hk = mk_asset("ai-service", "hk-llm", "hosted-api", producer=("hk-lab", "HK"), service="HK")
    ru = mk_asset("ai-model", "gigachat", "self-hosted", producer=("sber", "RU"))
    us = mk_asset("ai-service", "api.openai.com", "hosted-api", producer=("openai", "US"), service="US")
    ft = mk_asset("ai-model", "acme/qwen-ft", "self-hosted", producer=("acme", "US"), base=("alibaba", "CN"))
    q, h, r, u, f = decide(packs, profile("kansas-agency"), qwen_weights(), hk, ru, us, ft)
    assert q.verdict == "deny" and "US-KS-HB2313" in rules(q)
    assert h.verdict == "deny" and "US-KS-HB2313" in rules(h)
    assert r.verdict == "deny" and "US-KS-HB2313" in rules(r)
    assert u.verdict == "allow" and u.matches == ()
    assert any("no rule matched" in n for n in u.notes)
    assert "US-KS-HB2313-LINEAGE" in rules(f) and "US-KS-HB2313" not in rules(f) and f.verdict == "review"


def test_australian_commonwealth(packs: list[Pack]) -> None:
    ds, qwen = decide(packs, profile("au-commonwealth"), deepseek_weights(), qwen_weights())
    assert ds.verdict == "deny" and "AU-PSPF-001-2025" in rules(ds)
    assert qwen.verdict == "review" and "AU-PSPF-001-2025" not in rules(qwen)


def test_tier2_private_company_differs(packs: list[Pack]) -> None:
    ctx = profile("tier2-private")
    api, weights = decide(packs, ctx, deepseek_api(), qwen_weights())
    assert api.verdict == "allow" and weights.verdict == "allow"
    trace_api = {t.rule_id: t for t in trace(deepseek_api(), [], [], ctx, packs, today=TODAY)}
    assert trace_api["OAI-2025-T1-API"].status == "not-applicable"
    assert "tier 2" in trace_api["OAI-2025-T1-API"].why


def test_strength_c_never_denies(packs: list[Pack]) -> None:
    for name in ("uk-gov", "texas-agency", "kansas-agency", "au-commonwealth"):
        (d,) = decide(packs, profile(name), deepseek_api(strength="C"))
        assert d.verdict == "review", name
        assert any("strength C" in n for n in d.notes)
        assert any(m.verdict == "deny" for m in d.matches)  # the rule still shows what it would say


def test_artifact_safety_findings_and_incomplete(packs: list[Pack]) -> None:
    bad = mk_asset("ai-model", "models/evil.pt", "self-hosted", path="models/evil.pt")
    trunc = mk_asset("ai-model", "models/trunc.safetensors", "self-hosted", path="models/trunc.safetensors")
    f = Finding(
        rule_id="PICKLE-GLOBAL",
        severity="critical",
        message="os.system",
        location=Location(path="models/evil.pt"),
        asset_id=bad.id,
    )
    ins = [
        Inspection(
            location=Location(path="models/trunc.safetensors"), format="safetensors", status="incomplete"
        )
    ]
    d_bad, d_trunc = decide(packs, Context(country="SG"), bad, trunc, findings=[f], inspections=ins)
    assert d_bad.verdict == "deny" and "ART-UNSAFE-LOAD" in rules(d_bad)
    assert d_trunc.verdict == "review" and rules(d_trunc) == {"ART-INSPECTION-INCOMPLETE"}


def test_ndaa_5949_effective_date(packs: list[Pack]) -> None:
    ssd = mk_asset("hardware-device", "YMTC SSD", producer=("ymtc", "CN"))
    ctx = Context(country="US", sector="government")
    (before,) = decide(packs, ctx, ssd, today=dt.date(2027, 12, 22))
    (after,) = decide(packs, ctx, ssd, today=dt.date(2027, 12, 23))
    m_before = next(m for m in before.matches if m.rule_id == "US-NDAA23-5949")
    m_after = next(m for m in after.matches if m.rule_id == "US-NDAA23-5949")
    assert m_before.verdict == "review" and "not yet in force" in m_before.reason
    assert m_after.verdict == "deny"
    # context date takes precedence over today
    (ctx_dated,) = decide(
        packs, ctx.model_copy(update={"date": "2028-01-01"}), ssd, today=dt.date(2026, 1, 1)
    )
    assert next(m for m in ctx_dated.matches if m.rule_id == "US-NDAA23-5949").verdict == "deny"


def test_equipment_inventory_note(packs: list[Pack]) -> None:
    notes = coverage_notes([deepseek_api()], profile("uk-gov"), packs, today=TODAY)
    assert (
        notes and notes[0].startswith("no equipment inventory supplied") and "OAI-2025-T1-EQUIP" in notes[0]
    )
    dev = mk_asset("hardware-device", "Huawei server", producer=("huawei", "CN"))
    assert coverage_notes([dev], profile("uk-gov"), packs, today=TODAY) == []


def test_waivers_active_expired_unused(packs: list[Pack]) -> None:
    api, weights = deepseek_api(), qwen_weights()
    active = Waiver(
        id="W-1",
        justification="evaluation",
        owner="ml@x",
        approval="CHG-1",
        expires="2027-01-31",
        asset_id=weights.id,
    )
    expired = Waiver(
        id="W-2", justification="old", owner="ml@x", approval="CHG-0", expires="2026-01-01", asset_id=api.id
    )
    unused = Waiver(
        id="W-3",
        justification="n/a",
        owner="ml@x",
        approval="CHG-2",
        expires="2027-01-31",
        rule_id="US-TX-2025-DEEPSEEK",
    )
    ctx = profile("uk-gov")
    d_api, d_w = decide(packs, ctx, api, weights, waivers=[active, expired, unused])
    assert d_w.waived_by == active and d_w.verdict == "review" and d_w.effective_verdict == "allow"
    assert d_api.waived_by is None and d_api.verdict == "deny"
    assert any("W-2 expired" in n for n in d_api.notes)
    rep = waiver_report([d_api, d_w], [active, expired, unused], ctx, today=TODAY)
    assert [w.id for w, _ in rep.applied] == ["W-1"] and rep.applied[0][1] == [weights.id]
    assert [w.id for w in rep.expired] == ["W-2"]
    assert [w.id for w in rep.unused] == ["W-3"]
    assert any("unused" in n for n in rep.notes())


def test_rule_waiver_covers_only_that_rule(packs: list[Pack]) -> None:
    w = Waiver(
        id="W-R", justification="j", owner="o", approval="a", expires="2030-01-01", rule_id="OAI-2025-T1-SELF"
    )
    d_q, d_api = decide(packs, profile("uk-gov"), qwen_weights(), deepseek_api(), waivers=[w])
    assert d_q.waived_by == w
    assert d_api.waived_by is None  # other rules block it


def test_hosted_vs_self_hosted_not_same_verdict(packs: list[Pack]) -> None:
    azure_ds = mk_asset("ai-model", "DeepSeek-R1", "hosted-api", producer=("deepseek", "CN"), service="US")
    d_api, d_az, d_self = decide(packs, Context(country="DE"), deepseek_api(), azure_ds, deepseek_weights())
    assert (d_api.verdict, d_az.verdict, d_self.verdict) == ("deny", "review", "review")
    assert "OAI-2025-T1-3PHOST" in rules(d_az)


def test_rules_info_for_reporters(packs: list[Pack]) -> None:
    info = {r.id: r for r in rules_info(packs)}
    assert info["US-STATES-UNVERIFIED"].citations[0].verify is True
    assert info["US-FCC-COVERED-HUAWEI-ZTE"].source == "equipment"
    assert (
        info["OAI-2025-T1-API"].help_uri
        == "https://openai.com/global-affairs/openai-proposals-for-the-us-ai-action-plan/"
    )


def test_evaluate_is_pure_and_deterministic(packs: list[Pack]) -> None:
    assets = [deepseek_api(), qwen_weights()]
    a = decide(packs, profile("uk-gov"), *assets)
    b = decide(packs, profile("uk-gov"), *assets)
    assert a == b


@pytest.mark.parametrize("kr_date,in_force", [("2025-03-01", True), ("2025-05-01", False)])
def test_sunset(packs: list[Pack], kr_date: str, in_force: bool) -> None:
    (d,) = decide(packs, Context(country="KR", date=kr_date), deepseek_api())
    assert ("KR-PIPC-2025-SUSPENSION" in rules(d)) is in_force
    t = {x.rule_id: x for x in trace(deepseek_api(), [], [], Context(country="KR", date=kr_date), packs)}
    assert (t["KR-PIPC-2025-SUSPENSION"].status == "matched") is in_force
    if not in_force:
        assert "sunset 2025-04-28" in t["KR-PIPC-2025-SUSPENSION"].why
