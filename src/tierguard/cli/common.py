"""What every command shares: the report formats and ``--output`` (checked before any work starts), the
progress display, running the Scanner, printing or writing the ScanResult, and the exit codes.

Exit codes: 0 nothing at or above the threshold; 1 something is (or, with ``--fail-on-incomplete``, a gap
that gates: see :mod:`tierguard.report.coverage`); 2 usage or configuration error (one line on stderr).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tierguard.model import VERDICT_ORDER, ScanResult

if TYPE_CHECKING:
    from rich.console import Console

    from tierguard.scanner import ProgressFn

FORMAT_NAMES = ("table", "json", "sarif", "cyclonedx", "html", "csv")
FORMAT_HELP = "table | json | sarif | cyclonedx | html | csv (one row per usage to act on)."
VERDICT_FAIL_ON = ("allow", "review", "deny", "never")
SEVERITY_FAIL_ON = ("info", "low", "medium", "high", "critical", "never")  # = inspect.gate.FAIL_ON


def check_choice(value: str, choices: tuple[str, ...], hint: str) -> None:
    """A usage error (exit 2) unless ``value`` is one of ``choices``. typer is imported only to raise it
    (the lean inspect path never loads typer)."""
    if value not in choices:
        import typer

        raise typer.BadParameter(f"must be one of {', '.join(choices)}, not {value!r}", param_hint=hint)


def prepare_output(fmt: str, output: Path | None) -> Path | None:
    """Validate ``--format`` and check ``--output`` before any work starts (see report.output)."""
    check_choice(fmt, FORMAT_NAMES, "--format")
    if output is None:
        return None
    from tierguard.report.output import check_output

    return check_output(output)


def run_with_progress(work: Callable[[ProgressFn | None], ScanResult], enabled: bool) -> ScanResult:
    """Run ``work`` with a progress display on stderr when ``enabled`` and stderr is a terminal."""
    if not enabled or not sys.stderr.isatty():
        return work(None)
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[current]}", style="dim"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("scanning", total=None, current="")

        def on_file(stage: str, path: str) -> None:
            bar.update(task, advance=1, description=stage, current=path[-60:])

        return work(on_file)


def emit(
    result: ScanResult,
    fmt: str,
    output: Path | None,
    *,
    console_printer: Callable[[ScanResult, Console], None] | None = None,
    show_mentions: bool = False,
) -> None:
    """Print the report (``table`` on a terminal goes through ``console_printer``, default the console
    report, which shows each command's view) or write it atomically to ``output``. ``show_mentions``: the
    console/table view lists mention-only assets instead of counting them."""
    if fmt == "table" and output is None:
        from rich.console import Console

        if console_printer is None:
            from tierguard.report.console import print_result

            print_result(result, Console(), show_mentions=show_mentions)
            return
        console_printer(result, Console())
        return
    from tierguard.report import FORMATS

    if fmt == "table":
        from tierguard.report.console import render

        text = render(result, show_mentions=show_mentions)
    else:
        text = FORMATS[fmt](result)
    if output is not None:
        from tierguard.report.output import write_report

        write_report(text, output)
        from rich.console import Console

        from tierguard.report._common import display_path

        Console(stderr=True).print(
            f"wrote {fmt} report to {display_path(str(output))}", highlight=False, markup=False
        )
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def verdict_exit(result: ScanResult, fail_on: str, fail_on_incomplete: bool) -> int:
    """``scan``/``host``: 1 when a decision is at or above ``fail_on`` (``never``: none is), or a gap gates
    while ``fail_on_incomplete``; else 0."""
    if fail_on != "never":
        threshold = VERDICT_ORDER[fail_on]
        if any(VERDICT_ORDER[d.effective_verdict] >= threshold for d in result.decisions):
            return 1
    if not fail_on_incomplete:
        return 0
    from tierguard.report.coverage import coverage

    n = len(coverage(result).gating)  # units that may be artifacts and could not be fully read
    if n:
        sys.stderr.write(
            f"tierguard: exit 1: {n} unit(s) that may be model artifacts, configs or containers could not be "
            "fully read (see 'coverage'; --no-fail-on-incomplete to ignore)\n"
        )
        return 1
    return 0


def severity_exit(result: ScanResult, fail_on: str, fail_on_incomplete: bool) -> int:
    """``inspect``: 1 when a finding is at or above ``fail_on``, or an artifact was not fully inspected while
    ``fail_on_incomplete``; else 0."""
    from tierguard.inspect.gate import exit_code

    return exit_code(result, fail_on, fail_on_incomplete)
