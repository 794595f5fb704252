"""SARIF 2.1.0 report for code-scanning platforms (GitHub code scanning and others).

- ``tool.driver.rules[]`` come from ``result.rules`` (plus rules synthesised from decision matches or
  findings the result does not describe), with citations in ``help`` and GitHub's ``security-severity``.
- One result per (decision match with verdict review/deny, evidence location of the asset): ``error`` for
  deny, ``warning`` for review. Waived decisions carry an accepted external ``suppressions`` entry.
- One result per inspection finding.
- Skipped units and incomplete/not-inspected artifacts are ``toolExecutionNotifications``.

GitHub constraints respected: every result has a physical location with a relative ``uri`` and
``uriBaseId`` SRCROOT; ``region.startLine`` only when known (>= 1); ``partialFingerprints`` from stable ids
(no line numbers); ``security-severity`` is a numeric string; at most 25,000 results per run (the rest are
counted in a notification).
"""

from __future__ import annotations

from typing import Any

from tierguard.model import (
    BINDING_STATUSES,
    Asset,
    Citation,
    Decision,
    Finding,
    Location,
    RuleInfo,
    RuleMatch,
    ScanResult,
    status_label,
)
from tierguard.report._common import (
    asset_index,
    asset_locations,
    citation_text,
    context_warning,
    display_location,
    display_path,
    iso_utc,
    json_text,
    operator_text,
    packs_text,
    producers_text,
    rule_index,
    safe_text,
    uri_path,
)
from tierguard.report.coverage import coverage

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/tierguard/tierguard"
URI_BASE = "SRCROOT"
MAX_RESULTS = 25_000  # GitHub code scanning: results per run
MAX_SKIP_NOTIFICATIONS = 1_000  # above this, skipped units are summarised per reason
FINGERPRINT_KEY = "tierguardId/v1"

_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}
_LEVEL_BY_SEVERITY = {
    "critical": "error",
    "high": "error",
    "medium": "warning",
    "low": "note",
    "info": "note",
}
_LEVEL_BY_VERDICT = {"deny": "error", "review": "warning", "allow": "note"}

__all__ = ["render", "sarif_log"]


def render(result: ScanResult) -> str:
    return json_text(sarif_log(result))


def sarif_log(result: ScanResult) -> dict[str, Any]:
    """The SARIF log as a dict (one run)."""
    rules = _rules(result)
    rule_ids = list(rules)
    index = {rid: i for i, rid in enumerate(rule_ids)}
    results, unknown = _results(result, index)
    notifications = _context_notification(result) + _notifications(result)
    notifications += [
        {
            "level": "warning",
            "message": {"text": f"decision for asset {aid} that is not in the result"},
            "descriptor": {"id": "tierguard/unknown-asset"},
        }
        for aid in unknown
    ]
    if len(results) > MAX_RESULTS:
        results, truncated = _truncate(results)
        notifications.append(truncated)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "tierguard",
                "version": result.tool_version,
                "semanticVersion": result.tool_version,
                "informationUri": INFORMATION_URI,
                "rules": [_rule(rules[rid]) for rid in rule_ids],
            }
        },
        "originalUriBaseIds": {URI_BASE: {"description": {"text": "Root of the scanned target"}}},
        "invocations": [_invocation(result, notifications)],
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": _run_properties(result),
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _rules(result: ScanResult) -> dict[str, RuleInfo]:
    """The result's rules, plus the synthetic rule when a review/deny decision names no rule."""
    rules = rule_index(result)
    if any(
        d.verdict in ("review", "deny") and not [m for m in d.matches if m.verdict != "allow"]
        for d in result.decisions
    ):
        rules.setdefault(UNMATCHED_RULE.id, UNMATCHED_RULE)
    return rules


