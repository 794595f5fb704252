"""JSON descriptors and small header readers: bounded JSON (configs, indexes, manifests), model-card YAML
front matter, legacy PyTorch magic, tensor names from a PyTorch zip pickle (string scan, never unpickled)."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from tierguard.formats.source import BoundedReader, Incomplete

# torch.save legacy format: pickled magic number 0x1950a86a20f9469cfc6c as the first object
TORCH_LEGACY_MAGIC = b"\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"


def is_torch_legacy(head: bytes) -> bool:
    return head[:2] in (b"\x80\x02", b"\x80\x03", b"\x80\x04") and TORCH_LEGACY_MAGIC in head[:32]


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
