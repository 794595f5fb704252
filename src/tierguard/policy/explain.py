"""What the policy engine tells a reader besides decisions: coverage notes (what the packs could not assess
here), the no-context note, the rule-by-rule trace of one asset for ``tierguard explain``, and rule metadata
for reporters. Split from :mod:`tierguard.policy.engine`, whose decisions it explains."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from tierguard.model import (
    BINDING_STATUSES,
    Asset,
    Context,
    Finding,
    Inspection,
    RuleInfo,
    Verdict,
    status_label,
)
from tierguard.policy import NO_CONTEXT
from tierguard.policy.engine import (
    EQUIPMENT_KINDS,
    NO_EQUIPMENT_NOTE,
    UsageKey,
    applicable_rules,
    binding_gap,
    citation,
    evaluation_day,
    features,
    finding_index,
    frameworks_of,
    has_deployment_context,
    inspection_index,
    match_gap,
    rule_match,
    scope_gap,
)
from tierguard.policy.schema import Pack, Rule


def coverage_notes(
    assets: Sequence[Asset], context: Context, packs: Sequence[Pack], *, today: dt.date | None = None
) -> list[str]:
    """Notes for the summary: what the selected packs could not assess with the assets given."""
    day = evaluation_day(context, today)
    active, _ = applicable_rules(context, packs, day)
    equipment_rules = sorted(
        {a.rule.id for a in active if any(m.kinds and set(m.kinds) <= EQUIPMENT_KINDS for m in a.rule.match)}
    )
    notes: list[str] = []
    missing = no_context_note(context, packs)
    if missing:
        notes.append(missing)
    binding = binding_only_note(context, packs, day)
    if binding:
        notes.append(binding)
    if equipment_rules and not any(a.kind in EQUIPMENT_KINDS for a in assets):
        notes.append(
            f"{NO_EQUIPMENT_NOTE}: {len(equipment_rules)} equipment and compute-access rules"
            " were not assessed"
            f" ({', '.join(equipment_rules)})"
        )
    return notes


def no_context_note(context: Context, packs: Sequence[Pack]) -> str | None:
    """Without a deployment country: which packs' jurisdiction-scoped rules were not evaluated and which
    fail-closed rules stood in (shown at the top of every report format); None with a context."""
    if has_deployment_context(context):
        return None
    skipped = sorted({p.id for p in packs for r in p.rules if r.scope.jurisdictional})
    if not skipped:
        return None
    fail_closed = sorted({r.id for p in packs for r in p.rules if r.scope.no_context})
    then = "their rules matched nothing"
    if fail_closed:
        then = f"assets with a PRC producer, operator or base model are review ({', '.join(fail_closed)})"
        then += ", never allow"
    return (
        f"{NO_CONTEXT} (no --country, --state, --profile or --config context): context-dependent packs were"
        f" not evaluated ({', '.join(skipped)}); {then}"
    )


BINDING_ONLY = "--binding-only"
"""How the note of a scan run with ``--binding-only`` begins."""
_MAX_IDS = 12


def binding_only_note(context: Context, packs: Sequence[Pack], day: dt.date) -> str | None:
    """With ``--binding-only``: that it was applied, how many rules it dropped and why (by status), and which
    of them would otherwise have applied to this context. None without the flag."""
    if not context.binding_only:
        return None
    dropped = [(p, r) for p in packs for r in p.rules if binding_gap(r, day) is not None]
    total = sum(len(p.rules) for p in packs)
    kinds = Counter(r.status if r.status not in BINDING_STATUSES else "not yet in force" for _, r in dropped)
    counted = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))
    plain = context.model_copy(update={"binding_only": False})
    frameworks = frameworks_of(packs)
    would = [r.id for _, r in dropped if scope_gap(r, plain, frameworks, day) is None]
    shown = ", ".join(would[:_MAX_IDS]) + (f" (+{len(would) - _MAX_IDS})" if len(would) > _MAX_IDS else "")
    text = (
        f"{BINDING_ONLY}: only statutes, regulations, executive orders and directives in force on "
        f"{day.isoformat()} were evaluated (and tierguard's own tool-default safety rules); dropped "
        f"{len(dropped)} of {total} rules"
    )
    text += f" ({counted})" if counted else ""
    if would:
        text += f"; {len(would)} of them would apply to this context: {shown}"
    else:
        text += "; none of them would apply to this context"
    return text


@dataclass(frozen=True, slots=True)
class RuleTrace:
    """Why one rule did or did not match one asset (for ``tierguard explain``)."""

    pack: str
    rule_id: str
    title: str
    status: str  # matched | not-applicable | no-match
    why: str
    verdict: Verdict | None = None
    instrument_status: str = ""  # the rule's instrument status (statute, proposal ...)


def trace(
    asset: Asset,
    findings: Sequence[Finding],
    inspections: Sequence[Inspection],
    context: Context,
    packs: Sequence[Pack],
    *,
    today: dt.date | None = None,
    usage: UsageKey | None = None,
) -> list[RuleTrace]:
    """Every rule against the asset (or one of its usage groups, see :func:`usage_groups`): matched, not
    matched and why, or not applicable to the context."""
    day = evaluation_day(context, today)
    active, inactive = applicable_rules(context, packs, day)
    f = features(asset, asset.id, finding_index(findings), inspection_index(inspections), usage)
    out: list[RuleTrace] = []
    for act in active:
        gaps = [match_gap(m, f) for m in act.rule.match]
        if any(g is None for g in gaps):
            rm = rule_match(act, f)
            out.append(
                RuleTrace(
                    act.pack.id,
                    act.rule.id,
                    act.rule.title,
                    "matched",
                    rm.reason,
                    rm.verdict,
                    act.rule.status,
                )
            )
        else:
            out.append(
                RuleTrace(
                    act.pack.id, act.rule.id, act.rule.title, "no-match", "; or ".join(g or "" for g in gaps)
                )
            )
    for p, r, gap in inactive:
        out.append(RuleTrace(p.id, r.id, r.title, "not-applicable", gap))
    return out


def _equipment_rule(r: Rule) -> bool:
    return all(m.kinds and set(m.kinds) <= EQUIPMENT_KINDS for m in r.match)


def rules_info(packs: Sequence[Pack]) -> list[RuleInfo]:
    """Rule metadata for reporters (SARIF rules[], HTML, console)."""
    out: list[RuleInfo] = []
    for p in packs:
        for r in p.rules:
            help_text = f"[{status_label(r.status)}] " + r.reason + (f" {r.note}" if r.note else "")
            if r.verify:
                help_text += " (source unverified: secondary reporting only)"
            out.append(
                RuleInfo(
                    id=r.id,
                    name=r.id,
                    short=r.title,
                    help=help_text,
                    severity=r.severity,
                    help_uri=r.url if r.url.startswith("http") else None,
                    citations=(citation(r),),
                    source="equipment" if _equipment_rule(r) else "policy",
                )
            )
    return out
