"""An asset's decision explained from a recorded result: the asset, its verdict, the rules that matched with
their citations, each usage with ``path:line`` and the verdict of its group, and the asset's findings.
Used by ``GET /api/v1/explain`` and the dashboard's asset page (the same record, two renderings)."""

from __future__ import annotations

import msgspec

from tierguard.model import Asset, Citation, ScanResult, Verdict


class UsageLine(msgspec.Struct, frozen=True, kw_only=True):
    at: str  # path:line (path!member:line inside a container)
    path: str
    line: int | None
    use_mode: str
    strength: str
    service: str | None = None
    service_jurisdiction: str | None = None
    verdict: Verdict | None = None  # the verdict of the usage's group
    excerpt: str = ""


class RuleLine(msgspec.Struct, frozen=True, kw_only=True):
    rule_id: str
    pack: str
    pack_version: str
    verdict: Verdict
    severity: str
    reason: str
    citation: Citation


class FindingLine(msgspec.Struct, frozen=True, kw_only=True):
    rule_id: str
    severity: str
    message: str
    at: str


class Producer(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    jurisdiction: str
    role: str


class Explanation(msgspec.Struct, frozen=True, kw_only=True):
    scan_id: int
    target: str
    asset_id: str
    kind: str
    name: str
    aliases: tuple[str, ...] = ()
    use_mode: str
    producers: tuple[Producer, ...] = ()
    service_jurisdiction: str | None = None
    lineage: tuple[str, ...] = ()  # "distill of meta-llama/... (US)"
    verdict: Verdict | None = None  # effective verdict; None: no decision
    decided: Verdict | None = None  # before any waiver
    waiver: str | None = None  # "<id> by <owner> until <expiry>: <justification>"
    notes: tuple[str, ...] = ()
    rules: tuple[RuleLine, ...] = ()
    usages: tuple[UsageLine, ...] = ()
    usages_total: int = 0
    findings: tuple[FindingLine, ...] = ()


def find_asset(result: ScanResult, key: str) -> Asset | None:
    """By id, id prefix, name or alias (case-insensitive); None when absent or ambiguous."""
    exact = result.asset(key)
    if exact is not None:
        return exact
    low = key.lower()
    hits = [a for a in result.assets if a.name.lower() == low]
    if not hits and len(key) >= 6:
        hits = [a for a in result.assets if a.id.startswith(key)]
    if not hits:
        hits = [a for a in result.assets if any(x.lower() == low for x in a.aliases)]
    return hits[0] if len(hits) == 1 else None


def explain(
    result: ScanResult, asset: Asset, *, scan_id: int, target: str, max_usages: int = 500
) -> Explanation:
    decision = next((d for d in result.decisions if d.asset_id == asset.id), None)
    usages = []
    for u in asset.usages[:max_usages]:
        group = decision.usage_verdict(u) if decision is not None else None
        usages.append(
            UsageLine(
                at=u.location.display(),
                path=u.location.path
                if u.location.member is None
                else f"{u.location.path}!{u.location.member}",
                line=u.location.line,
                use_mode=u.use_mode,
                strength=u.strength,
                service=u.service,
                service_jurisdiction=u.service_jurisdiction,
                verdict=group.verdict if group is not None else None,
                excerpt=u.excerpt[:300],
            )
        )
    rules: tuple[RuleLine, ...] = ()
    waiver = None
    if decision is not None:
        rules = tuple(
            RuleLine(
                rule_id=m.rule_id,
                pack=m.pack,
                pack_version=m.pack_version,
                verdict=m.verdict,
                severity=m.severity,
                reason=m.reason,
                citation=m.citation,
            )
            for m in decision.matches
        )
        w = decision.waived_by
        if w is not None:
            waiver = f"{w.id} by {w.owner} until {w.expires}: {w.justification}"
    prov = asset.provenance
    return Explanation(
        scan_id=scan_id,
        target=target,
        asset_id=asset.id,
        kind=asset.kind,
        name=asset.name,
        aliases=asset.aliases,
        use_mode=asset.use_mode,
        producers=tuple(
            Producer(id=p.id, name=p.name, jurisdiction=p.jurisdiction, role=p.role) for p in prov.producers
        ),
        service_jurisdiction=prov.service_jurisdiction,
        lineage=tuple(
            f"{e.relation} of {e.base}"
            + (f" ({e.base_producer.jurisdiction})" if e.base_producer is not None else "")
            for e in prov.lineage
        ),
        verdict=decision.effective_verdict if decision is not None else None,
        decided=decision.verdict if decision is not None else None,
        waiver=waiver,
        notes=decision.notes if decision is not None else (),
        rules=rules,
        usages=tuple(usages),
        usages_total=len(asset.usages),
        findings=tuple(
            FindingLine(rule_id=f.rule_id, severity=f.severity, message=f.message, at=f.location.display())
            for f in result.findings
            if f.asset_id == asset.id
        ),
    )