def _results(result: ScanResult, index: dict[str, int]) -> tuple[list[dict[str, Any]], list[str]]:
    """SARIF results for decisions then findings; and the ids of decided assets missing from the result."""
    results: list[dict[str, Any]] = []
    unknown: list[str] = []
    assets = asset_index(result)
    for d in result.decisions:
        asset = assets.get(d.asset_id)
        if asset is None:
            unknown.append(d.asset_id)
            continue
        results.extend(_decision_results(d, asset, index))
    for f in result.findings:
        asset = assets.get(f.asset_id) if f.asset_id else None
        results.append(_finding_result(f, asset, index))
    return results, unknown


def _finding_result(f: Finding, asset: Asset | None, index: dict[str, int]) -> dict[str, Any]:
    return {
        "ruleId": f.rule_id,
        "ruleIndex": index[f.rule_id],
        "level": _LEVEL_BY_SEVERITY[f.severity],
        "message": {"text": safe_text(f.message + (f" (asset: {asset.name})" if asset else ""))},
        "locations": [_location(f.location)],
        "partialFingerprints": {FINGERPRINT_KEY: f.id},
        "properties": {"severity": f.severity, **({"assetId": f.asset_id} if f.asset_id else {})},
    }


def _truncate(results: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """GitHub rejects runs above 25,000 results: keep the most severe (stable order within a level), and
    a notification saying how many were dropped."""
    dropped = len(results) - MAX_RESULTS
    rank = {"error": 0, "warning": 1, "note": 2, "none": 3}
    kept = sorted(results, key=lambda r: rank[r["level"]])[:MAX_RESULTS]
    notification = {
        "level": "warning",
        "message": {"text": f"{dropped} results omitted: GitHub accepts at most {MAX_RESULTS} per run"},
        "descriptor": {"id": "tierguard/truncated"},
    }
    return kept, notification


def _invocation(result: ScanResult, notifications: list[dict[str, Any]]) -> dict[str, Any]:
    # executionSuccessful stays true: the run completed; what it could not read is in the notifications
    # (one per skipped unit or incomplete artifact) and counted in run.properties.coverage.
    invocation: dict[str, Any] = {"executionSuccessful": True}
    start, end = iso_utc(result.started), iso_utc(result.finished)
    if start:
        invocation["startTimeUtc"] = start
    if end:
        invocation["endTimeUtc"] = end
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return invocation


def _context_notification(result: ScanResult) -> list[dict[str, Any]]:
    """First notification: no deployment context, so the context-dependent packs were not evaluated."""
    warning = context_warning(result)
    if warning is None:
        return []
    return [
        {
            "level": "warning",
            "message": {"text": warning},
            "descriptor": {"id": "tierguard/no-deployment-context"},
        }
    ]


def _run_properties(result: ScanResult) -> dict[str, Any]:
    cov = coverage(result)
    warning = context_warning(result)
    return {
        **({"contextWarning": warning} if warning is not None else {}),
        "schemaVersion": result.schema_version,
        "catalogVersion": result.catalog_version,
        "packs": packs_text(result),
        "context": result.context.model_dump(exclude_none=True),
        "notes": list(result.notes),
        "coverage": {
            "complete": cov.complete,
            "skippedByReason": dict(cov.skipped),
            "inspectionsByStatus": dict(cov.inspections),
            "gatingCount": len(cov.gating),
            "gatingUnits": [uri_path(p) for p in cov.gating[:100]],
        },
    }


def _rule(r: RuleInfo) -> dict[str, Any]:
    cites_text = "\n".join(
        f"- {citation_text(c)}" + (f" [{status_label(c.status)}]" if c.status else "") for c in r.citations
    )
    cites_md = "\n".join(
        f"- {_md(c.instrument)} ({_md(c.date)}): [{_md(c.url)}]({c.url})"
        + (f" *({_md(status_label(c.status))})*" if c.status else "")
        + (" *(secondary source, verify)*" if c.verify else "")
        for c in r.citations
    )
    help_text = r.help or r.short
    help_md = _md(help_text)
    if r.citations:
        help_text += "\n\nSources:\n" + cites_text
        help_md += "\n\n**Sources**\n\n" + cites_md
    out: dict[str, Any] = {
        "id": r.id,
        "name": _pascal(r.name),
        "shortDescription": {"text": r.short or r.id},
        "fullDescription": {"text": r.help or r.short or r.id},
        "help": {"text": help_text, "markdown": help_md},
        "defaultConfiguration": {"level": _LEVEL_BY_SEVERITY[r.severity]},
        "properties": {
            "tags": ["security", "tierguard", r.source],
            "security-severity": _SECURITY_SEVERITY[r.severity],
            "precision": "high",
            "problem.severity": _LEVEL_BY_SEVERITY[r.severity].replace("note", "recommendation"),
        },
    }
    statuses = [c.status for c in r.citations if c.status]
    if statuses:
        out["properties"]["instrumentStatus"] = statuses[0]
    # helpUri must be an absolute URL (code-scanning UIs link it as is): the first absolute one among the
    # rule's own link and its citations; a project-relative docs link stays in the help text only
    candidates = [r.help_uri, *(c.url for c in r.citations)]
    uri = next((u for u in candidates if u and u.startswith(("https://", "http://"))), None)
    if uri:
        out["helpUri"] = uri
    return out


def _decision_results(d: Decision, asset: Asset, index: dict[str, int]) -> list[dict[str, Any]]:
    if d.verdict not in ("review", "deny"):
        return []
    matches = [m for m in d.matches if m.verdict in ("review", "deny")] or [_unmatched(d)]
    # the usages that drove the verdict (a deny through the DeepSeek API points at the API call, not at the
    # README that also names the model); assets without usages: every place they were seen
    locations = list(d.driven_by) or asset_locations(asset) or [_fallback_location(asset)]
    usage_at = {u.location: u for u in asset.usages}
    out: list[dict[str, Any]] = []
    for m in matches:
        for loc in locations:
            u = usage_at.get(loc)
            res: dict[str, Any] = {
                "ruleId": m.rule_id,
                "ruleIndex": index[m.rule_id],
                "level": _LEVEL_BY_VERDICT[m.verdict],
                "message": {"text": _message(asset, m)},
                "locations": [_location(loc)],
                "partialFingerprints": {
                    # undecodable bytes in the path: shown as \xNN by json_text, still stable
                    FINGERPRINT_KEY: f"{asset.id}:{m.rule_id}:{loc.path}:{loc.member or ''}",
                },
                "properties": {
                    "assetId": asset.id,
                    "assetKind": asset.kind,
                    "verdict": m.verdict,
                    "useMode": u.use_mode if u is not None else asset.use_mode,
                    "pack": f"{m.pack}@{m.pack_version}",
                    "citation": citation_text(m.citation),
                },
            }
            if m.citation.status:
                res["properties"]["instrumentStatus"] = m.citation.status
                res["properties"]["binding"] = m.citation.status in BINDING_STATUSES
            if u is not None and u.service:
                res["properties"]["service"] = f"{u.service} ({u.service_jurisdiction or '?'})"
            if u is not None and u.as_written and u.as_written != asset.name:
                res["properties"]["asWritten"] = u.as_written
            if asset.aliases:
                res["properties"]["aliases"] = list(asset.aliases)
            if d.waived_by is not None:
                w = d.waived_by
                res["suppressions"] = [
                    {
                        "kind": "external",
                        "status": "accepted",
                        "justification": f"{w.justification} (waiver {w.id}, owner {w.owner}, "
                        f"approved {w.approval}, expires {w.expires})",
                    }
                ]
            out.append(res)
    return out


UNMATCHED_RULE = RuleInfo(
    id="TG-DECISION",
    name="decision without rule match",
    short="A review/deny decision that names no policy rule",
    help="The policy stage returned a review or deny verdict without a matching rule; see the notes.",
    severity="medium",
    source="policy",
)


def _unmatched(d: Decision) -> RuleMatch:
    return RuleMatch(
        pack="tierguard",
        pack_version="",
        rule_id=UNMATCHED_RULE.id,
        verdict=d.verdict,
        severity=UNMATCHED_RULE.severity,
        reason="; ".join(d.notes) or "no rule recorded",
        citation=Citation(instrument="tierguard decision", date="", url=""),
    )


def _message(asset: Asset, m: RuleMatch) -> str:
    status = f" ({status_label(m.citation.status)})" if m.citation.status else ""
    parts = [f"{m.verdict.upper()}{status}: {asset.kind} '{safe_text(asset.name)}' ({asset.use_mode})"]
    parts.append(f"producer: {producers_text(asset)}")
    op = operator_text(asset)
    if op:
        parts.append(f"operated by {op}")
    for e in asset.provenance.lineage:
        base = f"{e.base_producer.name} ({e.base_producer.jurisdiction})" if e.base_producer else "unknown"
        parts.append(f"{e.relation} of {e.base} by {base}")
    parts.append(f"rule {m.rule_id} [{m.pack}@{m.pack_version}]: {m.reason}")
    parts.append(f"source: {citation_text(m.citation)}")
    return "; ".join(parts) + "."


def _location(loc: Location) -> dict[str, Any]:
    phys: dict[str, Any] = {"artifactLocation": {"uri": uri_path(loc.path), "uriBaseId": URI_BASE}}
    region: dict[str, Any] = {}
    if loc.line is not None and loc.line >= 1:
        region["startLine"] = loc.line
        if loc.column is not None and loc.column >= 1:
            region["startColumn"] = loc.column
    if region:
        phys["region"] = region
    out: dict[str, Any] = {"physicalLocation": phys}
    if loc.member:
        out["logicalLocations"] = [{"name": display_path(loc.member), "kind": "member"}]
        out["message"] = {"text": f"member {display_path(loc.member)} of {display_path(loc.path)}"}
    return out


def _fallback_location(asset: Asset) -> Location:
    """Assets without evidence (e.g. from an inventory) still need a location for code scanning."""
    return Location(path=asset.artifact_path or ".")


def _pascal(name: str) -> str:
    words = [w for w in "".join(c if c.isalnum() else " " for c in name).split() if w]
    return "".join(w[:1].upper() + w[1:] for w in words) or "Rule"


def _md(text: str) -> str:
    """Escape Markdown control characters in untrusted text."""
    out = []
    for ch in text:
        if ch in "\\`*_{}[]<>()#+!|":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _notifications(result: ScanResult) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if len(result.skipped) > MAX_SKIP_NOTIFICATIONS:
        return _skip_summaries(result) + _inspection_notifications(result)
    for s in result.skipped:
        text = f"not inspected: {display_path(s.path)} ({s.reason})" + (
            f": {safe_text(s.detail)}" if s.detail else ""
        )
        out.append(
            {
                "level": "note",
                "message": {"text": text},
                "descriptor": {"id": f"tierguard/skipped/{s.reason}"},
                "locations": [_location(Location(path=s.path))],
            }
        )
    return out + _inspection_notifications(result)


def _skip_summaries(result: ScanResult) -> list[dict[str, Any]]:
    """One notification per skip reason (count and first paths) when there are too many to list."""
    by_reason: dict[str, list[str]] = {}
    for s in result.skipped:
        by_reason.setdefault(s.reason, []).append(s.path)
    return [
        {
            "level": "note",
            "message": {
                "text": f"not inspected: {len(paths)} units ({reason}), e.g. "
                + ", ".join(display_path(p) for p in paths[:5]),
            },
            "descriptor": {"id": f"tierguard/skipped/{reason}"},
            "properties": {"count": len(paths)},
        }
        for reason, paths in sorted(by_reason.items())
    ]


def _inspection_notifications(result: ScanResult) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in result.inspections:
        if i.status not in ("incomplete", "not-inspected"):
            continue
        text = f"{i.status}: {display_location(i.location)} ({i.format})" + (
            f": {safe_text(i.reason)}" if i.reason else ""
        )
        out.append(
            {
                "level": "warning",
                "message": {"text": text},
                "descriptor": {"id": f"tierguard/inspection/{i.status}"},
                "locations": [_location(i.location)],
            }
        )
    return out
