from __future__ import annotations

from pathlib import Path

import pytest

from tierguard.errors import PolicyError
from tierguard.policy.waivers import load_waivers

YAML = """\
version: 1
waivers:
  - id: W-1
    asset_id: as-0123456789abcdef
    justification: air-gapped evaluation
    owner: ml@example.org
    approval: CHG-1
    expires: 2027-01-31
  - id: W-2
    rule_id: OAI-2025-T1-SELF
    justification: accepted
    owner: sec@example.org
    approval: RISK-9
    expires: 2026-06-30
"""


def test_yaml_and_toml(tmp_path: Path) -> None:
    p = tmp_path / "w.yaml"
    p.write_text(YAML)
    ws = load_waivers(p)
    assert [(w.id, w.asset_id, w.rule_id, w.expires) for w in ws] == [
        ("W-1", "as-0123456789abcdef", None, "2027-01-31"),
        ("W-2", None, "OAI-2025-T1-SELF", "2026-06-30"),
    ]
    t = tmp_path / "w.toml"
    t.write_text(
        'version = 1\n[[waivers]]\nid = "W-1"\nrule_id = "X"\njustification = "j"\nowner = "o"\n'
        'approval = "a"\nexpires = 2027-01-31\n'
    )
    (w,) = load_waivers(t)
    assert w.expires == "2027-01-31" and w.rule_id == "X"


def test_errors_name_file_line_field(tmp_path: Path) -> None:
    p = tmp_path / "w.yaml"
    p.write_text(YAML.replace("    owner: sec@example.org\n", ""))
    with pytest.raises(PolicyError) as e:
        load_waivers(p)
    assert f"{p}:9:" in str(e.value) and "waivers[1].owner" in str(e.value)
    p.write_text(YAML.replace("version: 1", "version: 7"))
    with pytest.raises(PolicyError, match=r"w.yaml:1: .*field version"):
        load_waivers(p)
    p.write_text(YAML.replace("    rule_id: OAI-2025-T1-SELF\n", ""))
    with pytest.raises(PolicyError, match="asset_id, rule_id or both"):
        load_waivers(p)
    p.write_text(YAML.replace("W-2", "W-1"))
    with pytest.raises(PolicyError, match="duplicate waiver id W-1"):
        load_waivers(p)
