"""The government-device rules apply to apps installed on in-scope devices (kind ai-app, use mode
consumer-app) and to AI services reached from in-scope networks (egress usages with a host)."""

from __future__ import annotations

import datetime as dt

from tierguard.model import Asset, Evidence, Location, ProducerRef, Provenance, Usage
from tierguard.policy.context import build_context
from tierguard.policy.engine import evaluate, scope_gap
from tierguard.policy.packs import load_pack, load_packs
from tierguard.policy.schema import Rule, Scope

TODAY = dt.date(2026, 12, 10)
DEEPSEEK = ProducerRef(id="deepseek", name="DeepSeek", jurisdiction="CN")


def app(
    name: str = "DeepSeek", producer: ProducerRef = DEEPSEEK, host: str = "tx-lt-0042", ai: bool = True
) -> Asset:
    """An installed app as the inventory readers record it: one usage per device; a non-AI app (the app
    catalog's ``ai: false``) carries ``ai=false`` on its evidence."""
    loc = Location(path="inventory/osquery.json", line=12)
    ev = Evidence(
        detector="apps",
        kind="installed-app",
        value=name,
        strength="A",
        location=loc,
        attributes={"ai": "true" if ai else "false"},
    )
    return Asset(
        kind="ai-app",
        name=name,
        use_mode="consumer-app",
        provenance=Provenance(producers=(producer,), service_jurisdiction="CN"),
        evidence=(ev,),
        usages=(Usage(location=loc, use_mode="consumer-app", strength="A", host=host, user="jdoe", count=1),),
    )


def egress(host: str = "chat.deepseek.com", client: str = "10.1.2.3") -> Asset:
    """A consumer service reached from a client, as the network-log readers record it."""
    loc = Location(path="logs/dns.log", line=40)
    return Asset(
        kind="ai-service",
        name="DeepSeek Chat",
        use_mode="consumer-app",
        provenance=Provenance(producers=(DEEPSEEK,), service_jurisdiction="CN"),
        evidence=(Evidence(detector="egress", kind="dns-query", value=host, strength="A", location=loc),),
        usages=(
            Usage(
                location=loc,
                use_mode="consumer-app",
                strength="A",
                service="DeepSeek Chat",
                operator="deepseek",
                service_jurisdiction="CN",
                host=client,
                count=17,
                first_seen="2026-11-02T08:00:00Z",
                last_seen="2026-11-30T17:00:00Z",
            ),
        ),
    )


def test_app_on_a_texas_state_device_is_denied_with_the_texas_citation() -> None:
    ctx = build_context(
        {"country": "US", "state": "US-TX", "sector": "government", "device_class": "state-issued"}
    )
    (d,) = evaluate([app()], [], [], ctx, load_packs(None), today=TODAY)
    assert d.verdict == "deny"
    texas = next(m for m in d.matches if m.rule_id == "US-TX-2025-DEEPSEEK")
    assert texas.verdict == "deny" and texas.citation.status == "directive"
    assert "Texas Governor" in texas.citation.instrument and texas.citation.date == "2025-01-31"
    assert d.driven_by == (Location(path="inventory/osquery.json", line=12),)
    assert d.by_usage[0].use_mode == "consumer-app" and d.by_usage[0].verdict == "deny"


def test_rednote_is_denied_where_an_instrument_names_it_and_never_treated_as_ai() -> None:
    rednote = app("RedNote", ProducerRef(id="xingin", name="Xingin", jurisdiction="CN"), ai=False)
    packs = load_packs(None)
    texas = build_context({"country": "US", "state": "US-TX", "sector": "government"})
    (d,) = evaluate([rednote], [], [], texas, packs, today=TODAY)
    assert d.verdict == "deny" and {m.rule_id for m in d.matches} == {"US-TX-2025-APPS"}
    south_dakota = build_context({"country": "US", "state": "US-SD", "sector": "government"})
    (d,) = evaluate([rednote], [], [], south_dakota, packs, today=TODAY)
    assert d.verdict == "deny" and {m.rule_id for m in d.matches} == {"US-SD-2025-DEEPSEEK"}
    for values in ({"country": "US", "state": "US-KS", "sector": "government"}, {"country": "GB"}):
        (d,) = evaluate([rednote], [], [], build_context(values), packs, today=TODAY)
        assert d.verdict == "allow", values  # the AI statute and the AI proposal are not about RedNote
    (d,) = evaluate([rednote], [], [], build_context({}), packs, today=TODAY)
    assert d.verdict == "review" and [m.rule_id for m in d.matches] == ["CTX-NONE-PRC"]  # PRC-linked: look
    # the same producer's AI app is judged as AI
    (d,) = evaluate([app("Some AI", rednote.provenance.producers[0])], [], [], texas, packs, today=TODAY)
    assert "US-TX-2025-PRC-AI" in {m.rule_id for m in d.matches}


