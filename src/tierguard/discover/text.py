"""Text positions for detectors: offset -> line number, line text and excerpt (``Lines``), a lower-casing
that keeps offsets (``lower_same_length``) and the line windows around trigger words (``trigger_windows``).
Pure functions of a text."""

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
        self._bounds = (0, -2)  # the last line looked up (``_line``); none yet

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

    def _line(self, pos: int) -> tuple[int, int]:
        """(start, end) of the line holding ``pos``: end is the offset of its line break, -1 on the last
        line. The last line looked up is kept: many lookups on one long line do not search it again."""
        start, end = self._bounds
        if not (start <= pos and (pos <= end or end == -1)):
            start = self.text.rfind("\n", 0, pos) + 1
            end = self.text.find("\n", start)
            self._bounds = (start, end)
        return start, end

    def excerpt(self, pos: int) -> str:
        start, end = self._line(pos)
        if end < 0:
            end = len(self.text)
        if end - start > MAX_EXCERPT * 4:  # very long line: a window around the match
            lo = max(start, pos - MAX_EXCERPT // 2)
            return self.text[lo : lo + MAX_EXCERPT].strip()
        return self.text[start:end].strip()[:MAX_EXCERPT]

    def line_text(self, pos: int) -> str:
        start, end = self._line(pos)
        return self.text[start : end if end >= 0 else min(len(self.text), start + 2000)][:2000]


def lower_same_length(text: str) -> str:
    """``text.lower()`` with every offset preserved, so positions found in the lower-cased text index the
    original. U+0130 (capital I with dot) is the only code point whose full lower-case mapping is longer
    than one character ("i" + combining dot); it is mapped to a plain "i" first."""
    return text.replace("\u0130", "i").lower() if "\u0130" in text else text.lower()


def trigger_windows(
    low: str, triggers: tuple[str, ...], positions: dict[str, list[int]] | None = None
) -> list[tuple[int, int]]:
    """The spans of ``low`` worth running a context regex on: each line holding a trigger, extended to the
    end of the next line (a value may follow on it), merged where they touch. Running the regex only there
    (``finditer(text, lo, hi)``: no copies) finds what a whole-text run finds in large files where triggers
    such as ``model`` occur on a few lines. Empty when no trigger occurs. ``positions`` (trigger -> start
    offsets, from the engine's prefilter pass) replaces searching ``low`` for each trigger."""
    spans: list[tuple[int, int]] = []
    n = len(low)
    for t in triggers:
        if positions is None:
            i = low.find(t)
            while i >= 0:
                lo, hi = _line_and_next(low, i, n)
                spans.append((lo, hi))
                i = low.find(t, hi)
            continue
        hi = -1
        for i in positions.get(t, ()):
            if i >= hi:
                lo, hi = _line_and_next(low, i, n)
                spans.append((lo, hi))
    if len(spans) <= 1:
        return spans
    spans.sort()
    merged = [spans[0]]
    for lo, hi in spans[1:]:
        plo, phi = merged[-1]
        if lo <= phi + 1:
            merged[-1] = (plo, max(phi, hi))
        else:
            merged.append((lo, hi))
    return merged


def _line_and_next(low: str, i: int, n: int) -> tuple[int, int]:
    """(start of the line holding offset ``i``, end of the line after it)."""
    lo = low.rfind("\n", 0, i) + 1
    hi = low.find("\n", i)
    hi = n if hi < 0 else low.find("\n", hi + 1)
    return lo, (n if hi < 0 else hi)
