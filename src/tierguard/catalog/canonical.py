"""Canonical model names: the key every usage of one model is grouped under.

Built from the catalog's model families (``canonical`` and ``aliases``, see ``catalog/data/models.yaml``).
:meth:`CanonicalNames.resolve` maps a reference as written to:

1. an exact alias (API id, family name, Ollama ``name:tag``), after router prefixes: the family's canonical
   Hugging Face id (``deepseek-chat``, ``deepseek/deepseek-reasoner``, ``deepseek-r1:70b``);
2. a Bedrock/Vertex-style router id matching the family's ``router_ids`` (``us.deepseek.r1-v1:0``);
3. a Hugging Face ``org/name``: itself, in the catalog's casing where the catalog knows it;
4. anything else: the name as written without router prefixes, lower case, ``:latest`` dropped (a router
   id's ``:0`` / ``:free`` tag too). Unknown names are grouped by this normalised form, never split.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from tierguard.catalog.globs import FirstGlob
from tierguard.errors import CatalogError

TAG = re.compile(r":[A-Za-z0-9._-]+$")
"""An Ollama ``:tag`` or a router id's ``:version`` at the end of a model reference."""
_GLOB = frozenset("*?[")


class Family(Protocol):
    @property
    def canonical(self) -> str | None: ...
    @property
    def aliases(self) -> Mapping[str, str]: ...
    @property
    def names(self) -> tuple[str, ...]: ...
    @property
    def ollama(self) -> tuple[str, ...]: ...


class CanonicalNames:
    """Alias tables: exact reference -> canonical id, and the display casing of every canonical id
    (``deepseek-ai/deepseek-r1`` -> ``deepseek-ai/DeepSeek-R1``)."""

    def __init__(self, families: Iterable[Family], router_ids: FirstGlob[Any]) -> None:
        self._router_ids = router_ids
        self._alias: dict[str, str] = {}
        self._casing: dict[str, str] = {}
        for m in families:
            table = dict(m.aliases)
            if m.canonical:
                bare = m.canonical.rsplit("/", 1)[-1]
                for n in (bare, *m.names, *m.ollama):
                    if not _GLOB & set(n):
                        table.setdefault(n, m.canonical)
            for ref, canon in table.items():
                key = ref.lower()
                if self._alias.get(key, canon) != canon:
                    raise CatalogError(f"catalog: model alias {ref!r}: {self._alias[key]!r} or {canon!r}")
                self._alias[key] = canon
                self._casing[canon.lower()] = canon

    def resolve(self, written: str, family: Family | None, prefixes: tuple[str, ...], via: str) -> str:
        """The canonical name of ``written``, matched to ``family`` through the router ``prefixes`` (outermost
        first) and ``via`` (``ModelMatch.via``: name, hf-id, hf-org, ollama, router-prefix; "" unmatched)."""
        raw = written.strip().strip("\"'")
        cut = sum(len(p) for p in prefixes)
        if prefixes and raw[:cut].lower() == "".join(prefixes).lower():
            raw = raw[cut:]
        low = raw.lower()
        hit = self._alias.get(low)
        if hit is None and low.endswith(":latest"):
            low = low[: -len(":latest")]
            hit = self._alias.get(low)
        if hit is None and ":" in low and ("/" in low or via != "ollama"):
            hit = self._alias.get(TAG.sub("", low))  # an unknown Ollama tag is never its family's default
        if hit is not None:
            return hit
        untagged = TAG.sub("", low)
        canonical = family.canonical if family is not None else None
        if prefixes and canonical and self._router_ids.first(untagged) is family:
            return canonical
        if "/" in low and via in ("hf-id", "hf-org"):
            base = TAG.sub("", raw)
            return self._casing.get(base.lower(), base)
        return untagged if prefixes else low
