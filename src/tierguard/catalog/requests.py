"""Request signatures: URL paths and HTTP headers that only one provider's API uses (``/api/paas/v4/`` is
Zhipu's, ``X-DashScope-*`` headers are DashScope's), so code that builds such a request talks to that
provider even when its host comes from configuration (``base_url + "/api/paas/v4/chat/completions"``).

Data: ``catalog/data/services.yaml`` section ``request_signatures``, each entry with its sources. ``host`` is
the provider's API host (an ``endpoints`` entry), which names the service the evidence points at. A path is
matched case-sensitively as written, a header case-insensitively; a header text ending in ``-`` is a prefix
(``X-DashScope-`` matches ``X-DashScope-SSE``, ``X-DashScope-Async``). ``requires`` lists words one of which
must also occur in the file as a whole word (case-insensitive) when the path alone is not distinctive
(``/api/v3/chat/completions`` counts for Volcengine Ark only with ``volces``, ``volcengine``, ``doubao`` ...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RequestSignatureEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    sources: tuple[str, ...] = Field(min_length=1)
    notes: str = ""
    verify: bool = False
    kind: Literal["path", "header"]
    text: str = Field(min_length=4)
    host: str  # the provider's API host: an exact host of a catalog endpoint
    requires: tuple[str, ...] = ()


class RequestSignatures:
    """One regex over every signature; ``find(text)`` yields (start, entry) for the matches that stand as a
    path or header of their own (not inside a longer path segment or word)."""

    def __init__(self, entries: Iterable[RequestSignatureEntry]) -> None:
        self.entries = tuple(entries)
        self._keywords = tuple(e.text.lower() for e in self.entries)
        parts: list[str] = []
        for e in sorted(self.entries, key=lambda e: -len(e.text)):
            lit = re.escape(e.text) if e.kind == "path" else "(?i:" + re.escape(e.text) + ")"
            tail = r"[A-Za-z0-9-]+" if e.kind == "header" and e.text.endswith("-") else ""
            end = "" if e.text.endswith("/") else r"(?![A-Za-z0-9_])"
            parts.append(f"(?P<s{len(parts)}>{lit}){tail}{end}")
        self._order = sorted(self.entries, key=lambda e: -len(e.text))
        body = "|".join(parts) if parts else "(?!)"
        # not after a word character: a path right after a host ("open.bigmodel.cn/api/paas/...") is part of
        # a URL, which the host scan judges (a provider host, or a proxy that is not the provider); a format
        # placeholder before it ("%s/api/v3/...") is the base URL
        self.rx = re.compile(r"(?:(?<=%s)|(?<=%v)|(?<![A-Za-z0-9_]))(?:" + body + ")")
        self._requires = {
            e.text: re.compile(r"(?<![a-z0-9])(?:" + "|".join(map(re.escape, e.requires)) + r")(?![a-z0-9])")
            for e in self.entries
            if e.requires
        }

    def keywords(self) -> tuple[str, ...]:
        """Lower-case literals for the discover prefilter (and the per-file gate before the regex)."""
        return self._keywords

    def entry(self, mo: re.Match[str]) -> RequestSignatureEntry:
        return self._order[int((mo.lastgroup or "s0")[1:])]

    def allowed(self, entry: RequestSignatureEntry, low: str) -> bool:
        """Does the (lower-cased) file text hold one of the entry's ``requires`` words (or need none)?"""
        rx = self._requires.get(entry.text)
        return rx is None or rx.search(low) is not None
