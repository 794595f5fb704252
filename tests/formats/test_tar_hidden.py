"""Tar: no member hidden by the layout (formats/tar.py). Members after end-of-archive zero blocks or an
unreadable block are read and flagged TG-TAR-001 (high); GNU long names and PAX paths name the member;
sparse members are listed and incomplete; members of unknown type are read as files."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest

from tests.inspect.inspect_builders import make_tar, rules_at, run, stack_global, status
from tierguard.formats.source import BytesSource
from tierguard.formats.tar import read_tar, read_tar_gz
from tierguard.targets.archive import expand
from tierguard.targets.memory import MemoryResolver

EVIL = stack_global("os", "system")
BENIGN = stack_global("collections", "OrderedDict")


def _tar(members: list[tuple[str, bytes]], fmt: int = tarfile.GNU_FORMAT, **pax: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt, pax_headers=pax or None) as t:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def _header(name: str, size: int, typ: bytes) -> bytearray:
    ti = tarfile.TarInfo(name)
    ti.size = size
    ti.type = typ
    return bytearray(ti.tobuf(format=tarfile.GNU_FORMAT))


def _checksum(h: bytearray) -> None:
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h[:512])


def _pad(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 512)


def _after_eoa(mode: str) -> bytes:
    """A benign tar (closed: two zero blocks and padding), then a second tar's malicious member."""
    first = _tar([("ok.txt", b"fine")])
    second = _tar([("evil.pkl", EVIL)])
    if mode == "garbage":  # an unreadable block instead of the end-of-archive marker
        first = first[:1024] + b"\xab" * 512
    return first + second


@pytest.mark.parametrize("mode", ["zeros", "garbage"])
def test_member_after_end_of_archive_is_read_and_flagged(mode: str) -> None:
    data = _after_eoa(mode)
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:  # what a reader stopping at the marker sees
        assert [m.name for m in tf.getmembers()] == ["ok.txt"]
    lst = read_tar(BytesSource(data))
    assert [m.name for m in lst.members] == ["ok.txt", "evil.pkl"]
    assert [a for a, _ in lst.hidden] == ["evil.pkl"]
    out = run({"h.tar": data})
    got = rules_at(out, "h.tar")
    assert ("TG-PKL-001", "os.system") in got
    assert any(r == "TG-TAR-001" for r, _ in got)
    f = next(f for f in out.findings if f.rule_id == "TG-TAR-001")
    assert f.severity == "high" and f.location.member == "evil.pkl"


def test_member_after_end_of_archive_in_tar_gz() -> None:
    data = gzip.compress(_after_eoa("zeros"))
    lst = read_tar_gz(BytesSource(data), limit=1 << 24, member_keep=1 << 20, keep_total=1 << 22)
    assert [m.name for m in lst.members] == ["ok.txt", "evil.pkl"]
    assert [a for a, _ in lst.hidden] == ["evil.pkl"]
    out = run({"h.tar.gz": data})
    got = rules_at(out, "h.tar.gz")
    assert ("TG-PKL-001", "os.system") in got and any(r == "TG-TAR-001" for r, _ in got)


def test_normal_tars_have_nothing_hidden() -> None:
    for fmt in (tarfile.GNU_FORMAT, tarfile.PAX_FORMAT, tarfile.USTAR_FORMAT):
        data = _tar([("a/b.txt", b"x" * 3000), ("c.pkl", BENIGN), ("d", b"")], fmt)
        lst = read_tar(BytesSource(data))
        assert lst.hidden == [] and lst.problems == []
        assert [m.name for m in lst.members] == ["a/b.txt", "c.pkl", "d"]
        gz = read_tar_gz(
            BytesSource(gzip.compress(data)), limit=1 << 24, member_keep=1 << 20, keep_total=1 << 22
        )
        assert gz.hidden == [] and gz.problems == [] and [m.data for m in gz.members][1] == BENIGN


def test_gnu_long_name() -> None:
    long = "deep/" * 30 + "model.pkl"
    data = _tar([(long, EVIL)], tarfile.GNU_FORMAT)
    assert b"././@LongLink" in data
    out = run({"l.tar": data})
    f = next(f for f in out.findings if f.rule_id == "TG-PKL-001")
    assert f.location.member == long


