"""Bounded reading of one exported JSON document: size cap, depth cap, lines found for records.

Nothing is evaluated: the bytes are decoded by msgspec into plain dicts/lists/strings/numbers. A file larger
than the cap, that is not UTF-8 JSON, is cut short, or nests deeper than the cap is a :class:`BadJson` with
a reason code (``too-large``, ``malformed``, ``unreadable``) the caller records as skipped.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

MAX_BYTES = 64 << 20  # one export file
MAX_DEPTH = 64  # nesting of arrays/objects (the shapes read nest at most ~8 deep)
MAX_EXCERPT = 300
_CTRL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


class BadJson(Exception):
    """An export that could not be read as JSON: ``reason`` is a Skipped reason code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(slots=True)
class Document:
    """One decoded export and its text, for finding the line a record starts on."""

    data: Any
    text: str
    _starts: list[int] = field(default_factory=list)
    _cursor: int = 0

    def __post_init__(self) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", self.text)]

    def line_of(self, needle: str | None) -> int:
        """The 1-based line where the JSON string ``needle`` (an ARN, a resource id) next occurs, searching
        on from the previous hit so that records are found in order; 1 when it is not found."""
        if not needle:
            return 1
        quoted = json.dumps(needle, ensure_ascii=False)
        pos = self.text.find(quoted, self._cursor)
        if pos < 0:
            pos = self.text.find(quoted)
        if pos < 0:
            return 1
        self._cursor = pos + len(quoted)
        return bisect.bisect_right(self._starts, pos)

    def first_line(self, needle: str | None, default: int) -> int:
        """The line where the JSON string ``needle`` first occurs (``default`` when it does not)."""
        if not needle:
            return default
        pos = self.text.find(json.dumps(needle, ensure_ascii=False))
        return default if pos < 0 else bisect.bisect_right(self._starts, pos)


def load(path: Path, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> Document:
    """Read and decode ``path`` within the bounds (see the module docstring)."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise BadJson("unreadable", f"cannot read: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:
        raise BadJson("too-large", f"larger than {max_bytes:,} bytes (the export size cap)")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadJson("malformed", f"not UTF-8 at byte {exc.start}") from None
    try:
        data = msgspec.json.decode(raw)
    except RecursionError:
        raise BadJson("malformed", f"JSON nested deeper than {max_depth} levels") from None
    except msgspec.DecodeError as exc:
        raise BadJson("malformed", f"not valid JSON (truncated or corrupt): {exc}") from None
    if _too_deep(data, max_depth):
        raise BadJson("malformed", f"JSON nested deeper than {max_depth} levels")
    return Document(data, text)


def _too_deep(data: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def clean(text: str, limit: int = MAX_EXCERPT) -> str:
    """Bounded, one line, no control or bidirectional-override characters."""
    return _CTRL.sub(" ", text)[:limit].strip()


def text(value: Any, limit: int = 2048) -> str | None:
    """``value`` when it is a non-empty string (cut to ``limit``), else None."""
    if isinstance(value, str) and value:
        return value[:limit]
    return None


def obj(value: Any) -> dict[str, Any]:
    """``value`` when it is an object, else an empty one."""
    return value if isinstance(value, dict) else {}


def arr(value: Any) -> list[Any]:
    """``value`` when it is an array, else an empty one."""
    return value if isinstance(value, list) else []
