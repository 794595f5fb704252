"""Zip central directory reader: lists members from the end of the file without decompressing anything;
reads one small member with bounded inflation (zip bombs are never expanded past the limit)."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from tierguard.identify.formats.bounded import BoundedReader, Incomplete

_EOCD = b"PK\x05\x06"
_EOCD64_LOC = b"PK\x06\x07"
_EOCD64 = b"PK\x06\x06"
_CDH = b"PK\x01\x02"
_LFH = b"PK\x03\x04"
MAX_TAIL = 65535 + 22
MAX_ENTRIES = 200_000


@dataclass(frozen=True, slots=True)
class ZipEntry:
    name: str
    method: int
    flags: int
    compressed_size: int
    size: int
    header_offset: int

    @property
    def encrypted(self) -> bool:
        return bool(self.flags & 0x1)


def read_central_directory(reader: BoundedReader) -> list[ZipEntry]:
    size = reader.size
    if size < 22:
        raise Incomplete("truncated", "too small for a zip end record")
    tail_len = min(size, MAX_TAIL)
    tail = reader.read(size - tail_len, tail_len)
    at = tail.rfind(_EOCD)
    if at < 0 or at + 22 > len(tail):
        raise Incomplete("malformed", "zip end-of-central-directory record not found")
    _, _, _, _, total, cd_size, cd_off, _ = struct.unpack("<4sHHHHIIH", tail[at : at + 22])
    eocd_abs = size - tail_len + at
    if (total == 0xFFFF or cd_size == 0xFFFFFFFF or cd_off == 0xFFFFFFFF) and at >= 20:
        loc = tail[at - 20 : at]
        if loc[:4] == _EOCD64_LOC:
            (off64,) = struct.unpack("<Q", loc[8:16])
            rec = reader.read(off64, 56)
            if rec[:4] == _EOCD64:
                total, cd_size, cd_off = struct.unpack("<QQQ", rec[32:56])
    if cd_off + cd_size > eocd_abs or cd_off > size:
        raise Incomplete("malformed", f"central directory ({cd_size} bytes at {cd_off}) outside the file")
    if total > MAX_ENTRIES or total * 46 > cd_size + 46:
        raise Incomplete("malformed", f"absurd central directory entry count {total}")
    cd = reader.read(cd_off, cd_size)
    out: list[ZipEntry] = []
    pos = 0
    while pos + 46 <= len(cd) and len(out) < total:
        if cd[pos : pos + 4] != _CDH:
            raise Incomplete("malformed", f"bad central directory header at {cd_off + pos}")
        (flags, method) = struct.unpack("<HH", cd[pos + 8 : pos + 12])
        csize, usize, nlen, xlen, clen = struct.unpack("<IIHHH", cd[pos + 20 : pos + 34])
        (hoff,) = struct.unpack("<I", cd[pos + 42 : pos + 46])
        name_b = cd[pos + 46 : pos + 46 + nlen]
        extra = cd[pos + 46 + nlen : pos + 46 + nlen + xlen]
        usize, csize, hoff = _zip64(extra, usize, csize, hoff)
        name = name_b.decode("utf-8" if flags & 0x800 else "cp437", "replace")
        out.append(ZipEntry(name, method, flags, csize, usize, hoff))
        pos += 46 + nlen + xlen + clen
    return out


def _zip64(extra: bytes, usize: int, csize: int, hoff: int) -> tuple[int, int, int]:
    i = 0
    while i + 4 <= len(extra):
        tag, ln = struct.unpack("<HH", extra[i : i + 4])
        body = extra[i + 4 : i + 4 + ln]
        if tag == 0x0001:
            j = 0
            vals = []
            while j + 8 <= len(body):
                vals.append(struct.unpack("<Q", body[j : j + 8])[0])
                j += 8
            k = 0
            if usize == 0xFFFFFFFF and k < len(vals):
                usize, k = vals[k], k + 1
            if csize == 0xFFFFFFFF and k < len(vals):
                csize, k = vals[k], k + 1
            if hoff == 0xFFFFFFFF and k < len(vals):
                hoff = vals[k]
        i += 4 + ln
    return usize, csize, hoff


def data_offset(reader: BoundedReader, entry: ZipEntry) -> int:
    """Absolute offset of a member's data (after its local header)."""
    lfh = reader.read(entry.header_offset, 30)
    if lfh[:4] != _LFH:
        raise Incomplete("malformed", f"bad local header for {entry.name[:120]!r}")
    nlen, xlen = struct.unpack("<HH", lfh[26:30])
    start: int = entry.header_offset + 30 + nlen + xlen
    if start + entry.compressed_size > reader.size:
        raise Incomplete("truncated", f"member {entry.name[:120]!r} extends past the end of the file")
    return start


def read_member(reader: BoundedReader, entry: ZipEntry, limit: int, offset: int = 0) -> bytes:
    """Up to ``limit`` bytes of a member's content from ``offset``: stored members are read in place;
    deflated ones are inflated with a hard output limit (never more than ``offset + limit`` bytes)."""
    if entry.encrypted:
        raise Incomplete("encrypted", f"member {entry.name[:120]!r} is encrypted")
    start = data_offset(reader, entry)
    if entry.method == 0:
        if offset >= entry.compressed_size:
            return b""
        n = min(limit, entry.compressed_size - offset)
        return reader.read(start + offset, n)
    if entry.method == 8:
        want = offset + limit
        d = zlib.decompressobj(-15)
        out = bytearray()
        pos = 0
        while len(out) < want and pos < entry.compressed_size:
            n = min(64 * 1024, entry.compressed_size - pos, reader.remaining)
            if n <= 0:
                break
            chunk = reader.read(start + pos, n)
            pos += n
            try:
                out += d.decompress(d.unconsumed_tail + chunk, want - len(out))
            except zlib.error as exc:
                raise Incomplete("malformed", f"bad deflate data in {entry.name[:120]!r}: {exc}") from None
        return bytes(out[offset:want])
    raise Incomplete("unsupported", f"compression method {entry.method} for {entry.name[:120]!r}")
