from __future__ import annotations

from pathlib import Path

import typer
from helpers import deepseek_api, qwen_weights
from typer.testing import CliRunner

from tierguard.cli import policy_cmd
from tierguard.errors import PolicyError
from tierguard.model import PackRef, ScanResult
from tierguard.policy.context import BUILTIN_PROFILES, build_context
from tierguard.policy.engine import evaluate
from tierguard.policy.packs import load_packs


def make_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        pass

    policy_cmd.register(app)
    return app


runner = CliRunner()


def test_list_show_test() -> None:
    app = make_app()
    r = runner.invoke(app, ["policy", "list"], terminal_width=200)
    assert r.exit_code == 0 and "openai-2025-03-proposal" in r.output and "us-equipment" in r.output
    r = runner.invoke(app, ["policy", "show", "us-equipment"], terminal_width=200)
    assert r.exit_code == 0
    assert "US-NDAA23-5949 [deny/high]" in r.output and "in force: 2027-12-23" in r.output
    assert "https://www.fcc.gov/supplychain/coveredlist" in r.output
    r = runner.invoke(app, ["policy", "test", "us-gov-devices"], terminal_width=200)
    assert r.exit_code == 0 and "10/10 examples passed" in r.output


def test_policy_test_fails_on_wrong_expectation(tmp_path: Path) -> None:
    p = tmp_path / "mine.yaml"
    p.write_text("""\
id: mine
version: "1"
title: t
description: d
date: 2025-01-01
rules:
  - {id: M-1, title: t, verdict: deny, severity: high, instrument: i, date: 2025-01-01,
     url: "https://example.org/", match: {producer_ids: [deepseek]}, reason: r}
examples:
  - name: should deny
    asset: {kind: ai-model, name: x, producers: [{id: deepseek, jurisdiction: CN}]}
    expect: deny
  - name: wrong on purpose
    asset: {kind: ai-model, name: y, producers: [{id: meta, jurisdiction: US}]}
    expect: deny
""")
    r = runner.invoke(make_app(), ["policy", "test", str(p)], terminal_width=200)
    assert r.exit_code == 1
    assert "PASS mine: should deny" in r.output and "FAIL mine: wrong on purpose" in r.output


def test_invalid_pack_raises_policy_error(tmp_path: Path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text("id: bad\nversion: 1\n")
    r = runner.invoke(make_app(), ["policy", "show", str(p)])
    assert isinstance(r.exception, PolicyError) and "bad.yaml:1" in str(r.exception)


def test_explain(tmp_path: Path) -> None:
    packs = load_packs(None)
    ctx = build_context(BUILTIN_PROFILES["uk-gov"], profile="uk-gov")
    assets = [deepseek_api(), qwen_weights()]
    decisions = evaluate(assets, [], [], ctx, packs)
    res = ScanResult(
        tool_version="t",
        catalog_version="c",
        target="repo",
        context=ctx,
        assets=tuple(assets),
        decisions=tuple(decisions),
        packs=tuple(PackRef(id=p.id, version=p.version) for p in packs),
    )
    f = tmp_path / "scan.json"
    f.write_text(res.model_dump_json())
    r = runner.invoke(make_app(), ["explain", assets[1].id, "--result", str(f)], terminal_width=200)
    assert r.exit_code == 0, r.output
    out = r.output
    assert "models/qwen.safetensors:3: model-ref 'Qwen/Qwen2.5-7B-Instruct'" in out
    assert "producer: alibaba (alibaba), jurisdiction CN" in out
    assert "verdict: review" in out
    assert "matched OAI-2025-T1-SELF -> review" in out
    assert "no match OAI-2025-T1-API: use mode self-hosted not in hosted-api" in out
    assert "US-KS-HB2313: context state (none) not in US-KS" in out or "rules do not apply" in out
    # lookup by exact name works too; unknown id is a PolicyError
    r = runner.invoke(make_app(), ["explain", "api.deepseek.com", "--result", str(f)], terminal_width=200)
    assert "matched OAI-2025-T1-API -> deny" in r.output
    r = runner.invoke(make_app(), ["explain", "as-nope", "--result", str(f)])
    assert isinstance(r.exception, PolicyError)
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    r = runner.invoke(make_app(), ["explain", "x", "--result", str(bad)])
    assert isinstance(r.exception, PolicyError) and "not a tierguard JSON scan result" in str(r.exception)
