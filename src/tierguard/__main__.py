"""``python -m tierguard`` runs the CLI."""

from tierguard.cli.entry import main

main()