def test_pax_path_names_the_member() -> None:
    # ustar name field says "decoy.txt"; the PAX header's path= is what extractors use
    data = bytearray(_tar([("decoy.txt", EVIL)], tarfile.PAX_FORMAT))
    pax_body = b"28 path=weights/payload.pkl\n"
    hdr = _header("././@PaxHeader", len(pax_body), tarfile.XHDTYPE)
    _checksum(hdr)
    data = bytes(hdr) + _pad(pax_body) + bytes(data)
    lst = read_tar(BytesSource(data))
    assert [m.name for m in lst.members] == ["weights/payload.pkl"]
    f = next(f for f in run({"p.tar": data}).findings if f.rule_id == "TG-PKL-001")
    assert f.location.member == "weights/payload.pkl"


def test_pax_global_path_duplicates_are_all_inspected() -> None:
    g_body = b"17 path=same.pkl\n"
    g = _header("pax_global_header", len(g_body), tarfile.XGLTYPE)
    _checksum(g)
    rest = _tar([("a.pkl", BENIGN), ("b.pkl", EVIL)], tarfile.USTAR_FORMAT)
    data = bytes(g) + _pad(g_body) + rest
    lst = read_tar(BytesSource(data))
    assert [m.name for m in lst.members] == ["same.pkl", "same.pkl"]
    assert len({m.address for m in lst.members}) == 2
    refs = {r.member for r in expand(MemoryResolver({"g.tar": data})).files() if r.member}
    assert len(refs) == 2
    assert ("TG-PKL-001", "os.system") in rules_at(run({"g.tar": data}), "g.tar")


def _sparse_tar(payload: bytes) -> bytes:
    """An old-GNU sparse member: one data chunk of ``payload`` at offset 4096 of a 8192-byte file."""
    h = _header("sparse.pkl", len(payload), tarfile.GNUTYPE_SPARSE)
    h[386:398] = b"%011o\0" % 4096  # sparse[0].offset
    h[398:410] = b"%011o\0" % len(payload)  # sparse[0].numbytes
    h[482] = 0  # isextended
    h[483:495] = b"%011o\0" % 8192  # realsize
    _checksum(h)
    return bytes(h) + _pad(payload) + _tar([("after.txt", b"x")])


def test_sparse_member_is_incomplete_not_skipped() -> None:
    data = _sparse_tar(EVIL)
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        assert tf.getmembers()[0].issparse()
    lst = read_tar(BytesSource(data))
    m = lst.members[0]
    assert m.name == "sparse.pkl" and m.sparse and not m.complete
    assert any("sparse" in p for p in lst.problems)
    assert [x.name for x in lst.members] == ["sparse.pkl", "after.txt"]
    out = run({"s.tar": data})
    assert status(out, "s.tar") == "incomplete"
    member = next(i for i in out.inspections if i.location.member == "sparse.pkl")
    assert member.status != "clean"
    gz = read_tar_gz(BytesSource(gzip.compress(data)), limit=1 << 24, member_keep=1 << 20, keep_total=1 << 22)
    assert gz.members[0].sparse and not gz.members[0].complete


def test_unknown_type_member_is_read_as_a_file() -> None:
    h = _header("odd.pkl", len(EVIL), b"Z")
    _checksum(h)
    data = bytes(h) + _pad(EVIL) + b"\0" * 1024
    assert [m.name for m in read_tar(BytesSource(data)).members] == ["odd.pkl"]
    assert ("TG-PKL-001", "os.system") in rules_at(run({"u.tar": data}), "u.tar")


def test_make_tar_builder_still_clean() -> None:
    out = run({"c.tar": make_tar({"m/data.pkl": BENIGN})})
    assert not any(f.rule_id == "TG-TAR-001" for f in out.findings)


def test_a_garbled_last_header_is_never_clean(tmp_path: Path) -> None:
    """The last member's header checksum broken: tar tools skip it with an error ("Skipping to next
    header"); tarfile skips it silently. What follows the last readable member must be zero padding, or the
    archive is incomplete (found by the fuzzer: a bad header block was skipped and the archive said clean)."""
    from tierguard.inspect.gate import exit_code
    from tierguard.model import Context
    from tierguard.scanner import INSPECT_VIEW, Scanner

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        for name, data in (("ok.txt", b"hello\n"), ("evil.pkl", b"cos\nsystem\n(S'id'\ntR.")):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    raw = bytearray(buf.getvalue())
    second = raw.index(b"evil.pkl")  # the second header starts with its name
    raw[second + 148 : second + 156] = b"0000000\x00"  # a wrong checksum: the header is unreadable
    path = tmp_path / "bundle.tar"
    path.write_bytes(bytes(raw))
    result = Scanner().scan(path, Context(), options=INSPECT_VIEW)
    assert all(i.status != "clean" for i in result.inspections if i.location.member is None)
    assert exit_code(result) == 1
