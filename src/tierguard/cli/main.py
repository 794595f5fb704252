"""The ``tierguard`` command. Each sub-command lives in its own module with a ``register(app)`` function;
they are listed here explicitly (no import-time registries).

Exit codes: 0 nothing at or above --fail-on; 1 something is; 2 usage or configuration error.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from tierguard import __version__
from tierguard.cli import catalog_cmd, host_cmd, inspect_cmd, policy_cmd, scan_cmd
from tierguard.errors import TierguardError


class TierguardGroup(TyperGroup):
    """Maps every TierguardError raised by a sub-command to exit code 2 with a clear message on stderr."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except TierguardError as exc:
            Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None


app = typer.Typer(
    cls=TierguardGroup,
    name="tierguard",
    help="Find PRC-origin AI models, services and equipment; inspect artifacts; evaluate cited policy packs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tierguard {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print version."),
) -> None:
    """Where do we use PRC-origin AI, through which path, is it allowed here, and can we prove it?"""


for _module in (scan_cmd, catalog_cmd, policy_cmd, inspect_cmd, host_cmd):
    _module.register(app)


def main() -> None:
    try:
        app(standalone_mode=True)
    except TierguardError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
