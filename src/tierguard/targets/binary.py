"""Small bounded readers of binary encodings shared by the identify and inspect stages."""

from __future__ import annotations


def read_varint(buf: bytes, pos: int) -> tuple[int | None, int]:
    """A protobuf base-128 varint at ``pos``: (value, next position), or (None, position reached) when the
    buffer ends first or the varint is longer than 10 bytes (64 bits)."""
    shift = 0
    val = 0
    while pos < len(buf) and shift < 64:
        b = buf[pos]
        pos += 1
        val |= (b & 0x7F) << shift
        if not b & 0x80:
            return val, pos
        shift += 7
    return None, pos
