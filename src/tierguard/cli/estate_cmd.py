"""``tierguard estate scan|validate --config tierguard.toml``: scan every target of an estate file, record
each result in the store, print the roll-up, set the exit code. The work is in :mod:`tierguard.execute`.

Exit codes: 0 nothing at or above ``--fail-on`` and every target scanned; 1 a target at or above
``--fail-on``, a target that could not be scanned (``--no-fail-on-error`` to ignore), or a gap that gates
(``--no-fail-on-incomplete``); 2 a malformed estate file, an unusable store or executor (one line).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tierguard.cli.common import VERDICT_FAIL_ON, check_choice, prepare_output, write_text

if TYPE_CHECKING:
    from rich.console import Console

    from tierguard.execute import EstateEvent, EstateRun

ConfigFile = Annotated[Path, typer.Option("--config", "-c", help="The estate file (tierguard.toml).")]
StoreUrl = Annotated[
    str | None,
    typer.Option("--store", help="Store URL or SQLite file (default: $TIERGUARD_STORE or the user store)."),
]
Executor = Annotated[
    str | None,
    typer.Option(help="serial | process | ray (default: process for more than one target, else serial)."),
]
Workers = Annotated[int | None, typer.Option(min=1, max=1024, help="Worker processes (default: CPUs).")]
RayAddress = Annotated[
    str | None, typer.Option(help="Ray cluster address (HOST:6379 or ray://HOST:10001); default local Ray.")
]
Resume = Annotated[
    bool,
    typer.Option(help="Continue an interrupted run of the same estate revision (skip targets recorded ok)."),
]
Format = Annotated[
    str,
    typer.Option(
        "--format", "-f", help="table | json: the roll-up (each target's full result: tierguard show ID)."
    ),
]
Output = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write the roll-up here (checked before the run).")
]
FailOn = Annotated[str | None, typer.Option(help="allow | review | deny | never (default: file, else deny).")]
FailOnError = Annotated[bool, typer.Option(help="Exit 1 when a target could not be scanned (default on).")]
FailOnIncomplete = Annotated[
    bool, typer.Option(help="Exit 1 when a target holds a unit that may be an artifact, not fully read.")
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")]


def scan(
    config: ConfigFile,
    store: StoreUrl = None,
    executor: Executor = None,
    workers: Workers = None,
    ray_address: RayAddress = None,
    resume: Resume = True,
    fmt: Format = "table",
    output: Output = None,
    fail_on: FailOn = None,
    fail_on_error: FailOnError = True,
    fail_on_incomplete: FailOnIncomplete = True,
    quiet: Quiet = False,
) -> None:
    """Scan every target of the estate file, record each in the store, print the roll-up."""
    from tierguard.execute import EXECUTORS, load_estate, run_estate
    from tierguard.execute.runner import exit_reasons
    from tierguard.store import open_store

    out_path = prepare_output(fmt, output, ("table", "json"))
    if executor is not None:
        check_choice(executor, EXECUTORS, "--executor")
    if fail_on is not None:
        check_choice(fail_on, VERDICT_FAIL_ON, "--fail-on")
    if ray_address and executor != "ray":
        raise typer.BadParameter("only with --executor ray", param_hint="--ray-address")
    estate = load_estate(config)
    opened = open_store(store)
    try:
        with _progress(not quiet) as on_event:
            run = run_estate(
                estate,
                store=opened,
                executor=executor,  # type: ignore[arg-type]  # checked above
                workers=workers,
                ray_address=ray_address,
                resume=resume,
                progress=on_event,
            )
    finally:
        opened.close()
    _print(run, fmt, opened.url, out_path)
    threshold = fail_on or estate.spec.fail_on or "deny"
    reasons = exit_reasons(
        run, threshold, fail_on_error=fail_on_error, fail_on_incomplete=fail_on_incomplete
    )
    for reason in reasons:
        sys.stderr.write(f"tierguard: exit 1: {reason}\n")
    raise typer.Exit(1 if reasons else 0)


def validate(config: ConfigFile) -> None:
    """Check the estate file: schema, names, profiles, contexts; list each target and whether its path
    exists here (exit 1 when one does not: on a Ray cluster it may exist on the workers only)."""
    from rich.console import Console
    from rich.table import Table

    from tierguard.execute import load_estate

    estate = load_estate(config)
    table = Table(title=f"estate {estate.name} - revision {estate.revision} - {len(estate.targets)} targets")
    for col in ("target", "path", "owner", "context", "here"):
        table.add_column(col, overflow="fold")
    missing = 0
    for t in estate.targets:
        path = estate.target_path(t)
        ctx = estate.context_for(t)
        where = ",".join(v for v in (ctx.country, ctx.state, ctx.sector, ctx.profile) if v)
        exists = Path(path).exists() or ":" in t.path
        missing += not exists
        table.add_row(t.name, path, t.owner or "-", where or "none", "yes" if exists else "MISSING")
    Console().print(table)
    if missing:
        sys.stderr.write(f"tierguard: exit 1: {missing} target path(s) do not exist on this machine\n")
    raise typer.Exit(1 if missing else 0)


class _progress:
    """A rich progress bar on stderr (only when it is a terminal and wanted); yields the event callback."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.bar: object | None = None

    def __enter__(self) -> Callable[[EstateEvent], None] | None:
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        bar = Progress(
            TextColumn("[bold]estate"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[current]}", style="dim"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        bar.__enter__()
        self.bar = bar
        task = bar.add_task("estate", total=None, current="")

        def on_event(event: EstateEvent) -> None:
            bar.update(task, total=event.total, completed=event.done, current=f"{event.kind} {event.target}")

        return on_event

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)  # type: ignore[attr-defined]


