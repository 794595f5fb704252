"""Shared scanning primitives for detectors: line lookup, excerpts, URL/host, env-key, class and model-id
extraction against the Catalog. Pure functions of (text, catalog); no filesystem access. The keyword
prefilter they build on lives in ``keywords.py``."""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tierguard.catalog.loader import Catalog, ModelMatch
from tierguard.catalog.non_api import NonApiHosts
from tierguard.catalog.requests import RequestSignatures
from tierguard.model import Evidence, Location, Strength

from .hitlines import hit_matches, keyword_tokens
from .interface import Unit
from .keywords import (
    CAT_CLASS,
    CAT_ENV,
    CAT_HOST,
    CAT_SIGNATURE,
    MODEL_TRIGGERS,
    Prefilter,
    UnitHits,
    names_rx,
)
from .model_lists import ListPositions, place
from .syntax import LEXER_BY_DETECTOR, SyntaxMap, class_mention
from .text import MAX_EXCERPT, Lines, lower_same_length, trigger_windows

__all__ = [
    "MAX_EXCERPT",
    "Collector",
    "Lines",
    "hit_matches",
    "keyword_tokens",
    "lower_same_length",
    "trigger_windows",
]

_URL = re.compile(r"""(?:https?|wss?)://[^\s"'`<>()\[\]{}\\,;]+""", re.IGNORECASE)
_BASE_URL_CTX = re.compile(r"base_?url|api_?base|baseurl|endpoint|host", re.IGNORECASE)
_ENV_CTX = re.compile(
    r"getenv|environ|process\.env|System\.getenv|os\.Getenv|\$\{?[A-Z_]|^\s*export\s|env", re.I
)

# model contexts: (regex with one group = the model id, context name, use_mode)
_V = r"""["'`]?([A-Za-z0-9@][\w./:@+-]{1,150})"""
MODEL_CONTEXTS: tuple[tuple[re.Pattern[str], str, str], ...] = (  # (regex, context, use_mode)
    (
        re.compile(
            r"""\b(?:from_pretrained|SentenceTransformer|CrossEncoder|snapshot_download|hf_hub_download|"""
            r"""AutoModel\w*|AutoTokenizer|TextEmbedding|LLM)\s*\(\s*(?:(?:repo_id|model|model_name|"""
            r"""pretrained_model_name_or_path)\s*=\s*)?["']([^"'\s]{2,150})["']"""
        ),
        "from_pretrained",
        "self-hosted",
    ),
    (re.compile(r"""\bollama\s+(?:pull|run|show|push)\s+(?:-\S+\s+)*""" + _V), "ollama pull", "self-hosted"),
    (re.compile(r"""\bvllm\s+serve\s+""" + _V), "vllm serve", "self-hosted"),
    (
        re.compile(r"""\b(?:huggingface-cli|hf)\s+download\s+""" + _V),
        "huggingface-cli download",
        "self-hosted",
    ),
    (
        re.compile(r"""(?:^|[\s"'`\[,])--model(?:[-_]id)?["']?(?:\s*=\s*|\s*,\s*|\s+)""" + _V, re.M),
        "--model arg",
        "unknown",
    ),
    (re.compile(r"""(?:^|[\s"'`\[,])-hf\s+""" + _V, re.M), "llama.cpp -hf", "self-hosted"),
    (
        re.compile(
            r"""(?:\.(?:model|modelId|modelName|withModel|setModel)\s*\(\s*(?=["'`])|"""
            r"""\b(?:[Mm]odel|model_name|model_id|modelId|modelName|modelID|llm_model|embedding_model|"""
            r"""embed_model|model_path|repo_id|deployment_name|MODEL|MODEL_NAME|MODEL_ID|[A-Z0-9_]+_MODEL"""
            r"""(?:_NAME|_ID)?)["']?\s*(?::=|=|:)\s*(?:os\.getenv\([^,)]*,\s*)?)""" + _V
        ),
        "model= kwarg",
        "unknown",
    ),
    (re.compile(r"""([\w.+-]{3,120}\.gguf)\b""", re.IGNORECASE), "gguf file", "self-hosted"),
    (  # a model id as the first argument of a Model/LLM/Chat constructor or call (``model_lists.py``)
        re.compile(
            r"""(?<![\w$])(?:[\w$]+\.)*[\w$]*?(?:model|llm|chat)[\w$]*\s*(?:<[^<>()\n]*>)?\s*\(\s*"""
            r"""["'`]([^"'`\s]{2,150})["'`]\s*[,)]""",
            re.IGNORECASE,
        ),
        "model constructor",
        "unknown",
    ),
)
# a literal every match of a context regex contains: windows without one are not searched (the constructor
# regex is slow on long identifier runs, and few trigger lines call anything with a string literal)
_CONTEXT_GATES = {"model constructor": re.compile(r"""\(\s*["'`]""")}
_HF_CANDIDATE = re.compile(
    r"""(?<![\w./@:-])([A-Za-z0-9][\w.-]{1,60}/[A-Za-z0-9][\w.-]{0,120}(?::[\w.-]+)?)"""
)
_BEDROCK_REGION = re.compile(r"^(?:us|eu|apac|ap|global|us-gov|ca|jp|au)\.", re.IGNORECASE)
# logo/icon/price words as whole tokens (snake_case, camelCase or kebab-case parts): "siliconflow" holds
# "icon" and "enterprise" nothing, so neither is a logo or price table
_DOWNGRADE_LINE = re.compile(
    r"(?:(?<![A-Za-z])(?:logo|icon|price|pricing|LOGO|ICON|PRICE|PRICING)|(?<=[a-z])(?:Logo|Icon|Price|Pricing)"
    r"|(?<![A-Za-z])(?:Logo|Icon|Price|Pricing))s?(?![a-z])"
    r"|\.svg\b|\.png\b|cost_per|per_1k|per_million|per 1m",
    re.ASCII,
)
_SELF_HOSTED_FILE = re.compile(r"\bollama\b|\bvllm\b|llama\.cpp|llama-server|from_pretrained", re.I)


