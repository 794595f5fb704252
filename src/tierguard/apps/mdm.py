"""MDM app exports (CSV): Microsoft Intune discovered apps (AppInvRawData, AppInvByDevice, DevicesByAppInv,
AppInvAggregate) and the tenant app list (AllAppsList), Jamf Pro computer and mobile-device inventory
exports, Google Workspace / Android Enterprise per-device app reports, and any CSV with a column mapping
given in ``AppOptions.columns``. Columns are found by normalised header name (``Device name``,
``DeviceName`` and ``device_name`` are one); their real names and sources are listed in docs/apps.md.

A header without a required column raises ``TargetError`` naming it; a row without a required value, a row
the CSV parser rejects and a line over the length cap are skipped with file:line and a reason."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tierguard.apps.catalog import IdKind, Platform
from tierguard.apps.collect import Collector, Item
from tierguard.apps.sniff import norm_header
from tierguard.apps.stream import InputEnd, iter_lines, open_chunks
from tierguard.errors import TargetError


@dataclass(frozen=True, slots=True)
class Spec:
    """Where one export keeps each field: candidate (normalised) header names, the first present wins."""

    label: str
    device: tuple[str, ...] = ()
    user: tuple[str, ...] = ()
    app: tuple[str, ...] = ()
    ident: tuple[str, ...] = ()
    publisher: tuple[str, ...] = ()
    platform: tuple[str, ...] = ()
    version: tuple[str, ...] = ()
    count: tuple[str, ...] = ()  # an aggregate's device count (no device column)
    default_platform: Platform | None = None
    needs_device: bool = True


SPECS: dict[str, Spec] = {
    "intune-discovered-apps": Spec(
        "Intune discovered apps",
        device=("devicename",),
        user=("emailaddress", "userprincipalname", "upn", "username"),
        app=("applicationname",),
        ident=("applicationid", "bundleid", "packagename"),
        publisher=("applicationpublisher", "publisher"),
        platform=("platform",),
        version=("applicationversion", "applicationshortversion"),
        count=("devicecount",),
    ),
    "intune-all-apps": Spec(
        "Intune all apps list",
        app=("name", "displayname"),
        ident=("appidentifier",),
        publisher=("publisher",),
        platform=("platform",),
        version=("version",),
        needs_device=False,
    ),
    "jamf-computers": Spec(
        "Jamf Pro computer inventory",
        device=("computername",),
        user=("emailaddress", "username", "fullname", "realname"),
        app=("applicationtitle", "applicationname"),
        ident=("applicationbundleid", "bundleid", "bundleidentifier"),
        version=("applicationversion",),
        default_platform="macos",
    ),
    "jamf-mobile-devices": Spec(
        "Jamf Pro mobile device inventory",
        device=("displayname", "mobiledevicename", "devicename", "serialnumber"),
        user=("emailaddress", "username", "fullname", "realname"),
        app=("appname", "applicationname"),
        ident=("appidentifier", "bundleidentifier", "identifier"),
        version=("appversion", "applicationversion"),
        default_platform="ios",
    ),
    "google-managed-apps": Spec(
        "Google / Android Enterprise app report",
        device=("devicename", "device", "deviceid", "serialnumber"),
        user=("useremail", "email", "user", "username"),
        app=("appname", "applicationname"),
        ident=("packagename", "apppackagename", "appid"),
        version=("versionname", "appversion", "version"),
        default_platform="android",
    ),
}

GENERIC_FIELDS = ("device", "app", "user", "id", "publisher", "platform", "version")


def generic_spec(columns: dict[str, str]) -> Spec:
    unknown = sorted(set(columns) - set(GENERIC_FIELDS))
    if unknown:
        raise TargetError(
            f"column mapping: unknown field(s) {', '.join(unknown)} (known: {', '.join(GENERIC_FIELDS)})"
        )
    if "device" not in columns or not ({"app", "id"} & set(columns)):
        raise TargetError("column mapping: needs 'device' and 'app' or 'id'")

    def col(k: str) -> tuple[str, ...]:
        return (norm_header(columns[k]),) if k in columns else ()

    return Spec(
        "CSV with a column mapping",
        device=col("device"),
        user=col("user"),
        app=col("app"),
        ident=col("id"),
        publisher=col("publisher"),
        platform=col("platform"),
        version=col("version"),
    )


def _platform(value: str, default: Platform | None) -> Platform | None:
    v = value.casefold()
    if "android" in v:
        return "android"
    if "ios" in v or "ipad" in v or "iphone" in v:
        return "ios"
    if "mac" in v or "osx" in v:
        return "macos"
    if "windows" in v or v.startswith("win"):
        return "windows"
    if "linux" in v:
        return "linux"
    return default


_ID_KINDS: dict[Platform | None, tuple[IdKind, ...]] = {
    "android": ("android",),
    "ios": ("ios",),
    "macos": ("macos", "ios"),
    None: ("android", "ios", "macos"),
}


def _looks_like_id(text: str) -> bool:
    return "." in text and " " not in text and 3 < len(text) < 200


class Columns:
    """Header positions of a spec's fields in one file."""

    def __init__(self, spec: Spec, header: list[str], display: str, mapped: bool) -> None:
        norm = [norm_header(h) for h in header]
        self.spec = spec
        self.width = len(header)

        def find(cands: tuple[str, ...]) -> int | None:
            for c in cands:
                if c in norm:
                    return norm.index(c)
            return None

        self.device, self.user, self.app = find(spec.device), find(spec.user), find(spec.app)
        self.ident, self.publisher = find(spec.ident), find(spec.publisher)
        self.platform, self.version, self.count = find(spec.platform), find(spec.version), find(spec.count)
        missing = []
        if mapped:
            fields = (
                spec.device,
                spec.user,
                spec.app,
                spec.ident,
                spec.publisher,
                spec.platform,
                spec.version,
            )
            missing += [cands[0] for cands in fields if cands and find(cands) is None]
        else:
            if self.app is None and self.ident is None:
                missing.append(" or ".join(spec.app + spec.ident))
            if spec.needs_device and self.device is None and self.count is None:
                missing.append(" or ".join(spec.device + spec.count))
        if missing:
            raise TargetError(
                f"{display}: {spec.label} export without the column(s) {'; '.join(missing)} "
                f"(header: {', '.join(h[:40] for h in header[:30])})"
            )


