"""Byte sources for inspection: random-access ranges and sequential streams with bounded buffers.

Nothing here reads a whole file: a :class:`RandomSource` answers ``read(offset, n)``; a :class:`Stream`
reads forward through a buffer of at most ``BUF`` bytes and can ``skip`` without materialising data.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable
from typing import Protocol

from tierguard.targets.interface import FileRef, Resolver

BUF = 1 << 20


class RandomSource(Protocol):
    @property
    def size(self) -> int: ...

    def read(self, offset: int, n: int) -> bytes: ...


class ResolverSource:
    """A file of a target. When the resolver has the file on disk (and it is still the same size), one
    descriptor is kept open and read with ``os.pread``; otherwise every read goes through the resolver."""

    def __init__(self, resolver: Resolver, ref: FileRef) -> None:
        self._r = resolver
        self._ref = ref
        self.size = ref.size
        self.bytes_read = 0
        self._fd: int | None = None
        if ref.member is None:
            local = resolver.local_path(ref)
            if local is not None:
                try:
                    fd = os.open(local, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
                except OSError:
                    fd = None
                if fd is not None and os.fstat(fd).st_size != ref.size:
                    os.close(fd)
                    fd = None
                self._fd = fd

    def read(self, offset: int, n: int) -> bytes:
        if offset >= self.size or n <= 0:
            return b""
        n = min(n, self.size - offset)
        if self._fd is not None:
            data = os.pread(self._fd, n, offset)
        else:
            data = self._r.read_bytes(self._ref, n, offset)
        self.bytes_read += len(data)
        return data

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class BytesSource:
    def __init__(self, data: bytes) -> None:
        self._d = data
        self.size = len(data)

    def read(self, offset: int, n: int) -> bytes:
        return self._d[offset : offset + max(0, n)]


class SliceSource:
    def __init__(self, parent: RandomSource, start: int, size: int) -> None:
        self._p = parent
        self._start = start
        self.size = max(0, min(size, parent.size - start))

    def read(self, offset: int, n: int) -> bytes:
        if offset >= self.size:
            return b""
        return self._p.read(self._start + offset, min(n, self.size - offset))


class Stream(Protocol):
    pos: int

    def read(self, n: int) -> bytes: ...

    def skip(self, n: int) -> int: ...

    def readline(self, limit: int) -> bytes: ...

    def peek(self, n: int) -> bytes: ...

    def unread(self, data: bytes) -> None: ...


class _Buffered:
    """Common buffering; subclasses implement ``_fill(n) -> bytes`` (next raw chunk, b"" at end)."""

    def __init__(self) -> None:
        self._buf = b""
        self._bpos = 0
        self.pos = 0

    def _fill(self, n: int) -> bytes:  # pragma: no cover - overridden
        raise NotImplementedError

    def _ensure(self, n: int) -> None:
        avail = len(self._buf) - self._bpos
        if avail >= n:
            return
        parts = [self._buf[self._bpos :]]
        while avail < n:
            chunk = self._fill(max(n - avail, BUF))
            if not chunk:
                break
            parts.append(chunk)
            avail += len(chunk)
        self._buf = b"".join(parts)
        self._bpos = 0

    def unread(self, data: bytes) -> None:
        """Give back bytes just read (they are read again next)."""
        self._buf = data + self._buf[self._bpos :]
        self._bpos = 0
        self.pos -= len(data)

    def peek(self, n: int) -> bytes:
        self._ensure(n)
        return self._buf[self._bpos : self._bpos + n]

    def read(self, n: int) -> bytes:
        self._ensure(n)
        out = self._buf[self._bpos : self._bpos + n]
        self._bpos += len(out)
        self.pos += len(out)
        return out

    def readline(self, limit: int) -> bytes:
        """Up to and including b"\\n", at most ``limit`` bytes (returns without newline when not found)."""
        out = bytearray()
        while len(out) < limit:
            if self._bpos >= len(self._buf):
                self._ensure(1)
                if self._bpos >= len(self._buf):
                    break
            j = self._buf.find(b"\n", self._bpos, self._bpos + (limit - len(out)))
            end = len(self._buf) if j < 0 else j + 1
            end = min(end, self._bpos + (limit - len(out)))
            out += self._buf[self._bpos : end]
            self.pos += end - self._bpos
            self._bpos = end
            if j >= 0 and out.endswith(b"\n"):
                break
        return bytes(out)

    def skip(self, n: int) -> int:
        done = 0
        avail = len(self._buf) - self._bpos
        take = min(avail, n)
        self._bpos += take
        done += take
        if done < n:
            done += self._skip_raw(n - done)
        self.pos += done
        return done

    def _skip_raw(self, n: int) -> int:
        done = 0
        while done < n:
            chunk = self._fill(min(BUF, n - done))
            if not chunk:
                break
            if len(chunk) > n - done:  # keep the surplus
                self._buf = chunk[n - done :]
                self._bpos = 0
                return n
            done += len(chunk)
        self._buf = b""
        self._bpos = 0
        return done


class RangeStream(_Buffered):
    """Sequential reader over a RandomSource; ``skip`` seeks without reading."""

    def __init__(self, src: RandomSource, start: int = 0, end: int | None = None) -> None:
        super().__init__()
        self._src = src
        self._off = start
        self._end = src.size if end is None else min(end, src.size)

    def _fill(self, n: int) -> bytes:
        n = min(n, BUF, self._end - self._off)
        if n <= 0:
            return b""
        data = self._src.read(self._off, n)
        self._off += len(data)
        return data

    def _skip_raw(self, n: int) -> int:
        take = min(n, self._end - self._off)
        self._off += take
        self._buf = b""
        self._bpos = 0
        return take


class InflateStream(_Buffered):
    """Raw-deflate (zip method 8) or other decompressor over a compressed byte range, with a CRC."""

    def __init__(
        self, src: RandomSource, start: int, csize: int, make: Callable[[], object] | None = None
    ) -> None:
        super().__init__()
        self._src = src
        self._off = start
        self._end = min(src.size, start + csize)
        self._d = make() if make is not None else zlib.decompressobj(-15)
        self.crc = 0
        self.eof = False
        self.truncated = False

    def _fill(self, n: int) -> bytes:
        while not self.eof:
            if self._off >= self._end:
                self.truncated = not bool(getattr(self._d, "eof", True))
                self.eof = True
                break
            raw = self._src.read(self._off, min(256 * 1024, self._end - self._off))
            if not raw:
                self.truncated = True
                self.eof = True
                break
            self._off += len(raw)
            out: bytes = self._d.decompress(raw)  # type: ignore[attr-defined]
            if out:
                self.crc = zlib.crc32(out, self.crc)
                return out
        return b""


class CrcRangeStream(RangeStream):
    """A RangeStream that keeps a CRC32 of everything it delivered (skips make the CRC unknown)."""

    def __init__(self, src: RandomSource, start: int, end: int) -> None:
        super().__init__(src, start, end)
        self.crc = 0
        self.crc_valid = True

    def _fill(self, n: int) -> bytes:
        data = super()._fill(n)
        self.crc = zlib.crc32(data, self.crc)
        return data

    def _skip_raw(self, n: int) -> int:
        self.crc_valid = False
        return super()._skip_raw(n)
