"""The tar reader: plain tar (member data addressed in place, nothing copied) and gzip-compressed tar
(sdists: streamed once through the bounded inflater, the first bytes of each member kept in memory).

Nothing is hidden by the layout: reading goes on past end-of-archive zero blocks and unreadable header blocks
(``ignore_zeros``), and a member found after them is listed with a note (``TarListing.hidden``: readers that
stop at the first zero block do not see it, ``tar --ignore-zeros`` extracts it). GNU long names (``L``) and
PAX headers (``x``, ``g``; ``path=`` names the member) are honoured by ``tarfile``. A member of a type tar
does not know is listed as a file (GNU tar extracts it as one). Every member has a unique ``address`` (a
second member of the same name gets ``name@<header offset>``).

A member whose bytes were not all kept is marked ``complete=False``: reads past what was kept fail, so a
stage reading it reports it incomplete, never clean. A sparse member (``S``, or PAX ``GNU.sparse``) is listed
with ``sparse=True`` and never read (its holes are not reconstructed): incomplete, not skipped.
"""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass, field

from tierguard.formats.inflate import GZIP, Inflater
from tierguard.formats.source import RandomSource, SourceFile

MAX_MEMBERS = 200_000
_GAP_CHECK = 1024 * 1024  # bytes of a skipped region read to tell zero blocks from garbage
_NOT_FILES = frozenset(
    {tarfile.LNKTYPE, tarfile.SYMTYPE, tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.DIRTYPE, tarfile.FIFOTYPE}
)


@dataclass(slots=True)
class TarMember:
    name: str
    size: int
    offset: int = -1  # data offset in the (uncompressed) source; -1 for streamed members
    data: bytes | None = None  # kept bytes of a streamed member
    complete: bool = True
    address: str = ""  # unique in the archive: the name, or name@<header offset> for a second one
    sparse: bool = False

    def __post_init__(self) -> None:
        if not self.address:
            self.address = self.name


@dataclass(slots=True)
class TarListing:
    members: list[TarMember]
    problems: list[str]
    hidden: list[tuple[str, str]] = field(default_factory=list)  # (member address, why readers miss it)


def _is_member(ti: tarfile.TarInfo) -> bool:
    return ti.isreg() or (ti.type not in _NOT_FILES and ti.type not in tarfile.SUPPORTED_TYPES)


class _Lister:
    """Turns TarInfos into members: unique addresses, sparse notes, members found after skipped blocks."""

    def __init__(self, src: RandomSource | None) -> None:
        self.src = src  # plain tar: the skipped region can be read to say what it held
        self.out = TarListing([], [])
        self._taken: set[str] = set()
        self.expected = 0  # where the next header should start

    def add(self, ti: tarfile.TarInfo, tf: tarfile.TarFile, member: TarMember) -> None:
        member.address = self._unique(ti.name, ti.offset)
        if ti.offset > self.expected:
            what = self._gap(self.expected, ti.offset)
            self.out.hidden.append(
                (member.address, f"tar member {ti.name[:200]!r} at offset {ti.offset} follows {what}")
            )
        if ti.issparse():
            member.sparse, member.complete = True, False
            self.out.problems.append(f"sparse member {ti.name[:200]!r}: holes not reconstructed, not read")
        self.out.members.append(member)

    def seen(self, ti: tarfile.TarInfo, tf: tarfile.TarFile) -> None:
        """Every header (a member or not) moves the expected position past its data."""
        if ti.offset > self.expected and not _is_member(ti):
            self.out.hidden.append(("", f"tar entry {ti.name[:200]!r} at offset {ti.offset} follows "
                                    f"{self._gap(self.expected, ti.offset)}"))  # fmt: skip
        self.expected = tf.offset

    def _unique(self, name: str, off: int) -> str:
        addr = name if name not in self._taken else f"{name}@{off}"
        n = 2
        while addr in self._taken:
            addr, n = f"{name}@{off}.{n}", n + 1
        self._taken.add(addr)
        return addr

    def _gap(self, start: int, end: int) -> str:
        blocks = (end - start) // 512
        if self.src is None:
            return f"{blocks} skipped block(s) (end-of-archive marker or unreadable header)"
        head = self.src.read(start, min(end - start, _GAP_CHECK))
        if head.count(0) == len(head) and end - start <= _GAP_CHECK:
            return f"the end-of-archive marker ({blocks} zero blocks)"
        return f"{blocks} unreadable or zero block(s) (an end-of-archive marker or garbage)"


def read_tar(src: RandomSource) -> TarListing:
    """Members of an uncompressed tar (headers only; data stays in the source at ``offset``)."""
    ls = _Lister(src)
    try:
        with tarfile.open(fileobj=io.BufferedReader(SourceFile(src)), mode="r:", ignore_zeros=True) as tf:
            for ti in tf:
                if len(ls.out.members) >= MAX_MEMBERS:
                    ls.out.problems.append(f"more than {MAX_MEMBERS} members: the rest not listed")
                    break
                if _is_member(ti):
                    end = ti.offset_data + ti.size
                    ls.add(ti, tf, TarMember(ti.name, ti.size, ti.offset_data, complete=end <= src.size))
                ls.seen(ti, tf)
                tf.members.clear()  # type: ignore[attr-defined]  # ours is the listing: tarfile keeps none
    except (tarfile.TarError, OSError, EOFError) as exc:
        ls.out.problems.append(f"tar error: {str(exc)[:200]}")
        return ls.out
    _check_tail(src, ls)
    return ls.out


def _check_tail(src: RandomSource, ls: _Lister) -> None:
    """After the last header tarfile could read, only zero padding may follow: anything else is an unreadable
    header block (a member tar tools skip with an error), so what it held is unknown -> a problem."""
    tail = src.size - ls.expected
    if tail <= 0:
        return
    head = src.read(ls.expected, min(tail, _GAP_CHECK))
    if tail > _GAP_CHECK:
        ls.out.problems.append(f"{tail} bytes after the last readable member were not checked")
    elif head.count(0) != len(head):
        ls.out.problems.append(
            f"{tail // 512} block(s) after the last readable member are not zero padding: an unreadable "
            "header may hide a member"
        )


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
    ls = _Lister(None)
    members = ls.out.members
    kept = 0
    gz = _GunzipFile(src, limit)
    try:
        with tarfile.open(fileobj=io.BufferedReader(gz, 1 << 20), mode="r|", ignore_zeros=True) as tf:
            for ti in tf:
                if len(members) >= MAX_MEMBERS:
                    ls.out.problems.append(f"more than {MAX_MEMBERS} members: the rest not listed")
                    break
                if _is_member(ti):
                    m = TarMember(ti.name, ti.size, data=b"", complete=False)
                    ls.add(ti, tf, m)
                    if not m.sparse:
                        keep = min(ti.size, member_keep, max(0, keep_total - kept))
                        fh = tf.extractfile(ti)
                        m.data = fh.read(keep) if fh is not None else b""
                        kept += len(m.data)
                        m.complete = len(m.data) == ti.size
                ls.seen(ti, tf)
                tf.members.clear()  # type: ignore[attr-defined]
    except (tarfile.TarError, OSError, EOFError) as exc:
        ls.out.problems.append(f"tar.gz read failed: {str(exc)[:200]}")
    if gz.inf.stopped:
        ls.out.problems.append(f"tar.gz not read to the end: {gz.inf.stopped}")
        if members:  # the member being read when the stream stopped may be cut short
            last = members[-1]
            last.complete = last.complete and last.data is not None and len(last.data) == last.size
    return ls.out
