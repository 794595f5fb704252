"""Helpers shared by the reporters. Pure functions of the result model; no engine imports."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_from_bytes, unquote_to_bytes

from tierguard.model import (
    VERDICT_ORDER,
    Asset,
    Citation,
    Decision,
    Location,
    ProducerRef,
    RuleInfo,
    ScanResult,
)

UNKNOWN_JURISDICTION = "XX"
NO_CONTEXT = "no deployment context given"
"""How the policy stage's note begins when no deployment context was given: the same text as
``tierguard.policy.NO_CONTEXT`` (a test holds them equal; not imported, so ``tierguard inspect`` loads no
policy code)."""


def context_warning(result: ScanResult) -> str | None:
    """The policy stage's note that no deployment context was given, so the context-dependent packs were not
    evaluated: every format shows it first (console header, JSON ``notes[0]``, SARIF run properties and a
    notification, a CycloneDX metadata property, the HTML banner). None when a context was given."""
    return next((n for n in result.notes if n.startswith(NO_CONTEXT)), None)


# ---- file names and other untrusted text -------------------------------------------------------------
# Paths are ``str`` as ``os.fsdecode`` gives them: a byte that is not valid UTF-8 is a lone surrogate
# U+DC80..U+DCFF ("surrogateescape"). Such a str cannot be written as UTF-8, and names may hold newlines,
# terminal escapes or bidi overrides. Every reporter goes through the helpers below (no second copy).


def path_bytes(path: str) -> bytes:
    """The original bytes of a path decoded with ``os.fsdecode`` (invalid UTF-8 bytes restored)."""
    try:
        return path.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate outside U+DC80..U+DCFF: not from a file name; keep its bytes
        return path.encode("utf-8", "surrogatepass")


def _escape_char(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte
        return f"\\x{code - 0xDC00:02x}"
    if ch == "\n":
        return "\\n"
    if ch == "\t":
        return "\\t"
    if ch == "\r":
        return "\\r"
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _unsafe(ch: str) -> bool:
    # Cc: C0/C1 controls and DEL; Cf: bidi overrides/isolates, zero-width and other invisible format
    # characters; Cs: surrogates (undecodable bytes); Zl/Zp: line and paragraph separators.
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp")


_PLAIN = re.compile(r"[ -~]*")  # printable ASCII: nothing to escape


def safe_text(text: str, *, keep_newlines: bool = False, escape_backslash: bool = False) -> str:
    """``text`` made safe to show: control characters, invisible format characters (bidi overrides,
    zero-width), line separators and undecodable bytes become visible escapes (``\\n``, ``\\x1b``,
    ``\\u202e``, ``\\xff``). ``keep_newlines`` keeps ``\\n`` and ``\\t`` as they are (multi-line
    excerpts); ``escape_backslash`` doubles a backslash, so that a name cannot forge an escape. The result is
    always valid Unicode (encodable as UTF-8)."""
    if _PLAIN.fullmatch(text) and not (escape_backslash and "\\" in text):
        return text
    out: list[str] = []
    for ch in text:
        if ch == "\\" and escape_backslash:
            out.append("\\\\")
        elif keep_newlines and ch in "\n\t":
            out.append(ch)
        elif _unsafe(ch):
            out.append(_escape_char(ch))
        else:
            out.append(ch)
    return "".join(out)


def display_path(path: str) -> str:
    """A path for people (console, HTML, SARIF/CycloneDX text): every character :func:`safe_text` escapes,
    and a backslash doubled, so ``new\\nline.py`` (a newline) and ``new\\\\nline.py`` (a backslash) differ."""
    return safe_text(path, escape_backslash=True)


def display_location(loc: Location) -> str:
    """``path!member:line`` with the path and member made safe (:func:`display_path`)."""
    s = display_path(loc.path)
    if loc.member is not None:
        s = f"{s}!{display_path(loc.member)}"
    return s if loc.line is None else f"{s}:{loc.line}"


def uri_path(path: str) -> str:
    """A relative URI reference for ``path`` (RFC 3986): every byte of the original name except the
    unreserved characters and ``/`` is percent-encoded (undecodable bytes included, e.g. ``%FF``; a
    backslash is a name character on POSIX: ``%5C``); a leading ``./`` or ``/`` is dropped; an empty
    path is ``.``."""
    p = path
    while p.startswith("./"):
        p = p[2:]
    p = p.lstrip("/") or "."
    return quote_from_bytes(path_bytes(p), safe="/")


def json_path(path: str) -> str:
    """The lossless, valid-UTF-8 form of a path in tierguard JSON (docs/formats.md, "Paths in JSON"):
    valid UTF-8 is kept as is, ``%`` becomes ``%25`` and each byte that is not valid UTF-8 becomes
    ``%XX`` (upper-case hex). :func:`json_path_decode` restores the original exactly."""
    if "%" not in path and path.isascii():
        return path
    out: list[str] = []
    for ch in path:
        code = ord(ch)
        if ch == "%":
            out.append("%25")
        elif 0xD800 <= code <= 0xDFFF:
            out.extend(f"%{b:02X}" for b in path_bytes(ch))
        else:
            out.append(ch)
    return "".join(out)


def json_path_decode(value: str) -> str:
    """The inverse of :func:`json_path`: the path as ``os.fsdecode`` would give it."""
    if "%" not in value:
        return value
    return unquote_to_bytes(value.encode("utf-8")).decode("utf-8", "surrogateescape")


def no_surrogates(text: str) -> str:
    """``text`` with undecodable bytes (lone surrogates) shown as ``\\xff``; everything else unchanged.
    For free text (messages, details) bound for JSON, where control characters are escaped by JSON."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return "".join(_escape_char(ch) if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)


