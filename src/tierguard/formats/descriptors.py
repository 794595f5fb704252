"""JSON descriptors and small header readers: bounded JSON (configs, indexes, manifests), model-card YAML
front matter, legacy PyTorch magic. (Tensor names in a pickle: :func:`tierguard.formats.pickle.tensor_names`,
from the one pickle walker.)"""

from __future__ import annotations

import json
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
