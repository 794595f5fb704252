"""Lean entry point for CI hooks and pre-load checks: ``python -m tierguard.inspect PATH [--fail-on high]
[--no-fail-on-incomplete]``. Prints the JSON document of ``tierguard inspect --format json`` and uses the
same exit codes (0 / 1 / 2) without importing the full CLI (typer, rich, catalog, policy)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tierguard.errors import TierguardError
from tierguard.inspect.engine import inspect_target
from tierguard.inspect.engine import target_resolver as _resolver
from tierguard.inspect.summary import FAIL_ON, exit_code, to_json


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tierguard.inspect")
    ap.add_argument("path", type=Path)
    ap.add_argument("--fail-on", choices=FAIL_ON, default="high")
    ap.add_argument("--no-fail-on-incomplete", action="store_true")
    a = ap.parse_args(argv)
    try:
        resolver = _resolver(a.path)
    except TierguardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = inspect_target(resolver)
    out.skipped.extend(resolver.skipped())
    sys.stdout.write(to_json(out) + "\n")
    return exit_code(out, a.fail_on, not a.no_fail_on_incomplete)


if __name__ == "__main__":
    sys.exit(main())
