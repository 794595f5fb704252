"""Documentation (markdown, reStructuredText, AsciiDoc, docs/ text): every observation is a mention (C):
provider hosts, env keys, class names, model ids (quoted or free text, short names excluded)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from tierguard.catalog.loader import Catalog
from tierguard.model import Evidence

from ..common import Collector, keyword_tokens, match_model, model_refs, scan_common
from ..interface import Unit

_WORD = re.compile(r"(?<![\w./-])([A-Za-z][\w.-]{2,80}(?:/[\w.-]{2,100})?)")


def parse_docs(unit: Unit, catalog: Catalog) -> Sequence[Evidence]:
    c = Collector(unit, "docs", unit.text, mention="docs")
    scan_prose(c, catalog)
    return c.out


def scan_prose(c: Collector, catalog: Catalog) -> None:
    """Hosts, env keys, classes and model ids (quoted or in free text) of prose; the collector should be a
    mention collector. Short, context-only names never match free text."""
    scan_common(c, catalog, "any")
    done = {((e.location.line or 0) - c.line_offset, e.value.lower()) for e in c.out}
    for pos, tok in keyword_tokens(c, catalog):
        mo = _WORD.search(tok)
        if mo is None:
            continue
        v = mo.group(1).rstrip(".-:")
        start = pos + mo.start(1)
        line = c.lines.line(start)
        if (line, v.lower()) in done:
            continue
        m = match_model(catalog, v, "/" in v)
        if m is None:
            continue
        done.add((line, v.lower()))
        c.add("model-ref", v, "C", start, model_refs(m), {"use_mode": "unknown"})
