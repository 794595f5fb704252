"""The tar reader: plain tar (member data addressed in place, nothing copied) and gzip-compressed tar
(sdists: streamed once through the bounded inflater, the first bytes of each member kept in memory).

A member whose bytes were not all kept is marked ``complete=False``: reads past what was kept fail, so a
stage reading it reports it incomplete, never clean.
"""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass

from tierguard.formats.inflate import GZIP, Inflater
from tierguard.formats.source import RandomSource, SourceFile

MAX_MEMBERS = 200_000


@dataclass(slots=True)
class TarMember:
    name: str
    size: int
    offset: int = -1  # data offset in the (uncompressed) source; -1 for streamed members
    data: bytes | None = None  # kept bytes of a streamed member
    complete: bool = True


@dataclass(slots=True)
class TarListing:
    members: list[TarMember]
    problems: list[str]


def read_tar(src: RandomSource) -> TarListing:
    """Members of an uncompressed tar (headers only; data stays in the source at ``offset``)."""
    members: list[TarMember] = []
    problems: list[str] = []
    try:
        with tarfile.open(fileobj=io.BufferedReader(SourceFile(src)), mode="r:") as tf:
            for ti in tf:
                if len(members) >= MAX_MEMBERS:
                    problems.append(f"more than {MAX_MEMBERS} members: the rest not listed")
                    break
                if ti.isfile():
                    end = ti.offset_data + ti.size
                    members.append(TarMember(ti.name, ti.size, ti.offset_data, complete=end <= src.size))
    except (tarfile.TarError, OSError, EOFError) as exc:
        problems.append(f"tar error: {str(exc)[:200]}")
    return TarListing(members, problems)


class _GunzipFile(io.RawIOBase):
    """Sequential, bounded gunzip of a source (for ``tarfile`` stream mode)."""

    def __init__(self, src: RandomSource, limit: int) -> None:
        self._src = src
        self._off = 0
        self.inf = Inflater(limit, wbits=GZIP)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            if self.inf.stopped or self.inf.eof:
                return 0
            raw = self._src.read(self._off, 256 * 1024) if self._off < self._src.size else b""
            self._off += len(raw)
            self._pending = self.inf.feed(raw)
            if not raw and not self._pending:
                if not self.inf.eof:
                    self.inf.stopped = "gzip stream truncated"
                return 0
        n = min(len(b), len(self._pending))
        b[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def read_tar_gz(src: RandomSource, *, limit: int, member_keep: int, keep_total: int) -> TarListing:
    """Members of a gzip-compressed tar, streamed once: at most ``limit`` decompressed bytes (and the ratio
    limit); up to ``member_keep`` bytes kept per member and ``keep_total`` in all."""
    members: list[TarMember] = []
    problems: list[str] = []
    kept = 0
    gz = _GunzipFile(src, limit)
    try:
        with tarfile.open(fileobj=io.BufferedReader(gz, 1 << 20), mode="r|") as tf:
            for ti in tf:
                if len(members) >= MAX_MEMBERS:
                    problems.append(f"more than {MAX_MEMBERS} members: the rest not listed")
                    break
                if not ti.isfile():
                    continue
                keep = min(ti.size, member_keep, max(0, keep_total - kept))
                fh = tf.extractfile(ti)
                data = fh.read(keep) if fh is not None else b""
                kept += len(data)
                members.append(TarMember(ti.name, ti.size, data=data, complete=len(data) == ti.size))
    except (tarfile.TarError, OSError, EOFError) as exc:
        problems.append(f"tar.gz read failed: {str(exc)[:200]}")
    if gz.inf.stopped:
        problems.append(f"tar.gz not read to the end: {gz.inf.stopped}")
        if members:  # the member being read when the stream stopped may be cut short
            last = members[-1]
            last.complete = last.complete and last.data is not None and len(last.data) == last.size
    return TarListing(members, problems)
