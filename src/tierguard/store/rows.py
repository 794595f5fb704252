"""The queryable rows of one recorded scan, built from its ``ScanResult`` (plain dicts for bulk inserts).

``record`` builds and inserts one table at a time inside its transaction, in the order of
:data:`tierguard.store.sql.CHILD_ORDER`, so a failure while building a later table's rows happens after
earlier rows were inserted: the test that breaks :func:`finding_rows` proves the transaction leaves
nothing behind.
"""

from __future__ import annotations

import zlib
from typing import Any

import msgspec

from tierguard.model import Location, ScanResult, Verdict
from tierguard.report import json_report

Row = dict[str, Any]
CODEC = "zlib"
MAX_NAME = 600
"""Characters of an asset name kept in the queryable rows (the document keeps it whole): the name is indexed,
and a PostgreSQL index entry must stay under ~2,700 bytes."""
MAX_DOCUMENT = 1 << 30
"""Largest decompressed document :func:`decode_document` accepts (1 GiB)."""


def encode_document(result: ScanResult) -> bytes:
    """The result's JSON document (``json_report.document``: what ``render`` writes, without its indentation,
    encoded by msgspec: 10x faster than ``json.dumps(indent=2)``'s pure-Python path), zlib-compressed.
    ``json_report.load`` reads it back."""
    # level 1: 5x faster than level 6 on the demo's document (384 -> 59 KB instead of 44 KB)
    return zlib.compress(msgspec.json.encode(json_report.document(result)), 1)


def decode_document(blob: bytes) -> ScanResult:
    """The ``ScanResult`` of :func:`encode_document`'s output. ``ValueError`` when it cannot be read (or would
    decompress to more than :data:`MAX_DOCUMENT` bytes)."""
    d = zlib.decompressobj()
    try:
        text = d.decompress(blob, MAX_DOCUMENT)
    except zlib.error as exc:
        raise ValueError(f"corrupt compressed document ({exc})") from None
    if d.unconsumed_tail or not d.eof:
        raise ValueError("compressed document is truncated or larger than 1 GiB")
    try:
        return json_report.load(text)
    except Exception as exc:  # any decoding failure of a stored document is one line for the user
        raise ValueError(
            f"document does not load ({str(exc).splitlines()[0] if str(exc) else exc!r})"
        ) from None


def _where(loc: Location) -> str:
    return loc.path if loc.member is None else f"{loc.path}!{loc.member}"


def verdicts(result: ScanResult) -> dict[str, Verdict]:
    """Effective verdict of each decided asset."""
    return {d.asset_id: d.effective_verdict for d in result.decisions}


def decided(result: ScanResult) -> int:
    """How many of the result's assets have a decision (the rows the decisions listing pages through)."""
    by_asset = verdicts(result)
    return sum(1 for a in result.assets if a.id in by_asset)


def counts(result: ScanResult) -> tuple[int, int]:
    """(denies, reviews) among the effective verdicts."""
    vs = [d.effective_verdict for d in result.decisions]
    return vs.count("deny"), vs.count("review")


def asset_rows(scan_id: int, result: ScanResult) -> list[Row]:
    by_asset = verdicts(result)
    out: list[Row] = []
    for a in result.assets:
        first = a.provenance.producers[0] if a.provenance.producers else None
        name = a.name if len(a.name) <= MAX_NAME else a.name[: MAX_NAME - 1] + "…"
        out.append(
            {
                "scan_id": scan_id,
                "asset_id": a.id,
                "kind": a.kind,
                "name": name,
                "search": name.lower(),
                "use_mode": a.use_mode,
                "producer": first.id if first else None,
                "jurisdiction": first.jurisdiction if first else None,
                "service_jurisdiction": a.provenance.service_jurisdiction,
                "verdict": by_asset.get(a.id),
                "usages": len(a.usages),
            }
        )
    return out


def usage_rows(scan_id: int, result: ScanResult) -> list[Row]:
    return [
        {
            "scan_id": scan_id,
            "asset_id": a.id,
            "path": _where(u.location),
            "line": u.location.line,
            "use_mode": u.use_mode,
            "strength": u.strength,
            "service": u.service,
            "service_jurisdiction": u.service_jurisdiction,
            "host": u.host,
            "user": u.user,
        }
        for a in result.assets
        for u in a.usages
    ]


def _rule_ids(result: ScanResult) -> dict[str, tuple[str, ...]]:
    return {d.asset_id: tuple(dict.fromkeys(m.rule_id for m in d.matches)) for d in result.decisions}


def decision_rows(scan_id: int, result: ScanResult) -> list[Row]:
    names = {a.id: a.name for a in result.assets}
    rules = _rule_ids(result)
    return [
        {
            "scan_id": scan_id,
            "asset_id": d.asset_id,
            "asset_name": names.get(d.asset_id, d.asset_id)[:MAX_NAME],
            "verdict": d.effective_verdict,
            "rules": "\n".join(rules[d.asset_id]),
            "waived": d.waived_by is not None,
        }
        for d in result.decisions
    ]


def decision_rule_rows(scan_id: int, result: ScanResult) -> list[Row]:
    return [
        {"scan_id": scan_id, "asset_id": asset_id, "rule_id": rule}
        for asset_id, rules in _rule_ids(result).items()
        for rule in rules
    ]


def finding_rows(scan_id: int, result: ScanResult) -> list[Row]:
    return [
        {
            "scan_id": scan_id,
            "finding_id": f.id,
            "rule_id": f.rule_id,
            "severity": f.severity,
            "message": f.message,
            "path": _where(f.location),
            "line": f.location.line,
            "asset_id": f.asset_id,
        }
        for f in result.findings
    ]