def test_egress_to_chat_deepseek_from_a_us_federal_network_is_denied() -> None:
    ctx = build_context({"country": "US", "sector": "government", "network": "dod-network"})
    (d,) = evaluate([egress()], [], [], ctx, load_packs(None), today=TODAY)
    assert d.verdict == "deny"
    by_id = {m.rule_id: m for m in d.matches}
    assert by_id["US-NDAA26-1532-DEEPSEEK"].citation.status == "statute"
    assert by_id["US-DOD-2025-DEEPSEEK"].verdict == "deny"
    # and it stays denied on binding instruments alone
    (b,) = evaluate(
        [egress()], [], [], ctx.model_copy(update={"binding_only": True}), load_packs(None), today=TODAY
    )
    assert b.verdict == "deny" and "US-NDAA26-1532-DEEPSEEK" in {m.rule_id for m in b.matches}


def test_federal_networks_each_have_their_agencys_notice() -> None:
    packs = load_packs(["us-gov-devices"])
    for network, rule in [
        ("nasa", "US-NASA-2025-DEEPSEEK"),
        ("us-house", "US-HOUSE-2025-DEEPSEEK"),
        ("us-senate", "US-SENATE-2025-DEEPSEEK"),
        ("intelligence-community", "US-NDAA26-6604"),
        ("us-navy", "US-NAVY-2025-DEEPSEEK"),
    ]:
        ctx = build_context({"country": "US", "sector": "government", "network": network})
        (d,) = evaluate([egress()], [], [], ctx, packs, today=TODAY)
        assert d.verdict == "deny" and rule in {m.rule_id for m in d.matches}, network


def test_federal_civilian_network_without_an_agency_notice_is_review_under_a_bill() -> None:
    ctx = build_context({"country": "US", "sector": "government", "network": "federal-civilian"})
    (d,) = evaluate([egress()], [], [], ctx, load_packs(["us-gov-devices"]), today=TODAY)
    assert d.verdict == "review" and {m.citation.status for m in d.matches} == {"bill"}


def test_commerce_rule_is_for_its_devices_not_its_network() -> None:
    packs = load_packs(["us-gov-devices"])
    gfe = build_context({"country": "US", "sector": "government", "device_class": "commerce-gfe"})
    (d,) = evaluate([app()], [], [], gfe, packs, today=TODAY)
    assert "US-DOC-2025-DEEPSEEK" in {m.rule_id for m in d.matches}
    net = build_context({"country": "US", "sector": "government", "network": "commerce-gfe"})
    (d,) = evaluate([app()], [], [], net, packs, today=TODAY)
    assert "US-DOC-2025-DEEPSEEK" not in {m.rule_id for m in d.matches}


def test_device_class_or_network_brings_a_rule_into_scope() -> None:
    rule = next(r for r in load_pack("us-gov-devices").rules if r.id == "US-NASA-2025-DEEPSEEK")
    base = {"country": "US", "sector": "government"}
    assert scope_gap(rule, build_context({**base, "device_class": "nasa"}), {}, TODAY) is None
    assert scope_gap(rule, build_context({**base, "network": "nasa"}), {}, TODAY) is None
    gap = scope_gap(rule, build_context({**base, "device_class": "x", "network": "y"}), {}, TODAY)
    assert gap == "context device class x not in nasa; context network y not in nasa"
    only_net = Rule.model_validate({**rule.model_dump(), "scope": Scope(countries=("US",), networks=("n",))})
    assert scope_gap(only_net, build_context({**base, "device_class": "n"}), {}, TODAY) == (
        "context network (none) not in n"
    )


def test_app_and_egress_under_the_uk_proposal_and_without_context() -> None:
    packs = load_packs(None)
    uk = build_context({"country": "GB", "sector": "government"})
    for asset in (app(host="gb-lt-1"), egress()):
        (d,) = evaluate([asset], [], [], uk, packs, today=TODAY)
        assert d.verdict == "deny" and [m.citation.status for m in d.matches] == ["proposal"], asset.kind
    # an app whose inventory row gives no service jurisdiction still matches on its PRC producer
    bare = app().model_copy(update={"provenance": Provenance(producers=(DEEPSEEK,))})
    (d,) = evaluate([bare], [], [], uk, packs, today=TODAY)
    assert d.verdict == "deny"
    for asset in (app(), egress()):
        (d,) = evaluate([asset], [], [], build_context({}), packs, today=TODAY)
        assert d.verdict == "review" and [m.rule_id for m in d.matches] == ["CTX-NONE-PRC"]


def test_berlin_dpa_is_a_review_not_a_ban() -> None:
    (d,) = evaluate(
        [app(host="de-ph-1")], [], [], build_context({"country": "DE"}), load_packs(["intl-gov-devices"])
    )
    assert d.verdict == "review" and d.matches[0].citation.status == "regulator-action"
    assert "not a ban" in d.matches[0].reason


def test_every_pack_with_rules_has_an_app_and_an_egress_example() -> None:
    for p in load_packs(None):
        if not p.rules:
            continue  # ai-diffusion-2025: a country table, no rules to exercise
        kinds = {(e.asset.kind, e.asset.host is not None) for e in p.examples}
        assert ("ai-app", True) in kinds, f"{p.id}: no installed-app example"
        assert ("ai-service", True) in kinds, f"{p.id}: no egress example"
