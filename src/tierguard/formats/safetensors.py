"""safetensors: 8-byte little-endian header length N, then N bytes of UTF-8 JSON (tensor name -> dtype, shape,
data_offsets; optional ``__metadata__`` of string -> string), then the data section. Only the header is
read; the data section is checked against it by size alone.

The checks are those of the reference reader (huggingface/safetensors ``tensor.rs``: ``read_metadata`` and
``Metadata::validate``): N at most 100,000,000 and within the file, the header valid UTF-8 JSON, every
descriptor a known dtype with a shape of non-negative integers and ``[start, end]`` offsets, the tensors
sorted by offset tiling the data section exactly (no overlap, no gap, nothing after the last tensor) and each
tensor's byte span equal to its element count times its dtype's size. Where this reader is stricter than the
reference (duplicate keys, NaN/Infinity literals, lone surrogates), it is because JSON readers disagree there.

:func:`check_safetensors` never raises for bad content: it returns the header with its ``problems`` (kind
``overflow``: a length or offset beyond the file or the format's limit; ``layout``: offsets that overlap,
leave gaps or untiled bytes, or disagree with shape x dtype; ``header``: not UTF-8 JSON, not an object, a bad
descriptor, an unknown dtype, ``__metadata__`` not a string map) and ``unread`` (why the tensor table could
not be checked at all; empty when it was). It raises :class:`Incomplete` only when the header could not be
read (file shorter than 8 bytes, the header beyond ``limit`` or the reader's budget, a short read).
:func:`read_safetensors` (identification) raises :class:`Incomplete` when the table was unreadable.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from typing import Any, Literal

from tierguard.formats.source import BoundedReader, Incomplete

FORMAT_MAX_HEADER = 100_000_000  # the reference reader's MAX_HEADER_SIZE
INSPECT_HEADER_LIMIT = 16 * 1024 * 1024
"""What the inspect stage reads of a header: ~100,000 tensors (real checkpoints: a few MB at most); 16 MiB
checks in ~0.9 s and ~120 MB on the 2-core dev machine. A longer header is ``incomplete`` (budget)."""

DTYPE_BITS: dict[str, int] = {
    "BOOL": 8, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6, "U8": 8, "I8": 8,
    "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8,
    "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
    "I32": 32, "U32": 32, "F32": 32, "C64": 64, "F64": 64, "I64": 64, "U64": 64,
}  # fmt: skip
"""Every dtype of safetensors 0.8 (``Dtype::bitsize``); F8_E4M3 / F8_E8M0 carry DeepSeek's FP8 weights and
their block scales."""

_U64 = 1 << 64
_MAX_PROBLEMS = 50

ProblemKind = Literal["overflow", "layout", "header"]


@dataclass(frozen=True, slots=True)
class Problem:
    kind: ProblemKind
    subject: str  # what it is about (a tensor name, "header", "__metadata__"), for a stable finding id
    detail: str


@dataclass(slots=True)
class SafetensorsHeader:
    tensors: dict[str, tuple[str, tuple[int, ...]]] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    header_len: int = 0
    data_len: int = 0  # bytes after the header
    problems: list[Problem] = field(default_factory=list)
    unread: str = ""  # why the tensor table could not be checked; "" when it was
    bad_descriptors: int = 0  # tensor entries that could not be read (not an object, bad shape or offsets)

    def problem(self, kind: ProblemKind, subject: str, detail: str) -> None:
        if len(self.problems) < _MAX_PROBLEMS:
            self.problems.append(Problem(kind, subject[:200], detail[:300]))


class _Invalid(ValueError):
    pass


def _strict_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    for k, v in pairs:
        for text in (k, v) if isinstance(v, str) else (k,):
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate escape (\ud800): serde_json rejects it
                raise _Invalid(f"lone surrogate in {k[:80]!r}") from None
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise _Invalid(f"duplicate key {k[:80]!r} (JSON readers disagree on which value counts)")
            seen.add(k)
    return out


def _no_constant(name: str) -> Any:
    raise _Invalid(f"non-JSON literal {name}")


def _parse(raw: bytes) -> Any:
    text = raw.decode("utf-8")  # strict: the reference rejects invalid UTF-8 (json.loads would guess UTF-16)
    return json.loads(text, object_pairs_hook=_strict_pairs, parse_constant=_no_constant)


def check_safetensors(reader: BoundedReader, limit: int = INSPECT_HEADER_LIMIT) -> SafetensorsHeader:
    """Read and check the header (see the module docstring)."""
    if reader.size < 8:
        raise Incomplete("truncated", f"{reader.size} bytes: no 8-byte header length")
    (n,) = struct.unpack("<Q", reader.read(0, 8))
    out = SafetensorsHeader(header_len=n)
    if n > FORMAT_MAX_HEADER:
        out.unread = f"header length {n} exceeds the format's limit of {FORMAT_MAX_HEADER}"
        out.problem("overflow", "header", out.unread)
        return out
    if n + 8 > reader.size:
        out.unread = f"header length {n} exceeds file size {reader.size}"
        out.problem("overflow", "header", out.unread)
        return out
    if n > limit:
        raise Incomplete("budget", f"header of {n} bytes exceeds the {limit}-byte header limit")
    if n > reader.remaining:
        raise Incomplete("budget", f"header of {n} bytes exceeds the read budget")
    out.data_len = reader.size - 8 - n
    raw = reader.read(8, n)
    try:
        obj = _parse(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeError and JSONDecodeError are ValueErrors
        out.unread = f"header is not valid JSON: {str(exc)[:200]}"
        out.problem("header", "header", out.unread)
        return out
    if not isinstance(obj, dict):
        out.unread = f"header is a JSON {type(obj).__name__}, not an object"
        out.problem("header", "header", out.unread)
        return out
    _check_table(obj, out)
    return out


def _uint(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v < _U64


def _check_metadata(info: Any, out: SafetensorsHeader) -> None:
    if info is None:
        return
    if not isinstance(info, dict):
        out.problem("header", "__metadata__", f"__metadata__ is a JSON {type(info).__name__}, not a map")
        return
    bad = [k for k, v in info.items() if not isinstance(v, str)]
    if bad:
        out.problem("header", "__metadata__", f"__metadata__ value of {bad[0][:80]!r} is not a string")
    out.metadata = {k: v[:500] for k, v in info.items() if isinstance(v, str)}


def _descriptor(name: str, info: Any, out: SafetensorsHeader) -> tuple[int, int, int | None] | None:
    """(start, end, expected byte span or None when the dtype is unknown) of a well-formed descriptor."""
    if not isinstance(info, dict):
        out.bad_descriptors += 1
        out.problem("header", name, f"tensor {name[:80]!r}: descriptor is not an object")
        return None
    dtype, shape, offs = info.get("dtype"), info.get("shape"), info.get("data_offsets")
    if not isinstance(shape, list) or not all(_uint(d) for d in shape):
        out.bad_descriptors += 1
        out.problem("header", name, f"tensor {name[:80]!r}: shape is not a list of non-negative integers")
        return None
    if not (isinstance(offs, list) and len(offs) == 2 and _uint(offs[0]) and _uint(offs[1])):
        out.bad_descriptors += 1
        out.problem("header", name, f"tensor {name[:80]!r}: data_offsets is not [start, end]")
        return None
    out.tensors[name] = (str(dtype)[:40], tuple(shape))
    if not isinstance(dtype, str) or dtype not in DTYPE_BITS:
        out.problem("header", name, f"tensor {name[:80]!r}: unknown dtype {str(dtype)[:40]!r}")
        return offs[0], offs[1], None
    count = 1
    for d in shape:
        count *= d
    bits = count * DTYPE_BITS[dtype]
    if bits >= _U64 * 8:
        out.problem("overflow", name, f"tensor {name[:80]!r}: shape {shape[:8]} overflows a 64-bit size")
        return offs[0], offs[1], None
    if bits % 8:
        out.problem("layout", name, f"tensor {name[:80]!r}: {count} x {dtype} does not fill whole bytes")
        return offs[0], offs[1], None
    return offs[0], offs[1], bits // 8


def _check_table(obj: dict[str, Any], out: SafetensorsHeader) -> None:
    spans: list[tuple[int, int, str]] = []
    for name, info in obj.items():
        if name == "__metadata__":
            _check_metadata(info, out)
            continue
        got = _descriptor(name, info, out)
        if got is None:
            continue
        start, end, want = got
        if end < start:
            out.problem("layout", name, f"tensor {name[:80]!r}: data_offsets end {end} before start {start}")
            continue
        if want is not None and end - start != want:
            out.problem(
                "layout", name, f"tensor {name[:80]!r}: {end - start} bytes at [{start}, {end}), shape x "
                f"dtype needs {want}"
            )  # fmt: skip
        spans.append((start, end, name))
    _check_tiling(spans, out)


def _check_tiling(spans: list[tuple[int, int, str]], out: SafetensorsHeader) -> None:
    """The tensors, sorted by offset, must tile the data section: each starts where the previous ended and
    the last ends at the end of the file (no overlap, no gap, no trailing bytes)."""
    spans.sort()
    pos = 0
    for start, end, name in spans:
        if end > out.data_len:
            out.problem(
                "overflow", name, f"tensor {name[:80]!r}: data_offsets [{start}, {end}) beyond the "
                f"{out.data_len}-byte data section (truncated or forged)"
            )  # fmt: skip
        elif start < pos:
            out.problem(
                "layout", name, f"tensor {name[:80]!r} at [{start}, {end}) overlaps bytes before {pos}"
            )
        elif start > pos:
            out.problem("layout", name, f"{start - pos} bytes at [{pos}, {start}) belong to no tensor")
        pos = max(pos, end)
    if pos < out.data_len:
        out.problem(
            "layout", "trailing", f"{out.data_len - pos} bytes after the last tensor belong to no tensor "
            "(room for a second format: polyglot)"
        )  # fmt: skip


def read_safetensors(reader: BoundedReader) -> SafetensorsHeader:
    """Identification's read: the header within the reader's budget; :class:`Incomplete` when the tensor
    table, or one of its descriptors, could not be read (layout problems are inspection's to report)."""
    out = check_safetensors(reader, limit=reader.remaining)
    if out.unread:
        raise Incomplete("malformed", out.unread)
    if out.bad_descriptors:
        raise Incomplete("malformed", f"{out.bad_descriptors} tensor descriptor(s) could not be read")
    return out
