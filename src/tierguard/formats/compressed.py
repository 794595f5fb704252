"""One bounded reader of compressed streams: plain, gzip (any number of members) and zstd (any number of
frames, skippable frames included), told apart by their magic bytes, never by the file name.

:class:`Reader` is a raw binary stream of the decompressed bytes. One ``readinto`` gives at most the size of
the caller's buffer (the output of one decompression step is bounded, so a bomb cannot fill memory) and at
most ``max_bytes`` in all. It never raises on bad input: it returns 0 and says in :attr:`Reader.end` why
the stream stopped before its natural end, which the caller records as a counted skip, never as a clean
read:

- ``truncated``: the file ends inside a gzip member or a zstd frame;
- ``corrupt``: undecodable data, or data after the last member/frame that starts no other one (NUL
  padding after it is allowed: it holds nothing);
- ``too-large``: more than ``max_bytes`` decompressed bytes (only when there really are more);
- ``unreadable``: the underlying read failed, or zstd support is missing.

:class:`Utf8` re-encodes a UTF-16 stream (by its byte-order mark) as UTF-8 and passes anything else
through; :func:`chunks` and :func:`head` open a file with both; :func:`decompress_head` decompresses the
first bytes of a file already in memory, for sniffing.

zstd goes through the standard library's API only: ``compression.zstd`` (Python 3.14+) or the
``backports.zstd`` package before it. ``zstandard``'s stream reader stops silently on a truncated file and
bounds no output, so it is not used.
"""

from __future__ import annotations

import codecs
import importlib
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# a zstd skippable frame: 0x184D2A50-0x184D2A5F little-endian (pzstd starts its files with one)
SKIPPABLE_TAIL = b"\x2a\x4d\x18"
INPUT = 1 << 20  # compressed bytes read and fed per step
CHUNK = 1 << 20  # decompressed bytes per chunk of :func:`chunks`
Compression = Literal["none", "gzip", "zstd"]


def _skippable(head: bytes) -> bool:
    return len(head) >= 4 and 0x50 <= head[0] <= 0x5F and head[1:4] == SKIPPABLE_TAIL


