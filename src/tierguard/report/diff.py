"""What changed between two scans: a pure function ``diff(old, new) -> ScanDiff`` of two ScanResults.

Everything is matched by identity that is stable across runs, machines and edits (never line numbers,
absolute paths or timestamps), so a scan of the same tree in another directory diffs empty:

- **assets** by ``Asset.id`` (kind, canonical name, parent). *new*, *resolved*, or *changed* when its
  provenance (producers, operator, service jurisdiction, lineage; not the identification methods), summary
  use mode or typed details moved.
- **usages** by a usage key (:func:`usage_key`): the asset id, the location's path and container member, the
  use mode, the service, the name as written and, for inventory usages, the host and user. The line is *not*
  in the key: editing code above a call moves its line, not the call. Several usages with one key (two
  calls of one model in one file) are paired first by their source line text (``excerpt``) and then in
  file order, so adding a second call reports one new usage and moving a call reports none.
- **decisions** by asset id: a decision whose *effective* verdict (a waived deny is allow) moved is
  ``worse`` or ``better``; a decision of a new asset is ``new``, of a gone asset ``resolved``.
- **findings** by ``Finding.id`` (rule, path, member, subject).

``regressions`` are what a CI gate fails on (see :func:`diff`'s thresholds): new decisions at or above
``fail_on``, decisions that got worse to at or above it, new usages of an asset that existed before whose
usage group is at or above it (a new call of the DeepSeek API in an estate that already had one), and new
findings at or above ``fail_on_severity``. ``fail_on`` / ``fail_on_severity`` ``never`` disable a part.

The JSON form (:mod:`tierguard.report.diff_render`) is versioned by :data:`DIFF_SCHEMA_VERSION` with a
JSON Schema in ``report/schema/scan-diff-<version>.json``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import msgspec

from tierguard.model import (
    SEVERITY_ORDER,
    VERDICT_ORDER,
    Asset,
    Decision,
    Finding,
    RuleInfo,
    ScanResult,
    Usage,
    Verdict,
    stable_id,
)
from tierguard.report.diff_model import (
    DIFF_SCHEMA_VERSION,
    FAIL_ON_SEVERITIES,
    FAIL_ON_VERDICTS,
    MAX_FIELD_TEXT,
    AssetChange,
    DecisionChange,
    DecisionMove,
    DiffSide,
    DiffSummary,
    FieldChange,
    FindingChange,
    ItemChange,
    Regression,
    RegressionKind,
    ScanDiff,
    Thresholds,
    UsageChange,
)

__all__ = [
    "DIFF_SCHEMA_VERSION",
    "AssetChange",
    "DecisionChange",
    "DiffSide",
    "DiffSummary",
    "FieldChange",
    "FindingChange",
    "Regression",
    "ScanDiff",
    "Thresholds",
    "UsageChange",
    "diff",
    "make_thresholds",
    "regressions",
    "usage_key",
]

# ---------------------------------------------------------------------------------------------------------
# Identity


UsageIdentity = tuple[str, str, str, str, str, str, str, str]


def _identity(asset_id: str, u: Usage) -> UsageIdentity:
    loc = u.location
    return (
        asset_id,
        loc.path,
        loc.member or "",
        u.use_mode,
        u.service or "",
        u.as_written.lower(),
        u.host or "",
        u.user or "",
    )


def usage_key(asset_id: str, u: Usage) -> str:
    """The stable key of a usage (see the module docstring): no line, no column, no excerpt."""
    return stable_id("us", *_identity(asset_id, u))


def _pair(old: Sequence[Usage], new: Sequence[Usage]) -> tuple[list[Usage], list[Usage]]:
    """Usages of one key: (unpaired old, unpaired new). Pairs by equal excerpt first, then in line order
    (linear in the number of usages: one dict of excerpts)."""
    by_text: dict[str, list[int]] = {}
    old_sorted = sorted(old, key=_line_order)
    for i, o in enumerate(old_sorted):
        by_text.setdefault(o.excerpt.strip(), []).append(i)
    taken: set[int] = set()
    new_left: list[Usage] = []
    for u in sorted(new, key=_line_order):
        same = by_text.get(u.excerpt.strip())
        if same:
            taken.add(same.pop(0))
        else:
            new_left.append(u)
    old_left = [o for i, o in enumerate(old_sorted) if i not in taken]
    n = min(len(old_left), len(new_left))
    return old_left[n:], new_left[n:]


def _line_order(u: Usage) -> tuple[int, int]:
    return (u.location.line or 0, u.location.column or 0)


def effective_usage_verdict(decision: Decision | None, u: Usage) -> Verdict | None:
    """The verdict of the group ``u`` was judged in, allow when the decision is waived; the decision's
    verdict for a decision without groups; None without a decision."""
    if decision is None:
        return None
    if decision.waived_by is not None:
        return "allow"
    group = decision.usage_verdict(u)
    return group.verdict if group is not None else decision.verdict


def _group_rules(d: Decision | None, u: Usage) -> tuple[str, ...]:
    group = d.usage_verdict(u) if d is not None else None
    return group.rules if group is not None else _rules(d)


def _rules(d: Decision | None) -> tuple[str, ...]:
    if d is None:
        return ()
    return tuple(dict.fromkeys(m.rule_id for m in d.matches if m.verdict != "allow"))


def _compact(value: object) -> str:
    text = msgspec.json.encode(value).decode("utf-8")
    return text if len(text) <= MAX_FIELD_TEXT else text[: MAX_FIELD_TEXT - 1] + "\u2026"


def _provenance_identity(a: Asset) -> bytes:
    """What "provenance moved" compares: everything but the identification methods (their confidences
    follow the evidence, which the usages already report)."""
    return msgspec.json.encode(a.provenance.model_copy(update={"methods": ()}))


def _provenance_text(a: Asset) -> str:
    p = a.provenance
    parts = [", ".join(f"{x.name} ({x.jurisdiction})" for x in p.producers) or "unknown producer"]
    if p.service_operator is not None:
        parts.append(f"operated by {p.service_operator.name} ({p.service_operator.jurisdiction})")
    if p.service_jurisdiction:
        parts.append(f"service jurisdiction {p.service_jurisdiction}")
    for e in p.lineage:
        base = f" by {e.base_producer.name} ({e.base_producer.jurisdiction})" if e.base_producer else ""
        parts.append(f"{e.relation} of {e.base}{base}")
    return "; ".join(parts)


def _field_changes(old: Asset, new: Asset) -> tuple[FieldChange, ...]:
    out: list[FieldChange] = []
    if _provenance_identity(old) != _provenance_identity(new):
        a, b = _provenance_text(old), _provenance_text(new)
        if a == b:
            a = _compact(old.provenance.model_copy(update={"methods": ()}))
            b = _compact(new.provenance.model_copy(update={"methods": ()}))
        out.append(FieldChange(field="provenance", old=a, new=b))
    if old.use_mode != new.use_mode:
        out.append(FieldChange(field="use_mode", old=old.use_mode, new=new.use_mode))
    if msgspec.json.encode(old.details) != msgspec.json.encode(new.details):
        out.append(FieldChange(field="details", old=_compact(old.details), new=_compact(new.details)))
    return tuple(out)


# ---------------------------------------------------------------------------------------------------------
# The diff


def side(result: ScanResult, label: str = "") -> DiffSide:
    return DiffSide(
        label=label,
        target=result.target,
        command=result.command,
        started=result.started,
        finished=result.finished,
        tool_version=result.tool_version,
        catalog_version=result.catalog_version,
        schema_version=result.schema_version,
        worst_verdict=result.worst_verdict(),
        assets=len(result.assets),
        decisions=len(result.decisions),
        findings=len(result.findings),
    )


def _decisions(result: ScanResult) -> dict[str, Decision]:
    return {d.asset_id: d for d in result.decisions}


def _verdict(d: Decision | None) -> Verdict | None:
    return d.effective_verdict if d is not None else None


def _asset_changes(old: ScanResult, new: ScanResult) -> list[AssetChange]:
    olds, news = {a.id: a for a in old.assets}, {a.id: a for a in new.assets}
    od, nd = _decisions(old), _decisions(new)
    out: list[AssetChange] = []
    for aid, a in news.items():
        prev = olds.get(aid)
        v = _verdict(nd.get(aid))
        if prev is None:
            out.append(AssetChange(change="new", asset_id=aid, kind=a.kind, name=a.name, verdict=v))
        elif fields := _field_changes(prev, a):
            change = AssetChange(change="changed", asset_id=aid, kind=a.kind, name=a.name, verdict=v)
            out.append(change.model_copy(update={"fields": fields}))
    for aid, a in olds.items():
        if aid not in news:
            v = _verdict(od.get(aid))
            out.append(AssetChange(change="resolved", asset_id=aid, kind=a.kind, name=a.name, verdict=v))
    order = {"new": 0, "changed": 1, "resolved": 2}
    return sorted(out, key=lambda c: (order[c.change], c.kind, c.name.lower(), c.asset_id))


def _usage_change(change: ItemChange, a: Asset, u: Usage, d: Decision | None, existing: bool) -> UsageChange:
    return UsageChange(
        change=change,
        key=usage_key(a.id, u),
        asset_id=a.id,
        asset_name=a.name,
        asset_kind=a.kind,
        location=u.location,
        use_mode=u.use_mode,
        strength=u.strength,
        service=u.service,
        service_jurisdiction=u.service_jurisdiction,
        as_written=u.as_written,
        verdict=effective_usage_verdict(d, u),
        rules=_group_rules(d, u),
        existing_asset=existing,
    )


def _by_key(assets: Iterable[Asset]) -> dict[UsageIdentity, tuple[Asset, list[Usage]]]:
    out: dict[UsageIdentity, tuple[Asset, list[Usage]]] = {}
    for a in assets:
        for u in a.usages:
            out.setdefault(_identity(a.id, u), (a, []))[1].append(u)
    return out


def _usage_changes(old: ScanResult, new: ScanResult) -> list[UsageChange]:
    old_keys, new_keys = _by_key(old.assets), _by_key(new.assets)
    old_ids, new_ids = {a.id for a in old.assets}, {a.id for a in new.assets}
    od, nd = _decisions(old), _decisions(new)
    out: list[UsageChange] = []
    for key in dict.fromkeys([*new_keys, *old_keys]):
        a_new, u_new = new_keys.get(key, (None, []))
        a_old, u_old = old_keys.get(key, (None, []))
        if len(u_old) == len(u_new) == 1:
            continue  # one usage on each side: the same usage, wherever its line moved
        gone, added = _pair(u_old, u_new)
        for u in added:
            assert a_new is not None
            existing = a_new.id in old_ids
            out.append(_usage_change("new", a_new, u, nd.get(a_new.id), existing))
        for u in gone:
            assert a_old is not None
            existing = a_old.id in new_ids
            out.append(_usage_change("resolved", a_old, u, od.get(a_old.id), existing))
    return sorted(
        out,
        key=lambda c: (
            c.change != "new",
            c.asset_name.lower(),
            c.location.path,
            c.location.member or "",
            c.location.line or 0,
        ),
    )


def _decision_changes(old: ScanResult, new: ScanResult) -> list[DecisionChange]:
    od, nd = _decisions(old), _decisions(new)
    names = {a.id: (a.name, a.kind) for a in (*old.assets, *new.assets)}
    out: list[DecisionChange] = []
    for aid in dict.fromkeys([*nd, *od]):
        before, after = od.get(aid), nd.get(aid)
        v_old, v_new = _verdict(before), _verdict(after)
        if v_old == v_new:
            continue
        if v_old is None:
            move: DecisionMove = "new"
        elif v_new is None:
            move = "resolved"
        else:
            move = "worse" if VERDICT_ORDER[v_new] > VERDICT_ORDER[v_old] else "better"
        name, kind = names.get(aid, (aid, "unknown"))
        out.append(
            DecisionChange(
                change=move,
                asset_id=aid,
                asset_name=name,
                asset_kind=kind,
                old=v_old,
                new=v_new,
                rules_old=_rules(before),
                rules_new=_rules(after),
            )
        )
    order = {"worse": 0, "new": 1, "better": 2, "resolved": 3}
    return sorted(
        out, key=lambda c: (order[c.change], -VERDICT_ORDER.get(c.new or "", -1), c.asset_name.lower())
    )


def _finding_change(change: ItemChange, f: Finding) -> FindingChange:
    return FindingChange(
        change=change,
        finding_id=f.id,
        rule_id=f.rule_id,
        severity=f.severity,
        message=f.message,
        location=f.location,
        asset_id=f.asset_id,
    )


def _finding_changes(old: ScanResult, new: ScanResult) -> list[FindingChange]:
    olds = {f.id: f for f in old.findings}
    news = {f.id: f for f in new.findings}
    out = [_finding_change("new", f) for fid, f in news.items() if fid not in olds]
    out += [_finding_change("resolved", f) for fid, f in olds.items() if fid not in news]
    return sorted(
        out,
        key=lambda c: (c.change != "new", -SEVERITY_ORDER[c.severity], c.location.path, c.rule_id),
    )


def regressions(
    decisions: Iterable[DecisionChange],
    usages: Iterable[UsageChange],
    findings: Iterable[FindingChange],
    thresholds: Thresholds,
) -> list[Regression]:
    """What a gate at ``thresholds`` fails on (see the module docstring)."""
    out: list[Regression] = []
    if thresholds.fail_on != "never":
        top = VERDICT_ORDER[thresholds.fail_on]
        for d in decisions:
            if d.new is None or VERDICT_ORDER[d.new] < top or d.change not in ("new", "worse"):
                continue
            kind: RegressionKind = "decision" if d.change == "new" else "verdict"
            what = (
                f"new {d.new}: {d.asset_kind} {d.asset_name}"
                if d.change == "new"
                else f"{d.old} -> {d.new}: {d.asset_kind} {d.asset_name}"
            )
            out.append(Regression(kind=kind, ref=d.asset_id, level=d.new, message=what))
        for u in usages:
            if u.change != "new" or not u.existing_asset or u.verdict is None:
                continue
            if VERDICT_ORDER[u.verdict] >= top:
                via = f" via {u.service}" if u.service else ""
                where = u.location.display()
                what = f"new {u.verdict} usage of {u.asset_name} at {where} ({u.use_mode}{via})"
                out.append(Regression(kind="usage", ref=u.key, level=u.verdict, message=what))
    if thresholds.fail_on_severity != "never":
        floor = SEVERITY_ORDER[thresholds.fail_on_severity]
        for f in findings:
            if f.change == "new" and SEVERITY_ORDER[f.severity] >= floor:
                what = f"new {f.severity} finding {f.rule_id} at {f.location.display()}: {f.message}"
                out.append(Regression(kind="finding", ref=f.finding_id, level=f.severity, message=what))
    return out


def _summary(
    assets: Sequence[AssetChange],
    usages: Sequence[UsageChange],
    decisions: Sequence[DecisionChange],
    findings: Sequence[FindingChange],
    n_regressions: int,
) -> DiffSummary:
    def count(items: Iterable[AssetChange | UsageChange | DecisionChange | FindingChange], c: str) -> int:
        return sum(1 for i in items if i.change == c)

    return DiffSummary(
        assets_new=count(assets, "new"),
        assets_resolved=count(assets, "resolved"),
        assets_changed=count(assets, "changed"),
        usages_new=count(usages, "new"),
        usages_resolved=count(usages, "resolved"),
        decisions_new=count(decisions, "new"),
        decisions_resolved=count(decisions, "resolved"),
        decisions_worse=count(decisions, "worse"),
        decisions_better=count(decisions, "better"),
        findings_new=count(findings, "new"),
        findings_resolved=count(findings, "resolved"),
        regressions=n_regressions,
    )


def _named_rules(
    results: Sequence[ScanResult],
    decisions: Iterable[DecisionChange],
    usages: Iterable[UsageChange],
    findings: Iterable[FindingChange],
) -> tuple[RuleInfo, ...]:
    wanted: set[str] = {f.rule_id for f in findings}
    for d in decisions:
        wanted.update(d.rules_new + d.rules_old)
    for u in usages:
        wanted.update(u.rules)
    out: dict[str, RuleInfo] = {}
    for r in results:
        for info in r.rules:
            if info.id in wanted:
                out.setdefault(info.id, info)
    return tuple(sorted(out.values(), key=lambda i: i.id))


def _notes(old: ScanResult, new: ScanResult) -> tuple[str, ...]:
    notes: list[str] = []
    if old.catalog_version != new.catalog_version:
        notes.append(
            f"catalog changed ({old.catalog_version} -> {new.catalog_version}): some changes may come from "
            "tierguard's knowledge, not from the target"
        )
    if old.packs != new.packs:
        notes.append("policy packs differ between the two scans: verdicts may have moved because of them")
    if old.context != new.context:
        notes.append("the deployment contexts differ between the two scans")
    if old.command != new.command:
        notes.append(f"comparing a {old.command} result with a {new.command} result")
    return tuple(notes)


def diff(
    old: ScanResult,
    new: ScanResult,
    *,
    thresholds: Thresholds | None = None,
    old_label: str = "",
    new_label: str = "",
) -> ScanDiff:
    """What changed from ``old`` to ``new`` (pure; see the module docstring for identity and regressions)."""
    assets = _asset_changes(old, new)
    usages = _usage_changes(old, new)
    decisions = _decision_changes(old, new)
    findings = _finding_changes(old, new)
    thresholds = thresholds or Thresholds()
    regs = regressions(decisions, usages, findings, thresholds)
    return ScanDiff(
        old=side(old, old_label),
        new=side(new, new_label),
        thresholds=thresholds,
        summary=_summary(assets, usages, decisions, findings, len(regs)),
        assets=tuple(assets),
        usages=tuple(usages),
        decisions=tuple(decisions),
        findings=tuple(findings),
        regressions=tuple(regs),
        rules=_named_rules((new, old), decisions, usages, findings),
        notes=_notes(old, new),
    )


def make_thresholds(fail_on: str = "review", fail_on_severity: str = "high") -> Thresholds:
    """Thresholds from option strings; ValueError names the bad one."""
    if fail_on not in FAIL_ON_VERDICTS:
        raise ValueError(f"fail_on must be one of {', '.join(FAIL_ON_VERDICTS)}, not {fail_on!r}")
    if fail_on_severity not in FAIL_ON_SEVERITIES:
        raise ValueError(
            f"fail_on_severity must be one of {', '.join(FAIL_ON_SEVERITIES)}, not {fail_on_severity!r}"
        )
    return msgspec.convert({"fail_on": fail_on, "fail_on_severity": fail_on_severity}, Thresholds)
