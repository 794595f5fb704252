"""Bounded decompression: deflate (zip method 8), zlib and gzip streams with an output byte budget AND a
ratio limit, so a decompression bomb stops early and is reported as incomplete instead of being expanded.

:class:`Inflater` is fed compressed chunks and returns at most what the limits allow; once a limit is hit it
stops (``stopped`` says why) and every later call returns nothing.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass

# Output/input above MAX_RATIO, once more than RATIO_GRACE bytes came out, is treated as a bomb. Real content
# deflates 2-20:1 (pickles, JSON, source, sdists); only long runs of one byte or pattern reach 200:1 (deflate
# tops out near 1032:1). A stream past the limit stops, and what it held is reported incomplete, never clean.
MAX_RATIO = 200
RATIO_GRACE = 1024 * 1024
RAW_DEFLATE = -15
GZIP = 16 + 15


class Inflater:
    """Incremental bounded decompressor. ``wbits``: RAW_DEFLATE (zip), GZIP, or zlib's 15."""

    def __init__(self, limit: int, *, wbits: int = RAW_DEFLATE, max_ratio: int = MAX_RATIO) -> None:
        self._d = zlib.decompressobj(wbits)
        self._wbits = wbits
        self.limit = limit
        self.max_ratio = max_ratio
        self.consumed = 0  # compressed bytes fed
        self.produced = 0
        self.stopped = ""  # "" while running; else why output stopped (budget, ratio, corrupt)

    @property
    def eof(self) -> bool:
        return bool(self._d.eof)

    def feed(self, chunk: bytes) -> bytes:
        """Decompress ``chunk`` (plus whatever an earlier call left unconsumed), within the limits."""
        if self.stopped:
            return b""
        self.consumed += len(chunk)
        data = self._d.unconsumed_tail + chunk
        out = bytearray()
        while data and not self._d.eof:
            room = self.limit - self.produced - len(out)
            if room <= 0:
                self.stopped = f"decompressed size over the {self.limit}-byte budget"
                break
            try:
                piece = self._d.decompress(data, min(room, 1 << 18))
            except zlib.error as exc:
                self.stopped = f"corrupt compressed data: {exc}"
                break
            out += piece
            data = self._d.unconsumed_tail
            total = self.produced + len(out)
            if total > RATIO_GRACE and total > self.max_ratio * max(1, self.consumed - len(data)):
                self.stopped = f"compression ratio over {self.max_ratio}:1 (decompression bomb?)"
                break
            if not piece and not data:
                break
        if self._d.eof and self._wbits == GZIP and self._d.unused_data[:2] == b"\x1f\x8b":
            # a concatenated gzip member follows (gzip allows it): continue with a fresh decompressor
            rest = self._d.unused_data
            self._d = zlib.decompressobj(self._wbits)
            self.produced += len(out)
            self.consumed -= len(rest)
            return bytes(out) + self.feed(rest)
        self.produced += len(out)
        return bytes(out)


@dataclass(frozen=True, slots=True)
class Inflated:
    data: bytes
    complete: bool  # the compressed stream ended and everything it holds is in ``data``
    reason: str = ""


def inflate_all(
    chunks: Iterable[bytes], limit: int, *, wbits: int = RAW_DEFLATE, max_ratio: int = MAX_RATIO
) -> Inflated:
    """Decompress an iterable of compressed chunks into memory, within ``limit`` bytes and the ratio limit."""
    inf = Inflater(limit, wbits=wbits, max_ratio=max_ratio)
    parts: list[bytes] = []
    for chunk in chunks:
        parts.append(inf.feed(chunk))
        if inf.stopped or inf.eof:
            break
    if not inf.stopped and not inf.eof:
        # flush what the decompressor still holds (bounded by the same checks)
        parts.append(inf.feed(b""))
    data = b"".join(parts)
    if inf.stopped:
        return Inflated(data, False, inf.stopped)
    if not inf.eof:
        return Inflated(data, False, "compressed stream truncated")
    return Inflated(data, True)
