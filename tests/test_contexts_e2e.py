"""The demo estate under five deployment contexts gives different, correct, cited decisions."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierguard.catalog import load_catalog
from tierguard.model import ScanResult
from tierguard.policy.context import resolve_context
from tierguard.policy.packs import load_packs
from tierguard.scanner import Scanner, ScanOptions

ESTATE = Path(__file__).resolve().parent.parent / "examples" / "estate"

# (profile, asset name) -> (verdict, rule ids that must be among the matches)
EXPECTED: dict[str, dict[str, tuple[str, set[str]]]] = {
    "uk-gov": {
        "api.deepseek.com": ("deny", {"OAI-2025-T1-API"}),
        "qwen2.5:7b": ("review", {"OAI-2025-T1-SELF"}),  # self-hosted weights: behavioural risk only
        "us.deepseek.r1-v1:0": ("review", {"OAI-2025-T1-3PHOST"}),  # PRC model on a US host
        "llama3.1:8b": ("allow", set()),
    },
    "texas-agency": {
        "api.deepseek.com": ("deny", {"US-TX-2025-DEEPSEEK"}),
        "qwen2.5:7b": ("review", {"OAI-2025-T1-SELF"}),
        "llama3.1:8b": ("allow", set()),
    },
    "kansas-agency": {
        "api.deepseek.com": ("deny", {"US-KS-HB2313"}),
        "qwen2.5:7b": ("deny", {"US-KS-HB2313"}),  # statute: any AI of a country of concern
        "pypi:dashscope": ("deny", {"US-KS-HB2313"}),
        "llama3.1:8b": ("allow", set()),
    },
    "au-commonwealth": {
        "api.deepseek.com": ("deny", {"AU-PSPF-001-2025"}),
        "qwen2.5:7b": ("review", {"OAI-2025-T1-SELF"}),
        "llama3.1:8b": ("allow", set()),
    },
    "tier2-private": {
        "api.deepseek.com": ("allow", set()),  # no shipped rule applies to a Tier 2 private company
        "qwen2.5:7b": ("allow", set()),
    },
}


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner(load_catalog(), load_packs())


def _scan(scanner: Scanner, profile: str) -> ScanResult:
    ctx = resolve_context(root=None, config=None, profile=profile, overrides={}).context
    return scanner.scan(ESTATE, ctx, options=ScanOptions(artifacts=False, inspect=False))


@pytest.mark.parametrize("profile", sorted(EXPECTED))
def test_profile_decisions(scanner: Scanner, profile: str) -> None:
    result = _scan(scanner, profile)
    by_name = {}
    for d in result.decisions:
        asset = result.asset(d.asset_id)
        assert asset is not None
        by_name.setdefault(asset.name, d)
    for name, (verdict, rules) in EXPECTED[profile].items():
        d = by_name[name]
        got = {m.rule_id for m in d.matches}
        assert d.verdict == verdict, (profile, name, d.verdict, got)
        assert rules <= got, (profile, name, got)
        for m in d.matches:
            assert m.citation.url.startswith("https://") and m.citation.instrument and m.citation.date


def test_profiles_give_different_decision_sets(scanner: Scanner) -> None:
    shapes = set()
    for profile in EXPECTED:
        result = _scan(scanner, profile)
        shapes.add(tuple(sorted((d.asset_id, d.verdict) for d in result.decisions)))
    assert len(shapes) == len(EXPECTED)
