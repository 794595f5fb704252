"""One engine, one result: ``scan``, ``inspect`` and ``host`` are views on the same Scanner; each accepts
every report format and ``--output``, and their JSON validates against the one versioned ScanResult
schema."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from tests.equipment.fakes import huawei_host
from tests.schema_validators import cyclonedx_validator, sarif_validator, schema_errors
from tierguard.cli.main import make_app
from tierguard.model import SCHEMA_VERSION, Context
from tierguard.report import json_report
from tierguard.report.json_report import load_schema
from tierguard.scanner import InventoryInput, Scanner, ScanOptions

FORMATS = ("table", "json", "sarif", "cyclonedx", "html")
EVIL_PICKLE = b"cos\nsystem\n(S'echo pwned'\ntR."  # protocol 0: os.system('echo pwned'); never loaded
runner = CliRunner()


def _code_tree(root: Path) -> Path:
    root.mkdir()
    (root / "app.py").write_text(
        'from openai import OpenAI\nclient = OpenAI(base_url="https://api.deepseek.com")\n', encoding="utf-8"
    )
    (root / "model.pkl").write_bytes(EVIL_PICKLE)
    return root


def _args(command: str, tmp_path: Path) -> list[str]:
    if command == "scan":
        return ["scan", str(_code_tree(tmp_path / "repo")), "--country", "GB", "--sector", "government"]
    if command == "inspect":
        return ["inspect", str(_code_tree(tmp_path / "repo"))]
    root = tmp_path / "root"
    huawei_host(root)
    return ["host", "--root", str(root), "--country", "US", "--sector", "government"]


def _check(fmt: str, text: str) -> None:
    if fmt == "json":
        doc = json.loads(text)
        jsonschema.Draft202012Validator(load_schema()).validate(doc)
        assert doc["schema_version"] == SCHEMA_VERSION
        json_report.load(text)  # reads back into the model (paths decoded, derived coverage dropped)
    elif fmt == "sarif":
        assert schema_errors(sarif_validator(), json.loads(text)) == []
    elif fmt == "cyclonedx":
        assert schema_errors(cyclonedx_validator(), json.loads(text)) == []
    elif fmt == "html":
        assert text.startswith("<!DOCTYPE html>") and "<script" not in text
    else:
        assert "tierguard" in text


@pytest.mark.parametrize("command", ["scan", "inspect", "host"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_command_writes_every_format(command: str, fmt: str, tmp_path: Path) -> None:
    out = tmp_path / f"report.{fmt}"
    res = runner.invoke(
        make_app([command]), [*_args(command, tmp_path), "--format", fmt, "--output", str(out)]
    )
    assert res.exit_code in (0, 1), res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    _check(fmt, out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("command", ["scan", "inspect", "host"])
def test_json_names_the_command_and_stages(command: str, tmp_path: Path) -> None:
    res = runner.invoke(make_app([command]), [*_args(command, tmp_path), "--format", "json"])
    doc = json.loads(res.stdout)
    assert doc["command"] == command
    expected = {
        "scan": ["discover", "identify", "inspect", "policy"],
        "inspect": ["inspect"],
        "host": ["equipment", "apps", "policy"],  # an osquery log is read for hardware and app tables
    }[command]
    assert doc["stages"] == expected


def test_inspect_and_scan_agree_on_the_finding(tmp_path: Path) -> None:
    """The inspect view and the full scan run the same inspect stage: same finding, same id."""
    repo = _code_tree(tmp_path / "repo")
    full = Scanner(packs=()).scan(repo, Context(), options=ScanOptions(policy=False))
    view = Scanner().scan(
        repo, Context(), options=ScanOptions(discover=False, artifacts=False, policy=False, command="inspect")
    )
    assert {(f.id, f.rule_id, f.subject) for f in view.findings} == {
        (f.id, f.rule_id, f.subject) for f in full.findings
    }
    assert ("TG-PKL-001", "os.system") in {(f.rule_id, f.subject) for f in view.findings}


def test_inventories_and_target_in_one_result(tmp_path: Path) -> None:
    """``scan --osquery`` and ``host`` read inventories through the same stage."""
    root = tmp_path / "root"
    huawei_host(root)
    host = Scanner().scan(
        None, Context(), inventories=[InventoryInput("host", root)], options=ScanOptions(command="host")
    )
    assert host.stages == ("equipment", "apps") and host.stats.hosts == 1 and host.stats.hosts_with_prc == 1
    repo = _code_tree(tmp_path / "repo")
    both = Scanner(packs=()).scan(repo, Context(), inventories=[InventoryInput("host", root)])
    kinds = {a.kind for a in both.assets}
    assert {"ai-service", "hardware-device"} <= kinds


def test_python_m_inspect_writes_the_same_result(tmp_path: Path) -> None:
    repo = _code_tree(tmp_path / "repo")
    proc = subprocess.run(
        [sys.executable, "-m", "tierguard.inspect", str(repo)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    jsonschema.Draft202012Validator(load_schema()).validate(doc)
    assert doc["command"] == "inspect" and doc["findings"][0]["subject"] == "os.system"


def test_discovery_only_view_does_not_open_archives_and_says_so(tmp_path: Path) -> None:
    import zipfile

    repo = tmp_path / "repo"
    repo.mkdir()
    with zipfile.ZipFile(repo / "bundle.zip", "w") as z:
        z.writestr("pkg/evil.pkl", EVIL_PICKLE)
        z.writestr("pkg/app.py", 'URL = "https://api.deepseek.com"\n')
    full = Scanner(packs=()).scan(repo, Context(), options=ScanOptions(policy=False))
    assert "bundle.zip!pkg/app.py" in {e.location.display().split(":")[0] for e in full.evidence}
    assert any(f.subject == "os.system" for f in full.findings)
    lean = Scanner(packs=()).scan(repo, Context(), options=ScanOptions(artifacts=False, inspect=False))
    assert not lean.evidence and not lean.findings
    assert any("archives inside the target were not opened" in n for n in lean.notes)
