"""Which app inventory a file is, by its content: osquery results (daemon results-log lines or an
``osqueryi --json`` array of an app table), or a CSV export whose header names a known source's columns.
The file name never decides alone; it only breaks ties a header leaves open."""

from __future__ import annotations

import codecs
import csv
import io
import re

from tierguard.formats.compressed import decompress_head

FORMATS = (
    "osquery-results",  # osqueryd results log: one JSON object per line (event, batch or snapshot)
    "osquery-json",  # osqueryi --json: an array of rows of one app table
    "intune-discovered-apps",  # Intune AppInvRawData / AppInvByDevice / DevicesByAppInv / AppInvAggregate
    "intune-all-apps",  # Intune AllAppsList (the tenant's managed apps)
    "jamf-computers",  # Jamf Pro computer inventory export with Applications fields
    "jamf-mobile-devices",  # Jamf Pro mobile device inventory export with Apps fields
    "google-managed-apps",  # Google Workspace / Android Enterprise per-device app report
)

# Columns that only osquery's app tables have (a row of any of them carries at least one)
OSQUERY_APP_KEYS = (
    b'"bundle_identifier"',  # apps
    b'"identifying_number"',  # programs
    b'"uninstall_string"',  # programs
    b'"browser_type"',  # chrome_extensions
    b'"profile_path"',  # chrome_extensions
    b'"update_url"',  # chrome_extensions, safari_extensions
    b'"source_url"',  # firefox_addons
    b'"vscode_edition"',  # vscode_extensions
    b'"publisher_id"',  # vscode_extensions
    b'"package_group"',  # rpm_packages
    b'"maintainer"',  # deb_packages
    b'"summary"',  # python_packages
    b'"homepage"',  # npm_packages
)
_KEY = re.compile(r"[^a-z0-9]")
HEAD = 256 << 10  # decompressed bytes looked at


def norm_header(name: str) -> str:
    """``Application Name``, ``ApplicationName`` and ``application_name`` -> ``applicationname``."""
    return _KEY.sub("", name.strip().strip('"').casefold())


def _text(head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", errors="replace")
    if head.startswith(codecs.BOM_UTF8):
        head = head[3:]
    return head.decode("utf-8", errors="replace")


def csv_header(text: str) -> list[str]:
    """The header row of CSV text (delimiter , ; or tab, the one the first line holds most of)."""
    first = text.split("\n", 1)[0]
    delim = max((",", ";", "\t"), key=first.count)
    try:
        row = next(csv.reader(io.StringIO(first), delimiter=delim), [])
    except csv.Error:
        return []
    return row


def classify_header(header: list[str]) -> str | None:
    """The export a CSV header belongs to, or None."""
    h = {norm_header(c) for c in header}
    if "applicationname" in h and h & {"devicename", "devicecount", "applicationkey", "applicationpublisher"}:
        return "intune-discovered-apps"
    if {"appidentifier", "name", "platform"} <= h and h & {"publisher", "assigned", "status", "type"}:
        return "intune-all-apps"
    if h & {"packagename", "apppackagename"} and h & {"devicename", "deviceid", "serialnumber", "device"}:
        return "google-managed-apps"
    if h & {"applicationtitle", "applicationbundleid"}:
        return "jamf-computers"
    if h & {"appname", "appidentifier", "appversion"} and h & {
        "displayname",
        "mobiledevicename",
        "devicename",
        "serialnumber",
        "udid",
    }:
        return "jamf-mobile-devices"
    return None


def sniff(head: bytes, name: str = "") -> str | None:
    """The format id (one of ``FORMATS``) of an app inventory from its first bytes (compressed or not), or
    None when it is none of them."""
    data = decompress_head(head, HEAD)
    if not data:
        return None
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{"):
        first = stripped.split(b"\n", 1)[0]
        if b'"hostIdentifier"' in first and (
            b'"columns"' in first or b'"snapshot"' in first or b'"diffResults"' in first
        ):
            return "osquery-results"
        return None
    if stripped.startswith(b"["):
        window = stripped[: 64 << 10]
        if any(k in window for k in OSQUERY_APP_KEYS) or (
            b'"identifier"' in window and b'"version"' in window and name.lower().endswith(".json")
        ):
            return "osquery-json"
        return None
    return classify_header(csv_header(_text(data)))
