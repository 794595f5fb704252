"""Reading a log as blocks of whole lines, with bounded memory: plain, gzip (several members) or zstd (several
frames), UTF-8 or (by byte-order mark) UTF-16.

:class:`Blocks` fills one reusable buffer (``max(8 MiB, 2 x line cap)``) and yields the part of it that ends
at the last newline; the unfinished line is moved to the front and completed by the next read. A line longer
than the cap is found without looking at every line (every such line covers a whole aligned window of half
the cap that holds no newline: a few ``find`` calls per block) and reported, never parsed; a line longer than
the buffer is skipped unread. A stream that ends early (truncated gzip/zstd) or holds corrupt data ends the
iteration with :attr:`Blocks.error` set; the unfinished line before it is not parsed.
"""

from __future__ import annotations

import codecs
import importlib
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Literal, cast

BLOCK = 8 << 20
INPUT = 1 << 20  # compressed bytes decompressed per step
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
Compression = Literal["none", "gzip", "zstd"]


def compression_of(head: bytes) -> Compression:
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    return "none"


def _zstd() -> Any:
    """The zstd module: ``compression.zstd`` (Python 3.14+) or the ``backports.zstd`` package."""
    for name in ("compression.zstd", "backports.zstd"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


def decompress_head(head: bytes, limit: int) -> bytes:
    """Up to ``limit`` decompressed bytes from the start of a (possibly cut) compressed file, for sniffing.
    Plain input is returned as is; undecodable input gives what could be decoded (maybe ``b""``)."""
    kind = compression_of(head)
    try:
        if kind == "gzip":
            return zlib.decompressobj(wbits=47).decompress(head, limit)
        if kind == "zstd":
            mod = _zstd()
            return bytes(mod.ZstdDecompressor().decompress(head, max_length=limit)) if mod else b""
    except Exception:  # corrupt or cut: nothing to sniff
        return b""
    return head[:limit]


class _Utf16ToUtf8(io.RawIOBase):
    """A UTF-16 byte stream (with its byte-order mark) re-encoded as UTF-8, read in bounded pieces."""

    def __init__(self, inner: BinaryIO) -> None:
        self._inner = inner
        self._dec = codecs.getincrementaldecoder("utf-16")(errors="replace")
        self._pending = b""
        self._eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        view = memoryview(b)
        while not self._pending and not self._eof:
            raw = self._inner.read(1 << 20)
            self._eof = not raw
            self._pending = self._dec.decode(raw, final=self._eof).encode("utf-8", "surrogateescape")
        n = min(len(view), len(self._pending))
        view[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


class _Inflate(io.RawIOBase):
    """gzip or zstd, decompressed in large steps (1 MiB of input, up to the reader's buffer of output).
    Several members/frames are read one after the other; trailing NUL padding is ignored. ``readinto``
    raises only when it has nothing more to give: ``EOFError`` when the stream ends before its end marker,
    ``OSError`` on data after the end that is not another member, the decompressor's error on corrupt data."""

    def __init__(self, raw: BinaryIO, kind: Compression) -> None:
        self._raw = raw
        self._kind = kind
        self._mod = _zstd() if kind == "zstd" else None
        self._magic = ZSTD_MAGIC if kind == "zstd" else GZIP_MAGIC
        self._d = self._new()
        self._inp = b""

    def readable(self) -> bool:
        return True

    def _new(self) -> Any:
        return self._mod.ZstdDecompressor() if self._mod is not None else zlib.decompressobj(wbits=31)

    def _next_member(self) -> bool:
        """After the end of a member: start the next one (True), or the end of the stream (False)."""
        rest = self._d.unused_data + self._inp
        self._inp = b""
        while not rest.strip(b"\0"):  # nothing, or NUL padding: look further
            rest = self._raw.read(INPUT)
            if not rest:
                return False
        rest = rest.lstrip(b"\0")
        if not rest.startswith(self._magic[: len(rest)]):
            raise OSError(f"data after the end of the {self._kind} stream that does not start another one")
        self._d = self._new()
        self._inp = rest
        return True

    def readinto(self, b: Any) -> int:
        want = len(b)
        while True:
            d = self._d
            if d.eof:
                if not self._next_member():
                    return 0
                d = self._d
            zstd_pending = self._mod is not None and not d.needs_input
            if not self._inp and not zstd_pending:
                self._inp = self._raw.read(INPUT)
                if not self._inp:
                    raise EOFError("compressed stream ends early")
            out = d.decompress(self._inp, want)
            self._inp = d.unconsumed_tail if self._mod is None else b""
            if out:
                n = len(out)
                b[:n] = out
                return n


def open_stream(raw: BinaryIO, head: bytes) -> tuple[BinaryIO, Compression]:
    """The decompressed, UTF-8 byte stream over ``raw`` (positioned at 0; ``head`` is its first bytes)."""
    kind = compression_of(head)
    stream: BinaryIO = raw
    if kind == "zstd" and _zstd() is None:
        raise OSError("zstd-compressed log: install backports.zstd (Python < 3.14)")
    if kind != "none":
        stream = cast(BinaryIO, _Inflate(raw, kind))
    inner = decompress_head(head, 4) if kind != "none" else head[:4]
    if inner.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        stream = cast(BinaryIO, _Utf16ToUtf8(stream))
    return stream, kind


@dataclass(slots=True)
class Block:
    """Whole lines in ``buf[0:end]`` (the last one without a newline only at the end of the stream).
    ``first_line`` is the number of its first line; ``long`` the (start, end, line number) of lines over the
    cap inside it; ``dropped`` the line number of a line longer than the buffer that was skipped unread.
    ``lines``: how many lines it holds. The consumer, which walks the block's newlines anyway for its line
    numbers, sets it (:meth:`count_from`) so the block is counted once; left at -1, :class:`Blocks` counts."""

    buf: bytearray
    end: int
    first_line: int
    lines: int = -1
    long: list[tuple[int, int, int]] = field(default_factory=list)
    dropped: int = 0
    final: bool = False

    def count_from(self, pos: int, line: int) -> None:
        """Set :attr:`lines` given that the line starting at ``pos`` is number ``line``."""
        self.lines = line - self.first_line + self.buf.count(b"\n", pos, self.end) + (1 if self.final else 0)


class Blocks:
    """Iterate a byte stream as :class:`Block`s (see the module docstring). After the iteration,
    ``error`` says why the stream ended early (None: it ended normally), ``error_line`` where."""

    def __init__(self, stream: BinaryIO, cap: int, size: int | None = None) -> None:
        self.stream = stream
        self.cap = cap
        self.buf = bytearray(max(size or BLOCK, 2 * cap + 2))
        self.error: str | None = None
        self.error_line = 0
        self.lines = 0  # lines yielded so far

    def _read(self, view: memoryview) -> int:
        try:
            return self.stream.readinto(view) or 0  # type: ignore[attr-defined]
        except EOFError:
            self.error = "the compressed stream ends early (truncated file)"
        except (OSError, zlib.error) as exc:
            self.error = f"corrupt compressed data: {exc}"
        except Exception as exc:  # the zstd module's own error type
            self.error = f"corrupt compressed data: {type(exc).__name__}: {exc}"
        return 0

    def __iter__(self) -> Iterator[Block]:
        buf, size = self.buf, len(self.buf)
        mv = memoryview(buf)
        keep = 0
        try:
            while True:
                n = self._read(mv[keep:])
                if not n:
                    if keep and self.error is None:  # the last line has no newline
                        yield from self._yield(self._block(keep, final=True))
                    self.error_line = self.lines + 1
                    return
                end = keep + n
                cut = buf.rfind(b"\n", 0, end) + 1
                if cut == 0:
                    if end < size:
                        keep = end
                        continue
                    self.lines += 1  # a line longer than the buffer: skip to its end unread
                    yield Block(buf, 0, self.lines, 0, dropped=self.lines)
                    keep = self._skip_line(mv)
                    if keep < 0:
                        return
                    continue
                yield from self._yield(self._block(cut))
                rest = end - cut
                if rest:
                    buf[:rest] = bytes(mv[cut:end])
                keep = rest
        finally:
            mv.release()

    def _block(self, end: int, final: bool = False) -> Block:
        return Block(self.buf, end, self.lines + 1, -1, self._long_lines(end), final=final)

    def _yield(self, blk: Block) -> Iterator[Block]:
        yield blk
        if blk.lines < 0:
            blk.count_from(0, blk.first_line)
        self.lines += blk.lines

    def _long_lines(self, end: int) -> list[tuple[int, int, int]]:
        buf, cap = self.buf, self.cap
        step = max(cap // 2, 1)
        out: list[tuple[int, int, int]] = []
        k = 0
        while k < end:
            hi = min(k + step, end)
            if buf.find(b"\n", k, hi) >= 0 or hi - k < step:
                k = hi
                continue
            s = buf.rfind(b"\n", 0, k) + 1
            t = buf.find(b"\n", hi, end)
            t = end if t < 0 else t
            if t - s > cap:
                out.append((s, t, self.lines + 1 + buf.count(b"\n", 0, s)))
            k = t + 1
        return out

    def _skip_line(self, mv: memoryview) -> int:
        """Read past the end of an over-long line; the bytes after its newline move to the front.
        Returns how many there are, or -1 at the end of the stream."""
        buf = self.buf
        while True:
            n = self._read(mv)
            if not n:
                return -1
            nl = buf.find(b"\n", 0, n)
            if nl >= 0:
                rest = n - nl - 1
                buf[:rest] = bytes(mv[nl + 1 : n])
                return rest
