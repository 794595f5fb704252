"""``tierguard policy list|show|test`` and ``tierguard explain ASSET_ID --result scan.json``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tierguard.errors import PolicyError
from tierguard.model import SCHEMA_VERSION, STRENGTH_ORDER, Asset, RecordError, ScanResult, status_label
from tierguard.policy.citations import pack_citation_problems
from tierguard.policy.engine import UsageKey, usage_groups
from tierguard.policy.explain import RuleTrace, trace
from tierguard.policy.packs import Pack, load_pack, load_packs, shipped_pack_ids
from tierguard.policy.selftest import run_examples
from tierguard.policy.yamlsrc import read_text


def _console() -> Console:
    return Console(highlight=False)


def list_packs(console: Console) -> None:
    table = Table(title="Policy packs", show_lines=False)
    for col in ("id", "version", "date", "rules", "examples"):
        table.add_column(col, no_wrap=True)
    table.add_column("title")
    for pid in shipped_pack_ids():
        p = load_pack(pid)
        table.add_row(p.id, p.version, p.date, str(len(p.rules)), str(len(p.examples)), p.title)
    console.print(table)


def show_pack(p: Pack, console: Console) -> None:
    console.print(f"[bold]{p.id}[/] {p.version} ({p.date}): {p.title}")
    console.print(p.description.strip())
    for fw in p.frameworks:
        console.print(f"\n[bold]framework {fw.id}[/]: {fw.title}")
        console.print(f"  {fw.instrument}, {fw.date}  {fw.url}")
        if fw.rescinded:
            console.print(f"  rescinded {fw.rescinded}: {fw.status.strip()}")
        for tier, codes in fw.tiers.items():
            flag = " (verify)" if tier in fw.verify_tiers else ""
            console.print(f"  tier {tier}{flag}: {' '.join(codes)}")
        console.print(f"  tier {fw.default_tier}: every other country")
    for r in p.rules:
        console.print(f"\n[bold]{r.id}[/] \\[{r.verdict}/{r.severity}, {status_label(r.status)}] {r.title}")
        cite = f"{r.instrument}, {r.date}, {r.url}" + (
            " (verify: unverified secondary source)" if r.verify else ""
        )
        console.print(f"  source: {cite}")
        if r.effective or r.sunset:
            before = f"; before then: {r.before_effective}" if r.before_effective else ""
            console.print(f"  in force: {r.effective or '-'} to {r.sunset or '-'}{before}")
        scope = r.scope.model_dump(exclude_defaults=True)
        console.print(f"  scope: {scope or 'every context'}")
        for m in r.match:
            console.print(f"  match: {m.model_dump(exclude_defaults=True)}")
        if r.verdict_by_use_mode:
            console.print(f"  verdict by use mode: {dict(r.verdict_by_use_mode)}")
        console.print(f"  why: {r.reason.strip()}")


def _load_any(selector: str) -> Pack:
    return load_pack(selector)


def test_pack(selector: str, console: Console) -> bool:
    pack = _load_any(selector)
    support = load_packs(None)
    results = run_examples(pack, support)
    ok = True
    for r in results:
        mark = "[green]PASS[/]" if r.ok else "[red]FAIL[/]"
        console.print(f"{mark} {pack.id}: {r.name}: expected {r.expected}, got {r.got}")
        if not r.ok:
            ok = False
            missing = sorted(set(r.expected_rules) - set(r.matched_rules))
            if missing:
                console.print(f"     expected rules not matched: {', '.join(missing)}")
            console.print(
                f"     matched: {', '.join(r.matched_rules) or '(none)'}; notes: {'; '.join(r.notes)}"
            )
    if not results:
        console.print(f"{pack.id}: no example cases")
    console.print(f"{sum(r.ok for r in results)}/{len(results)} examples passed")
    problems = pack_citation_problems(pack)
    for rule_id, problem in problems:
        console.print(f"[red]FAIL[/] {pack.id}: citation of {rule_id}: {escape(problem)}")
    return ok and not problems


def load_result(path: Path) -> ScanResult:
    text = read_text(path, "scan result")
    major = SCHEMA_VERSION.split(".", 1)[0]
    found = re.search(r'"schema_version"\s*:\s*"(\d+)\.', text[:4096])
    if found is not None and found.group(1) != major:
        raise PolicyError(
            f"{path}: a schema {found.group(1)}.x scan result; this tierguard reads {major}.x "
            "(re-run the scan; see src/tierguard/report/schema/CHANGELOG.md for the migration)"
        )
    try:
        from tierguard.report.json_report import load  # decodes paths, drops the derived coverage

        return load(text)
    except (RecordError, ValueError) as exc:
        raise PolicyError(f"{path}: not a tierguard JSON scan result: {str(exc)[:300]}") from None


def find_asset(result: ScanResult, key: str) -> Asset:
    exact = result.asset(key)
    if exact is not None:
        return exact
    low = key.lower()
    hits = [a for a in result.assets if a.id.startswith(key) or a.name.lower() == low]
    if not hits:  # a name it was written as (``deepseek-chat`` for ``deepseek-ai/DeepSeek-V3``)
        hits = [a for a in result.assets if any(x.lower() == low for x in a.aliases)]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise PolicyError(f"no asset {key!r} in the scan result (use an id from the report)")
    raise PolicyError(f"{key!r} is ambiguous: {', '.join(a.id for a in hits[:10])}")


def explain(result: ScanResult, asset: Asset, packs: list[Pack], console: Console) -> None:
    prov = asset.provenance
    console.print(f"[bold]{asset.name}[/] ({asset.kind}, use mode {asset.use_mode}) id {asset.id}")
    if asset.parent:
        console.print(f"  part of: {asset.parent}")
    if asset.aliases:
        console.print(f"  also written as: {escape(', '.join(asset.aliases))}")
    console.print("\n[bold]Where it was found[/]")
    if not asset.evidence and not asset.usages:
        console.print("  (no evidence recorded)")
    strongest_first = sorted(asset.usages, key=lambda u: -STRENGTH_ORDER[u.strength])  # stable: by place
    for u in strongest_first:
        written = f" as {u.as_written!r}" if u.as_written else ""
        juris = f" ({u.service_jurisdiction})" if u.service_jurisdiction else ""
        console.print(f"  {escape(u.display())}{juris}, strength {u.strength}{escape(written)}")
        if u.excerpt:
            console.print(f"    > {escape(u.excerpt[:160])}")
    for ev in () if asset.usages else asset.evidence:
        console.print(
            f"  {ev.location.display()}: {ev.kind} {ev.value!r}"
            f" (strength {ev.strength}, detector {ev.detector})"
        )
        if ev.excerpt:
            console.print(f"    > {escape(ev.excerpt[:160])}")
    console.print("\n[bold]How it was identified[/]")
    if prov.producers:
        for p in prov.producers:
            console.print(f"  {p.role}: {p.name} ({p.id}), jurisdiction {p.jurisdiction}")
    else:
        console.print("  producer unknown")
    if prov.service_operator or prov.service_jurisdiction:
        op = prov.service_operator.name if prov.service_operator else "unknown operator"
        console.print(f"  service operated by {op}, subject to the law of {prov.service_jurisdiction or '?'}")
    for e in prov.lineage:
        bp = e.base_producer
        who = f" by {bp.name} ({bp.jurisdiction})" if bp else ""
        console.print(f"  lineage: {e.relation} of {e.base}{who} \\[{e.source}]")
    for m in prov.methods:
        console.print(f"  method: {m.technique} (confidence {m.confidence:.2f}) {m.value}")
    findings = [f for f in result.findings if f.asset_id == asset.id]
    if findings:
        console.print("\n[bold]Inspection findings[/]")
        for f in findings:
            console.print(f"  {f.rule_id} \\[{f.severity}] {f.location.display()}: {f.message}")
    ctx = result.context
    console.print(
        f"\n[bold]Decision[/] for context: country {ctx.country or '-'}, state {ctx.state or '-'}, sector "
        f"{ctx.sector}, use {ctx.use}, device class {ctx.device_class or '-'}, network {ctx.network or '-'}, "
        f"profile {ctx.profile or '-'}" + (", binding instruments only" if ctx.binding_only else "")
    )
    decision = next((d for d in result.decisions if d.asset_id == asset.id), None)
    if decision is not None:
        console.print(f"  verdict: [bold]{decision.verdict}[/]")
        if decision.waived_by is not None:
            w = decision.waived_by
            console.print(
                f"  waived by {w.id} (owner {w.owner}, approval {w.approval}, expires {w.expires}):"
                f" {w.justification}"
            )
        for n in decision.notes:
            console.print(f"  note: {n}")
        for loc in decision.driven_by:
            console.print(f"  driven by: {escape(loc.display())}")
    else:
        console.print("  (no decision recorded in the scan result)")
    groups: list[UsageKey | None] = [*usage_groups(asset)] or [None]
    for ukey in groups:
        head = "\n[bold]Rules[/]"
        if ukey is not None:
            level = {v: k for k, v in STRENGTH_ORDER.items()}[ukey[2]]
            head += f" for the usages {ukey[0]}, service jurisdiction {ukey[1] or '-'}, strength {level}"
        console.print(head)
        _print_traces(trace(asset, result.findings, result.inspections, ctx, packs, usage=ukey), console)


def _print_traces(traces: list[RuleTrace], console: Console) -> None:
    for t in traces:
        if t.status == "matched":
            console.print(f"  [red]matched[/] {t.rule_id} -> {t.verdict} ({t.instrument_status}): {t.title}")
            console.print(f"    because: {t.why.strip()}")
    for t in traces:
        if t.status == "no-match":
            console.print(f"  no match {t.rule_id}: {t.why}")
    na = [t for t in traces if t.status == "not-applicable"]
    if na:
        console.print(f"  {len(na)} rules do not apply to this context, e.g.:")
        for t in na[:8]:
            console.print(f"    {t.rule_id}: {t.why}")


def register(app: typer.Typer) -> None:
    policy = typer.Typer(help="Policy packs: list, show, test.", no_args_is_help=True)
    app.add_typer(policy, name="policy")

    @policy.command("list")
    def _list() -> None:
        """List the shipped policy packs."""
        list_packs(_console())

    @policy.command("show")
    def _show(pack: Annotated[str, typer.Argument(help="Pack id or YAML file.")]) -> None:
        """Show a pack's rules with their citations."""
        show_pack(_load_any(pack), _console())

    @policy.command("test")
    def _test(pack: Annotated[str, typer.Argument(help="Pack id or YAML file.")]) -> None:
        """Run a pack's own example cases; exit 1 when one fails."""
        if not test_pack(pack, _console()):
            raise typer.Exit(1)

    @app.command("explain")
    def _explain(
        asset_id: Annotated[str, typer.Argument(help="Asset id (or unique prefix, or exact name).")],
        result: Annotated[
            Path, typer.Option("--result", "-r", help="A JSON scan result (scan -f json -o FILE).")
        ],
        pack: Annotated[
            list[str] | None, typer.Option(help="Packs to explain against (default: those the scan used).")
        ] = None,
    ) -> None:
        """Explain one asset: where it was found, how it was identified, which rules matched and why."""
        res = load_result(result)
        packs = load_packs(pack or [p.id for p in res.packs] or None)
        explain(res, find_asset(res, asset_id), packs, _console())
