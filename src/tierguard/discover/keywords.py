"""Catalog keywords and the one multi-literal prefilter pass of the discover engine.

From the Catalog: the prefilter keywords (hosts, packages, imports, env keys, classes, HF organisations,
distinctive model-family prefixes) and word-bounded regexes of env key and class names. For a unit: one
Hyperscan / Aho-Corasick pass that gates detectors and records where catalog keywords and model-context
trigger words occur (``UnitHits``), reused by the scans in ``common.py``. Pure; no filesystem access."""

from __future__ import annotations

import functools
import importlib
import os
import re
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tierguard.catalog.loader import Catalog

# cheap lower-case substrings per model context (``common.MODEL_CONTEXTS``): a context regex runs only when
# one occurs in the unit
MODEL_TRIGGERS: dict[str, tuple[str, ...]] = {
    "from_pretrained": (
        "pretrained", "sentencetransformer", "crossencoder", "download", "automodel", "autotokenizer",
        "textembedding", "llm(",
    ),
    "ollama pull": ("ollama",),
    "vllm serve": ("vllm",),
    "huggingface-cli download": ("download",),
    "--model arg": ("--model",),
    "llama.cpp -hf": ("-hf ",),
    "model= kwarg": ("model",),
    "gguf file": (".gguf",),
    "model constructor": ("model", "llm("),
}


def _family_prefix(pattern: str) -> str:
    """The literal start of a name glob, kept only when distinctive: ``qwen2.5*`` -> ``qwen2.5``,
    ``command-*`` -> ``command-``; ``max-*`` or ``yi-*`` -> "" (too common to prefilter on)."""
    lit = re.split(r"[*?\[]", pattern.lower(), maxsplit=1)[0]
    if len(lit) >= 5 or (len(lit) >= 4 and any(ch.isdigit() for ch in lit)):
        return lit
    return ""


def _host_literal(host: str) -> str:
    parts = [p for p in host.lower().split("*") if p.strip(".")]
    return max((p.strip(".") for p in parts), key=len, default="")


# What a catalog keyword can be part of, for ``common.hit_matches``: a regex whose every evidence-yielding
# match contains a catalog name of one of these kinds only needs the hit lines holding a keyword of that kind
# (every such name contains a keyword: see ``_derive_keywords``). Bit flags; a keyword gets every kind of the
# names it occurs in.
CAT_HOST = 1  # the literal part of an endpoint host
CAT_SIGNATURE = 2  # a provider request path or header
CAT_ENV = 4  # an env key name
CAT_CLASS = 8  # a framework class name
CAT_IMPORT = 16  # a package's name or import name
CAT_ALL = 31


def _names_by_kind(catalog: Catalog) -> dict[int, set[str]]:
    """The lower-cased catalog names of each kind (``CAT_*``)."""
    return {
        CAT_HOST: {_host_literal(e.host) for e in catalog.endpoints},
        CAT_SIGNATURE: {s.text.lower() for s in catalog.request_signatures},
        CAT_ENV: {k.lower() for k in catalog.env_keys},
        CAT_CLASS: {c.lower() for c in catalog.classes},
        CAT_IMPORT: {w.lower() for p in catalog.packages for w in (p.name, *p.imports)},
    }


def _keyword_kinds(keywords: Sequence[str], names: dict[int, set[str]]) -> dict[str, int]:
    """For each keyword, the OR of the kinds of the catalog names it occurs in (0: none of them)."""
    by_head: dict[str, list[str]] = {}
    for k in keywords:  # every keyword has at least 3 characters
        by_head.setdefault(k[:3], []).append(k)
    out = dict.fromkeys(keywords, 0)
    for kind, words in names.items():
        for w in words:
            for i in range(len(w) - 2):
                for k in by_head.get(w[i : i + 3], ()):
                    if w.startswith(k, i):
                        out[k] |= kind
    return out


