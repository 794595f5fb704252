"""osquery app tables: osqueryd results logs (event, batch/``diffResults`` and snapshot lines, many hosts per
file by ``hostIdentifier``) and ``osqueryi --json`` arrays. Lines are decoded into a fixed schema (a row is
a flat map of scalars), so JSON nesting is bounded by construction; a line that does not fit is skipped with
the decoder's reason. Tables (https://osquery.io/schema): apps, programs, chrome_extensions,
firefox_addons, safari_extensions, vscode_extensions, homebrew_packages, python_packages, npm_packages,
deb_packages, rpm_packages; a table is recognised by its columns, else by the query name."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath, PureWindowsPath

import msgspec

from tierguard.apps.catalog import Ecosystem
from tierguard.apps.collect import Collector, Item
from tierguard.apps.stream import InputEnd, iter_lines, open_chunks

Scalar = str | int | float | bool | None
Row = dict[str, Scalar]


class Diff(msgspec.Struct):
    added: list[Row] = []
    removed: list[Row] = []


class LogLine(msgspec.Struct):
    """The fields of an osqueryd results-log line that are read (others are skipped by the decoder)."""

    name: str = ""
    hostIdentifier: str = ""  # noqa: N815 (osquery's own field names)
    calendarTime: str = ""  # noqa: N815
    unixTime: int | str | None = None  # noqa: N815
    columns: Row | None = None
    snapshot: list[Row] | None = None
    diffResults: Diff | None = None  # noqa: N815
    action: str = ""
    decorations: Row | None = None


_LINE = msgspec.json.Decoder(LogLine)
_ARRAY = msgspec.json.Decoder(list[Row])
_USER_PATH = re.compile(r"(?:^|[/\\])(?:Users|home)[/\\]([^/\\]+)[/\\]", re.I)
_VSCODE_DIR = re.compile(r"[/\\]([\w.-]+?\.[\w.-]+?)-\d+\.\d+[\w.+-]*[/\\]?$")
_NOT_USERS = {"shared", "public", "default", "all users", "default user"}
_PACKAGE_TABLES: dict[str, Ecosystem] = {
    "homebrew_packages": "homebrew",
    "python_packages": "pypi",
    "npm_packages": "npm",
    "deb_packages": "deb",
    "rpm_packages": "rpm",
}

APP_TABLES = (
    "apps",
    "programs",
    "chrome_extensions",
    "firefox_addons",
    "safari_extensions",
    "vscode_extensions",
    "homebrew_packages",
    "python_packages",
    "npm_packages",
    "deb_packages",
    "rpm_packages",
)


def infer_table(name: str, keys: Mapping[str, object]) -> str:
    """The app table a row comes from: by its columns, else by the query name ('' when neither says)."""
    c = keys.keys()
    if "bundle_identifier" in c or "bundle_executable" in c:
        return "apps"
    if "identifying_number" in c or "uninstall_string" in c or "install_source" in c:
        return "programs"
    if "vscode_edition" in c or "publisher_id" in c or ("uuid" in c and "publisher" in c):
        return "vscode_extensions"
    if "identifier" in c:
        if "browser_type" in c or "profile_path" in c or "persistent" in c or "profile" in c:
            return "chrome_extensions"
        if "creator" in c or "source_url" in c or "visible" in c or "autoupdate" in c:
            return "firefox_addons"
        if "sdk" in c:
            return "safari_extensions"
    if "package_group" in c or ("release" in c and "epoch" in c):
        return "rpm_packages"
    if "maintainer" in c or ("arch" in c and "revision" in c):
        return "deb_packages"
    if "summary" in c and "license" in c:
        return "python_packages"
    if "homepage" in c or "depth" in c:
        return "npm_packages"
    tokens = set(re.split(r"[^a-z0-9_]+", name.lower()))
    for t in APP_TABLES:
        if t in tokens or (len(t) > 4 and t in name.lower()):
            return t
    if "prefix" in c or "/cellar/" in str(keys.get("path", "")).lower():
        return "homebrew_packages"
    return ""


def _s(row: Row, key: str, limit: int = 1000) -> str:
    v = row.get(key)
    if v.__class__ is str:
        return v.strip()[:limit]
    if v is None or isinstance(v, bool):
        return ""
    return str(v).strip()[:limit]


def user_from_path(path: str) -> str | None:
    m = _USER_PATH.search(path)
    if m and m.group(1).lower() not in _NOT_USERS:
        return m.group(1)
    return None


def _vscode_id(row: Row) -> str:
    pub, name = _s(row, "publisher"), _s(row, "name")
    if pub and name and "." not in name:
        return f"{pub}.{name}"
    m = _VSCODE_DIR.search(_s(row, "path"))
    return m.group(1) if m else name


def _item(table: str, row: Row, base: Item) -> Item | None:
    """Fill ``base`` from one row of ``table``; None for a row of a table that is not an app table."""
    it = base
    it.source = table
    path = _s(row, "path") or _s(row, "profile_path")
    if table == "apps":
        it.platform = "macos"
        bid = _s(row, "bundle_identifier")
        it.ids = [("macos", bid), ("ios", bid)]
        it.names = [_s(row, "name"), _s(row, "display_name"), _s(row, "bundle_name")]
        it.version = _s(row, "bundle_short_version") or _s(row, "bundle_version")
    elif table == "programs":
        it.platform = "windows"
        it.names = [_s(row, "name")]
        it.publisher = _s(row, "publisher")
        it.version = _s(row, "version")
        path = _s(row, "install_location") or _s(row, "install_source") or _s(row, "uninstall_string")
    elif table == "chrome_extensions":
        it.platform = "extension"
        edge = _s(row, "browser_type").startswith("edge")
        ident, ref = _s(row, "identifier"), _s(row, "referenced_identifier")
        it.ids = [("edge", ident), ("edge", ref)] if edge else []
        it.ids += [("chrome", ident), ("chrome", ref)]
        it.names = [_s(row, "name")]
    elif table == "firefox_addons":
        it.platform = "extension"
        it.ids = [("firefox", _s(row, "identifier"))]
        it.names = [_s(row, "name")]
    elif table == "safari_extensions":
        it.platform = "extension"
        it.ids = [("safari", _s(row, "identifier"))]
        it.names = [_s(row, "name")]
    elif table == "vscode_extensions":
        it.platform = "extension"
        it.ids = [("vscode", _vscode_id(row))]
        it.names = [_s(row, "name")]
    elif table in _PACKAGE_TABLES:
        it.packages = [(_PACKAGE_TABLES[table], _s(row, "name"))]
    else:
        return None
    if table not in ("programs",):
        it.version = it.version or _s(row, "version")
    it.user = user_from_path(path)
    return it


def iso_time(unix: int | str | None, calendar: str) -> str | None:
    """An osquery line's time as ISO 8601 UTC (``unixTime`` first, else ``calendarTime``)."""
    try:
        if unix not in (None, ""):
            t = int(unix)
            if 0 < t < 1 << 34:
                return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (TypeError, ValueError, OverflowError, OSError):
        pass
    if calendar:
        try:
            dt = datetime.strptime(calendar.replace(" UTC", ""), "%a %b %d %H:%M:%S %Y")
        except ValueError:
            return None
        return dt.replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return None


