"""Host rules: which network hosts belong to which AI service, and the fast lookup over them.

A rule's ``host`` is one of
- ``api.deepseek.com``: that host only;
- ``*.xfyun.cn``: any strict subdomain (one or more labels before the suffix), not ``xfyun.cn`` itself;
- ``.deepseek.com``: the domain and every subdomain (Squid's ``dstdomain`` convention);
- a pattern with ``*`` inside (``ark.*.bytepluses.com``, ``*-aiplatform.googleapis.com``): ``*`` stands for
  one or more DNS labels or part of a label, as in the catalog's endpoints.

Labels are whole: ``.deepseek.com`` never matches ``notdeepseek.com``. The most specific rule wins: an exact
host, then the longest suffix (at one suffix, a pattern before a plain ``*.suffix``); rules for the same host
are ranked by strength (A first), then use mode (hosted-api first), so an API endpoint entry wins over a
web-site entry for the same host. The lookup walks the host's suffixes in a dict (no regex per rule).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from tierguard.catalog.loader import Catalog
from tierguard.model import STRENGTH_ORDER, USE_MODE_ORDER, Strength, UseMode

# sites.yaml kinds (catalog/non_api.py) -> (use mode, strength) for a person's browser reaching that site
_SITE_KIND: dict[str, tuple[UseMode, Strength]] = {
    "console": ("consumer-app", "B"),  # web consoles and developer platforms: keys, billing, playground
    "account": ("consumer-app", "B"),  # sign-in pages
    "product": ("consumer-app", "B"),  # the provider's web app (xinghuo.xfyun.cn)
    "docs": ("consumer-app", "C"),
    "forum": ("consumer-app", "C"),
    "pricing": ("consumer-app", "C"),
    "status": ("consumer-app", "C"),
    "homepage": ("consumer-app", "C"),
    "blog": ("consumer-app", "C"),
}
# first labels of an API host that sit on the provider's own web domain (api.deepseek.com, open.bigmodel.cn)
_API_LABELS = ("api", "open")
_HOST_CHARS = re.compile(r"[a-z0-9_*.-]+")
MATCH_CACHE = 65536  # distinct hosts remembered by HostMatcher.match


@dataclass(frozen=True, slots=True)
class HostRule:
    """A host (see the module docstring for the forms) and the service it belongs to.

    ``as_producer``: the operator also produced the models behind the host (False for resellers and
    routers, e.g. SiliconFlow, OpenRouter), so the service asset names the operator as producer.
    ``source`` says where the rule came from (``endpoint``, ``site:console``, ``app:<id>`` ...)."""

    host: str
    service: str
    operator: str
    jurisdiction: str
    use_mode: UseMode
    strength: Strength
    as_producer: bool = True
    source: str = ""

    def __post_init__(self) -> None:
        h = self.host.strip().lower().rstrip(".")
        if not h or not _HOST_CHARS.fullmatch(h) or h in ("*", ".") or ".." in h:
            raise ValueError(f"host rule: not a host or host pattern: {self.host!r}")
        object.__setattr__(self, "host", h)

    @property
    def rank(self) -> tuple[int, int]:
        """Among rules for the same host, the higher rank wins."""
        return STRENGTH_ORDER[self.strength], USE_MODE_ORDER[self.use_mode]

    def literal(self) -> str:
        """A lower-case string every host this rule matches contains (for a literal prefilter)."""
        h = self.host
        if h.startswith("*.") and "*" not in h[2:]:
            return h[1:]
        if h.startswith("."):
            return h[1:]
        if "*" not in h:
            return h
        return max((p for p in h.split("*")), key=len).strip(".")

    def label_literal(self) -> str:
        """The literal in Windows DNS debug-log form (``(3)api(8)deepseek(3)com(0)``): the rule's complete
        trailing labels (every match ends with them), the whole name for an exact host."""
        h = self.host
        if "*" not in h and not h.startswith("."):
            return label_form(h) + "(0)"
        tail = h.rsplit("*", 1)[1] if "*" in h else h
        labels = [x for x in tail.split(".") if x]
        if "*" in h and not tail.startswith("."):  # the first label of the tail is partial
            labels = labels[1:]
        return label_form(".".join(labels)) + "(0)" if labels else ""


def label_form(host: str) -> str:
    """``api.deepseek.com`` -> ``(3)api(8)deepseek(3)com`` (the Windows DNS debug log's question name)."""
    return "".join(f"({len(x)}){x}" for x in host.split(".") if x)


def normalise_host(value: str) -> str:
    """A host from a log field: lower case, no scheme, user info, port, path, brackets or trailing dot.
    ``""`` when the value holds no host."""
    v = value.strip()
    if not v or v in ("-", "(empty)"):
        return ""
    if "://" in v:
        v = v.split("://", 1)[1]
    for sep in "/?#":
        cut = v.find(sep)
        if cut >= 0:
            v = v[:cut]
    if "@" in v:
        v = v.rsplit("@", 1)[1]
    if v.startswith("["):  # [v6]:port
        end = v.find("]")
        return v[1:end].lower() if end > 0 else ""
    if v.count(":") == 1:
        v = v.split(":", 1)[0]
    return v.lower().rstrip(".")


def _pattern(host: str) -> re.Pattern[str]:
    return re.compile(re.escape(host).replace(r"\*", r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*"))


def _better(old: HostRule | None, new: HostRule) -> HostRule:
    return new if old is None or new.rank > old.rank else old


class HostMatcher:
    """The lookup: ``match(host)`` -> the winning rule or None. Hosts are normalised by the caller
    (:func:`normalise_host`); results are cached per host (bounded)."""

    def __init__(self, rules: Iterable[HostRule]) -> None:
        self.rules: tuple[HostRule, ...] = tuple(rules)
        self._exact: dict[str, HostRule] = {}
        self._wild: dict[str, HostRule] = {}  # suffix -> rule for "*.suffix" (and ".suffix")
        self._patterns: dict[str, list[tuple[int, re.Pattern[str], HostRule]]] = {}
        for r in self.rules:
            h = r.host
            if h.startswith("."):
                self._exact[h[1:]] = _better(self._exact.get(h[1:]), r)
                self._wild[h[1:]] = _better(self._wild.get(h[1:]), r)
            elif h.startswith("*.") and "*" not in h[2:]:
                self._wild[h[2:]] = _better(self._wild.get(h[2:]), r)
            elif "*" in h:
                tail = h.rsplit("*", 1)[1]
                key = tail[1:] if tail.startswith(".") else tail.split(".", 1)[1] if "." in tail else ""
                literal = sum(len(p) for p in h.split("*"))
                self._patterns.setdefault(key, []).append((literal, _pattern(h), r))
            else:
                self._exact[h] = _better(self._exact.get(h), r)
        for cands in self._patterns.values():  # the most literal characters first, then rank
            cands.sort(key=lambda t: (-t[0], tuple(-x for x in t[2].rank)))
        self._cache: dict[str, HostRule | None] = {}

    def match(self, host: str) -> HostRule | None:
        hit = self._cache.get(host, False)
        if hit is not False:
            return hit  # type: ignore[return-value]
        found = self._lookup(host)
        if len(self._cache) >= MATCH_CACHE:
            self._cache.clear()
        self._cache[host] = found
        return found

    def _lookup(self, host: str) -> HostRule | None:
        found = self._exact.get(host)
        if found is not None:
            return found
        i = host.find(".")
        while i >= 0:
            suffix = host[i + 1 :]
            for _n, rx, rule in self._patterns.get(suffix, ()):
                if rx.fullmatch(host):
                    return rule
            found = self._wild.get(suffix)
            if found is not None:
                return found
            i = host.find(".", i + 1)
        for _n, rx, rule in self._patterns.get("", ()):  # patterns without a whole-label tail
            if rx.fullmatch(host):
                return rule
        return None


def rules_from_catalog(catalog: Catalog) -> list[HostRule]:
    """Every API endpoint (hosted-api, strength A; a path prefix folds into its host) and the provider web
    hosts of ``catalog.non_api_hosts`` (sites.yaml): its exact hosts, and its first labels (``platform``,
    ``docs``, ``www`` ...) on each provider web domain: the domain of an ``api.``/``open.`` endpoint host
    (``api.deepseek.com`` -> ``deepseek.com``, also matched itself as the homepage) and the two-label domain
    of a ``*.domain`` endpoint (``*.xfyun.cn``). Consoles, platforms, sign-in pages and web apps are
    ``consumer-app`` strength B; docs, forums, pricing, status, homepages and blogs strength C; any other
    host of such a domain (``*.deepseek.com``: ``chat.deepseek.com`` until an app catalog names it) strength
    C too. Cloud and per-tenant domains (``dashscope.aliyuncs.com``, ``*.openai.azure.com``) get no web
    hosts."""
    out: list[HostRule] = []
    seen: set[str] = set()
    domains: dict[str, tuple[str, str, str, bool]] = {}  # web domain -> (service, operator, jur, producer)
    for e in catalog.endpoints:
        service = catalog.endpoint_service(e)
        as_producer = not e.serves or e.operator in e.serves
        h = e.host.lower()
        if h not in seen:
            seen.add(h)
            out.append(
                HostRule(h, service, e.operator, e.jurisdiction, "hosted-api", "A", as_producer, "endpoint")
            )
        labels = h.split(".")
        if "*" not in h and len(labels) >= 3 and labels[0] in _API_LABELS:
            domains.setdefault(".".join(labels[1:]), (service, e.operator, e.jurisdiction, as_producer))
        elif h.startswith("*.") and h.count(".") == 2 and "*" not in h[2:]:
            domains.setdefault(h[2:], (service, e.operator, e.jurisdiction, as_producer))
    owner = HostMatcher(out)
    for site in catalog.non_api_hosts:
        use_mode, strength = _SITE_KIND[site.kind]
        if site.host:
            ep = owner.match(site.host.lower())
            if ep is not None:  # a site on an endpoint's domain belongs to that service
                rule = HostRule(site.host, ep.service, ep.operator, ep.jurisdiction, use_mode, strength)
                out.append(replace(rule, as_producer=ep.as_producer, source=f"site:{site.kind}"))
            continue
        for domain, (service, op, jur, prod) in domains.items():
            rule = HostRule(f"{site.label}.{domain}", service, op, jur, use_mode, strength)
            out.append(replace(rule, as_producer=prod, source=f"site:{site.kind}"))
    for domain, (service, op, jur, prod) in domains.items():
        out.append(HostRule(domain, service, op, jur, "consumer-app", "C", prod, "site:homepage"))
        # any other host of the provider's web domain (chat.deepseek.com when no app catalog names it): a
        # mention-strength fallback, so the provider's web traffic is never silently unmatched; a more
        # specific rule (an app host, an endpoint) always wins
        out.append(HostRule(f"*.{domain}", service, op, jur, "consumer-app", "C", prod, "site:domain"))
    return out


class AppHostLike(Protocol):
    """What :func:`rules_from_app_hosts` reads from an app-catalog host entry (``AppHost``)."""

    @property
    def host(self) -> str: ...
    @property
    def app_id(self) -> str: ...
    @property
    def service(self) -> str: ...
    @property
    def operator(self) -> str: ...
    @property
    def jurisdiction(self) -> str: ...


def rules_from_app_hosts(hosts: Sequence[AppHostLike], *, strength: Strength = "A") -> list[HostRule]:
    """Consumer-app hosts (``chat.deepseek.com``, ``kimi.moonshot.cn``) as ``consumer-app`` rules: a person
    used the provider's app or web chat. The host is taken as written (exact, ``*.x`` or ``.x``)."""
    return [
        HostRule(
            h.host, h.service, h.operator, h.jurisdiction, "consumer-app", strength, True, f"app:{h.app_id}"
        )
        for h in hosts
    ]
