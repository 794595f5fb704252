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

# (profile, asset name) -> (verdict, rule ids that must be among the matches); "name@XX": the asset's usage
# group whose service is in jurisdiction XX
EXPECTED: dict[str, dict[str, tuple[str, set[str]]]] = {
    "uk-gov": {
        "DeepSeek API": ("deny", {"OAI-2025-T1-API"}),
        # self-hosted weights (Ollama qwen2.5:7b): behavioural risk only
        "Qwen/Qwen2.5-7B-Instruct": ("review", {"OAI-2025-T1-SELF"}),
        # DeepSeek-R1 through Amazon Bedrock (a US host): that usage group is review, not deny
        "deepseek-ai/DeepSeek-R1@US": ("review", {"OAI-2025-T1-3PHOST"}),
        "deepseek-ai/DeepSeek-R1": ("deny", {"OAI-2025-T1-API"}),  # ... and through the DeepSeek API: deny
        "meta-llama/Llama-3.1-8B-Instruct": ("allow", set()),
    },
    "texas-agency": {
        "DeepSeek API": ("deny", {"US-TX-2025-DEEPSEEK"}),
        "Qwen/Qwen2.5-7B-Instruct": ("review", {"OAI-2025-T1-SELF"}),
        "meta-llama/Llama-3.1-8B-Instruct": ("allow", set()),
    },
    "kansas-agency": {
        "DeepSeek API": ("deny", {"US-KS-HB2313"}),
        "Qwen/Qwen2.5-7B-Instruct": ("deny", {"US-KS-HB2313"}),  # statute: any AI of a country of concern
        "pypi:dashscope": ("deny", {"US-KS-HB2313"}),
        "meta-llama/Llama-3.1-8B-Instruct": ("allow", set()),
    },
    "au-commonwealth": {
        "DeepSeek API": ("deny", {"AU-PSPF-001-2025"}),
        "Qwen/Qwen2.5-7B-Instruct": ("review", {"OAI-2025-T1-SELF"}),
        "meta-llama/Llama-3.1-8B-Instruct": ("allow", set()),
    },
    "tier2-private": {
        "DeepSeek API": ("allow", set()),  # no shipped rule applies to a Tier 2 private company
        "Qwen/Qwen2.5-7B-Instruct": ("allow", set()),
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
    for key, (verdict, rules) in EXPECTED[profile].items():
        name, _, juris = key.partition("@")
        d = by_name[name]
        if juris:
            (group,) = [g for g in d.by_usage if g.service_jurisdiction == juris and g.strength != "C"]
            assert group.verdict == verdict and rules <= set(group.rules), (profile, key, group)
            continue
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
