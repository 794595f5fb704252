"""Source-code detectors: Python, JavaScript/TypeScript, Go, Java. Imports/requires of catalog packages
(sdk-import, A), provider hosts (endpoint, A), env keys (A), framework classes (A) and model ids in model
contexts (B, also a model field's default); string literals naming a model outside a model context are C
mentions. A Python import is A only when the file uses what it imports and is not the package's own module
(``pyimports``); a Python unit also records its import statements for the cross-module pass (``pylinks``)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from tierguard.catalog.loader import Catalog, PackageEntry
from tierguard.model import Evidence

from ..common import Collector, hit_matches, match_model, model_refs, pair_endpoints, scan_common
from ..interface import Unit
from ..syntax import SyntaxMap
from .pybindings import module_record
from .pyimports import bound_names, import_items, import_mention, import_root, statement_end

_PY_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+([A-Za-z_][\w.]*)[ \t]+import\b"
    r"|import[ \t]+([A-Za-z_][\w.]*(?:[ \t]*,[ \t]*[A-Za-z_][\w.]*)*))",
    re.M,
)
_JS_IMPORT = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']([@\w][\w@./-]*)["']""")
_GO_IMPORT_BLOCK = re.compile(r"^import\s*\((.*?)^\)", re.M | re.S)
_GO_IMPORT_ONE = re.compile(r"""^import\s+(?:[\w.]+\s+)?"([^"]+)\"""", re.M)
_GO_PATH = re.compile(r'"([^"\s]+)"')
# Java (``;``), Kotlin and Scala (no ``;``, optional ``as alias``)
_JAVA_IMPORT = re.compile(
    r"^[ \t]*import\s+(?:static\s+)?([\w.]+)(?:\.\*)?(?:[ \t]+as[ \t]+\w+)?[ \t]*(?:;|$)", re.M
)


def _names(text: str, module: str) -> bool:
    """Does ``text`` name ``module`` as a word (``tts`` in ``tencentcloud.tts``, not in ``settings``)?"""
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(module)}(?![A-Za-z0-9])", text) is not None


def _import_ev(
    c: Collector, pk: PackageEntry, module: str, pos: int, line: str, context: str, mention: str = ""
) -> None:
    """An SDK import (A), or a C mention when ``mention`` says why it is not a use (``pyimports``)."""
    attrs = {"use_mode": "hosted-api" if pk.kind == "sdk" else "unknown", "context": context}
    attrs["package_kind"] = pk.kind
    if pk.requires_module and not any(_names(module, r) for r in pk.required_modules):
        # an umbrella SDK whose AI module is named on the import line, not in the path
        # (``require("tencentcloud-sdk-nodejs").hunyuan``): record it so identify counts the umbrella
        named = [r for r in pk.required_modules if _names(line, r)]
        if not named:
            return
        attrs["module"] = f"{module}/{named[0]}"
    refs = {"package": f"{pk.ecosystem}:{pk.name}", "producer": pk.producer}
    if mention:
        attrs.update({"as": "sdk-import", "context": mention, "use_mode": "unknown"})
        c.add("mention", module, "C", pos, refs, attrs)
        return
    c.add("sdk-import", module, "A", pos, refs, attrs)


def python_imports(c: Collector, catalog: Catalog, usage: SyntaxMap | None = None) -> None:
    """Imports of catalog PyPI packages: A when the file uses what it imports, a mention for the package's
    own modules, re-exports, lazy-import registries and typing-only imports (``pyimports``). ``usage`` is the
    text the imported names are looked up in when it is not the collector's (a notebook's code cells)."""
    text, path = c.text, c.unit.ref.logical_path
    syntax = c.syntax()
    for mo in hit_matches(c, catalog, _PY_IMPORT):
        line = c.lines.line_text(mo.start())
        in_code = syntax is None or syntax.where(mo.start()) == "code"
        items = [(mo.group(1), "", mo.start())] if mo.group(1) else import_items(text, mo.start(2))
        for mod, bound, _ in items:
            pk = catalog.match_import(mod)
            if pk is None or pk.ecosystem != "pypi":
                continue
            why = ""
            if in_code:
                if mo.group(1):
                    names = bound_names(text, mo.end(), statement_end(text, mo.end()), mod, True)
                else:
                    names = [bound]
                why = import_mention(syntax, path, import_root(mod, pk.imports), mo.end(), names, usage)
            _import_ev(c, pk, mod, mo.start(), line, "import", why)


