"""GGUF: magic, version, tensor count, key/value count, then typed key/value metadata.

Every count and length is bounded by the file size and by the read budget; large arrays (token lists) are
summarised by their element count and a hash of their first elements (items past those are skipped, not
read), and reading stops at the budget with ``partial`` set rather than failing. Versions 1 (32-bit counts
and lengths) to 3 are read. Chat templates (``tokenizer.chat_template`` and the named
``tokenizer.chat_template.<name>``) are kept whole, up to the budget; other strings are cut to
``MAX_STRING_KEPT`` characters.

The identify stage reads a file through :func:`read_gguf` with the default 2 MiB budget (a partial header
is enough to identify a model); the inspect stage reads a file or an archive member through
:func:`read_gguf_source` with a larger budget and treats anything partial as incomplete.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field

from tierguard.formats.source import BoundedReader, Cursor, Incomplete, RandomSource, SourceReader

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
MAX_ARRAY_DEPTH = 4  # arrays of arrays (allowed by the format, rare): nesting beyond this is malformed
CHAT_TEMPLATE = "tokenizer.chat_template"


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

    def chat_templates(self) -> dict[str, str]:
        """Every chat template in the metadata (the default one and named ones), by key."""
        return {
            k: v
            for k, v in self.metadata.items()
            if isinstance(v, str) and (k == CHAT_TEMPLATE or k.startswith(CHAT_TEMPLATE + "."))
        }


class GGUFCounts(Incomplete):
    """The header's tensor or key/value count cannot fit in the file (reason ``malformed``)."""


def read_gguf(reader: BoundedReader) -> GGUFHeader:
    """The header and metadata of a GGUF file. Raises :class:`Incomplete` when nothing could be read (bad
    magic or version, absurd counts, a malformed or truncated first key/value, the budget reached before
    any metadata); stops with ``partial`` set when the budget runs out later."""
    cur = Cursor(reader)
    if cur.take(4) != b"GGUF":
        raise Incomplete("malformed", "not a GGUF file")
    (version,) = struct.unpack("<I", cur.take(4))
    if version not in (1, 2, 3):
        raise Incomplete("malformed", f"unsupported GGUF version {version}")
    p = _Parser(cur, wide=version >= 2)
    tensor_count = p.length()
    kv_count = p.length()
    # every key/value takes at least 2 length fields + 4 (type) + 1 bytes; every tensor info at least 24
    if kv_count * (2 * p.width + 5) > reader.size or tensor_count * 24 > reader.size:
        raise GGUFCounts("malformed", f"absurd counts: {kv_count} key/values, {tensor_count} tensors")
    out = GGUFHeader(version=version, tensor_count=tensor_count, kv_count=kv_count)
    try:
        for _ in range(kv_count):
            key = p.string(MAX_KEY)
            (vtype,) = struct.unpack("<I", cur.take(4))
            try:
                out.metadata[key] = p.value(vtype, key, 0)
            except _Partial as part:
                out.metadata[key] = part.value
                out.partial = f"stopped inside {key}: {part.detail}"
                break
    except Incomplete as exc:
        if exc.reason != "budget" or not out.metadata:
            raise
        out.partial = exc.detail or "read budget reached"
    return out


def read_gguf_source(src: RandomSource, budget: int) -> tuple[GGUFHeader, int]:
    """:func:`read_gguf` over a byte source (a file or an archive member) within ``budget`` bytes; returns
    the header and the number of bytes read."""
    reader = SourceReader(src, budget)
    return read_gguf(reader), reader.bytes_read


class _Partial(Exception):
    def __init__(self, value: GGUFArray, detail: str) -> None:
        super().__init__(detail)
        self.value = value
        self.detail = detail


class _Parser:
    __slots__ = ("cur", "width", "_fmt")

    def __init__(self, cur: Cursor, *, wide: bool) -> None:
        self.cur = cur
        self.width = 8 if wide else 4  # counts and string lengths: 64-bit from version 2 on
        self._fmt = "<Q" if wide else "<I"

    def length(self) -> int:
        return int(struct.unpack(self._fmt, self.cur.take(self.width))[0])

    def _string_length(self, limit: int | None) -> int:
        n = self.length()
        if self.cur.pos + n > self.cur.reader.size:
            raise Incomplete("malformed", f"string length {n} exceeds file size")
        if limit is not None and n > limit:
            raise Incomplete("malformed", f"key length {n} exceeds {limit}")
        return n

    def string(self, limit: int | None = None) -> str:
        return self.cur.take(self._string_length(limit)).decode("utf-8", "replace")

    def skip_string(self) -> None:
        self.cur.skip(self._string_length(None))

    def value(self, vtype: int, key: str, depth: int) -> object:
        cur = self.cur
        if vtype in _SCALAR:
            fmt = _SCALAR[vtype]
            (v,) = struct.unpack(fmt, cur.take(struct.calcsize(fmt)))
            return v
        if vtype == _STRING:
            s = self.string()
            return s if key == CHAT_TEMPLATE or key.startswith(CHAT_TEMPLATE + ".") else s[:MAX_STRING_KEPT]
        if vtype == _ARRAY and depth < MAX_ARRAY_DEPTH:
            (itype,) = struct.unpack("<I", cur.take(4))
            count = self.length()
            if itype in _SCALAR:
                width = struct.calcsize(_SCALAR[itype])
                if cur.pos + count * width > cur.reader.size:
                    raise Incomplete("malformed", f"array of {count} items exceeds file size")
                first = min(count, 16)
                items = tuple(struct.unpack(f"<{first}{_SCALAR[itype][1]}", cur.take(first * width)))
                cur.skip((count - first) * width)
                return GGUFArray(itype, count, items=items)
            if itype == _STRING:
                return self._string_array(count)
            if itype == _ARRAY:
                if cur.pos + count * (4 + self.width) > cur.reader.size:
                    raise Incomplete("malformed", f"array of {count} arrays exceeds file size")
                for _ in range(count):
                    self.value(_ARRAY, key, depth + 1)
                return GGUFArray(itype, count)
            raise Incomplete("malformed", f"unsupported array item type {itype} for {key[:80]!r}")
        if vtype == _ARRAY:
            raise Incomplete("malformed", f"arrays nested deeper than {MAX_ARRAY_DEPTH} for {key[:80]!r}")
        raise Incomplete("malformed", f"unknown value type {vtype} for {key[:80]!r}")

    def _string_array(self, count: int) -> GGUFArray:
        if self.cur.pos + count * self.width > self.cur.reader.size:
            raise Incomplete("malformed", f"string array of {count} items exceeds file size")
        h = hashlib.sha256()
        kept: list[object] = []
        hashed = min(count, ARRAY_HASH_ITEMS)
        for i in range(count):
            try:
                if i >= hashed:  # past the fingerprint: lengths are checked, the strings are not read
                    self.skip_string()
                    continue
                s = self.string()
            except Incomplete as exc:
                if exc.reason != "budget" or i < hashed:
                    raise
                arr = GGUFArray(_STRING, count, False, h.hexdigest(), tuple(kept))
                raise _Partial(arr, exc.detail) from None
            h.update(s.encode("utf-8", "surrogateescape") + b"\n")
            if i < 16:
                kept.append(s)
        return GGUFArray(_STRING, count, True, h.hexdigest(), tuple(kept))
