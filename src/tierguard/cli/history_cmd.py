"""``tierguard history [TARGET]``: recorded scans, newest first, with their worst verdict and counts (a
target that could not be scanned shows its recorded error). ``tierguard show REF``: one recorded scan's full
result again, in any format (what ``scan --format`` would have written when it was recorded)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import msgspec
import typer

from tierguard.cli.common import (
    FORMAT_HELP,
    STORE_HELP,
    check_choice,
    emit,
    load_scan,
    open_store,
    prepare_output,
)

if TYPE_CHECKING:
    from rich.table import Table

    from tierguard.store.interface import ScanRef

TargetName = Annotated[str | None, typer.Argument(help="Only this target's scans (its recorded name).")]
Store = Annotated[str | None, typer.Option("--store", help=STORE_HELP)]
Format = Annotated[str, typer.Option("--format", "-f", help="table | json.")]
Limit = Annotated[int, typer.Option(min=1, max=10_000, help="Show at most N scans.")]


def history(target: TargetName = None, store: Store = None, fmt: Format = "table", limit: Limit = 20) -> None:
    """List recorded scans, newest first (record one with 'tierguard scan --record')."""
    check_choice(fmt, ("table", "json"), "--format")
    st = open_store(store)
    try:
        page = st.scans(target=target, limit=limit)
        url = st.url
    finally:
        st.close()
    if fmt == "json":
        doc = {"store": url, "total": page.total, "scans": msgspec.to_builtins(page.items)}
        typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    from rich.console import Console

    Console().print(_table(page.items, page.total, url))


def _table(scans: Sequence[ScanRef], total: int, store_url: str) -> Table:
    """Recorded scans, newest first: id, when, target, status, worst verdict, counts (errors show theirs)."""
    from rich.text import Text

    from tierguard.report._common import display_path, safe_text
    from tierguard.report.diff_render import simple_table, verdict_text

    shown = f"{len(scans)} of {total}" if total > len(scans) else str(total)
    t = simple_table(f"Recorded scans ({shown}) in {safe_text(store_url)}", COLUMNS)
    for s in scans:
        when = Text((s.started or s.recorded)[:19].replace("T", " "), style="dim", no_wrap=True)
        target = Text(display_path(s.target))
        if s.status == "error":
            target.append(f"\n{safe_text(s.error)}", style="red")
            t.add_row(Text(str(s.id)), when, target, Text("error", style="bold red"), "", "", "", "")
            continue
        counts = (Text(str(s.assets)), Text(str(s.denies)), Text(str(s.reviews)), Text(str(s.findings)))
        t.add_row(Text(str(s.id)), when, target, verdict_text(s.worst_verdict), *counts)
    return t


COLUMNS = ("id", "started", "target", "worst", "assets", "deny", "review", "findings")


def show(
    ref: Annotated[str, typer.Argument(help="A recorded scan: 12, latest, latest~1, or a JSON result.")],
    target: Annotated[str | None, typer.Option(help="latest / latest~N of this target.")] = None,
    store: Store = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help=FORMAT_HELP)] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report here.")] = None,
) -> None:
    """Report one recorded scan again, in any format (e.g. each target of 'tierguard estate scan')."""
    out_path = prepare_output(fmt, output)
    result, _ = load_scan(ref, store, target)
    emit(result, fmt, out_path)


def register(app: typer.Typer) -> None:
    app.command("history")(history)
    app.command("show")(show)
