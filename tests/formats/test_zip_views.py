"""Zip: the central directory and the local headers are both read and reconciled (formats/zip.py,
formats/zip_local.py). Tampering with the end record or the central directory never hides a member: every
member either view names is listed by the resolver and inspected, and a disagreement is TG-ZIP-006 (high).
Archives are built byte for byte here (zipfile, then edited; or written by hand for descriptor variants)."""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib

import pytest

from tests.inspect.inspect_builders import make_zip, rules_at, run, stack_global
from tierguard.formats import zip_local
from tierguard.formats.source import BytesSource
from tierguard.formats.zip import read_members, read_zip
from tierguard.targets.archive import expand
from tierguard.targets.memory import MemoryResolver

EVIL = stack_global("os", "system")


def _cd_entries(z: bytes) -> list[int]:
    out, i = [], z.find(b"PK\x01\x02")
    while i >= 0:
        out.append(i)
        nlen, elen, clen = struct.unpack_from("<HHH", z, i + 28)
        i = i + 46 + nlen + elen + clen
        if z[i : i + 4] != b"PK\x01\x02":
            break
    return out


def _tamper(z: bytes, case: str) -> bytes:
    """The edits of issue 11: the local headers and the malicious member stay intact."""
    e = z.rfind(b"PK\x05\x06")
    b = bytearray(z)
    if case == "count-0":
        b[e + 8 : e + 12] = b"\0\0\0\0"  # entries on this disk, entries in all
    elif case == "cd-size-0":
        b[e + 12 : e + 16] = struct.pack("<I", 0)
    elif case == "cd-size-7":
        b[e + 12 : e + 16] = struct.pack("<I", 7)
    elif case == "csize-0":
        for i in _cd_entries(z):
            nlen = struct.unpack_from("<H", z, i + 28)[0]
            if z[i + 46 : i + 46 + nlen].endswith(b".pkl"):
                b[i + 20 : i + 24] = b"\0\0\0\0"
    elif case == "no-end-record":
        del b[e:]
    return bytes(b)


CASES = ["count-0", "cd-size-0", "cd-size-7", "csize-0", "no-end-record"]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("deflate", [False, True])
def test_pytorch_zip_tampered_never_clean(case: str, deflate: bool) -> None:
    z = make_zip({"archive/data.pkl": EVIL, "archive/version": b"3\n"}, deflate=deflate)
    out = run({"m.pt": _tamper(z, case)})
    got = {r for r, _ in rules_at(out, "m.pt")}
    assert "TG-PKL-001" in got and "TG-ZIP-006" in got, (case, got)
    assert all(i.status != "clean" for i in out.inspections)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("deflate", [False, True])
def test_generic_zip_tampered_never_clean(case: str, deflate: bool) -> None:
    z = make_zip({"readme.txt": b"hello", "x.pkl": EVIL}, deflate=deflate)
    out = run({"g.zip": _tamper(z, case)})
    assert "TG-ZIP-006" in {r for r, _ in rules_at(out, "g.zip")}
    evil = [f for f in out.findings if f.rule_id == "TG-PKL-001"]
    assert evil and all(f.location.member and f.location.member.startswith("x.pkl") for f in evil)
    assert not any(i.status == "clean" and i.location.member is None for i in out.inspections)


def test_untampered_zips_have_no_disagreement() -> None:
    for deflate in (False, True):
        z = make_zip({"archive/data.pkl": EVIL, "archive/version": b"3\n"}, deflate=deflate)
        lst = read_zip(BytesSource(z))
        assert lst.disagreements == [] and lst.problems == []
        assert [m.address for m in lst.members] == ["archive/data.pkl", "archive/version"]
        assert all(m.view == "both" for m in lst.members)


def _drop_cd_entry(z: bytes, name: bytes) -> bytes:
    """Remove one central directory entry and fix the end record (count, size), so the end record and the
    central directory agree with each other and only the local headers still show the member."""
    e = z.rfind(b"PK\x05\x06")
    starts = _cd_entries(z)
    ends = [*starts[1:], e]
    for s, t in zip(starts, ends, strict=True):
        nlen = struct.unpack_from("<H", z, s + 28)[0]
        if z[s + 46 : s + 46 + nlen] == name:
            b = bytearray(z[:s] + z[t:])
            e2 = e - (t - s)
            count, size = struct.unpack_from("<HI", b, e2 + 10)
            struct.pack_into("<HHI", b, e2 + 8, count - 1, count - 1, size - (t - s))
            return bytes(b)
    raise AssertionError(name)


def test_member_only_in_local_headers_is_listed_and_inspected() -> None:
    z = _drop_cd_entry(make_zip({"a.txt": b"fine", "x.pkl": EVIL, "b.txt": b"ok"}), b"x.pkl")
    assert [i.filename for i in zipfile.ZipFile(io.BytesIO(z)).infolist()] == ["a.txt", "b.txt"]
    lst = read_zip(BytesSource(z))
    assert [(m.address, m.view) for m in lst.members][-1] == ("x.pkl", "local")
    assert any(s == "local-only@x.pkl" for s, _ in lst.disagreements)
    res = expand(MemoryResolver({"g.zip": z}))
    assert "x.pkl" in {r.member for r in res.files()}
    out = run({"g.zip": z})
    assert ("TG-PKL-001", "os.system") in rules_at(out, "g.zip")
    assert ("TG-ZIP-006", "local-only@x.pkl") in rules_at(out, "g.zip")


