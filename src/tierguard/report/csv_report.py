"""CSV export for the teams that must act: one row per usage of every asset under review or denied (waived
ones included, labelled), with the device and user where the usage came from an inventory or a log.

Columns (RFC 4180, UTF-8, ``\\r\\n`` line ends, a header row):

``verdict, usage_verdict, asset, asset_kind, asset_id, device, user, use_mode, service,
service_jurisdiction, producer, location, as_written, count, first_seen, last_seen, rules, sources``

- ``verdict`` is the asset's decision (``waived (deny)`` when waived); ``usage_verdict`` the verdict of the
  usage's own group (a model used through Bedrock under a denied asset shows ``review`` here);
- ``device``/``user``/``count``/``first_seen``/``last_seen`` are set for usages from device inventories and
  network logs, empty for code;
- ``rules``: ``RULE-ID (verdict)`` separated by ``; ``; ``sources``: the rules' citation URLs.

Cells that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage
return) are prefixed with ``'`` (OWASP CSV injection); every string from the target goes through
``safe_text`` first, so control characters are visible and never raw.
"""

from __future__ import annotations

import csv
import io

from tierguard.model import STRENGTH_ORDER, Asset, Decision, ScanResult, Usage
from tierguard.report._common import (
    asset_index,
    display_location,
    primary_producer,
    safe_text,
    verdict_label,
)

COLUMNS = (
    "verdict",
    "usage_verdict",
    "asset",
    "asset_kind",
    "asset_id",
    "device",
    "user",
    "use_mode",
    "service",
    "service_jurisdiction",
    "producer",
    "location",
    "as_written",
    "count",
    "first_seen",
    "last_seen",
    "rules",
    "sources",
)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """One CSV cell: visible, never a formula."""
    text = "" if value is None else safe_text(str(value))
    return "'" + text if text.startswith(_FORMULA) else text


def _usage_rank(d: Decision, u: Usage) -> tuple[int, int, str, int]:
    g = d.usage_verdict(u)
    verdict = {"deny": 0, "review": 1}.get(g.verdict, 2) if g is not None else 3
    return (verdict, -STRENGTH_ORDER[u.strength], u.location.path, u.location.line or 0)


def rows(result: ScanResult) -> list[list[str]]:
    """The data rows: every usage of every asset whose decision is not ``allow`` (waived ones included, with
    their label), denied first; an asset without usages is one row."""
    assets = asset_index(result)
    decided = [
        (d, assets[d.asset_id]) for d in result.decisions if d.asset_id in assets and d.verdict != "allow"
    ]
    decided.sort(
        key=lambda da: ({"deny": 0, "review": 1}.get(da[0].verdict, 2), da[1].kind, da[1].name.lower())
    )
    out: list[list[str]] = []
    for d, a in decided:
        rules = "; ".join(f"{m.rule_id} ({m.verdict})" for m in d.matches)
        sources = "; ".join(dict.fromkeys(m.citation.url for m in d.matches))
        usages = sorted(a.usages, key=lambda u: _usage_rank(d, u)) if a.usages else [None]
        for u in usages:
            out.append(_row(d, a, u, rules, sources))
    return out


def _row(d: Decision, a: Asset, u: Usage | None, rules: str, sources: str) -> list[str]:
    producer = primary_producer(a)
    base = {
        "verdict": verdict_label(d),
        "asset": a.name,
        "asset_kind": a.kind,
        "asset_id": a.id,
        "producer": f"{producer.name} ({producer.jurisdiction})" if producer else "",
        "rules": rules,
        "sources": sources,
    }
    if u is None:
        locs = [display_location(ev.location) for ev in a.evidence[:1]]
        base |= {"use_mode": a.use_mode, "location": locs[0] if locs else "", "usage_verdict": d.verdict}
    else:
        g = d.usage_verdict(u)
        base |= {
            "usage_verdict": g.verdict if g is not None else "",
            "device": u.host or "",
            "user": u.user or "",
            "use_mode": u.use_mode,
            "service": u.service or "",
            "service_jurisdiction": u.service_jurisdiction or "",
            "location": display_location(u.location),
            "as_written": u.as_written,
            "count": str(u.count),
            "first_seen": u.first_seen or "",
            "last_seen": u.last_seen or "",
        }
    return [cell(base.get(c, "")) for c in COLUMNS]


def render(result: ScanResult) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows(result))
    return buf.getvalue()
