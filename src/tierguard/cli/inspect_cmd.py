"""``tierguard inspect PATH``: static safety inspection of model artifacts (never loads them).

Exit codes: 0 clean; 1 a finding at/above --fail-on, or an artifact incomplete/not inspected while
--fail-on-incomplete is on; 2 usage errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tierguard.errors import TierguardError
from tierguard.inspect.engine import inspect_target
from tierguard.inspect.engine import target_resolver as _resolver
from tierguard.inspect.interface import InspectOutput
from tierguard.inspect.summary import FAIL_ON, exit_code, to_json
from tierguard.model import SEVERITY_ORDER

if TYPE_CHECKING:
    from rich.console import Console

_STATUS_STYLE = {"clean": "green", "findings": "red", "incomplete": "yellow", "not-inspected": "yellow"}
_SEV_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def print_output(out: InspectOutput, console: Console) -> None:
    from rich.table import Table  # the table format only

    table = Table(title="Artifacts", show_lines=False)
    for col in ("status", "format", "artifact", "reason"):
        table.add_column(col)
    for i in out.inspections:
        st = _STATUS_STYLE.get(i.status, "")
        table.add_row(f"[{st}]{i.status}[/]", i.format, i.location.display(), i.reason[:200])
    console.print(table)
    if out.findings:
        ft = Table(title="Findings")
        for col in ("severity", "rule", "where", "message"):
            ft.add_column(col, overflow="fold")
        for f in sorted(out.findings, key=lambda f: (-SEVERITY_ORDER[f.severity], f.location.path)):
            where = f.attributes.get("stream") or f.location.display()
            sev = _SEV_STYLE.get(f.severity, "")
            ft.add_row(f"[{sev}]{f.severity}[/]", f.rule_id, where, f.message)
        console.print(ft)
    for s in out.skipped:
        console.print(f"[yellow]skipped[/] {s.path}: {s.reason} {s.detail}", highlight=False)


def register(app: typer.Typer) -> None:
    @app.command("inspect")
    def inspect(
        path: Annotated[Path, typer.Argument(help="A model file or a directory of artifacts.")],
        format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
        fail_on: Annotated[str, typer.Option(help="Exit 1 at this severity or above (or 'never').")] = "high",
        fail_on_incomplete: Annotated[
            bool, typer.Option(help="Exit 1 when an artifact could not be fully inspected.")
        ] = True,
    ) -> None:
        """Statically inspect model artifacts (pickle, PyTorch, joblib, npy, zip/7z/tar, Keras, ONNX, GGUF,
        remote code). Nothing is loaded, imported or rendered."""
        if format not in ("table", "json"):
            raise typer.BadParameter(f"--format must be table or json, not {format!r}")
        if fail_on not in FAIL_ON:
            raise typer.BadParameter(f"--fail-on must be one of {', '.join(FAIL_ON)}")
        try:
            resolver = _resolver(path)
        except TierguardError as exc:
            from rich.console import Console

            Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(2) from exc
        out = inspect_target(resolver)
        out.skipped.extend(resolver.skipped())
        if format == "json":
            typer.echo(to_json(out))
        else:
            from rich.console import Console

            print_output(out, Console())
        raise typer.Exit(exit_code(out, fail_on, fail_on_incomplete))
