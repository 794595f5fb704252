"""``tierguard diff OLD NEW``: what changed between two scans (JSON result files or recorded scans).

Exit codes: 0 no regression at or above ``--fail-on`` / ``--fail-on-severity``; 1 there is one; 2 an error
(unknown reference, unreadable or invalid result file, store failure). The work is in
:mod:`tierguard.report.diff`; rendering in :mod:`tierguard.report.diff_render`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tierguard.cli.common import (
    SEVERITY_FAIL_ON,
    STORE_HELP,
    VERDICT_FAIL_ON,
    check_choice,
    load_scan,
    prepare_output,
    write_text,
)

Old = Annotated[str, typer.Argument(help="The older scan: a JSON result file, or 12, latest, latest~1.")]
New = Annotated[str, typer.Argument(help="The newer scan: a JSON result file, or 12, latest, latest~1.")]
Store = Annotated[str | None, typer.Option("--store", help=STORE_HELP)]
TargetName = Annotated[
    str | None, typer.Option("--target", help="Resolve latest/latest~N among this target's scans.")
]
Format = Annotated[str, typer.Option("--format", "-f", help="table | json | sarif | html.")]
Output = Annotated[Path | None, typer.Option("--output", "-o", help="Write the report to FILE.")]
FailOn = Annotated[
    str,
    typer.Option(
        help="allow | review | deny | never: exit 1 on a new decision, a worse verdict or a new usage of an "
        "existing asset at or above this verdict."
    ),
]
FailOnSeverity = Annotated[
    str,
    typer.Option(help="info | low | medium | high | critical | never: exit 1 on a new finding at or above."),
]


def diff(
    old: Old,
    new: New,
    store: Store = None,
    target: TargetName = None,
    fmt: Format = "table",
    output: Output = None,
    fail_on: FailOn = "deny",
    fail_on_severity: FailOnSeverity = "high",
) -> None:
    """Show new, resolved and changed assets, usages, decisions and findings between OLD and NEW."""
    from tierguard.report.diff import diff as compute
    from tierguard.report.diff import make_thresholds
    from tierguard.report.diff_render import DIFF_FORMATS, renderer

    check_choice(fail_on, VERDICT_FAIL_ON, "--fail-on")
    check_choice(fail_on_severity, SEVERITY_FAIL_ON, "--fail-on-severity")
    out_path = prepare_output(fmt, output, DIFF_FORMATS)
    old_result, old_label = load_scan(old, store, target)
    new_result, new_label = load_scan(new, store, target)
    result = compute(
        old_result,
        new_result,
        thresholds=make_thresholds(fail_on, fail_on_severity),
        old_label=old_label,
        new_label=new_label,
    )
    if fmt == "table" and out_path is None:
        from rich.console import Console

        from tierguard.report.diff_render import print_diff

        print_diff(result, Console())
    else:
        write_text(renderer(fmt)(result), fmt, out_path)
    raise typer.Exit(1 if result.regressions else 0)


def register(app: typer.Typer) -> None:
    app.command("diff")(diff)
