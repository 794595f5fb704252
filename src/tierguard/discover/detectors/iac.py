"""Infrastructure as code: Terraform/OpenTofu HCL (``*.tf``, ``*.tf.json``, ``*.tfvars``) and Bicep.

A model id in a model position of a cloud AI resource is a B model reference, with the cloud operator as the
service: Amazon Bedrock resources (``aws_bedrock_custom_model.base_model_identifier``,
``aws_bedrock_inference_profile.model_source.copy_from``, ``aws_bedrockagent_agent.foundation_model`` ...;
ARNs like ``arn:aws:bedrock:...:foundation-model/us.deepseek.r1-v1:0`` are read by their model part and
matched with the catalog's Bedrock router prefixes), Azure AI Foundry deployments
(``azurerm_cognitive_deployment`` ``model { format, name }``, Bicep
``Microsoft.CognitiveServices/accounts/deployments``) and Vertex AI (``google_vertex_ai_*``) are hosted-api;
SageMaker models (``environment.HF_MODEL_ID``) run the weights in a container the user deploys and are
self-hosted. Variables, locals and tfvars whose name says "model" are model positions too.

HCL is parsed with python-hcl2 (a parser: nothing is evaluated; interpolations stay text). A file that does
not parse, or is larger than ``HCL_MAX_BYTES``, is still read by the shared text pass (hosts, env keys,
model contexts) and every evidence says so in ``attributes["read_as"]``. Comments are mentions in the text
pass. Line numbers come from locating each value in the source text after its block header.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from tierguard.catalog.loader import Catalog, ModelMatch
from tierguard.model import Evidence

from ..common import Collector, match_model, model_refs, pair_endpoints, scan_common
from ..interface import Unit

# lark's HCL parse costs about 30 us per byte: larger files are read by the text pass only
HCL_MAX_BYTES = 128 * 1024
_MAX_DEPTH = 48
_MAX_LEAVES = 20_000

_ARN_MODEL = re.compile(
    r"^arn:(?:aws[\w-]*|\$\{[^}]*\}):(?:bedrock|sagemaker):(?:\$\{[^}]*\}|[^:])*:(?:\$\{[^}]*\}|[^:])*:"
    r"(?:foundation-model|inference-profile|custom-model|imported-model|model)/([^/\s]+)",
    re.I,
)
_PUBLISHER = re.compile(r"^(?:projects/[^/]+/locations/[^/]+/)?publishers/([^/]+)/models/([^/@\s]+)", re.I)
_AZUREML = re.compile(r"^azureml://registries/([^/]+)/models/([^/\s]+)", re.I)
_HF_URI = re.compile(r"^hf://([^/\s]+/[^/\s:@]+)", re.I)
# keys that hold a model id wherever they sit (lower-cased, ``-`` and ``_`` removed)
_MODEL_KEYS = frozenset(
    {
        "model",
        "modelid",
        "modelname",
        "modelarn",
        "modelidentifier",
        "modelsource",
        "foundationmodel",
        "basemodelidentifier",
        "basemodelarn",
        "basemodel",
        "copyfrom",
        "hfmodelid",
        "huggingfacemodelid",
        "publishermodelname",
        "modelurl",
        "modeluri",
        "servedmodel",
        "llmmodel",
        "embeddingmodel",
        "storageuri",
        "modelrepo",
        "modelpath",
        "defaultmodel",
        "chatmodel",
        "embeddingmodelarn",
    }
)
_BLOCK_KINDS = ("resource", "data", "module")


def norm_key(key: str) -> str:
    return key.lower().replace("-", "").replace("_", "")


def is_model_key(key: str, parent: str = "") -> bool:
    """A key whose value is a model id: ``model_id``, ``HF_MODEL_ID``, ``foundationModel`` ..., the ``name``
    of a ``model`` block, and any ``*_MODEL`` / ``*_MODEL_ID`` / ``*_MODEL_NAME`` key."""
    k = norm_key(key)
    if k in _MODEL_KEYS:
        return True
    if k in ("name", "id") and norm_key(parent) in ("model", "models"):
        return True
    low = key.lower()
    return low.endswith(("_model", "_model_id", "_model_name", "-model", "-model-id"))


def model_candidates(value: str) -> list[str]:
    """The model ids a value may hold: an ARN's model part, a Vertex publisher path (``org/name`` and
    ``name``), an Azure ML registry path, an ``hf://`` URI, or the value itself."""
    v = value.strip()
    if not v or len(v) > 400 or "${" in v and "}" in v and not _ARN_MODEL.match(v):
        return []
    mo = _ARN_MODEL.match(v)
    if mo:
        return [mo.group(1)]
    mo = _PUBLISHER.match(v)
    if mo:
        return [f"{mo.group(1)}/{mo.group(2)}", mo.group(2)]
    mo = _AZUREML.match(v)
    if mo:
        return [mo.group(2)]
    mo = _HF_URI.match(v)
    if mo:
        return [mo.group(1)]
    if "://" in v or v.startswith(("/", "$", "{", ".")) or " " in v:
        return []
    return [v]


