"""The console on the demo estate: grouped by verdict then asset, usages with file:line, every rule once in
the legend, mention-only assets counted (listed with --show-mentions), short enough to act on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tierguard.catalog import load_catalog
from tierguard.cli.main import app
from tierguard.model import Context, ScanResult
from tierguard.policy.packs import load_packs
from tierguard.report import console
from tierguard.report.console_decisions import mention_only
from tierguard.scanner import Scanner

ESTATE = Path(__file__).resolve().parents[2] / "examples" / "estate"


@pytest.fixture(scope="module")
def demo() -> ScanResult:
    return Scanner(load_catalog(), load_packs()).scan(
        ESTATE, Context(country="US"), display_name="examples/estate"
    )


def test_every_listed_asset_has_one_header_line_with_its_id(demo: ScanResult) -> None:
    out = console.render(demo)
    decided = {d.asset_id: d for d in demo.decisions}
    for a in demo.assets:
        if mention_only(a):
            assert a.id not in out, a.name  # collapsed into the count line
            continue
        verdict = decided[a.id].verdict.upper()
        header = re.search(rf"^  {verdict}  {re.escape(a.name)}  .*$", out, re.M)
        assert header is not None, a.name
        assert a.id in out[header.start() : header.start() + 400]


def test_denied_assets_show_their_driving_usages_first(demo: ScanResult) -> None:
    out = console.render(demo)
    block = out[out.index("  DENY  deepseek-ai/DeepSeek-R1  ") :]
    block = block[: block.index("rules:")]
    usage_lines = [ln for ln in block.splitlines() if re.match(r"^      \S+:\d+ ", ln)]
    assert usage_lines and all(" deny " in ln for ln in usage_lines[:2])  # drivers: the DeepSeek API
    assert "DeepSeek API (CN)" in usage_lines[0]
    assert "more usages: tierguard explain" in block


def test_rules_are_cited_once_in_the_legend(demo: ScanResult) -> None:
    out = console.render(demo)
    legend = out[out.index("Rules cited, by source") :]
    cited = {m.rule_id for d in demo.decisions for m in d.matches}
    for rule in cited:
        assert len(re.findall(rf"^    {re.escape(rule)} \[", legend, re.M)) == 1, rule
    assert out.count("https://openai.com/global-affairs/openai-proposals-for-the-us-ai-action-plan/") == 1


def test_mentions_are_counted_unless_asked_for(demo: ScanResult) -> None:
    hidden = [a for a in demo.assets if mention_only(a)]
    assert hidden, "the demo names models in docs only (e.g. 'Claude' in a README)"
    out = console.render(demo)
    assert re.search(rf"{len(hidden)} mention-only assets not listed", out)
    shown = console.render(demo, show_mentions=True)
    for a in hidden:
        assert a.id in shown
    assert "mention-only assets not listed" not in shown


def test_the_demo_console_fits_on_a_few_screens(demo: ScanResult) -> None:
    lines = console.render(demo).count("\n")
    assert lines <= 200, lines  # was 922 lines before assets were canonical and the console grouped


def test_cli_show_mentions_flag(tmp_path: Path) -> None:
    out = tmp_path / "report.txt"
    res = CliRunner().invoke(
        app,
        [
            "scan",
            str(ESTATE),
            "--country",
            "US",
            "-f",
            "table",
            "-o",
            str(out),
            "--show-mentions",
            "--fail-on",
            "never",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "mention-only assets not listed" not in out.read_text()
