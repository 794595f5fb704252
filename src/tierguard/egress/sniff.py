"""Which network log a file is, by content (its first bytes, decompressed when gzip/zstd).

Formats (the names :func:`sniff` returns):

- ``zeek-dns``, ``zeek-ssl``, ``zeek-http``: Zeek TSV logs (``#separator`` / ``#fields`` header), told apart
  by ``#path`` or else by their fields (``query``; ``server_name``; ``host`` with ``uri``).
- ``zeek-dns-json``, ``zeek-ssl-json``, ``zeek-http-json``: Zeek JSON lines (``id.orig_h`` with ``query``,
  ``server_name`` or ``host``/``uri``; flat or nested ``id`` keys).
- ``squid``: Squid ``access.log`` in its native format (``time elapsed client code/status bytes method URL
  user hierarchy type``).
- ``route53``: AWS Route 53 Resolver query logs (JSON lines with ``query_name`` and ``srcaddr``/``vpc_id``).
- ``windows-dns``: Windows Server DNS debug logs (text; ``PACKET`` lines, question names written as
  ``(3)api(8)deepseek(3)com(0)``).
- ``csv``, ``json``: a generic CSV (``,``, ``;``, tab or ``|``, header row) or JSON lines (or a
  one-object-per-line array): read only with a column mapping (``EgressOptions.host_column``). Claimed
  only when the file name has a data-file suffix (``.csv .tsv .txt .log .json .jsonl .ndjson``, also under
  ``.gz``/``.zst``), so an arbitrary file with commas is not taken for a log.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from typing import Any

import msgspec

from tierguard.formats.compressed import decompress_head

HEAD = 64 * 1024  # decompressed bytes sniff looks at

ZEEK_TSV = ("zeek-dns", "zeek-ssl", "zeek-http")
ZEEK_JSON = ("zeek-dns-json", "zeek-ssl-json", "zeek-http-json")
GENERIC = ("csv", "json")
FORMATS = (*ZEEK_TSV, *ZEEK_JSON, "squid", "route53", "windows-dns", *GENERIC)

SQUID_LINE = re.compile(rb"^\d{9,11}\.\d{3}\s+-?\d+\s+\S+\s+[A-Z_]+/\d{3}\s+\d+\s+\S+\s+\S+")
WINDOWS_PACKET = re.compile(
    rb"^\S+ \S+(?: [AP]M)? [0-9A-Fa-f]+ PACKET\s+[0-9A-Fa-f]+ (?:UDP|TCP) (?:Snd|Rcv) \S+", re.MULTILINE
)
_DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".log", ".json", ".jsonl", ".ndjson")
DELIMITERS = ",;\t|"


def _lines(text: bytes, n: int) -> list[bytes]:
    out = []
    for raw in text.split(b"\n"):
        line = raw.rstrip(b"\r")
        if line.strip():
            out.append(line)
        if len(out) >= n:
            break
    return out


def zeek_kind(path: str, fields: list[str]) -> str | None:
    """``dns``, ``ssl`` or ``http`` for a Zeek log's ``#path`` (or its fields); None for other logs."""
    for kind in ("dns", "ssl", "http"):
        if path == kind:
            return kind
    if path:
        return None
    f = set(fields)
    if "query" in f:
        return "dns"
    if "server_name" in f:
        return "ssl"
    if "host" in f and "uri" in f:
        return "http"
    return None


def _zeek_tsv(lines: list[bytes]) -> str | None:
    path, fields = "", []
    for line in lines:
        if not line.startswith(b"#"):
            break
        parts = line.decode("utf-8", "replace").split("\t")
        if parts[0] == "#path" and len(parts) > 1:
            path = parts[1]
        elif parts[0] == "#fields":
            fields = parts[1:]
    kind = zeek_kind(path, fields) if fields else None
    return f"zeek-{kind}" if kind else None


def flat_get(obj: Mapping[str, Any], key: str) -> Any:
    """``obj[key]``, or for a dotted key the nested value (``id.orig_h`` -> ``obj["id"]["orig_h"]``)."""
    if key in obj:
        return obj[key]
    cur: Any = obj
    for part in key.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return None
        cur = cur[part]
    return cur


def json_kind(obj: Mapping[str, Any]) -> str:
    """The JSON-lines format of one record: a Zeek log, a Route 53 query log, else generic ``json``."""
    if flat_get(obj, "id.orig_h") is not None:
        if "query" in obj:
            return "zeek-dns-json"
        if "server_name" in obj:
            return "zeek-ssl-json"
        if "host" in obj and ("uri" in obj or "method" in obj):
            return "zeek-http-json"
    if "query_name" in obj and ("srcaddr" in obj or "vpc_id" in obj):
        return "route53"
    return "json"


def json_record(line: bytes) -> bytes:
    """A JSON-lines record, also from a one-object-per-line array (``[{...},`` / ``{...},`` / ``{...}]``)."""
    s = line.strip()
    if s.startswith(b"["):
        s = s[1:].lstrip()
    if s.endswith(b","):
        s = s[:-1].rstrip()
    if s.endswith(b"]") and not s.startswith(b"["):
        s = s[:-1].rstrip()
    return s


def _json(lines: list[bytes]) -> str | None:
    for line in lines[:5]:
        rec = json_record(line)
        if not rec:
            continue
        try:
            obj = msgspec.json.decode(rec.decode("utf-8", "replace"))
        except msgspec.DecodeError:
            return None
        return json_kind(obj) if isinstance(obj, dict) else None
    return None


def _generic_name(name: str) -> bool:
    low = name.lower()
    for comp in (".gz", ".zst", ".zstd"):
        if low.endswith(comp):
            low = low[: -len(comp)]
    return low.endswith(_DATA_SUFFIXES)


def sniff_delimiter(header: str) -> str | None:
    """The delimiter of a CSV header line: the most frequent of ``, ; tab |`` (None when none occurs)."""
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else None


def _csv(lines: list[bytes]) -> str | None:
    if not lines or lines[0].startswith(b"#"):
        return None
    header = lines[0].decode("utf-8", "replace").lstrip("\ufeff")
    delim = sniff_delimiter(header)
    if delim is None:
        return None
    cols = next(csv.reader([header], delimiter=delim))
    if len(cols) < 2 or any(not c.strip() for c in cols):
        return None
    return "csv"


def sniff(head: bytes, name: str) -> str | None:
    """The log format of a file from its first bytes (plain, gzip or zstd), or None when it is not one of
    :data:`FORMATS` (see the module docstring). ``name`` only gates the generic formats."""
    text = decompress_head(head, HEAD)
    if text.startswith(b"\xef\xbb\xbf"):
        text = text[3:]
    elif text.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = text.decode("utf-16", "replace").encode("utf-8", "replace")
    lines = _lines(text, 40)
    if not lines:
        return None
    first = lines[0]
    if first.startswith(b"#separator") or first.startswith(b"#fields"):
        return _zeek_tsv(lines)
    if first.lstrip().startswith((b"{", b"[")):
        kind = _json(lines)
        if kind == "json" and not _generic_name(name):
            return None
        return kind
    if any(SQUID_LINE.match(x) for x in lines[:5]):
        return "squid"
    if b"DNS Server log file creation at" in text or b"Message logging key" in text:
        return "windows-dns"
    if WINDOWS_PACKET.search(text):
        return "windows-dns"
    if _generic_name(name):
        return _csv(lines)
    return None