def _derive_keywords(catalog: Catalog) -> tuple[str, ...]:
    words: set[str] = set()
    words.update(_host_literal(e.host) for e in catalog.endpoints)
    for p in catalog.packages:
        words.add(p.name.lower())
        words.update(i.lower() for i in p.imports)
    words.update(k.lower() for k in catalog.env_keys)
    words.update(c.lower() for c in catalog.classes)
    for prod in catalog.producers.values():
        words.update(o.lower() for o in prod.hf_orgs)
    for r in catalog.router_prefixes:
        words.add(_family_prefix(r.prefix))
    words.update(s.text.lower() for s in catalog.request_signatures)  # provider paths/headers
    for m in catalog.models:
        words.update(_family_prefix(pat) for pat in (*m.names, *m.ollama))
        words.update(_family_prefix(pat.split("/", 1)[-1]) for pat in m.hf)
        words.update(pat.lower().split("/", 1)[0] for pat in m.hf if "*" not in pat.split("/", 1)[0])
    kept: list[str] = []
    for w in sorted((w for w in words if len(w) >= 3), key=lambda s: (len(s), s)):
        if not any(k in w for k in kept):
            kept.append(w)
    return tuple(kept)


_KW_CACHE: weakref.WeakKeyDictionary[Catalog, tuple[tuple[str, ...], KeywordSearch, dict[str, int]]]
_KW_CACHE = weakref.WeakKeyDictionary()


def trie_pattern(words: Iterable[str]) -> str:
    """One regex matching any of ``words``, factored as a trie (``ab(?:c|d)``): Python's ``re`` tries an
    alternation branch by branch at every position, so a flat ``a|b|c`` over hundreds of literals is ~10x
    slower than the trie form."""
    trie: dict[str, dict] = {}  # type: ignore[type-arg]
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:  # type: ignore[type-arg]
        if "" in node and len(node) == 1:
            return ""
        alts = [re.escape(ch) + build(node[ch]) for ch in sorted(node) if ch != ""]
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie) if trie else "(?!)"


