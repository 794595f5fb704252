"""Fail closed on context: with no deployment context, assets with a PRC producer, operator or base model
are review ("no deployment context given"), never allow; every format says at the top that the
context-dependent packs were not evaluated; the scanned repository's own tierguard.toml cannot set the
context unless trusted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import deepseek_api, mk_asset  # type: ignore[import-not-found]
from typer.testing import CliRunner

from tierguard.cli.main import app
from tierguard.model import Context, ScanResult
from tierguard.policy import NO_CONTEXT
from tierguard.policy.engine import evaluate
from tierguard.policy.explain import no_context_note, trace
from tierguard.policy.packs import Pack, load_packs
from tierguard.report import console, cyclonedx, html, json_report, sarif

ESTATE = Path(__file__).resolve().parents[2] / "examples" / "estate"
PRC = {"CN", "HK", "MO"}
runner = CliRunner()


def _prc(asset: object) -> bool:
    prov = asset.provenance  # type: ignore[attr-defined]
    jurs = {p.jurisdiction for p in prov.producers} | {prov.service_jurisdiction}
    jurs |= {e.base_producer.jurisdiction for e in prov.lineage if e.base_producer is not None}
    if prov.service_operator is not None:
        jurs.add(prov.service_operator.jurisdiction)
    return bool(jurs & PRC)


@pytest.mark.parametrize(
    "asset",
    [
        deepseek_api(),
        mk_asset("ai-model", "qwen2.5:7b", "self-hosted", producer=("alibaba", "CN")),
        mk_asset("ai-model", "acme/ft", "self-hosted", producer=("acme", "US"), base=("alibaba", "CN")),
        mk_asset("ai-model", "llama3.1:8b", "self-hosted", producer=("meta", "US"), service="HK"),
        mk_asset("sdk-dependency", "pypi:dashscope", "dependency", producer=("alibaba", "CN")),
    ],
    ids=["hosted-api", "self-hosted", "lineage", "hk-operator", "sdk"],
)
def test_prc_asset_without_context_is_review_never_allow(packs: list[Pack], asset: object) -> None:
    (d,) = evaluate([asset], [], [], Context(), packs)  # type: ignore[list-item]
    assert d.verdict == "review"
    (m,) = [m for m in d.matches if m.rule_id == "CTX-NONE-PRC"]
    assert m.reason.startswith(NO_CONTEXT) and m.verdict == "review"
    assert m.citation.url == "docs/policy.md#no-deployment-context"


def test_non_prc_asset_without_context_stays_allow(packs: list[Pack]) -> None:
    gpt = mk_asset("ai-service", "api.openai.com", "hosted-api", producer=("openai", "US"), service="US")
    (d,) = evaluate([gpt], [], [], Context(), packs)
    assert d.verdict == "allow" and not d.matches


def test_with_a_context_the_fail_closed_rule_does_not_apply(packs: list[Pack]) -> None:
    qwen = mk_asset("ai-model", "qwen2.5:7b", "self-hosted", producer=("alibaba", "CN"))
    for ctx in (Context(country="GB"), Context(country="US", state="US-TX"), Context(country="SG")):
        (d,) = evaluate([qwen], [], [], ctx, packs)
        assert "CTX-NONE-PRC" not in {m.rule_id for m in d.matches}
        assert no_context_note(ctx, packs) is None
    rows = {t.rule_id: t for t in trace(qwen, [], [], Context(country="GB"), packs)}
    assert rows["CTX-NONE-PRC"].status == "not-applicable"
    assert "a deployment context was given" in rows["CTX-NONE-PRC"].why
    # a context with only a sector names no jurisdiction: still no deployment context
    (d,) = evaluate([qwen], [], [], Context(sector="government"), packs)
    assert d.verdict == "review" and "CTX-NONE-PRC" in {m.rule_id for m in d.matches}


def test_reporters_look_for_the_policy_stage_text() -> None:
    from tierguard.report import _common

    assert _common.NO_CONTEXT == NO_CONTEXT


def test_load_packs_adds_the_fail_closed_pack_with_jurisdictional_packs_only() -> None:
    assert "no-context" in [p.id for p in load_packs(["us-gov-devices"])]
    assert "no-context" in [p.id for p in load_packs(["intl-gov-devices"])]
    assert [p.id for p in load_packs(["artifact-safety"])] == ["artifact-safety"]  # needs no context
    note = no_context_note(Context(), load_packs(["us-gov-devices"]))
    assert note is not None and note.startswith(NO_CONTEXT)
    assert "us-gov-devices" in note and "CTX-NONE-PRC" in note
    assert no_context_note(Context(), load_packs(["artifact-safety"])) is None


# ---------------------------------------------------------------------------------------------- the demo


@pytest.fixture(scope="module")
def no_context(tmp_path_factory: pytest.TempPathFactory) -> tuple[ScanResult, int]:
    out = tmp_path_factory.mktemp("nocx") / "scan.json"
    res = runner.invoke(app, ["scan", str(ESTATE), "-f", "json", "-o", str(out), "--no-progress"])
    return json_report.load(out.read_text()), res.exit_code


def test_demo_estate_without_context_allows_no_prc_asset_and_names_the_reason(
    no_context: tuple[ScanResult, int],
) -> None:
    result, exit_code = no_context
    decisions = {d.asset_id: d for d in result.decisions}
    prc = [a for a in result.assets if _prc(a)]
    assert len(prc) >= 10, "the demo estate is full of PRC-origin assets"
    for a in prc:
        d = decisions[a.id]
        assert d.verdict != "allow", a.name
        assert any(m.reason.startswith(NO_CONTEXT) for m in d.matches), a.name
    # the default --fail-on deny: exit 0, but the result says review, visibly
    assert result.worst_verdict() == "review" and exit_code == 0
    res = runner.invoke(app, ["scan", str(ESTATE), "--fail-on", "review", "--no-progress"])
    assert res.exit_code == 1


def _first_lines(text: str, n: int) -> str:
    return "\n".join(text.splitlines()[:n])


def test_every_format_says_at_the_top_that_context_dependent_packs_were_not_evaluated(
    no_context: tuple[ScanResult, int],
) -> None:
    result, _ = no_context
    want = "context-dependent packs were not evaluated"
    (note,) = [n for n in result.notes if n.startswith(NO_CONTEXT)]
    assert want in note and "openai-2025-03-proposal" in note
    # console: a header line, before the target line
    text = console.render(result)
    head = text[: text.index("target:")]
    assert "WARNING: no deployment context given" in head and want in " ".join(head.split())
    # JSON: the notes
    data = json.loads(json_report.render(result))
    assert any(n.startswith(NO_CONTEXT) and want in n for n in data["notes"])
    # SARIF: run properties and the first tool notification
    run = json.loads(sarif.render(result))["runs"][0]
    assert run["properties"]["contextWarning"] == note
    first = run["invocations"][0]["toolExecutionNotifications"][0]
    assert first["descriptor"]["id"] == "tierguard/no-deployment-context" and first["message"]["text"] == note
    # CycloneDX: the first metadata property
    meta = json.loads(cyclonedx.render(result))["metadata"]["properties"][0]
    assert meta == {"name": "tierguard:no-deployment-context", "value": note}
    # HTML: a banner right under the title, before the summary
    page = html.render(result)
    banner = page.index('id="context-warning"')
    assert page.index("<h1>") < banner < page.index('id="summary"')
    assert want in page[banner : page.index("</p>", banner)]


def test_with_a_context_no_format_carries_the_warning() -> None:
    from tierguard.catalog import load_catalog
    from tierguard.scanner import Scanner

    result = Scanner(load_catalog(), load_packs()).scan(ESTATE, Context(country="GB", sector="government"))
    assert not any(n.startswith(NO_CONTEXT) for n in result.notes)
    assert "WARNING" not in _first_lines(console.render(result), 6)
    assert "contextWarning" not in json.loads(sarif.render(result))["runs"][0]["properties"]
    assert 'id="context-warning"' not in html.render(result)
    assert not any(m.rule_id == "CTX-NONE-PRC" for d in result.decisions for m in d.matches), (
        "the fail-closed rule applies only without a context"
    )


# ---------------------------------------------------------------------------------------------- target toml

APP = 'from openai import OpenAI\nclient = OpenAI(base_url="https://api.deepseek.com")\n'


def _scan_json(target: Path, out: Path, *extra: str) -> tuple[dict, int]:  # type: ignore[type-arg]
    res = runner.invoke(app, ["scan", str(target), "-f", "json", "-o", str(out), "--no-progress", *extra])
    assert res.exit_code in (0, 1), res.output
    return json.loads(out.read_text()), res.exit_code


def _verdicts(data: dict) -> dict[str, str]:  # type: ignore[type-arg]
    names = {a["id"]: a["name"] for a in data["assets"]}
    return {names[d["asset_id"]]: d["verdict"] for d in data["decisions"]}


def test_target_toml_declaring_cn_changes_nothing_unless_trusted(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "app.py").write_text(APP)
    base, _ = _scan_json(plain, tmp_path / "plain.json")

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text(APP)
    (repo / "tierguard.toml").write_text('fail_on = "never"\n[context]\ncountry = "CN"\nsector = "general"\n')
    got, code = _scan_json(repo, tmp_path / "repo.json")
    assert got["context"]["country"] is None
    assert _verdicts(got) == _verdicts(base) and "review" in _verdicts(got).values()
    assert any("ignored the scanned target's tierguard.toml entirely" in n for n in got["notes"])
    assert any(n.startswith(NO_CONTEXT) for n in got["notes"])
    assert code == 0  # the default --fail-on deny; "never" from the target was not used either

    trusted, _ = _scan_json(repo, tmp_path / "trusted.json", "--trust-target-config")
    assert trusted["context"]["country"] == "CN"
    assert any("trusted the scanned target's tierguard.toml" in n for n in trusted["notes"])
    assert not any(n.startswith(NO_CONTEXT) for n in trusted["notes"])
    matched = {m["rule_id"] for d in trusted["decisions"] for m in d["matches"]}
    assert "CTX-NONE-PRC" not in matched  # the trusted context took effect

    via_config, _ = _scan_json(repo, tmp_path / "cfg.json", "--config", str(repo / "tierguard.toml"))
    assert via_config["context"]["country"] == "CN"  # --config FILE is the normal way