def match_candidates(catalog: Catalog, value: str, router: str | None) -> tuple[str, ModelMatch] | None:
    for cand in model_candidates(value):
        m = catalog.match_model(cand, in_model_context=True, router=router) if router else None
        if m is None:
            m = match_model(catalog, cand, True)
        if m is not None:
            return cand, m
    return None


@dataclass(frozen=True, slots=True)
class Cloud:
    """How a model position in a resource is used: use mode, Bedrock router, endpoint host (operator)."""

    use_mode: str = "unknown"
    router: str | None = None
    endpoint: str = ""


def cloud_of(rtype: str, label: str = "") -> Cloud:
    """The use of a model named in a resource of type ``rtype`` (Terraform or CloudFormation/Bicep)."""
    t = rtype.lower()
    if t.startswith(("aws_bedrock", "aws::bedrock::")):
        return Cloud("hosted-api", "bedrock")
    if t.startswith(("aws_sagemaker", "aws::sagemaker::")):
        return Cloud("self-hosted")
    if t.startswith(("azurerm_cognitive", "azurerm_ai_", "microsoft.cognitiveservices/")):
        host = re.sub(r"[^a-z0-9-]", "-", label.lower()).strip("-") or "account"
        return Cloud("hosted-api", endpoint=f"{host}.services.ai.azure.com")
    if t.startswith("microsoft.machinelearningservices/") and "serverless" in t:
        host = re.sub(r"[^a-z0-9-]", "-", label.lower()).strip("-") or "account"
        return Cloud("hosted-api", endpoint=f"{host}.services.ai.azure.com")
    if t.startswith("google_vertex_ai"):
        return Cloud("hosted-api", endpoint="aiplatform.googleapis.com")
    return Cloud()


def add_model(
    c: Collector,
    catalog: Catalog,
    value: str,
    pos: int,
    context: str,
    cloud: Cloud,
    *,
    require_router: bool = False,
) -> bool:
    """Add a B model-ref for ``value`` (at ``pos``) when it names a catalog model. ``require_router``: only
    a router-prefixed or HF id counts (a value in a position that does not say "model")."""
    hit = match_candidates(catalog, value, cloud.router or ("bedrock" if value.startswith("arn:") else None))
    if hit is None:
        return False
    cand, m = hit
    if require_router and m.router is None and m.via not in ("hf-id",):
        return False
    attrs = {"use_mode": cloud.use_mode, "context": context}
    if m.router is not None:
        attrs["use_mode"] = "hosted-api"
        if m.router.operator:
            attrs["operator"] = m.router.operator
    elif cloud.endpoint:
        attrs["endpoint"] = cloud.endpoint
        attrs["endpoint_source"] = "derived from the resource type and name, not a literal in the file"
    c.add("model-ref", cand, "B", pos, model_refs(m), attrs)
    return True


