"""Open a target path as a Resolver: a single file, a directory or a git working tree."""

from __future__ import annotations

from pathlib import Path

from tierguard.errors import TargetError
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
    return DirectoryResolver(p, include_ignored=include_ignored)
