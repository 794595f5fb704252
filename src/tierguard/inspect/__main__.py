"""Lean entry point for CI hooks and pre-load checks: ``python -m tierguard.inspect PATH [--fail-on high]
[--no-fail-on-incomplete]``. The same engine and result as ``tierguard inspect --format json`` (a
ScanResult) and the same exit codes (0 / 1 / 2), without importing the CLI (typer, rich)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tierguard.errors import TierguardError
from tierguard.inspect.gate import FAIL_ON, exit_code
from tierguard.model import Context
from tierguard.scanner import INSPECT_VIEW, Scanner


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tierguard.inspect")
    ap.add_argument("path", type=Path)
    ap.add_argument("--fail-on", choices=FAIL_ON, default="high")
    ap.add_argument("--no-fail-on-incomplete", action="store_true")
    a = ap.parse_args(argv)
    try:
        result = Scanner().scan(a.path, Context(), options=INSPECT_VIEW)
    except TierguardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from tierguard.report.json_report import render

    sys.stdout.write(render(result))
    return exit_code(result, a.fail_on, not a.no_fail_on_incomplete)


if __name__ == "__main__":
    sys.exit(main())
