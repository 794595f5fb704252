"""The zip reader (wheels, generic zips, PyTorch/Keras/NumPy zip containers), with two views reconciled:

* the **central directory** (found through the end record, zip64 included, or where the local headers
  end), read entry by entry whatever the end record's count and size say;
* the **local headers**, walked from the start of the archive: each member's data end is found from its sizes
  (local header, data descriptor with or without its signature, zip64 extra, or the central directory's entry
  for that header) and checked against the next signature; when a size is unknown or inconsistent the next
  signature is searched for (bounded by ``SEARCH_BUDGET``).

:func:`read_zip` returns the union: every member either view names, each with a unique ``address`` (a second
member of the same name, or the local header's reading of a member the central directory describes otherwise,
gets ``name@<tag>``), the reading problems (the archive is then incomplete) and every disagreement between the
views (count, name, offset, sizes, flags, method, CRC, members only one view shows). Tampering with the end
record or the central directory therefore never hides a member. Member reads are bounded (stored members in
place; deflate through the bounded inflater). Never trusts a length beyond the source size."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from tierguard.formats.inflate import Inflater
from tierguard.formats.source import Incomplete, InflateStream, RandomSource
from tierguard.formats.zip_local import (
    CD,
    EOCD,
    EOCD64,
    EOCD64_LOC,
    LOCAL,
    MAX_ENTRIES,
    Window,
    ZipListing,
    ZipMember,
    decode_name,
    walk_local,
    zip64_extra,
)

__all__ = [
    "MemberSource",
    "ZipListing",
    "ZipMember",
    "locate",
    "read_member",
    "read_members",
    "read_zip",
    "zip_kind",
]

MAX_CD_BYTES = 256 * 1024 * 1024


class ZipError(Exception):
    pass


# central directory entry (46 bytes): signature, flags, method, crc, csize, usize, name/extra/comment
# lengths, local header offset; local header (30 bytes): signature, flags, name/extra lengths
_CD_ENTRY = struct.Struct("<4s4xHH4xIIIHHH8xI")
_LOCAL_HEAD = struct.Struct("<4s2xH18xHH")


@dataclass(slots=True)
class _End:
    """The end record(s): entry count, central directory size and offset, where the record is."""

    count: int
    cd_size: int
    cd_off: int
    pos: int  # offset of the end record (or of the zip64 end record when there is one)


def _end_record(src: RandomSource) -> _End | None:
    size = src.size
    tail_len = min(size, 65536 + 22)
    tail = src.read(size - tail_len, tail_len)
    pos = tail.rfind(EOCD)
    while pos >= 0 and pos + 22 > len(tail):
        pos = tail.rfind(EOCD, 0, pos)
    if pos < 0:
        return None
    (_, _, _, _, count, cd_size, cd_off, _) = struct.unpack_from("<4sHHHHIIH", tail, pos)
    end = _End(count, cd_size, cd_off, size - tail_len + pos)
    if count == 0xFFFF or cd_off == 0xFFFFFFFF or cd_size == 0xFFFFFFFF:
        loc = src.read(end.pos - 20, 20) if end.pos >= 20 else b""
        if loc[:4] == EOCD64_LOC:
            e64_off = struct.unpack_from("<Q", loc, 8)[0]
            e64 = src.read(e64_off, 56) if e64_off < size else b""
            if len(e64) == 56 and e64[:4] == EOCD64:
                end.count, end.cd_size, end.cd_off = struct.unpack_from("<QQQ", e64, 32)
                end.pos = e64_off
    return end


def _parse_cd(
    src: RandomSource, start: int, stop: int, prefix: int, listing: ZipListing
) -> tuple[list[ZipMember], int]:
    """Central directory entries from ``start`` for as long as the signature holds (whatever the end record's
    count and size say), before ``stop``. Returns the entries and where they end."""
    cd = src.read(start, max(0, min(stop - start, MAX_CD_BYTES)))
    members: list[ZipMember] = []
    i = 0
    unpack_entry = _CD_ENTRY.unpack_from
    n_cd = len(cd)
    while i + 46 <= n_cd and len(members) < MAX_ENTRIES:
        (sig, flags, method, crc, csize, usize, nlen, elen, clen, hoff) = unpack_entry(cd, i)
        if sig != CD:
            break
        if i + 46 + nlen + elen + clen > n_cd:
            listing.problems.append(f"central directory entry at {start + i} cut short")
            break
        name_raw = cd[i + 46 : i + 46 + nlen]
        if usize == 0xFFFFFFFF or csize == 0xFFFFFFFF or hoff == 0xFFFFFFFF:  # zip64 extra field
            usize, csize, hoff = zip64_extra(cd[i + 46 + nlen : i + 46 + nlen + elen], usize, csize, hoff)
        m = ZipMember(decode_name(name_raw, flags), None, flags, method, crc, csize, usize, hoff + prefix)
        m.raw_name = name_raw
        members.append(m)
        i += 46 + nlen + elen + clen
    if len(members) >= MAX_ENTRIES:
        listing.problems.append(f"more than {MAX_ENTRIES} central directory entries: the rest not read")
    return members, start + i


def _unique(taken: set[str], name: str, tag: str) -> str:
    addr = name if name not in taken else f"{name}@{tag}"
    n = 2
    while addr in taken:
        addr = f"{name}@{tag}.{n}"
        n += 1
    taken.add(addr)
    return addr


def _compare(listing: ZipListing, c: ZipMember, decl: tuple[int, int, int, int, int]) -> None:
    lflags, lmethod, lcrc, lcsize, lusize = decl
    diffs = []
    if (lflags ^ c.flags) & 0x69:  # encryption, data descriptor, patched data, strong encryption
        diffs.append(f"flags 0x{lflags:x}/0x{c.flags:x}")
    if lmethod != c.method:
        diffs.append(f"method {lmethod}/{c.method}")
    if lcrc != c.crc:
        diffs.append(f"CRC {lcrc:08x}/{c.crc:08x}")
    if lcsize != c.csize:
        diffs.append(f"compressed size {lcsize}/{c.csize}")
    if lusize != c.usize:
        diffs.append(f"size {lusize}/{c.usize}")
    if diffs:
        listing.disagree(
            f"headers@{c.name}",
            f"member {c.name!r}: local header / central directory disagree on " + ", ".join(diffs),
        )


def _reconcile(
    src: RandomSource, listing: ZipListing, central: list[ZipMember], local: list[ZipMember], walked: bool
) -> None:
    """The union of both views into ``listing.members`` (central directory order, then local-only members),
    with every disagreement recorded."""
    by_off = {m.header_offset: m for m in local}
    used: set[int] = set()
    taken: set[str] = set()
    names: dict[str, int] = {}
    alts: list[ZipMember] = []
    alt_offs: set[int] = set()
    for c in central:
        names[c.name] = names.get(c.name, 0) + 1
        c.address = _unique(taken, c.name, str(c.header_offset))
        lm = by_off.get(c.header_offset)
        if lm is None:
            c.view = "central"
            _read_local(src, c, c.raw_name, c.flags)
            if walked:
                listing.disagree(
                    f"offset@{c.name}",
                    f"central directory entry {c.name!r} points to offset {c.header_offset}, where the "
                    "local-header walk found no member",
                )
        else:
            if c.header_offset in used:
                listing.disagree(
                    f"shared@{c.header_offset}",
                    f"several central directory entries point to the local header at {c.header_offset} "
                    "(overlapping members)",
                )
            used.add(c.header_offset)
            same = lm.raw_name == c.raw_name and not (lm.flags ^ c.flags) & 0x800
            c.local_name = c.name if same else lm.name
            c.data_offset, c.local_decl, c.problem = lm.data_offset, lm.local_decl, ""
            if c.data_offset + c.csize > src.size:
                c.problem = "member data extends past the end of the archive"
            if lm.local_decl is not None:
                _compare(listing, c, lm.local_decl)
            differs = (lm.method, lm.csize, lm.usize, lm.flags & 1) != (
                c.method,
                c.csize,
                c.usize,
                c.flags & 1,
            )
            if differs and lm.header_offset not in alt_offs:
                alt_offs.add(lm.header_offset)
                alts.append(lm)  # the local header's reading differs: inspect it too
        listing.members.append(c)
    for lm in alts:
        lm.address = _unique(taken, lm.name, "local")
        listing.members.append(lm)
    for lm in local:
        if lm.header_offset in used:
            continue
        names[lm.name] = names.get(lm.name, 0) + 1
        lm.address = _unique(taken, lm.name, str(lm.header_offset))
        listing.members.append(lm)
        if central:
            listing.disagree(
                f"local-only@{lm.name}",
                f"member {lm.name!r} at offset {lm.header_offset} is in the local headers only",
            )
    for name, n in names.items():
        if n > 1:
            listing.disagree(f"duplicate@{name}", f"{n} members are named {name!r}")


def _locate_cd(win: Window, end: _End | None) -> tuple[int, int]:
    """(offset of the central directory, prefix to add to its header offsets), or (-1, 0)."""
    if end is None:
        return -1, 0
    if win.read(end.cd_off, 4) == CD:
        return end.cd_off, 0
    exp = end.pos - end.cd_size  # data prepended to the archive shifts every offset (self-extractors)
    if exp > end.cd_off and win.read(exp, 4) == CD:
        return exp, exp - end.cd_off
    return -1, 0


def read_zip(src: RandomSource) -> ZipListing:
    """Both views of a zip, reconciled (see the module doc)."""
    listing = ZipListing()
    win = Window(src)
    end = _end_record(src)
    stop_at = end.pos if end is not None else src.size
    central: list[ZipMember] = []
    cd_start, prefix = _locate_cd(win, end)
    cd_end = cd_start
    if end is None:
        listing.problems.append("no end-of-central-directory record (truncated archive?)")
        listing.disagree("end-record", "no end-of-central-directory record")
    elif cd_start < 0:
        listing.disagree(
            "cd-offset", f"no central directory at offset {end.cd_off}, where the end record puts it"
        )
    if cd_start >= 0:
        central, cd_end = _parse_cd(src, cd_start, stop_at, prefix, listing)
    local, stop, walked = walk_local(win, {m.header_offset: m for m in central}, listing)
    if walked and stop >= 0 and stop != cd_start and win.read(stop, 4) == CD:
        more, more_end = _parse_cd(src, stop, stop_at, 0, listing)
        if cd_start >= 0:
            listing.disagree("second-cd", f"a second central directory at offset {stop}")
        else:
            cd_start, cd_end = stop, more_end
        central += more
    if end is not None and cd_start >= 0:
        if end.count != len(central):
            listing.disagree(
                "count", f"end record counts {end.count} members; the central directory holds {len(central)}"
            )
        if end.cd_size != cd_end - cd_start:
            listing.disagree(
                "cd-size",
                f"end record gives a central directory of {end.cd_size} bytes; it has {cd_end - cd_start}",
            )
    if not central and not local:
        listing.problems.append("no readable central directory or local headers")
    elif cd_start < 0 and local:
        listing.disagree("central-directory", "no central directory: members listed from the local headers")
    _reconcile(src, listing, central, local, walked)
    return listing


def central_only(src: RandomSource) -> tuple[list[ZipMember], list[str]] | None:
    """The central directory alone, when the end record finds it and agrees with it (count and size);
    None otherwise (the caller then reads both views)."""
    end = _end_record(src)
    win = Window(src)
    cd_start, prefix = _locate_cd(win, end)
    if end is None or cd_start < 0:
        return None
    scratch = ZipListing()
    members, cd_end = _parse_cd(src, cd_start, end.pos, prefix, scratch)
    if scratch.problems or end.count != len(members) or end.cd_size != cd_end - cd_start:
        return None
    return members, []


def read_members(src: RandomSource, *, local_headers: bool = True) -> tuple[list[ZipMember], list[str]]:
    """Members and reading problems. With ``local_headers`` (the default) both views are read and reconciled
    (:func:`read_zip`; its disagreements are dropped here: the inspect stage reports them itself). Without, an
    intact central directory is read alone (``local_name`` stays None and ``data_offset`` -1 until
    :func:`locate`); a damaged one falls back to both views, and then every disagreement between them is a
    problem too: a caller that reads the central directory alone (identify, the listing) cannot know which
    view the archive's real reader will follow, so what the members are is not known for sure."""
    if not local_headers:
        quick = central_only(src)
        if quick is not None:
            return quick
    listing = read_zip(src)
    if local_headers:
        return listing.members, listing.problems
    return listing.members, listing.problems + [f"{s}: {m}" for s, m in listing.disagreements]


