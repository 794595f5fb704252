"""DirectoryResolver: ``strict`` raises on the first unreadable unit; names carried losslessly; special
files recorded."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.oserrors import deny_open
from tierguard.errors import TargetError
from tierguard.targets.directory import DirectoryResolver


def test_strict_read_error_raises_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    deny_open(monkeypatch, "a.py")
    lenient = DirectoryResolver(tmp_path)
    ref = next(lenient.files())
    with pytest.raises(PermissionError):  # recorded by the stages as skipped
        lenient.read_bytes(ref, 10)
    strict = DirectoryResolver(tmp_path, strict=True)
    with pytest.raises(TargetError, match=r"--strict: cannot read a\.py: Permission denied") as info:
        strict.read_bytes(next(strict.files()), 10)
    assert "\n" not in str(info.value)


def test_strict_unlistable_directory_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sub").mkdir()
    real = os.scandir

    def fake(path: Any) -> Any:
        if os.fspath(path).endswith("sub"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", fake)
    lenient = DirectoryResolver(tmp_path)
    assert list(lenient.files()) == []
    assert [(s.path, s.reason) for s in lenient.skipped()] == [("sub/", "permission-denied")]
    with pytest.raises(TargetError, match="sub/"):
        list(DirectoryResolver(tmp_path, strict=True).files())


def test_fifo_is_recorded_not_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    r = DirectoryResolver(tmp_path, strict=True)  # a scope exclusion, never an error
    assert list(r.files()) == []
    assert [(s.path, s.reason, s.detail) for s in r.skipped()] == [("pipe", "special-file", "FIFO, not read")]


def test_undecodable_name_round_trips(tmp_path: Path) -> None:
    raw = b"bad\xff\n.py"
    with open(os.path.join(os.fsencode(tmp_path), raw), "wb") as fh:
        fh.write(b"import dashscope\n")
    r = DirectoryResolver(tmp_path)
    ref = next(r.files())
    assert ref.path.encode("utf-8", "surrogateescape") == raw
    assert r.read_bytes(ref, 100) == b"import dashscope\n"


def test_scan_strict_through_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``tierguard scan --strict`` stops at the first read error (exit 2, one line); without it the file is
    recorded as skipped and the scan goes on."""
    from typer.testing import CliRunner

    from tierguard.cli.main import make_app

    (tmp_path / "a.py").write_text('URL = "https://api.deepseek.com"\n', encoding="utf-8")
    (tmp_path / "b.py").write_text("x = 1\n", encoding="utf-8")
    deny_open(monkeypatch, "b.py")
    runner = CliRunner()
    res = runner.invoke(make_app(["scan"]), ["scan", str(tmp_path), "--format", "json", "--no-progress"])
    assert res.exit_code in (0, 1), res.output
    assert '"reason": "permission-denied"' in res.stdout
    res = runner.invoke(make_app(["scan"]), ["scan", str(tmp_path), "--strict", "--no-progress"])
    assert res.exit_code == 2
    assert "--strict: cannot read b.py" in res.output and "Traceback" not in res.output
