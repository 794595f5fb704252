"""Shell scripts and Dockerfiles: curl/wget hosts, ``ollama pull|run``, ``vllm serve``, ``huggingface-cli
download``, ``--model`` arguments, exported env keys, and ``pip``/``npm`` installs of catalog packages
(package-dependency, A). Dockerfile ``FROM ollama/...`` or ``vllm/...`` images make ``--model`` arguments
self-hosted."""

from __future__ import annotations

import re
from collections.abc import Sequence

from tierguard.catalog.loader import Catalog
from tierguard.model import Evidence

from ..common import Collector, pair_endpoints, scan_common
from ..interface import Unit

_PIP = re.compile(
    r"(?:\bpip3?|\bpython3?\s+-m\s+pip|\buv\s+pip|\buv|\bpoetry)\s+(?:install|add)\b([^\n;&|#]*)"
)
_NPM = re.compile(r"\b(?:npm\s+(?:install|i|add)|yarn\s+add|pnpm\s+(?:add|install|i))\b([^\n;&|#]*)")
_REQ_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_NPM_NAME = re.compile(r"(@[\w.-]+/[\w.-]+|[\w.-]+)")
_FROM_IMAGE = re.compile(r"^\s*FROM\s+(?:--\S+\s+)*(\S+)", re.M | re.I)


def install_lines(c: Collector, catalog: Catalog, context_prefix: str = "") -> None:
    for mo in _PIP.finditer(c.text):
        for tok in mo.group(1).split():
            tok = tok.strip("\"'\\")
            if not tok or tok.startswith("-") or "/" in tok or tok.startswith("$"):
                continue
            nm = _REQ_NAME.match(tok)
            if nm is None:
                continue
            pk = catalog.match_package("pypi", nm.group(0))
            if pk is not None:
                c.add(
                    "package-dependency",
                    pk.name,
                    "A",
                    mo.start(),
                    {"package": f"pypi:{pk.name}", "producer": pk.producer},
                    {"use_mode": "unknown", "context": f"{context_prefix}pip install"},
                )
    for mo in _NPM.finditer(c.text):
        for tok in mo.group(1).split():
            tok = tok.strip("\"'\\")
            if not tok or tok.startswith("-"):
                continue
            nm = _NPM_NAME.match(tok)
            name = nm.group(1) if nm else tok
            if name.startswith("@") and name.count("@") > 1:
                name = name.rsplit("@", 1)[0]
            elif not name.startswith("@"):
                name = name.split("@", 1)[0]
            pk = catalog.match_package("npm", name)
            if pk is not None:
                c.add(
                    "package-dependency",
                    pk.name,
                    "A",
                    mo.start(),
                    {"package": f"npm:{pk.name}", "producer": pk.producer},
                    {"use_mode": "unknown", "context": f"{context_prefix}npm install"},
                )


def parse_shell(unit: Unit, catalog: Catalog) -> Sequence[Evidence]:
    c = Collector(unit, "shell", unit.text)
    install_lines(c, catalog)
    scan_common(c, catalog, "none", free_literals=False)
    return pair_endpoints(c.out)


def parse_dockerfile(unit: Unit, catalog: Catalog) -> Sequence[Evidence]:
    c = Collector(unit, "dockerfile", unit.text)
    images = [m.group(1).lower() for m in _FROM_IMAGE.finditer(unit.text)]
    serving = next((i for i in images if i.startswith(("ollama/", "vllm/")) or "llama.cpp" in i), None)
    if serving is not None:
        c.extra_attrs["image"] = serving
    install_lines(c, catalog, "RUN ")
    scan_common(c, catalog, "none", free_literals=False)
    out = pair_endpoints(c.out)
    if serving is None:
        return out
    fixed: list[Evidence] = []
    for e in out:
        if e.kind == "model-ref" and e.attributes.get("use_mode") == "unknown":
            e = e.model_copy(update={"attributes": {**e.attributes, "use_mode": "self-hosted"}})
        fixed.append(e)
    return fixed
