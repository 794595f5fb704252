"""``tierguard host``: inventory a host (no args: this machine) or a fleet (--osquery/--inventory/--snmp)
through the Scanner's equipment stage, identify PRC-produced components and, with --country, evaluate the
equipment policy packs. The result is a ScanResult like every command's, in every format.

Exit codes: 0 done; 1 a PRC component was found and --fail-on-prc was given (or a policy deny with
--fail-on-prc); 2 usage or input error."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tierguard.cli.common import FORMAT_HELP, emit, prepare_output
from tierguard.model import Context
from tierguard.report.console_views import MAX_HOST_TABLES_DEFAULT, print_equipment
from tierguard.scanner import InventoryInput, Scanner, ScanOptions

if TYPE_CHECKING:
    from tierguard.policy.packs import Pack


def _policy(
    country: str | None, sector: str, network: str | None, binding_only: bool, pack: list[str] | None
) -> tuple[Context, list[Pack]]:
    """The deployment context and packs for the equipment view (no country: no policy stage)."""
    if not country:
        return Context(), []
    from tierguard.policy.context import build_context
    from tierguard.policy.packs import load_packs

    values = {"country": country.upper(), "sector": sector, "network": network}
    ctx = build_context({k: v for k, v in values.items() if v is not None}, "command line")
    return ctx.model_copy(update={"binding_only": binding_only}), load_packs(pack or ["us-equipment"])


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
        network: Annotated[
            str | None, typer.Option(help="Class of the network egress logs come from (e.g. dod-network).")
        ] = None,
        binding_only: Annotated[
            bool, typer.Option(help="Evaluate only instruments binding and in force (see scan --help).")
        ] = False,
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
        ctx, packs = _policy(country, sector, network, binding_only, pack)
        result = Scanner(None, packs).scan(None, ctx, options=opts, inventories=inputs)
        emit(
            result,
            output_format,
            out_path,
            console_printer=lambda r, c: print_equipment(r, c, max_host_tables),
        )
        denied = any(d.effective_verdict == "deny" for d in result.decisions)
        if fail_on_prc and (result.stats.hosts_with_prc > 0 or denied):
            raise typer.Exit(1)
