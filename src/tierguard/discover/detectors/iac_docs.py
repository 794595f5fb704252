"""Structured YAML/JSON documents on top of the text pass of ``config.py``: CloudFormation/SAM templates,
Kubernetes manifests and CRDs (KServe ``InferenceService``, Ray Serve, vLLM/TGI/Ollama/SGLang deployments),
Helm values files, and MCP client configurations (``mcp.py``).

YAML is composed into nodes (``yaml.compose_all``): intrinsic tags such as ``!Ref``, ``!Sub``, ``!GetAtt`` are
kept as node tags and nothing is ever constructed; aliases are visited once (no billion-laughs expansion).
Only files the text pass already wanted (a prefilter keyword) and that look like one of these shapes (cheap
literal gates) are composed. What the structured pass places on a line replaces the text pass's model
reference there; everything else of the text pass is kept.

- CloudFormation/SAM (``AWSTemplateFormatVersion`` or ``AWS::`` resource types): model positions in
  ``AWS::Bedrock::*`` (``FoundationModel``, ``BaseModelIdentifier``, ``ModelSource.CopyFrom``, ``ModelId``
  ...) are hosted-api on Amazon Bedrock; ``AWS::SageMaker::Model`` ``Environment.HF_MODEL_ID`` is
  self-hosted; ``Parameters`` named for a model with a default.
- Kubernetes: container ``command``/``args`` (``--model``, ``--model-id``, ``--model_id``, ``--model-path``,
  ``vllm serve X``, ``-hf X``), ``env`` name/value pairs (``MODEL_ID``, ``HF_MODEL_ID``, ``*_MODEL``), KServe
  ``storageUri: hf://org/name``: self-hosted (the weights run in the cluster) when the container is a
  serving image or the resource a serving kind, else use mode unknown. Helm values: model keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

import yaml

from tierguard.catalog.loader import Catalog
from tierguard.model import Evidence

from ..common import Collector, pair_endpoints
from ..interface import Unit
from . import config, mcp
from .iac import Cloud, add_model, cloud_of, is_model_key, merge

_MAX_COMPOSE = 2 * 1024 * 1024
_MAX_NODES = 200_000
_MAX_DEPTH = 64
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SERVING_IMAGE = re.compile(
    r"vllm|text-generation-inference|\btgi\b|ollama|llama\.cpp|llama-server|sglang|tritonserver|kserve"
    r"|huggingfaceserver|lmdeploy|xinference|ray-ml|rayproject|localai|djl-inference|tensorrt-llm",
    re.I,
)
_SERVING_KINDS = frozenset(
    {
        "inferenceservice",
        "servingruntime",
        "clusterservingruntime",
        "llminferenceservice",
        "inferencegraph",
        "rayservice",
        "seldondeployment",
    }
)
_MODEL_FLAGS = (
    "--model",
    "--model-id",
    "--model_id",
    "--model-path",
    "--model_path",
    "--model-name",
    "--hf-model",
    "-hf",
    "--hf-repo",
    "--model-repo",
)
_INTRINSIC = re.compile(r"^(?:Fn::\w+|Ref|Condition)$")
_CFN_GATE = re.compile(r"AWSTemplateFormatVersion|Type\"?\s*:\s*[\"']?AWS::|Transform\"?\s*:\s*[\"']?AWS::")
_K8S_GATE = re.compile(r"(?m)^\s*[\"']?apiVersion[\"']?\s*:")


def parse_yaml(unit: Unit, catalog: Catalog) -> Sequence[Evidence]:
    text_ev = list(config.parse_yaml(unit, catalog))
    kind = _shape(unit)
    if not kind:
        return text_ev
    c = Collector(unit, "yaml-config", unit.text, extra_attrs={"document": kind})
    try:
        docs = list(yaml.compose_all(unit.text, Loader=_Loader))
    except (yaml.YAMLError, RecursionError, ValueError):  # Helm templates, partial files: text pass only
        return text_ev
    _walk_docs(c, catalog, docs, kind)
    return pair_endpoints(merge(c.out, text_ev)) if c.out else text_ev


def parse_json(unit: Unit, catalog: Catalog) -> Sequence[Evidence]:
    text_ev = list(config.parse_json(unit, catalog))
    if mcp.is_mcp_config(unit):
        return mcp.parse_mcp(unit, catalog, text_ev)
    kind = _shape(unit)
    if not kind or not text_ev and kind != "cloudformation":
        return text_ev
    c = Collector(unit, "json-config", unit.text, extra_attrs={"document": kind})
    try:
        docs = list(yaml.compose_all(unit.text, Loader=_Loader))  # JSON is YAML: one composer, with marks
    except (yaml.YAMLError, RecursionError, ValueError):
        return text_ev
    _walk_docs(c, catalog, docs, kind)
    return pair_endpoints(merge(c.out, text_ev)) if c.out else text_ev


def _shape(unit: Unit) -> str:
    """ "cloudformation", "kubernetes", "helm-values" or "" (a cheap look at the text, no parse)."""
    if len(unit.data) > _MAX_COMPOSE or unit.truncated:
        return ""
    head = unit.text
    # literal gates first (exact: a match of the first alternative is that literal, every match of the others
    # holds "AWS::"); the regexes have no literal prefix and cost ~0.1 s over the JSON files of a
    # site-packages (botocore's service models all say "AWS")
    if "AWSTemplateFormatVersion" in head or ("AWS::" in head and _CFN_GATE.search(head)):
        return "cloudformation"
    if "apiVersion" in head and "kind" in head and _K8S_GATE.search(head):
        return "kubernetes"
    name = unit.ref.logical_path.lower().rsplit("/", 1)[-1]
    if name.startswith("values") and name.endswith((".yaml", ".yml")):
        return "helm-values"
    return ""


# ---- node walking ------------------------------------------------------------------------------------


class _Walk:
    """Bounded node access: every node visited once (aliases), at most ``_MAX_NODES`` in all."""

    def __init__(self, c: Collector) -> None:
        self.c = c
        self.seen: set[int] = set()
        self.count = 0
        starts = [0]
        for ln in c.text.split("\n"):
            starts.append(starts[-1] + len(ln) + 1)
        self.starts = starts

    def pos(self, node: yaml.Node) -> int:
        m = node.start_mark
        line = min(m.line, len(self.starts) - 1)
        quoted = isinstance(node, yaml.ScalarNode) and node.style in ("'", '"')
        return self.starts[line] + m.column + (1 if quoted else 0)

    def leaves(
        self, node: yaml.Node, path: tuple[str, ...] = (), depth: int = 0
    ) -> Iterator[tuple[tuple[str, ...], yaml.ScalarNode]]:
        if depth > _MAX_DEPTH or self.count > _MAX_NODES or id(node) in self.seen:
            return
        self.seen.add(id(node))
        self.count += 1
        if isinstance(node, yaml.ScalarNode):
            yield path, node
        elif isinstance(node, yaml.SequenceNode):
            for v in node.value:
                yield from self.leaves(v, path, depth + 1)
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    key = str(k.value)
                    yield from self.leaves(v, path if _INTRINSIC.match(key) else (*path, key), depth + 1)


def get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return v  # type: ignore[no-any-return]
    return None


def scalar(node: yaml.Node | None) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else ""


def _walk_docs(c: Collector, catalog: Catalog, docs: list[yaml.Node], kind: str) -> None:
    w = _Walk(c)
    for doc in docs:
        if not isinstance(doc, yaml.MappingNode):
            continue
        if kind == "cloudformation":
            _cfn(w, catalog, doc)
        elif kind == "kubernetes":
            _k8s(w, catalog, doc, scalar(get(doc, "kind")).lower())
        else:
            _generic(w, catalog, doc, Cloud(), "helm values")


def _generic(w: _Walk, catalog: Catalog, node: yaml.Node, cloud: Cloud, prefix: str) -> None:
    for path, leaf in w.leaves(node):
        key = path[-1] if path else ""
        parent = path[-2] if len(path) > 1 else ""
        if not isinstance(leaf.value, str) or not leaf.value:
            continue
        add_model(
            w.c,
            catalog,
            leaf.value,
            w.pos(leaf),
            f"{prefix} {'.'.join(path)}".strip(),
            cloud,
            require_router=not is_model_key(key, parent),
        )


# ---- CloudFormation / SAM ------------------------------------------------------------------------------


def _cfn(w: _Walk, catalog: Catalog, doc: yaml.Node) -> None:
    resources = get(doc, "Resources")
    if isinstance(resources, yaml.MappingNode):
        for k, res in resources.value:
            rtype = scalar(get(res, "Type"))
            props = get(res, "Properties")
            if props is None or not rtype:
                continue
            _generic(w, catalog, props, cloud_of(rtype, scalar(k)), f"{rtype} {scalar(k)}")
    params = get(doc, "Parameters")
    if isinstance(params, yaml.MappingNode):
        for k, p in params.value:
            d = get(p, "Default")
            name = scalar(k)
            if isinstance(d, yaml.ScalarNode) and d.value:
                add_model(
                    w.c,
                    catalog,
                    str(d.value),
                    w.pos(d),
                    f"parameter {name}",
                    Cloud(),
                    require_router="model" not in name.lower(),
                )


# ---- Kubernetes ----------------------------------------------------------------------------------------


def _k8s(w: _Walk, catalog: Catalog, doc: yaml.Node, kind: str) -> None:
    serving_kind = kind in _SERVING_KINDS
    for node in _mappings(doc, w):
        image = scalar(get(node, "image"))
        if image or get(node, "args") is not None or get(node, "command") is not None:
            serving = serving_kind or bool(_SERVING_IMAGE.search(image))
            _container(w, catalog, node, Cloud("self-hosted" if serving else "unknown"), kind)
        uri = get(node, "storageUri")
        if isinstance(uri, yaml.ScalarNode) and str(uri.value).lower().startswith("hf://"):
            add_model(w.c, catalog, str(uri.value), w.pos(uri), f"{kind} storageUri", Cloud("self-hosted"))


def _mappings(node: yaml.Node, w: _Walk, depth: int = 0) -> Iterator[yaml.MappingNode]:
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, yaml.MappingNode):
        yield node
        for _, v in node.value:
            yield from _mappings(v, w, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            yield from _mappings(v, w, depth + 1)


def _argv(node: yaml.Node | None) -> list[yaml.ScalarNode]:
    if isinstance(node, yaml.SequenceNode):
        return [v for v in node.value if isinstance(v, yaml.ScalarNode)]
    return [node] if isinstance(node, yaml.ScalarNode) else []


def _container(w: _Walk, catalog: Catalog, node: yaml.MappingNode, cloud: Cloud, kind: str) -> None:
    words: list[tuple[str, yaml.ScalarNode]] = []
    for n in (*_argv(get(node, "command")), *_argv(get(node, "args"))):
        words.extend((part, n) for part in str(n.value).split())
    serve = any(a == "serve" for a, _ in words)
    if serve and cloud.use_mode == "unknown" and any("vllm" in a or "sglang" in a for a, _ in words):
        cloud = Cloud("self-hosted")
    for i, (a, n) in enumerate(words):
        flag, _, val = a.partition("=")
        value = ""
        if flag in _MODEL_FLAGS:
            value = val or (words[i + 1][0] if i + 1 < len(words) else "")
        elif i > 0 and words[i - 1][0] == "serve" and not a.startswith("-"):
            value = a
        value = value.strip("\"'")
        if value and not value.startswith("$"):
            pos = w.c.text.find(value, w.pos(n))
            add_model(w.c, catalog, value, pos if pos >= 0 else w.pos(n), f"{kind} container {flag}", cloud)
    env = get(node, "env")
    if isinstance(env, yaml.SequenceNode):
        for item in env.value:
            name, vnode = scalar(get(item, "name")), get(item, "value")
            if is_model_key(name) and isinstance(vnode, yaml.ScalarNode) and vnode.value:
                add_model(w.c, catalog, str(vnode.value), w.pos(vnode), f"{kind} env {name}", cloud)
