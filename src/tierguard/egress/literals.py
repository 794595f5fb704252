"""One multi-literal, ASCII-case-insensitive search over a block of log bytes: the end offsets of every
occurrence of any rule literal. Hyperscan (SIMD) where the ``hyperscan`` package works on this machine, else
``ahocorasick-rs`` over the lower-cased block (``TIERGUARD_NO_HYPERSCAN=1`` forces the latter)."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable
from typing import Any


def _collect(_pattern: int, _start: int, end: int, _flags: int, out: list[int]) -> None:
    out.append(end)


def _collect_marked(
    pattern: int, _start: int, end: int, _flags: int, out: tuple[list[int], list[int], int]
) -> None:
    (out[1] if pattern == out[2] else out[0]).append(end)


def _hyperscan(words: list[bytes], caseless: list[bool]) -> Any:
    if os.environ.get("TIERGUARD_NO_HYPERSCAN"):
        return None
    try:
        hs: Any = importlib.import_module("hyperscan")
        db = hs.Database(mode=hs.HS_MODE_BLOCK)
        db.compile(
            expressions=words,
            ids=list(range(len(words))),
            elements=len(words),
            flags=[hs.HS_FLAG_CASELESS if c else 0 for c in caseless],
            literal=True,
        )
    except Exception:  # ImportError, or hyperscan.error on an unsupported CPU
        return None
    return db


def minimal(literals: Iterable[str]) -> list[str]:
    """The literals no other literal is part of (lower case, sorted): a text holds one of the given
    literals exactly when it holds one of these (``deepseek.com`` covers ``platform.deepseek.com``)."""
    words = sorted({w.lower() for w in literals if w}, key=len)
    kept: list[str] = []
    for w in words:
        if not any(k in w for k in kept):
            kept.append(w)
    return sorted(kept)


class LiteralScanner:
    """``ends(block)``: ascending end offsets of every literal occurrence (several per line possible).
    ``marker`` (e.g. ``b"\\n#"``, Zeek header lines) is searched in the same pass, case-sensitively, and its
    end offsets reported apart by :meth:`scan`."""

    def __init__(self, literals: Iterable[str], marker: bytes | None = None) -> None:
        words = minimal(literals)
        self.words = tuple(words)
        raw = [w.encode("ascii", "replace") for w in words]
        self.marker = marker
        self._mark_id = len(raw)
        caseless = [True] * len(raw)
        if marker is not None:
            raw.append(marker)
            caseless.append(False)
        self._hs = _hyperscan(raw, caseless) if raw else None
        self._ac: Any = None
        if self._hs is None and words:
            mod: Any = importlib.import_module("ahocorasick_rs")
            self._ac = mod.BytesAhoCorasick(raw[: len(words)], implementation=mod.Implementation.DFA)

    @property
    def engine(self) -> str:
        return "hyperscan" if self._hs is not None else "ahocorasick-rs" if self._ac is not None else "none"

    def ends(self, block: memoryview | bytes) -> list[int]:
        return self.scan(block)[0]

    def scan(self, block: memoryview | bytes) -> tuple[list[int], list[int]]:
        """(end offsets of the literals, end offsets of the marker), each ascending."""
        out: list[int] = []
        marks: list[int] = []
        if self._hs is not None:
            if self.marker is None:
                self._hs.scan(block, match_event_handler=_collect, context=out)
            else:
                self._hs.scan(block, match_event_handler=_collect_marked, context=(out, marks, self._mark_id))
            out.sort()  # already ascending by end offset in practice; timsort makes that O(n)
            return out, marks
        data = bytes(block)
        if self._ac is not None:
            matches = self._ac.find_matches_as_indexes(data.lower(), overlapping=True)
            out = sorted(end for _i, _s, end in matches)
        if self.marker is not None:
            pos = data.find(self.marker)
            while pos >= 0:
                marks.append(pos + len(self.marker))
                pos = data.find(self.marker, pos + 1)
        return out, marks