def merge(structured: Sequence[Evidence], text: Sequence[Evidence]) -> list[Evidence]:
    """The structured evidence plus the text pass's, without the text pass's model references and mentions
    of a value the structured pass already placed on that line."""
    placed = {(e.location.line, e.value.lower()) for e in structured}
    lines = {e.location.line for e in structured if e.kind == "model-ref"}
    out = list(structured)
    for e in text:
        if e.kind in ("model-ref", "mention") and (
            (e.location.line, e.value.lower()) in placed
            or (e.location.line in lines and e.attributes.get("as", "model-ref") == "model-ref")
        ):
            continue
        out.append(e)
    return out


_COMMENT_LINE = re.compile(r"^\s*(?:#|//|/\*|\*)")


def demote_comment_lines(evidence: Sequence[Evidence], text: str) -> list[Evidence]:
    """Text-pass evidence on a comment line (``#``, ``//``, ``/* */`` continuation) becomes a C mention."""
    lines = text.split("\n")
    out: list[Evidence] = []
    for e in evidence:
        ln = e.location.line or 0
        if e.strength != "C" and 0 < ln <= len(lines) and _COMMENT_LINE.match(lines[ln - 1]):
            attrs = {**e.attributes, "as": e.kind, "context": "comment", "use_mode": "unknown"}
            e = e.model_copy(update={"kind": "mention", "strength": "C", "attributes": attrs})
        out.append(e)
    return out


def _with_read_as(evidence: Sequence[Evidence], read_as: str) -> list[Evidence]:
    return [e.model_copy(update={"attributes": {**e.attributes, "read_as": read_as}}) for e in evidence]


def _text_pass(unit: Unit, catalog: Catalog, detector: str) -> list[Evidence]:
    c = Collector(unit, detector, unit.text)
    scan_common(c, catalog, "none", free_literals=True)
    return demote_comment_lines(c.out, unit.text)


# ---- Terraform ---------------------------------------------------------------------------------------


def _unq(v: object) -> str | None:
    if not isinstance(v, str):
        return None
    if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
        return v[1:-1]
    return v


def _blocks(doc: object, kind: str) -> Iterator[tuple[str, str, object]]:
    """(type, name, body) of every ``kind`` block (resource/data: two labels; module: one) in the
    python-hcl2 shape (a list of {type: {name: body}}) or the Terraform JSON shape ({type: {name: body}})."""
    if not isinstance(doc, dict):
        return
    top = doc.get(kind)
    items = top if isinstance(top, list) else [top] if isinstance(top, dict) else []
    for item in items:
        if not isinstance(item, dict):
            continue
        for t, inner in item.items():
            t = _unq(t) or ""
            if kind == "module":
                yield "module", t, inner
                continue
            names = inner if isinstance(inner, list) else [inner]
            for named in names:
                if isinstance(named, dict):
                    for n, body in named.items():
                        yield t, _unq(n) or "", body


