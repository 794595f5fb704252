"""The ``tierguard`` console script. ``tierguard inspect ...`` (a pre-load check, run once per model file)
takes the lean path of :mod:`tierguard.cli.inspect_cmd`, which loads neither typer nor the other commands;
everything else, and ``tierguard inspect --help``, goes to the typer application in :mod:`tierguard.cli.main`.
"""

from __future__ import annotations

import sys


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["inspect"] and not {"-h", "--help"} & set(argv[1:]):
        from tierguard.cli.inspect_cmd import main as inspect_main

        sys.exit(inspect_main(argv[1:]))
    from tierguard.cli.main import main as full_main

    full_main()