def _print(run: EstateRun, fmt: str, store_url: str, output: Path | None) -> None:
    if fmt == "json":
        import json

        from tierguard.execute.runner import run_document

        doc = {**run_document(run), "store": store_url}
        write_text(json.dumps(doc, indent=2, ensure_ascii=False), fmt, output)
        return
    from rich.console import Console

    if output is None:
        _print_table(run, Console(), store_url)
        return
    console = Console(record=True, width=160, file=io.StringIO())
    _print_table(run, console, store_url)
    write_text(console.export_text(), fmt, output)


def _print_table(run: EstateRun, out: Console, store_url: str) -> None:
    from rich.markup import escape
    from rich.table import Table

    from tierguard.report._common import safe_text

    roll = run.rollup
    resumed = " (resumed)" if run.resumed else ""
    out.print(
        f"[bold]estate {escape(run.estate)}[/] revision {run.revision}{resumed}: {len(roll.targets)} targets "
        f"in {run.elapsed_s:.1f} s on {run.executor} x{run.workers}; recorded in {escape(store_url)}",
        highlight=False,
    )
    targets = Table(title="targets")
    for col in ("target", "owner", "verdict", "assets", "deny", "review", "findings", "scan", "error"):
        targets.add_column(col, overflow="fold")
    for t in roll.targets:
        verdict: str = (t.worst_verdict or "-") if t.status != "error" else "[bold red]ERROR[/]"
        if t.status == "skipped":
            verdict += " (earlier)"
        targets.add_row(
            escape(safe_text(t.name)),
            escape(safe_text(t.owner or "-")),
            verdict,
            str(t.assets),
            str(t.denies),
            str(t.reviews),
            str(t.findings),
            str(t.scan_id or "-"),
            escape(safe_text(t.error)),
        )
    out.print(targets)
    producers = Table(title="producers and jurisdictions")
    for col in ("producer", "jurisdiction", "assets", "targets", "deny", "review"):
        producers.add_column(col, overflow="fold")
    for p in roll.producer_rows():
        producers.add_row(
            escape(p.producer), p.jurisdiction, str(p.assets), str(p.targets), str(p.denies), str(p.reviews)
        )
    out.print(producers)
    by_target = ", ".join(f"{k} {v}" for k, v in sorted(roll.verdicts.items()))
    by_decision = ", ".join(f"{k} {v}" for k, v in sorted(roll.decisions.items()))
    out.print(f"targets by worst verdict: {by_target}; asset decisions: {by_decision or 'none'}")


def register(app: typer.Typer) -> None:
    """Add the ``estate`` sub-app (``scan``, ``validate``) to ``app``."""
    estate_app = typer.Typer(
        name="estate",
        help="Scan every target of an estate file (tierguard.toml), record each, roll up the results.",
        no_args_is_help=True,
    )
    estate_app.command("scan")(scan)
    estate_app.command("validate")(validate)
    app.add_typer(estate_app, name="estate")
