"""A budgeted reader over one resolver file: every read is bounded by the file size and a byte budget."""

from __future__ import annotations

from tierguard.targets.interface import FileRef, Resolver

DEFAULT_BUDGET = 2 * 1024 * 1024  # bytes per file, every format reader included


class Incomplete(Exception):
    """The header could not be read completely; ``reason`` is a short machine-readable code."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class BoundedReader:
    """Reads ``ref`` through ``resolver`` within ``budget`` bytes in total; counts what it read."""

    def __init__(self, resolver: Resolver, ref: FileRef, budget: int = DEFAULT_BUDGET) -> None:
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
        data = self.resolver.read_bytes(self.ref, length, offset)
        self.bytes_read += len(data)
        if exact and len(data) != length:
            raise Incomplete("truncated", f"short read at {offset}: {len(data)} of {length} bytes")
        return data


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
