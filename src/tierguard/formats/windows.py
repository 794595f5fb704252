"""A file seen through two read windows, its head and its tail, plus a few small spot reads, all within the
read budget.

Header readers of formats whose fields may sit anywhere (an ONNX ModelProto's ``opset_import`` and
``metadata_props`` after a graph of hundreds of megabytes; a TFLite FlatBuffer's description and metadata
buffers) read a file no larger than the budget whole. A larger file is read as its first 7/16 of the budget
and, only when asked for bytes near its end, its last 7/16; the remaining eighth pays for spot reads of small
header fields that lie between the two windows (at most :data:`MAX_SPOTS` of them). A range that none of
these can serve is answered with None (:meth:`HeadTail.get`), so a reader reports the field as not read
instead of guessing it.
"""

from __future__ import annotations

from tierguard.formats.source import BoundedReader

MAX_SPOTS = 32


class HeadTail:
    def __init__(self, reader: BoundedReader) -> None:
        self.size = reader.size
        self._reader = reader
        budget = reader.remaining
        self._spots: dict[int, bytes] = {}
        if self.size <= budget:
            self._head = reader.read(0, self.size)  # small enough: read whole
            self._tail_at = self.size
            self._reserve = 0
        else:
            w = budget * 7 // 16
            self._head = reader.read(0, w)
            self._tail_at = self.size - w
            self._reserve = budget - 2 * w
        self._tail: bytes | None = None

    @property
    def whole(self) -> bool:
        """The whole file is inside the head window."""
        return len(self._head) == self.size

    def _tail_bytes(self) -> bytes:
        if self._tail is None:
            self._tail = self._reader.read(self._tail_at, self.size - self._tail_at)
        return self._tail

    def span(self, offset: int) -> tuple[int, int] | None:
        """(start, end) of the window holding ``offset``, or None when it lies between the windows or
        outside the file."""
        if 0 <= offset < len(self._head):
            return 0, len(self._head)
        if self._tail_at <= offset < self.size:
            return self._tail_at, self.size
        return None

    def _spot(self, offset: int, n: int) -> bytes:
        got = self._spots.get(offset)
        if got is not None and len(got) >= n:
            return got[:n]
        n = min(n, self.size - offset)
        if n <= 0 or n > self._reserve or len(self._spots) >= MAX_SPOTS:
            return b""
        data = self._reader.read(offset, n)
        self._reserve -= len(data)
        self._spots[offset] = data
        return data

    def avail(self, offset: int, n: int, *, spot: bool = False) -> bytes:
        """Up to ``n`` bytes from ``offset``, cut at the end of the window that holds ``offset``; between the
        windows, a spot read of ``n`` bytes when ``spot`` and the reserve allow it; else empty."""
        if n <= 0 or offset < 0 or offset >= self.size:
            return b""
        sp = self.span(offset)
        if sp is None:
            return self._spot(offset, n) if spot else b""
        start, end = sp
        buf = self._head if start == 0 else self._tail_bytes()
        rel = offset - start
        got = buf[rel : rel + min(n, end - offset)]
        if len(got) < n and end < self.size and spot:  # across a window's end: read the range as a spot
            whole = self._spot(offset, n)
            return whole if len(whole) > len(got) else got
        return got

    def get(self, offset: int, n: int, *, spot: bool = False) -> bytes | None:
        """Exactly ``n`` bytes at ``offset`` when the windows (or, with ``spot``, a spot read) hold them all,
        else None."""
        if n < 0 or offset < 0 or offset + n > self.size:
            return None
        if n == 0:
            return b""
        got = self.avail(offset, n, spot=spot)
        return got if len(got) == n else None

    def window_end(self, offset: int) -> int | None:
        sp = self.span(offset)
        return None if sp is None else sp[1]
