"""GGUF: magic, version, tensor count, key/value count, then typed key/value metadata.

Every count and length is bounded by the file size and by the read budget; large arrays (token lists) are
summarised by their element count and a hash of their first elements, and reading stops at the budget with
``partial`` set rather than failing.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field

from tierguard.formats.source import BoundedReader, Cursor, Incomplete

# GGUF value types
_SCALAR = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_STRING, _ARRAY = 8, 9
MAX_KEY = 65535
MAX_STRING_KEPT = 4096  # characters of a string value kept (chat templates are kept whole up to the budget)
ARRAY_HASH_ITEMS = 4096  # token-list fingerprint: hash of the first N items


@dataclass(slots=True)
class GGUFArray:
    type: int
    count: int
    complete: bool = True
    head_sha256: str = ""  # sha256 over the first ARRAY_HASH_ITEMS items (strings joined by \n)
    items: tuple[object, ...] = ()  # the first few items (small arrays only)


@dataclass(slots=True)
class GGUFHeader:
    version: int = 0
    tensor_count: int = 0
    kv_count: int = 0
    metadata: dict[str, object] = field(default_factory=dict)
    partial: str = ""  # why metadata reading stopped early (budget), empty when complete


def read_gguf(reader: BoundedReader) -> GGUFHeader:
    cur = Cursor(reader)
    if cur.take(4) != b"GGUF":
        raise Incomplete("malformed", "not a GGUF file")
    (version,) = struct.unpack("<I", cur.take(4))
    if version not in (2, 3):
        raise Incomplete("malformed", f"unsupported GGUF version {version}")
    tensor_count, kv_count = struct.unpack("<QQ", cur.take(16))
    # every key/value takes at least 8 (key length) + 4 (type) + 1 bytes; every tensor info at least 24
    if kv_count * 13 > reader.size or tensor_count * 24 > reader.size:
        raise Incomplete("malformed", f"absurd counts: {kv_count} key/values, {tensor_count} tensors")
    out = GGUFHeader(version=version, tensor_count=tensor_count, kv_count=kv_count)
    try:
        for _ in range(kv_count):
            key = _string(cur, MAX_KEY)
            (vtype,) = struct.unpack("<I", cur.take(4))
            try:
                out.metadata[key] = _value(cur, vtype, key)
            except _Partial as part:
                out.metadata[key] = part.value
                out.partial = f"stopped inside {key}: {part.detail}"
                break
    except Incomplete as exc:
        if exc.reason != "budget" or not out.metadata:
            raise
        out.partial = exc.detail or "read budget reached"
    return out


class _Partial(Exception):
    def __init__(self, value: GGUFArray, detail: str) -> None:
        super().__init__(detail)
        self.value = value
        self.detail = detail


def _string(cur: Cursor, limit: int | None = None) -> str:
    (n,) = struct.unpack("<Q", cur.take(8))
    if cur.pos + n > cur.reader.size:
        raise Incomplete("malformed", f"string length {n} exceeds file size")
    if limit is not None and n > limit:
        raise Incomplete("malformed", f"key length {n} exceeds {limit}")
    return cur.take(n).decode("utf-8", "replace")


def _value(cur: Cursor, vtype: int, key: str) -> object:
    if vtype in _SCALAR:
        fmt = _SCALAR[vtype]
        (v,) = struct.unpack(fmt, cur.take(struct.calcsize(fmt)))
        return v
    if vtype == _STRING:
        s = _string(cur)
        return s if key == "tokenizer.chat_template" else s[:MAX_STRING_KEPT]
    if vtype == _ARRAY:
        (itype,) = struct.unpack("<I", cur.take(4))
        (count,) = struct.unpack("<Q", cur.take(8))
        if itype in _SCALAR:
            width = struct.calcsize(_SCALAR[itype])
            if cur.pos + count * width > cur.reader.size:
                raise Incomplete("malformed", f"array of {count} items exceeds file size")
            first = min(count, 16)
            items = tuple(struct.unpack(f"<{first}{_SCALAR[itype][1]}", cur.take(first * width)))
            cur.skip((count - first) * width)
            return GGUFArray(itype, count, items=items)
        if itype == _STRING:
            if cur.pos + count * 8 > cur.reader.size:
                raise Incomplete("malformed", f"string array of {count} items exceeds file size")
            h = hashlib.sha256()
            kept: list[object] = []
            for i in range(count):
                try:
                    s = _string(cur)
                except Incomplete as exc:
                    if exc.reason != "budget" or i < min(count, ARRAY_HASH_ITEMS):
                        raise
                    arr = GGUFArray(itype, count, False, h.hexdigest(), tuple(kept))
                    raise _Partial(arr, exc.detail) from None
                if i < ARRAY_HASH_ITEMS:
                    h.update(s.encode("utf-8", "surrogateescape") + b"\n")
                if i < 16:
                    kept.append(s)
            return GGUFArray(itype, count, True, h.hexdigest(), tuple(kept))
        raise Incomplete("malformed", f"unsupported array item type {itype} for {key[:80]!r}")
    raise Incomplete("malformed", f"unknown value type {vtype} for {key[:80]!r}")
