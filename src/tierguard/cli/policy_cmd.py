"""Placeholder: this sub-command's module is being written; it registers nothing yet."""

import typer


def register(app: typer.Typer) -> None:
    """Register this module's commands on ``app``."""