def json_text(doc: Any) -> str:
    """A JSON document as UTF-8 text, with undecodable bytes (lone surrogates) left in any free text shown
    as ``\\xNN`` (:func:`no_surrogates`), so the output is always valid UTF-8."""

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return no_surrogates(value)
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return json.dumps(clean(doc), indent=2, ensure_ascii=False) + "\n"


def producer_label(p: ProducerRef) -> str:
    return f"{p.name} ({p.jurisdiction})"


def producers_text(asset: Asset) -> str:
    """All producers of an asset, e.g. ``DeepSeek (CN), Meta (US)``; ``unknown`` when none."""
    return ", ".join(producer_label(p) for p in asset.provenance.producers) or "unknown"


def operator_text(asset: Asset) -> str:
    prov = asset.provenance
    if prov.service_operator is not None:
        jur = prov.service_jurisdiction or prov.service_operator.jurisdiction
        return f"{prov.service_operator.name} ({jur})"
    if prov.service_jurisdiction:
        return f"unknown operator ({prov.service_jurisdiction})"
    return ""


def primary_producer(asset: Asset) -> ProducerRef | None:
    """The first producer of an asset (identify orders them: direct producer before base producers)."""
    return asset.provenance.producers[0] if asset.provenance.producers else None


def primary_jurisdiction(asset: Asset) -> str:
    p = primary_producer(asset)
    return p.jurisdiction if p is not None else UNKNOWN_JURISDICTION


def primary_producer_name(asset: Asset) -> str:
    p = primary_producer(asset)
    return p.name if p is not None else "unknown"


def asset_index(result: ScanResult) -> dict[str, Asset]:
    """Assets by id (``ScanResult.asset`` is a linear search; reporters look up every decision)."""
    return {a.id: a for a in result.assets}


def decision_index(result: ScanResult) -> dict[str, Decision]:
    """Decision per asset id (the worst one if several exist for one asset)."""
    out: dict[str, Decision] = {}
    for d in result.decisions:
        prev = out.get(d.asset_id)
        if prev is None or VERDICT_ORDER[d.verdict] > VERDICT_ORDER[prev.verdict]:
            out[d.asset_id] = d
    return out


def verdict_label(d: Decision | None) -> str:
    """``deny``, ``review``, ``allow``, ``waived (deny)`` or ``undecided``."""
    if d is None:
        return "undecided"
    if d.waived_by is not None:
        return f"waived ({d.verdict})"
    return d.verdict