@dataclass
class Collector:
    """Builds Evidence for one unit; ``line_offset`` shifts lines (notebook cells), ``mention`` turns every
    observation into a C mention (docs, cassettes)."""

    unit: Unit
    detector: str
    text: str
    mention: str = ""  # context of a mention-only file, e.g. "docs", "cassette"
    line_offset: int = 0
    extra_attrs: dict[str, str] = field(default_factory=dict)
    out: list[Evidence] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lines = Lines(self.text)
        self._syntax: SyntaxMap | None = None  # built on the first observation (lazy, incremental)
        self._low: str | None = None
        self.cache: dict[str, object] = {}
        # the engine's prefilter positions apply when this collector scans the unit's own text; a unit that
        # is not ASCII gets them from one pass of the same automaton over the lower-cased text
        self.hits: UnitHits | None = None
        if self.text is self.unit.text:
            pf = self.unit.prefilter
            self.hits = self.unit.hits or (pf.hits_text(self.low) if isinstance(pf, Prefilter) else None)

    @property
    def low(self) -> str:
        """The text lower-cased with offsets kept (``lower_same_length``), made on first use: units with
        the prefilter's positions rarely need it."""
        if self._low is None:
            self._low = lower_same_length(self.text)
        return self._low

    def add(
        self,
        kind: str,
        value: str,
        strength: Strength,
        pos: int,
        refs: dict[str, str] | None = None,
        attrs: dict[str, str] | None = None,
    ) -> None:
        attributes = dict(self.extra_attrs)
        attributes.update(attrs or {})
        line_text = self.lines.line_text(pos)
        demoted = "" if self.mention else self._demoted(kind, value, pos)
        if self.mention:
            attributes.setdefault("as", kind)
            attributes["context"] = self.mention
            attributes["use_mode"] = "unknown"
            kind, strength = "mention", "C"
        elif demoted:
            attributes.setdefault("as", kind)
            attributes["context"] = demoted
            attributes["use_mode"] = "unknown"
            kind, strength = "mention", "C"
        elif kind not in ("sdk-import", "package-dependency") and _DOWNGRADE_LINE.search(line_text):
            attributes.setdefault("as", kind)
            attributes["context"] = "logo/price table"
            kind, strength = "mention", "C"
        attributes.setdefault("use_mode", "unknown")
        ref = self.unit.ref
        self.out.append(
            Evidence(
                detector=self.detector,
                kind=kind,
                value=value,
                strength=strength,
                location=Location(
                    path=ref.path, line=self.lines.line(pos) + self.line_offset, member=ref.member
                ),
                excerpt=self.lines.excerpt(pos),
                refs=refs or {},
                attributes=attributes,
            )
        )

    def syntax(self) -> SyntaxMap | None:
        """The unit's syntax map (built on first use), or None for a detector without a lexer."""
        if self._syntax is None:
            lexer = LEXER_BY_DETECTOR.get(self.detector)
            if lexer is None:
                return None
            self._syntax = SyntaxMap(self.text, lexer)
        return self._syntax

    def _demoted(self, kind: str, value: str, pos: int) -> str:
        """Why an observation at ``pos`` is only a mention, from where it sits in the text ("" when it is
        a use): a comment, docstring or message text (help, log, error, translation), or a class name that is
        not an identifier imported, called or subclassed."""
        syntax = self.syntax()
        if syntax is None:
            return ""
        where = syntax.where(pos)
        if where in ("comment", "docstring"):
            return where
        if where == "message":
            return "message text"
        if kind == "framework-class" and syntax.lexer != "hash":
            if where == "string":
                return "class name in a string"
            return class_mention(syntax, value, pos)
        return ""


