"""Open a target path as a Resolver: a single file, a directory, a git working tree, or a wheel/sdist
archive (whose members are then scanned like files, without extracting anything to disk)."""

from __future__ import annotations

from pathlib import Path

from tierguard.errors import TargetError
from tierguard.targets.archive import open_archive
from tierguard.targets.directory import DirectoryResolver
from tierguard.targets.interface import Resolver


def open_target(path: Path, *, include_ignored: bool = False) -> Resolver:
    """A Resolver over ``path``.

    A directory (git working tree or not) honours ``.gitignore`` files unless ``include_ignored``; a file is
    a one-file target. Raises :class:`TargetError` when the path does not exist or is neither.
    """
    p = Path(path)
    if not p.exists() and not p.is_symlink():
        raise TargetError(f"target does not exist: {p}")
    if p.is_symlink() and not p.exists():
        raise TargetError(f"target is a broken symlink: {p}")
    if p.is_file() and p.name.lower().endswith(ARCHIVE_SUFFIXES):
        return open_archive(p)
    return DirectoryResolver(p, include_ignored=include_ignored)


ARCHIVE_SUFFIXES = (".whl", ".tar.gz", ".tgz")
"""Targets opened as archives: Python wheels and sdists. A plain ``.zip`` stays one file, so that inspection
sees the whole container (local vs central directory names, encryption flags) and identification opens it."""