def _read_local(src: RandomSource, m: ZipMember, cd_name: bytes = b"", cd_flags: int = 0) -> None:
    """Read the member's local header (one read covers it and a name as long as the central directory's)
    and record its name, so that a disagreement with the central directory is visible."""
    lh = src.read(m.header_offset, 30 + len(cd_name)) if 0 <= m.header_offset < src.size else b""
    if len(lh) < 30 or lh[:4] != LOCAL:
        m.problem = "local header missing or unreadable"
        return
    _, lflags, nlen, elen = _LOCAL_HEAD.unpack_from(lh)
    raw = lh[30 : 30 + nlen] if nlen <= len(lh) - 30 else src.read(m.header_offset + 30, nlen)
    if raw == cd_name and not (lflags ^ cd_flags) & 0x800:
        m.local_name = m.name  # same bytes, same encoding flag: the same name
    else:
        m.local_name = decode_name(raw, lflags)
    m.data_offset = m.header_offset + 30 + nlen + elen
    if m.data_offset + m.csize > src.size:
        m.problem = "member data extends past the end of the archive"


def locate(src: RandomSource, m: ZipMember) -> int:
    """The member's data offset (its local header is read when :func:`read_members` did not)."""
    if m.data_offset < 0 and not m.problem:
        _read_local(src, m, m.raw_name or m.name.encode("utf-8"), m.flags)
    return m.data_offset


