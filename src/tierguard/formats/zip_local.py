"""Zip records shared by both views (:class:`ZipMember`, :class:`ZipListing`) and the local-header walk:
from the start of the archive, each member's data end is found from its sizes (local header, data descriptor
with or without its signature, zip64 extra, or the central directory's entry for that header) and checked
against the next signature; when a size is unknown or inconsistent, the next signature is searched for
(bounded by ``SEARCH_BUDGET`` bytes per archive). :mod:`tierguard.formats.zip` reconciles it with the central
directory."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from tierguard.formats.source import RandomSource

EOCD = b"PK\x05\x06"
EOCD64 = b"PK\x06\x06"
EOCD64_LOC = b"PK\x06\x07"
CD = b"PK\x01\x02"
LOCAL = b"PK\x03\x04"
_DD = b"PK\x07\x08"
# what may follow a member's data: another member, the central directory, the end records, a descriptor,
# the archive extra data record, a digital signature
_NEXT = (LOCAL, CD, EOCD, EOCD64, EOCD64_LOC, b"PK\x06\x08", b"PK\x05\x05")
MAX_ENTRIES = 200_000
SEARCH_BUDGET = 256 * 1024 * 1024  # bytes scanned for signatures, per archive
_WINDOW = 1024  # one read covers a local header, its name and extra field
_LOCAL_FULL = struct.Struct("<4s2xHH4xIIIHH")


@dataclass(slots=True)
class ZipMember:
    name: str
    local_name: str | None
    flags: int
    method: int
    crc: int
    csize: int
    usize: int
    header_offset: int
    data_offset: int = -1  # -1: local header unreadable
    problem: str = ""
    address: str = ""  # unique within the archive (the name, or name@tag for a second reading)
    view: str = "both"  # "both", "central" (no local header walked there) or "local" (no central entry)
    raw_name: bytes = b""
    local_decl: tuple[int, int, int, int, int] | None = None  # flags, method, crc, csize, usize (local view)

    def __post_init__(self) -> None:
        if not self.address:
            self.address = self.name

    @property
    def encrypted(self) -> bool:
        return bool(self.flags & 0x1)

    @property
    def is_dir(self) -> bool:
        """A directory entry: named with a trailing ``/`` in every view read, and holding no data. A name
        turned into ``x/`` in the central directory alone, or a "directory" with bytes, is a member (its
        content is listed and inspected), never skipped."""
        if not self.name.endswith("/") or self.csize or self.usize:
            return False
        return self.local_name is None or self.local_name.endswith("/")


@dataclass(slots=True)
class ZipListing:
    members: list[ZipMember] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what could not be read: the archive is incomplete
    disagreements: list[tuple[str, str]] = field(default_factory=list)  # (subject, message)

    def disagree(self, subject: str, message: str) -> None:
        if len(self.disagreements) < 1000 and (subject, message) not in self.disagreements:
            self.disagreements.append((subject[:200], message[:300]))


class Window:
    """Reads through a small cache, so walking many small members costs one read per window."""

    def __init__(self, src: RandomSource) -> None:
        self.src = src
        self.size = src.size
        self._off = 0
        self._buf = b""

    def read(self, off: int, n: int) -> bytes:
        if off < 0 or off >= self.size or n <= 0:
            return b""
        end = min(off + n, self.size)
        if not (self._off <= off and end <= self._off + len(self._buf)):
            self._off = off
            self._buf = self.src.read(off, min(max(end - off, _WINDOW), self.size - off))
        return self._buf[off - self._off : end - self._off]

    def sig_at(self, off: int) -> bool:
        return off == self.size or self.read(off, 4) in _NEXT


def zip64_extra(extra: bytes, usize: int, csize: int, off: int) -> tuple[int, int, int]:
    i = 0
    while i + 4 <= len(extra):
        hid, ln = struct.unpack_from("<HH", extra, i)
        body = extra[i + 4 : i + 4 + ln]
        if hid == 0x0001:
            j = 0
            if usize == 0xFFFFFFFF and j + 8 <= len(body):
                usize = struct.unpack_from("<Q", body, j)[0]
                j += 8
            if csize == 0xFFFFFFFF and j + 8 <= len(body):
                csize = struct.unpack_from("<Q", body, j)[0]
                j += 8
            if off == 0xFFFFFFFF and j + 8 <= len(body):
                off = struct.unpack_from("<Q", body, j)[0]
        i += 4 + ln
    return usize, csize, off


def decode_name(raw: bytes, flags: int) -> str:
    if raw.isascii():  # ASCII reads the same in UTF-8 and cp437
        return raw.decode("ascii")
    return raw.decode("utf-8" if flags & 0x800 else "cp437", "replace")


def _descriptor(win: Window, e: int, cs: int) -> tuple[int, int, int, int] | None:
    """A data descriptor at ``e`` recording compressed size ``cs`` and followed by a signature (or the end):
    (end, crc, csize, usize). Signed and unsigned, 32- and 64-bit sizes."""
    b = win.read(e, 24)
    for skip in (4, 0) if b[:4] == _DD else (0,):
        for fmt, ln in (("<III", 12), ("<IQQ", 20)):
            if len(b) < skip + ln:
                continue
            crc, csize, usize = struct.unpack_from(fmt, b, skip)
            if csize == cs and win.sig_at(e + skip + ln):
                return e + skip + ln, crc, csize, usize
    return None


class _Searcher:
    """Finds the next zip signature forward from an offset, within one byte budget per archive."""

    def __init__(self, win: Window) -> None:
        self.win = win
        self.left = SEARCH_BUDGET
        self.exhausted = False

    def next_sig(self, pos: int) -> int | None:
        """Offset of the next signature at or after ``pos``; the source size when there is none; None when
        the budget ran out first."""
        size = self.win.size
        while pos < size:
            if self.left <= 0:
                self.exhausted = True
                return None
            n = min(1 << 20, size - pos)
            self.left -= n
            chunk = self.win.src.read(pos, min(n + 3, size - pos))
            i = chunk.find(b"PK")
            while 0 <= i < n:
                if chunk[i : i + 4] in _NEXT or chunk[i : i + 4] == _DD:
                    return pos + i
                i = chunk.find(b"PK", i + 1)
            pos += n
        return size


def _search_end(win: Window, m: ZipMember, search: _Searcher) -> tuple[int, tuple[int, int, int]] | None:
    """The end of a member's data found by searching for the next signature (a data descriptor that records
    the size of what precedes it, for a member with flag 0x8). Returns (end, (crc, csize, usize))."""
    d = m.data_offset
    pos = d
    fallback: int | None = None
    while True:
        p = search.next_sig(pos)
        if p is None:
            return None
        if p >= win.size:
            if m.flags & 0x8 and fallback is None:  # an unsigned descriptor may end the archive
                for back in (12, 20):
                    got = _descriptor(win, p - back, p - back - d) if p - back >= d else None
                    if got is not None:
                        return p, got[1:]
            end = fallback if fallback is not None else win.size
            return end, (m.crc, end - d, m.usize)
        if not m.flags & 0x8:
            return p, (m.crc, p - d, m.usize)
        if win.read(p, 4) == _DD:
            got = _descriptor(win, p, p - d)
            if got is not None:
                return got[0], got[1:]
        else:
            for back in (12, 20):
                got = _descriptor(win, p - back, p - back - d) if p - back >= d else None
                if got is not None and got[0] == p:
                    return p, got[1:]
            if fallback is None:
                fallback = p
        pos = p + 1


def _data_end(
    win: Window, m: ZipMember, hint: ZipMember | None, search: _Searcher, listing: ZipListing
) -> int | None:
    """Where the local member ``m``'s data (and descriptor) ends: from its declared size, its data descriptor,
    or the central directory's size for this header (``hint``), checked against the next signature; else by
    search. Fills ``m.local_decl`` (what the local header or its descriptor declares) and the sizes read."""
    d = m.data_offset
    decl = (m.flags, m.method, m.crc, m.csize, m.usize)
    sizes = [m.csize] if not m.flags & 0x8 or m.csize else []
    if hint is not None and hint.csize not in sizes:
        sizes.append(hint.csize)
    for cs in sizes:
        if d + cs > win.size:
            continue
        if m.flags & 0x8:
            dd = _descriptor(win, d + cs, cs)
            if dd is not None:
                m.crc, m.csize, m.usize = dd[1:]
                m.local_decl = (m.flags, m.method, *dd[1:])
                return dd[0]
        elif win.sig_at(d + cs):
            m.local_decl = decl
            m.csize = cs
            return d + cs
    m.local_decl = decl
    found = _search_end(win, m, search)
    if found is None:
        return None
    end, (crc, csize, usize) = found
    if m.flags & 0x8 and end > d + csize:  # a descriptor was found
        m.crc, m.usize = crc, usize
        m.local_decl = (m.flags, m.method, crc, csize, usize)
    elif not m.flags & 0x8 or end < win.size:
        listing.disagree(
            f"extent@{m.name}",
            f"local header of {m.name!r} at {m.header_offset} declares {m.csize} compressed bytes; the data "
            f"runs to the next signature at {end} ({end - d} bytes)",
        )
    m.csize = csize
    return end


def walk_local(
    win: Window, hints: dict[int, ZipMember], listing: ZipListing
) -> tuple[list[ZipMember], int, bool]:
    """Local headers walked from the start of the archive. Returns the members, the offset where the walk
    stopped (at the first non-local-header signature) and whether the walk reached it (False: budget or a
    truncated header stopped it earlier)."""
    search = _Searcher(win)
    out: list[ZipMember] = []
    off = 0
    if win.read(0, 4) != LOCAL:  # data before the first member (self-extracting archives): find it
        p = search.next_sig(0)
        if p is None or win.read(p, 4) != LOCAL:
            return out, -1 if p is None else p, p is not None
        off = p
    while off + 30 <= win.size and len(out) < MAX_ENTRIES:
        head = win.read(off, 30)
        if head[:4] != LOCAL:
            return out, off, True
        _, flags, method, crc, csize, usize, nlen, elen = _LOCAL_FULL.unpack(head)
        raw = win.read(off + 30, nlen)
        extra = win.read(off + 30 + nlen, elen)
        if usize == 0xFFFFFFFF or csize == 0xFFFFFFFF:
            usize, csize, _ = zip64_extra(extra, usize, csize, 0)
        m = ZipMember(
            decode_name(raw, flags), None, flags, method, crc, csize, usize, off, off + 30 + nlen + elen
        )
        m.local_name, m.raw_name, m.view = m.name, raw, "local"
        out.append(m)
        if m.data_offset > win.size:
            m.problem = "local header extends past the end of the archive"
            m.local_decl = (flags, method, crc, csize, usize)
            listing.problems.append(f"local header at {off} cut short")
            return out, win.size, True
        end = _data_end(win, m, hints.get(off), search, listing)
        if end is None:
            listing.problems.append(f"local headers not walked past offset {off} (search budget)")
            return out, off, False
        if m.data_offset + m.csize > win.size:
            m.problem = "member data extends past the end of the archive"
        off = end
    if len(out) >= MAX_ENTRIES:
        listing.problems.append(f"more than {MAX_ENTRIES} local headers: the rest not walked")
        return out, off, False
    return out, off, True
