"""Ollama Modelfiles: ``FROM <model>`` (and ``ADAPTER``) name the weights a local model is built from."""

from __future__ import annotations

import re
from collections.abc import Sequence

from tierguard.catalog.loader import Catalog
from tierguard.model import Evidence

from ..common import Collector, match_model, model_refs
from ..interface import Unit

_FROM = re.compile(r"^[ \t]*(FROM|ADAPTER)[ \t]+(\S+)", re.M | re.I)


def parse_modelfile(unit: Unit, catalog: Catalog) -> Sequence[Evidence]:
    c = Collector(unit, "modelfile", unit.text)
    for mo in _FROM.finditer(unit.text):
        value = mo.group(2).strip("\"'")
        base = value.rsplit("/", 1)[-1]
        is_gguf = base.lower().endswith(".gguf")
        m = match_model(catalog, base[: -len(".gguf")] if is_gguf else value, True)
        refs = model_refs(m) if m is not None else {}
        c.add(
            "model-ref",
            value,
            "B",
            mo.start(2),
            refs,
            {"use_mode": "self-hosted", "context": f"Modelfile {mo.group(1).upper()}"},
        )
    return c.out
