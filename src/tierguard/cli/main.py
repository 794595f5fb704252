"""The ``tierguard`` command. Each sub-command lives in its own module with a ``register(app)`` function;
they are listed here explicitly (no import-time registries). Only the module of the sub-command named on
the command line is imported (``tierguard scan`` never imports the host, catalog or inspect commands); help
and unknown names register them all, so ``--help`` and typo messages are unchanged.

Exit codes: 0 nothing at or above --fail-on; 1 something is; 2 usage or configuration error.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from tierguard import __version__
from tierguard.errors import TierguardError


class TierguardGroup(TyperGroup):
    """Maps every TierguardError raised by a sub-command to exit code 2 with a clear message on stderr."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except TierguardError as exc:
            print_error(exc)
            raise typer.Exit(2) from None


def print_error(exc: Exception) -> None:
    """One line on stderr: a message may quote file names, so control characters are made visible and
    rich markup in it is escaped (never interpreted)."""
    from rich.markup import escape

    from tierguard.report._common import safe_text

    Console(stderr=True).print(
        f"[bold red]error:[/] {escape(safe_text(str(exc)))}", highlight=False, soft_wrap=True
    )


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tierguard {__version__}")
        raise typer.Exit(0)


def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print version."),
) -> None:
    """Where do we use PRC-origin AI, through which path, is it allowed here, and can we prove it?"""


HELP = "Find PRC-origin AI models, services and equipment; inspect artifacts; evaluate cited policy packs."

# sub-command name -> module under tierguard.cli that registers it (in --help order).
COMMAND_MODULES: dict[str, str] = {
    "scan": "scan_cmd",
    "catalog": "catalog_cmd",
    "policy": "policy_cmd",
    "explain": "policy_cmd",
    "inspect": "inspect_cmd",
    "host": "host_cmd",
    "cloud": "cloud_cmd",
    "estate": "estate_cmd",  # issue 14: scan every target of an estate file (execute/)
    "audit": "audit_cmd",
    "serve": "serve_cmd",  # issue 14: HTTP API and dashboard (service/)
    "diff": "diff_cmd",  # issue 14: two scans compared (report/diff.py)
    "history": "history_cmd",  # issue 14: recorded scans
    "show": "history_cmd",  # one recorded scan, reported again in any format
}


def make_app(argv: list[str] | None = None) -> typer.Typer:
    """The Typer app with the sub-command named first in ``argv`` registered, or every one when ``argv`` is
    None, names none or names an unknown command (so help and "No such command" stay complete)."""
    app = typer.Typer(
        cls=TierguardGroup,
        name="tierguard",
        help=HELP,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    app.callback()(_root)
    name = next((a for a in argv or () if not a.startswith("-")), None)
    if name in COMMAND_MODULES:
        modules = [COMMAND_MODULES[name]]
    else:
        modules = list(dict.fromkeys(COMMAND_MODULES.values()))
    for module in modules:
        importlib.import_module(f"tierguard.cli.{module}").register(app)
    return app


_FULL_APP: list[typer.Typer] = []


def __getattr__(name: str) -> Any:
    """``tierguard.cli.main.app``: the app with every sub-command (for tests and embedding), built once."""
    if name == "app":
        if not _FULL_APP:
            _FULL_APP.append(make_app())
        return _FULL_APP[0]
    raise AttributeError(name)


def main() -> None:
    app = make_app(sys.argv[1:])
    try:
        app(standalone_mode=True)
    except TierguardError as exc:
        print_error(exc)
        sys.exit(2)
