"""One record parser per log format: a line (bytes) -> :class:`Obs` (the host reached, the client, the user
where the log names one, the time), ``None`` for a line that is not a record of interest (a DNS response, a
comment), or :class:`Malformed` with the reason. Parsers only see lines that hold a catalog literal (and
header lines), so their cost is per match, not per line.

Field names by format (overridable for the named-field formats with ``EgressOptions``):

=================  =================  ======================  ============  =====================
format             host               client                  user          time
=================  =================  ======================  ============  =====================
zeek-dns(-json)    ``query``          ``id.orig_h``           --            ``ts`` (epoch or ISO)
zeek-ssl(-json)    ``server_name``    ``id.orig_h``           --            ``ts``
zeek-http(-json)   ``host``           ``id.orig_h``           ``username``  ``ts``
route53            ``query_name``     ``srcids.instance``,    --            ``query_timestamp``
                                      else ``srcaddr``
squid (native)     URL (7th field)    client (3rd)            user (8th)    time (1st, epoch)
windows-dns        question name      remote IP of a client   --            date and time (local)
                                      query (``Rcv``) or of
                                      the response to it
                                      (``Snd R``), once
csv / json         mapping            mapping                 mapping       mapping
=================  =================  ======================  ============  =====================
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple, Protocol

import msgspec

from tierguard.egress.rules import normalise_host
from tierguard.egress.sniff import ZEEK_JSON, ZEEK_TSV, flat_get, json_record, sniff_delimiter
from tierguard.errors import TargetError

Stamp = float | str | None  # UTC epoch seconds, or a naive ISO string (local time of the source)

_ZEEK_FIELDS: dict[str, tuple[str, str | None]] = {  # kind -> (host field, user field)
    "dns": ("query", None),
    "ssl": ("server_name", None),
    "http": ("host", "username"),
}
_UNSET = ("", "-", "(empty)")
_HOSTLIKE = re.compile(
    r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.[a-z][a-z0-9-]*|\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:.]+"
)
_LABEL_LEN = re.compile(r"\(\d+\)")


class Obs(NamedTuple):
    host: str  # normalised (normalise_host)
    client: str | None
    user: str | None
    ts: Stamp


class Malformed(Exception):
    """A line that should be a record but cannot be read; the message is the (aggregated) reason."""


class MappingError(TargetError):
    """The column mapping does not fit the log (a named column is missing, or holds no host names)."""


class ColumnMap(Protocol):
    @property
    def host_column(self) -> str | None: ...
    @property
    def client_column(self) -> str | None: ...
    @property
    def user_column(self) -> str | None: ...
    @property
    def time_column(self) -> str | None: ...


def text(raw: bytes) -> str:
    return raw.decode("utf-8", "backslashreplace")


def host_like(value: str) -> bool:
    return bool(_HOSTLIKE.fullmatch(normalise_host(value)))


def _value(v: Any) -> str | None:
    if v is None:
        return None
    s = v if isinstance(v, str) else str(v)
    s = s.strip()
    return None if s in _UNSET else s


def epoch(v: float) -> float | None:
    """Seconds from a number that may be seconds, milliseconds or microseconds since 1970."""
    if v != v or v <= 0:
        return None
    while v > 1e11:
        v /= 1000.0
    return v


def parse_time(v: Any) -> Stamp:
    """A time value: epoch seconds (number or numeric text; ms/us scaled) or ISO 8601 text (with a zone: UTC
    epoch; without: naive ISO text). None when not understood."""
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return epoch(float(v))
    s = str(v).strip()
    if not s or s in _UNSET:
        return None
    try:
        return epoch(float(s))
    except ValueError:
        pass
    try:
        dt = datetime.fromisoformat(s.replace(" UTC", "Z"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        return dt.isoformat(timespec="seconds")
    return dt.timestamp()


def iso(ts: Stamp) -> str | None:
    if ts is None or isinstance(ts, str):
        return ts
    try:
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return None


class Parser:
    """Base: ``header_prefix`` marks header lines (handed to :meth:`header` in order, wherever they are);
    ``first_line_header``: line 1 is a header; ``labels``: hosts are written in the Windows label form."""

    header_prefix: bytes | None = None
    first_line_header = False
    labels = False
    name = ""

    def header(self, line: bytes) -> None:  # pragma: no cover - formats without headers never get one
        return None

    def parse(self, line: bytes) -> Obs | None:
        raise NotImplementedError

    def columns(self) -> list[str]:
        """The field names this log has (for error messages); empty when it has none."""
        return []


def _need(columns: list[str], wanted: str | None, what: str, name: str) -> int | None:
    if wanted is None:
        return None
    if wanted not in columns:
        found = ", ".join(columns) if columns else "none"
        raise MappingError(f"{name}: no {what} column {wanted!r}; the columns are: {found}")
    return columns.index(wanted)


class ZeekTsv(Parser):
    header_prefix = b"#"

    def __init__(self, kind: str, mapping: ColumnMap) -> None:
        self.name = f"zeek-{kind}"
        self.kind = kind
        self.map = mapping
        self.sep = b"\t"
        self.fields: list[str] = []
        self._idx: tuple[int, int | None, int | None, int | None] | None = None

    def columns(self) -> list[str]:
        return self.fields

    def header(self, line: bytes) -> None:
        if line.startswith(b"#separator "):
            sep = line[len(b"#separator ") :].strip()
            self.sep = bytes.fromhex(sep[2:].decode("ascii")) if sep.startswith(b"\\x") else sep or b"\t"
        elif line.startswith(b"#fields"):
            self.fields = [text(f) for f in line.split(self.sep)[1:]]
            host_f, user_f = _ZEEK_FIELDS[self.kind]
            m = self.map
            host = _need(self.fields, m.host_column or host_f, "host", self.name)
            client = _need(self.fields, m.client_column or "id.orig_h", "client", self.name)
            user_name = m.user_column or (user_f if user_f in self.fields else None)
            user = _need(self.fields, user_name, "user", self.name)
            when = _need(
                self.fields, m.time_column or ("ts" if "ts" in self.fields else None), "time", self.name
            )
            assert host is not None
            self._idx = (host, client, user, when)

    def parse(self, line: bytes) -> Obs | None:
        if self._idx is None:
            raise Malformed("a record before the #fields header")
        parts = line.split(self.sep)
        if len(parts) != len(self.fields):
            raise Malformed(
                f"a record whose field count differs from the #fields header ({len(self.fields)})"
            )
        hi, ci, ui, ti = self._idx
        host = normalise_host(text(parts[hi]))
        client = _value(text(parts[ci])) if ci is not None else None
        user = _value(text(parts[ui])) if ui is not None else None
        ts = parse_time(text(parts[ti])) if ti is not None else None
        return Obs(host, client, user, ts)


_JSON_DEFAULTS: dict[str, tuple[str, tuple[str, ...], str | None, str]] = {
    # format -> (host key, client keys (first present wins), user key, time key)
    "zeek-dns-json": ("query", ("id.orig_h",), None, "ts"),
    "zeek-ssl-json": ("server_name", ("id.orig_h",), None, "ts"),
    "zeek-http-json": ("host", ("id.orig_h",), "username", "ts"),
    "route53": ("query_name", ("srcids.instance", "srcaddr"), None, "query_timestamp"),
}


def decode_json(line: bytes) -> Any:
    rec = json_record(line)
    try:
        return msgspec.json.decode(rec)
    except msgspec.DecodeError:
        pass
    try:  # invalid UTF-8 inside strings: read with replacement characters
        return msgspec.json.decode(rec.decode("utf-8", "replace"))
    except msgspec.DecodeError:
        raise Malformed("not a JSON object") from None


class JsonLines(Parser):
    def __init__(self, fmt: str, mapping: ColumnMap) -> None:
        self.name = fmt
        d = _JSON_DEFAULTS.get(fmt)
        self.host_key: str | None = mapping.host_column or (d[0] if d else None)
        self.client_keys = (mapping.client_column,) if mapping.client_column else d[1] if d else ()
        self.user_key = mapping.user_column or (d[2] if d else None)
        self.time_key = mapping.time_column or (d[3] if d else None)
        self.strict = d is None  # generic: the mapping must fit the first record
        self.keys: list[str] = []

    def columns(self) -> list[str]:
        return self.keys

    def check(self, obj: Mapping[str, Any]) -> None:
        """Refuse a generic log without a host key, or a mapping naming keys the first record lacks."""
        self.keys = list(obj)
        keys = ", ".join(self.keys)
        if self.host_key is None:
            raise MappingError(
                f"{self.name}: a generic JSON log needs a key mapping: say which key holds the host "
                f"(host_column; also client_column, user_column, time_column). The keys are: {keys}"
            )
        if not self.strict:
            return
        client = self.client_keys[0] if self.client_keys else None
        for key, what in (
            (self.host_key, "host"),
            (client, "client"),
            (self.user_key, "user"),
            (self.time_key, "time"),
        ):
            if key is not None and flat_get(obj, key) is None:
                raise MappingError(f"{self.name}: no {what} key {key!r}; the keys are: {keys}")

    def parse(self, line: bytes) -> Obs | None:
        if not json_record(line):
            return None
        obj = decode_json(line)
        if not isinstance(obj, dict):
            raise Malformed("not a JSON object")
        if self.host_key is None:
            raise MappingError(f"{self.name}: say which key holds the host (host_column)")
        raw_host = flat_get(obj, self.host_key)
        if raw_host is None:
            if self.strict:
                raise Malformed(f"a record without the host key {self.host_key!r}")
            return None
        client = None
        for k in self.client_keys:
            client = _value(flat_get(obj, k))
            if client:
                break
        user = _value(flat_get(obj, self.user_key)) if self.user_key else None
        ts = parse_time(flat_get(obj, self.time_key)) if self.time_key else None
        return Obs(normalise_host(str(raw_host)), client, user, ts)


class Squid(Parser):
    name = "squid"

    def parse(self, line: bytes) -> Obs | None:
        parts = line.split()
        if len(parts) < 7:
            raise Malformed("not a Squid native access.log record (fewer than 7 fields)")
        try:
            ts: Stamp = epoch(float(parts[0]))
        except ValueError:
            raise Malformed("not a Squid native access.log record (no time)") from None
        user = _value(text(parts[7])) if len(parts) > 7 else None
        return Obs(normalise_host(text(parts[6])), _value(text(parts[2])), user, ts)


_WIN = re.compile(
    r"(?P<date>\S+) (?P<time>\d{1,2}:\d{2}:\d{2})(?: (?P<ampm>[AP]M))? [0-9A-Fa-f]+ PACKET\s+[0-9A-Fa-f]+ "
    r"(?:UDP|TCP) (?P<dir>Snd|Rcv) (?P<ip>\S+)\s+(?P<xid>[0-9A-Fa-f]+) (?P<resp>[ R]) (?P<op>\S) "
    r"\[[^\]]*\]\s+(?P<qtype>\S+)\s+(?P<name>\S+)"
)


def windows_time(date: str, clock: str, ampm: str | None) -> Stamp:
    """The debug log's local date and time as naive ISO text: ``M/D/YYYY h:mm:ss AM`` (en-US),
    ``D.M.YYYY``, ``YYYY-MM-DD``, or ``D/M/YYYY`` when the day is over 12; None when ambiguous."""
    fmts: list[str] = []
    if ampm:
        fmts = ["%m/%d/%Y %I:%M:%S %p"]
    elif "." in date:
        fmts = ["%d.%m.%Y %H:%M:%S"]
    elif "-" in date:
        fmts = ["%Y-%m-%d %H:%M:%S"]
    elif "/" in date and date.split("/")[0].isdigit() and int(date.split("/")[0]) > 12:
        fmts = ["%d/%m/%Y %H:%M:%S"]
    value = f"{date} {clock}" + (f" {ampm}" if ampm else "")
    for f in fmts:
        try:
            return datetime.strptime(value, f).isoformat(timespec="seconds")
        except ValueError:
            continue
    return None


class WindowsDns(Parser):
    """A client's query is the ``Rcv`` query from it, or, where the log records outgoing packets only, the
    ``Snd`` response to it; a response to a query already counted is not counted again (the pairs are
    remembered by client, transaction id and name, a bounded number of them). Queries this server sends to
    a forwarder (``Snd``, no ``R``) and the forwarder's answers (``Rcv R``) are not clients' queries."""

    name = "windows-dns"
    labels = True
    REMEMBER = 4096  # open queries remembered (only lines naming a catalog host are parsed at all)

    def __init__(self) -> None:
        self._asked: dict[tuple[str, str, str], None] = {}

    def parse(self, line: bytes) -> Obs | None:
        if b" PACKET " not in line:
            return None  # packet details, the log's preamble: not a query record
        m = _WIN.match(text(line))
        if m is None:
            raise Malformed("a PACKET line in an unknown layout")
        key = (m["ip"], m["xid"].lower(), m["name"].lower())
        if m["dir"] == "Rcv" and m["resp"] == " ":
            if len(self._asked) >= self.REMEMBER:
                del self._asked[next(iter(self._asked))]
            self._asked[key] = None
        elif m["dir"] == "Snd" and m["resp"] == "R":
            if key in self._asked:
                del self._asked[key]
                return None  # the response to a query counted already
        else:
            return None  # to or from a forwarder
        host = _LABEL_LEN.sub(".", m["name"]).strip(".").lower()
        return Obs(host, m["ip"], None, windows_time(m["date"], m["time"], m["ampm"]))


class Csv(Parser):
    name = "csv"
    first_line_header = True

    def __init__(self, mapping: ColumnMap) -> None:
        self.map = mapping
        self.delimiter = ","
        self.cols: list[str] = []
        self._idx: tuple[int, int | None, int | None, int | None] | None = None

    def columns(self) -> list[str]:
        return self.cols

    def header(self, line: bytes) -> None:
        head = text(line).lstrip("\ufeff")
        self.delimiter = sniff_delimiter(head) or ","
        self.cols = [c.strip() for c in next(csv.reader([head], delimiter=self.delimiter), [])]
        m = self.map
        if m.host_column is None:
            raise MappingError(
                "csv: a generic CSV needs a column mapping: say which column holds the host (host_column; "
                f"also client_column, user_column, time_column). The columns are: {', '.join(self.cols)}"
            )
        host = _need(self.cols, m.host_column, "host", "csv")
        assert host is not None
        self._idx = (
            host,
            _need(self.cols, m.client_column, "client", "csv"),
            _need(self.cols, m.user_column, "user", "csv"),
            _need(self.cols, m.time_column, "time", "csv"),
        )

    def parse(self, line: bytes) -> Obs | None:
        if self._idx is None:
            raise Malformed("a row before the header")
        try:
            row = next(csv.reader([text(line)], delimiter=self.delimiter), [])
        except csv.Error:
            raise Malformed("not a CSV row") from None
        hi, ci, ui, ti = self._idx
        if len(row) <= max(i for i in self._idx if i is not None):
            raise Malformed(f"a row with fewer fields than the header ({len(self.cols)})")
        client = _value(row[ci]) if ci is not None else None
        user = _value(row[ui]) if ui is not None else None
        ts = parse_time(row[ti]) if ti is not None else None
        return Obs(normalise_host(row[hi]), client, user, ts)


def make_parser(fmt: str, mapping: ColumnMap) -> Parser:
    if fmt in ZEEK_TSV:
        return ZeekTsv(fmt.split("-", 1)[1], mapping)
    if fmt in ZEEK_JSON or fmt in ("route53", "json"):
        return JsonLines(fmt, mapping)
    if fmt == "squid":
        return Squid()
    if fmt == "windows-dns":
        return WindowsDns()
    if fmt == "csv":
        return Csv(mapping)
    raise TargetError(f"unknown network log format {fmt!r}")