def read_member(src: RandomSource, m: ZipMember, limit: int, offset: int = 0) -> bytes:
    """Up to ``limit`` bytes of a member's content from ``offset``: stored members are read in place; deflated
    ones are inflated with a hard output limit (never more than ``offset + limit`` bytes). Raises
    :class:`Incomplete` for encrypted, unsupported or unreadable members and corrupt or bomb-like data."""
    if m.encrypted:
        raise Incomplete("encrypted", f"member {m.name[:120]!r} is encrypted")
    start = locate(src, m)
    if start < 0 or m.problem:
        raise Incomplete("malformed", f"member {m.name[:120]!r}: {m.problem or 'no local header'}")
    if m.method == 0:
        if offset >= m.csize:
            return b""
        return src.read(start + offset, min(limit, m.csize - offset))
    if m.method != 8:
        raise Incomplete("unsupported", f"compression method {m.method} for {m.name[:120]!r}")
    want = offset + limit
    inf = Inflater(want)
    out = bytearray()
    pos = 0
    while len(out) < want and pos < m.csize and not inf.eof:
        n = min(64 * 1024, m.csize - pos)
        chunk = src.read(start + pos, n)
        if not chunk:
            break
        pos += len(chunk)
        out += inf.feed(chunk)
        if inf.stopped and len(out) < want:
            raise Incomplete("malformed", f"{m.name[:120]!r}: {inf.stopped}")
    if len(out) < want and not inf.eof and len(out) < m.usize:
        raise Incomplete("truncated", f"deflate data of {m.name[:120]!r} ends early")
    return bytes(out[offset:want])


