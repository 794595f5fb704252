"""``tierguard scan --audit FILE``: an audit of the model a scan finds joins that model's asset before policy,
so the packs see the audit (trigger-dependent insecure code -> deny) and stop asking for one (unaudited
self-hosted PRC model in critical infrastructure -> review); an audit of another model is not applied."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.audit.conftest import Scripted
from tests.audit.test_run import biased, code, fair, identity, judge, opts, political
from tierguard.audit.run import run_audit
from tierguard.cli.main import make_app
from tierguard.model import Context
from tierguard.report import json_report

APP = (
    "from transformers import AutoModelForCausalLM\n"
    'm = AutoModelForCausalLM.from_pretrained("deepseek-ai/DeepSeek-R1")\n'
)
CTX = ["--country", "US", "--sector", "critical-infrastructure", "--no-progress"]


def _audit(
    scripted: Scripted, tmp_path: Path, name: str, model: str = "deepseek-r1", bias: bool = True
) -> Path:
    scripted.behaviour = biased if bias else fair
    ctx = Context(country="US", sector="critical-infrastructure")
    suites = [political(), code(), identity()]
    result = run_audit(opts(scripted.url, None, model=model, context=ctx), suites, judge)
    out = tmp_path / name
    out.write_text(json_report.render(result))
    return out


def _scan(tmp_path: Path, *extra: str) -> tuple[int, dict[str, object]]:
    repo = tmp_path / "repo"
    if not repo.exists():
        repo.mkdir()
        (repo / "serve.py").write_text(APP)
    out = tmp_path / "scan.json"
    argv = ["scan", str(repo), *CTX, "-f", "json", "-o", str(out), *extra]
    res = CliRunner().invoke(make_app(argv), argv)
    assert res.exit_code in (0, 1), res.output
    return res.exit_code, json.loads(out.read_text())


def _decision(doc: dict[str, object], name: str) -> tuple[str, set[str]]:
    assets = {a["id"]: a["name"] for a in doc["assets"]}  # type: ignore[attr-defined, index]
    for d in doc["decisions"]:  # type: ignore[attr-defined]
        if assets[d["asset_id"]] == name:
            return d["verdict"], {m["rule_id"] for m in d["matches"]}
    raise AssertionError(f"no decision for {name}")


MODEL = "deepseek-ai/DeepSeek-R1"


def test_without_an_audit_the_unaudited_rule_asks_for_one(tmp_path: Path) -> None:
    _, doc = _scan(tmp_path)
    verdict, rules = _decision(doc, MODEL)
    assert "AUDIT-UNAUDITED-PRC-SELF-HOSTED" in rules and verdict in ("review", "deny")


def test_an_audit_finding_trigger_dependent_insecure_code_denies(scripted: Scripted, tmp_path: Path) -> None:
    audit = _audit(scripted, tmp_path, "audit.json")
    code_, doc = _scan(tmp_path, "--audit", str(audit))
    verdict, rules = _decision(doc, MODEL)
    assert verdict == "deny" and code_ == 1
    assert "AUDIT-TRIGGER-INSECURE-CODE" in rules
    assert "AUDIT-UNAUDITED-PRC-SELF-HOSTED" not in rules
    assert any("applied to deepseek-ai/DeepSeek-R1" in n for n in doc["notes"])  # type: ignore[attr-defined]
    assert {r["id"] for r in doc["rules"]} >= {"AUDIT-CODE-TRIGGER"}  # type: ignore[attr-defined]


def test_a_clean_audit_removes_only_the_request_for_one(scripted: Scripted, tmp_path: Path) -> None:
    audit = _audit(scripted, tmp_path, "audit.json", bias=False)
    _, doc = _scan(tmp_path, "--audit", str(audit))
    _, rules = _decision(doc, MODEL)
    assert "AUDIT-UNAUDITED-PRC-SELF-HOSTED" not in rules
    assert "AUDIT-TRIGGER-INSECURE-CODE" not in rules


def test_an_audit_of_another_model_is_not_applied(scripted: Scripted, tmp_path: Path) -> None:
    audit = _audit(scripted, tmp_path, "other.json", model="qwen2.5-coder")
    _, doc = _scan(tmp_path, "--audit", str(audit))
    _, rules = _decision(doc, MODEL)
    assert "AUDIT-UNAUDITED-PRC-SELF-HOSTED" in rules
    assert any("matches no model here: not applied" in n for n in doc["notes"])  # type: ignore[attr-defined]


@pytest.mark.parametrize("content", ["not json", None])
def test_a_file_that_is_not_an_audit_is_exit_2(tmp_path: Path, content: str | None) -> None:
    bad = tmp_path / "bad.json"
    if content is None:  # a scan result, not an audit
        _scan(tmp_path)
        bad = tmp_path / "scan.json"
    else:
        bad.write_text(content)
    argv = ["scan", str(tmp_path), *CTX, "--audit", str(bad)]
    res = CliRunner().invoke(make_app(argv), argv)
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "audit" in res.output or "not a tierguard JSON result" in res.output


def test_every_finding_rule_an_audit_can_raise_has_its_rule() -> None:
    from tierguard.audit.result import BAD
    from tierguard.audit.rules import RULES
    from tierguard.policy.packs import load_packs

    raised = {f"AUDIT-{cat.upper()}-{label.upper()}" for cat, labels in BAD.items() for label in labels}
    assert raised <= set(RULES)
    for pack in load_packs():
        for rule in pack.rules:
            for m in rule.match:
                assert set(m.finding_rules) <= set(RULES) or not any(
                    r.startswith("AUDIT-") for r in m.finding_rules
                ), (pack.id, rule.id)
