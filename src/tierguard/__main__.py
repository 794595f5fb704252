"""``python -m tierguard`` runs the CLI."""

from tierguard.cli.main import main

main()
