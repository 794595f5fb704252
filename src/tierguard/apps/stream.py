"""Bounded, streaming input for the app readers: the decompressed, UTF-8 content of a file
(:mod:`tierguard.formats.compressed`: plain, gzip or zstd by magic bytes, UTF-16 re-encoded, a UTF-8
byte-order mark dropped) split into lines with a length cap. A truncated compressed stream, a decompression
error or the byte cap ends the stream with an ``InputEnd`` the caller records as skipped; nothing is raised
past the reader."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

from tierguard.formats import compressed
from tierguard.formats.compressed import StreamEnd as InputEnd

__all__ = ["InputEnd", "compression", "head_bytes", "iter_lines", "open_chunks"]


def compression(head: bytes) -> str:
    """``gzip``, ``zstd`` or ``""`` from the first bytes."""
    kind = compressed.compression_of(head)
    return "" if kind == "none" else kind


def open_chunks(path: Path, max_bytes: int, end: InputEnd) -> Iterator[bytes]:
    """The decompressed content of ``path`` in chunks, at most ``max_bytes``; ``end`` says why it stopped
    early. Raises ``OSError`` only when the file cannot be opened."""
    first = True
    for chunk in compressed.chunks(path, end, max_bytes=max_bytes):
        if first and chunk.startswith(codecs.BOM_UTF8):
            chunk = chunk[3:]
        first = False
        yield chunk


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
    """The first ``size`` decompressed bytes of ``path`` (for sniffing; UTF-16 re-encoded as UTF-8, a UTF-8
    byte-order mark dropped), and why the stream stopped early when it did (a compressed file cut or corrupt
    within its first bytes)."""
    data, end = compressed.head(path, size + 3)
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    return data[:size], end