def model_refs(m: ModelMatch) -> dict[str, str]:
    refs = {"producer": m.producer.id}
    if m.family is not None:
        refs["family"] = m.family.id
    if m.router is not None:
        refs["router"] = f"{m.router.router}:{m.router.prefix}"
    return refs


def match_model(catalog: Catalog, value: str, in_model_context: bool = True) -> ModelMatch | None:
    """Catalog model match, also trying Bedrock cross-region inference prefixes (``us.deepseek.r1-v1:0``)."""
    m = catalog.match_model(value, in_model_context=in_model_context)
    if m is None and _BEDROCK_REGION.match(value):
        m = catalog.match_model(_BEDROCK_REGION.sub("", value, count=1), in_model_context=in_model_context)
    return m


_NON_API: weakref.WeakKeyDictionary[Catalog, NonApiHosts] = weakref.WeakKeyDictionary()


def _non_api_hosts(catalog: Catalog) -> NonApiHosts:
    hit = _NON_API.get(catalog)
    if hit is None:
        hit = _NON_API[catalog] = NonApiHosts(catalog.non_api_hosts)
    return hit


def scan_urls(c: Collector, catalog: Catalog) -> None:
    text = c.text
    if "://" not in text:
        return
    for mo in hit_matches(c, catalog, _URL, CAT_HOST):
        if mo.start() > 0 and (text[mo.start() - 1].isalnum() or text[mo.start() - 1] == "_"):
            continue
        url = mo.group(0).rstrip(".")
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
        except ValueError:
            continue
        if not host:
            continue
        ep = catalog.match_host(host, parts.path or "")
        if ep is None:
            continue
        site = _non_api_hosts(catalog).match(host) if "*" in ep.host else None
        if site is not None:  # a forum/docs/console page under a wildcard endpoint: a link, not the API
            c.add(
                "mention",
                host.lower(),
                "C",
                mo.start(),
                {"endpoint": ep.host, "producer": ep.operator},
                {"use_mode": "unknown", "context": f"{site.kind} site", "as": "endpoint", "url": url[:200]},
            )
            continue
        refs = {"endpoint": ep.host, "producer": ep.operator}
        if ep.path_prefix:
            refs["path_prefix"] = ep.path_prefix
        line = c.lines.line_text(mo.start())
        ctx = "base_url" if _BASE_URL_CTX.search(line) else "url"
        if re.search(r"\bcurl\b|\bwget\b|\bhttpie\b|\bhttp\s", line):
            ctx = "curl"
        c.add(
            "endpoint",
            host.lower(),
            "A",
            mo.start(),
            refs,
            {"use_mode": "hosted-api", "context": ctx, "url": url[:200], "jurisdiction": ep.jurisdiction},
        )


