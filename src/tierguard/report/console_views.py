"""Console views of the inspect and equipment results (``tierguard inspect`` and ``tierguard host``);
:func:`tierguard.report.console.print_result` picks the view by ``ScanResult.command``.

Every string that can come from the target or an inventory (paths, names, reasons, messages) goes through
display_path/safe_text into a rich Text, so control characters are visible and markup is never parsed."""

from __future__ import annotations

from collections import defaultdict

from rich.console import Console
from rich.table import Table
from rich.text import Text

from tierguard.model import SEVERITY_ORDER, Asset, Decision, DeviceDetails, ScanResult
from tierguard.report._common import display_path, safe_text

MAX_HOST_TABLES_DEFAULT = 20
_STATUS_STYLE = {"clean": "green", "findings": "red", "incomplete": "yellow", "not-inspected": "yellow"}
_SEV_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def _t(text: str, style: str = "") -> Text:
    return Text(safe_text(text), style=style)


def _header(result: ScanResult, console: Console) -> None:
    """Which tool, command and target the view is of, and its coverage (the same line as the scan view)."""
    from tierguard.report.coverage import coverage

    console.print(
        Text(f"tierguard {result.tool_version} | {result.command} | target: ")
        + Text(display_path(result.target))
    )
    console.print(Text(f"coverage: {coverage(result).summary()}"), overflow="fold")


def print_inspection(result: ScanResult, console: Console) -> None:
    """The inspect view: artifacts with their status, findings by severity, what was skipped."""
    _header(result, console)
    table = Table(title="Artifacts", show_lines=False)
    for col in ("status", "format", "artifact", "reason"):
        table.add_column(col)
    for i in result.inspections:
        table.add_row(
            Text(i.status, style=_STATUS_STYLE.get(i.status, "")),
            _t(i.format),
            Text(display_path(i.location.display())),
            _t(i.reason[:200]),
        )
    console.print(table)
    if result.findings:
        ft = Table(title="Findings")
        for col in ("severity", "rule", "where", "message"):
            ft.add_column(col, overflow="fold")
        for f in sorted(result.findings, key=lambda f: (-SEVERITY_ORDER[f.severity], f.location.path)):
            where = f.attributes.get("stream") or f.location.display()
            sev = Text(f.severity, style=_SEV_STYLE.get(f.severity, ""))
            ft.add_row(sev, _t(f.rule_id), Text(display_path(where)), _t(f.message))
        console.print(ft)
    for sk in result.skipped:
        console.print(Text(f"skipped {display_path(sk.path)}: {safe_text(sk.reason)} {safe_text(sk.detail)}"))


def _host_table(console: Console, host: str, assets: list[Asset], decisions: dict[str, Decision]) -> None:
    t = Table(title=Text(f"host {safe_text(host)}"), title_justify="left", show_lines=False)
    for c in ("component", "bus", "id", "producer", "jur.", "PRC", "conf.", "evidence"):
        t.add_column(c, overflow="fold")
    if decisions:
        t.add_column("policy")
    for a in assets:
        p = a.provenance.producers[0] if a.provenance.producers else None
        conf = f"{a.provenance.methods[0].confidence:.2f}" if a.provenance.methods else ""
        dd = a.details if isinstance(a.details, DeviceDetails) else None
        ids = dd.ids if dd is not None else {}
        ident = ids.get("vendor_id", "") or ids.get("mac", "") or ids.get("os_id", "")
        if ids.get("device_id"):
            ident += ":" + ids["device_id"]
        ev = display_path(a.evidence[0].location.display()) if a.evidence else ""
        row = [
            _t(a.name),
            _t(dd.bus if dd is not None else ""),
            _t(ident),
            _t(p.name if p else "(unidentified)"),
            _t(p.jurisdiction if p else ""),
            _t(dd.prc if dd is not None else ""),
            Text(conf),
            Text(ev),
        ]
        if decisions:
            d = decisions.get(a.id)
            row.append(
                Text("")
                if d is None
                else _t(d.verdict + (f" ({', '.join(m.rule_id for m in d.matches)})" if d.matches else ""))
            )
        t.add_row(*row)
    console.print(t)


def _host_of(a: Asset) -> str:
    return a.details.host if isinstance(a.details, DeviceDetails) else (a.parent or "")


