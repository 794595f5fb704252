from __future__ import annotations

from pathlib import Path

import pytest

from tierguard.errors import PolicyError
from tierguard.policy.packs import load_pack, load_packs, shipped_pack_ids
from tierguard.policy.selftest import run_examples

GOOD = """\
id: my-pack
version: "1"
title: Test pack
description: test
date: 2025-01-01
rules:
  - id: T-1
    title: t
    verdict: deny
    severity: high
    instrument: x
    status: directive
    date: 2025-01-01
    url: https://example.org/
    match: {producer_ids: [deepseek]}
    reason: r
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "pack.yaml"
    p.write_text(text)
    return p


def test_shipped_packs_load_with_unique_ids() -> None:
    ids = shipped_pack_ids()
    assert {
        "openai-2025-03-proposal",
        "ai-diffusion-2025",
        "us-gov-devices",
        "intl-gov-devices",
        "us-equipment",
        "artifact-safety",
    } <= set(ids)
    packs = load_packs(None)
    rule_ids = [r.id for p in packs for r in p.rules]
    assert len(rule_ids) == len(set(rule_ids))
    for p in packs:
        for r in p.rules:
            assert r.instrument and r.date and r.url, r.id


@pytest.mark.parametrize("pack_id", shipped_pack_ids())
def test_pack_examples_pass(pack_id: str) -> None:
    support = load_packs(None)
    results = run_examples(load_pack(pack_id), support)
    failed = [(r.name, r.expected, r.got, r.matched_rules) for r in results if not r.ok]
    assert not failed


def test_valid_user_pack_file(tmp_path: Path) -> None:
    p = load_pack(str(write(tmp_path, GOOD)))
    assert p.id == "my-pack" and p.rules[0].id == "T-1"


def test_error_names_file_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("verdict: deny", "verdict: forbid"))
    with pytest.raises(PolicyError) as e:
        load_pack(str(path))
    msg = str(e.value)
    assert f"{path}:9:" in msg
    assert "rules[0].verdict" in msg


def test_error_bad_jurisdiction_line(tmp_path: Path) -> None:
    text = GOOD.replace(
        "match: {producer_ids: [deepseek]}",
        "match:\n      - kinds: [ai-model]\n        producer_jurisdictions: [china]",
    )
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as e:
        load_pack(str(path))
    msg = str(e.value)
    assert f"{path}:17:" in msg and "rules[0].match[0].producer_jurisdictions" in msg and "alpha-2" in msg


def test_error_missing_field(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    reason: r\n", ""))
    with pytest.raises(PolicyError) as e:
        load_pack(str(path))
    assert "rules[0].reason" in str(e.value) and f"{path}:7:" in str(e.value)


def test_error_unknown_field_and_bad_yaml(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    reason: r\n", "    reason: r\n    severty: low\n"))
    with pytest.raises(PolicyError, match=r"rules\[0\]\.severty"):
        load_pack(str(path))
    path = write(tmp_path, GOOD + "  - id: [unclosed\n")
    with pytest.raises(PolicyError, match=r"pack.yaml:\d+: invalid YAML"):
        load_pack(str(path))


def test_unknown_framework_and_pack(tmp_path: Path) -> None:
    text = GOOD.replace("    match:", "    scope: {tier: {framework: nope-2030, tiers: ['1']}}\n    match:")
    path = write(tmp_path, text)
    with pytest.raises(PolicyError, match="nope-2030"):
        load_packs([str(path)])
    with pytest.raises(PolicyError, match="unknown policy pack"):
        load_packs(["no-such-pack"])


def test_framework_is_added_when_referenced() -> None:
    packs = load_packs(["openai-2025-03-proposal"])
    assert [p.id for p in packs] == ["openai-2025-03-proposal", "ai-diffusion-2025", "no-context"]
    fw = packs[1].frameworks[0]
    assert fw.rescinded == "2025-05-13"
    assert fw.tier_of("GB") == "1" and fw.tier_of("HK") == "3" and fw.tier_of("SG") == "2"
    assert fw.tier_of("NO") == "1"  # YAML's "NO" stays Norway


def test_unverified_states_carry_verify() -> None:
    rule = next(r for r in load_pack("us-gov-devices").rules if r.id == "US-STATES-UNVERIFIED")
    assert rule.verify is True
    assert {"US-TN", "US-ND", "US-NC", "US-NE", "US-AR", "US-GA", "US-PA", "US-OR", "US-NV"} == set(
        rule.scope.states
    )


def test_docs_annotated_example_is_a_valid_passing_pack() -> None:
    import re

    from tierguard.policy.schema import parse_pack

    docs = Path(__file__).resolve().parents[2] / "docs" / "policy.md"
    block = re.search(r"## Pack format \(annotated\)\n\n```yaml\n(.*?)```", docs.read_text(), re.S)
    assert block is not None
    pack = parse_pack(block.group(1), "docs/policy.md")
    results = run_examples(pack, load_packs(None))
    assert results and all(r.ok for r in results), results