class KeywordSearch:
    """Multi-literal search: Aho-Corasick (the optional ``ahocorasick-rs`` package, ~5x faster on large
    trees) when installed, else one trie-factored regex. ``spans`` gives non-overlapping (start, end)."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = tuple(words)
        try:
            self._mod: Any = importlib.import_module("ahocorasick_rs") if self.words else None
        except ImportError:
            self._mod = None

    # Each matcher is built on first use (a scan with ahocorasick-rs never needs the regexes).
    @functools.cached_property
    def _ac(self) -> Any:
        # a DFA is about 2x faster than the default NFA on this keyword set (bench/scan/README.md)
        mod = self._mod
        if mod is None:
            return None
        return mod.AhoCorasick(list(self.words), implementation=mod.Implementation.DFA)

    @functools.cached_property
    def _ac_bytes(self) -> Any:
        mod = self._mod
        if mod is None:
            return None
        return mod.BytesAhoCorasick(  # leftmost-first: only asked whether anything matches
            [w.encode("latin-1", "replace") for w in self.words],
            matchkind=mod.MATCHKIND_LEFTMOST_FIRST,
            implementation=mod.Implementation.DFA,
        )

    @functools.cached_property
    def rx(self) -> re.Pattern[str]:
        return re.compile(trie_pattern(self.words))

    @functools.cached_property
    def rx_bytes(self) -> re.Pattern[bytes]:
        return re.compile(trie_pattern(self.words).encode("latin-1", "replace"))

    def spans(self, low: str) -> list[tuple[int, int]]:
        if self._ac is not None:
            return [(a, b) for _, a, b in self._ac.find_matches_as_indexes(low, overlapping=False)]
        return [mo.span() for mo in self.rx.finditer(low)]

    def hit_bytes(self, low: bytes) -> bool:
        if self._ac_bytes is not None:
            return bool(self._ac_bytes.find_matches_as_indexes(low))
        return self.rx_bytes.search(low) is not None


def _have_ahocorasick() -> bool:
    try:
        importlib.import_module("ahocorasick_rs")
    except ImportError:
        return False
    return True


HAVE_AHOCORASICK = _have_ahocorasick()
TRIGGER_WORDS: tuple[str, ...] = tuple(sorted({t for ts in MODEL_TRIGGERS.values() for t in ts}))


@dataclass(frozen=True, slots=True)
class UnitHits:
    """Keyword and trigger positions the engine's one prefilter pass found in a unit, reused by the
    detectors instead of searching the text again. Only built for pure-ASCII units, where byte offsets
    in the lower-cased bytes are character offsets in the text and ``bytes.lower`` equals ``str.lower``."""

    keyword_spans: tuple[tuple[int, int], ...]  # catalog keyword matches (overlapping), by start
    triggers: dict[str, list[int]]  # model-context trigger word -> ascending start offsets (words that occur)
    # per keyword span, the kinds of catalog names its keyword occurs in (``CAT_*``); empty: unknown (all)
    keyword_kinds: tuple[int, ...] = ()


def _collect(pattern: int, start: int, end: int, _flags: int, out: list[tuple[int, int, int]]) -> None:
    out.append((pattern, start, end))


_HS_DBS: dict[tuple[str, ...], Any] = {}  # compiled databases by word list (detector sets share word lists)


def _hyperscan_db(words: Sequence[str]) -> Any:
    """A Hyperscan literal database (ASCII-caseless, start offsets) for ``words``, or None when the
    optional ``hyperscan`` package is missing or this CPU cannot run it (then Aho-Corasick is used).
    Compiled once per word list (~5 ms each)."""
    if os.environ.get("TIERGUARD_NO_HYPERSCAN"):
        return None
    key = tuple(words)
    if key not in _HS_DBS:
        if len(_HS_DBS) >= 64:
            _HS_DBS.clear()
        _HS_DBS[key] = _compile_hyperscan(key)
    return _HS_DBS[key]


def _compile_hyperscan(words: Sequence[str]) -> Any:
    try:
        hs: Any = importlib.import_module("hyperscan")
        db = hs.Database(mode=hs.HS_MODE_BLOCK)
        db.compile(
            expressions=[w.encode("latin-1", "replace") for w in words],
            ids=list(range(len(words))),
            elements=len(words),
            flags=hs.HS_FLAG_CASELESS | hs.HS_FLAG_SOM_LEFTMOST,
            literal=True,
        )
    except Exception:  # ImportError, or hyperscan.error on an unsupported CPU
        return None
    return db


class Prefilter:
    """One multi-literal pass over a unit's bytes that answers "does any prefilter word occur?" (``gate``;
    None = parse unconditionally) and, in the same pass, records where catalog keywords (``catalog``) and
    model-context trigger words occur, case-insensitively (ASCII). Uses Hyperscan (SIMD, ~5x faster here,
    bench/scan/README.md) when the ``hyperscan`` package works on this machine, else ``ahocorasick-rs``
    over the lower-cased bytes; both report every occurrence of every word (overlapping)."""

    def __init__(
        self, gate: Iterable[str] | None, catalog: Iterable[str], kinds: dict[str, int] | None = None
    ) -> None:
        """``kinds``: catalog keyword -> ``CAT_*`` flags (``keyword_kinds``); a keyword missing from it (or
        no mapping) is taken to occur in names of every kind."""
        gate_words = set(gate) if gate is not None else set()
        cat_words = set(catalog)
        words = sorted(gate_words | cat_words | set(TRIGGER_WORDS))
        self._words = tuple(words)
        self._hs = _hyperscan_db(words)
        self._ac: Any = None
        if self._hs is None:
            mod: Any = importlib.import_module("ahocorasick_rs")
            self._ac = mod.BytesAhoCorasick(
                [w.encode("latin-1", "replace") for w in words], implementation=mod.Implementation.DFA
            )
        self.gate = None if gate is None else frozenset(i for i, w in enumerate(words) if w in gate_words)
        self._cat = frozenset(i for i, w in enumerate(words) if w in cat_words)
        known = kinds or {}
        self._kind = {i: known.get(w, CAT_ALL) for i, w in enumerate(words) if w in cat_words}
        self.has_catalog = bool(cat_words)  # positions are only complete for units scanned for them
        self._trig = {i: w for i, w in enumerate(words) if w in _TRIGGER_SET}

    @property
    def engine(self) -> str:
        return "hyperscan" if self._hs is not None else "ahocorasick-rs"

    def scan(self, data: bytes) -> tuple[bool, list[tuple[int, int, int]]]:
        """(whether the unit passes the gate, every (word index, start, end) match, overlapping)."""
        matches: list[tuple[int, int, int]]
        if self._hs is not None:
            matches = []
            self._hs.scan(data, match_event_handler=_collect, context=matches)
        else:
            matches = self._ac.find_matches_as_indexes(data.lower(), overlapping=True)
        if self.gate is None:
            return True, matches
        return not self.gate.isdisjoint({m[0] for m in matches}), matches

    @functools.cached_property
    def _ac_text(self) -> Any:
        mod: Any = importlib.import_module("ahocorasick_rs")
        return mod.AhoCorasick(list(self._words), implementation=mod.Implementation.DFA)

    def hits_text(self, low: str) -> UnitHits:
        """Positions in a decoded, lower-cased text (character offsets): for units that are not ASCII."""
        return self.hits(self._ac_text.find_matches_as_indexes(low, overlapping=True))

    def hits(self, matches: list[tuple[int, int, int]]) -> UnitHits:
        kind = self._kind
        # by start, the longest first (no two words give the same span)
        found = sorted([(a, -b, kind[i]) for i, a, b in matches if i in kind])
        spans = tuple([(a, -nb) for a, nb, _k in found])
        triggers: dict[str, list[int]] = {}
        trig = self._trig
        for i, a, _b in matches:
            w = trig.get(i)
            if w is not None:
                if w in triggers:
                    triggers[w].append(a)
                else:
                    triggers[w] = [a]
        for positions in triggers.values():
            positions.sort()
        return UnitHits(spans, triggers, tuple([k for _a, _nb, k in found]))


_TRIGGER_SET = frozenset(TRIGGER_WORDS)


def _derived(catalog: Catalog) -> tuple[tuple[str, ...], KeywordSearch, dict[str, int]]:
    hit = _KW_CACHE.get(catalog)
    if hit is None:
        kws = _derive_keywords(catalog)
        hit = (kws, KeywordSearch(kws), _keyword_kinds(kws, _names_by_kind(catalog)))
        _KW_CACHE[catalog] = hit
    return hit


def derived_keywords(catalog: Catalog) -> tuple[tuple[str, ...], KeywordSearch]:
    """The catalog's prefilter keywords and a search over them, built once per Catalog."""
    kws, search, _kinds = _derived(catalog)
    return kws, search


