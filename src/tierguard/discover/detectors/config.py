"""Configuration files: YAML (docker-compose, Kubernetes, Helm values), JSON, TOML and .env files.

Text-level scanning keeps line numbers and survives templating (Helm ``{{ }}``): env keys, provider hosts,
``model:``/``--model`` values and Kubernetes ``name: X_MODEL`` / ``value: <id>`` pairs. Recorded HTTP
cassettes (``cassettes/`` directories, VCR ``interactions:``) are mentions (C), never integrations; so are
price/capability tables (model ids as keys, ``alias_of`` values, source links) unless the file also selects
models (``model_list``, ``litellm_params``), and the lines under a prose key of a YAML file
(``description: >`` blocks)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from tierguard.catalog.loader import Catalog
from tierguard.model import Evidence

from ..common import Collector, match_model, model_refs, pair_endpoints, scan_common
from ..interface import Unit
from ..model_lists import price_table

_K8S_ENV_PAIR = re.compile(
    r"""name:\s*["']?([A-Z0-9_]*MODEL[A-Z0-9_]*)["']?\s*\n\s*-?\s*value:\s*["']?([A-Za-z0-9][\w./:@+-]{1,150})"""
)
_SERVING_IMAGE = re.compile(
    r"image:\s*[\"']?(?:[\w.-]+/)?(ollama/ollama|vllm/vllm-openai|[\w.-]*llama\.cpp)", re.I
)
_SERVING_HINTS = ("ollama/ollama", "vllm/vllm-openai", "llama.cpp")  # one must occur for _SERVING_IMAGE
_VCR = re.compile(r"^interactions:\s*$", re.M)
# a vocabulary ({"token": id, ...}) or a word list (["word", ...]) at the start of a large JSON file
_WORD_LIST = re.compile(
    r"""\s*(?:\{\s*(?:"(?:[^"\\\n]|\\.){0,100}"\s*:\s*-?\d+\s*,\s*){32}"""
    r"""|\[\s*(?:"(?:[^"\\\n]|\\.){0,100}"\s*,\s*){64})"""
)
WORD_LIST_MIN = 256 * 1024


def is_word_list(unit: Unit) -> bool:
    """A large JSON vocabulary or word list (any name): data, not configuration; not mined for mentions."""
    return len(unit.data) >= WORD_LIST_MIN and _WORD_LIST.match(unit.text, 0, 16384) is not None


def is_cassette(unit: Unit) -> bool:
    p = "/" + unit.ref.logical_path.lower()
    if "/cassettes/" in p or "/cassette/" in p or "/vcr_cassettes/" in p or ".cassette." in p:
        return True
    head = unit.text[:4096]
    return bool(_VCR.search(head)) and ("request:" in head or "uri:" in head)


def _scan_config(unit: Unit, catalog: Catalog, name: str, *, free_literals: bool) -> Sequence[Evidence]:
    c = Collector(unit, name, unit.text, mention="cassette" if is_cassette(unit) else "")
    scan_common(c, catalog, "none", free_literals=free_literals)
    # cheap literal gates before whole-text regexes (large JSON data files reach this point)
    for mo in _K8S_ENV_PAIR.finditer(unit.text) if "value:" in unit.text else ():
        m = match_model(catalog, mo.group(2), True)
        if m is not None:
            c.add(
                "model-ref",
                mo.group(2),
                "B",
                mo.start(2),
                model_refs(m),
                {"use_mode": "hosted-api" if m.router else "unknown", "context": f"env {mo.group(1)}"},
            )
    out = pair_endpoints(c.out)
    if any(e.strength != "C" for e in out):
        out = _demote_tables_and_prose(out, c, name)
    if any(k in c.low for k in _SERVING_HINTS) and _SERVING_IMAGE.search(unit.text):
        out = [
            e.model_copy(update={"attributes": {**e.attributes, "use_mode": "self-hosted"}})
            if e.kind == "model-ref" and e.attributes.get("use_mode") == "unknown"
            else e
            for e in out
        ]
    return out


# a price/capability table that is also a router configuration selects models (LiteLLM proxy config)
_SELECTS_MODELS = re.compile(r"\b(?:model_list|litellm_params)\b")
# a YAML key whose value is prose; its block (``description: >`` and the lines indented under it) is text
_PROSE_KEY_LINE = re.compile(
    r"""^([ \t]*-?[ \t]*)["']?"""
    r"""(?:description|summary|help|title|comment|notes?|doc|docs|examples?)["']?[ \t]*:""",
    re.I | re.M,
)


def _prose_lines(text: str) -> set[int]:
    """1-based numbers of the lines under a prose key of a YAML file (a block scalar or a multi-line plain
    scalar: the lines more indented than the key, blank ones included)."""
    out: set[int] = set()
    for mo in _PROSE_KEY_LINE.finditer(text):
        column = len(mo.group(1))
        line_no = text.count("\n", 0, mo.start()) + 1
        pos = text.find("\n", mo.end())
        while pos >= 0:
            nxt = text.find("\n", pos + 1)
            line = text[pos + 1 : len(text) if nxt < 0 else nxt]
            body = line.lstrip(" \t")
            if body and len(line) - len(body) <= column:
                break
            line_no += 1
            out.add(line_no)
            pos = nxt
    return out


def _as_mention(e: Evidence, context: str) -> Evidence:
    attrs = {**e.attributes, "as": e.kind, "context": context, "use_mode": "unknown"}
    return Evidence(
        detector=e.detector,
        kind="mention",
        value=e.value,
        strength="C",
        location=e.location,
        excerpt=e.excerpt,
        refs=e.refs,
        attributes=attrs,
    )


def _demote_tables_and_prose(out: list[Evidence], c: Collector, name: str) -> list[Evidence]:
    """Price and capability tables are mentions whole (model ids as keys, ``alias_of`` values, source links:
    litellm's ``model_prices_and_context_window.json``) unless the file also selects models
    (``model_list``/``litellm_params``); so are the lines under a prose key of a YAML file."""
    text = c.text
    if price_table(text, c.cache) and not _SELECTS_MODELS.search(text):
        return [_as_mention(e, "price/capability table") if e.strength != "C" else e for e in out]
    if name != "yaml-config":
        return out
    prose = _prose_lines(text)
    if not prose:
        return out
    return [_as_mention(e, "prose") if e.strength != "C" and e.location.line in prose else e for e in out]


def parse_yaml(unit: Unit, catalog: Catalog) -> Sequence[Evidence]:
    return _scan_config(unit, catalog, "yaml-config", free_literals=True)


def parse_json(unit: Unit, catalog: Catalog) -> Sequence[Evidence]:
    if is_word_list(unit):
        return ()
    return _scan_config(unit, catalog, "json-config", free_literals=True)


def parse_toml(unit: Unit, catalog: Catalog) -> Sequence[Evidence]:
    return _scan_config(unit, catalog, "toml-config", free_literals=True)


def parse_dotenv(unit: Unit, catalog: Catalog) -> Sequence[Evidence]:
    return _scan_config(unit, catalog, "dotenv", free_literals=False)
