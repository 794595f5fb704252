"""``tierguard inspect PATH``: the inspect stage of the Scanner over a file, directory or archive (nothing
is loaded, imported or rendered), reported like every other command.

Exit codes: 0 nothing at or above --fail-on; 1 a finding at/above --fail-on, or an artifact incomplete/not
inspected while --fail-on-incomplete is on; 2 usage errors.

Start-up: a pre-load check runs once per model file, so this command has a lean path. ``tierguard inspect``
(see :mod:`tierguard.cli.entry`) and ``python -m tierguard.inspect`` parse their options with argparse in
:func:`main` and import neither typer nor rich unless the table format or a progress display needs rich;
the typer command registered below (for ``tierguard --help`` and embedding) has the same options and runs
the same :func:`run_inspect`. tests/test_cli_main.py checks that the two option sets agree.
"""

# No ``from __future__ import annotations`` here: typer reads the option annotations of the command that
# register() defines, and typer itself is imported only inside register() (the lean path never loads it).
import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from tierguard.cli.common import (
    FORMAT_HELP,
    FORMAT_NAMES,
    SEVERITY_FAIL_ON,
    check_choice,
    emit,
    prepare_output,
    run_with_progress,
    severity_exit,
)
from tierguard.errors import TierguardError
from tierguard.model import Context, ScanResult
from tierguard.scanner import INSPECT_VIEW, Scanner

if TYPE_CHECKING:
    import typer

FAIL_ON_HELP = "Exit 1 at this severity or above (or 'never')."
INCOMPLETE_HELP = "Exit 1 when an artifact could not be fully inspected."


def inspect_path(path: Path, progress: bool = False) -> ScanResult:
    """Run the inspect view of the Scanner over ``path``."""
    return run_with_progress(
        lambda on_file: Scanner().scan(path, Context(), options=INSPECT_VIEW, progress=on_file), progress
    )


def run_inspect(
    path: Path, fmt: str, output: Path | None, fail_on: str, fail_on_incomplete: bool, progress: bool
) -> int:
    """The command itself, whichever parser read the options: check the options and ``--output`` before
    any work, inspect, report, and return the exit code. Raises TierguardError on bad input."""
    check_choice(fail_on, SEVERITY_FAIL_ON, "--fail-on")
    out_path = prepare_output(fmt, output)
    result = inspect_path(path, progress)
    emit(result, fmt, out_path)
    return severity_exit(result, fail_on, fail_on_incomplete)


def parser(prog: str = "tierguard inspect", default_format: str = "table") -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog=prog, description="Statically inspect model artifacts.")
    ap.add_argument("path", type=Path, help="A model file, an archive or a directory of artifacts.")
    ap.add_argument(
        "--format", "-f", dest="fmt", choices=FORMAT_NAMES, default=default_format, help=FORMAT_HELP
    )
    ap.add_argument("--output", "-o", type=Path, default=None, help="Write the report to FILE.")
    ap.add_argument("--fail-on", choices=SEVERITY_FAIL_ON, default="high", help=FAIL_ON_HELP)
    ap.add_argument(
        "--fail-on-incomplete", action=argparse.BooleanOptionalAction, default=True, help=INCOMPLETE_HELP
    )
    ap.add_argument(
        "--progress", action=argparse.BooleanOptionalAction, default=True, help="Progress display on stderr."
    )
    return ap


def main(argv: list[str], *, prog: str = "tierguard inspect", default_format: str = "table") -> int:
    """The lean path: argparse, then :func:`run_inspect`. Errors are one line on stderr and exit 2."""
    a = parser(prog, default_format).parse_args(argv)
    try:
        return run_inspect(a.path, a.fmt, a.output, a.fail_on, a.fail_on_incomplete, a.progress)
    except TierguardError as exc:
        from tierguard.report._common import safe_text

        sys.stderr.write(f"error: {safe_text(str(exc))}\n")
        return 2


def register(app: "typer.Typer") -> None:
    import typer

    @app.command("inspect")
    def inspect(
        path: Annotated[Path, typer.Argument(help="A model file, an archive or a directory of artifacts.")],
        fmt: Annotated[str, typer.Option("--format", "-f", help=FORMAT_HELP)] = "table",
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Write the report to FILE.")
        ] = None,
        fail_on: Annotated[str, typer.Option(help=FAIL_ON_HELP)] = "high",
        fail_on_incomplete: Annotated[bool, typer.Option(help=INCOMPLETE_HELP)] = True,
        progress: Annotated[bool, typer.Option(help="Show a progress display on stderr.")] = True,
    ) -> None:
        """Statically inspect model artifacts (pickle, PyTorch, joblib, npy, zip/7z/tar, Keras, ONNX, GGUF,
        remote code). Nothing is loaded, imported or rendered."""
        raise typer.Exit(run_inspect(path, fmt, output, fail_on, fail_on_incomplete, progress))
