"""Targets: a Resolver gives detectors files by glob, name or keyword; detectors never touch the filesystem.

One detector then covers every kind of target (directory, git repo, wheel, site-packages, HF cache, image
tarball, in-memory fixture).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from tierguard.model import Skipped


@dataclass(frozen=True, slots=True)
class FileRef:
    """A file inside a target. ``path`` is relative to the target root (POSIX); ``member`` is set for files
    inside a container (wheel/zip/tar/7z), where ``path`` names the outermost container. Members of nested
    containers are addressed with ``!``: ``FileRef(path="a.zip", member="b.tar!c.pkl")`` (shown
    ``a.zip!b.tar!c.pkl``)."""

    path: str
    size: int
    member: str | None = None

    @property
    def name(self) -> str:
        p = self.member if self.member is not None else self.path
        return p.rsplit("!", 1)[-1].rsplit("/", 1)[-1]

    @property
    def logical_path(self) -> str:
        """The path detectors match globs against: the member path inside its innermost container."""
        return self.member.rsplit("!", 1)[-1] if self.member is not None else self.path

    @property
    def container(self) -> str | None:
        """The display address of the innermost container holding this member (None for plain files)."""
        if self.member is None:
            return None
        head, sep, _ = self.member.rpartition("!")
        return f"{self.path}!{head}" if sep else self.path

    @property
    def display(self) -> str:
        return self.path if self.member is None else f"{self.path}!{self.member}"


class Resolver(Protocol):
    """Read-only view of a target. Implementations bound every read and never follow symlinks out of the
    target. Unreadable units are reported through ``skipped`` rather than raised."""

    @property
    def root_name(self) -> str:
        """A display name for the target (no absolute path)."""
        ...

    def files(self) -> Iterator[FileRef]:
        """Every file the target holds that is in scope (ignored/vendored ones are skipped with a reason)."""
        ...

    def read_bytes(self, ref: FileRef, limit: int, offset: int = 0) -> bytes:
        """At most ``limit`` bytes from ``offset``. Raises OSError on failure."""
        ...

    def local_path(self, ref: FileRef) -> Path | None:
        """The file on disk when there is one (for libraries that need a path), else None."""
        ...

    def skipped(self) -> list[Skipped]:
        """What the resolver itself passed over, with reasons."""
        ...
