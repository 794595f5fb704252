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


def _hyperscan(words: list[bytes]) -> Any:
    if os.environ.get("TIERGUARD_NO_HYPERSCAN"):
        return None
    try:
        hs: Any = importlib.import_module("hyperscan")
        db = hs.Database(mode=hs.HS_MODE_BLOCK)
        db.compile(
            expressions=words,
            ids=list(range(len(words))),
            elements=len(words),
            flags=hs.HS_FLAG_CASELESS,
            literal=True,
        )
    except Exception:  # ImportError, or hyperscan.error on an unsupported CPU
        return None
    return db


class LiteralScanner:
    """``ends(block)``: ascending end offsets of every literal occurrence (several per line possible)."""

    def __init__(self, literals: Iterable[str]) -> None:
        words = sorted({w.lower() for w in literals if w})
        self.words = tuple(words)
        raw = [w.encode("ascii", "replace") for w in words]
        self._hs = _hyperscan(raw) if raw else None
        self._ac: Any = None
        if self._hs is None and raw:
            mod: Any = importlib.import_module("ahocorasick_rs")
            self._ac = mod.BytesAhoCorasick(raw, implementation=mod.Implementation.DFA)

    @property
    def engine(self) -> str:
        return "hyperscan" if self._hs is not None else "ahocorasick-rs" if self._ac is not None else "none"

    def ends(self, block: memoryview | bytes) -> list[int]:
        out: list[int] = []
        if self._hs is not None:
            self._hs.scan(block, match_event_handler=_collect, context=out)
            out.sort()  # already ascending by end offset in practice; timsort makes that O(n)
            return out
        if self._ac is not None:
            matches = self._ac.find_matches_as_indexes(bytes(block).lower(), overlapping=True)
            out = sorted(end for _i, _s, end in matches)
        return out