_SIGNATURES: weakref.WeakKeyDictionary[Catalog, RequestSignatures] = weakref.WeakKeyDictionary()


def scan_requests(c: Collector, catalog: Catalog) -> None:
    """Provider request paths and headers (``catalog/requests.py``): strength-A evidence of the provider's
    API service (value: its host), as for a host literal; a path right after a host is left to scan_urls."""
    sigs = _SIGNATURES.get(catalog)
    if sigs is None:
        sigs = _SIGNATURES[catalog] = RequestSignatures(catalog.request_signatures)
    if not sigs.entries:
        return
    if c.hits is None and not any(k in c.low for k in sigs.keywords()):
        return  # the signature regex cannot use a literal prefix: run it only where a signature occurs
    # (with the prefilter's positions: only on the lines holding a keyword of a signature)
    for mo in hit_matches(c, catalog, sigs.rx, CAT_SIGNATURE):
        rs = sigs.entry(mo)
        ep = catalog.match_host(rs.host)
        if ep is None or not sigs.allowed(rs, c.low):
            continue
        refs = {"endpoint": ep.host, "producer": ep.operator}
        attrs = {"context": f"request {rs.kind}", "signature": mo.group(0)[:200]}
        attrs["jurisdiction"] = ep.jurisdiction
        c.add("endpoint", rs.host, "A", mo.start(), refs, {"use_mode": "hosted-api", **attrs})


def scan_env_keys(c: Collector, catalog: Catalog) -> None:
    if not catalog.env_keys:
        return
    for mo in hit_matches(c, catalog, names_rx(catalog, "env"), CAT_ENV):
        k = catalog.match_env_key(mo.group(0))
        if k is None:
            continue
        ctx = "env lookup" if _ENV_CTX.search(c.lines.line_text(mo.start())) else "env key name"
        c.add(
            "env-key",
            k.name,
            "A",
            mo.start(),
            {"env_key": k.name, "producer": k.producer},
            {"use_mode": "hosted-api", "context": ctx},
        )


def scan_classes(c: Collector, catalog: Catalog, language: str) -> None:
    if not catalog.classes:
        return
    for mo in hit_matches(c, catalog, names_rx(catalog, "class"), CAT_CLASS):
        ce = catalog.match_class(mo.group(0))
        if ce is None or (ce.language != "any" and ce.language != language):
            continue
        attrs = {"context": "framework class", "use_mode": "unknown"}
        if ce.default_model:
            attrs["default_model"] = ce.default_model
            attrs["use_mode"] = "self-hosted" if "embed" in ce.name.lower() else "unknown"
        c.add("framework-class", ce.name, "A", mo.start(), {"class": ce.name, "producer": ce.producer}, attrs)


def _clean_model(v: str) -> str:
    v = v.strip().strip("\"'`,;)").rstrip(".")
    return v


_LETTER = re.compile(r"[A-Za-z]")
_DOTTED_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_]\w*")  # ``module.attr``, not a model id


def _looks_like_model_id(v: str) -> bool:
    if not v or len(v) < 2 or v.startswith(("$", "{", "<", "-", "/", ".")) or "://" in v:
        return False
    if v.lower() in {"none", "null", "true", "false", "model", "models", "self", "str", "string", "auto"}:
        return False
    return _LETTER.search(v) is not None and _DOTTED_NAME.fullmatch(v) is None


