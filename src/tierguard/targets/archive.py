"""Archive resolver: the members of a wheel / zip (central directory only, bounded reads, never expanded
past the requested limit) or of an sdist ``.tar.gz`` (streamed once with a decompression cap).

Members are yielded as ``FileRef(path=<archive path>, member=<inner path>)``. An archive inside another
target is opened with :class:`ArchiveResolver` over the outer resolver and the archive's FileRef.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from pathlib import Path

from tierguard.errors import TargetError
from tierguard.identify.formats.bounded import BoundedReader, Incomplete
from tierguard.identify.formats.zipdir import ZipEntry, read_central_directory, read_member
from tierguard.model import Skipped
from tierguard.targets.directory import DirectoryResolver
from tierguard.targets.interface import FileRef, Resolver

ZIP_CD_BUDGET = 64 * 1024 * 1024  # central directory + member reads per archive
TAR_MAX_DECOMPRESSED = 512 * 1024 * 1024  # an sdist is streamed at most this far
TAR_MEMBER_CACHE = 2 * 1024 * 1024  # first bytes kept per member (header reads need no more)
TAR_CACHE_TOTAL = 128 * 1024 * 1024


class _ReaderFile(io.RawIOBase):
    """A read-only file object over a resolver FileRef (for streaming a tar.gz)."""

    def __init__(self, resolver: Resolver, ref: FileRef) -> None:
        self._r = resolver
        self._ref = ref
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        n = min(len(b), self._ref.size - self._pos)
        if n <= 0:
            return 0
        data = self._r.read_bytes(self._ref, n, self._pos)
        b[: len(data)] = data
        self._pos += len(data)
        return len(data)


class ArchiveResolver:
    """Members of one archive (zip/wheel or tar.gz/sdist) held by ``outer`` at ``ref``."""

    def __init__(self, outer: Resolver, ref: FileRef) -> None:
        self._outer = outer
        self._ref = ref
        self._skipped: list[Skipped] = []
        self._zip: dict[str, ZipEntry] = {}
        self._tar: dict[str, bytes] = {}
        self._tar_sizes: dict[str, int] = {}
        head = outer.read_bytes(ref, 4)
        if head.startswith(b"PK"):
            self.kind = "zip"
            reader = BoundedReader(outer, ref, ZIP_CD_BUDGET)
            try:
                entries = read_central_directory(reader)
            except Incomplete as exc:
                raise TargetError(f"{ref.logical_path}: unreadable zip ({exc})") from None
            for e in entries:
                if not e.name.endswith("/"):
                    self._zip.setdefault(e.name, e)
        elif head.startswith(b"\x1f\x8b"):
            self.kind = "tar"
            self._load_tar()
        else:
            raise TargetError(f"{ref.logical_path}: not a zip/wheel or tar.gz archive")

    def _load_tar(self) -> None:
        total = 0
        cached = 0
        try:
            with tarfile.open(fileobj=_ReaderFile(self._outer, self._ref), mode="r|gz") as tf:
                for ti in tf:
                    total += ti.size
                    if total > TAR_MAX_DECOMPRESSED:
                        self._skip("too-large", f"stopped after {TAR_MAX_DECOMPRESSED} decompressed bytes")
                        break
                    if not ti.isfile():
                        continue
                    keep = min(ti.size, TAR_MEMBER_CACHE, max(0, TAR_CACHE_TOTAL - cached))
                    fh = tf.extractfile(ti)
                    data = fh.read(keep) if fh is not None else b""
                    cached += len(data)
                    self._tar[ti.name] = data
                    self._tar_sizes[ti.name] = ti.size
        except (tarfile.TarError, OSError, EOFError) as exc:
            self._skip("malformed", f"tar.gz read failed: {str(exc)[:200]}")

    def _skip(self, reason: str, detail: str) -> None:
        self._skipped.append(Skipped(path=self._ref.logical_path, reason=reason, detail=detail))

    @property
    def root_name(self) -> str:
        return self._ref.logical_path

    def files(self) -> Iterator[FileRef]:
        if self.kind == "zip":
            for name in sorted(self._zip):
                yield FileRef(path=self._ref.path, size=self._zip[name].size, member=name)
        else:
            for name in sorted(self._tar):
                yield FileRef(path=self._ref.path, size=self._tar_sizes[name], member=name)

    def read_bytes(self, ref: FileRef, limit: int, offset: int = 0) -> bytes:
        if ref.member is None:
            raise FileNotFoundError(ref.path)
        limit = max(0, limit)
        if self.kind == "zip":
            entry = self._zip.get(ref.member)
            if entry is None:
                raise FileNotFoundError(ref.member)
            reader = BoundedReader(self._outer, self._ref, budget=ZIP_CD_BUDGET)
            try:
                return read_member(reader, entry, min(limit, entry.size), offset)
            except Incomplete as exc:
                raise OSError(f"{ref.member}: {exc}") from None
        data = self._tar.get(ref.member)
        if data is None:
            raise FileNotFoundError(ref.member)
        if offset + limit > len(data) and len(data) < self._tar_sizes[ref.member]:
            raise OSError(f"{ref.member}: only the first {len(data)} bytes of a tar member are available")
        return data[offset : offset + limit]

    def local_path(self, ref: FileRef) -> Path | None:
        return None

    def skipped(self) -> list[Skipped]:
        return list(self._skipped)


def open_archive(path: Path) -> Resolver:
    """A Resolver over the members of a ``.whl``/``.zip`` or sdist ``.tar.gz`` on disk."""
    outer = DirectoryResolver(Path(path))
    ref = next(outer.files(), None)
    if ref is None:
        raise TargetError(f"archive not readable: {path}")
    return ArchiveResolver(outer, ref)