def _deco_user(line: LogLine) -> str | None:
    d = line.decorations or {}
    for k in ("username", "user", "console_user", "logged_in_user", "email"):
        v = d.get(k)
        if isinstance(v, str) and v.strip():
            return v.strip()
    return None


class Reader:
    """Feeds osquery rows of one file to a collector."""

    def __init__(self, col: Collector) -> None:
        self.col = col
        self.other: dict[str, int] = {}

    def row(
        self,
        qname: str,
        row: Row,
        line: int,
        host: str | None,
        user: str | None,
        seen: str | None,
        table: str | None = None,
    ) -> None:
        """One row; ``table`` when the caller knows it (the rows of one snapshot line share one query)."""
        if table is None:
            table = infer_table(qname, row)
        base = Item(line=line, excerpt="", source=table, host=host, owner=user, seen=seen)
        it = _item(table, row, base) if table else None
        if it is None:
            label = table or (qname[:60] or "unrecognised")
            self.other[label] = self.other.get(label, 0) + 1
            self.col.device(host, user, line)
            return
        it.excerpt = lambda: _excerpt(table, row)
        self.col.extra[f"rows:{table}"] += 1
        self.col.add(it)

    def log_line(self, raw: bytes, n: int) -> None:
        col = self.col
        try:
            obj = _LINE.decode(raw)
        except (msgspec.DecodeError, RecursionError) as exc:
            col.skip("malformed-json", n, f"not an osquery results line: {exc}")
            return
        host = obj.hostIdentifier.strip()[:255]
        if not host:
            col.skip("missing-host", n, "no hostIdentifier")
            return
        user, seen = _deco_user(obj), iso_time(obj.unixTime, obj.calendarTime)
        if obj.snapshot is not None:
            rows: list[Row] = obj.snapshot
        elif obj.diffResults is not None:
            rows = obj.diffResults.added
            col.extra["rows-removed"] += len(obj.diffResults.removed)
        elif obj.columns is not None:
            if obj.action == "removed":
                col.extra["rows-removed"] += 1
                col.device(host, user, n)
                return
            rows = [obj.columns]
        else:
            col.skip("malformed-json", n, "no snapshot, diffResults or columns")
            return
        col.device(host, user, n)
        table = infer_table(obj.name, rows[0]) if rows else ""
        for r in rows:
            self.row(obj.name, r, n, host, user, seen, table if len(r) == len(rows[0]) else None)

    def finish_notes(self) -> None:
        if self.other:
            parts = ", ".join(f"{k}: {v}" for k, v in sorted(self.other.items()))
            self.col.notes.append(
                f"{sum(self.other.values())} rows are not from an app table ({parts}); equipment tables are "
                "read by the equipment stage (tierguard host --osquery)"
            )


