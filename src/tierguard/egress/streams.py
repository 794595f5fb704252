"""Reading a log as blocks of whole lines, with bounded memory: plain, gzip (several members) or zstd (several
frames), UTF-8 or (by byte-order mark) UTF-16, decompressed and re-encoded by
:mod:`tierguard.formats.compressed` (bounded output per step).

:class:`Blocks` fills one reusable buffer (``max(8 MiB, 2 x line cap)``) and yields the part of it that ends
at the last newline; the unfinished line is moved to the front and completed by the next read. A line longer
than the cap is found without looking at every line (every such line covers a whole aligned window of half
the cap that holds no newline: a few ``find`` calls per block) and reported, never parsed; a line longer than
the buffer is skipped unread. A stream that ends early (truncated gzip/zstd) or holds corrupt data ends the
iteration with :attr:`Blocks.error` set; the unfinished line before it is not parsed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from tierguard.formats.compressed import Compression, Reader, Utf8, compression_of, zstd_module

BLOCK = 8 << 20


def open_stream(raw: BinaryIO, head: bytes) -> tuple[BinaryIO, Compression]:
    """The decompressed, UTF-8 byte stream over ``raw`` (positioned at 0; ``head`` is its first bytes): a
    :class:`~tierguard.formats.compressed.Utf8` over a bounded
    :class:`~tierguard.formats.compressed.Reader`, whose ``end`` says why it stopped early."""
    kind = compression_of(head)
    if kind == "zstd" and zstd_module() is None:
        raise OSError("zstd-compressed log: install backports.zstd (Python < 3.14)")
    return Utf8(Reader(raw, kind)), kind  # type: ignore[return-value]


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
            n: int = self.stream.readinto(view) or 0  # type: ignore[attr-defined]
        except Exception as exc:  # a stream not from open_stream: its read error ends it, never a crash
            self.error = f"read error: {type(exc).__name__}: {exc}"
            return 0
        if not n:
            end = getattr(self.stream, "end", None)
            if end is not None and end.reason:
                self.error = end.detail  # truncated, corrupt, unreadable (formats.compressed)
        return n

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
