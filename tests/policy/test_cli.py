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
    assert "US-NDAA23-5949 [deny/high, statute, binding]" in r.output and "in force: 2027-12-23" in r.output
    assert "https://www.fcc.gov/supplychain/coveredlist" in r.output
    r = runner.invoke(app, ["policy", "test", "us-gov-devices"], terminal_width=200)
    assert r.exit_code == 0 and "18/18 examples passed" in r.output


def test_policy_test_fails_on_wrong_expectation(tmp_path: Path) -> None:
    p = tmp_path / "mine.yaml"
    p.write_text("""\
id: mine
version: "1"
title: t
description: d
date: 2025-01-01
rules:
  - {id: M-1, title: t, verdict: deny, severity: high, instrument: i, status: directive, date: 2025-01-01,
     url: "https://example.org/policy/1", match: {producer_ids: [deepseek]}, reason: r}
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


def _deepseek_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "client.py").write_text(
        'from openai import OpenAI\nclient = OpenAI(base_url="https://api.deepseek.com", api_key="x")\n'
        'r = client.chat.completions.create(model="deepseek-chat", messages=[])\n'
    )
    return repo


def test_scan_binding_only_and_network_flags(tmp_path: Path) -> None:
    import json

    from tierguard.cli.main import make_app as main_app

    repo = _deepseek_repo(tmp_path)
    base = ["scan", str(repo), "--no-progress", "-f", "json", "--date", "2026-12-10"]
    uk = [*base, "--country", "GB", "--sector", "government"]
    out = tmp_path / "plain.json"
    r = runner.invoke(main_app([]), [*uk, "-o", str(out)])
    assert r.exit_code == 1, r.output  # the proposal denies
    plain = json.loads(out.read_text())
    deny = [d for d in plain["decisions"] if d["verdict"] == "deny"]
    assert deny and {m["citation"]["status"] for d in deny for m in d["matches"]} == {"proposal"}
    assert not [n for n in plain["notes"] if n.startswith("--binding-only")]

    out = tmp_path / "binding.json"
    r = runner.invoke(main_app([]), [*uk, "--binding-only", "-o", str(out)])
    assert r.exit_code == 0, r.output  # nothing binding bars it in the UK
    bound = json.loads(out.read_text())
    assert bound["context"]["binding_only"] is True
    (note,) = [n for n in bound["notes"] if n.startswith("--binding-only")]
    assert "proposal" in note and "OAI-2025-T1-API" in note
    assert {d["verdict"] for d in bound["decisions"]} == {"allow"}

    out = tmp_path / "dod.json"
    us = [*base, "--country", "US", "--sector", "government", "--network", "dod-network", "--binding-only"]
    r = runner.invoke(main_app([]), [*us, "-o", str(out)])
    assert r.exit_code == 1, r.output
    dod = json.loads(out.read_text())
    assert dod["context"]["network"] == "dod-network"
    rules = {m["rule_id"] for d in dod["decisions"] for m in d["matches"]}
    assert "US-NDAA26-1532-DEEPSEEK" in rules and not any(x.startswith(("OAI-", "US-BILL-")) for x in rules)


def test_host_accepts_network_and_binding_only(tmp_path: Path) -> None:
    from tierguard.cli.main import make_app as main_app

    inv = tmp_path / "inv.csv"
    inv.write_text("host,vendor,model\nsw1,Huawei,CloudEngine 6881\n")
    out = tmp_path / "host.json"
    args = ["host", "--inventory", str(inv), "--country", "US", "--sector", "government"]
    r = runner.invoke(
        main_app([]), [*args, "--network", "dod-network", "--binding-only", "-f", "json", "-o", str(out)]
    )
    assert r.exit_code == 0, r.output
    import json

    res = json.loads(out.read_text())
    assert res["context"]["network"] == "dod-network" and res["context"]["binding_only"] is True
    assert any(n.startswith("--binding-only") for n in res["notes"])
