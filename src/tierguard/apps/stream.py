"""Bounded, streaming input: plain, gzip (any number of members) or zstd (any number of frames), detected by
magic bytes; UTF-16 (with a BOM) re-encoded to UTF-8; split into lines with a length cap. A truncated
compressed stream, a decompression error or the byte cap ends the stream with an ``InputEnd`` the caller
records as skipped; nothing is raised past the reader."""

from __future__ import annotations

import codecs
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import zstandard

CHUNK = 1 << 20  # raw bytes read at a time
ZSTD_SLICE = 8 << 10  # compressed bytes fed to zstd per call (bounds the output of one call)
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


@dataclass(slots=True)
class InputEnd:
    """Why a stream stopped before its natural end (reason code and detail), filled in by the reader."""

    reason: str = ""
    detail: str = ""


def compression(head: bytes) -> str:
    """``gzip``, ``zstd`` or ``""`` from the first bytes."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    return ""


def _raw(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while True:
            b = fh.read(CHUNK)
            if not b:
                return
            yield b


def _gunzip(raw: Iterator[bytes], end: InputEnd) -> Iterator[bytes]:
    d = zlib.decompressobj(31)
    fed = False
    for chunk in raw:
        data = chunk
        while data:
            try:
                out = d.decompress(data, CHUNK)
            except zlib.error as exc:
                end.reason, end.detail = "corrupt", f"gzip: {exc}"
                return
            fed = True
            if out:
                yield out
            if d.eof:  # end of a member: the rest starts the next one (or is trailing garbage)
                data = d.unused_data
                if data and not data.startswith(GZIP_MAGIC[: len(data)]):
                    end.reason, end.detail = "corrupt", "gzip: trailing bytes after the last member"
                    return
                d = zlib.decompressobj(31)
                fed = False
                continue
            data = d.unconsumed_tail
    if fed and not d.eof:
        end.reason, end.detail = "truncated", "gzip stream ends before its end-of-stream marker"


def _unzstd(raw: Iterator[bytes], end: InputEnd) -> Iterator[bytes]:
    d = zstandard.ZstdDecompressor().decompressobj()
    fed = False
    for chunk in raw:
        for i in range(0, len(chunk), ZSTD_SLICE):
            data = chunk[i : i + ZSTD_SLICE]
            while data:
                try:
                    out = d.decompress(data)
                except zstandard.ZstdError as exc:
                    end.reason, end.detail = "corrupt", f"zstd: {exc}"
                    return
                fed = True
                if out:
                    yield out
                if d.eof:
                    data = d.unused_data
                    d = zstandard.ZstdDecompressor().decompressobj()
                    fed = False
                else:
                    data = b""
    if fed and not d.eof:
        end.reason, end.detail = "truncated", "zstd stream ends inside a frame"


def _capped(chunks: Iterator[bytes], cap: int, end: InputEnd) -> Iterator[bytes]:
    total = 0
    for c in chunks:
        total += len(c)
        if total > cap:
            keep = len(c) - (total - cap)
            if keep > 0:
                yield c[:keep]
            end.reason, end.detail = "too-large", f"stopped after {cap} bytes (max_bytes)"
            return
        yield c


def _utf16(chunks: Iterator[bytes], first: bytes) -> Iterator[bytes]:
    enc = "utf-16-le" if first.startswith(codecs.BOM_UTF16_LE) else "utf-16-be"
    dec = codecs.getincrementaldecoder(enc)(errors="replace")
    yield dec.decode(first[2:]).encode("utf-8")
    for c in chunks:
        yield dec.decode(c).encode("utf-8")
    yield dec.decode(b"", final=True).encode("utf-8")


def open_chunks(path: Path, max_bytes: int, end: InputEnd) -> Iterator[bytes]:
    """The decompressed content of ``path`` in chunks, at most ``max_bytes``; ``end`` says why it stopped
    early. Raises ``OSError`` only when the file cannot be opened."""
    raw = _raw(path)
    first = next(raw, b"")
    kind = compression(first)

    def again() -> Iterator[bytes]:
        yield first
        yield from raw

    if kind == "gzip":
        body: Iterator[bytes] = _gunzip(again(), end)
    elif kind == "zstd":
        body = _unzstd(again(), end)
    else:
        body = again()
    body = _capped(body, max_bytes, end)
    head = next(body, b"")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        yield from _utf16(body, head)
        return
    if head.startswith(codecs.BOM_UTF8):
        head = head[3:]
    yield head
    yield from body


def iter_lines(
    chunks: Iterator[bytes], cap: int, end: InputEnd | None = None
) -> Iterator[tuple[int, bytes | None]]:
    """(line number, line without its end) for each line; (n, None) for a line longer than ``cap`` (never
    held whole: its bytes are dropped as they arrive). The unfinished last line of a stream that stopped
    early (``end.reason`` set: truncated, corrupt, too large) is not yielded: the stop is the record of it."""
    n = 0
    buf = b""
    dropping = False
    for chunk in chunks:
        start = 0
        while True:
            nl = chunk.find(b"\n", start)
            if nl < 0:
                rest = chunk[start:]
                if dropping:
                    break
                if len(buf) + len(rest) > cap:
                    dropping, buf = True, b""
                else:
                    buf += rest
                break
            piece = chunk[start:nl]
            start = nl + 1
            n += 1
            if dropping or len(buf) + len(piece) > cap:
                dropping, buf = False, b""
                yield n, None
                continue
            line = buf + piece if buf else piece
            buf = b""
            yield n, line[:-1] if line.endswith(b"\r") else line
    if end is not None and end.reason:
        return
    if dropping:
        yield n + 1, None
    elif buf:
        yield n + 1, buf[:-1] if buf.endswith(b"\r") else buf


def head_bytes(path: Path, size: int = 64 << 10) -> tuple[bytes, InputEnd]:
    """The first ``size`` decompressed bytes of ``path`` (for sniffing), and why the stream stopped early
    when it did (a compressed file cut or corrupt within its first bytes)."""
    end = InputEnd()
    out = b""
    try:
        for c in open_chunks(path, size, end):
            out += c
            if len(out) >= size:
                break
    except OSError as exc:
        end.reason, end.detail = "unreadable", str(exc)
        return b"", end
    if end.reason == "too-large":
        end.reason = end.detail = ""  # the sniffing window, not the file, was full
    return out[:size], end
