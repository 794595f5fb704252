"""Small header readers: ONNX ModelProto top-level fields, model-card YAML front matter, bounded JSON,
legacy PyTorch magic, tensor names from a PyTorch zip's pickle (string scan only, never unpickled)."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from tierguard.identify.formats.bounded import BoundedReader, Incomplete
from tierguard.targets.binary import read_varint

# torch.save legacy format: pickled magic number 0x1950a86a20f9469cfc6c as the first object
TORCH_LEGACY_MAGIC = b"\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"

_ONNX_STRINGS = {2: "producer_name", 3: "producer_version", 4: "domain", 6: "doc_string"}


def is_torch_legacy(head: bytes) -> bool:
    return head[:2] in (b"\x80\x02", b"\x80\x03", b"\x80\x04") and TORCH_LEGACY_MAGIC in head[:32]


def read_onnx(reader: BoundedReader) -> dict[str, str]:
    """Top-level ModelProto fields; the graph (field 7) is skipped by its length, never read."""
    out: dict[str, str] = {}
    pos = 0
    opsets: list[str] = []
    while pos < reader.size and len(out) < 64:
        head = reader.read(pos, min(20, reader.size - pos), exact=False)
        key, p = read_varint(head, 0)
        if key is None or key == 0:
            break
        field_no, wire = key >> 3, key & 7
        if wire == 0:
            val, p2 = read_varint(head, p)
            if val is None:
                break
            if field_no == 1:
                out["ir_version"] = str(val)
            elif field_no == 5:
                out["model_version"] = str(val)
            pos += p2
        elif wire == 2:
            ln, p2 = read_varint(head, p)
            if ln is None or pos + p2 + ln > reader.size:
                raise Incomplete("malformed", f"ONNX field {field_no} length exceeds file size")
            body_at = pos + p2
            if field_no in _ONNX_STRINGS and ln <= 4096:
                out[_ONNX_STRINGS[field_no]] = reader.read(body_at, ln).decode("utf-8", "replace")
            elif field_no == 8 and ln <= 256:
                opsets.append(reader.read(body_at, ln).hex())
            elif field_no == 14 and ln <= 65536:
                kv = _onnx_kv(reader.read(body_at, ln))
                if kv is not None:
                    out[f"metadata.{kv[0]}"] = kv[1]
            pos = body_at + ln
        else:
            raise Incomplete("malformed", f"unexpected ONNX wire type {wire}")
    if "ir_version" not in out:
        raise Incomplete("malformed", "no ONNX ir_version")
    return out


def _onnx_kv(msg: bytes) -> tuple[str, str] | None:
    vals: dict[int, str] = {}
    pos = 0
    while pos < len(msg):
        key, pos = read_varint(msg, pos)
        if key is None or key & 7 != 2:
            return None
        ln, pos = read_varint(msg, pos)
        if ln is None:
            return None
        vals[key >> 3] = msg[pos : pos + ln].decode("utf-8", "replace")[:500]
        pos += ln
    return (vals.get(1, ""), vals.get(2, "")) if 1 in vals else None


def read_json(reader: BoundedReader, limit: int = 2 * 1024 * 1024) -> Any:
    if reader.size > limit:
        raise Incomplete("budget", f"JSON file of {reader.size} bytes exceeds {limit}")
    raw = reader.read(0, reader.size)
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise Incomplete("malformed", f"invalid JSON: {exc}") from None


def read_front_matter(reader: BoundedReader, limit: int = 256 * 1024) -> dict[str, Any]:
    """The YAML front matter of a model card (README.md), {} when there is none."""
    raw = reader.read(0, min(reader.size, limit))
    text = raw.decode("utf-8", "replace").replace("\r\n", "\n")
    if not text.startswith("---\n"):
        return {}
    end = text.find("\n---", 4)
    if end < 0:
        raise Incomplete("malformed", "model card front matter is not closed")
    try:
        data = yaml.safe_load(text[4:end])
    except yaml.YAMLError as exc:
        raise Incomplete("malformed", f"invalid card front matter: {str(exc)[:200]}") from None
    return data if isinstance(data, dict) else {}


_NAME = re.compile(r"^[A-Za-z_][\w.]*\.(?:weight|bias|[A-Za-z_]\w*)$")


def pickle_tensor_names(raw: bytes) -> list[str]:
    """Dotted parameter names that occur as pickle string operands (a static scan of the bytes)."""
    out: list[str] = []
    seen: set[str] = set()
    i = 0
    n = len(raw)
    while i < n:
        op = raw[i]
        if op == 0x8C and i + 1 < n:
            ln = raw[i + 1]
            s = raw[i + 2 : i + 2 + ln]
            i += 2 + ln
        elif op == 0x58 and i + 5 <= n:
            ln = int.from_bytes(raw[i + 1 : i + 5], "little")
            if ln > 4096:
                i += 1
                continue
            s = raw[i + 5 : i + 5 + ln]
            i += 5 + ln
        else:
            i += 1
            continue
        try:
            t = s.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if "." in t and _NAME.match(t) and t not in seen:
            seen.add(t)
            out.append(t)
    return out
