"""Policy evaluation: a pure function of (assets, findings, inspections, context, packs, waivers).

Speed: the rules that apply to the context are chosen once (scope, tier framework, effective and sunset
dates); each asset is reduced to a small tuple of provenance features (kind, use mode, producer ids and
jurisdictions, service and lineage jurisdictions, evidence strength, worst finding, inspection outcomes), and
the matches for one feature tuple are computed once and shared by every asset with the same features.
The engine names no producer and no country: all of that is pack data.

size: the features a rule can test, the conditions on them and the loop that evaluates them are one unit
(split, each part would need the others' private types).
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from tierguard.errors import PolicyError
from tierguard.model import (
    BINDING_STATUSES,
    MAX_DRIVERS,
    SEVERITY_ORDER,
    STRENGTH_ORDER,
    VERDICT_ORDER,
    Asset,
    Citation,
    Context,
    Decision,
    Finding,
    Inspection,
    Location,
    ModelDetails,
    RuleMatch,
    Strength,
    Usage,
    UsageVerdict,
    Verdict,
    Waiver,
)
from tierguard.policy.schema import Framework, Match, Pack, Rule

EQUIPMENT_KINDS = frozenset({"hardware-device", "operating-system"})
NO_EQUIPMENT_NOTE = "no equipment inventory supplied"


def parse_day(value: str, *, end: bool = False) -> dt.date:
    """An ISO date; ``YYYY-MM`` means the first (or, with ``end``, the last) day of that month."""
    try:
        if len(value) == 4:
            return dt.date(int(value), 12, 31) if end else dt.date(int(value), 1, 1)
        if len(value) == 7:
            first = dt.date.fromisoformat(value + "-01")
            if not end:
                return first
            nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            return nxt - dt.timedelta(days=1)
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise PolicyError(f"invalid date {value!r}: expected YYYY-MM-DD") from exc


def has_deployment_context(context: Context) -> bool:
    """A deployment country was given (a state implies its country; every built-in profile names one).
    Without it no rule scoped by country, state or tier can apply, and the ``no_context`` rules do."""
    return context.country is not None


def evaluation_day(context: Context, today: dt.date | None) -> dt.date:
    if context.date:
        return parse_day(context.date)
    return today or dt.date.today()


def citation(rule: Rule) -> Citation:
    return Citation(
        instrument=rule.instrument,
        date=rule.date,
        url=rule.url,
        verify=rule.verify,
        status=rule.status,
        effective=rule.effective,
        sunset=rule.sunset,
    )


def binding_gap(rule: Rule, day: dt.date) -> str | None:
    """Why ``--binding-only`` drops ``rule`` on ``day`` (None: kept). Kept: statutes, regulations, executive
    orders and directives in force (from ``effective``, else from the instrument's ``date``), and tierguard's
    own ``tool-default`` safety rules, which are not legal claims (fail closed without a context, unsafe
    artifacts): dropping them would turn "unknown" into "allow"."""
    if rule.status == "tool-default":
        return None
    if rule.status not in BINDING_STATUSES:
        return f"--binding-only: a {rule.status}, not a binding instrument"
    start = rule.effective or rule.date
    if day < parse_day(start):
        return f"--binding-only: not yet in force (from {start})"
    return None


# ---------------------------------------------------------------------------------------------- features


@dataclass(frozen=True, slots=True)
class Features:
    kind: str
    use_mode: str
    producer_ids: frozenset[str]
    producer_jurs: frozenset[str]
    service_jur: str | None
    lineage_jurs: frozenset[str]
    strength: int
    worst_finding: int  # -1 when no finding is linked
    inspections: frozenset[str]
    framework_jur: str | None = None  # jurisdiction of the framework that exported a model file
    non_ai: bool = False  # an installed app the app catalog marks non-AI (see ``non_ai_app``)
    finding_rules: frozenset[str] = frozenset()  # rule ids of the findings linked to the asset (AUDIT-* ...)

    @property
    def all_jurs(self) -> frozenset[str]:
        out = self.producer_jurs | self.lineage_jurs
        return out | {self.service_jur} if self.service_jur else out


def inspection_index(inspections: Iterable[Inspection]) -> dict[str, frozenset[str]]:
    idx: dict[str, set[str]] = {}
    for ins in inspections:
        idx.setdefault(ins.location.path, set()).add(ins.status)
    return {k: frozenset(v) for k, v in idx.items()}


class FindingIndex(dict[str, int]):
    """asset id -> worst severity of its linked findings (``AUDIT-*`` excluded: not inspection findings);
    ``rules``: asset id -> the rule ids of its linked findings (``finding_rules``, ``audited``)."""

    rules: dict[str, frozenset[str]]


def finding_index(findings: Iterable[Finding]) -> FindingIndex:
    idx, rules = FindingIndex(), dict[str, set[str]]()
    for f in findings:
        if f.asset_id is not None:
            rules.setdefault(f.asset_id, set()).add(f.rule_id)
            if not f.rule_id.startswith("AUDIT-") and SEVERITY_ORDER[f.severity] > idx.get(f.asset_id, -1):
                idx[f.asset_id] = SEVERITY_ORDER[f.severity]
    idx.rules = {k: frozenset(v) for k, v in rules.items()}
    return idx


FeatureKey = tuple[
    str,
    str,
    frozenset[str],
    frozenset[str],
    "str | None",
    frozenset[str],
    int,
    int,
    frozenset[str],
    "str | None",
    bool,
    frozenset[str],
]
_EMPTY: frozenset[str] = frozenset()


def non_ai_app(asset: Asset) -> bool:
    """An installed app that the app catalog marks non-AI (``ai: false``: RedNote, Lemon8, Webull ...), as
    the app readers record it on every evidence (``attributes["ai"] == "false"``)."""
    return (
        asset.kind == "ai-app"
        and bool(asset.evidence)
        and all(ev.attributes.get("ai") == "false" for ev in asset.evidence)
    )


UsageKey = tuple[str, "str | None", int]
"""What differs between an asset's usages for the rules: (use mode, service jurisdiction, strength)."""


def usage_groups(asset: Asset) -> dict[UsageKey, list[Usage]]:
    """The asset's usages grouped by what rules can tell apart, in first-seen order. Empty for assets
    without usages (artifacts found on disk, devices): those are judged on the asset's own fields."""
    groups: dict[UsageKey, list[Usage]] = {}
    for u in asset.usages:
        mode, juris, strength = u.group_key
        groups.setdefault((mode, juris, STRENGTH_ORDER[strength]), []).append(u)
    return groups


def feature_key(
    asset: Asset,
    asset_id: str,
    worst_finding: Mapping[str, int],
    inspections: Mapping[str, frozenset[str]],
    usage: UsageKey | None = None,
) -> FeatureKey:
    """The provenance features rules can test, as a hashable tuple (field order of ``Features``). With
    ``usage``, the use mode, service jurisdiction and strength are that usage group's, not the asset's."""
    prov = asset.provenance
    producers = prov.producers
    if len(producers) == 1:
        p0 = producers[0]
        ids, jurs = frozenset((p0.id,)), frozenset((p0.jurisdiction,))
    else:
        ids = frozenset(p.id for p in producers)
        jurs = frozenset(p.jurisdiction for p in producers)
    service = prov.service_jurisdiction
    if service is None and prov.service_operator is not None:
        service = prov.service_operator.jurisdiction
    lineage = (
        frozenset(e.base_producer.jurisdiction for e in prov.lineage if e.base_producer is not None)
        if prov.lineage
        else _EMPTY
    )
    statuses = _EMPTY
    if inspections:
        paths = {ev.location.path for ev in asset.evidence}
        p = asset.artifact_path
        if p:
            paths.add(p)
        acc: set[str] = set()
        for path in paths:
            acc |= inspections.get(path, _EMPTY)
        statuses = frozenset(acc)
    use_mode: str = asset.use_mode
    strength = STRENGTH_ORDER[asset.strength]
    if usage is not None:
        use_mode, service, strength = usage
    return (
        asset.kind,
        use_mode,
        ids,
        jurs,
        service,
        lineage,
        strength,
        worst_finding.get(asset_id, -1) if worst_finding else -1,
        statuses,
        asset.details.framework_jurisdiction if isinstance(asset.details, ModelDetails) else None,
        non_ai_app(asset),
        worst_finding.rules.get(asset_id, _EMPTY) if isinstance(worst_finding, FindingIndex) else _EMPTY,
    )


def features(
    asset: Asset,
    asset_id: str,
    worst_finding: Mapping[str, int],
    inspections: Mapping[str, frozenset[str]],
    usage: UsageKey | None = None,
) -> Features:
    return Features(*feature_key(asset, asset_id, worst_finding, inspections, usage))


# ---------------------------------------------------------------------------------------------- scope


def frameworks_of(packs: Sequence[Pack]) -> dict[str, Framework]:
    out: dict[str, Framework] = {}
    for p in packs:
        for fw in p.frameworks:
            out[fw.id] = fw
    return out


def scope_gap(rule: Rule, context: Context, frameworks: Mapping[str, Framework], day: dt.date) -> str | None:
    """None when ``rule`` applies to ``context`` on ``day``; else why not, in plain words."""
    s = rule.scope
    if s.no_context and has_deployment_context(context):
        return f"a deployment context was given (country {context.country})"
    if rule.sunset and day > parse_day(rule.sunset, end=True):
        return f"no longer in force (sunset {rule.sunset})"
    if rule.effective and day < parse_day(rule.effective) and rule.before_effective is None:
        return f"not yet in force (effective {rule.effective})"
    if context.binding_only:
        gap = binding_gap(rule, day)
        if gap is not None:
            return gap
    if s.countries and context.country not in s.countries:
        return f"context country {context.country or '(none)'} not in {', '.join(s.countries)}"
    if s.tier is not None:
        fw = frameworks.get(s.tier.framework)
        if fw is None:
            return f"tier framework {s.tier.framework} not loaded"
        if context.country is None:
            return f"no context country, so no {fw.id} tier"
        tier = fw.tier_of(context.country)
        if tier not in s.tier.tiers:
            return (
                f"{context.country} is tier {tier} under {fw.id}, rule needs tier {', '.join(s.tier.tiers)}"
            )
    if s.states and context.state not in s.states:
        return f"context state {context.state or '(none)'} not in {', '.join(s.states)}"
    if s.government_level:
        level = "state" if context.state else "national"
        if level not in s.government_level:
            return f"rule is for {'/'.join(s.government_level)} bodies, context is {level}"
    if s.sectors and context.sector not in s.sectors:
        return f"context sector {context.sector} not in {', '.join(s.sectors)}"
    if (s.device_classes or s.networks) and not (
        (context.device_class is not None and context.device_class in s.device_classes)
        or (context.network is not None and context.network in s.networks)
    ):
        return _device_network_gap(s.device_classes, s.networks, context)
    if s.data_sensitivity and context.data_sensitivity not in s.data_sensitivity:
        got = context.data_sensitivity or "(none)"
        return f"context data sensitivity {got} not in {', '.join(s.data_sensitivity)}"
    if s.use_modes and context.use != "any" and context.use not in s.use_modes:
        return f"context use {context.use} not in {', '.join(s.use_modes)}"
    return None


def _device_network_gap(classes: Sequence[str], networks: Sequence[str], context: Context) -> str:
    parts = []
    if classes:
        parts.append(f"context device class {context.device_class or '(none)'} not in {', '.join(classes)}")
    if networks:
        parts.append(f"context network {context.network or '(none)'} not in {', '.join(networks)}")
    return "; ".join(parts)


def match_gap(m: Match, f: Features) -> str | None:
    """None when ``f`` satisfies every condition of ``m``; else the first failed condition."""
    if m.kinds and f.kind not in m.kinds:
        return f"kind {f.kind} not in {', '.join(m.kinds)}"
    if f.non_ai and not m.non_ai_apps:
        return "a non-AI app: the rule is about AI"
    if m.use_modes and f.use_mode not in m.use_modes:
        return f"use mode {f.use_mode} not in {', '.join(m.use_modes)}"
    if m.producer_ids and f.producer_ids.isdisjoint(m.producer_ids):
        return f"producer {', '.join(sorted(f.producer_ids)) or 'unknown'} not in {', '.join(m.producer_ids)}"
    if m.producer_jurisdictions and f.producer_jurs.isdisjoint(m.producer_jurisdictions):
        got = ", ".join(sorted(f.producer_jurs)) or "unknown"
        return f"producer jurisdiction {got} not in {', '.join(m.producer_jurisdictions)}"
    if m.service_jurisdictions and f.service_jur not in m.service_jurisdictions:
        return (
            f"service jurisdiction {f.service_jur or 'unknown'} not in {', '.join(m.service_jurisdictions)}"
        )
    if m.not_service_jurisdictions and (
        f.service_jur is None or f.service_jur in m.not_service_jurisdictions
    ):
        outside = ", ".join(m.not_service_jurisdictions)
        return f"service jurisdiction {f.service_jur or 'unknown'} is not known to be outside {outside}"
    if m.service_unknown and f.service_jur is not None:
        return f"service jurisdiction is known ({f.service_jur})"
    if m.lineage_jurisdictions and f.lineage_jurs.isdisjoint(m.lineage_jurisdictions):
        return f"no lineage base from {', '.join(m.lineage_jurisdictions)}"
    if m.framework_jurisdictions and f.framework_jur not in m.framework_jurisdictions:
        return f"not exported with a framework from {', '.join(m.framework_jurisdictions)}"
    if m.any_jurisdictions and f.all_jurs.isdisjoint(m.any_jurisdictions):
        return f"no producer, operator or base in {', '.join(m.any_jurisdictions)}"
    if m.min_strength and f.strength < STRENGTH_ORDER[m.min_strength]:
        return f"evidence strength below {m.min_strength}"
    if m.finding_severity and f.worst_finding < SEVERITY_ORDER[m.finding_severity]:
        return f"no inspection finding at or above {m.finding_severity}"
    if m.inspection_status and f.inspections.isdisjoint(m.inspection_status):
        return f"no inspection with status {', '.join(m.inspection_status)}"
    if m.finding_rules and f.finding_rules.isdisjoint(m.finding_rules):
        return f"no finding {', '.join(m.finding_rules)}"
    if m.audited is not None and any(r.startswith("AUDIT-") for r in f.finding_rules) != m.audited:
        return "the model was audited (tierguard audit)" if not m.audited else "no audit of this model"
    return None


# ---------------------------------------------------------------------------------------------- compile


@dataclass(frozen=True, slots=True)
class _Active:
    pack: Pack
    rule: Rule
    pending: bool  # before the effective date: before_effective verdict caps the rule


def applicable_rules(
    context: Context, packs: Sequence[Pack], day: dt.date
) -> tuple[list[_Active], list[tuple[Pack, Rule, str]]]:
    frameworks = frameworks_of(packs)
    active: list[_Active] = []
    inactive: list[tuple[Pack, Rule, str]] = []
    for p in packs:
        for r in p.rules:
            gap = scope_gap(r, context, frameworks, day)
            if gap is None:
                pending = bool(r.effective) and day < parse_day(r.effective or "")
                active.append(_Active(p, r, pending))
            else:
                inactive.append((p, r, gap))
    return active, inactive


def _min_verdict(a: Verdict, b: Verdict) -> Verdict:
    return a if VERDICT_ORDER[a] <= VERDICT_ORDER[b] else b


def rule_match(act: _Active, f: Features) -> RuleMatch:
    r = act.rule
    verdict: Verdict = r.verdict_by_use_mode.get(f.use_mode, r.verdict)  # type: ignore[call-overload]
    reason = r.reason
    if f.use_mode in r.verdict_by_use_mode and verdict != r.verdict:
        reason += f" [use mode {f.use_mode}: {verdict}]"
    if act.pending and r.before_effective is not None:
        verdict = _min_verdict(verdict, r.before_effective)
        reason += f" [not yet in force: effective {r.effective}; {verdict} until then]"
    return RuleMatch(
        pack=act.pack.id,
        pack_version=act.pack.version,
        rule_id=r.id,
        verdict=verdict,
        severity=r.severity,
        reason=reason,
        citation=citation(r),
    )


_STRENGTH_C = STRENGTH_ORDER["C"]
_CAP_NOTE = "evidence strength C (a mention only): deny capped to review"


def _decide(
    active: Sequence[_Active], f: Features, applies: str
) -> tuple[Verdict, tuple[RuleMatch, ...], tuple[str, ...]]:
    matches: list[RuleMatch] = []
    for act in active:
        for m in act.rule.match:
            if match_gap(m, f) is None:
                matches.append(rule_match(act, f))
                break
    notes: list[str] = []
    verdict: Verdict = "allow"
    for rm in matches:
        if VERDICT_ORDER[rm.verdict] > VERDICT_ORDER[verdict]:
            verdict = rm.verdict
    if verdict == "deny" and f.strength <= _STRENGTH_C:
        verdict = "review"
        notes.append(_CAP_NOTE)
    if not matches:
        notes.append(f"no rule matched ({applies}): allowed")
    if f.kind in ("ai-model", "ai-service") and not f.producer_ids and not f.service_jur:
        notes.append("producer unknown: rules on producer or jurisdiction could not match")
    return verdict, tuple(matches), tuple(notes)


# ---------------------------------------------------------------------------------------------- waivers


def _waiver_fits(w: Waiver, asset_id: str, matches: Sequence[RuleMatch]) -> bool:
    if w.asset_id is not None and w.asset_id != asset_id:
        return False
    if w.rule_id is not None:
        blocking = {m.rule_id for m in matches if m.verdict != "allow"}
        return bool(blocking) and blocking == {w.rule_id}
    return w.asset_id is not None


def waiver_expired(w: Waiver, day: dt.date) -> bool:
    return parse_day(w.expires, end=True) < day


# ---------------------------------------------------------------------------------------------- public


def evaluate(
    assets: Sequence[Asset],
    findings: Sequence[Finding],
    inspections: Sequence[Inspection],
    context: Context,
    packs: Sequence[Pack],
    waivers: Sequence[Waiver] = (),
    *,
    today: dt.date | None = None,
) -> list[Decision]:
    """One Decision per asset: the worst verdict among matched rules (allow when none matched). Evidence of
    strength C never yields deny. A waiver marks the decision (``waived_by``) and keeps its verdict."""
    day = evaluation_day(context, today)
    active, _ = applicable_rules(context, packs, day)
    by_kind: dict[str, list[_Active]] = {}
    kinds = {a.kind for a in assets}
    for k in kinds:
        by_kind[k] = [act for act in active if any(not m.kinds or k in m.kinds for m in act.rule.match)]
    worst = finding_index(findings)
    ins_idx = inspection_index(inspections)
    live = [w for w in waivers if not waiver_expired(w, day)]
    expired = [w for w in waivers if waiver_expired(w, day)]
    cache: dict[FeatureKey, tuple[Verdict, tuple[RuleMatch, ...], tuple[str, ...]]] = {}
    applies = f"{len(active)} rules apply in this context"
    if context.binding_only:
        applies = (
            f"{len(active)} rules of binding instruments in force apply in this context (--binding-only)"
        )
    # Creating 10^5 small records triggers repeated full GC passes over every live asset; pause the cyclic
    # collector while building decisions (no cycles are created here), then restore its previous state.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _decide_all(assets, by_kind, worst, ins_idx, live, expired, cache, applies)
    finally:
        if was_enabled:
            gc.enable()


def _decide_all(
    assets: Sequence[Asset],
    by_kind: Mapping[str, list[_Active]],
    worst: Mapping[str, int],
    ins_idx: Mapping[str, frozenset[str]],
    live: Sequence[Waiver],
    expired: Sequence[Waiver],
    cache: dict[FeatureKey, tuple[Verdict, tuple[RuleMatch, ...], tuple[str, ...]]],
    applies: str,
) -> list[Decision]:
    out: list[Decision] = []
    for asset in assets:
        aid = asset.id
        drivers: tuple[Location, ...] = ()
        groups: tuple[UsageVerdict, ...] = ()
        if not asset.usages:
            key = feature_key(asset, aid, worst, ins_idx)
            hit = cache.get(key)
            if hit is None:
                hit = cache[key] = _decide(by_kind[key[0]], Features(*key), applies)
        else:
            hit, drivers, groups = _decide_usages(asset, by_kind, worst, ins_idx, cache, applies)
        verdict, matches, notes = hit
        waived: Waiver | None = None
        if verdict != "allow" and (live or expired):
            for w in live:
                if _waiver_fits(w, aid, matches):
                    waived = w
                    break
            for w in expired:
                if _waiver_fits(w, aid, matches):
                    notes = (*notes, f"waiver {w.id} expired on {w.expires}: not applied")
        out.append(
            Decision(
                asset_id=aid,
                verdict=verdict,
                matches=matches,
                waived_by=waived,
                notes=notes,
                driven_by=drivers,
                by_usage=groups,
            )
        )
    return out


_Hit = tuple[Verdict, tuple[RuleMatch, ...], tuple[str, ...]]


def _decide_usages(
    asset: Asset,
    by_kind: Mapping[str, list[_Active]],
    worst: Mapping[str, int],
    ins_idx: Mapping[str, frozenset[str]],
    cache: dict[FeatureKey, _Hit],
    applies: str,
) -> tuple[_Hit, tuple[Location, ...], tuple[UsageVerdict, ...]]:
    """Judge every distinct usage group of an asset; the decision is the worst, its matches and notes are
    those of the groups that reached it, and it names their usages (``driven_by``); every group's own
    verdict is kept (``by_usage``)."""
    judged: list[tuple[_Hit, UsageKey, list[Usage]]] = []
    for ukey, usages in usage_groups(asset).items():
        key = feature_key(asset, asset.id, worst, ins_idx, ukey)
        hit = cache.get(key)
        if hit is None:
            hit = cache[key] = _decide(by_kind[key[0]], Features(*key), applies)
        judged.append((hit, ukey, usages))
    verdict: Verdict = max((h[0] for h, _, _ in judged), key=VERDICT_ORDER.__getitem__)
    matches: dict[tuple[str, str, str, str], RuleMatch] = {}
    notes: dict[str, None] = {}
    drivers: list[Usage] = []
    groups: list[UsageVerdict] = []
    for (v, ms, ns), (mode, juris, strength), usages in judged:
        groups.append(
            UsageVerdict(
                use_mode=mode,  # type: ignore[arg-type]
                service_jurisdiction=juris,
                strength=_LEVEL[strength],
                verdict=v,
                rules=tuple(dict.fromkeys(m.rule_id for m in ms)),
                usages=len(usages),
                locations=_first_locations(usages),
            )
        )
        if v != verdict:
            continue
        for m in ms:
            matches.setdefault((m.pack, m.rule_id, m.verdict, m.reason), m)
        notes.update(dict.fromkeys(ns))
        drivers += usages
    if len(drivers) > MAX_DRIVERS:
        notes[f"driven by {len(drivers)} usages; the first {MAX_DRIVERS} are named"] = None
    groups.sort(key=lambda g: (-VERDICT_ORDER[g.verdict], -STRENGTH_ORDER[g.strength], g.use_mode))
    return (verdict, tuple(matches.values()), tuple(notes)), _first_locations(drivers), tuple(groups)


_LEVEL: dict[int, Strength] = {v: k for k, v in STRENGTH_ORDER.items()}  # type: ignore[misc]


def _first_locations(usages: Sequence[Usage]) -> tuple[Location, ...]:
    ordered = sorted(usages, key=lambda u: (u.location.path, u.location.member or "", u.location.line or 0))
    return tuple(dict.fromkeys(u.location for u in ordered))[:MAX_DRIVERS]
