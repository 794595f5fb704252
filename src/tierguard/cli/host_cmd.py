"""``tierguard host``: inventory a host (no args: this machine) or a fleet (--osquery/--inventory/--snmp),
identify PRC-produced components and, with --country, evaluate the equipment policy packs.

Exit codes: 0 done; 1 a PRC component was found and --fail-on-prc was given (or a policy deny with
--fail-on-prc); 2 usage or input error."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tierguard.equipment import (
    EquipmentOptions,
    EquipmentOutput,
    assess_local,
    load_equipment_catalog,
)
from tierguard.equipment.result import equipment_result
from tierguard.errors import TierguardError
from tierguard.inventories import read_inventory, read_osquery, read_snmp
from tierguard.model import Asset, Context, Decision, PackRef, RuleInfo
from tierguard.policy.context import build_context
from tierguard.policy.engine import evaluate, rules_info
from tierguard.policy.packs import load_packs
from tierguard.report import FORMATS
from tierguard.report.output import write_report

HOST_FORMATS = ("table", "json", "scan-json", "sarif", "cyclonedx", "html")

MAX_HOST_TABLES_DEFAULT = 20


def _policy(
    out: EquipmentOutput, ctx: Context, packs: list[str]
) -> tuple[list[Decision], list[PackRef], list[RuleInfo]]:
    loaded = load_packs(packs)
    decisions = evaluate(list(out.assets), [], [], ctx, loaded)
    return decisions, [PackRef(id=p.id, version=p.version) for p in loaded], rules_info(loaded)


def _host_table(console: Console, host: str, assets: list[Asset], decisions: dict[str, Decision]) -> None:
    t = Table(title=f"host {host}", title_justify="left", show_lines=False)
    for c in ("component", "bus", "id", "producer", "jur.", "PRC", "conf.", "evidence"):
        t.add_column(c, overflow="fold")
    if decisions:
        t.add_column("policy")
    for a in assets:
        p = a.provenance.producers[0] if a.provenance.producers else None
        conf = f"{a.provenance.methods[0].confidence:.2f}" if a.provenance.methods else ""
        ident = (
            a.attributes.get("vendor_id", "") or a.attributes.get("mac", "") or a.attributes.get("os_id", "")
        )
        if a.attributes.get("device_id"):
            ident += ":" + a.attributes["device_id"]
        ev = a.evidence[0].location.display() if a.evidence else ""
        row = [
            a.name,
            a.attributes.get("bus", ""),
            ident,
            p.name if p else "(unidentified)",
            p.jurisdiction if p else "",
            a.attributes.get("prc", ""),
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


def print_output(
    console: Console, out: EquipmentOutput, decisions: list[Decision], max_host_tables: int
) -> None:
    by_host: dict[str, list[Asset]] = defaultdict(list)
    for a in out.assets:
        by_host[a.parent or ""].append(a)
    dec = {d.asset_id: d for d in decisions}
    shown = 0
    for hv in out.hosts:
        if shown < max_host_tables:
            _host_table(console, hv.host, by_host.get(hv.host, []), dec)
            shown += 1
            console.print(f"  OS: {hv.os or '(unknown)'}   site: {hv.site}", highlight=False)
            for n in hv.notes:
                console.print(f"  note: {n}", highlight=False)
        if hv.prc_components:
            console.print(
                f"[bold red]verdict {hv.host}: PRC-produced components:[/] " + "; ".join(hv.prc_components),
                highlight=False,
            )
        elif hv.ambiguous_components:
            console.print(
                f"[yellow]verdict {hv.host}: review (ambiguous):[/] " + "; ".join(hv.ambiguous_components),
                highlight=False,
            )
        elif shown <= max_host_tables:
            console.print(f"verdict {hv.host}: no PRC-produced component identified", highlight=False)
    if len(out.hosts) > max_host_tables:
        console.print(f"({len(out.hosts) - max_host_tables} more host tables not shown; use --format json)")
    s = out.summary
    console.print()
    st = Table(title="sites", title_justify="left")
    for c in ("site", "hosts", "hosts with PRC", "share", "ambiguous"):
        st.add_column(c)
    for site, sc in sorted(s.per_site.items()):
        share = f"{sc.hosts_with_prc / sc.hosts:.1%}" if sc.hosts else "-"
        st.add_row(site, str(sc.hosts), str(sc.hosts_with_prc), share, str(sc.hosts_ambiguous))
    console.print(st)
    console.print(
        f"fleet: {s.headline()}",
        highlight=False,
    )
    if s.prc_producers:
        console.print(
            "PRC producers (hosts affected): "
            + ", ".join(f"{k} {v}" for k, v in sorted(s.prc_producers.items(), key=lambda kv: -kv[1])),
            highlight=False,
        )
    console.print(f"records read: {s.records_read}; unusable records: {s.unusable_records}", highlight=False)
    for reason, count in sorted(s.unusable_by_reason.items()):
        console.print(f"  unusable: {reason}: {count}", highlight=False)
    if decisions:
        worst: dict[str, int] = defaultdict(int)
        for d in decisions:
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
        output_format: Annotated[
            str,
            typer.Option(
                "--format",
                help="table, json (equipment document), scan-json (ScanResult), sarif, cyclonedx or html.",
            ),
        ] = "table",
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
        console = Console()
        err = Console(stderr=True)
        if output_format not in HOST_FORMATS:
            err.print(f"error: --format must be one of {', '.join(HOST_FORMATS)}, not {output_format!r}")
            raise typer.Exit(2)
        if sector not in ("government", "critical-infrastructure", "general"):
            err.print(f"error: unknown --sector {sector!r}")
            raise typer.Exit(2)
        opts = EquipmentOptions(
            lenovo_as_prc=lenovo_as_prc,
            tplink_as_prc=tplink_as_prc,
            hk_as_cn=hk_as_cn,
            enterprise_25506_as_h3c=enterprise_25506_as_h3c,
        )
        try:
            cat = load_equipment_catalog()
            out = EquipmentOutput(catalog_version=cat.version)
            Reader = Callable[..., EquipmentOutput]
            inputs: list[tuple[Path, Reader]] = [(p, read_osquery) for p in osquery or []]
            inputs += [(p, read_inventory) for p in inventory or []]
            inputs += [(p, read_snmp) for p in snmp or []]
            for path, reader in inputs:
                if not path.is_file():
                    err.print(f"error: {path}: not a file")
                    raise typer.Exit(2)
                out = out.merge(reader(path, catalog=cat, options=opts))
            if not inputs:
                out = assess_local(root, catalog=cat, options=opts, rpm_query=rpm_query)
            decisions: list[Decision] = []
            packs: list[PackRef] = []
            rules: list[RuleInfo] = []
            ctx = Context()
            if country:
                ctx = build_context({"country": country.upper(), "sector": sector}, "command line")
                decisions, packs, rules = _policy(out, ctx, pack or ["us-equipment"])
        except TierguardError as exc:
            err.print(f"error: {exc}", highlight=False)
            raise typer.Exit(2) from exc
        text: str | None = None
        if output_format == "json":
            doc = out.to_json()
            if decisions:
                doc["decisions"] = [d.model_dump(mode="json") for d in decisions]
            text = json.dumps(doc, indent=2, sort_keys=False)
        elif output_format != "table" or output is not None:
            target = ", ".join(str(p) for p, _ in inputs) if inputs else f"host:{root}"
            result = equipment_result(
                out, target=target, context=ctx, decisions=decisions, packs=packs, rules=rules
            )
            fmt = "json" if output_format == "scan-json" else output_format
            text = FORMATS[fmt](result)
        if text is not None:
            if output is not None:
                try:
                    write_report(text, output)
                except TierguardError as exc:
                    err.print(f"error: {exc}", highlight=False)
                    raise typer.Exit(2) from exc
                err.print(f"wrote {output_format} report to {output}", highlight=False)
            else:
                typer.echo(text)
        else:
            if not country:
                console.print("(identification verdict only; pass --country to evaluate policy packs)")
            print_output(console, out, decisions, max_host_tables)
        denied = any(d.effective_verdict == "deny" for d in decisions)
        if fail_on_prc and (out.summary.hosts_with_prc > 0 or denied):
            raise typer.Exit(1)