def _cell(row: list[str], i: int | None) -> str:
    if i is None or i >= len(row):
        return ""
    return row[i].strip()


def _decode(raw: bytes, n: int, col: Collector, fallback: list[int]) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        fallback.append(n)
        return raw.decode("cp1252", errors="replace")


def _text_lines(path: Path, col: Collector, where: list[int], fallback: list[int]) -> Iterator[str]:
    opts = col.opts
    end = InputEnd()
    for n, raw in iter_lines(open_chunks(path, opts.max_bytes, end), opts.max_line_bytes, end):
        where[0] = n
        if raw is None:
            col.skip("line-too-long", n, f"line longer than {opts.max_line_bytes} bytes")
            continue
        yield _decode(raw, n, col, fallback) + "\n"
    if end.reason:
        col.skip(end.reason, None, end.detail)


def read_csv(path: Path, col: Collector, spec: Spec | None, display: str, mapped: bool) -> None:
    """Read one CSV export; ``spec`` None: classify by header (the caller sniffed it already)."""
    where, fallback = [0], []  # type: ignore[var-annotated]
    lines = _text_lines(path, col, where, fallback)
    header_line = next((ln for ln in lines if ln.strip()), "")
    if not header_line:
        col.skip("empty", None, "no header row")
        return
    delim = max((",", ";", "\t"), key=header_line.count)
    header = next(csv.reader([header_line], delimiter=delim), [])
    if spec is None:
        from tierguard.apps.sniff import classify_header

        fmt = classify_header(header)
        if fmt is None:
            raise TargetError(f"{display}: not a known app export (header: {', '.join(header[:20])})")
        spec = SPECS[fmt]
    cols = Columns(spec, header, display, mapped)
    reader = csv.reader(lines, delimiter=delim)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            col.skip("malformed-row", where[0], f"CSV: {exc}")
            continue
        if not any(c.strip() for c in row):
            continue
        _row(col, cols, row, where[0], delim)
    if fallback:
        shown = ", ".join(str(n) for n in fallback[:5])
        col.notes.append(
            f"{len(fallback)} line(s) were not UTF-8 and were read as Windows-1252 (lines {shown})"
        )


def _row(col: Collector, cols: Columns, row: list[str], n: int, delim: str) -> None:
    spec = cols.spec
    device, app, ident = _cell(row, cols.device), _cell(row, cols.app), _cell(row, cols.ident)
    count_text = _cell(row, cols.count)
    excerpt = delim.join(row)
    if not app and not ident:
        col.rows += 1
        col.skip("missing-value", n, f"{spec.label}: row names no app ({len(row)} of {cols.width} cells)")
        return
    count = 1
    if not device:
        if count_text.isdigit():
            count = int(count_text)
        elif spec.needs_device:
            col.rows += 1
            col.skip(
                "missing-value", n, f"{spec.label}: row names no device ({len(row)} of {cols.width} cells)"
            )
            return
    platform = _platform(_cell(row, cols.platform), spec.default_platform)
    kinds = _ID_KINDS.get(platform, ("android", "ios", "macos"))
    ids: list[tuple[IdKind, str]] = [(k, ident) for k in kinds if ident]
    if _looks_like_id(app):
        ids += [(k, app) for k in kinds]
    col.add(
        Item(
            line=n,
            excerpt=excerpt,
            source=spec.label,
            host=device or None,
            owner=_cell(row, cols.user) or None,
            platform=platform,
            ids=ids,
            names=[app] if app else [],
            publisher=_cell(row, cols.publisher),
            version=_cell(row, cols.version),
            count=count,
        )
    )
