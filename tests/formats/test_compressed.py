"""formats/compressed.py: the one bounded reader of plain/gzip/zstd streams. Every input is built in the test:
whole, several members/frames, padded, cut, corrupt, over the cap, bombs, UTF-16, a failing raw reader. A
stream that stops early always says why (truncated, corrupt, too-large, unreadable); one read never gives
more than the caller's buffer."""

from __future__ import annotations

import gzip
import io
import struct
import tracemalloc
import zlib
from pathlib import Path

import pytest

from tierguard.formats import compressed
from tierguard.formats.compressed import (
    Reader,
    StreamEnd,
    Utf8,
    chunks,
    compression_of,
    decompress_head,
    head,
)


def zst(data: bytes, *, checksum: bool = False) -> bytes:
    try:
        from compression import zstd  # type: ignore[import-not-found]
    except ImportError:
        from backports import zstd  # type: ignore[no-redef]
    return bytes(zstd.compress(data, options={zstd.CompressionParameter.checksum_flag: int(checksum)}))


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def skippable(payload: bytes, nibble: int = 0) -> bytes:
    """A zstd skippable frame (magic 0x184D2A5n, little-endian size, payload), as pzstd writes first."""
    return struct.pack("<II", 0x184D2A50 + nibble, len(payload)) + payload


PACK = {"plain": lambda d: d, "gzip": gz, "zstd": zst}
TEXT = b"".join(b"line %06d: api.example.org\n" % i for i in range(20_000))  # 540 kB, many deflate blocks


def read_all(data: bytes, step: int = 1 << 16, **kw: object) -> tuple[bytes, StreamEnd, int]:
    """Everything a Reader gives over ``data``, its end, and the largest single read."""
    r = Reader(io.BytesIO(data), compression_of(data), **kw)  # type: ignore[arg-type]
    out, biggest = bytearray(), 0
    buf = bytearray(step)
    while n := r.readinto(buf):
        biggest = max(biggest, n)
        out += buf[:n]
    return bytes(out), r.end, biggest


def test_kind_is_told_by_magic_bytes_not_by_name(tmp_path: Path) -> None:
    assert compression_of(gz(b"x")) == "gzip"
    assert compression_of(zst(b"x")) == "zstd"
    assert compression_of(skippable(b"idx", 0xF) + zst(b"x")) == "zstd"
    assert compression_of(b"plain\n") == compression_of(b"") == compression_of(b"\x1f") == "none"
    p = tmp_path / "inventory.csv"  # a gzip file with a plain name is still gzip
    p.write_bytes(gz(b"a,b\n1,2\n"))
    end = StreamEnd()
    assert b"".join(chunks(p, end)) == b"a,b\n1,2\n" and end.reason == ""
    q = tmp_path / "log.gz"  # a plain file named .gz is plain
    q.write_bytes(b"a,b\n")
    assert b"".join(chunks(q, end)) == b"a,b\n" and end.reason == ""


@pytest.mark.parametrize("kind", ["plain", "gzip", "zstd"])
def test_whole_stream_in_reads_bounded_by_the_buffer(kind: str) -> None:
    out, end, biggest = read_all(PACK[kind](TEXT), step=4096)
    assert out == TEXT and end == StreamEnd() and biggest <= 4096


@pytest.mark.parametrize("kind", ["gzip", "zstd"])
def test_several_members_padding_and_trailing_junk(kind: str) -> None:
    pack = PACK[kind]
    data = pack(b"one\n") + pack(b"") + pack(TEXT) + b"\0" * 3000
    out, end, _ = read_all(data, step=1000)
    assert out == b"one\n" + TEXT and end.reason == ""
    out, end, _ = read_all(data + b"junk")
    assert out == b"one\n" + TEXT
    assert end.reason == "corrupt" and "does not start another one" in end.detail


def test_zstd_skippable_frames_anywhere() -> None:
    data = skippable(b"\x00" * 12) + zst(b"a\n") + skippable(b"meta", 7) + zst(b"b\n") + skippable(b"")
    out, end, _ = read_all(data)
    assert (out, end.reason) == (b"a\nb\n", "")