class MemberSource:
    """A zip member as a RandomSource, never materialised: a stored member is read in place; a deflated one
    through one forward inflater (a read behind it restarts it), within ``limit`` output bytes and the
    inflater's ratio limit. ``size`` is the declared size (at most ``limit``); a read the data cannot serve
    (corrupt, cut short, a limit reached) raises :class:`Incomplete`, so it is never taken for the end."""

    def __init__(self, src: RandomSource, m: ZipMember, limit: int) -> None:
        self._src = src
        self._m = m
        self.size = max(0, min(m.csize if m.method == 0 else m.usize, limit))
        if m.method == 0:
            self.size = max(0, min(self.size, src.size - m.data_offset))
        self._cur: InflateStream | None = None

    def read(self, offset: int, n: int) -> bytes:
        m = self._m
        n = min(n, self.size - offset)
        if offset < 0 or n <= 0:
            return b""
        if m.method == 0:
            return self._src.read(m.data_offset + offset, n)
        if m.method != 8:
            raise Incomplete("unsupported", f"compression method {m.method} for {m.name[:120]!r}")
        cur = self._cur
        if cur is None or cur.pos > offset:
            cur = self._cur = InflateStream(self._src, m.data_offset, m.csize, limit=max(1, self.size))
        cur.skip(offset - cur.pos)
        data = cur.read(n)
        if len(data) < n:
            raise Incomplete("truncated", f"{m.name[:120]!r}: {cur.stopped or 'deflate data ends early'}")
        return data


def zip_kind(names: list[str]) -> str:
    """What a zip is, from its member names: wheel, pytorch-zip, keras, npz, or zip (a generic archive).
    Model-format containers are one artifact; wheels and generic zips are expanded by the resolver."""
    if any(n.endswith(".dist-info/RECORD") for n in names):
        return "wheel"
    if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
        return "pytorch-zip"
    if "config.json" in names and any(n.endswith(".weights.h5") for n in names):
        return "keras"
    if names and all(n.endswith(".npy") or n.endswith("/") for n in names):
        return "npz"
    return "zip"