def test_pytorch_member_only_in_local_headers() -> None:
    z = make_zip({"archive/version": b"3\n", "archive/data.pkl": EVIL})
    out = run({"m.pt": _drop_cd_entry(z, b"archive/data.pkl")})
    got = rules_at(out, "m.pt")
    assert ("TG-PKL-001", "os.system") in got and ("TG-ZIP-006", "local-only@archive/data.pkl") in got


def test_duplicate_names_both_inspected() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf, pytest.warns(UserWarning):
        zf.writestr("x.pkl", stack_global("collections", "OrderedDict"))
        zf.writestr("x.pkl", EVIL)
    z = buf.getvalue()
    lst = read_zip(BytesSource(z))
    assert [m.address for m in lst.members] == ["x.pkl", f"x.pkl@{lst.members[1].header_offset}"]
    out = run({"d.zip": z})
    assert ("TG-PKL-001", "os.system") in rules_at(out, "d.zip")
    assert ("TG-ZIP-006", "duplicate@x.pkl") in rules_at(out, "d.zip")


def test_header_field_disagreements() -> None:
    z = make_zip({"x.pkl": EVIL})
    cd = z.rfind(b"PK\x01\x02")
    for field_off, what in ((16, "CRC"), (24, "size"), (10, "method")):
        b = bytearray(z)
        b[cd + field_off] ^= 0x01
        msgs = [m for _, m in read_zip(BytesSource(bytes(b))).disagreements]
        assert any(what in m for m in msgs), (what, msgs)
    b = bytearray(z)
    b[cd + 8] |= 0x40  # strong-encryption flag in the central directory only
    assert any("flags" in m for _, m in read_zip(BytesSource(bytes(b))).disagreements)


def test_central_directory_pointing_elsewhere_is_flagged() -> None:
    z = make_zip({"a.txt": b"x" * 100, "x.pkl": EVIL})
    b = bytearray(z)
    cd = _cd_entries(z)[1]
    struct.pack_into("<I", b, cd + 42, 10)  # local header offset into a.txt's data
    lst = read_zip(BytesSource(bytes(b)))
    assert any(s == "offset@x.pkl" for s, _ in lst.disagreements)
    assert any(s == "local-only@x.pkl" for s, _ in lst.disagreements)
    assert ("TG-PKL-001", "os.system") in rules_at(run({"o.zip": bytes(b)}), "o.zip")


def test_name_mismatch_stays_zip_002() -> None:
    z = bytearray(make_zip({"x.pkl": EVIL}))
    z[30:35] = b"y.txt"  # the local header's name
    out = run({"n.zip": bytes(z)})
    assert ("TG-ZIP-002", "y.txt|x.pkl") in rules_at(out, "n.zip")
    assert ("TG-PKL-001", "os.system") in rules_at(out, "n.zip")


# -- data descriptors, zip64, prefixes: real writers agree with themselves -----------------------------


class _Unseekable(io.RawIOBase):
    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: bytes) -> int:  # type: ignore[override]
        self.data += b
        return len(b)


def _writers() -> dict[str, bytes]:
    out = {}
    for name, method in (("stored", zipfile.ZIP_STORED), ("deflated", zipfile.ZIP_DEFLATED)):
        out[name] = make_zip({"a/b.txt": b"x" * 5000, "x.pkl": EVIL, "d/": b""}, deflate=method == 8)
        s = _Unseekable()  # an unseekable stream: flag 0x8, signed data descriptors
        with zipfile.ZipFile(s, "w", method) as zf:
            zf.writestr("a.txt", b"y" * 3000)
            with zf.open("big.bin", "w", force_zip64=True) as fh:  # zip64 descriptor (8-byte sizes)
                fh.write(bytes(range(256)) * 20)
            zf.writestr("x.pkl", EVIL)
        out[f"stream-{name}"] = bytes(s.data)
    out["prefixed"] = b"#!/bin/sh\nexit 0\n" + b"\x7fELF" * 100 + out["deflated"]  # self-extractor layout
    return out


@pytest.mark.parametrize("name", list(_writers()))
def test_real_writers_reconcile_cleanly(name: str) -> None:
    z = _writers()[name]
    lst = read_zip(BytesSource(z))
    assert lst.problems == [] and lst.disagreements == []
    assert [m.name for m in lst.members] == zipfile.ZipFile(io.BytesIO(z)).namelist()
    for m in lst.members:  # the reading each member gets is the one zipfile gets
        if not m.is_dir:
            assert m.view == "both"
            data = z[m.data_offset : m.data_offset + m.csize]
            raw = data if m.method == 0 else zlib.decompress(data, -15)
            assert raw == zipfile.ZipFile(io.BytesIO(z)).read(m.name)