def keyword_kinds(catalog: Catalog) -> dict[str, int]:
    """Catalog keyword -> the ``CAT_*`` kinds of catalog names it occurs in (built once per Catalog)."""
    return _derived(catalog)[2]


_NAMES_CACHE: weakref.WeakKeyDictionary[Catalog, dict[str, re.Pattern[str]]] = weakref.WeakKeyDictionary()


def names_rx(catalog: Catalog, what: str) -> re.Pattern[str]:
    """A word-bounded trie regex of the catalog's env key names ("env") or class names ("class")."""
    cache = _NAMES_CACHE.setdefault(catalog, {})
    rx = cache.get(what)
    if rx is None:
        names = [k.name for k in catalog.env_keys.values()] if what == "env" else list(catalog.classes)
        rx = re.compile(r"\b" + trie_pattern(names) + r"\b") if names else re.compile("(?!)")
        cache[what] = rx
    return rx


def catalog_keywords(catalog: Catalog) -> tuple[bytes, ...]:
    """Lower-cased prefilter keywords derived from the catalog: hosts, package and import names, env keys,
    class names, HF organisations, router prefixes and distinctive model-family name prefixes. A keyword that
    contains a shorter one is dropped (the shorter one already fires); generic short stems are never used
    (short model names only count in a model context)."""
    return tuple(k.encode() for k in derived_keywords(catalog)[0])


def may_name_catalog_entry(catalog: Catalog, value: str) -> bool:
    """Cheap gate before catalog lookups of free-text candidates: does ``value`` contain a keyword?"""
    return derived_keywords(catalog)[1].rx.search(value.lower()) is not None
