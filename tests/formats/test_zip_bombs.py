"""Bounded decompression (issue 11 item 3): every decompression streams within a byte budget and a ratio
limit (formats/inflate.py; zip members, gzip/tar.gz, nested archives; 7z by declared sizes and a bounded
extraction). The bombs are built here by streaming zlib (a fully flushed block repeated, so building a
GiB bomb takes milliseconds) and kept small: each returns within seconds as incomplete or a finding, never
clean, and a child process inspecting them stays under 200 MB peak RSS."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import tarfile
import time
import zlib
from pathlib import Path

import pytest

from tests.inspect.inspect_builders import run
from tierguard.formats.inflate import MAX_RATIO, Inflater, inflate_all
from tierguard.formats.source import BytesSource
from tierguard.formats.zip import MemberSource, read_zip

MIB = 1024 * 1024
# valid pickle opcodes (NONE POP, BININT1 POP): what a walker must step through one by one
OPS_UNIT = b"N0" * 10 + b"K\x070" + b"N0" * 2


def _repeat_deflate(
    unit: bytes, total: int, *, head: bytes = b"", tail: bytes = b""
) -> tuple[bytes, int, int]:
    """Raw deflate of head + unit* + tail (total bytes of units), built from one fully flushed block
    repeated; returns (compressed, crc32, size)."""
    block = unit * max(1, MIB // len(unit))
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    body = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    n = total // len(block)
    end = c.compress(tail) + c.flush()
    crc = zlib.crc32(head)
    for _ in range(n):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    return first + body * n + end, crc, len(head) + n * len(block) + len(tail)


def _zip_one(name: str, comp: bytes, crc: int, usize: int) -> bytes:
    nb = name.encode()
    lh = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(comp), usize, len(nb), 0) + nb
    cd = struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(comp), usize,
                     len(nb), 0, 0, 0, 0, 0, 0) + nb  # fmt: skip
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(cd), len(lh) + len(comp), 0)
    return lh + comp + cd + end


def opcode_bomb(name: str) -> bytes:
    """~650 KB zip whose member is a 256 MiB pickle of NONE/POP opcodes ending in an os.system call."""
    tail = b"\x8c\x02os\x8c\x06system\x93\x8c\x02id\x85R."
    comp, crc, size = _repeat_deflate(OPS_UNIT, 256 * MIB, head=b"\x80\x04", tail=tail)
    return _zip_one(name, comp, crc, size)


def zeros_bomb(name: str) -> bytes:
    comp, crc, size = _repeat_deflate(b"\0" * 4096, 1024 * MIB)
    return _zip_one(name, comp, crc, size)


def test_bomb_builders_are_what_they_claim() -> None:
    z = opcode_bomb("x.pkl")
    assert 400_000 < len(z) < 800_000
    m = read_zip(BytesSource(z)).members[0]
    assert m.usize >= 255 * MIB and m.usize // m.csize > 300
    zb = zeros_bomb("x.pkl")
    assert len(zb) < 1_200_000 and read_zip(BytesSource(zb)).members[0].usize == 1024 * MIB


BOMBS = {
    "opcodes-generic": ("b.zip", lambda: opcode_bomb("x.pkl")),
    "opcodes-pytorch": ("b.pt", lambda: opcode_bomb("archive/data.pkl")),
    "zeros-generic": ("z.zip", lambda: zeros_bomb("x.pkl")),
    "zeros-pytorch": ("z.pt", lambda: zeros_bomb("archive/data.pkl")),
}


@pytest.mark.parametrize("case", list(BOMBS))
def test_zip_bombs_return_fast_and_never_clean(case: str) -> None:
    name, build = BOMBS[case]
    data = build()
    t = time.perf_counter()
    out = run({name: data})
    took = time.perf_counter() - t
    assert took < 10, took  # ~1-2 s here; was 83 s (opcodes) and 16 s (zeros)
    assert out.inspections and all(i.status != "clean" for i in out.inspections), out.inspections
    if case.startswith("opcodes"):  # a pickle cut at the ratio limit: incomplete (or the walk's finding)
        assert any(i.status in ("incomplete", "findings") for i in out.inspections)
    # (zeros are no pickle: "not-inspected", which the default gate fails as well)


def test_ratio_limit_stops_inflation_early() -> None:
    comp, _, _ = _repeat_deflate(b"\0" * 4096, 1024 * MIB)
    got = inflate_all([comp[i : i + 65536] for i in range(0, len(comp), 65536)], 2 * 1024 * MIB)
    assert not got.complete and "ratio" in got.reason
    assert len(got.data) < 4 * MIB  # stopped just past the grace, not at the budget
    inf = Inflater(10 * MIB)
    assert len(inf.feed(comp)) <= 10 * MIB and inf.stopped


def test_ordinary_content_inflates_completely() -> None:
    text = b"".join(b"line %d of a config or source file\n" % i for i in range(200_000))  # ~7 MB, ~20:1
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    comp = c.compress(text) + c.flush()
    assert len(text) / len(comp) < MAX_RATIO
    got = inflate_all([comp], 64 * MIB)
    assert got.complete and got.data == text


def test_member_source_is_lazy_and_fails_loudly() -> None:
    z = zeros_bomb("a.npy")
    m = read_zip(BytesSource(z)).members[0]
    src = MemberSource(BytesSource(z), m, 64 * MIB)
    assert src.read(0, 16) == b"\0" * 16  # the head costs a few KB of inflation, not the member
    from tierguard.formats.source import Incomplete

    with pytest.raises(Incomplete, match="ratio"):
        src.read(32 * MIB, 16)


def test_tar_gz_zeros_bomb() -> None:
    size = 1024 * MIB
    ti = tarfile.TarInfo("big.pkl")
    ti.size = size
    head = ti.tobuf(format=tarfile.GNU_FORMAT)
    comp, crc, n = _repeat_deflate(b"\0" * 4096, size, head=head, tail=b"\0" * 1024)
    gz = b"\x1f\x8b\x08\x00\0\0\0\0\x02\xff" + comp + struct.pack("<II", crc, n & 0xFFFFFFFF)
    t = time.perf_counter()
    out = run({"b.tar.gz": gz})
    assert time.perf_counter() - t < 10
    outer = next(i for i in out.inspections if i.location.member is None)
    assert outer.status != "clean" and "ratio" in outer.reason


def test_7z_declared_size_bomb_not_extracted() -> None:
    py7zr = pytest.importorskip("py7zr")
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w") as z:
        z.writestr(b"\0" * (8 * MIB), "zeros.pkl")
    data = buf.getvalue()
    assert len(data) * MAX_RATIO < 8 * MIB
    from tierguard.formats.sevenzip import read_7z

    got = read_7z(BytesSource(data), 64 * MIB)
    assert got.members == {} and any("ratio" in p for p in got.problems)
    out = run({"b.7z": data})
    assert all(i.status != "clean" for i in out.inspections)


def test_7z_extraction_bounded_by_declared_sizes() -> None:
    py7zr = pytest.importorskip("py7zr")
    from tierguard.formats import sevenzip

    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w") as z:
        z.writestr(bytes(range(256)) * 64, "a.bin")
    with py7zr.SevenZipFile(io.BytesIO(buf.getvalue())) as z:
        sizes = {"a.bin": 100}  # a member that writes more than it declared stops the extraction
        with pytest.raises(Exception, match="more than it declared"):
            sevenzip._collect(z, sizes, 64 * MIB)


_RSS_CHILD = """
import resource, subprocess, sys
r = subprocess.run([sys.executable, "-m", "tierguard.inspect", sys.argv[1]], capture_output=True)
print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.stderr.write(r.stdout.decode()[:200000])
"""


@pytest.mark.parametrize("case", ["opcodes-generic", "zeros-pytorch"])
def test_bomb_peak_rss_under_200_mb(tmp_path: Path, case: str) -> None:
    name, build = BOMBS[case]
    path = tmp_path / name
    path.write_bytes(build())
    t = time.perf_counter()
    res = subprocess.run(
        [sys.executable, "-c", _RSS_CHILD, str(path)], capture_output=True, text=True, timeout=120
    )
    took = time.perf_counter() - t
    code, rss_kib = (int(x) for x in res.stdout.split())
    doc = json.loads(res.stderr)
    print(f"{case}: {took:.2f} s, peak RSS {rss_kib / 1024:.0f} MB")
    assert code == 1  # the gate fails: incomplete or a finding
    assert all(i["status"] != "clean" for i in doc["inspections"])
    assert rss_kib < 200 * 1024, rss_kib
    assert took < 20
