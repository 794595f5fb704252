"""The root command: only the named sub-command's module is imported; help and typos stay complete."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import typer
from typer.main import get_command
from typer.testing import CliRunner

from tierguard.cli.main import COMMAND_MODULES, make_app


def _names(app: typer.Typer) -> set[str]:
    group = get_command(app)
    return set(group.commands)  # type: ignore[attr-defined]


def test_only_the_named_command_is_registered() -> None:
    assert _names(make_app(["scan", "x"])) == {"scan"}
    assert _names(make_app(["--version"])) == set(COMMAND_MODULES)
    assert _names(make_app(["explain", "TG-X"])) == {"policy", "explain"}
    assert _names(make_app(None)) == set(COMMAND_MODULES)
    assert _names(make_app(["nosuch"])) == set(COMMAND_MODULES)


def test_help_lists_every_command() -> None:
    res = CliRunner().invoke(make_app([]), ["--help"])
    assert res.exit_code == 0
    for name in COMMAND_MODULES:
        assert name in res.output


def test_scan_does_not_import_other_commands() -> None:
    code = (
        "import sys; from tierguard.cli.main import make_app; make_app(['scan', '.']); "
        "print(sorted(m for m in sys.modules if m.startswith('tierguard.cli.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "tierguard.cli.scan_cmd" in out
    for other in ("catalog_cmd", "host_cmd", "inspect_cmd", "policy_cmd"):
        assert f"tierguard.cli.{other}" not in out


def test_inspect_lean_parser_and_typer_command_agree() -> None:
    """``tierguard inspect`` runs through argparse (lean start-up); its typer twin (for --help and embedding)
    must offer exactly the same options and defaults."""
    import argparse

    from tierguard.cli.inspect_cmd import parser

    cmd = get_command(make_app(["inspect"]))
    sub = cmd.commands["inspect"]  # type: ignore[attr-defined]
    typer_opts = {}
    for p in sub.params:
        if p.param_type_name == "option":
            names = tuple(sorted(p.opts + p.secondary_opts))
            typer_opts[names] = p.default
    lean_opts = {}
    for act in parser()._actions:
        if not act.option_strings or isinstance(act, argparse._HelpAction):
            continue
        names = tuple(sorted(act.option_strings))
        lean_opts[names] = act.default
    assert lean_opts == typer_opts


def test_tierguard_inspect_lean_path_errors_and_exit_codes(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "ok.pkl").write_bytes(b"\x80\x04K\x01.")
    (tmp_path / "bad.pkl").write_bytes(b"cos\nsystem\n(S'x'\ntR.")
    code = "import sys\nfrom tierguard.cli.entry import main\nsys.argv = ['tierguard', *sys.argv[1:]]\nmain()"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-c", code, *args]
        return subprocess.run(argv, capture_output=True, text=True, timeout=120)

    assert run("inspect", str(tmp_path / "ok.pkl")).returncode == 0
    assert run("inspect", str(tmp_path / "bad.pkl")).returncode == 1
    missing = run("inspect", str(tmp_path / "nope.pkl"))
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "does not exist" in missing.stderr
    assert run("inspect", str(tmp_path), "--format", "xml").returncode == 2
    out = run("inspect", str(tmp_path), "-o", str(tmp_path))  # a directory: refused before any work
    assert out.returncode == 2 and "directory" in out.stderr
    assert "Usage" in run("inspect", "--help").stdout  # help goes to the typer app
