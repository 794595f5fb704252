"""SARIF 2.1.0 for changes between two scans, with ``baselineState`` (SARIF 2.1.0 section 3.27.24).

- :func:`render` (``tierguard diff --format sarif``): one result per *changed* item only: a new review/deny
  decision or a new review/deny usage of an existing asset (``new``), a decision that got worse
  (``updated``), a review/deny decision, usage or finding that went away (``absent``), a new finding
  (``new``). Locations come from the diff's usages (paths relative to the target root, ``SRCROOT``).
- :func:`mark_baseline` (``tierguard scan --baseline ... --format sarif``): the scan's own SARIF log
  (:func:`tierguard.report.sarif.sarif_log`, every result) with ``baselineState`` set on each result:
  ``new`` (new asset decision, new usage, new finding), ``updated`` (a verdict that got worse), or
  ``unchanged``; resolved items are appended as ``absent`` results, so code-scanning UIs can close them.
"""

from __future__ import annotations

from typing import Any

from tierguard.model import Location, RuleInfo, ScanResult
from tierguard.report._common import display_path, json_text, safe_text, uri_path
from tierguard.report.diff import DecisionChange, FindingChange, ScanDiff, UsageChange
from tierguard.report.sarif import (
    _LEVEL_BY_SEVERITY,
    _LEVEL_BY_VERDICT,
    FINGERPRINT_KEY,
    INFORMATION_URI,
    SARIF_SCHEMA,
    URI_BASE,
    _location,
    _rule,
    sarif_log,
)

DIFF_RULE = RuleInfo(
    id="TG-DIFF",
    name="change between scans",
    short="A decision or usage that changed between two scans, without a rule recorded",
    severity="medium",
    source="policy",
)


def _level(verdict: str | None) -> str:
    """SARIF level of a verdict (report/sarif.py's map); a change without one is a note."""
    return "note" if verdict is None else _LEVEL_BY_VERDICT[verdict]


_FLAGGED = ("review", "deny")


def render(d: ScanDiff) -> str:
    return json_text(diff_log(d))