def scan_models(c: Collector, catalog: Catalog, *, free_literals: bool = True) -> None:
    """Model ids in model contexts (B), HF ``org/name`` of catalog organisations (B), and quoted literals
    naming a catalog family outside any model context (C mention)."""
    text = c.text
    taken: set[tuple[int, str]] = set()
    positions = c.hits.triggers if c.hits is not None else None
    has_model_arg = bool(positions.get("--model")) if positions is not None else "--model" in c.low
    file_self_hosted = has_model_arg and bool(_SELF_HOSTED_FILE.search(text))
    present = None if positions is None else {t for t, found in positions.items() if found}
    for rx, ctx, mode in MODEL_CONTEXTS:
        if present is not None and present.isdisjoint(MODEL_TRIGGERS[ctx]):
            continue  # no trigger of this context in the unit: no window
        # with positions, only line breaks are looked up: the text has them where its lower case has
        windows = trigger_windows(text if positions is not None else c.low, MODEL_TRIGGERS[ctx], positions)
        gate = _CONTEXT_GATES.get(ctx)
        if gate is not None:
            windows = [(lo, hi) for lo, hi in windows if gate.search(text, lo, hi) is not None]
        for mo in (mo for lo, hi in windows for mo in rx.finditer(text, lo, hi)):
            v = _clean_model(mo.group(1))
            if ctx == "gguf file":
                v = v[: -len(".gguf")]
            if not _looks_like_model_id(v):
                continue
            if ctx == "model constructor" and (c.lines.line(mo.start(1)), v.lower()) in taken:
                continue
            m = match_model(catalog, v, True)
            use = mode
            if ctx == "--model arg" and file_self_hosted:
                use = "self-hosted"
            if m is None:
                if mode != "self-hosted" or ctx == "gguf file":
                    continue
                refs: dict[str, str] = {}
            else:
                refs = model_refs(m)
                if m.router is not None:
                    use = "hosted-api"
            pos = mo.start(1)
            taken.add((c.lines.line(pos), v.lower()))
            attrs = {"use_mode": use, "context": ctx}
            if m is not None and m.router is not None:
                attrs["context"] = f"{m.router.router} prefix"
                if m.router.operator:
                    attrs["operator"] = m.router.operator
            c.add("model-ref", v, "B", pos, refs, attrs)
    tokens = keyword_tokens(c, catalog)
    for pos, tok in tokens:
        if "/" not in tok:
            continue
        hf = _HF_CANDIDATE.search(tok)
        if hf is None:
            continue
        v = _clean_model(hf.group(1))
        pos += hf.start(1)
        if (c.lines.line(pos), v.lower()) in taken:
            continue
        m = catalog.match_model(v, in_model_context=True)
        if m is None or m.via not in ("hf-id", "hf-org"):
            continue
        taken.add((c.lines.line(pos), v.lower()))
        before = text[max(0, pos - 40) : pos].lower()
        if "huggingface.co/" in before or "hf.co/" in before or "://" in tok:
            continue  # part of a URL: left to the mention pass
        c.add("model-ref", v, "B", pos, model_refs(m), {"use_mode": "unknown", "context": "hf id"})
    if free_literals:
        _scan_literals(c, catalog, tokens, taken)


def _scan_literals(
    c: Collector, catalog: Catalog, tokens: list[tuple[int, str]], taken: set[tuple[int, str]]
) -> None:
    """Quoted literals (and list items) around keyword hits: a model id in a model list, map, enum or
    registry (B, ``_listed_model``), else a C mention when the catalog matches it as free text."""
    text = c.text
    for pos, v in tokens:
        if pos <= 0 or pos + len(v) >= len(text):
            continue
        q = text[pos - 1]
        quoted = q in "\"'`" and text[pos + len(v)] == q
        if not quoted and text[pos - 1] not in ",\"' \t[" and text[pos + len(v)] not in ",\"' \t\n\r]":
            continue
        if (taken and (c.lines.line(pos), v.lower()) in taken) or not _looks_like_model_id(v):
            continue
        if _listed_model(c, catalog, pos, v, taken):
            continue
        m = match_model(catalog, v, False) if quoted else None
        if m is None:
            continue
        taken.add((c.lines.line(pos), v.lower()))
        c.add(
            "mention",
            v,
            "C",
            pos,
            model_refs(m),
            {"use_mode": "unknown", "context": "string literal outside a model context", "as": "model-ref"},
        )


