"""Byte sources: random-access ranges bounded by the file size and a byte budget, and sequential streams
with bounded buffers. Nothing here reads a whole file.

* :class:`RandomSource` answers ``read(offset, n)`` (``size`` is the number of bytes available);
  :class:`FileSource` is a target's file (``os.pread`` on a kept descriptor when the file is on disk, else
  reads through the resolver); :class:`BytesSource`, :class:`SliceSource` are in-memory and sub-ranges.
* :class:`BoundedReader` is a RandomSource with a byte budget that raises :class:`Incomplete` instead of
  returning short data (header readers use it; :class:`SourceReader` is one over a RandomSource already
  opened); :class:`Cursor` reads sequentially through one.
* :class:`Stream` reads forward through a buffer of at most ``BUF`` bytes and can ``skip`` without
  materialising data: :class:`RangeStream` (a range of a source), :class:`CrcRangeStream` (with a CRC-32),
  :class:`InflateStream` (raw deflate, bounded by :mod:`tierguard.formats.inflate`'s limits).
"""

from __future__ import annotations

import io
import os
import zlib
from pathlib import Path
from typing import Any, Protocol

BUF = 1 << 20
DEFAULT_BUDGET = 2 * 1024 * 1024  # bytes per file for header readers, every format reader included


def read_capped(path: Path, limit: int) -> bytes | None:
    """A whole small file a user names (a result, a config, an estate, a probe file): its bytes when it holds
    at most ``limit``, else None; never more than ``limit + 1`` bytes are read. OSError as raised, for the
    caller to say which file and what failed."""
    with path.open("rb") as fh:
        data = fh.read(limit + 1)
    return data if len(data) <= limit else None