@pytest.mark.parametrize("name", ["stream-stored", "stream-deflated", "deflated"])
def test_walk_alone_recovers_every_member(name: str) -> None:
    """Central directory and end record cut off: descriptors (signed, zip64) still delimit every member."""
    z = _writers()[name]
    cut = z[: _cd_entries(z)[0]]
    lst = read_zip(BytesSource(cut))
    assert [m.name for m in lst.members] == zipfile.ZipFile(io.BytesIO(z)).namelist()
    assert {m.view for m in lst.members} == {"local"}
    assert lst.problems and any(s == "end-record" for s, _ in lst.disagreements)
    out = run({"c.zip": cut})
    assert ("TG-PKL-001", "os.system") in rules_at(out, "c.zip")


def _hand_zip(members: list[tuple[str, bytes]], *, signed: bool, wide: bool) -> bytes:
    """Deflated members with flag 0x8 and zero sizes in the local header, each followed by a data
    descriptor: with or without its signature, 4- or 8-byte sizes."""
    out, cd = bytearray(), bytearray()
    for name, data in members:
        comp = zlib.compressobj(9, 8, -15)
        c = comp.compress(data) + comp.flush()
        crc = zlib.crc32(data)
        off = len(out)
        nb = name.encode()
        out += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 45, 8, 8, 0, 0, 0, 0, 0, len(nb), 0) + nb + c
        out += (b"PK\x07\x08" if signed else b"") + struct.pack(
            "<IQQ" if wide else "<III", crc, len(c), len(data)
        )
        cd += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 45, 45, 8, 8, 0, 0, crc, len(c), len(data),
                          len(nb), 0, 0, 0, 0, 0, off) + nb  # fmt: skip
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members), len(cd), len(out), 0)
    return bytes(out + cd + end)


@pytest.mark.parametrize("signed", [True, False])
@pytest.mark.parametrize("wide", [False, True])
def test_descriptor_variants(signed: bool, wide: bool) -> None:
    mem = [("a.txt", b"hello " * 500), ("x.pkl", EVIL), ("c.bin", bytes(range(256)) * 8)]
    z = _hand_zip(mem, signed=signed, wide=wide)
    lst = read_zip(BytesSource(z))
    assert lst.disagreements == [] and [m.view for m in lst.members] == ["both"] * 3
    cut = z[: z.find(b"PK\x01\x02")]
    walked = read_zip(BytesSource(cut))
    assert [(m.name, m.csize, m.usize) for m in walked.members] == [
        (m.name, m.csize, m.usize) for m in lst.members
    ]
    assert ("TG-PKL-001", "os.system") in rules_at(run({"c.zip": cut}), "c.zip")


def test_search_budget_exhausted_is_a_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    z = _hand_zip([("a.bin", random.Random(3).randbytes(300_000)), ("x.pkl", EVIL)], signed=False, wide=False)
    cut = z[: z.find(b"PK\x01\x02")]
    monkeypatch.setattr(zip_local, "SEARCH_BUDGET", 64 * 1024)
    lst = read_zip(BytesSource(cut))
    assert any("search budget" in p for p in lst.problems)


def test_identify_fast_path_falls_back_to_both_views() -> None:
    z = make_zip({"archive/data.pkl": EVIL, "archive/version": b"3\n"})
    assert [m.name for m in read_members(BytesSource(z), local_headers=False)[0]] == [
        "archive/data.pkl", "archive/version"
    ]  # fmt: skip
    tampered = _tamper(z, "count-0")
    assert [m.name for m in read_members(BytesSource(tampered), local_headers=False)[0]] == [
        "archive/data.pkl", "archive/version"
    ]  # fmt: skip


def test_mutations_never_raise() -> None:
    base = [_writers()["stream-deflated"], _hand_zip([("x.pkl", EVIL)], signed=False, wide=True)]
    rnd = random.Random(11)
    for i in range(600):
        b = bytearray(base[i % 2])
        for _ in range(rnd.randint(1, 4)):
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        if i % 5 == 0:
            del b[rnd.randrange(len(b)) :]
        lst = read_zip(BytesSource(bytes(b)))
        assert len({m.address for m in lst.members}) == len(lst.members)


def test_identify_bounded_reader_reads_a_tampered_zip() -> None:
    """identify reads through a BoundedReader, which refuses reads past the file: the signature search
    must stay inside it."""
    from tierguard.formats.source import BoundedReader

    z = _hand_zip([("archive/data.pkl", EVIL), ("archive/version", b"3\n")], signed=False, wide=False)
    cut = z[: z.find(b"PK\x01\x02")]  # descriptors without signature, no central directory: a search
    res = MemoryResolver({"m.pt": cut})
    ref = next(iter(res.files()))
    members, problems = read_members(BoundedReader(res, ref), local_headers=False)
    assert [m.name for m in members] == ["archive/data.pkl", "archive/version"] and problems
