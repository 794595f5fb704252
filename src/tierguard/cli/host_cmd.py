"""``tierguard host``: inventory a host (no args: this machine) or a fleet (--osquery/--inventory/--snmp)
through the Scanner's equipment stage, identify PRC-produced components and, with --country, evaluate the
equipment policy packs. The result is a ScanResult like every command's, in every format.

Exit codes: 0 done; 1 a PRC component was found and --fail-on-prc was given (or a policy deny with
--fail-on-prc); 2 usage or input error."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tierguard.cli.common import FORMAT_HELP, emit, prepare_output, run_with_progress
from tierguard.model import Context
from tierguard.report.console_views import MAX_HOST_TABLES_DEFAULT, print_equipment
from tierguard.scanner import InventoryInput, Scanner, ScanOptions

if TYPE_CHECKING:
    from tierguard.policy.packs import Pack


def _policy(
    values: dict[str, str | None], profile: str | None, binding_only: bool, pack: list[str] | None
) -> tuple[Context, list[Pack]]:
    """The deployment context and packs (no country, state or profile: no policy stage). Default packs:
    the equipment pack for hardware-only input; every shipped pack when the input may hold apps or logs
    (the government-device bans judge installed apps and egress)."""
    if not (values.get("country") or values.get("state") or profile):
        return Context(), []
    from tierguard.policy.context import resolve_context
    from tierguard.policy.packs import load_packs

    resolved = resolve_context(root=None, config=None, profile=profile, overrides=values)
    ctx = resolved.context.model_copy(update={"binding_only": binding_only})
    return ctx, load_packs(pack or None)


# What to read (no input: this machine)
Osquery = Annotated[
    list[Path] | None, typer.Option("--osquery", help="osquery JSON/results log (hardware and app tables).")
]
Inventory = Annotated[
    list[Path] | None,
    typer.Option(
        "--inventory", help="CMDB export (CSV/JSON); an MDM app export or a DNS/proxy/TLS log by content."
    ),
]
Snmp = Annotated[list[Path] | None, typer.Option("--snmp", help="'host OID = value' walk file.")]
Root = Annotated[Path, typer.Option(help="Root of the filesystem to probe (local mode).")]
RpmQuery = Annotated[Path | None, typer.Option(help="`rpm -qa` output file (local mode).")]
# The deployment context
Country = Annotated[str | None, typer.Option(help="Deployment country (ISO alpha-2) for policy.")]
State = Annotated[str | None, typer.Option(help="Subnational region, ISO 3166-2 (US-TX).")]
Sector = Annotated[str, typer.Option(help="government, critical-infrastructure or general.")]
DeviceClass = Annotated[str | None, typer.Option(help="Device class of the fleet (e.g. state-issued).")]
Profile = Annotated[str | None, typer.Option(help="Named context profile (uk-gov, texas-agency ...).")]
Network = Annotated[
    str | None, typer.Option(help="Class of the network egress logs come from (e.g. dod-network).")
]
BindingOnly = Annotated[
    bool, typer.Option(help="Evaluate only instruments binding and in force (see scan --help).")
]
Packs = Annotated[
    list[str] | None,
    typer.Option("--pack", help="Policy pack id/path (repeatable; default: every shipped pack)."),
]
# Output and gate
Format = Annotated[str, typer.Option("--format", "-f", help=FORMAT_HELP)]
Output = Annotated[Path | None, typer.Option("--output", "-o", help="Write the report to FILE.")]
FailOnPrc = Annotated[bool, typer.Option("--fail-on-prc", help="Exit 1 when PRC is found.")]
MaxHostTables = Annotated[int, typer.Option(help="Print per-host tables for at most N hosts.")]
# Ambiguous vendors
Lenovo = Annotated[bool, typer.Option("--lenovo-as-prc/--lenovo-not-prc")]
Tplink = Annotated[bool, typer.Option("--tplink-as-prc/--tplink-not-prc")]
HongKong = Annotated[bool, typer.Option("--hk-as-cn/--hk-not-cn")]
Enterprise25506 = Annotated[bool, typer.Option("--enterprise-25506-as-h3c")]


def register(app: typer.Typer) -> None:
    @app.command("host")
    def host(
        osquery: Osquery = None,
        inventory: Inventory = None,
        snmp: Snmp = None,
        root: Root = Path("/"),
        rpm_query: RpmQuery = None,
        country: Country = None,
        state: State = None,
        sector: Sector = "general",
        device_class: DeviceClass = None,
        profile: Profile = None,
        network: Network = None,
        binding_only: BindingOnly = False,
        pack: Packs = None,
        output_format: Format = "table",
        output: Output = None,
        fail_on_prc: FailOnPrc = False,
        lenovo_as_prc: Lenovo = True,
        tplink_as_prc: Tplink = True,
        hk_as_cn: HongKong = True,
        enterprise_25506_as_h3c: Enterprise25506 = False,
        max_host_tables: MaxHostTables = MAX_HOST_TABLES_DEFAULT,
    ) -> None:
        """Inventory this machine or a fleet (hardware, OS, installed apps, network egress) and say which
        components, apps and services are PRC-produced or PRC-operated; with a context, decide."""
        out_path = prepare_output(output_format, output)
        if sector not in ("government", "critical-infrastructure", "general"):
            raise typer.BadParameter(f"unknown sector {sector!r}", param_hint="--sector")
        from tierguard.equipment import EquipmentOptions

        vendors = EquipmentOptions(
            lenovo_as_prc=lenovo_as_prc,
            tplink_as_prc=tplink_as_prc,
            hk_as_cn=hk_as_cn,
            enterprise_25506_as_h3c=enterprise_25506_as_h3c,
        )
        opts = ScanOptions(discover=False, artifacts=False, inspect=False, command="host", equipment=vendors)
        inputs = [InventoryInput("osquery", p) for p in osquery or []]
        inputs += [InventoryInput("inventory", p) for p in inventory or []]
        inputs += [InventoryInput("snmp", p) for p in snmp or []]
        if not inputs:
            inputs = [InventoryInput("host", root, rpm_query=rpm_query)]
        values = {
            "country": country.upper() if country else None,
            "state": state,
            "sector": sector if sector != "general" or not profile else None,
            "device_class": device_class,
            "network": network,
        }
        ctx, packs = _policy(values, profile, binding_only, pack)
        scanner = Scanner(None, packs)
        result = run_with_progress(  # long network logs show bytes read on a terminal
            lambda progress: scanner.scan(None, ctx, options=opts, inventories=inputs, progress=progress),
            enabled=True,
        )
        emit(
            result,
            output_format,
            out_path,
            console_printer=lambda r, c: print_equipment(r, c, max_host_tables),
        )
        denied = any(d.effective_verdict == "deny" for d in result.decisions)
        if fail_on_prc and (result.stats.hosts_with_prc > 0 or denied):
            raise typer.Exit(1)
