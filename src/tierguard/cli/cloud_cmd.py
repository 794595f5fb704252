"""``tierguard cloud aws``: collect the AWS account's Bedrock and SageMaker inventory with read-only calls
(boto3: ``List*``/``Describe*``/``Get*`` only), write the responses as the AWS CLI prints them (to
``--save-exports DIR`` or a temporary directory), and run the Scanner over that directory as a cloud
inventory, exactly as ``tierguard scan DIR`` reads exported JSON. Same context, packs and report formats as
``scan``; same exit codes (0, 1 at or above ``--fail-on`` or a gating gap, 2 usage/configuration error).

Azure and GCP have no live path: export with ``az`` / ``gcloud`` and scan the JSON (docs/cloud.md).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tierguard.cli.common import (
    FORMAT_HELP,
    VERDICT_FAIL_ON,
    check_choice,
    emit,
    prepare_output,
    verdict_exit,
)
from tierguard.errors import TierguardError
from tierguard.scanner import InventoryInput, Scanner, ScanOptions

if TYPE_CHECKING:
    from tierguard.model import ScanResult
    from tierguard.policy.context import ResolvedConfig

AwsProfile = Annotated[
    str | None, typer.Option("--profile", help="AWS profile (boto3's; default: its default).")
]
Regions = Annotated[
    list[str] | None, typer.Option("--region", help="AWS region (repeatable; default: the profile's).")
]
SaveExports = Annotated[
    Path | None,
    typer.Option(help="Keep the collected responses in DIR (new or empty) to re-scan or audit them."),
]
Country = Annotated[str | None, typer.Option(help="Deployment country, ISO 3166-1 alpha-2 (GB).")]
State = Annotated[str | None, typer.Option(help="Subnational region, ISO 3166-2 (US-TX).")]
Sector = Annotated[str | None, typer.Option(help="government | critical-infrastructure | general.")]
Use = Annotated[str | None, typer.Option(help="hosted-api | self-hosted | any.")]
DataSensitivity = Annotated[str | None, typer.Option(help="Data sensitivity label.")]
Date = Annotated[str | None, typer.Option(help="Evaluation date YYYY-MM-DD (default: today).")]
ContextProfile = Annotated[
    str | None, typer.Option(help="Named context profile (uk-gov, texas-agency ... or in --config).")
]
Config = Annotated[Path | None, typer.Option(help="A tierguard.toml with [context], packs, waivers.")]
BindingOnly = Annotated[bool, typer.Option(help="Evaluate only instruments binding and in force.")]
Packs = Annotated[list[str] | None, typer.Option("--pack", help="Policy pack id or file (repeatable).")]
Waivers = Annotated[Path | None, typer.Option(help="Waivers file (YAML or TOML).")]
Format = Annotated[str, typer.Option("--format", "-f", help=FORMAT_HELP)]
Output = Annotated[Path | None, typer.Option("--output", "-o", help="Write the report to FILE.")]
FailOn = Annotated[str | None, typer.Option(help="allow | review | deny | never (default deny).")]
FailOnIncomplete = Annotated[
    bool, typer.Option(help="Exit 1 when a call was refused or a listing was cut short (default on).")
]


def register(app: typer.Typer) -> None:
    cloud = typer.Typer(
        help="Cloud AI inventories collected live (read-only). Exported JSON: tierguard scan DIR.",
        no_args_is_help=True,
    )
    cloud.command("aws")(aws)
    app.add_typer(cloud, name="cloud")


def aws(
    profile: AwsProfile = None,
    region: Regions = None,
    save_exports: SaveExports = None,
    country: Country = None,
    state: State = None,
    sector: Sector = None,
    use: Use = None,
    data_sensitivity: DataSensitivity = None,
    date: Date = None,
    context_profile: ContextProfile = None,
    config: Config = None,
    binding_only: BindingOnly = False,
    pack: Packs = None,
    waivers: Waivers = None,
    fmt: Format = "table",
    output: Output = None,
    fail_on: FailOn = None,
    fail_on_incomplete: FailOnIncomplete = True,
) -> None:
    """Inventory the Bedrock and SageMaker models of an AWS account (read-only calls), say who produced and
    who operates each, and decide for a deployment context."""
    if fail_on is not None:
        check_choice(fail_on, VERDICT_FAIL_ON, "--fail-on")
    out_path = prepare_output(fmt, output)
    from tierguard.policy.context import resolve_context

    overrides = {
        "country": country,
        "state": state,
        "sector": sector,
        "use": use,
        "data_sensitivity": data_sensitivity,
        "date": date,
    }
    resolved = resolve_context(root=None, config=config, profile=context_profile, overrides=overrides)
    if binding_only:
        resolved.context = resolved.context.model_copy(update={"binding_only": True})
    if save_exports is not None:
        _check_empty(save_exports)
        result = run_aws(save_exports, profile, region or [], resolved, pack, waivers)
    else:
        with tempfile.TemporaryDirectory(prefix="tierguard-aws-") as tmp:
            result = run_aws(Path(tmp) / "aws-live", profile, region or [], resolved, pack, waivers)
    emit(result, fmt, out_path)
    raise typer.Exit(verdict_exit(result, fail_on or resolved.fail_on or "deny", fail_on_incomplete))


def _check_empty(path: Path) -> None:
    if path.is_symlink() or (path.exists() and (not path.is_dir() or any(path.iterdir()))):
        raise TierguardError(f"--save-exports {path}: must be a new or empty directory")


def cloud_input(path: Path) -> InventoryInput:
    """The Scanner input for a directory of cloud exports."""
    return InventoryInput("cloud", path)


def run_aws(
    export_dir: Path,
    profile: str | None,
    regions: list[str],
    resolved: ResolvedConfig,
    pack: list[str] | None,
    waivers: Path | None,
) -> ScanResult:
    """Collect into ``export_dir``, then scan it as a cloud inventory with the context and packs."""
    from tierguard.catalog import load_catalog
    from tierguard.cloud.live_aws import collect_aws
    from tierguard.policy.packs import load_packs
    from tierguard.policy.waivers import load_waivers

    packs = load_packs(pack or resolved.packs or None)
    waiver_path = waivers or resolved.waivers
    waiver_list = load_waivers(waiver_path) if waiver_path is not None else []
    got = collect_aws(export_dir, profile=profile, regions=regions)
    scanner = Scanner(load_catalog(), packs)
    options = ScanOptions(discover=False, artifacts=False, inspect=False)
    result = scanner.scan(
        None,
        resolved.context,
        waivers=waiver_list,
        options=options,
        inventories=[cloud_input(export_dir)],
        display_name=f"aws:{got.account or 'account'}:{','.join(got.regions)}",
    )
    if resolved.notes:
        result = result.model_copy(update={"notes": tuple(resolved.notes) + result.notes})
    return result
