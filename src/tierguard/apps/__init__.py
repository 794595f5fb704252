"""Apps: installed AI apps (and the non-AI PRC apps the device-ban instruments name) from real inventories,
matched against a sourced app catalog.

Interface:

- ``load_app_catalog(path=None, *, main=None) -> AppCatalog``: the pydantic-validated
  ``apps/data/apps.yaml`` (every identifier with its sources and ``verify`` where the source is secondary).
  ``AppCatalog.hosts() -> list[AppHost(host, app_id, service, operator, jurisdiction, verify)]`` gives the
  web/app hosts of every app to the egress matcher; ``AppCatalog.by_id / by_package / by_name`` match one
  identifier.
- ``sniff(head: bytes, name: str = "") -> str | None``: the format id of an app inventory by content (plain,
  gzip or zstd): ``osquery-results`` (osqueryd results log), ``osquery-json`` (``osqueryi --json``),
  ``intune-discovered-apps``, ``intune-all-apps``, ``jamf-computers``, ``jamf-mobile-devices``,
  ``google-managed-apps``; None for anything else.
- ``read_apps(path, *, catalog=None, options=None) -> AppOutput``: stream one inventory (format by content, or
  a CSV with ``AppOptions.columns``) into one ``Asset`` (kind ``ai-app``, ``<name> (app)``) per catalog app
  found, one ``Usage`` (use mode ``consumer-app``, strength A) per device and installed item with host, user,
  count, first/last seen, and one ``Evidence`` (detector ``apps``, kind ``installed-app``) per usage; skipped
  rows with file:line and a reason; notes; device and row counts. A file that cannot be opened, is no known
  inventory, or is a CSV export without a required column raises ``TargetError``; everything else is a
  counted Skipped, never a crash.
- ``local_apps(root=Path("/"), *, catalog=None, options=None) -> AppOutput``: this machine's installed apps
  readable without root (dpkg status, flatpak and snap installs, ``*.desktop`` files, macOS ``*.app`` bundles,
  per-user Chrome/Chromium/Edge/Brave/Firefox extension directories, VS Code extensions).

Nothing read is executed, imported or rendered; every read is bounded (``AppOptions``). Columns and sources of
every format: docs/apps.md.
"""

from __future__ import annotations

import socket
from pathlib import Path

from tierguard.apps.catalog import AppCatalog, AppHost, load_app_catalog
from tierguard.apps.collect import Collector
from tierguard.apps.local import Walker
from tierguard.apps.mdm import SPECS, generic_spec, read_csv
from tierguard.apps.osquery import display_host, read_array, read_log
from tierguard.apps.sniff import FORMATS, sniff
from tierguard.apps.stream import head_bytes
from tierguard.apps.types import AppOptions, AppOutput
from tierguard.errors import TargetError

__all__ = [
    "FORMATS",
    "AppCatalog",
    "AppHost",
    "AppOptions",
    "AppOutput",
    "load_app_catalog",
    "local_apps",
    "read_apps",
    "sniff",
]


def read_apps(
    path: Path, *, catalog: AppCatalog | None = None, options: AppOptions | None = None
) -> AppOutput:
    """Read one app inventory file (see the module docstring)."""
    opts = options or AppOptions()
    display = opts.display or path.name
    if not path.is_file():
        raise TargetError(f"{path}: not a file")
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise TargetError(f"{path}: cannot open: {exc}") from exc
    cat = catalog or load_app_catalog()
    if opts.columns:
        col = Collector(cat, opts, display, "csv-mapped")
        read_csv(path, col, generic_spec(dict(opts.columns)), display, mapped=True)
        return col.finish()
    head, end = head_bytes(path)
    fmt = sniff(head, path.name)
    if fmt is None and not head and end.reason:
        # a compressed file cut or corrupt before its first lines: nothing to read, and it must show
        col = Collector(cat, opts, display, "unreadable")
        col.skip(end.reason, None, end.detail)
        return col.finish()
    if fmt is None:
        raise TargetError(
            f"{display}: not an app inventory tierguard reads (osquery results or osqueryi --json of an app "
            "table, an Intune, Jamf Pro or Google app export, or a CSV with a column mapping)"
        )
    col = Collector(cat, opts, display, fmt)
    if fmt == "osquery-results":
        read_log(path, col, opts.max_line_bytes, opts.max_bytes)
    elif fmt == "osquery-json":
        read_array(path, col, opts.host or display_host(path), opts.max_json_bytes, opts.max_bytes)
    else:
        read_csv(path, col, SPECS[fmt], display, mapped=False)
    return col.finish()


def local_apps(
    root: Path = Path("/"), *, catalog: AppCatalog | None = None, options: AppOptions | None = None
) -> AppOutput:
    """This machine's installed apps (see the module docstring); the device is ``options.host`` or this
    machine's host name."""
    opts = options or AppOptions()
    host = opts.host or (socket.gethostname() if root == Path("/") else root.name or "localhost")
    col = Collector(catalog or load_app_catalog(), opts, opts.display or "local", "local")
    Walker(root, col, host).run()
    return col.finish()
