"""``--output`` through the real CLI: checked before any work, refused with one line and exit 2 for every
destination that is not a regular file (or absent) in a writable directory; written atomically with the
mode the umask allows."""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tierguard.cli.main import app
from tierguard.errors import TierguardError
from tierguard.report.output import check_output, write_report

runner = CliRunner()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "app.py").write_text("import dashscope\n", encoding="utf-8")
    return src


def _scan(target: Path | str, output: Path | str, *extra: str) -> tuple[int, str, str]:
    res = runner.invoke(
        app, ["scan", str(target), "--format", "json", "--output", str(output), "--no-progress", *extra]
    )
    return res.exit_code, res.stdout, res.stderr


def _refused(code: int, stdout: str, stderr: str, *words: str) -> None:
    assert code == 2, (code, stdout, stderr)
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr + stdout
    assert lines[0].startswith("error: --output")
    for w in words:
        assert w in lines[0]
    # no work was done: the target does not exist, and that is not what was reported
    assert "target does not exist" not in stderr


MISSING = "/nonexistent/tierguard-target"


def test_fifo_is_refused_before_any_work(tmp_path: Path) -> None:
    fifo = tmp_path / "report.json"
    os.mkfifo(fifo)
    _refused(*_scan(MISSING, fifo), "FIFO")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_symlink_to_a_regular_file_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("keep", encoding="utf-8")
    link = tmp_path / "report.json"
    link.symlink_to(real)
    _refused(*_scan(MISSING, link), "symlink")
    assert link.is_symlink() and real.read_text(encoding="utf-8") == "keep"


def test_dangling_symlink_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "report.json"
    link.symlink_to(tmp_path / "elsewhere.json")
    _refused(*_scan(MISSING, link), "symlink")
    assert not (tmp_path / "elsewhere.json").exists()


def test_directory_is_refused(tmp_path: Path) -> None:
    d = tmp_path / "out"
    d.mkdir()
    _refused(*_scan(MISSING, d), "directory")
    assert list(d.iterdir()) == []


def test_device_is_refused() -> None:
    _refused(*_scan(MISSING, "/dev/null"), "device")


def test_socket_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        _refused(*_scan(MISSING, path), "socket")


def test_missing_parent_is_refused(tmp_path: Path) -> None:
    _refused(*_scan(MISSING, tmp_path / "no" / "such" / "report.json"), "does not exist")
    assert not (tmp_path / "no").exists()


def test_read_only_directory_is_refused(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("running as a user (root) for whom a 0555 directory is writable")
        _refused(*_scan(MISSING, ro / "report.json"), "not writable")
        assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o755)


def test_control_characters_in_the_refused_name_stay_on_one_line(tmp_path: Path) -> None:
    d = tmp_path / "a\nb[bold]\x1b[31m"
    d.mkdir()
    code, out, err = _scan(MISSING, d)
    _refused(code, out, err, "\\n", "\\x1b")


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600)])
def test_normal_write_follows_the_umask(
    tree: Path, tmp_path: Path, umask: None, mask: int, mode: int
) -> None:
    os.umask(mask)
    out = tmp_path / "report.json"
    code, _, err = _scan(tree, out, "--fail-on", "never")
    assert code == 0, err
    assert stat.S_IMODE(out.stat().st_mode) == mode
    assert out.read_text(encoding="utf-8").lstrip().startswith("{")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tierguard-")] == []


def test_existing_regular_file_is_replaced_atomically(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    out.write_text("old", encoding="utf-8")
    before = out.stat().st_ino
    code, _, err = _scan(tree, out, "--fail-on", "never")
    assert code == 0, err
    assert out.read_text(encoding="utf-8") != "old"
    assert out.stat().st_ino != before  # a new file renamed over the old one, not rewritten in place


def test_write_report_rechecks_the_destination_and_cleans_up(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    check_output(out)
    out.symlink_to(tmp_path / "victim")  # swapped in between the check and the write
    with pytest.raises(TierguardError, match="symlink"):
        write_report("{}", out)
    assert not (tmp_path / "victim").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_write_report_refuses_text_that_is_not_unicode(tmp_path: Path) -> None:
    with pytest.raises(TierguardError, match="not valid UTF-8"):
        write_report("bad \udcff", tmp_path / "r.json")
    assert list(tmp_path.iterdir()) == []