def _leaves(
    body: object, path: tuple[str, ...] = (), depth: int = 0
) -> Iterator[tuple[tuple[str, ...], str]]:
    """(key path, string value) of every string under ``body`` (block lists are transparent)."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(body, dict):
        for k, v in body.items():
            if isinstance(k, str) and not k.startswith("__"):
                yield from _leaves(v, (*path, _unq(k) or k), depth + 1)
    elif isinstance(body, list):
        for v in body:
            yield from _leaves(v, path, depth + 1)
    else:
        s = _unq(body)
        if s is not None:
            yield path, s


class _Locator:
    """Offsets of values in the source: the first quoted occurrence after the block header."""

    def __init__(self, text: str) -> None:
        self.text = text

    def block(self, kind: str, rtype: str, name: str) -> int:
        labels = "".join(rf'\s*"?{re.escape(x)}"?' for x in (rtype, name) if x)
        mo = re.search(rf"(?m)^\s*\"?{re.escape(kind)}\"?\s*:?{labels}", self.text)
        return mo.start() if mo else 0

    def value(self, value: str, start: int) -> int:
        for needle in (f'"{value}"', value):
            i = self.text.find(needle, start)
            if i < 0 and start:
                i = self.text.find(needle)
            if i >= 0:
                return i + (1 if needle[0] == '"' else 0)
        return start


def _tf_structured(c: Collector, catalog: Catalog, doc: object, tfvars: bool) -> None:
    loc = _Locator(c.text)
    n = 0
    for kind in _BLOCK_KINDS:
        for rtype, name, body in _blocks(doc, kind):
            start = loc.block(kind, rtype, name)
            cloud = cloud_of(rtype, name)
            for path, value in _leaves(body):
                n += 1
                if n > _MAX_LEAVES:
                    return
                key = path[-1] if path else ""
                parent = path[-2] if len(path) > 1 else ""
                model_pos = is_model_key(key, parent)
                ctx = f"{rtype}.{'.'.join(path)}" if kind != "module" else f"module {name}: {'.'.join(path)}"
                add_model(
                    c, catalog, value, loc.value(value, start), ctx, cloud, require_router=not model_pos
                )
    if not isinstance(doc, dict):
        return
    named: list[tuple[str, str, int]] = []  # (name, value, block start)
    for item in _as_list(doc.get("variable")):
        for vname, body in item.items() if isinstance(item, dict) else ():
            vname = _unq(vname) or ""
            start = loc.block("variable", vname, "")
            default = body.get("default") if isinstance(body, dict) else None
            named.extend((vname, v, start) for _, v in _leaves(default))
    for item in _as_list(doc.get("locals")):
        for path, v in _leaves(item):
            named.append((path[-1] if path else "", v, 0))
    if tfvars:
        for k, v in doc.items():
            if k not in (*_BLOCK_KINDS, "variable", "locals", "provider", "output", "terraform"):
                named.extend((path[-1] if path else k, s, 0) for path, s in _leaves(v, (k,)))
    for vname, value, start in named:
        ctx = f'variable "{vname}"' if start else vname
        add_model(
            c,
            catalog,
            value,
            loc.value(value, start),
            ctx,
            Cloud(),
            require_router="model" not in vname.lower(),
        )


def _as_list(v: object) -> list[object]:
    return v if isinstance(v, list) else [v] if isinstance(v, dict) else []


def parse_terraform(unit: Unit, catalog: Catalog) -> Sequence[Evidence]:
    """Terraform/OpenTofu HCL and Terraform JSON: model ids in cloud AI resources, variables and tfvars (B),
    plus the shared text pass (provider hosts, env keys) with comment lines as mentions."""
    path = unit.ref.logical_path.lower()
    text_ev = _text_pass(unit, catalog, "terraform")
    doc: object = None
    why = ""
    if unit.truncated or len(unit.data) > HCL_MAX_BYTES:
        why = f"larger than {HCL_MAX_BYTES} bytes"
    else:
        try:
            if path.endswith(".json"):
                doc = json.loads(unit.text)
            else:
                import hcl2  # lazy: lark builds its parser on first use (~0.2 s), only when a .tf is parsed

                doc = hcl2.loads(unit.text)
        except RecursionError:
            why = "nested too deeply"
        except Exception as exc:  # lark/json errors: the file is read as text instead
            why = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''}"
    if doc is None:
        return _with_read_as(pair_endpoints(text_ev), f"text (HCL not parsed: {why})")
    c = Collector(unit, "terraform", unit.text)
    _tf_structured(c, catalog, doc, tfvars=path.endswith((".tfvars", ".tfvars.json")))
    return _with_read_as(pair_endpoints(merge(c.out, text_ev)), "hcl")


# ---- Bicep ------------------------------------------------------------------------------------------

_BICEP_TOKEN = re.compile(
    r"(?P<ml>'''.*?''')|(?P<s>'(?:[^'\\\n]|\\.)*')|(?P<lc>//[^\n]*)|(?P<bc>/\*.*?\*/)"
    r"|(?P<id>[A-Za-z_][\w]*)|(?P<p>[{}\[\]:=(),.?!])|(?P<nl>\n)|[ \t\r]+|(?P<x>.)",
    re.S,
)


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # s (string), id, p (punctuation), x (other)
    text: str
    pos: int


def _bicep_tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    for mo in _BICEP_TOKEN.finditer(text):
        k = mo.lastgroup
        if k in (None, "lc", "bc", "nl"):
            continue
        if k == "ml":
            out.append(_Tok("s", mo.group(0)[3:-3], mo.start() + 3))
        elif k == "s":
            out.append(_Tok("s", mo.group(0)[1:-1].replace("\\'", "'"), mo.start() + 1))
        else:
            out.append(_Tok(k, mo.group(0), mo.start()))
    return out


def _bicep_object(
    toks: list[_Tok], i: int, path: tuple[str, ...], out: list[tuple[tuple[str, ...], _Tok]], depth: int = 0
) -> int:
    """Collect (key path, string token) pairs of the object or array opening at ``toks[i]``; returns the
    index after its closing bracket. Anything that is not a string value is skipped."""
    close = "}" if toks[i].text == "{" else "]"
    i += 1
    key = ""
    while i < len(toks):
        t = toks[i]
        if t.kind == "p" and t.text == close:
            return i + 1
        if t.kind == "p" and t.text in "{[":
            if depth < _MAX_DEPTH:
                i = _bicep_object(toks, i, (*path, key) if key else path, out, depth + 1)
            else:
                i += 1
            key = ""
            continue
        if close == "}" and t.kind in ("id", "s") and i + 1 < len(toks) and toks[i + 1].text == ":":
            key = t.text
            i += 2
            continue
        if t.kind == "s":
            out.append(((*path, key) if key else path, t))
            key = ""
        i += 1
    return i


def parse_bicep(unit: Unit, catalog: Catalog) -> Sequence[Evidence]:
    """Bicep: string values in ``Microsoft.CognitiveServices`` / ``MachineLearningServices`` resources
    (``model: { format, name }``, ``modelId``) and ``param``/``var`` model names, plus the text pass."""
    text_ev = _text_pass(unit, catalog, "bicep")
    toks = _bicep_tokens(unit.text)
    c = Collector(unit, "bicep", unit.text)
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.kind == "id" and t.text == "resource" and i + 2 < len(toks) and toks[i + 2].kind == "s":
            sym, rtype = toks[i + 1].text, toks[i + 2].text.split("@", 1)[0]
            j = i + 3
            while j < len(toks) and not (toks[j].kind == "p" and toks[j].text == "{"):
                if toks[j].kind == "id" and toks[j].text in ("resource", "param", "var", "module"):
                    break
                j += 1
            if j < len(toks) and toks[j].text == "{":
                pairs: list[tuple[tuple[str, ...], _Tok]] = []
                i = _bicep_object(toks, j, (), pairs)
                cloud = cloud_of(rtype, sym)
                for path, st in pairs:
                    key = path[-1] if path else ""
                    parent = path[-2] if len(path) > 1 else ""
                    add_model(
                        c,
                        catalog,
                        st.text,
                        st.pos,
                        f"{rtype} {'.'.join(path)}",
                        cloud,
                        require_router=not is_model_key(key, parent),
                    )
                continue
        if t.kind == "id" and t.text in ("param", "var") and i + 1 < len(toks):
            name = toks[i + 1].text
            j = i + 2
            while j < len(toks) and j < i + 6 and toks[j].text != "=":
                j += 1
            if j + 1 < len(toks) and toks[j].text == "=" and toks[j + 1].kind == "s":
                add_model(
                    c,
                    catalog,
                    toks[j + 1].text,
                    toks[j + 1].pos,
                    f"{t.text} {name}",
                    Cloud(),
                    require_router="model" not in name.lower(),
                )
                i = j + 2
                continue
        i += 1
    return pair_endpoints(merge(c.out, text_ev))
