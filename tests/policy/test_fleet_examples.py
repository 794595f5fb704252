"""The sample fleet (examples/fleet: osquery apps, Intune and Jamf exports, Zeek DNS and Squid logs), read by
the real app and egress readers, judged under the Texas and US-federal contexts with citations."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tierguard.apps import load_app_catalog, read_apps
from tierguard.catalog import load_catalog
from tierguard.egress import read_egress, rules_from_app_hosts, rules_from_catalog
from tierguard.model import Asset, Decision
from tierguard.policy.context import BUILTIN_PROFILES, build_context
from tierguard.policy.engine import evaluate, non_ai_app
from tierguard.policy.packs import load_packs

FLEET = Path(__file__).resolve().parents[2] / "examples" / "fleet"
TODAY = dt.date(2026, 12, 10)


@pytest.fixture(scope="module")
def fleet() -> list[Asset]:
    apps = load_app_catalog()
    assets: list[Asset] = []
    for f in ("osquery/fleet-apps.log", "mdm/intune-discovered-apps.csv", "mdm/jamf-mobile-devices.csv"):
        assets += read_apps(FLEET / f, catalog=apps).assets
    cat = load_catalog()
    rules = rules_from_catalog(cat) + rules_from_app_hosts(apps.hosts())
    assets += read_egress(FLEET / "logs" / "zeek-dns.log", rules=rules, catalog=cat).assets
    return assets


def _judge(
    assets: list[Asset], values: dict[str, str], binding_only: bool = False
) -> list[tuple[Asset, Decision]]:
    ctx = build_context(values).model_copy(update={"binding_only": binding_only})
    return list(zip(assets, evaluate(assets, [], [], ctx, load_packs(None), today=TODAY), strict=True))


def _rules(d: Decision) -> set[str]:
    return {m.rule_id for m in d.matches}


def test_texas_fleet_denies_deepseek_apps_and_egress_with_the_texas_citation(fleet: list[Asset]) -> None:
    judged = _judge(fleet, BUILTIN_PROFILES["texas-agency"])
    deepseek = [(a, d) for a, d in judged if "deepseek" in {p.id for p in a.provenance.producers}]
    kinds = {a.kind for a, _ in deepseek}
    assert kinds == {"ai-app", "ai-service"}, kinds  # installed apps and egress both present
    for a, d in deepseek:
        assert d.verdict == "deny" and "US-TX-2025-DEEPSEEK" in _rules(d), a.name
        assert all(u.host for u in a.usages)  # per device or client
    rednote = [d for a, d in judged if a.name.startswith("RedNote")]
    assert rednote and all("US-TX-2025-APPS" in _rules(d) for d in rednote)
    assert all(d.verdict == "allow" for a, d in judged if a.name.startswith(("ChatGPT", "Claude", "OpenAI")))


def test_us_federal_dod_network_denies_deepseek_on_binding_instruments(fleet: list[Asset]) -> None:
    dod = {"country": "US", "sector": "government", "network": "dod-network"}
    for a, d in _judge(fleet, dod, binding_only=True):
        producers = {p.id for p in a.provenance.producers}
        if non_ai_app(a):  # RedNote: not AI, so the AI statute does not reach it
            assert d.verdict == "allow", a.name
        elif "deepseek" in producers:
            assert d.verdict == "deny" and "US-NDAA26-1532-DEEPSEEK" in _rules(d), a.name
            assert {m.citation.status for m in d.matches} <= {"statute", "directive"}
        elif a.provenance.service_jurisdiction == "CN":  # Kimi, RedNote: covered-nation AI, review
            assert d.verdict in ("review", "deny") and "US-NDAA26-1532-COVERED" in _rules(d), a.name
