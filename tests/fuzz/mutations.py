"""Mutations: each takes (rng, seed) and returns a :class:`Mutant` -- the new bytes, a replayable
description, and whether the seed's protected ranges survived (``intact``, see seeds.py).

Kinds: ``truncate``, ``bitflip``, ``insert``, ``delete``, ``zip-local`` / ``zip-cd`` / ``zip-eocd`` (a field
of a local header, central-directory entry or end record: counts, sizes, offsets, names, flags, method,
CRC), ``zip-meta`` (2-4 central-directory / end-record fields at once), ``tar-header`` (size, type, name,
checksum, magic of a header block), ``tar-eof`` (end-of-archive blocks before a member), ``stack`` (up to
200 benign pickles before or after a raw malicious one) and ``bomb`` (a deflate / gzip / nested zip / 7z
compression bomb of zeros next to a malicious member, or of NONE/POP opcodes before the payload's import)."""

from __future__ import annotations

import random
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass

from tests.fuzz.seeds import Range, Seed, benign_pickle, make_7z, make_tar, make_zip, malicious_pickle

MiB = 1024 * 1024


@dataclass(frozen=True)
class Mutant:
    data: bytes
    kind: str
    detail: str  # enough to see what happened; the (run seed, case index) pair replays it exactly
    intact: bool
    name: str | None = None  # a new file name (bombs)


def _untouched(ranges: tuple[Range, ...], lo: int, hi: int) -> bool:
    """No byte of [lo, hi) lies inside a protected range."""
    return all(hi <= a or lo >= b for a, b in ranges)


def _insert_ok(s: Seed, pos: int, n: int) -> bool:
    """An insertion of ``n`` bytes at ``pos`` moves a range whole unless it falls strictly inside it; in an
    anchored seed (a raw pickle: loaders read from byte 0) an insertion before a range breaks it too, in a
    tar one that is not whole blocks."""
    shift_ok = not s.anchored and n % s.align == 0
    return all((pos <= a and shift_ok) or pos >= b for a, b in s.protected)


def truncate(rng: random.Random, s: Seed) -> Mutant:
    n = rng.randrange(len(s.data)) if rng.random() < 0.7 else len(s.data) - rng.randrange(1, 9)
    n = max(0, n)
    return Mutant(s.data[:n], "truncate", f"cut at {n} of {len(s.data)}", _untouched(s.protected, n, 1 << 62))


def bitflip(rng: random.Random, s: Seed) -> Mutant:
    b = bytearray(s.data)
    spots = sorted({rng.randrange(len(b)) for _ in range(rng.choice((1, 1, 2, 4, 8)))})
    for i in spots:
        b[i] ^= 1 << rng.randrange(8)
    ok = all(_untouched(s.protected, i, i + 1) for i in spots)
    return Mutant(bytes(b), "bitflip", f"bits at {spots[:8]}", ok)