def _listed_model(c: Collector, catalog: Catalog, pos: int, v: str, taken: set[tuple[int, str]]) -> bool:
    """A model id in a model list, map, enum, constructor or registry (``model_lists``): adds it as B when
    the container is tied to models by a name, or by the file's strength-A evidence of the same producer;
    the container's other literals that the catalog matches as models then count too (``glm-4`` beside
    ``chatglm_pro``, although ``glm-4`` holds no prefilter keyword)."""
    m = match_model(catalog, v, True) if not v.endswith(("-", ".", "_", "/")) else None  # not a prefix key
    where = None if m is None else place(c.text, c.syntax(), c.unit.ref.path, c.detector, pos, v, c.cache)
    if m is None or where is None:
        return False
    ctx, named = where
    if not named:
        if m.producer.id not in _file_producers(c, catalog):
            return False
        ctx += " near provider"
    found = [(pos, v, m)]
    lp = c.cache.get("list-positions")
    if isinstance(lp, ListPositions) and ctx.startswith("model list") and lp.opener not in lp.swept:
        lp.swept.add(lp.opener)
        for a, b in lp.members(lp.opener):
            for item in c.text[a + 1 : b - 1].split(","):
                w = item.strip()
                ok = _looks_like_model_id(w) and " " not in w and not w.endswith(("-", ".", "_", "/"))
                mm = match_model(catalog, w, True) if ok else None
                if mm is not None and w != v:
                    found.append((c.text.find(w, a, b), w, mm))
    for p, w, mm in found:
        if (c.lines.line(p), w.lower()) not in taken:
            taken.add((c.lines.line(p), w.lower()))
            use = "hosted-api" if mm.router is not None else "unknown"
            c.add("model-ref", w, "B", p, model_refs(mm), {"use_mode": use, "context": ctx})
    return True


def _file_producers(c: Collector, catalog: Catalog) -> set[str]:
    """Producers the unit's strength-A evidence names (hosts add the producers they serve)."""
    out: set[str] = set()
    for e in c.out:
        if e.strength == "A" and "producer" in e.refs:
            out.add(e.refs["producer"])
            ep = catalog.match_host(e.value) if e.kind == "endpoint" else None
            out.update(ep.serves if ep is not None else ())
    return out


def pair_endpoints(evidence: Iterable[Evidence]) -> list[Evidence]:
    """Give hosted model references the file's endpoint (when it has exactly one) and mark model= kwargs
    next to an endpoint or SDK as hosted-api."""
    evs = list(evidence)
    hosts = {e.value for e in evs if e.kind == "endpoint"}
    api_file = bool(hosts) or any(e.kind in ("sdk-import", "framework-class") for e in evs)
    out: list[Evidence] = []
    for e in evs:
        if e.kind == "model-ref":
            attrs = dict(e.attributes)
            changed = False
            if attrs.get("use_mode") == "unknown" and api_file and attrs.get("context") == "model= kwarg":
                attrs["use_mode"] = "hosted-api"
                changed = True
            if len(hosts) == 1 and attrs.get("use_mode") == "hosted-api" and "endpoint" not in attrs:
                attrs["endpoint"] = next(iter(hosts))
                changed = True
            if changed:
                e = e.model_copy(update={"attributes": attrs})
        out.append(e)
    return out


def scan_common(c: Collector, catalog: Catalog, language: str = "any", *, free_literals: bool = True) -> None:
    scan_urls(c, catalog)
    scan_requests(c, catalog)
    scan_env_keys(c, catalog)
    if language != "none":
        scan_classes(c, catalog, language)
    scan_models(c, catalog, free_literals=free_literals)
