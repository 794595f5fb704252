"""Console report (rich): summary by producer and jurisdiction, decisions with citations, what was not
inspected, notes. ``render`` gives the same report as plain text without colour (the ``table`` format)."""

from __future__ import annotations

import io

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tierguard.model import Asset, Decision, ScanResult
from tierguard.report._common import (
    asset_index,
    asset_locations,
    context_warning,
    counts_by_verdict,
    display_location,
    display_path,
    not_inspected,
    operator_text,
    packs_text,
    producers_text,
    safe_text,
    skipped_reasons,
    summary_by_producer,
    verdict_label,
)
from tierguard.report.coverage import coverage

_STYLE = {"deny": "bold red", "review": "yellow", "allow": "green"}
MAX_LOCATIONS = 10  # evidence locations listed per decision (the rest are counted)

# Every string that can come from the target (paths, names, excerpts, messages, reasons) goes through
# display_path/safe_text and into a rich Text, so control characters are visible and markup is never parsed.


def _verdict_text(label: str) -> Text:
    base = label.split(" ", 1)[0]
    style = "cyan" if base == "waived" else _STYLE.get(base, "")
    return Text(label, style=style)


def _counts(d: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in d.items())


def print_result(result: ScanResult, console: Console) -> None:
    """Print the result in the view of the command that made it: a scan's summary, decisions, gaps and
    notes; an inspection's artifacts and findings; an equipment inventory's hosts, sites and fleet."""
    if result.command in ("inspect", "host"):
        from tierguard.report.console_views import print_equipment, print_inspection

        (print_inspection if result.command == "inspect" else print_equipment)(result, console)
        return
    _print_header(result, console)
    _print_producers(result, console)
    _print_decisions(result, console)
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
    groups = summary_by_producer(result)
    if not groups:
        return
    t = Table(title="Assets by producer and jurisdiction", box=box.SIMPLE_HEAVY, title_justify="left")
    t.add_column("Producer")
    t.add_column("Jurisdiction")
    t.add_column("Assets", justify="right")
    t.add_column("By kind")
    t.add_column("By verdict")
    for g in groups:
        style = "bold" if g.jurisdiction == "CN" else ""
        t.add_row(
            Text(g.producer, style=style),
            Text(g.jurisdiction, style=style),
            str(g.total),
            _counts(g.by_kind),
            _counts(g.by_verdict),
        )
    console.print(t)


_RANK = {"deny": 0, "review": 1, "allow": 2}


def _print_decisions(result: ScanResult, console: Console) -> None:
    """Deny first, then review, then allow (waived after unwaived), each with its asset and reasons."""
    if not result.decisions:
        return
    console.print(Text("Decisions", style="bold"))
    assets = asset_index(result)

    def key(d: Decision) -> tuple[int, bool, str, str]:
        a = assets.get(d.asset_id)
        return (
            _RANK[d.verdict],
            d.waived_by is not None,
            a.kind if a else "",
            a.name if a else d.asset_id,
        )

    for d in sorted(result.decisions, key=key):
        a = assets.get(d.asset_id)
        line = _verdict_text(verdict_label(d).upper())
        if a is not None:
            line.append(f"  {a.kind} {safe_text(a.name)} ({a.use_mode})")
        else:
            line.append(f"  {d.asset_id}")
        console.print(line, overflow="fold")
        details = (_asset_details(a) if a is not None else []) + _decision_details(d)
        for detail in details:
            console.print(Text("    " + detail), overflow="fold")
    console.print()


def _asset_details(a: Asset) -> list[str]:
    """Producer, lineage, service operator and where the asset was seen."""
    details = [f"producer: {producers_text(a)}"]
    details += [
        f"lineage: {e.relation} of {e.base}"
        + (f" ({e.base_producer.name}, {e.base_producer.jurisdiction})" if e.base_producer else "")
        for e in a.provenance.lineage
    ]
    op = operator_text(a)
    if op:
        details.append(f"service operator: {op}")
    return details + _seen_at(a)


def _decision_details(d: Decision) -> list[str]:
    """Matched rules with their citations, the waiver, and the decision's notes."""
    details: list[str] = []
    for m in d.matches:
        details.append(f"rule {m.rule_id} ({m.verdict}) [{m.pack}@{m.pack_version}]: {m.reason}")
        c = m.citation
        details.append(f"  source: {c.instrument} ({c.date})" + (" [secondary, verify]" if c.verify else ""))
        details.append(f"  {c.url}")
    if d.waived_by is not None:
        w = d.waived_by
        details.append(
            f"waived by {w.id} (owner {w.owner}, approved {w.approval}, expires {w.expires}): "
            f"{w.justification}"
        )
    return details + [f"note: {safe_text(n)}" for n in d.notes]


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


def _seen_at(asset: Asset) -> list[str]:
    locs = asset_locations(asset)
    out = [f"seen at: {display_location(loc)}" for loc in locs[:MAX_LOCATIONS]]
    if len(locs) > MAX_LOCATIONS:
        out.append(f"seen at: ... and {len(locs) - MAX_LOCATIONS} more")
    return out


def render(result: ScanResult) -> str:
    """The console report as plain text (no colour, no control sequences), 120 columns wide."""
    buf = io.StringIO()
    console = Console(
        file=buf, width=120, color_system=None, force_terminal=False, no_color=True, highlight=False
    )
    print_result(result, console)
    return buf.getvalue()
