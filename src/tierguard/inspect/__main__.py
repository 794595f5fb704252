"""``python -m tierguard.inspect PATH [--format F] [--output FILE] [--fail-on high]
[--no-fail-on-incomplete]``: the lean inspect command for CI hooks and pre-load checks. The same engine,
options, result and exit codes (0 / 1 / 2) as ``tierguard inspect``; the default format here is ``json``."""

from __future__ import annotations

import sys

from tierguard.cli.inspect_cmd import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], prog="python -m tierguard.inspect", default_format="json"))