def insert(rng: random.Random, s: Seed) -> Mutant:
    pos = rng.randrange(len(s.data) + 1)
    n = rng.choice((1, 1, 2, 7, 64, 513))
    filler = rng.choice((bytes(n), rng.randbytes(n), b"PK\x03\x04" * (n // 4 + 1), b"." * n))[:n]
    return Mutant(
        s.data[:pos] + filler + s.data[pos:], "insert", f"{n} bytes at {pos}", _insert_ok(s, pos, n)
    )


def delete(rng: random.Random, s: Seed) -> Mutant:
    a = rng.randrange(len(s.data))
    b = min(len(s.data), a + rng.choice((1, 1, 2, 8, 64, 512)))
    ok = _untouched(s.protected, a, b) and ((b - a) % s.align == 0 or all(a >= hi for _, hi in s.protected))
    return Mutant(s.data[:a] + s.data[b:], "delete", f"[{a}, {b})", ok)


# ---- zip fields -------------------------------------------------------------------------------------------

_ZIP_FIELDS = {
    b"PK\x03\x04": ("zip-local", {"flags": (6, 2), "method": (8, 2), "crc": (14, 4), "csize": (18, 4),
                    "usize": (22, 4), "namelen": (26, 2), "extralen": (28, 2), "name": (30, 0)}),
    b"PK\x01\x02": ("zip-cd", {"flags": (8, 2), "method": (10, 2), "crc": (16, 4), "csize": (20, 4),
                    "usize": (24, 4), "namelen": (28, 2), "extralen": (30, 2), "commentlen": (32, 2),
                    "offset": (42, 4), "name": (46, 0)}),
    b"PK\x05\x06": ("zip-eocd", {"disk": (4, 2), "entries_disk": (8, 2), "entries": (10, 2),
                                 "cd_size": (12, 4), "cd_offset": (16, 4), "commentlen": (20, 2)}),
}  # fmt: skip
_SIG = re.compile(rb"PK\x03\x04|PK\x01\x02|PK\x05\x06")


def _new_value(rng: random.Random, old: int, size: int) -> int:
    top = (1 << (8 * size)) - 1
    v = rng.choice((0, 1, 7, old + 1, old - 1, old * 2, top, rng.randrange(top + 1), old ^ 0x1, old ^ 0x8))
    return v & top


def _edit_zip_field(rng: random.Random, b: bytearray, at: int) -> tuple[str, int, int, str] | None:
    """Edit one field of the record at ``at`` in place: (record kind, lo, hi, what)."""
    kind, fields = _ZIP_FIELDS[bytes(b[at : at + 4])]
    name = rng.choice(sorted(fields))
    off, size = fields[name]
    if name == "name":
        nlen_off = 26 if kind == "zip-local" else 28
        (nlen,) = struct.unpack("<H", b[at + nlen_off : at + nlen_off + 2])
        if nlen == 0 or at + off + nlen > len(b):
            return None
        i = at + off + rng.randrange(nlen)
        b[i] = rng.choice(b"/\\.\x00xA")
        return kind, i, i + 1, f"name byte {i - at - off} -> {b[i]:#x}"
    lo, hi = at + off, at + off + size
    if hi > len(b):
        return None
    old = int.from_bytes(b[lo:hi], "little")
    new = _new_value(rng, old, size)
    b[lo:hi] = new.to_bytes(size, "little")
    return kind, lo, hi, f"{name} {old} -> {new}"


def zip_field(rng: random.Random, s: Seed) -> Mutant | None:
    """One field of one record (kind zip-local / zip-cd / zip-eocd), or 2-4 fields of central-directory and
    end records at once (zip-meta: several counts, sizes and offsets edited together)."""
    sites = [m.start() for m in _SIG.finditer(s.data)]
    if not sites:
        return None
    b = bytearray(s.data)
    multi = rng.random() < 0.25
    if multi:
        sites = [a for a in sites if s.data[a : a + 4] != b"PK\x03\x04"]
        if not sites:
            return None
    edits = [_edit_zip_field(rng, b, rng.choice(sites)) for _ in range(rng.randint(2, 4) if multi else 1)]
    done = [e for e in edits if e is not None]
    if not done:
        return None
    kind = "zip-meta" if multi else done[0][0]
    ok = all(_untouched(s.protected, lo, hi) for _, lo, hi, _ in done)
    return Mutant(bytes(b), kind, "; ".join(f"{k} at {lo}: {w}" for k, lo, _, w in done), ok)


# ---- tar fields -------------------------------------------------------------------------------------------

_TAR_FIELDS = {"name": (0, 100), "size": (124, 12), "chksum": (148, 8), "type": (156, 1), "magic": (257, 6)}


def _tar_headers(data: bytes) -> list[int]:
    """Offsets of ustar header blocks (also of a tar stored inside a zip, hence not only 512-aligned)."""
    return [m.start() - 257 for m in re.finditer(b"ustar", data) if 257 <= m.start() <= len(data) - 255]


def _octal(n: int, width: int) -> bytes:
    return f"{n:0{width - 1}o}".encode()[-(width - 1) :] + b"\x00"


def _fix_checksum(b: bytearray, at: int) -> None:
    b[at + 148 : at + 156] = b" " * 8
    b[at + 148 : at + 156] = _octal(sum(b[at : at + 512]), 7) + b" "


def tar_header(rng: random.Random, s: Seed) -> Mutant | None:
    heads = _tar_headers(s.data)
    if not heads:
        return None
    at = rng.choice(heads)
    name = rng.choice(sorted(_TAR_FIELDS))
    off, width = _TAR_FIELDS[name]
    b = bytearray(s.data)
    if name == "size":
        old = int(bytes(b[at + 124 : at + 135]).strip(b"\x00 ") or b"0", 8)
        new = rng.choice((0, 1, old - 1, old + 1, old + 512, old * 3, 8**11 - 1, rng.randrange(1 << 20)))
        val = _octal(max(0, new), 12) if rng.random() < 0.9 else b"\x80" + max(0, new).to_bytes(11, "big")
        b[at + 124 : at + 136] = val
        what = f"size {old} -> {max(0, new)}"
    elif name == "type":
        b[at + 156] = rng.choice(b"0125LKxgSDV\x00")
        what = f"type -> {bytes([b[at + 156]])!r}"
    elif name == "name":
        i = at + rng.randrange(100)
        b[i] = rng.choice(b"/\\.\x00xA")
        what = f"name byte {i - at}"
    else:
        i = at + off + rng.randrange(width)
        b[i] ^= 1 << rng.randrange(8)
        what = f"{name} byte {i - at} flipped"
    if name != "chksum" and rng.random() < 0.8:
        _fix_checksum(b, at)
    return Mutant(bytes(b), "tar-header", f"header at {at}: {what}", _untouched(s.protected, at, at + 512))


def tar_eof(rng: random.Random, s: Seed) -> Mutant | None:
    """End-of-archive blocks (two zero blocks) inserted before a member header: readers that stop there miss
    every member after it."""
    heads = _tar_headers(s.data)
    if not heads:
        return None
    at = rng.choice(heads)
    n = rng.choice((2, 2, 3))
    data = s.data[:at] + bytes(512 * n) + s.data[at:]
    return Mutant(data, "tar-eof", f"{n} zero blocks before the header at {at}", _insert_ok(s, at, 512 * n))


# ---- stacking and bombs ------------------------------------------------------------------------------------


def stack(rng: random.Random, s: Seed) -> Mutant | None:
    if not s.raw_pickle:
        return None
    n = rng.choice((1, 3, 63, 64, 65, 66, 100, 200))
    proto = rng.choice((0, 2, 4, 5))
    where = rng.choice(("before", "before", "after"))
    filler = benign_pickle(proto) * n
    data = filler + s.data if where == "before" else s.data + filler
    return Mutant(data, "stack", f"{n} benign protocol-{proto} pickles {where}", True)


def bomb(rng: random.Random, s: Seed, size: int) -> Mutant | None:
    """A compression bomb of ``size`` bytes (zeros, or NONE/POP opcodes before the payload's import) next to,
    after or around a malicious raw pickle."""
    if not (s.raw_pickle and s.malicious):
        return None
    form = rng.choice(("zip", "member", "nested", "tgz", "7z", "opcodes", "opcodes-tgz"))
    zeros = bytes(size)
    if form.startswith("opcodes"):  # a pickle whose import follows millions of NONE/POP opcodes
        mal = malicious_pickle(rng.choice((0, 2)), rng.randrange(3))
        body = mal[2:] if mal[:1] == b"\x80" else mal
        big = mal[:2] * (mal[:1] == b"\x80") + b"N0" * (size // 2) + body
        if form == "opcodes":
            data, name = make_zip({"model.pkl": big}, deflate=True), "bomb_opcodes.zip"
        else:
            data, name = make_tar({"model.pkl": big}, "w:gz"), "bomb_opcodes.tar.gz"
        return Mutant(data, "bomb", f"{form}: {size // MiB} MiB of NONE/POP, {len(data)} bytes", True, name)
    if form == "zip":
        data, name = make_zip({"a.bin": zeros}, deflate=True), "bomb.zip"
        data = _append_member(data, "model.pkl", s.data)
    elif form == "member":  # the payload first, then the zeros, in one deflated member: CRC needs all of it
        data, name = make_zip({"model.pkl": s.data + zeros}, deflate=True), "bomb_member.zip"
    elif form == "nested":
        inner = make_zip({"a.bin": zeros, "model.pkl": s.data}, deflate=True)
        data, name = make_zip({"inner.zip": inner, "z.txt": b"z"}), "bomb_nested.zip"
    elif form == "tgz":
        data, name = make_tar({"a.bin": zeros, "model.pkl": s.data}, "w:gz"), "bomb.tar.gz"
    else:
        got = make_7z({"a.bin": zeros, "model.pkl": s.data})
        if got is None:
            return None
        data, name = got, "bomb.7z"
    return Mutant(data, "bomb", f"{form}: {size // MiB} MiB of zeros, {len(data)} bytes", True, name)


def _append_member(zip_bytes: bytes, name: str, data: bytes) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO(zip_bytes)
    with zipfile.ZipFile(buf, "a") as z:
        z.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), data)  # stored
    return buf.getvalue()


Mutator = Callable[[random.Random, Seed], "Mutant | None"]
GENERIC: dict[str, Mutator] = {"truncate": truncate, "bitflip": bitflip, "insert": insert, "delete": delete}
STRUCTURAL: dict[str, Mutator] = {"zip": zip_field, "tar": tar_header, "tar-eof": tar_eof, "stack": stack}
