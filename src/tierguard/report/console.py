"""Console report (rich): summary by producer and jurisdiction, decisions with citations, what was not
inspected, notes. ``render`` gives the same report as plain text without colour (the ``table`` format)."""

from __future__ import annotations

import io

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tierguard.model import ScanResult
from tierguard.report._common import (
    context_warning,
    counts_by_verdict,
    display_location,
    display_path,
    not_inspected,
    packs_text,
    safe_text,
    skipped_reasons,
    summary_by_producer,
)
from tierguard.report.console_decisions import STYLE as _STYLE
from tierguard.report.console_decisions import print_decisions, short_name
from tierguard.report.console_devices import print_devices
from tierguard.report.coverage import coverage

_KIND_SHORT = {"ai-model": "model", "ai-service": "service", "sdk-dependency": "sdk"}

# Every string that can come from the target (paths, names, excerpts, messages, reasons) goes through
# display_path/safe_text and into a rich Text, so control characters are visible and markup is never parsed.


def _counts(d: dict[str, int], short: dict[str, str] | None = None) -> str:
    return ", ".join(f"{(short or {}).get(k, k)} {v}" for k, v in d.items())


def print_result(result: ScanResult, console: Console, *, show_mentions: bool = False) -> None:
    """Print the result in the view of the command that made it: a scan's summary, decisions (grouped by
    verdict, then asset, with usages; mention-only assets counted unless ``show_mentions``), gaps and
    notes; an inspection's artifacts and findings; an equipment inventory's hosts, sites and fleet."""
    if result.command in ("inspect", "host"):
        from tierguard.report.console_views import print_equipment, print_inspection

        (print_inspection if result.command == "inspect" else print_equipment)(result, console)
        return
    _print_header(result, console)
    _print_producers(result, console)
    print_decisions(result, console, show_mentions=show_mentions)
    print_devices(result, console)
    _print_findings(result, console)
    _print_gaps(result, console)
    if result.notes:
        console.print(Text("Notes", style="bold"))
        for note in result.notes:
            console.print(Text(f"- {safe_text(note)}"))


def _print_header(result: ScanResult, console: Console) -> None:
    """Tool, catalog and packs; target; context; worst verdict with counts; coverage."""
    worst = result.worst_verdict()
    head = Text("tierguard ", style="bold")
    head.append(f"{result.tool_version} | catalog {result.catalog_version} | packs {packs_text(result)}")
    console.print(head)
    warning = context_warning(result)
    if warning is not None:
        console.print(Text(f"WARNING: {safe_text(warning)}", style="bold yellow"), overflow="fold")
    console.print(Text(f"target: {display_path(result.target)}"))
    ctx = ", ".join(f"{k}={v}" for k, v in result.context.model_dump().items() if v is not None)
    console.print(Text(f"context: {ctx or 'default'}"))
    summary = Text("worst verdict: ")
    summary.append(worst.upper(), style=_STYLE[worst])
    summary.append(
        f"  ({len(result.assets)} assets: "
        + ", ".join(f"{k} {v}" for k, v in counts_by_verdict(result) if v)
        + f"; {len(result.findings)} findings; {len(result.skipped)} skipped)"
    )
    console.print(summary)
    console.print(Text(f"coverage: {coverage(result).summary()}"), overflow="fold")


def _print_producers(result: ScanResult, console: Console) -> None:
    """One line per producer: ``DeepSeek (CN)  10 assets  deny 3, review 7  (model 6, service 1, sdk 3)``."""
    groups = summary_by_producer(result)
    if not groups:
        return
    console.print(Text("Assets by producer", style="bold"))
    labels = [f"{short_name(g.producer)} ({g.jurisdiction})" for g in groups]
    width = min(40, max(len(x) for x in labels))
    for g, label in zip(groups, labels, strict=True):
        line = Text(f"  {safe_text(label):<{width}}", style="bold" if g.jurisdiction == "CN" else "")
        line.append(f"  {g.total:>3} assets  {_counts(g.by_verdict)}  ({_counts(g.by_kind, _KIND_SHORT)})")
        console.print(line, overflow="fold")
    console.print()


def _print_findings(result: ScanResult, console: Console) -> None:
    if not result.findings:
        return
    t = Table(title="Inspection findings", box=box.SIMPLE_HEAVY, title_justify="left")
    t.add_column("Severity")
    t.add_column("Rule")
    t.add_column("Location")
    t.add_column("Message")
    for f in result.findings:
        t.add_row(f.severity, f.rule_id, Text(display_location(f.location)), Text(safe_text(f.message)))
    console.print(t)


def _print_gaps(result: ScanResult, console: Console) -> None:
    """What was skipped (by reason) and which artifacts were not fully inspected."""
    gaps = [(f"skipped: {r}", n) for r, n in skipped_reasons(result)] + not_inspected(result)
    if not gaps:
        return
    t = Table(title="Not inspected", box=box.SIMPLE_HEAVY, title_justify="left")
    t.add_column("Reason")
    t.add_column("Count", justify="right")
    for reason, n in gaps:
        t.add_row(Text(safe_text(reason)), str(n))
    console.print(t)


def render(result: ScanResult, *, show_mentions: bool = False) -> str:
    """The console report as plain text (no colour, no control sequences), 120 columns wide."""
    buf = io.StringIO()
    console = Console(
        file=buf, width=120, color_system=None, force_terminal=False, no_color=True, highlight=False
    )
    print_result(result, console, show_mentions=show_mentions)
    return buf.getvalue()
