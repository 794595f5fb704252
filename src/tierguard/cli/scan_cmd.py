"""``tierguard scan PATH``: parse options, run the Scanner, print or write a report, set the exit code."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tierguard.cli.common import (
    FORMAT_HELP,
    VERDICT_FAIL_ON,
    check_choice,
    emit,
    prepare_output,
    run_with_progress,
    verdict_exit,
)
from tierguard.errors import TierguardError
from tierguard.scanner import InventoryInput, Scanner, ScanOptions


def _inventories(osquery: list[Path], inventory: list[Path], snmp: list[Path]) -> list[InventoryInput]:
    """Equipment inventories given with the scan, so compute-access rules see the fleet too."""
    out = [InventoryInput("osquery", p) for p in osquery] + [
        InventoryInput("inventory", p) for p in inventory
    ]
    return out + [InventoryInput("snmp", p) for p in snmp]


def register(app: typer.Typer) -> None:
    @app.command("scan")
    def scan(
        path: Annotated[Path, typer.Argument(help="Directory, git repository, file, wheel or environment.")],
        country: Annotated[
            str | None, typer.Option(help="Deployment country, ISO 3166-1 alpha-2 (GB).")
        ] = None,
        state: Annotated[str | None, typer.Option(help="Subnational region, ISO 3166-2 (US-TX).")] = None,
        sector: Annotated[
            str | None, typer.Option(help="government | critical-infrastructure | general.")
        ] = None,
        use: Annotated[str | None, typer.Option(help="hosted-api | self-hosted | any.")] = None,
        device_class: Annotated[
            str | None, typer.Option(help="Device/network class (e.g. state-issued).")
        ] = None,
        data_sensitivity: Annotated[str | None, typer.Option(help="Data sensitivity label.")] = None,
        date: Annotated[str | None, typer.Option(help="Evaluation date YYYY-MM-DD (default: today).")] = None,
        profile: Annotated[
            str | None, typer.Option(help="Named context profile (tierguard.toml or built-in).")
        ] = None,
        config: Annotated[Path | None, typer.Option(help="A tierguard.toml outside the target.")] = None,
        pack: Annotated[
            list[str] | None, typer.Option(help="Policy pack id or file (repeatable; default: all shipped).")
        ] = None,
        waivers: Annotated[Path | None, typer.Option(help="Waivers file (YAML or TOML).")] = None,
        trust_target_config: Annotated[
            bool, typer.Option(help="Also take packs and waivers from the target's own tierguard.toml.")
        ] = False,
        fmt: Annotated[str, typer.Option("--format", "-f", help=FORMAT_HELP)] = "table",
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Write the report to FILE.")
        ] = None,
        fail_on: Annotated[
            str | None, typer.Option(help="allow | review | deny | never (default deny).")
        ] = None,
        fail_on_incomplete: Annotated[
            bool,
            typer.Option(
                help="Exit 1 when something that may be a model artifact, config or container could not be "
                "fully read (default on; see README 'Exit codes')."
            ),
        ] = True,
        include_ignored: Annotated[bool, typer.Option(help="Also scan files .gitignore excludes.")] = False,
        no_artifacts: Annotated[bool, typer.Option(help="Skip model-artifact identification.")] = False,
        no_inspect: Annotated[bool, typer.Option(help="Skip static safety inspection of artifacts.")] = False,
        strict: Annotated[
            bool, typer.Option(help="Re-raise the first per-file error instead of recording it.")
        ] = False,
        progress: Annotated[bool, typer.Option(help="Show a progress display on stderr.")] = True,
        osquery: Annotated[
            list[Path] | None, typer.Option("--osquery", help="Equipment: osquery results file (repeatable).")
        ] = None,
        inventory: Annotated[
            list[Path] | None,
            typer.Option("--inventory", help="Equipment: CMDB export CSV/JSON (repeatable)."),
        ] = None,
        snmp: Annotated[
            list[Path] | None, typer.Option("--snmp", help="Equipment: SNMP walk file (repeatable).")
        ] = None,
    ) -> None:
        """Scan PATH for AI models, services and SDKs; identify origin; inspect artifacts; decide."""
        if fail_on is not None:
            check_choice(fail_on, VERDICT_FAIL_ON, "--fail-on")
        out_path = prepare_output(fmt, output)
        if not path.exists() and not path.is_symlink():
            raise TierguardError(f"target does not exist: {path}")
        from tierguard.catalog import load_catalog
        from tierguard.policy.context import resolve_context
        from tierguard.policy.packs import load_packs
        from tierguard.policy.waivers import load_waivers

        root = path if path.is_dir() else None
        resolved = resolve_context(
            root=root,
            config=config,
            profile=profile,
            overrides={
                "country": country,
                "state": state,
                "sector": sector,
                "use": use,
                "device_class": device_class,
                "data_sensitivity": data_sensitivity,
                "date": date,
            },
            trust_target_config=trust_target_config,
        )
        packs = load_packs(pack or resolved.packs or None)
        waiver_path = waivers or resolved.waivers
        waiver_list = load_waivers(waiver_path) if waiver_path is not None else []
        effective_fail_on = fail_on or resolved.fail_on or "deny"
        scanner = Scanner(load_catalog(), packs)
        options = ScanOptions(
            include_ignored=include_ignored, strict=strict, artifacts=not no_artifacts, inspect=not no_inspect
        )
        inventories = _inventories(osquery or [], inventory or [], snmp or [])
        result = run_with_progress(
            lambda on_file: scanner.scan(
                path,
                resolved.context,
                waivers=waiver_list,
                options=options,
                progress=on_file,
                inventories=inventories,
            ),
            progress,
        )
        if resolved.notes:
            result = result.model_copy(update={"notes": tuple(resolved.notes) + result.notes})
        emit(result, fmt, out_path)
        raise typer.Exit(verdict_exit(result, effective_fail_on, fail_on_incomplete))
