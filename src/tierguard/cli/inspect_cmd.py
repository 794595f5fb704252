"""``tierguard inspect PATH``: the inspect stage of the Scanner over a file, directory or archive (nothing
is loaded, imported or rendered), reported like every other command.

Exit codes: 0 nothing at or above --fail-on; 1 a finding at/above --fail-on, or an artifact incomplete/not
inspected while --fail-on-incomplete is on; 2 usage errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tierguard.cli.common import (
    FORMAT_HELP,
    SEVERITY_FAIL_ON,
    check_choice,
    emit,
    prepare_output,
    run_with_progress,
    severity_exit,
)
from tierguard.model import SEVERITY_ORDER, Context, ScanResult
from tierguard.scanner import INSPECT_VIEW, Scanner

if TYPE_CHECKING:
    from rich.console import Console

_STATUS_STYLE = {"clean": "green", "findings": "red", "incomplete": "yellow", "not-inspected": "yellow"}
_SEV_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def inspect_path(path: Path, progress: bool = False) -> ScanResult:
    """Run the inspect view of the Scanner over ``path``."""
    return run_with_progress(
        lambda on_file: Scanner().scan(path, Context(), options=INSPECT_VIEW, progress=on_file), progress
    )


def print_output(result: ScanResult, console: Console) -> None:
    """The console view of an inspection: artifacts with their status, findings by severity, skipped."""
    from rich.markup import escape
    from rich.table import Table  # the table format only

    from tierguard.report._common import display_path

    table = Table(title="Artifacts", show_lines=False)
    for col in ("status", "format", "artifact", "reason"):
        table.add_column(col)
    for i in result.inspections:
        st = _STATUS_STYLE.get(i.status, "")
        table.add_row(
            f"[{st}]{i.status}[/]",
            i.format,
            escape(display_path(i.location.display())),
            escape(i.reason[:200]),
        )
    console.print(table)
    if result.findings:
        ft = Table(title="Findings")
        for col in ("severity", "rule", "where", "message"):
            ft.add_column(col, overflow="fold")
        for f in sorted(result.findings, key=lambda f: (-SEVERITY_ORDER[f.severity], f.location.path)):
            where = f.attributes.get("stream") or f.location.display()
            sev = _SEV_STYLE.get(f.severity, "")
            ft.add_row(f"[{sev}]{f.severity}[/]", f.rule_id, escape(display_path(where)), escape(f.message))
        console.print(ft)
    for s in result.skipped:
        console.print(f"skipped {display_path(s.path)}: {s.reason} {s.detail}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    @app.command("inspect")
    def inspect(
        path: Annotated[Path, typer.Argument(help="A model file, an archive or a directory of artifacts.")],
        fmt: Annotated[str, typer.Option("--format", "-f", help=FORMAT_HELP)] = "table",
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Write the report to FILE.")
        ] = None,
        fail_on: Annotated[str, typer.Option(help="Exit 1 at this severity or above (or 'never').")] = "high",
        fail_on_incomplete: Annotated[
            bool, typer.Option(help="Exit 1 when an artifact could not be fully inspected.")
        ] = True,
        progress: Annotated[bool, typer.Option(help="Show a progress display on stderr.")] = True,
    ) -> None:
        """Statically inspect model artifacts (pickle, PyTorch, joblib, npy, zip/7z/tar, Keras, ONNX, GGUF,
        remote code). Nothing is loaded, imported or rendered."""
        check_choice(fail_on, SEVERITY_FAIL_ON, "--fail-on")
        out_path = prepare_output(fmt, output)
        result = inspect_path(path, progress)
        emit(result, fmt, out_path, console_printer=print_output)
        raise typer.Exit(severity_exit(result, fail_on, fail_on_incomplete))
