"""``tierguard scan PATH``: parse options, run the Scanner, print or write a report, set the exit code."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from tierguard.catalog import load_catalog
from tierguard.errors import TierguardError
from tierguard.model import VERDICT_ORDER, ScanResult
from tierguard.policy.context import resolve_context
from tierguard.policy.packs import load_packs
from tierguard.policy.waivers import load_waivers
from tierguard.report import FORMATS
from tierguard.report._common import display_path
from tierguard.report.coverage import coverage
from tierguard.report.output import check_output, write_report
from tierguard.scanner import Inventory, Scanner, ScanOptions

FORMAT_NAMES = ("table", "json", "sarif", "cyclonedx", "html")
FAIL_ON = ("allow", "review", "deny", "never")


def exit_code(result: ScanResult, fail_on: str, *, fail_on_incomplete: bool = False) -> int:
    """1 when a decision is at or above ``fail_on`` (``never``: none is), or when ``fail_on_incomplete``
    and a unit that may be a model artifact or container was not fully read (report/coverage.py); else 0."""
    if fail_on != "never":
        threshold = VERDICT_ORDER[fail_on]
        if any(VERDICT_ORDER[d.effective_verdict] >= threshold for d in result.decisions):
            return 1
    return 1 if fail_on_incomplete and coverage(result).gating else 0


def _read_equipment(osquery: list[Path], inventory: list[Path], snmp: list[Path]) -> Inventory | None:
    """Read equipment inventories given with the scan, so compute-access rules see the fleet too."""
    if not (osquery or inventory or snmp):
        return None
    # only with --osquery/--inventory/--snmp
    from tierguard.equipment import EquipmentOutput, load_equipment_catalog
    from tierguard.inventories import read_inventory, read_osquery, read_snmp

    inputs = [(p, read_osquery) for p in osquery] + [(p, read_inventory) for p in inventory]
    inputs += [(p, read_snmp) for p in snmp]
    cat = load_equipment_catalog()
    out = EquipmentOutput(catalog_version=cat.version)
    for p, reader in inputs:
        if not p.is_file():
            raise TierguardError(f"equipment input {p}: not a file")
        out = out.merge(reader(p, catalog=cat))
    s = out.summary
    note = (
        f"equipment inventory: {s.hosts} host(s), {s.hosts_with_prc} with PRC-produced components; "
        f"{s.unusable_records} unusable record(s)"
    )
    return Inventory(assets=out.assets, evidence=out.evidence, skipped=out.skipped, notes=(note,))


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
        fmt: Annotated[
            str, typer.Option("--format", "-f", help="table | json | sarif | cyclonedx | html.")
        ] = "table",
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Write the report to FILE.")
        ] = None,
        fail_on: Annotated[
            str | None, typer.Option(help="allow | review | deny | never (default deny).")
        ] = None,
        include_ignored: Annotated[bool, typer.Option(help="Also scan files .gitignore excludes.")] = False,
        no_artifacts: Annotated[bool, typer.Option(help="Skip model-artifact identification.")] = False,
        no_inspect: Annotated[bool, typer.Option(help="Skip static safety inspection of artifacts.")] = False,
        strict: Annotated[
            bool, typer.Option(help="Re-raise the first per-file error instead of recording it.")
        ] = False,
        fail_on_incomplete: Annotated[
            bool,
            typer.Option(help="Exit 1 when a possible model artifact or archive could not be fully read."),
        ] = True,
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
        if fmt not in FORMAT_NAMES:
            raise typer.BadParameter(f"must be one of {', '.join(FORMAT_NAMES)}", param_hint="--format")
        if fail_on is not None and fail_on not in FAIL_ON:
            raise typer.BadParameter(f"must be one of {', '.join(FAIL_ON)}", param_hint="--fail-on")
        destination = check_output(output) if output is not None else None  # before any work
        if not path.exists():
            raise TierguardError(f"target does not exist: {path}")
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
        equipment = _read_equipment(osquery or [], inventory or [], snmp or [])
        scanner = Scanner(load_catalog(), packs)
        options = ScanOptions(
            include_ignored=include_ignored, strict=strict, artifacts=not no_artifacts, inspect=not no_inspect
        )
        err = Console(stderr=True)
        show_progress = progress and err.is_terminal
        if show_progress:
            with Progress(
                SpinnerColumn(),
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[current]}", style="dim"),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            ) as bar:
                task = bar.add_task("scanning", total=None, current="")

                def on_file(stage: str, path: str) -> None:
                    bar.update(task, advance=1, description=stage, current=path[-60:])

                result = scanner.scan(
                    path,
                    resolved.context,
                    waivers=waiver_list,
                    options=options,
                    progress=on_file,
                    inventory=equipment,
                )
        else:
            result = scanner.scan(
                path, resolved.context, waivers=waiver_list, options=options, inventory=equipment
            )
        if resolved.notes:
            result = result.model_copy(update={"notes": tuple(resolved.notes) + result.notes})

        if fmt == "table" and output is None:
            from tierguard.report.console import print_result

            print_result(result, Console())
        else:
            text = FORMATS[fmt](result)
            if destination is not None:
                write_report(text, destination)
                err.print(f"wrote {fmt} report to {display_path(str(output))}", highlight=False, markup=False)
            else:
                sys.stdout.write(text if text.endswith("\n") else text + "\n")
        code = exit_code(result, effective_fail_on, fail_on_incomplete=fail_on_incomplete)
        if code and not exit_code(result, effective_fail_on):
            gaps = coverage(result).gating
            err.print(
                f"exit 1: {len(gaps)} unit(s) that may be model artifacts or archives could not be fully "
                "read (see Not inspected; --no-fail-on-incomplete to not fail on them)",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
        raise typer.Exit(code)
