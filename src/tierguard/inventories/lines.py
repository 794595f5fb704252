"""Bounded line reading: a line longer than the cap is skipped (its rest consumed), never held in memory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

CHUNK = 64 * 1024


def iter_lines(fh: BinaryIO, cap: int) -> Iterator[tuple[int, bytes | None]]:
    """Yield (line number, line bytes without newline) or (line number, None) for a line over ``cap``."""
    n = 0
    while True:
        raw = fh.readline(cap + 1)
        if not raw:
            return
        n += 1
        if len(raw) > cap and not raw.endswith(b"\n"):
            while True:  # consume the rest of the gigantic line in chunks
                rest = fh.readline(CHUNK)
                if not rest or rest.endswith(b"\n"):
                    break
            yield n, None
            continue
        yield n, raw.rstrip(b"\r\n")