def compression_of(head: bytes) -> Compression:
    """``gzip``, ``zstd`` or ``none`` from the first bytes of a file."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC) or _skippable(head):
        return "zstd"
    return "none"


def zstd_module() -> Any:
    """``compression.zstd`` (Python 3.14+), else ``backports.zstd``, else None."""
    for name in ("compression.zstd", "backports.zstd"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


@dataclass(slots=True)
class StreamEnd:
    """Why a stream stopped before its natural end: ``reason`` (``truncated``, ``corrupt``, ``too-large``,
    ``unreadable``; empty while it has not) and a readable ``detail``."""

    reason: str = ""
    detail: str = ""


class Reader(io.RawIOBase):
    """The decompressed bytes of ``raw`` (read from its current position), ``kind`` as
    :func:`compression_of` tells it from the first bytes (see the module docstring). ``end`` is filled in
    when the stream stops early; pass one to share it with the caller."""

    def __init__(
        self,
        raw: BinaryIO,
        kind: Compression,
        *,
        max_bytes: int | None = None,
        end: StreamEnd | None = None,
    ) -> None:
        self.kind = kind
        self.end = end if end is not None else StreamEnd()
        self.produced = 0  # decompressed bytes handed out
        self._raw = raw
        self._cap = max_bytes
        self._mod = zstd_module() if kind == "zstd" else None
        self._error: type[Exception] = zlib.error if self._mod is None else self._mod.ZstdError
        self._inp = b""
        self._done = False
        self._d: Any = None
        if kind == "zstd" and self._mod is None:
            self._stop("unreadable", "zstd-compressed: needs Python 3.14+ or the backports.zstd package")
        elif kind != "none":
            self._d = self._new()

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if self._done or not len(b):
            return 0
        limit = self._limit(len(b))
        if self._d is None:
            with memoryview(b) as view:
                n = self._read_raw_into(view[:limit])
        else:
            out = self._inflate(limit)
            n = len(out)
            b[:n] = out
        return self._count(n)

    def read(self, size: int | None = -1) -> bytes:
        """At most ``size`` bytes, without the copy through a buffer ``readinto`` needs."""
        if size is None or size < 0:
            return self.readall()
        if self._done or not size:
            return b""
        limit = self._limit(size)
        out = self._read_raw(limit) if self._d is None else self._inflate(limit)
        n = self._count(len(out))
        return out if n == len(out) else out[:n]

    def _limit(self, want: int) -> int:
        """How much to ask for: ``want``, or one byte more than the cap leaves (to know whether there is)."""
        return want if self._cap is None else min(want, self._cap - self.produced + 1)

    def _count(self, n: int) -> int:
        if self._cap is not None and self.produced + n > self._cap:
            n = self._cap - self.produced
            self._stop("too-large", f"stopped after {self._cap} bytes (max_bytes)")
        self.produced += n
        return n

    def _stop(self, reason: str, detail: str) -> None:
        self.end.reason, self.end.detail = reason, detail
        self._done = True

    def _new(self) -> Any:
        return self._mod.ZstdDecompressor() if self._mod is not None else zlib.decompressobj(wbits=31)

    def _read_raw(self, n: int) -> bytes:
        try:
            return self._raw.read(n) or b""
        except Exception as exc:  # any reader's error (OSError, a zip member's BadZipFile ...): a skip
            self._stop("unreadable", f"read error: {type(exc).__name__}: {exc}")
            return b""

    def _read_raw_into(self, view: memoryview) -> int:
        try:
            return self._raw.readinto(view) or 0  # type: ignore[attr-defined]
        except Exception as exc:  # as in _read_raw
            self._stop("unreadable", f"read error: {type(exc).__name__}: {exc}")
            return 0

    def _inflate(self, limit: int) -> bytes:
        """At most ``limit`` decompressed bytes; b"" at the end (``end`` says when it came early)."""
        drained = False  # zstd said it had more output, then gave none: ask for input instead
        while True:
            d = self._d
            if d.eof:
                if not self._next_member():
                    return b""
                d = self._d
            pending = self._mod is not None and not d.needs_input and not drained
            if not self._inp and not pending:
                self._inp = self._read_raw(INPUT)
                if not self._inp:
                    if not self._done:
                        self._stop("truncated", f"the {self.kind} stream ends early (truncated file)")
                    return b""
            try:
                out = d.decompress(self._inp, limit)
            except self._error as exc:
                self._stop("corrupt", f"corrupt compressed data: {self.kind}: {exc}")
                return b""
            self._inp = d.unconsumed_tail if self._mod is None else b""
            if out:
                return bytes(out)
            drained = pending

    def _next_member(self) -> bool:
        """After the end of a member/frame: start the next one (True), or end the stream (False)."""
        # everything after the end is in unused_data; zlib may leave a copy of it in unconsumed_tail
        # (when the call that reached the end was fed an earlier call's tail): adding both read it twice
        rest = self._d.unused_data
        self._inp = b""
        while not rest.strip(b"\0"):  # nothing, or NUL padding: look further
            rest = self._read_raw(INPUT)
            if not rest:
                return False
        rest = rest.lstrip(b"\0")
        if not self._starts_member(rest):
            self._stop(
                "corrupt",
                f"corrupt compressed data: data after the end of the {self.kind} stream that does not start "
                "another one",
            )
            return False
        self._d = self._new()
        self._inp = rest
        return True

    def _starts_member(self, rest: bytes) -> bool:
        magic = GZIP_MAGIC if self._mod is None else ZSTD_MAGIC
        if rest.startswith(magic[: len(rest)]):
            return True
        return self._mod is not None and (_skippable(rest) or (len(rest) < 4 and 0x50 <= rest[0] <= 0x5F))


class Utf8(io.RawIOBase):
    """``inner`` as UTF-8: a UTF-16 stream (told by its byte-order mark) is re-encoded in bounded pieces
    (undecodable units become U+FFFD); anything else is passed through untouched. ``end`` is the inner
    :class:`Reader`'s."""

    def __init__(self, inner: Reader) -> None:
        self.inner = inner
        self._dec: codecs.IncrementalDecoder | None = None
        self._pending = b""
        self._started = False
        self._eof = False

    @property
    def end(self) -> StreamEnd:
        return self.inner.end

    def readable(self) -> bool:
        return True

    def _start(self) -> None:
        self._started = True
        first = b""
        while len(first) < 2:
            got = self.inner.read(2 - len(first))
            if not got:
                break
            first += got
        if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            self._dec = codecs.getincrementaldecoder("utf-16")(errors="replace")
            self._pending = self._dec.decode(first).encode("utf-8")
        else:
            self._pending = first

    def read(self, size: int | None = -1) -> bytes:
        """At most ``size`` bytes, without the copy through a buffer ``readinto`` needs."""
        if size is None or size < 0:
            return self.readall()
        if not self._started:
            self._start()
        if self._dec is None and not self._pending:
            return self.inner.read(size)
        out = bytearray(size)
        return bytes(out[: self.readinto(out)])

    def readinto(self, b: Any) -> int:
        if not self._started:
            self._start()
        want = len(b)
        while self._dec is not None and not self._pending and not self._eof:
            raw = self.inner.read(INPUT)
            self._eof = not raw
            self._pending = self._dec.decode(raw or b"", final=self._eof).encode("utf-8", "replace")
        n = min(want, len(self._pending))
        if n:
            b[:n] = self._pending[:n]
            self._pending = self._pending[n:]
        if self._dec is None and n < want:
            with memoryview(b) as view:
                n += self.inner.readinto(view[n:]) or 0
        return n


