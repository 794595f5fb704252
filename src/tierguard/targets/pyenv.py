"""Python environments: map a file to the distribution that installed or ships it.

Works on any listing: a virtualenv or ``site-packages`` folder on disk (``*.dist-info/RECORD`` lists the
files each installed distribution owns, relative to the folder holding the ``.dist-info`` directory), and
the members of every wheel or sdist the resolver expanded (:mod:`tierguard.targets.archive`), at any depth:
a file is owned only by a distribution in the same container (``FileRef.container``).
RECORD and METADATA reads are bounded; a broken RECORD is a Skipped entry, never a crash.
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
from dataclasses import dataclass, field

from tierguard.model import Skipped
from tierguard.targets.interface import FileRef, Resolver

MAX_RECORD = 4 * 1024 * 1024
MAX_METADATA = 16 * 1024
_DIST_INFO = re.compile(
    r"^(?:(?P<base>.*)/)?(?P<dir>[^/]+)\.(?:dist-info|egg-info)/(?P<file>RECORD|PKG-INFO|METADATA)$"
)
_SDIST_TOP = re.compile(r"^(?P<top>[^/]+)/PKG-INFO$")


def normalize_dist(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(slots=True)
class DistIndex:
    """Owner lookup: logical path (POSIX, relative to the target or archive root) -> ``pypi:name==ver``."""

    owners: dict[tuple[str, str], str] = field(default_factory=dict)  # (container, path) -> owner
    dists: dict[str, str] = field(default_factory=dict)  # dist-info directory address -> pypi:name==version
    roots: dict[tuple[str, str], str] = field(default_factory=dict)  # (container, sdist top dir) -> owner
    skipped: list[Skipped] = field(default_factory=list)

    def owner(self, logical_path: str, container: str | None = None) -> str | None:
        """The distribution owning ``logical_path`` inside ``container`` (None: the target's own files)."""
        c = container or ""
        got = self.owners.get((c, logical_path))
        if got is not None:
            return got
        for (rc, root), dist in self.roots.items():
            if rc == c and logical_path.startswith(root + "/"):
                return dist
        return None


def _split_name_version(dirname: str) -> tuple[str, str]:
    name, _, version = dirname.partition("-")
    return name, version


def _metadata(resolver: Resolver, ref: FileRef) -> tuple[str, str]:
    try:
        head = resolver.read_bytes(ref, min(ref.size, MAX_METADATA)).decode("utf-8", "replace")
    except OSError:
        return "", ""
    name = version = ""
    for line in head.splitlines():
        if not line.strip():
            break
        if line.startswith("Name:"):
            name = line[5:].strip()
        elif line.startswith("Version:"):
            version = line[8:].strip()
    return name, version


def build_index(resolver: Resolver, refs: list[FileRef] | None = None) -> DistIndex:
    """Read every ``*.dist-info/RECORD`` (and METADATA for the exact name) among ``refs``."""
    idx = DistIndex()
    refs = list(resolver.files()) if refs is None else refs
    groups: dict[tuple[str, str, str], dict[str, FileRef]] = {}
    for ref in refs:
        top = _SDIST_TOP.match(ref.logical_path)
        if top is not None and ref.member is not None:
            # sdist: "<name>-<version>/PKG-INFO"; everything under that directory belongs to it
            name, version = _metadata(resolver, ref)
            if name:
                idx.roots[(ref.container or "", top.group("top"))] = f"pypi:{normalize_dist(name)}=={version}"
            continue
        m = _DIST_INFO.match(ref.logical_path)
        if m is None:
            continue
        key = (ref.container or "", m.group("base") or "", m.group("dir"))
        groups.setdefault(key, {})[m.group("file")] = ref
    for (container, base, dirname), files in sorted(groups.items()):
        meta = files.get("METADATA") or files.get("PKG-INFO")
        name, version = _metadata(resolver, meta) if meta is not None else ("", "")
        if not name:
            name, version = _split_name_version(dirname)
        owner = f"pypi:{normalize_dist(name)}=={version}" if version else f"pypi:{normalize_dist(name)}"
        info_dir = posixpath.join(base, dirname) if base else dirname
        idx.dists[f"{container}!{info_dir}" if container else info_dir] = owner
        rec = files.get("RECORD")
        if rec is None:
            continue
        if rec.size > MAX_RECORD:
            idx.skipped.append(Skipped(path=rec.display, reason="too-large", detail="RECORD over 4 MiB"))
            continue
        try:
            text = resolver.read_bytes(rec, rec.size).decode("utf-8", "replace")
        except OSError as exc:
            idx.skipped.append(Skipped(path=rec.display, reason="unreadable", detail=str(exc)[:200]))
            continue
        try:
            rows = list(csv.reader(io.StringIO(text)))
        except csv.Error as exc:
            idx.skipped.append(Skipped(path=rec.display, reason="malformed", detail=str(exc)[:200]))
            continue
        for row in rows:
            if not row or not row[0]:
                continue
            p = posixpath.normpath(posixpath.join(base, row[0])) if base else posixpath.normpath(row[0])
            idx.owners[(container, p)] = owner
    return idx
