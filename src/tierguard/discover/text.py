"""Text positions for detectors: offset -> line number, line text and excerpt (``Lines``), and a lower-casing
that keeps offsets (``lower_same_length``). Pure functions of a text."""

from __future__ import annotations

import bisect
import itertools

MAX_EXCERPT = 200


class Lines:
    """Offset -> 1-based line number and line text. Most lookups come in ascending offset order, so the
    line number is counted on from the previous lookup (``str.count``, C speed); a full line-start index is
    built only if lookups go backwards often."""

    _BACKWARDS_BEFORE_INDEX = 8

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None = None
        self._last = (0, 1)  # (offset, its line number)
        self._backwards = 0

    def _index(self) -> list[int]:
        if self._starts is None:
            # offsets of every line start, with C-level iteration only (split, map, accumulate)
            lengths = map((1).__add__, map(len, self.text.split("\n")))
            starts = list(itertools.accumulate(lengths, initial=0))
            starts.pop()
            self._starts = starts
        return self._starts

    def line(self, pos: int) -> int:
        if self._starts is not None:
            return bisect.bisect_right(self._starts, pos)
        last_pos, last_line = self._last
        if pos >= last_pos:
            n = last_line + self.text.count("\n", last_pos, pos)
        else:
            self._backwards += 1
            if self._backwards > self._BACKWARDS_BEFORE_INDEX:
                return bisect.bisect_right(self._index(), pos)
            n = 1 + self.text.count("\n", 0, pos)
        self._last = (pos, n)
        return n

    def _line_start(self, pos: int) -> int:
        return self.text.rfind("\n", 0, pos) + 1

    def excerpt(self, pos: int) -> str:
        start = self._line_start(pos)
        end = self.text.find("\n", start)
        if end < 0:
            end = len(self.text)
        if end - start > MAX_EXCERPT * 4:  # very long line: a window around the match
            lo = max(start, pos - MAX_EXCERPT // 2)
            return self.text[lo : lo + MAX_EXCERPT].strip()
        return self.text[start:end].strip()[:MAX_EXCERPT]

    def line_text(self, pos: int) -> str:
        start = self._line_start(pos)
        end = self.text.find("\n", start)
        return self.text[start : end if end >= 0 else min(len(self.text), start + 2000)][:2000]


def lower_same_length(text: str) -> str:
    """``text.lower()`` with every offset preserved, so positions found in the lower-cased text index the
    original. U+0130 (capital I with dot) is the only code point whose full lower-case mapping is longer
    than one character ("i" + combining dot); it is mapped to a plain "i" first."""
    return text.replace("\u0130", "i").lower() if "\u0130" in text else text.lower()
