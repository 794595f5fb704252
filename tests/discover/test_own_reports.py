"""tierguard's own reports inside a scanned tree are skipped with a reason, not scanned as new uses: a
committed baseline must not turn an unchanged tree into new denies. Documents that only resemble them (or
that carry a real provider host next to tierguard-like keys) are still scanned."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tierguard.catalog import load_catalog
from tierguard.discover.own_reports import own_report
from tierguard.model import Context, ScanResult
from tierguard.policy.packs import load_packs
from tierguard.report import FORMATS
from tierguard.report.diff import diff
from tierguard.report.diff_render import render_json as render_diff_json
from tierguard.scanner import Scanner

CTX = Context(country="GB", sector="government")
APP = 'from openai import OpenAI\nc = OpenAI(base_url="https://api.deepseek.com")\nc.chat.completions.create(model="deepseek-chat")\n'


def _scan(root: Path) -> ScanResult:
    return Scanner(load_catalog(), load_packs()).scan(root, CTX, display_name="repo")


def _verdicts(result: ScanResult) -> dict[str, str]:
    names = {a.id: a.name for a in result.assets}
    return {names[d.asset_id]: d.verdict for d in result.decisions}


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "app.py").write_text(APP)
    return root


def test_reports_committed_in_the_tree_are_skipped_with_a_reason(repo: Path) -> None:
    first = _scan(repo)
    assert "deny" in _verdicts(first).values()
    reports = {
        "baseline.json": FORMATS["json"](first),
        "results.sarif": FORMATS["sarif"](first),  # not a name any detector reads
        "results.sarif.json": FORMATS["sarif"](first),
        "bom.cdx.json": FORMATS["cyclonedx"](first),
        "changes.json": render_diff_json(diff(first, first)),
    }
    for name, text in reports.items():
        assert own_report(text.encode()) is not None, name
        (repo / name).write_text(text)
    second = _scan(repo)
    assert _verdicts(second) == _verdicts(first)
    assert {e.location.path for e in second.evidence} == {e.location.path for e in first.evidence}
    skipped = {s.path: s.reason for s in second.skipped}
    for name in reports:
        if name.endswith(".json"):
            assert skipped.get(name) == "tierguard-report", (name, second.skipped)


@pytest.mark.parametrize(
    "doc",
    [
        # a config that merely has a schema_version key and a provider host
        {"schema_version": "1.0.0", "base_url": "https://api.deepseek.com", "model": "deepseek-chat"},
        # tierguard-like keys, in another order, beside a real use
        {"tool_version": "0.1.0", "schema_version": "3.0.0", "base_url": "https://api.deepseek.com"},
        # a SARIF log of another tool that quotes the host
        {
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{"tool": {"driver": {"name": "other"}}, "base_url": "https://api.deepseek.com"}],
        },
    ],
)
def test_look_alikes_are_still_scanned(tmp_path: Path, doc: dict[str, object]) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "config.json").write_text(json.dumps(doc, indent=2))
    assert own_report((root / "config.json").read_bytes()) is None
    result = _scan(root)
    assert not [s for s in result.skipped if s.reason == "tierguard-report"]
    assert any(e.location.path == "config.json" for e in result.evidence), result.evidence


def test_only_json_and_sarif_names_are_recognised(repo: Path) -> None:
    text = FORMATS["json"](_scan(repo))
    (repo / "settings.yaml").write_text(text)  # JSON is YAML: a report under another name is scanned
    result = _scan(repo)
    assert not [s for s in result.skipped if s.reason == "tierguard-report"]
    assert any(e.location.path == "settings.yaml" for e in result.evidence)