def diff_log(d: ScanDiff) -> dict[str, Any]:
    """The SARIF log (one run) of the changed items of ``d``."""
    rules: dict[str, RuleInfo] = {r.id: r for r in d.rules}
    results: list[dict[str, Any]] = []
    for c in d.decisions:
        results.extend(_decision_results(c, d, rules))
    for u in d.usages:
        if u.existing_asset and (u.change == "resolved" or not _covered(u, d)) and u.verdict in _FLAGGED:
            results.append(_usage_result(u, rules))
    results.extend(_finding_result(f, rules) for f in d.findings)
    index = {rid: i for i, rid in enumerate(rules)}
    for r in results:
        r["ruleIndex"] = index[r["ruleId"]]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "tierguard",
                "version": d.new.tool_version,
                "informationUri": INFORMATION_URI,
                "rules": [_rule(rules[rid]) for rid in rules],
            }
        },
        "originalUriBaseIds": {URI_BASE: {"description": {"text": "Root of the scanned target"}}},
        "invocations": [{"executionSuccessful": True}],
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {
            "diffSchemaVersion": d.diff_schema_version,
            "old": {"target": d.old.target, "label": d.old.label, "started": d.old.started},
            "new": {"target": d.new.target, "label": d.new.label, "started": d.new.started},
            "summary": dict(d.summary.items()),
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _covered(u: UsageChange, d: ScanDiff) -> bool:
    """A new usage already reported through its asset's new/worse decision result."""
    return any(c.asset_id == u.asset_id and c.change in ("new", "worse") for c in d.decisions)


def _rule_id(ids: tuple[str, ...], rules: dict[str, RuleInfo]) -> str:
    rid = ids[0] if ids else DIFF_RULE.id
    if rid not in rules:
        rules[rid] = DIFF_RULE if rid == DIFF_RULE.id else DIFF_RULE.model_copy(update={"id": rid})
    return rid


def _decision_results(c: DecisionChange, d: ScanDiff, rules: dict[str, RuleInfo]) -> list[dict[str, Any]]:
    if c.change in ("new", "worse") and c.new in _FLAGGED:
        state = "new" if c.change == "new" else "updated"
        level, rids, usages_of = c.new, c.rules_new, "new"
        text = f"{c.new.upper()}" + (f" (was {c.old})" if c.old else " (new)")
    elif c.change in ("resolved", "better") and c.old in _FLAGGED:
        state, level, rids, usages_of = "absent", c.old, c.rules_old, "resolved"
        text = f"no longer {c.old}" + (f" (now {c.new})" if c.new else " (asset gone)")
    else:
        return []
    locs = [u.location for u in d.usages if u.asset_id == c.asset_id and u.change == usages_of][:20]
    rid = _rule_id(rids, rules)
    return [
        {
            "ruleId": rid,
            "level": _level(level),
            "baselineState": state,
            "message": {"text": safe_text(f"{text}: {c.asset_kind} '{c.asset_name}'")},
            "locations": [_location(loc) for loc in locs or [Location(path=".")]],
            "partialFingerprints": {FINGERPRINT_KEY: f"{c.asset_id}:{rid}"},
            "properties": {"assetId": c.asset_id, "old": c.old, "new": c.new, "change": c.change},
        }
    ]


def _usage_result(u: UsageChange, rules: dict[str, RuleInfo]) -> dict[str, Any]:
    rid = _rule_id(u.rules, rules)
    via = f" via {u.service}" if u.service else ""
    verb = "new" if u.change == "new" else "removed"
    return {
        "ruleId": rid,
        "level": _level(u.verdict) if u.change == "new" else "note",
        "baselineState": "new" if u.change == "new" else "absent",
        "message": {"text": safe_text(f"{verb} {u.verdict} usage of {u.asset_name} ({u.use_mode}{via})")},
        "locations": [_location(u.location)],
        "partialFingerprints": {FINGERPRINT_KEY: u.key},
        "properties": {"assetId": u.asset_id, "verdict": u.verdict, "useMode": u.use_mode},
    }


def _finding_result(f: FindingChange, rules: dict[str, RuleInfo]) -> dict[str, Any]:
    if f.rule_id not in rules:
        rules[f.rule_id] = RuleInfo(
            id=f.rule_id, name=f.rule_id, short=f.rule_id, severity=f.severity, source="inspect"
        )
    return {
        "ruleId": f.rule_id,
        "level": _LEVEL_BY_SEVERITY[f.severity] if f.change == "new" else "note",
        "baselineState": "new" if f.change == "new" else "absent",
        "message": {"text": safe_text(f.message)},
        "locations": [_location(f.location)],
        "partialFingerprints": {FINGERPRINT_KEY: f.finding_id},
        "properties": {"severity": f.severity, **({"assetId": f.asset_id} if f.asset_id else {})},
    }


# ---------------------------------------------------------------------------------------------------------
# A scan's SARIF against a baseline


def _result_key(res: dict[str, Any]) -> tuple[str, str, str]:
    """(asset id, uri, member) of a decision result of :func:`sarif_log`."""
    loc = res["locations"][0]
    uri = loc["physicalLocation"]["artifactLocation"]["uri"]
    logical = loc.get("logicalLocations") or [{}]
    return res["properties"].get("assetId", ""), uri, logical[0].get("name", "")


def _usage_key(u: UsageChange) -> tuple[str, str, str]:
    member = display_path(u.location.member) if u.location.member else ""
    return u.asset_id, uri_path(u.location.path), member


def mark_baseline(result: ScanResult, d: ScanDiff) -> dict[str, Any]:
    """``result``'s SARIF log with ``baselineState`` on every result (see the module docstring)."""
    log = sarif_log(result)
    run = log["runs"][0]
    moved = {c.asset_id: c.change for c in d.decisions}
    new_usages = {_usage_key(u) for u in d.usages if u.change == "new"}
    new_findings = {f.finding_id for f in d.findings if f.change == "new"}
    for res in run["results"]:
        fingerprint = res.get("partialFingerprints", {}).get(FINGERPRINT_KEY, "")
        if fingerprint.startswith("fi-"):
            res["baselineState"] = "new" if fingerprint in new_findings else "unchanged"
            continue
        aid = res["properties"].get("assetId", "")
        if moved.get(aid) == "new" or _result_key(res) in new_usages:
            res["baselineState"] = "new"
        elif moved.get(aid) == "worse":
            res["baselineState"] = "updated"
        else:
            res["baselineState"] = "unchanged"
    rules = {r["id"]: i for i, r in enumerate(run["tool"]["driver"]["rules"])}
    extra: dict[str, RuleInfo] = {}
    gone = [c for c in d.decisions if c.change in ("resolved", "better")]
    absent = [r for c in gone for r in _decision_results(c, d, extra)]
    absent += [_finding_result(f, extra) for f in d.findings if f.change == "resolved"]
    for rid, info in extra.items():
        if rid not in rules:
            rules[rid] = len(rules)
            run["tool"]["driver"]["rules"].append(_rule(info))
    for r in absent:
        r["ruleIndex"] = rules[r["ruleId"]]
    run["results"].extend(absent)
    run["properties"]["baseline"] = {
        "target": d.old.target,
        "label": d.old.label,
        "started": d.old.started,
        "summary": dict(d.summary.items()),
        "regressions": len(d.regressions),
    }
    return log


def render_marked(result: ScanResult, d: ScanDiff) -> str:
    return json_text(mark_baseline(result, d))