_EXCERPT_KEYS = (
    "name",
    "display_name",
    "bundle_identifier",
    "identifier",
    "publisher",
    "version",
    "bundle_short_version",
    "browser_type",
    "path",
)


def _excerpt(table: str, row: Row) -> str:
    parts = [f"{k}={_s(row, k, 200)}" for k in _EXCERPT_KEYS if _s(row, k)]
    return f"{table}: " + " ".join(parts)


def read_log(path: Path, col: Collector, max_line: int, max_bytes: int) -> None:
    """An osqueryd results log (JSON lines), streamed."""
    reader = Reader(col)
    end = InputEnd()
    for n, raw in _lines(path, max_line, max_bytes, end):
        if raw is None:
            col.skip("line-too-long", n, f"line longer than {max_line} bytes")
            continue
        if raw.strip():
            reader.log_line(raw, n)
    _ended(col, end)
    reader.finish_notes()


def read_array(path: Path, col: Collector, host: str, max_json: int, max_bytes: int) -> None:
    """An ``osqueryi --json`` array: the rows of one host, read whole up to ``max_json`` bytes."""
    end = InputEnd()
    buf = bytearray()
    for chunk in open_chunks(path, min(max_json + 1, max_bytes), end):
        buf += chunk
    if len(buf) > max_json:
        col.skip("too-large", None, f"JSON array larger than {max_json} bytes (max_json_bytes)")
        return
    _ended(col, end)
    if end.reason:
        return  # a cut array is no array
    try:
        rows = _ARRAY.decode(bytes(buf))
    except (msgspec.DecodeError, RecursionError) as exc:
        col.skip("malformed-json", None, f"not an osqueryi --json array of flat rows: {exc}")
        return
    reader = Reader(col)
    col.device(host, None, 1)
    for i, r in enumerate(rows, 1):
        reader.row("", r, i, host, None, None)
    reader.finish_notes()


def _lines(path: Path, cap: int, max_bytes: int, end: InputEnd) -> Iterator[tuple[int, bytes | None]]:
    return iter_lines(open_chunks(path, max_bytes, end), cap, end)


def _ended(col: Collector, end: InputEnd) -> None:
    if end.reason:
        col.skip(end.reason, None, end.detail)


def display_host(path: Path) -> str:
    name = PureWindowsPath(path.name).name if "\\" in path.name else PurePosixPath(path.name).name
    for suffix in (".gz", ".zst", ".json", ".log"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name or "localhost"
