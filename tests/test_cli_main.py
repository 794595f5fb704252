"""The root command: only the named sub-command's module is imported; help and typos stay complete."""

from __future__ import annotations

import subprocess
import sys

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
