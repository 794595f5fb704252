"""Source-code detectors: Python, JavaScript/TypeScript, Go, Java. Imports/requires of catalog packages
(sdk-import, A), provider hosts (endpoint, A), env keys (A), framework classes (A) and model ids in model
contexts (B); string literals naming a model outside a model context are C mentions."""

from __future__ import annotations

import re
from collections.abc import Sequence

from tierguard.catalog.loader import Catalog, PackageEntry
from tierguard.model import Evidence

from ..common import Collector, hit_matches, pair_endpoints, scan_common
from ..interface import Unit

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


def _import_ev(c: Collector, pk: PackageEntry, module: str, pos: int, line: str, context: str) -> None:
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
    c.add("sdk-import", module, "A", pos, refs, attrs)


def python_imports(c: Collector, catalog: Catalog) -> None:
    for mo in hit_matches(c, catalog, _PY_IMPORT):
        mods = [mo.group(1)] if mo.group(1) else [m.strip() for m in (mo.group(2) or "").split(",")]
        line = c.lines.line_text(mo.start())
        for mod in mods:
            pk = catalog.match_import(mod)
            if pk is not None and pk.ecosystem == "pypi":
                _import_ev(c, pk, mod, mo.start(), line, "import")


def parse_python(unit: Unit, catalog: Catalog) -> Sequence[Evidence]:
    c = Collector(unit, "python", unit.text)
    python_imports(c, catalog)
    scan_common(c, catalog, "python")
    return pair_endpoints(c.out)


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