class Incomplete(Exception):
    """The header could not be read completely; ``reason`` is a short machine-readable code."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class FileLike(Protocol):
    """What a source needs of a target file reference (a ``targets.interface.FileRef``)."""

    @property
    def size(self) -> int: ...

    @property
    def member(self) -> str | None: ...


class FileReader(Protocol):
    """What a source needs of a target (a ``targets.interface.Resolver``)."""

    def read_bytes(self, ref: Any, limit: int, offset: int = 0) -> bytes: ...

    def local_path(self, ref: Any) -> Path | None: ...


class RandomSource(Protocol):
    @property
    def size(self) -> int: ...

    def read(self, offset: int, n: int, /) -> bytes: ...


class FileSource:
    """A file of a target. When the resolver has the file on disk (and it is still the same size), one
    descriptor is kept open and read with ``os.pread``; otherwise every read goes through the resolver."""

    def __init__(self, resolver: FileReader, ref: FileLike) -> None:
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


class BoundedReader:
    """Reads ``ref`` through ``resolver`` within ``budget`` bytes in total; counts what it read."""

    def __init__(self, resolver: FileReader, ref: FileLike, budget: int = DEFAULT_BUDGET) -> None:
        self.resolver = resolver
        self.ref = ref
        self.size = ref.size
        self.budget = budget
        self.bytes_read = 0

    @property
    def remaining(self) -> int:
        return max(0, self.budget - self.bytes_read)

    def read(self, offset: int, length: int, *, exact: bool = True) -> bytes:
        """``length`` bytes at ``offset``. Raises :class:`Incomplete` when the range lies beyond the file, the
        budget would be exceeded, or (``exact``) fewer bytes came back. OSError propagates."""
        if offset < 0 or length < 0:
            raise Incomplete("malformed", f"negative range {offset}+{length}")
        if offset > self.size:
            raise Incomplete("truncated", f"offset {offset} beyond file size {self.size}")
        if exact and offset + length > self.size:
            raise Incomplete("truncated", f"{length} bytes at {offset} exceed file size {self.size}")
        length = min(length, self.size - offset)
        if length > self.remaining:
            raise Incomplete("budget", f"{length} bytes needed, {self.remaining} of the read budget left")
        data = self._raw(offset, length)
        self.bytes_read += len(data)
        if exact and len(data) != length:
            raise Incomplete("truncated", f"short read at {offset}: {len(data)} of {length} bytes")
        return data

    def _raw(self, offset: int, length: int) -> bytes:
        return self.resolver.read_bytes(self.ref, length, offset)


class SourceReader(BoundedReader):
    """A :class:`BoundedReader` over a :class:`RandomSource` the caller has opened (a file, or a member of
    an archive), with its own budget."""

    def __init__(self, src: RandomSource, budget: int = DEFAULT_BUDGET) -> None:
        self.src = src
        self.size = src.size
        self.budget = budget
        self.bytes_read = 0

    def _raw(self, offset: int, length: int) -> bytes:
        return self.src.read(offset, length)


class Cursor:
    """Sequential reads through a :class:`BoundedReader` with a small read-ahead buffer (for GGUF)."""

    def __init__(self, reader: BoundedReader, offset: int = 0, chunk: int = 64 * 1024) -> None:
        self.reader = reader
        self.pos = offset
        self._buf = b""
        self._buf_at = offset
        self._chunk = chunk

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > self.reader.size:
            raise Incomplete("truncated", f"{n} bytes at {self.pos} exceed file size {self.reader.size}")
        start = self.pos - self._buf_at
        if start + n > len(self._buf):
            keep = self._buf[start:]
            want = max(
                n - len(keep),
                min(self._chunk, self.reader.size - self.pos - len(keep), self.reader.remaining),
            )
            more = self.reader.read(self.pos + len(keep), want, exact=True) if want > 0 else b""
            self._buf = keep + more
            self._buf_at = self.pos
            start = 0
        out = self._buf[start : start + n]
        if len(out) != n:
            raise Incomplete("truncated", f"short read at {self.pos}")
        self.pos += n
        return out

    def skip(self, n: int) -> None:
        if n < 0 or self.pos + n > self.reader.size:
            raise Incomplete("truncated", f"skip of {n} at {self.pos} beyond file size")
        self.pos += n


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
    """Raw deflate (zip method 8) over a compressed byte range, with a CRC-32 of what it delivered. Output is
    bounded by ``limit`` bytes and the ratio limit of :class:`~tierguard.formats.inflate.Inflater`:
    ``truncated`` is set when the stream ended early (input cut, corrupt data, or a limit: ``stopped``)."""

    def __init__(self, src: RandomSource, start: int, csize: int, limit: int = 1 << 40) -> None:
        from tierguard.formats.inflate import Inflater

        super().__init__()
        self._src = src
        self._off = start
        self._end = min(src.size, start + csize)
        self._inf = Inflater(limit)
        self.crc = 0
        self.eof = False
        self.truncated = False

    @property
    def stopped(self) -> str:
        return self._inf.stopped

    def _fill(self, n: int) -> bytes:
        while not self.eof:
            if self._inf.eof:
                self.eof = True
                break
            if self._inf.stopped:
                self.truncated = self.eof = True
                break
            if self._off >= self._end:
                tail = self._inf.feed(b"")
                if tail:
                    self.crc = zlib.crc32(tail, self.crc)
                    return tail
                self.truncated = not self._inf.eof
                self.eof = True
                break
            raw = self._src.read(self._off, min(256 * 1024, self._end - self._off))
            if not raw:
                self.truncated = self.eof = True
                break
            self._off += len(raw)
            out = self._inf.feed(raw)
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


class SourceFile(io.RawIOBase):
    """A read-only, seekable file object over a RandomSource (for libraries that want a file: tarfile,
    py7zr). Reads never go past the source's size."""

    def __init__(self, src: RandomSource) -> None:
        self._src = src
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, off: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._src.size}[whence]
        self._pos = max(0, base + off)
        return self._pos

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._src.read(self._pos, len(b))
        n = len(data)
        b[:n] = data
        self._pos += n
        return n
