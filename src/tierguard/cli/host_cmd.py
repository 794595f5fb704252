"""``tierguard host``: inventory a host (no args: this machine) or a fleet (--osquery/--inventory/--snmp)
through the Scanner's equipment stage, identify PRC-produced components and, with --country, evaluate the
equipment policy packs. The result is a ScanResult like every command's, in every format.

Exit codes: 0 done; 1 a PRC component was found and --fail-on-prc was given (or a policy deny with
--fail-on-prc); 2 usage or input error."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tierguard.cli.common import FORMAT_HELP, emit, prepare_output
from tierguard.model import Asset, Context, Decision, DeviceDetails, ScanResult
from tierguard.scanner import InventoryInput, Scanner, ScanOptions

MAX_HOST_TABLES_DEFAULT = 20


def _host_table(console: Console, host: str, assets: list[Asset], decisions: dict[str, Decision]) -> None:
    t = Table(title=f"host {host}", title_justify="left", show_lines=False)
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
        ev = a.evidence[0].location.display() if a.evidence else ""
        row = [
            a.name,
            dd.bus if dd is not None else "",
            ident,
            p.name if p else "(unidentified)",
            p.jurisdiction if p else "",
            dd.prc if dd is not None else "",
            conf,
            ev,
        ]
        if decisions:
            d = decisions.get(a.id)
            row.append(
                ""
                if d is None
                else d.verdict + (f" ({', '.join(m.rule_id for m in d.matches)})" if d.matches else "")
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


def print_output(
    result: ScanResult, console: Console, max_host_tables: int = MAX_HOST_TABLES_DEFAULT
) -> None:
    """Per-host component tables and verdicts, per-site counts, the fleet summary (from the notes)."""
    if result.context.country is None:
        console.print("(identification verdict only; pass --country to evaluate policy packs)")
    by_host: dict[str, list[Asset]] = defaultdict(list)
    for a in result.assets:
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
            console.print(f"  OS: {os_name}   site: {site}", highlight=False, markup=False)
        if prc:
            console.print(
                f"[bold red]verdict {host}: PRC-produced components:[/] " + "; ".join(prc), highlight=False
            )
        elif ambiguous:
            console.print(
                f"[yellow]verdict {host}: review (ambiguous):[/] " + "; ".join(ambiguous), highlight=False
            )
        elif shown < max_host_tables:
            console.print(f"verdict {host}: no PRC-produced component identified", highlight=False)
    if len(by_host) > max_host_tables:
        console.print(f"({len(by_host) - max_host_tables} more host tables not shown; use --format json)")
    console.print()
    st = Table(title="sites", title_justify="left")
    for col in ("site", "hosts", "hosts with PRC", "share", "ambiguous"):
        st.add_column(col)
    for site, (hosts, with_prc, amb) in sorted(sites.items()):
        st.add_row(site, str(hosts), str(with_prc), f"{with_prc / hosts:.1%}" if hosts else "-", str(amb))
    console.print(st)
    for note in result.notes:
        console.print(note, highlight=False, markup=False)
    if result.decisions:
        worst: dict[str, int] = defaultdict(int)
        for d in result.decisions:
            worst[d.effective_verdict] += 1
        console.print("policy decisions: " + ", ".join(f"{k} {v}" for k, v in sorted(worst.items())))


def register(app: typer.Typer) -> None:
    @app.command("host")
    def host(
        osquery: Annotated[
            list[Path] | None, typer.Option("--osquery", help="osquery JSON/results log.")
        ] = None,
        inventory: Annotated[
            list[Path] | None, typer.Option("--inventory", help="CMDB export (CSV/JSON).")
        ] = None,
        snmp: Annotated[
            list[Path] | None, typer.Option("--snmp", help="'host OID = value' walk file.")
        ] = None,
        root: Annotated[Path, typer.Option(help="Root of the filesystem to probe (local mode).")] = Path("/"),
        rpm_query: Annotated[Path | None, typer.Option(help="`rpm -qa` output file (local mode).")] = None,
        country: Annotated[
            str | None, typer.Option(help="Deployment country (ISO alpha-2) for policy.")
        ] = None,
        sector: Annotated[
            str, typer.Option(help="government, critical-infrastructure or general.")
        ] = "general",
        pack: Annotated[
            list[str] | None, typer.Option("--pack", help="Policy pack id/path (repeatable).")
        ] = None,
        output_format: Annotated[str, typer.Option("--format", "-f", help=FORMAT_HELP)] = "table",
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Write the report to FILE.")
        ] = None,
        fail_on_prc: Annotated[bool, typer.Option("--fail-on-prc", help="Exit 1 when PRC is found.")] = False,
        lenovo_as_prc: Annotated[bool, typer.Option("--lenovo-as-prc/--lenovo-not-prc")] = True,
        tplink_as_prc: Annotated[bool, typer.Option("--tplink-as-prc/--tplink-not-prc")] = True,
        hk_as_cn: Annotated[bool, typer.Option("--hk-as-cn/--hk-not-cn")] = True,
        enterprise_25506_as_h3c: Annotated[bool, typer.Option("--enterprise-25506-as-h3c")] = False,
        max_host_tables: Annotated[int, typer.Option(help="Print per-host tables for at most N hosts.")] = (
            MAX_HOST_TABLES_DEFAULT
        ),
    ) -> None:
        """Inventory this machine or a fleet and say which components are PRC-produced."""
        out_path = prepare_output(output_format, output)
        if sector not in ("government", "critical-infrastructure", "general"):
            raise typer.BadParameter(f"unknown sector {sector!r}", param_hint="--sector")
        from tierguard.equipment import EquipmentOptions

        opts = ScanOptions(
            discover=False,
            artifacts=False,
            inspect=False,
            command="host",
            equipment=EquipmentOptions(
                lenovo_as_prc=lenovo_as_prc,
                tplink_as_prc=tplink_as_prc,
                hk_as_cn=hk_as_cn,
                enterprise_25506_as_h3c=enterprise_25506_as_h3c,
            ),
        )
        inputs = [InventoryInput("osquery", p) for p in osquery or []]
        inputs += [InventoryInput("inventory", p) for p in inventory or []]
        inputs += [InventoryInput("snmp", p) for p in snmp or []]
        if not inputs:
            inputs = [InventoryInput("host", root, rpm_query=rpm_query)]
        ctx = Context()
        packs = []
        if country:
            from tierguard.policy.context import build_context
            from tierguard.policy.packs import load_packs

            ctx = build_context({"country": country.upper(), "sector": sector}, "command line")
            packs = load_packs(pack or ["us-equipment"])
        result = Scanner(None, packs).scan(None, ctx, options=opts, inventories=inputs)
        emit(
            result,
            output_format,
            out_path,
            console_printer=lambda r, c: print_output(r, c, max_host_tables),
        )
        denied = any(d.effective_verdict == "deny" for d in result.decisions)
        if fail_on_prc and (result.stats.hosts_with_prc > 0 or denied):
            raise typer.Exit(1)