def _host_verdict(assets: list[Asset]) -> tuple[list[str], list[str]]:
    """(PRC components, ambiguous components) of one host, as "name (producer, JUR)" texts."""
    prc: list[str] = []
    ambiguous: list[str] = []
    for a in assets:
        d = a.details
        if not isinstance(d, DeviceDetails):
            continue
        if d.prc == "yes":
            prc.append(f"{a.name} ({d.producer}, {d.jurisdiction})")
        elif d.prc == "ambiguous":
            basis = a.provenance.methods[0].value if a.provenance.methods else ""
            ambiguous.append(f"{a.name} ({d.producer}?, {basis})")
    return prc, ambiguous


_FLEET_KINDS = frozenset({"ai-app", "ai-service", "ai-model", "sdk-dependency"})


def _print_fleet(result: ScanResult, fleet: list[Asset], console: Console) -> None:
    """Installed apps and egress to AI services: the decisions (as ``scan`` prints them) and the per-device
    and per-user view."""
    from tierguard.report.console_decisions import print_decisions
    from tierguard.report.console_devices import print_devices

    console.print()
    ids = {a.id for a in fleet}
    view = result.model_copy(update={"decisions": tuple(d for d in result.decisions if d.asset_id in ids)})
    if view.decisions:
        print_decisions(view, console)
    else:
        console.print(Text(f"apps and AI services found: {len(fleet)} (pass a context to decide)"))
    console.print()
    print_devices(view, console)


def print_equipment(
    result: ScanResult, console: Console, max_host_tables: int = MAX_HOST_TABLES_DEFAULT
) -> None:
    """Per-host component tables and verdicts, per-site counts, the fleet summary (from the notes)."""
    _header(result, console)
    if result.context.country is None:
        console.print("(identification verdict only; pass --country to evaluate policy packs)")
    by_host: dict[str, list[Asset]] = defaultdict(list)
    fleet = [a for a in result.assets if a.kind in _FLEET_KINDS]  # apps and services: per device below
    for a in result.assets:
        if a.kind not in _FLEET_KINDS:
            by_host[_host_of(a)].append(a)
    dec = {d.asset_id: d for d in result.decisions}
    sites: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for shown, (host, assets) in enumerate(sorted(by_host.items())):
        dd = next((a.details for a in assets if isinstance(a.details, DeviceDetails)), None)
        site = (dd.site if isinstance(dd, DeviceDetails) else None) or "(no site)"
        os_name = next((a.name for a in assets if a.kind == "operating-system"), "(unknown)")
        prc, ambiguous = _host_verdict(assets)
        counts = sites[site]
        counts[0] += 1
        counts[1] += bool(prc)
        counts[2] += bool(ambiguous) and not prc
        if shown < max_host_tables:
            _host_table(console, host, assets, dec)
            console.print(Text(f"  OS: {safe_text(os_name)}   site: {safe_text(site)}"))
        if prc:
            line = Text(f"verdict {safe_text(host)}: PRC-produced components: ", style="bold red")
            console.print(line.append(safe_text("; ".join(prc)), style=""))
        elif ambiguous:
            line = Text(f"verdict {safe_text(host)}: review (ambiguous): ", style="yellow")
            console.print(line.append(safe_text("; ".join(ambiguous)), style=""))
        elif shown < max_host_tables:
            console.print(Text(f"verdict {safe_text(host)}: no PRC-produced component identified"))
    if len(by_host) > max_host_tables:
        console.print(f"({len(by_host) - max_host_tables} more host tables not shown; use --format json)")
    console.print()
    st = Table(title="sites", title_justify="left")
    for col in ("site", "hosts", "hosts with PRC", "share", "ambiguous"):
        st.add_column(col)
    for site, (hosts, with_prc, amb) in sorted(sites.items()):
        st.add_row(_t(site), str(hosts), str(with_prc), f"{with_prc / hosts:.1%}" if hosts else "-", str(amb))
    console.print(st)
    if fleet:
        _print_fleet(result, fleet, console)
    for note in result.notes:
        console.print(Text(safe_text(note)))
    if result.decisions:
        worst: dict[str, int] = defaultdict(int)
        for d in result.decisions:
            worst[d.effective_verdict] += 1
        console.print("policy decisions: " + ", ".join(f"{k} {v}" for k, v in sorted(worst.items())))
