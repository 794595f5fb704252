"""The zip reader (wheels, generic zips, PyTorch/Keras/NumPy zip containers): central directory AND local
headers (both are read, so name mismatches are visible), zip64, flag bits, a local-header scan when there is
no usable central directory, bounded member reads (stored in place; deflate through the bounded inflater).
Never trusts a length beyond the source size."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from tierguard.formats.inflate import Inflater
from tierguard.formats.source import Incomplete, RandomSource

_EOCD = b"PK\x05\x06"
_EOCD64_LOC = b"PK\x06\x07"
_CD = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"
MAX_ENTRIES = 200_000


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

    @property
    def encrypted(self) -> bool:
        return bool(self.flags & 0x1)

    @property
    def is_dir(self) -> bool:
        return self.name.endswith("/")


class ZipError(Exception):
    pass


def _zip64(extra: bytes, usize: int, csize: int, off: int) -> tuple[int, int, int]:
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


def _name(raw: bytes, flags: int) -> str:
    if raw.isascii():  # ASCII reads the same in UTF-8 and cp437
        return raw.decode("ascii")
    return raw.decode("utf-8" if flags & 0x800 else "cp437", "replace")


# central directory entry (46 bytes): signature, flags, method, crc, csize, usize, name/extra/comment
# lengths, local header offset; local header (30 bytes): signature, flags, name/extra lengths
_CD_ENTRY = struct.Struct("<4s4xHH4xIIIHHH8xI")
_LOCAL_HEAD = struct.Struct("<4s2xH18xHH")


def read_members(src: RandomSource, *, local_headers: bool = True) -> tuple[list[ZipMember], list[str]]:
    """Members from the central directory (falls back to a local-header scan). Returns (members, problems).
    With ``local_headers`` every member's local header is read too (its name and data offset); without,
    ``local_name`` stays None and ``data_offset`` -1 until :func:`locate` is called."""
    problems: list[str] = []
    size = src.size
    tail_len = min(size, 65536 + 22)
    tail = src.read(size - tail_len, tail_len)
    pos = tail.rfind(_EOCD)
    if pos < 0 or pos + 22 > len(tail):
        problems.append("no end-of-central-directory record (truncated archive?)")
        return _scan_local(src, problems), problems
    (_, _, _, _, count, cd_size, cd_off, _) = struct.unpack_from("<4sHHHHIIH", tail, pos)
    eocd_abs = size - tail_len + pos
    if count == 0xFFFF or cd_off == 0xFFFFFFFF or cd_size == 0xFFFFFFFF:
        loc = src.read(eocd_abs - 20, 20) if eocd_abs >= 20 else b""
        if loc[:4] == _EOCD64_LOC:
            e64_off = struct.unpack_from("<Q", loc, 8)[0]
            e64 = src.read(e64_off, 56)
            if len(e64) == 56 and e64[:4] == b"PK\x06\x06":
                count, cd_size, cd_off = struct.unpack_from("<QQQ", e64, 32)
    if cd_off + cd_size > eocd_abs or count > MAX_ENTRIES or count * 46 > cd_size + 46:
        problems.append("central directory out of bounds")
        return _scan_local(src, problems), problems
    cd = src.read(cd_off, cd_size)
    members: list[ZipMember] = []
    i = 0
    unpack_entry = _CD_ENTRY.unpack_from
    n_cd = len(cd)
    while i + 46 <= n_cd and len(members) < count:
        (sig, flags, method, crc, csize, usize, nlen, elen, clen, hoff) = unpack_entry(cd, i)
        if sig != _CD:
            problems.append(f"bad central directory entry at {cd_off + i}")
            break
        name_raw = cd[i + 46 : i + 46 + nlen]
        if usize == 0xFFFFFFFF or csize == 0xFFFFFFFF or hoff == 0xFFFFFFFF:  # zip64 extra field
            usize, csize, hoff = _zip64(cd[i + 46 + nlen : i + 46 + nlen + elen], usize, csize, hoff)
        m = ZipMember(_name(name_raw, flags), None, flags, method, crc, csize, usize, hoff)
        if local_headers:
            _read_local(src, m, name_raw, flags)
        members.append(m)
        i += 46 + nlen + elen + clen
    return members, problems


def _read_local(src: RandomSource, m: ZipMember, cd_name: bytes = b"", cd_flags: int = 0) -> None:
    """Read the member's local header (one read covers it and a name as long as the central directory's)
    and record its name, so that a disagreement with the central directory is visible."""
    lh = src.read(m.header_offset, 30 + len(cd_name))
    if len(lh) < 30 or lh[:4] != _LOCAL:
        m.problem = "local header missing or unreadable"
        return
    _, lflags, nlen, elen = _LOCAL_HEAD.unpack_from(lh)
    raw = lh[30 : 30 + nlen] if nlen <= len(lh) - 30 else src.read(m.header_offset + 30, nlen)
    if raw == cd_name and not (lflags ^ cd_flags) & 0x800:
        m.local_name = m.name  # same bytes, same encoding flag: the same name
    else:
        m.local_name = _name(raw, lflags)
    m.data_offset = m.header_offset + 30 + nlen + elen
    if m.data_offset + m.csize > src.size:
        m.problem = "member data extends past the end of the archive"


def _scan_local(src: RandomSource, problems: list[str]) -> list[ZipMember]:
    """Fallback when there is no usable central directory: walk local headers from the start."""
    out: list[ZipMember] = []
    off = 0
    while off + 30 <= src.size and len(out) < MAX_ENTRIES:
        lh = src.read(off, 30)
        if lh[:4] != _LOCAL:
            break
        flags, method = struct.unpack_from("<HH", lh, 6)
        crc, csize, usize, nlen, elen = struct.unpack_from("<IIIHH", lh, 14)
        name = _name(src.read(off + 30, nlen), flags)
        m = ZipMember(name, name, flags, method, crc, csize, usize, off, off + 30 + nlen + elen)
        if flags & 0x8 and csize == 0:
            m.problem = "size in data descriptor; cannot walk without a central directory"
            out.append(m)
            break
        out.append(m)
        off = m.data_offset + csize
    if not out:
        problems.append("no readable local headers")
    return out


def locate(src: RandomSource, m: ZipMember) -> int:
    """The member's data offset (its local header is read when :func:`read_members` did not)."""
    if m.data_offset < 0 and not m.problem:
        _read_local(src, m, m.name.encode("utf-8"), m.flags)
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
