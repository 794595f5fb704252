"""``tierguard scan PATH``: parse options, run the Scanner, print or write a report, set the exit code.

The options are declared once below as named ``Annotated`` types (their help text is the ``--help``
output), so the command's signature reads as a list of its options; the work is in :func:`run_scan`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tierguard.cli.common import (
    FORMAT_HELP,
    STORE_HELP,
    VERDICT_FAIL_ON,
    baseline_exit,
    check_choice,
    emit,
    is_scan_ref,
    load_audit_file,
    load_result_file,
    load_scan,
    prepare_output,
    run_with_progress,
    verdict_exit,
)
from tierguard.errors import TierguardError
from tierguard.scanner import InventoryInput, Scanner, ScanOptions

if TYPE_CHECKING:
    from tierguard.model import ScanResult
    from tierguard.policy.context import ResolvedConfig
    from tierguard.report.diff import ScanDiff

# What to scan
Target = Annotated[
    Path,
    typer.Argument(
        help="Directory, git repository, file, wheel, environment, or container image (OCI layout, docker "
        "save archive, or with skopeo a reference such as docker://REPO:TAG)."
    ),
]
# The deployment context (also [context] in --config; flags win; the target's own tierguard.toml if trusted)
Country = Annotated[str | None, typer.Option(help="Deployment country, ISO 3166-1 alpha-2 (GB).")]
State = Annotated[str | None, typer.Option(help="Subnational region, ISO 3166-2 (US-TX).")]
Sector = Annotated[str | None, typer.Option(help="government | critical-infrastructure | general.")]
Use = Annotated[str | None, typer.Option(help="hosted-api | self-hosted | any.")]
DeviceClass = Annotated[str | None, typer.Option(help="Device class (e.g. state-issued, dod, nasa).")]
Network = Annotated[
    str | None, typer.Option(help="Class of the network egress logs come from (e.g. dod-network).")
]
DataSensitivity = Annotated[str | None, typer.Option(help="Data sensitivity label.")]
Date = Annotated[str | None, typer.Option(help="Evaluation date YYYY-MM-DD (default: today).")]
Profile = Annotated[str | None, typer.Option(help="Named context profile (--config or built-in).")]
Config = Annotated[Path | None, typer.Option(help="A tierguard.toml outside the target.")]
# Policy
BindingOnly = Annotated[
    bool,
    typer.Option(
        help="Evaluate only instruments binding and in force (statutes, regulations, executive orders, "
        "directives); drop proposals, bills, guidance, regulator actions and rescinded instruments."
    ),
]
Packs = Annotated[
    list[str] | None, typer.Option(help="Policy pack id or file (repeatable; default: all shipped).")
]
Waivers = Annotated[Path | None, typer.Option(help="Waivers file (YAML or TOML).")]
TrustTargetConfig = Annotated[
    bool,
    typer.Option(
        help="Use the target's own tierguard.toml (context, profiles, packs, waivers); ignored by default."
    ),
]
# Report and exit code
Format = Annotated[str, typer.Option("--format", "-f", help=FORMAT_HELP)]
Output = Annotated[Path | None, typer.Option("--output", "-o", help="Write the report to FILE.")]
FailOn = Annotated[str | None, typer.Option(help="allow | review | deny | never (default deny).")]
FailOnIncomplete = Annotated[
    bool,
    typer.Option(
        help="Exit 1 when something that may be a model artifact, config or container could not be "
        "fully read (default on; see README 'Exit codes')."
    ),
]
# Recording and baselines (issue 14; see docs/diff.md)
Record = Annotated[bool, typer.Option("--record", help="Record the result in the store (see --store).")]
Store = Annotated[str | None, typer.Option("--store", help=STORE_HELP)]
TargetName = Annotated[
    str | None,
    typer.Option(
        help="The name --record records the scan under and --baseline latest looks it up by (default: the "
        "target as given on the command line). Use one name where the path differs between machines."
    ),
]
Baseline = Annotated[
    str | None,
    typer.Option(
        help="Compare with a baseline: a JSON result file, or latest / latest~N / ID of this target in the "
        "store. The exit code then depends only on what is new or worse; SARIF marks baselineState."
    ),
]
Audits = Annotated[
    list[Path] | None,
    typer.Option(
        "--audit",
        help="A `tierguard audit` JSON result (repeatable): its findings join the audited model's asset "
        "before policy (packs see audited and unaudited self-hosted models).",
    ),
]
# Which stages run, and how
IncludeIgnored = Annotated[bool, typer.Option(help="Also scan untracked files .gitignore excludes.")]
ShowMentions = Annotated[
    bool,
    typer.Option(help="Console/table: list mention-only assets (docs, comments) instead of counting them."),
]
NoArtifacts = Annotated[bool, typer.Option(help="Skip model-artifact identification.")]
NoInspect = Annotated[bool, typer.Option(help="Skip static safety inspection of artifacts.")]
Strict = Annotated[bool, typer.Option(help="Re-raise the first per-file error instead of recording it.")]
ShowProgress = Annotated[bool, typer.Option(help="Show a progress display on stderr.")]
# Equipment inventories read with the scan
Osquery = Annotated[
    list[Path] | None, typer.Option("--osquery", help="Equipment: osquery results file (repeatable).")
]
Inventory = Annotated[
    list[Path] | None, typer.Option("--inventory", help="Equipment: CMDB export CSV/JSON (repeatable).")
]
Snmp = Annotated[list[Path] | None, typer.Option("--snmp", help="Equipment: SNMP walk file (repeatable).")]


def scan(
    path: Target,
    country: Country = None,
    state: State = None,
    sector: Sector = None,
    use: Use = None,
    device_class: DeviceClass = None,
    network: Network = None,
    data_sensitivity: DataSensitivity = None,
    date: Date = None,
    profile: Profile = None,
    config: Config = None,
    binding_only: BindingOnly = False,
    pack: Packs = None,
    waivers: Waivers = None,
    trust_target_config: TrustTargetConfig = False,
    fmt: Format = "table",
    output: Output = None,
    fail_on: FailOn = None,
    fail_on_incomplete: FailOnIncomplete = True,
    record: Record = False,
    store: Store = None,
    target_name: TargetName = None,
    baseline: Baseline = None,
    audit: Audits = None,
    include_ignored: IncludeIgnored = False,
    show_mentions: ShowMentions = False,
    no_artifacts: NoArtifacts = False,
    no_inspect: NoInspect = False,
    strict: Strict = False,
    progress: ShowProgress = True,
    osquery: Osquery = None,
    inventory: Inventory = None,
    snmp: Snmp = None,
) -> None:
    """Scan PATH for AI models, services and SDKs; identify origin; inspect artifacts; decide."""
    if fail_on is not None:
        check_choice(fail_on, VERDICT_FAIL_ON, "--fail-on")
    out_path = prepare_output(fmt, output)
    if not path.exists() and not path.is_symlink() and not _image_reference(path):
        raise TierguardError(f"target does not exist: {path}")
    overrides = {
        "country": country,
        "state": state,
        "sector": sector,
        "use": use,
        "device_class": device_class,
        "network": network,
        "data_sensitivity": data_sensitivity,
        "date": date,
    }
    resolved = _resolve(path, config, profile, overrides, trust_target_config)
    if binding_only:
        resolved.context = resolved.context.model_copy(update={"binding_only": True})
    options = ScanOptions(
        include_ignored=include_ignored,
        strict=strict,
        artifacts=not no_artifacts,
        inspect=not no_inspect,
        audits=tuple(load_audit_file(a) for a in audit or ()),
    )
    inventories = _inventories(osquery or [], inventory or [], snmp or [])
    if baseline is not None and not is_scan_ref(baseline):
        load_result_file(Path(baseline))  # a bad baseline file fails before the scan, not after
    result = run_scan(path, resolved, pack, waivers, options, inventories, progress)
    effective_fail_on = fail_on or resolved.fail_on or "deny"
    # the report is written before the store is: a store that fails (exit 2) loses no result
    if baseline is None:
        emit(result, fmt, out_path, show_mentions=show_mentions)
        _record(result, record, store, target_name)
        raise typer.Exit(verdict_exit(result, effective_fail_on, fail_on_incomplete))
    old, label = load_scan(baseline, store, target_name or result.target)  # before recording this scan
    from tierguard.report.diff import diff, make_thresholds

    changes = diff(old, result, thresholds=make_thresholds(effective_fail_on, "never"), old_label=label)
    _emit_with_baseline(result, changes, fmt, out_path, show_mentions)
    _record(result, record, store, target_name)
    raise typer.Exit(baseline_exit(changes, old, result, fail_on_incomplete))


def _image_reference(path: Path) -> bool:
    """PATH names a container image for skopeo (``docker://...``, ``oci:...``, ``docker-archive:...``)."""
    from tierguard.targets.image import image_reference

    return image_reference(path) is not None


def register(app: typer.Typer) -> None:
    app.command("scan")(scan)


def _resolve(
    path: Path,
    config: Path | None,
    profile: str | None,
    overrides: Mapping[str, str | None],
    trust_target_config: bool,
) -> ResolvedConfig:
    """The deployment context, packs, waivers and threshold from the target's and --config's
    tierguard.toml, the profile and the flags (see :func:`tierguard.policy.context.resolve_context`)."""
    from tierguard.policy.context import resolve_context

    return resolve_context(
        root=path if path.is_dir() else None,
        config=config,
        profile=profile,
        overrides=overrides,
        trust_target_config=trust_target_config,
    )


def run_scan(
    path: Path,
    resolved: ResolvedConfig,
    pack: list[str] | None,
    waivers: Path | None,
    options: ScanOptions,
    inventories: list[InventoryInput],
    progress: bool,
) -> ScanResult:
    """Load the catalog, the packs (``--pack``, else the configured ones, else all shipped) and the waivers
    (``--waivers``, else the configured file), run the Scanner and add the configuration's notes."""
    from tierguard.catalog import load_catalog
    from tierguard.policy.packs import load_packs
    from tierguard.policy.waivers import load_waivers

    packs = load_packs(pack or resolved.packs or None)
    waiver_path = waivers or resolved.waivers
    waiver_list = load_waivers(waiver_path) if waiver_path is not None else []
    scanner = Scanner(load_catalog(), packs)
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
    return result


def _inventories(osquery: list[Path], inventory: list[Path], snmp: list[Path]) -> list[InventoryInput]:
    """Equipment inventories given with the scan, so compute-access rules see the fleet too."""
    out = [InventoryInput("osquery", p) for p in osquery] + [
        InventoryInput("inventory", p) for p in inventory
    ]
    return out + [InventoryInput("snmp", p) for p in snmp]


def _record(result: ScanResult, record: bool, store_url: str | None, name: str | None) -> None:
    """``--record``: one transaction in the store; one line on stderr says which scan id it got."""
    if not record:
        return
    from tierguard.cli.common import open_store

    st = open_store(store_url)
    try:
        ref = st.record(result, target=name)
        url = st.url
    finally:
        st.close()
    from tierguard.report._common import safe_text

    typer.echo(f"tierguard: recorded scan {ref.id} of {safe_text(ref.target)} in {safe_text(url)}", err=True)


def _emit_with_baseline(
    result: ScanResult, changes: ScanDiff, fmt: str, out_path: Path | None, show_mentions: bool
) -> None:
    """The full report, with what is new since the baseline: the table view adds a "Changes since the
    baseline" section (NEW/WORSE marks), SARIF sets ``baselineState`` on every result; other formats are
    the plain report, with a one-line summary of the changes on stderr."""
    from tierguard.cli.common import write_text
    from tierguard.report.diff_render import print_diff, render_table

    if fmt == "sarif":
        from tierguard.report.diff_sarif import render_marked

        write_text(render_marked(result, changes), fmt, out_path)
        return
    if fmt == "table" and out_path is None:
        from rich.console import Console
        from rich.rule import Rule

        from tierguard.report.console import print_result

        def printer(r: ScanResult, console: Console) -> None:
            print_result(r, console, show_mentions=show_mentions)
            console.print(Rule("Changes since the baseline"))
            print_diff(changes, console)

        emit(result, fmt, None, console_printer=printer)
        return
    if fmt == "table":
        from tierguard.report.console import render

        text = render(result, show_mentions=show_mentions)
        write_text(text + "\nChanges since the baseline\n" + render_table(changes), fmt, out_path)
        return
    emit(result, fmt, out_path, show_mentions=show_mentions)
    counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in changes.summary.items() if v)
    typer.echo(f"tierguard: since the baseline: {counts or 'no changes'}", err=True)