def rule_index(result: ScanResult) -> dict[str, RuleInfo]:
    """Every rule the result references: ``result.rules`` first, then rules synthesised from decision
    matches and findings that ``result.rules`` does not describe (so SARIF ``ruleIndex`` is always valid)."""
    rules: dict[str, RuleInfo] = {r.id: r for r in result.rules}
    for d in result.decisions:
        for m in d.matches:
            if m.rule_id not in rules:
                rules[m.rule_id] = RuleInfo(
                    id=m.rule_id,
                    name=m.rule_id,
                    short=m.reason or m.rule_id,
                    severity=m.severity,
                    help_uri=m.citation.url or None,
                    citations=(m.citation,),
                    source="policy",
                )
    for f in result.findings:
        if f.rule_id not in rules:
            rules[f.rule_id] = RuleInfo(
                id=f.rule_id, name=f.rule_id, short=f.rule_id, severity=f.severity, source="inspect"
            )
    return rules


def citation_text(c: Citation) -> str:
    s = f"{c.instrument} ({c.date}) {c.url}".strip()
    return s + (" [secondary source, verify]" if c.verify else "")


def unique_locations(locations: Iterable[Location]) -> list[Location]:
    seen: set[tuple[str, str, int | None]] = set()
    out: list[Location] = []
    for loc in locations:
        key = (loc.path, loc.member or "", loc.line)
        if key not in seen:
            seen.add(key)
            out.append(loc)
    return out


def asset_locations(asset: Asset) -> list[Location]:
    return unique_locations(ev.location for ev in asset.evidence)


@dataclass(frozen=True)
class GroupCount:
    producer: str
    jurisdiction: str
    by_kind: dict[str, int]
    by_verdict: dict[str, int]
    total: int


def summary_by_producer(result: ScanResult) -> list[GroupCount]:
    """Counts of assets by (primary producer, jurisdiction): by kind and by verdict label.

    Sorted with PRC (CN) first, then by total descending and name, so the table leads with what matters."""
    decisions = decision_index(result)
    groups: dict[tuple[str, str], tuple[Counter[str], Counter[str]]] = {}
    for a in result.assets:
        key = (primary_producer_name(a), primary_jurisdiction(a))
        kinds, verdicts = groups.setdefault(key, (Counter(), Counter()))
        kinds[a.kind] += 1
        verdicts[verdict_label(decisions.get(a.id))] += 1
    out = [
        GroupCount(p, j, dict(sorted(k.items())), dict(sorted(v.items())), sum(k.values()))
        for (p, j), (k, v) in groups.items()
    ]
    out.sort(key=lambda g: (g.jurisdiction != "CN", -g.total, g.producer.lower(), g.jurisdiction))
    return out


def counts_by_jurisdiction(result: ScanResult) -> list[tuple[str, int]]:
    c = Counter(primary_jurisdiction(a) for a in result.assets)
    return sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))


def counts_by_verdict(result: ScanResult) -> list[tuple[str, int]]:
    """Assets per effective outcome: deny, review, waived, allow, undecided (fixed order, zeros kept)."""
    decisions = decision_index(result)
    c: Counter[str] = Counter()
    for a in result.assets:
        d = decisions.get(a.id)
        if d is None:
            c["undecided"] += 1
        elif d.waived_by is not None:
            c["waived"] += 1
        else:
            c[d.verdict] += 1
    return [(k, c.get(k, 0)) for k in ("deny", "review", "waived", "allow", "undecided")]


def skipped_reasons(result: ScanResult) -> list[tuple[str, int]]:
    c = Counter(s.reason for s in result.skipped)
    return sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))


def not_inspected(result: ScanResult) -> list[tuple[str, int]]:
    """Inspections that are incomplete or not inspected, counted by ``status: reason``."""
    c = Counter(
        f"{i.status}: {i.reason}" if i.reason else i.status
        for i in result.inspections
        if i.status in ("incomplete", "not-inspected")
    )
    return sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))


def iso_utc(value: str) -> str | None:
    """``value`` as an RFC 3339 UTC timestamp (``...Z``), or None when it is empty or unparseable."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def context_items(result: ScanResult) -> list[tuple[str, str]]:
    """The deployment context as (field, value) pairs, unset fields omitted."""
    return [(k, str(v)) for k, v in result.context.model_dump().items() if v is not None]


def packs_text(result: ScanResult) -> str:
    return ", ".join(f"{p.id}@{p.version}" for p in result.packs) or "none"
