"""Coverage counted by reason, and ``scan --fail-on-incomplete`` (default on): what gates, what does not."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.oserrors import deny_open
from tierguard.cli.main import app
from tierguard.model import Inspection, Location, ScanResult, Skipped
from tierguard.report.coverage import coverage, is_text_name

runner = CliRunner()


def _result(skipped: tuple[Skipped, ...] = (), inspections: tuple[Inspection, ...] = ()) -> ScanResult:
    return ScanResult(
        tool_version="0", catalog_version="0", target="t", skipped=skipped, inspections=inspections
    )


def test_coverage_counts_and_gating_rule() -> None:
    res = _result(
        skipped=(
            Skipped(path="src/", reason="gitignored"),
            Skipped(path="node_modules/", reason="vendored"),
            Skipped(path="app.py", reason="permission-denied"),
            Skipped(path="README.md", reason="truncated"),
            Skipped(path="weights.bin", reason="permission-denied"),
            Skipped(path="private/", reason="permission-denied"),
            Skipped(path="pkg.whl!inner.zip", reason="nested-archive"),
            Skipped(path="notes.txt", reason="non-utf8"),
        ),
        inspections=(
            Inspection(location=Location(path="m.pt"), format="pytorch", status="incomplete", reason="x"),
            Inspection(location=Location(path="ok.pt"), format="pytorch", status="clean"),
            Inspection(location=Location(path="app.py"), format="unknown", status="not-inspected"),
        ),
    )
    cov = coverage(res)
    assert dict(cov.skipped)["permission-denied"] == 3
    assert dict(cov.inspections) == {"clean": 1, "findings": 0, "incomplete": 1, "not-inspected": 1}
    assert cov.gating == ("m.pt", "pkg.whl!inner.zip", "private/", "weights.bin")
    assert not cov.complete
    assert coverage(_result()).complete and coverage(_result()).gating == ()


@pytest.mark.parametrize(
    ("path", "text"),
    [("a/b.py", True), ("Dockerfile", True), (".env.local", True), ("x.whl!a/b.py", True),
     ("config.json", False), ("model.safetensors", False), ("dir/", False), (".", False)],
)  # fmt: skip
def test_text_names(path: str, text: bool) -> None:
    assert is_text_name(path) is text


def _scan(target: Path, *extra: str) -> tuple[int, str, str]:
    res = runner.invoke(app, ["scan", str(target), "--no-progress", *extra])
    assert "Traceback" not in res.stderr
    return res.exit_code, res.stdout, res.stderr


@pytest.fixture
def source_tree(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text("print('hello')\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("# demo\n", encoding="utf-8")
    os.mkfifo(tmp_path / "pipe")
    return tmp_path


def test_special_file_is_counted_but_does_not_gate(source_tree: Path) -> None:
    code, out, err = _scan(source_tree, "-f", "json")
    assert code == 0, err
    cov: dict[str, Any] = json.loads(out)["coverage"]
    assert cov["skipped_by_reason"] == {"special-file": 1}
    assert cov["gating_count"] == 0 and cov["complete"] is False


def test_unreadable_artifact_gates_and_the_flag_turns_it_off(source_tree: Path) -> None:
    (source_tree / "model.pt").write_bytes(os.urandom(256))  # not a valid PyTorch file: not inspected
    code, out, err = _scan(source_tree, "-f", "json")
    assert code == 1
    assert "model.pt" in json.loads(out)["coverage"]["gating_units"]
    code, _, err = _scan(source_tree, "-f", "json", "--no-fail-on-incomplete")
    assert code == 0, err
    code, _, _ = _scan(source_tree, "--fail-on", "never")  # the gate is separate from --fail-on
    assert code == 1


def test_unreadable_source_file_is_reported_but_does_not_gate(
    source_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (source_tree / "app.py").write_text("import dashscope\n", encoding="utf-8")
    deny_open(monkeypatch, "app.py")
    code, out, err = _scan(source_tree, "-f", "json")
    assert code == 0, err
    cov = json.loads(out)["coverage"]
    assert cov["skipped_by_reason"]["permission-denied"] >= 1
    assert cov["gating_count"] == 0


def test_unreadable_weights_gate(source_tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (source_tree / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    deny_open(monkeypatch, "model.safetensors")
    code, out, err = _scan(source_tree, "-f", "table")
    assert code == 1
    assert "may be unread artifacts" in out
    assert "skipped: permission-denied" in out
