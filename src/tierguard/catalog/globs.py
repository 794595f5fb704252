"""First-match lookup over many glob lists in one regex call (model family names, HF ids, router ids)."""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class FirstGlob(Generic[T]):
    """Which of many glob lists first fully matches a string, in list order, in one regex call: each list
    becomes a named group of one alternation (the engine tries alternatives in order, so the group that
    matched is the first list that matches; fnmatch patterns hold no capturing groups of their own)."""

    def __init__(self, families: Sequence[tuple[T, Iterable[str]]]) -> None:
        self._items: dict[str, T] = {}
        alts: list[str] = []
        for i, (fam, patterns) in enumerate(families):
            pats = [fnmatch.translate(p.lower()) for p in patterns]
            if pats:
                self._items[f"g{i}"] = fam
                alts.append(f"(?P<g{i}>" + "|".join(f"(?:{p})" for p in pats) + ")")
        self._source = "|".join(alts)

    @functools.cached_property
    def _rx(self) -> re.Pattern[str] | None:  # compiled on first use: many runs never match model names
        return re.compile(self._source) if self._source else None

    def first(self, value: str) -> T | None:
        rx = self._rx
        if rx is None:
            return None
        mo = rx.fullmatch(value)
        return None if mo is None or mo.lastgroup is None else self._items[mo.lastgroup]