# a class field's default: ``model_name: str = Field(default="chatglm3-6b", alias="model")``,
# ``model: str = "deepseek-chat"`` (groups: field name, default, the rest of the line)
_FIELD_DEFAULT = re.compile(
    r"""^[ \t]*([A-Za-z_]\w*)[ \t]*:[ \t]*[^=\n]{1,80}?=[ \t]*"""
    r"""(?:(?:Field|field|attr\.ib|attrib)\(\s*(?:default\s*=\s*)?)?["']([^"'\s]{2,150})["']([^\n]{0,200})""",
    re.M,
)
_MODEL_FIELD = re.compile(r"model|llm", re.I)
_MODEL_ALIAS = re.compile(r"""\balias\s*=\s*["'](?:model|model_name|model_id|llm)["']""")


def python_field_defaults(c: Collector, catalog: Catalog) -> set[tuple[int, str]]:
    """Model ids as the default of a model field (B, "model field default"): the field's name holds
    ``model``/``llm`` or its ``Field`` is aliased ``model``. Returns the (line, id) pairs taken."""
    taken: set[tuple[int, str]] = set()
    syntax = c.syntax()
    for mo in hit_matches(c, catalog, _FIELD_DEFAULT):
        field_name, value, rest = mo.group(1), mo.group(2), mo.group(3)
        if not (_MODEL_FIELD.search(field_name) or _MODEL_ALIAS.search(rest)):
            continue
        if syntax is not None and syntax.where(mo.start(1)) != "code":
            continue
        m = match_model(catalog, value, True)
        if m is None:
            continue
        use = "hosted-api" if m.router is not None else "unknown"
        c.add(
            "model-ref",
            value,
            "B",
            mo.start(2),
            model_refs(m),
            {"use_mode": use, "context": "model field default"},
        )
        taken.add((c.lines.line(mo.start(2)), value))
    return taken


def parse_python(unit: Unit, catalog: Catalog) -> Sequence[Evidence]:
    c = Collector(unit, "python", unit.text)
    python_imports(c, catalog)
    taken = python_field_defaults(c, catalog)
    scan_common(c, catalog, "python")
    out = c.out
    if taken:  # the same literal is not also a "string literal outside a model context" mention
        out = [e for e in out if e.kind != "mention" or (e.location.line, e.value) not in taken]
    # the unit's import statements, for the cross-module pass (``pylinks``; removed by the engine)
    return [*pair_endpoints(out), module_record(unit, c.text)]


def _npm_name(spec: str) -> str:
    parts = spec.split("/")
    return "/".join(parts[:2]) if spec.startswith("@") else parts[0]


def parse_javascript(unit: Unit, catalog: Catalog) -> Sequence[Evidence]:
    c = Collector(unit, "javascript", unit.text)
    for mo in _JS_IMPORT.finditer(c.text):
        spec = mo.group(1)
        pk = catalog.match_package("npm", _npm_name(spec)) or catalog.match_import(spec)
        if pk is not None and pk.ecosystem == "npm":
            _import_ev(c, pk, spec, mo.start(1), c.lines.line_text(mo.start()), "import/require")
    scan_common(c, catalog, "javascript")
    return pair_endpoints(c.out)


def _go_package(catalog: Catalog, path: str) -> PackageEntry | None:
    parts = path.split("/")
    for n in range(len(parts), 0, -1):
        pk = catalog.match_package("go", "/".join(parts[:n]))
        if pk is not None:
            return pk
    pk = catalog.match_import(path)
    return pk if pk is not None and pk.ecosystem == "go" else None


def parse_go(unit: Unit, catalog: Catalog) -> Sequence[Evidence]:
    c = Collector(unit, "go", unit.text)
    spans: list[tuple[str, int]] = []
    for blk in _GO_IMPORT_BLOCK.finditer(c.text):
        spans += [(m.group(1), blk.start(1) + m.start(1)) for m in _GO_PATH.finditer(blk.group(1))]
    spans += [(m.group(1), m.start(1)) for m in _GO_IMPORT_ONE.finditer(c.text)]
    for path, pos in spans:
        pk = _go_package(catalog, path)
        if pk is not None:
            _import_ev(c, pk, path, pos, c.lines.line_text(pos), "import")
    scan_common(c, catalog, "any")
    return pair_endpoints(c.out)


def parse_java(unit: Unit, catalog: Catalog) -> Sequence[Evidence]:
    c = Collector(unit, "java", unit.text)
    for mo in _JAVA_IMPORT.finditer(c.text):
        pk = catalog.match_import(mo.group(1))
        if pk is not None and pk.ecosystem == "maven":
            _import_ev(c, pk, mo.group(1), mo.start(1), c.lines.line_text(mo.start()), "import")
    scan_common(c, catalog, "any")
    return pair_endpoints(c.out)
