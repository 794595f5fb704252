"""Fleet inputs for the Scanner: installed-app inventories, network logs and cloud AI inventories, read into
assets whose usages name the device, client, account or project, the user and when (``Usage.host``/``user``/
``first_seen``/``last_seen``).

- :func:`sniff_input` tells, by content, whether a file is an app inventory (osquery app tables, Intune,
  Jamf, Google managed-app exports: :func:`tierguard.apps.sniff`), a network log (Zeek, Squid, Route 53,
  Windows DNS: :func:`tierguard.egress.sniff`) or a cloud AI export (Bedrock, SageMaker, Azure AI Foundry,
  Vertex AI JSON: :func:`tierguard.cloud.sniff`; a directory of them: :func:`tierguard.cloud.sniff_dir`).
  Generic CSV/JSON logs are never guessed: they need a column mapping, so they are not routed here.
- :func:`read_apps_input` / :func:`read_egress_input` read one file; egress host rules are the catalog's API
  endpoints and provider web hosts plus the app catalog's consumer hosts (``chat.deepseek.com`` ...), so an
  API host seen in a DNS log lands on the same ``DeepSeek API`` asset as the code that calls it.

``tierguard scan FILE`` routes such a file here instead of code discovery; ``tierguard host --inventory FILE``
routes it here instead of the CMDB reader; ``--osquery FILE`` is read by both the equipment reader (hardware
tables) and the app reader (app tables); ``tierguard host`` on this machine adds its installed apps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tierguard.model import Asset, Evidence, Skipped

if TYPE_CHECKING:
    from tierguard.apps import AppCatalog
    from tierguard.catalog import Catalog

FleetKind = Literal["apps", "egress", "cloud"]


@dataclass(slots=True)
class FleetOutput:
    assets: list[Asset] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def sniff_input(path: Path) -> FleetKind | None:
    """``apps``, ``egress`` or ``cloud`` when the file's content is a known inventory, log or cloud export
    format (or the directory holds only cloud exports and notes), else None."""
    from tierguard.apps import sniff as sniff_apps
    from tierguard.apps.stream import head_bytes
    from tierguard.cloud import sniff as sniff_cloud
    from tierguard.cloud import sniff_dir
    from tierguard.egress import GENERIC
    from tierguard.egress import sniff as sniff_egress

    if path.is_dir():
        return "cloud" if sniff_dir(path) else None
    if not path.is_file():
        return None
    head, _ = head_bytes(path)
    if not head:
        return None
    if sniff_apps(head, path.name) is not None:
        return "apps"
    if sniff_cloud(head, path.name) is not None:
        return "cloud"
    fmt = sniff_egress(head, path.name)
    return "egress" if fmt is not None and fmt not in GENERIC else None


def read_apps_input(path: Path, apps: AppCatalog, out: FleetOutput, *, local: bool = False) -> None:
    """One app inventory (or, ``local``, the installed apps of the machine whose root is ``path``)."""
    from tierguard.apps import AppOptions, local_apps, read_apps

    opts = AppOptions(display=_display(path))
    if local:
        got = local_apps(path, catalog=apps, options=opts)
    else:
        got = read_apps(path, catalog=apps, options=opts)
    out.assets += got.assets
    out.evidence += got.evidence
    out.skipped += got.skipped
    what = "this host's installed apps" if local else f"{path} ({got.format or 'app inventory'})"
    out.notes.append(
        f"apps: {what}: {got.rows} rows, {got.devices} devices, {len(got.assets)} catalog apps found"
    )
    out.notes += list(got.notes)


def read_egress_input(
    path: Path,
    catalog: Catalog,
    apps: AppCatalog,
    out: FleetOutput,
    progress: Callable[[str, str], None] | None = None,
) -> None:
    """One network log: every usage of a catalog API host, provider web host or consumer-app host."""
    from tierguard.egress import read_egress, rules_from_app_hosts, rules_from_catalog

    rules = rules_from_catalog(catalog) + rules_from_app_hosts(apps.hosts())
    on_bytes = None if progress is None else (lambda n: progress("egress", f"{path.name}: {n >> 20} MiB"))
    got = read_egress(path, rules=rules, catalog=catalog, progress=on_bytes, name=_display(path))
    out.assets += got.assets
    out.evidence += got.evidence
    out.skipped += got.skipped
    comp = f", {got.compression}" if got.compression and got.compression != "none" else ""
    out.notes.append(
        f"egress: {path} ({got.format}{comp}): {got.lines} lines, {got.matched} matched catalog hosts, "
        f"{len(got.assets)} services"
    )
    out.notes += list(got.notes)


def read_cloud_input(path: Path, catalog: Catalog, out: FleetOutput) -> None:
    """One cloud export, or a directory of them (one inventory): each deployed model with its producer and
    the cloud operator's jurisdiction, one usage per deployment."""
    from tierguard.cloud import CloudOptions, read_cloud

    got = read_cloud(path, catalog=catalog, options=CloudOptions(display=_display(path)))
    out.assets += got.assets
    out.evidence += got.evidence
    out.skipped += got.skipped
    formats = ", ".join(f"{k} {v}" for k, v in sorted(got.formats.items())) or "no export read"
    out.notes.append(f"cloud: {path} ({formats}): {got.deployments} deployments")
    out.notes += list(got.notes)


def _display(path: Path) -> str:
    """How usage locations name the input: the path as given when relative, else the file name (evidence ids
    hash locations, so an absolute path would tie them to one machine)."""
    return str(path) if not path.is_absolute() else path.name
