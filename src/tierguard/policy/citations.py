"""Citation rules for policy packs: a rule cites a primary source (the order, statute, Federal Register or
official notice, at its exact page) or says ``verify: true``.

Checked here, reported by ``tierguard policy test`` and enforced for the shipped packs by the tests:

- a bare homepage (an http(s) URL whose path is empty or ``/`` and that has no query) not marked verify;
- a URL on a news or secondary-reporting domain (``news_domains.txt`` beside this module, subdomains
  included) not marked verify;
- a ``docs/`` path (tierguard's own documentation) for anything but a ``tool-default`` rule, not marked
  verify: tierguard's docs are not an instrument.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from urllib.parse import urlsplit

from tierguard.policy.schema import Pack, Rule

NEWS_DOMAINS_FILE = "news_domains.txt"


@lru_cache(maxsize=1)
def news_domains() -> frozenset[str]:
    """The checked-in list of news domains (lower case)."""
    text = resources.files(__package__ or "tierguard.policy").joinpath(NEWS_DOMAINS_FILE).read_text("utf-8")
    out = {line.split("#", 1)[0].strip().lower() for line in text.splitlines()}
    return frozenset(d for d in out if d)


def _on_domain(host: str, domains: frozenset[str]) -> str | None:
    host = host.lower().rstrip(".")
    parts = host.split(".")
    for i in range(len(parts) - 1):
        cand = ".".join(parts[i:])
        if cand in domains:
            return cand
    return None


def citation_problems(rule: Rule, domains: frozenset[str] | None = None) -> list[str]:
    """What is wrong with ``rule``'s citation (empty: nothing)."""
    if rule.verify:
        return []
    url = rule.url
    if url.startswith("docs/"):
        if rule.status == "tool-default":
            return []
        return [f"cites tierguard's own docs ({url}) for a {rule.status}; cite the instrument or mark verify"]
    parts = urlsplit(url)
    problems: list[str] = []
    if parts.path in ("", "/") and not parts.query:
        problems.append(f"cites a bare homepage ({url}) without verify: true; cite the instrument's own page")
    news = _on_domain(parts.hostname or "", domains if domains is not None else news_domains())
    if news is not None:
        problems.append(f"cites a news site ({news}) without verify: true")
    return problems


def pack_citation_problems(pack: Pack) -> list[tuple[str, str]]:
    """(rule id, problem) for every rule of ``pack``."""
    return [(r.id, p) for r in pack.rules for p in citation_problems(r)]


def packs_citation_problems(packs: Sequence[Pack]) -> list[tuple[str, str, str]]:
    """(pack id, rule id, problem) over ``packs``."""
    return [(p.id, rid, msg) for p in packs for rid, msg in pack_citation_problems(p)]
