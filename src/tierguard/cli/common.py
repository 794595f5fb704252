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

    from tierguard.report.diff import ScanDiff
    from tierguard.scanner import ProgressFn
    from tierguard.store.interface import Store

FORMAT_NAMES = ("table", "json", "sarif", "cyclonedx", "html", "csv", "spdx")
FORMAT_HELP = (
    "table | json | sarif | cyclonedx | html | csv (one row per usage to act on) | "
    "spdx (SPDX 3.0.1, AI profile)."
)
VERDICT_FAIL_ON = ("allow", "review", "deny", "never")
SEVERITY_FAIL_ON = ("info", "low", "medium", "high", "critical", "never")  # = inspect.gate.FAIL_ON


def check_choice(value: str, choices: tuple[str, ...], hint: str) -> None:
    """A usage error (exit 2) unless ``value`` is one of ``choices``. typer is imported only to raise it
    (the lean inspect path never loads typer)."""
    if value not in choices:
        import typer

        raise typer.BadParameter(f"must be one of {', '.join(choices)}, not {value!r}", param_hint=hint)


def prepare_output(fmt: str, output: Path | None, formats: tuple[str, ...] = FORMAT_NAMES) -> Path | None:
    """Validate ``--format`` and check ``--output`` before any work starts (see report.output)."""
    check_choice(fmt, formats, "--format")
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
    write_text(text, fmt, output)


def write_text(text: str, fmt: str, output: Path | None) -> None:
    """Write a rendered report atomically to ``output`` (one line on stderr says so), or to stdout."""
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


# ---------------------------------------------------------------------------------------------------------
# Recorded scans and result files: ``diff``, ``history`` and ``scan --record/--baseline``

MAX_RESULT_BYTES = 512 * 1024 * 1024  # a JSON result file larger than this is refused (bounded read)
STORE_HELP = (
    "Store URL (sqlite:///PATH or postgresql+psycopg://...); default: $TIERGUARD_STORE, else the per-user "
    "SQLite store (~/.local/share/tierguard/tierguard.db on Linux)."
)


def is_scan_ref(text: str) -> bool:
    """``12``, ``latest`` or ``latest~N``: a reference to a recorded scan."""
    import re

    return re.fullmatch(r"[0-9]+|latest(~[0-9]+)?", text) is not None


def load_result_file(path: Path) -> ScanResult:
    """A ScanResult from a JSON result file (``--format json`` output); TierguardError on anything else."""
    from tierguard.errors import TierguardError
    from tierguard.formats.source import read_capped
    from tierguard.report._common import display_path

    shown = display_path(str(path))
    try:
        data = read_capped(path, MAX_RESULT_BYTES)
    except OSError as exc:
        raise TierguardError(f"cannot read result file {shown}: {exc.strerror or exc}") from None
    if data is None:
        raise TierguardError(f"result file {shown} is larger than {MAX_RESULT_BYTES // 2**20} MiB")
    from tierguard.model import RecordError
    from tierguard.report.json_report import load

    try:
        return load(data)
    except (ValueError, RecordError) as exc:  # json.JSONDecodeError is a ValueError
        detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise TierguardError(f"{shown} is not a tierguard JSON result: {detail}") from None


def load_audit_file(path: Path) -> ScanResult:
    """A ``tierguard audit`` result (``--audit FILE``); TierguardError for any other file or result."""
    from tierguard.errors import TierguardError
    from tierguard.report._common import display_path

    result = load_result_file(path)
    if result.command != "audit" or result.audit is None:
        shown = display_path(str(path))
        raise TierguardError(f"{shown} is a tierguard {result.command} result, not a tierguard audit")
    return result


def open_store(url: str | None) -> Store:
    """The store at ``url`` (None: $TIERGUARD_STORE or the per-user default); StoreError on failure."""
    from tierguard.store import open_store as _open

    return _open(url)


def load_scan(spec: str, store_url: str | None, target: str | None) -> tuple[ScanResult, str]:
    """(result, label) for ``spec``: an existing JSON result file, else a store reference (``12``,
    ``latest``, ``latest~N``, of ``target`` when given). Anything else is a usage error (exit 2)."""
    from tierguard.errors import TierguardError

    path = Path(spec)
    if path.is_file():
        return load_result_file(path), spec
    if not is_scan_ref(spec):
        if path.exists():
            raise TierguardError(f"{spec} is not a file")
        raise TierguardError(f"{spec!r} is neither a result file nor a scan reference (12, latest, latest~1)")
    store = open_store(store_url)
    try:
        ref = store.resolve(spec, target=target)
        return store.load(ref.id), f"scan {ref.id}"
    finally:
        store.close()


def baseline_exit(
    changes: ScanDiff, baseline: ScanResult, result: ScanResult, fail_on_incomplete: bool
) -> int:
    """``scan --baseline``: 1 when something new or worse is at or above the threshold the diff was made
    with (its regressions, each named on stderr), or, while ``fail_on_incomplete``, a unit that gates and
    did not gate in the baseline; else 0. What was already there does not fail the run."""
    for r in changes.regressions:
        sys.stderr.write(f"tierguard: new since the baseline: {r.message}\n")
    if changes.regressions:
        return 1
    if not fail_on_incomplete:
        return 0
    from tierguard.report.coverage import coverage

    new_gaps = sorted(set(coverage(result).gating) - set(coverage(baseline).gating))
    if new_gaps:
        sys.stderr.write(
            f"tierguard: exit 1: {len(new_gaps)} unit(s) that may be model artifacts, configs or containers "
            "could not be fully read and were read in the baseline (see 'coverage')\n"
        )
        return 1
    return 0