def open_file(fh: BinaryIO, *, max_bytes: int | None = None, end: StreamEnd | None = None) -> Utf8:
    """The decompressed, UTF-8 content of the open file ``fh`` (seekable, at its start)."""
    first = fh.read(4)
    fh.seek(0)
    return Utf8(Reader(fh, compression_of(first), max_bytes=max_bytes, end=end))


def chunks(path: Path, end: StreamEnd, *, max_bytes: int | None = None, size: int = CHUNK) -> Iterator[bytes]:
    """The decompressed, UTF-8 content of ``path`` in chunks of at most ``size`` bytes, at most
    ``max_bytes`` in all; ``end`` says why it stopped early. Raises ``OSError`` only when the file cannot
    be opened (when the first chunk is asked for)."""
    with path.open("rb") as fh:
        stream = open_file(fh, max_bytes=max_bytes, end=end)
        while chunk := stream.read(size):
            yield chunk


def head(path: Path, size: int = 64 << 10) -> tuple[bytes, StreamEnd]:
    """The first ``size`` decompressed (UTF-8) bytes of ``path`` for sniffing, and why the stream stopped
    early when it did before ``size`` (a compressed file cut or corrupt within its first bytes; the file
    going on past ``size`` is not a stop)."""
    end = StreamEnd()
    out = bytearray()
    try:
        for c in chunks(path, end, max_bytes=size, size=min(size, CHUNK)):
            out += c
    except OSError as exc:
        end.reason, end.detail = "unreadable", str(exc)
        return b"", end
    if end.reason == "too-large":
        end.reason = end.detail = ""  # the sniffing window, not the file, was full
    return bytes(out), end


def decompress_head(data: bytes, limit: int) -> bytes:
    """Up to ``limit`` decompressed bytes from ``data``, the first bytes of a (maybe cut) file, for
    sniffing: plain input as is, compressed input as far as it decodes (maybe ``b""``)."""
    kind = compression_of(data)
    if kind == "none":
        return data[:limit]
    reader = Reader(io.BytesIO(data), kind, max_bytes=limit)
    out = bytearray()
    buf = bytearray(min(limit, CHUNK) or 1)
    while len(out) < limit:
        n = reader.readinto(buf)
        if not n:
            break
        out += buf[:n]
    return bytes(out[:limit])
