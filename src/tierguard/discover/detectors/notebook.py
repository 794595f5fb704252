"""Jupyter notebooks: parsed as JSON (never executed); code cells are scanned as Python plus their shell
escapes (``!pip install``, ``!ollama pull``, ``%pip``); markdown cells are mentions. Line numbers are
relative to the cell; ``attributes["cell"]`` is the 0-based cell index."""

from __future__ import annotations

import json
from collections.abc import Sequence

from tierguard.catalog.loader import Catalog
from tierguard.model import Evidence

from ..common import Collector, pair_endpoints, scan_common
from ..interface import Unit, UnitSkipped
from ..syntax import SyntaxMap
from .code import python_imports
from .docs import scan_prose
from .shell import install_lines


def _source(cell: object) -> str:
    if not isinstance(cell, dict):
        return ""
    src = cell.get("source", "")
    if isinstance(src, list):
        return "".join(s for s in src if isinstance(s, str))
    return src if isinstance(src, str) else ""


def parse_notebook(unit: Unit, catalog: Catalog) -> Sequence[Evidence]:
    if unit.truncated:
        raise UnitSkipped("too-large", "notebook larger than the read limit")
    try:
        doc = json.loads(unit.text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise UnitSkipped("malformed", f"not valid notebook JSON: {exc}") from None
    cells = doc.get("cells") if isinstance(doc, dict) else None
    if not isinstance(cells, list):
        raise UnitSkipped("malformed", "no 'cells' list")
    out: list[Evidence] = []
    # an import in one cell is used in others: imported names are looked up in all code cells together
    code = [_source(c) for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"]
    usage = SyntaxMap("\n".join(code), "python")
    for i, cell in enumerate(cells):
        text = _source(cell)
        if not text:
            continue
        ctype = cell.get("cell_type") if isinstance(cell, dict) else None
        c = Collector(unit, "notebook", text, mention="docs" if ctype == "markdown" else "")
        c.extra_attrs["cell"] = str(i)
        if ctype == "code":
            python_imports(c, catalog, usage)
            install_lines(c, catalog, "notebook ")
            scan_common(c, catalog, "python")
        elif ctype == "markdown":
            scan_prose(c, catalog)
        out.extend(pair_endpoints(c.out))
    return out
