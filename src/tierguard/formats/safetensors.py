"""safetensors: 8-byte little-endian header length, then a JSON header (tensor name -> dtype, shape,
data_offsets; optional ``__metadata__`` of string -> string). Only the header is read."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field

from tierguard.formats.source import BoundedReader, Incomplete


@dataclass(slots=True)
class SafetensorsHeader:
    tensors: dict[str, tuple[str, tuple[int, ...]]] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    header_len: int = 0


def read_safetensors(reader: BoundedReader) -> SafetensorsHeader:
    head = reader.read(0, 8)
    (n,) = struct.unpack("<Q", head)
    if n + 8 > reader.size:
        raise Incomplete("malformed", f"header length {n} exceeds file size {reader.size}")
    if n > reader.remaining:
        raise Incomplete("budget", f"header of {n} bytes exceeds the read budget")
    raw = reader.read(8, n)
    try:
        obj = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise Incomplete("malformed", f"header is not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise Incomplete("malformed", "header is not a JSON object")
    out = SafetensorsHeader(header_len=n)
    for name, info in obj.items():
        if name == "__metadata__":
            if isinstance(info, dict):
                out.metadata = {str(k): str(v)[:500] for k, v in info.items()}
            continue
        if not isinstance(info, dict):
            raise Incomplete("malformed", f"tensor {name[:80]!r} has no descriptor")
        shape = info.get("shape", [])
        dims = tuple(int(d) for d in shape if isinstance(d, int)) if isinstance(shape, list) else ()
        out.tensors[name] = (str(info.get("dtype", "")), dims)
    return out