def test_a_member_ending_after_an_output_bounded_read_is_not_read_twice() -> None:
    """A compressible first member (small in, big out) whose end is reached by a call fed the previous call's
    unconsumed input: zlib leaves what follows in both ``unused_data`` and ``unconsumed_tail``. Adding both
    read the second member twice (egress's reader before formats/compressed: a doubled line count and
    doubled matches for every multi-member gzip log with members over its 8 MiB buffer)."""
    first = b"".join(b"line %04d\n" % (i % 1000) for i in range(100_000))  # 1 MB, ~7 kB compressed
    data = gz(first) + gz(b"second member\n") + gz(b"third\n")
    out, end, _ = read_all(data, step=4096)
    assert end.reason == "" and out == first + b"second member\nthird\n"


@pytest.mark.parametrize("kind", ["gzip", "zstd"])
def test_truncated_stream_says_so_and_keeps_what_came_before(kind: str) -> None:
    full = PACK[kind](TEXT)
    for cut in (len(full) // 3, len(full) - 1, 11):  # inside the data, in the trailer, in the header
        out, end, _ = read_all(full[:cut])
        assert end.reason == "truncated" and "ends early" in end.detail, cut
        assert TEXT.startswith(out) and (len(out) < len(TEXT) or cut == len(full) - 1)
    # a second member cut inside its magic / header
    out, end, _ = read_all(full + full[:1])
    assert (out, end.reason) == (TEXT, "truncated")
    out, end, _ = read_all(full + full[:6])
    assert (out, end.reason) == (TEXT, "truncated")


def test_truncated_gzip_member_cut_at_a_flush_point() -> None:
    """Every byte before the cut decodes (a sync flush), only the end marker is missing: still truncated."""
    co = zlib.compressobj(wbits=31)
    partial = co.compress(b"complete line\npartial li") + co.flush(zlib.Z_SYNC_FLUSH)
    out, end, _ = read_all(partial)
    assert out == b"complete line\npartial li" and end.reason == "truncated"


@pytest.mark.parametrize("kind", ["gzip", "zstd"])
def test_corrupt_stream_is_a_stop_not_an_exception(kind: str) -> None:
    # zstd with a content checksum, as the zstd tool writes by default (without one, damaged literals decode
    # to other bytes unnoticed, as in any format without a check)
    data = bytearray(gz(TEXT) if kind == "gzip" else zst(TEXT, checksum=True))
    mid = len(data) // 2
    data[mid : mid + 64] = b"\xa5" * 64
    out, end, _ = read_all(bytes(data))
    assert end.reason in ("corrupt", "truncated") and end.detail
    assert len(out) < len(TEXT)
    out, end, _ = read_all(PACK[kind](b"")[:4] + b"\xff" * 40)
    assert end.reason == "corrupt" and end.detail.startswith(f"corrupt compressed data: {kind}")


@pytest.mark.parametrize("kind", ["plain", "gzip", "zstd"])
def test_byte_cap(kind: str) -> None:
    data = PACK[kind](TEXT)
    out, end, _ = read_all(data, max_bytes=len(TEXT))  # exactly the content: not over
    assert out == TEXT and end.reason == ""
    out, end, _ = read_all(data, max_bytes=len(TEXT) - 1)
    assert out == TEXT[:-1] and end.reason == "too-large"
    out, end, _ = read_all(data, step=7, max_bytes=1000)
    assert out == TEXT[:1000] and end.reason == "too-large"
    r = Reader(io.BytesIO(data), compression_of(data), max_bytes=1000)  # read(): the same bound
    pieces = list(iter(lambda: r.read(300), b""))
    assert [len(p) for p in pieces] == [300, 300, 300, 100] and b"".join(pieces) == TEXT[:1000]
    assert r.end.reason == "too-large"


@pytest.mark.parametrize("kind", ["gzip", "zstd"])
def test_bomb_is_read_in_bounded_steps(kind: str) -> None:
    """128 MiB of NULs (well under 1 MiB compressed): no read gives more than the buffer, memory stays
    near it, and the cap stops it early."""
    bomb = PACK[kind](b"x\n" + b"\0" * (128 << 20))
    assert len(bomb) < 1 << 20
    tracemalloc.start()
    try:
        r = Reader(io.BytesIO(bomb), compression_of(bomb))
        buf = bytearray(1 << 20)
        total = biggest = 0
        while n := r.readinto(buf):
            total, biggest = total + n, max(biggest, n)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert total == 2 + (128 << 20) and biggest <= 1 << 20 and r.end.reason == ""
    assert peak < 12 << 20, peak
    out, end, _ = read_all(bomb, max_bytes=5 << 20)
    assert len(out) == 5 << 20 and end.reason == "too-large"


def test_a_failing_raw_reader_is_unreadable_not_a_crash() -> None:
    class Failing(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = data

        def readable(self) -> bool:
            return True

        def readinto(self, b: memoryview) -> int:  # type: ignore[override]
            if not self.data:
                raise OSError(5, "Input/output error")
            n = min(len(b), len(self.data), 100)
            b[:n] = self.data[:n]
            self.data = self.data[n:]
            return n

    for kind in ("plain", "gzip"):
        data = PACK[kind](TEXT)[:300]
        r = Reader(Failing(data), compression_of(data))  # type: ignore[arg-type]
        while r.readinto(bytearray(1000)):
            pass
        assert r.end.reason == "unreadable" and "Input/output error" in r.end.detail


def test_zstd_support_missing_is_unreadable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compressed, "zstd_module", lambda: None)
    out, end, _ = read_all(zst(TEXT))
    assert out == b"" and end.reason == "unreadable" and "backports.zstd" in end.detail


@pytest.mark.parametrize("kind", ["plain", "gzip", "zstd"])
@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_is_reencoded_as_utf8(kind: str, encoding: str) -> None:
    text = "Gerät,Nutzer\nLAPTOP-7,j\u00f6rg\n\u6df1\u5ea6\u6c42\u7d22\n" * 5000
    bom = "\ufeff".encode(encoding)
    data = PACK[kind](bom + text.encode(encoding))
    u = Utf8(Reader(io.BytesIO(data), compression_of(data)))
    out = bytearray()
    while piece := u.read(777):
        assert len(piece) <= 777
        out += piece
    assert out.decode("utf-8") == text and u.end.reason == ""


def test_utf8_and_binary_pass_through_untouched() -> None:
    for data in (b"\xef\xbb\xbfa,b\n", b"x", b"", b"\xff\x00\xfe" * 10):
        u = Utf8(Reader(io.BytesIO(gz(data)), "gzip"))
        assert u.read() == data


def test_head_for_sniffing(tmp_path: Path) -> None:
    p = tmp_path / "big"
    p.write_bytes(zst(TEXT))
    data, end = head(p, 1000)
    assert data == TEXT[:1000] and end.reason == ""  # the window was full: not a stop
    p.write_bytes(gz(TEXT)[:40])
    data, end = head(p, 1000)
    assert end.reason == "truncated" and TEXT.startswith(data)
    data, end = head(tmp_path / "missing", 1000)
    assert (data, end.reason) == (b"", "unreadable")
    p.write_bytes(b"\xff\xfe" + "a,b\n".encode("utf-16-le"))
    assert head(p, 1000) == (b"a,b\n", StreamEnd())


def test_decompress_head_of_a_cut_file_in_memory() -> None:
    full = gz(TEXT)
    assert decompress_head(full[:4096], 1 << 20) == TEXT[: len(decompress_head(full[:4096], 1 << 20))]
    assert len(decompress_head(full[:4096], 1 << 20)) > 4096
    assert decompress_head(zst(TEXT), 100) == TEXT[:100]
    assert decompress_head(b"plain text", 5) == b"plain"
    assert decompress_head(b"\x1f\x8b\x08\x00garbage", 100) == b""
    assert decompress_head(gz(b"")[:2], 100) == b""


def test_chunks_are_bounded_and_stop_reports(tmp_path: Path) -> None:
    p = tmp_path / "x"
    p.write_bytes(gz(TEXT) + b"junk")
    end = StreamEnd()
    got = list(chunks(p, end, size=10_000))
    assert all(len(c) <= 10_000 for c in got) and b"".join(got) == TEXT
    assert end.reason == "corrupt"
    with pytest.raises(OSError):
        next(chunks(tmp_path / "missing", StreamEnd()))
