"""The lines of a unit that hold a catalog keyword, from the engine's prefilter positions (or one keyword
search when there are none): the tokens around each keyword hit, and the regex matches on those lines only
(``hit_matches``), optionally only on the lines holding a keyword of one kind of catalog name. Pure functions
of a collector's text; computed once per collector."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from tierguard.catalog.loader import Catalog

from .keywords import CAT_ALL, derived_keywords

if TYPE_CHECKING:
    from .common import Collector

_TOKEN_CHARS_STR = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:/-@+"


def line_window(text: str, a: int, b: int, n: int) -> tuple[int, int]:
    """The line holding ``text[a:b]`` (``n`` = len(text)), cut to 2,000 characters either side. A line break
    is looked for only that far, so a long line is not searched again for every hit on it."""
    ls = max(text.rfind("\n", max(0, a - 2000), a) + 1, a - 2000)
    le = text.find("\n", b, b + 2000)
    return ls, (min(n, b + 2000) if le < 0 else le)


_Hits = tuple[list[tuple[int, str]], list[tuple[int, int]], list[int], int]


def hit_lines(c: Collector, catalog: Catalog) -> _Hits:
    """One pass of the catalog keyword regex over the unit: (tokens around hits, line spans with hits, per
    span the ``CAT_*`` kinds of its keywords, their OR over the unit).

    Every catalog name (host, package, import, env key, class) contains a keyword, so scans for them only
    need the lines where a keyword occurs; huge lines are cut to a window around the hit. The kinds are
    known when the engine's prefilter gave every (overlapping) keyword occurrence; else every span has all."""
    cached = c.cache.get("hits")
    if cached is not None:
        return cached  # type: ignore[return-value]
    text = c.text
    tokens: list[tuple[int, str]] = []
    spans: list[tuple[int, int]] = []
    kinds: list[int] = []
    last_end = -1
    n = len(text)
    if c.hits is not None:
        found: Iterable[tuple[int, int]] = c.hits.keyword_spans
        hit_kinds: Iterable[int] = c.hits.keyword_kinds or itertools.repeat(CAT_ALL)
    else:
        found = derived_keywords(catalog)[1].spans(c.low)  # leftmost, not overlapping: kinds unknown
        hit_kinds = itertools.repeat(CAT_ALL)
    for (hs, he), kind in zip(found, hit_kinds, strict=False):  # the kinds may repeat forever
        if hs < last_end:  # inside the previous token, so inside the last span
            kinds[-1] |= kind
            continue
        # the token runs over token characters both ways from the hit, at most 200 each way
        left = text[max(0, hs - 200) : hs]
        a = hs - (len(left) - len(left.rstrip(_TOKEN_CHARS_STR)))
        right = text[he : he + 200]
        b = he + (len(right) - len(right.lstrip(_TOKEN_CHARS_STR)))
        last_end = b
        tok = text[a:b].strip(".:/-@+")
        if tok:
            tokens.append((text.find(tok, a, b), tok))
        if spans:
            end = spans[-1][1]
            if b <= end and (end == n or text[end] == "\n"):  # on the last span's line: no new window
                kinds[-1] |= kind
                continue
        ls, le = line_window(text, a, b, n)
        if spans and ls <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], le))
            kinds[-1] |= kind
        else:
            spans.append((ls, le))
            kinds.append(kind)
    every = 0
    for kind in kinds:
        every |= kind
    out = (tokens, spans, kinds, every)
    c.cache["hits"] = out
    return out


def keyword_tokens(c: Collector, catalog: Catalog) -> list[tuple[int, str]]:
    """(start, token) of every identifier-like token around a catalog keyword hit, in text order; the
    token runs over ``[\\w.:/@+-]`` both ways from the hit. Far fewer candidates than every literal."""
    return hit_lines(c, catalog)[0]


def hit_matches(c: Collector, catalog: Catalog, rx: re.Pattern[str], kind: int = 0) -> list[re.Match[str]]:
    """Matches of ``rx`` on the lines that hold a catalog keyword (positions are absolute). ``kind``
    (``CAT_*``, 0: any): every match that can yield evidence contains a catalog name of that kind, so only
    the spans holding a keyword of that kind are searched (the others cannot give such a match)."""
    text = c.text
    _tokens, spans, kinds, every = hit_lines(c, catalog)
    if not kind:
        return [mo for a, b in spans for mo in rx.finditer(text, a, b)]
    if not every & kind:
        return []
    return [mo for (a, b), k in zip(spans, kinds, strict=True) if k & kind for mo in rx.finditer(text, a, b)]
