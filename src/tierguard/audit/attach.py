"""An audit joins a scan: ``tierguard scan --audit FILE`` gives the AUDIT-* findings of a ``tierguard audit``
result to the same model in the scan, so policy packs see which self-hosted models were audited, and what
the audit found, beside where the model is used."""

from __future__ import annotations

from collections.abc import Sequence

from tierguard.model import Asset, Finding, RuleInfo, ScanResult


def attach_audits(
    assets: Sequence[Asset], audits: Sequence[ScanResult], notes: list[str]
) -> tuple[list[Finding], list[RuleInfo]]:
    """The AUDIT-* findings of each audit result whose audited model is a model asset of this scan (same
    stable id: the catalog's canonical name), with their rules; a note per audit says where it applied, or
    that it matched no model (then it is not applied: an audit of another model proves nothing here)."""
    models = {a.id: a.name for a in assets if a.kind == "ai-model"}
    found: list[Finding] = []
    rules: dict[str, RuleInfo] = {}
    for audit in audits:
        label = audit.audit.model if audit.audit is not None else audit.target
        when = audit.finished or "undated"
        hit = {a.id for a in audit.assets if a.kind == "ai-model" and a.id in models}
        if audit.command != "audit" or not hit:
            notes.append(f"audit of {label} ({when}) matches no model here: not applied")
            continue
        fs = [f for f in audit.findings if f.asset_id in hit and f.rule_id.startswith("AUDIT-")]
        found += fs
        fired = {f.rule_id for f in fs}
        rules.update({r.id: r for r in audit.rules if r.id in fired})
        names = ", ".join(sorted(models[i] for i in hit))
        notes.append(f"audit of {label} ({when}) applied to {names}: {len(fs)} findings")
    return found, list(rules.values())
