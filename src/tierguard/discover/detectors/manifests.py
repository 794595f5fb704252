"""Dependency manifests and lock files -> package-dependency evidence (A) for catalog packages.

requirements*.txt, pyproject.toml ([project], [tool.poetry], [dependency-groups]), Python core metadata
(``Requires-Dist`` in an sdist's or egg-info's PKG-INFO and a wheel's ``*.dist-info/METADATA``), Pipfile,
poetry.lock, uv.lock, Pipfile.lock, package.json, package-lock.json, pnpm-lock.yaml, go.mod; Maven pom.xml,
Gradle build scripts and version catalogs (``parse_jvm_manifest``). Structured files are parsed
(json/tomllib, regexes over pom.xml and Gradle text; never executed); a malformed one is a Skipped
"malformed"."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tierguard.catalog.loader import Catalog
from tierguard.model import Evidence

from ..common import Collector
from ..interface import Unit, UnitSkipped
from ..syntax import SyntaxMap
from .code import _go_package

_REQ = re.compile(r"^[ \t]*([A-Za-z0-9][A-Za-z0-9._-]*)", re.M)
_REQ_SPEC = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_GOMOD_REQ = re.compile(r"^\s*(?:require\s+)?([\w.-]+\.[\w.-]+/[\w./-]+)\s+(v[\w.+-]+)", re.M)


def _emit(
    c: Collector,
    catalog: Catalog,
    eco: str,
    names: Iterable[str],
    context: str,
    versions: Mapping[str, object] | None = None,
) -> None:
    """One package-dependency (A) per catalog package named; ``versions`` (lock files: name as written ->
    the exact locked version) sets ``attributes.version``."""
    seen: set[str] = set()
    for raw in names:
        pk = catalog.match_package(eco, raw)
        if pk is None or pk.name in seen:
            continue
        seen.add(pk.name)
        pos = _find(c.text, raw)
        attrs = {"use_mode": "unknown", "context": context, "package_kind": pk.kind}
        version = (versions or {}).get(raw)
        if isinstance(version, str) and _VERSION.fullmatch(version):
            attrs["version"] = version
        c.add(
            "package-dependency",
            pk.name,
            "A",
            pos,
            {"package": f"{pk.ecosystem}:{pk.name}", "producer": pk.producer},
            attrs,
        )


_VERSION = re.compile(r"v?[0-9][0-9A-Za-z.+_-]{0,63}")  # a locked version as lock files write it


def _find(text: str, name: str) -> int:
    mo = re.search(r"(?<![\w.@/-])" + re.escape(name) + r"(?![\w-])", text, re.IGNORECASE)
    if mo is None:
        alt = re.sub(r"[-_.]", "[-_.]", re.escape(name).replace("\\", ""))
        mo = re.search(alt, text, re.IGNORECASE)
    return mo.start() if mo else 0


def _toml(unit: Unit) -> dict[str, Any]:
    if unit.truncated:
        raise UnitSkipped("too-large", "manifest larger than the read limit")
    try:
        return tomllib.loads(unit.text)
    except tomllib.TOMLDecodeError as exc:
        raise UnitSkipped("malformed", f"invalid TOML: {exc}") from None


def _json(unit: Unit) -> Any:
    if unit.truncated:
        raise UnitSkipped("too-large", "manifest larger than the read limit")
    try:
        return json.loads(unit.text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise UnitSkipped("malformed", f"invalid JSON: {exc}") from None


def _dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


def _spec_names(specs: Iterable[Any]) -> list[str]:
    out = []
    for s in specs:
        if isinstance(s, str):
            m = _REQ_SPEC.match(s)
            if m:
                out.append(m.group(1))
    return out


def parse_manifest(unit: Unit, catalog: Catalog) -> Sequence[Evidence]:
    name = unit.ref.name.lower()
    c = Collector(unit, "manifest", unit.text)
    if name.endswith((".txt", ".in")):
        names = []
        for mo in _REQ.finditer(unit.text):
            line = c.lines.line_text(mo.start()).strip()
            if not line.startswith(("#", "-")):
                names.append(mo.group(1))
        _emit(c, catalog, "pypi", names, name)
    elif name == "pyproject.toml":
        doc = _toml(unit)
        proj = _dict(doc.get("project"))
        names = _spec_names(_list(proj.get("dependencies")))
        for extra in _dict(proj.get("optional-dependencies")).values():
            names += _spec_names(_list(extra))
        for grp in _dict(doc.get("dependency-groups")).values():
            names += _spec_names(_list(grp))
        poetry = _dict(_dict(doc.get("tool")).get("poetry"))
        names += list(_dict(poetry.get("dependencies")))
        names += list(_dict(poetry.get("dev-dependencies")))
        for grp in _dict(poetry.get("group")).values():
            names += list(_dict(_dict(grp).get("dependencies")))
        _emit(c, catalog, "pypi", names, "pyproject.toml")
    elif name in ("pkg-info", "metadata"):
        _core_metadata(c, catalog, name.upper())
    elif name == "pipfile":
        doc = _toml(unit)
        _emit(
            c, catalog, "pypi", list(_dict(doc.get("packages"))) + list(_dict(doc.get("dev-packages"))), name
        )
    elif name in ("poetry.lock", "uv.lock"):
        doc = _toml(unit)
        pkgs = [
            p for p in _list(doc.get("package")) if isinstance(p, dict) and isinstance(p.get("name"), str)
        ]
        locked = {p["name"]: p.get("version") for p in pkgs}
        _emit(c, catalog, "pypi", [p["name"] for p in pkgs], name, locked)
    elif name == "pipfile.lock":
        doc = _dict(_json(unit))
        entries = {**_dict(doc.get("develop")), **_dict(doc.get("default"))}
        locked = {k: str(_dict(v).get("version", "")).removeprefix("==") for k, v in entries.items()}
        _emit(c, catalog, "pypi", list(entries), name, locked)
    elif name == "package.json":
        doc = _dict(_json(unit))
        names = []
        for key in ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies"):
            names += list(_dict(doc.get(key)))
        _emit(c, catalog, "npm", names, name)
    elif name in ("package-lock.json", "npm-shrinkwrap.json"):
        doc = _dict(_json(unit))
        locked = {k: _dict(v).get("version") for k, v in _dict(doc.get("dependencies")).items()}
        for k, v in _dict(doc.get("packages")).items():
            if k and k.count("node_modules/") == 1:  # top-level installs (nested copies are other versions)
                locked[k.rsplit("node_modules/", 1)[-1]] = _dict(v).get("version")
        names = [k.rsplit("node_modules/", 1)[-1] for k in _dict(doc.get("packages")) if k]
        names += list(_dict(doc.get("dependencies")))
        _emit(c, catalog, "npm", names, name, locked)
    elif name == "pnpm-lock.yaml":
        names = [p.name for p in catalog.packages if p.ecosystem == "npm" and _pnpm_has(unit.text, p.name)]
        _emit(c, catalog, "npm", names, name, {n: _pnpm_version(unit.text, n) for n in names})
    elif name == "go.mod":
        for mo in _GOMOD_REQ.finditer(unit.text):
            pk = _go_package(catalog, mo.group(1))
            if pk is not None:
                c.add(
                    "package-dependency",
                    pk.name,
                    "A",
                    mo.start(1),
                    {"package": f"go:{pk.name}", "producer": pk.producer},
                    {"use_mode": "unknown", "context": "go.mod", "version": mo.group(2)},
                )
    return c.out


# Python core metadata (PKG-INFO, METADATA): RFC 822 headers up to the first blank line (the description
# follows); ``Requires-Dist: NAME[extras] (>=1.0) ; extra == 'x'``. Only this much of the file is looked at.
MAX_METADATA_HEADERS = 256 * 1024
_REQUIRES_DIST = re.compile(
    r"^Requires-Dist:[ \t]*([A-Za-z0-9][A-Za-z0-9._-]*)([^\n;]*)(?:;([^\n]*))?", re.M | re.I
)
_EXTRA = re.compile(r"""\bextra\s*==\s*['"]([^'"]+)['"]""")


def _core_metadata(c: Collector, catalog: Catalog, context: str) -> None:
    """``Requires-Dist`` headers naming a catalog package -> package-dependency (A), the environment marker
    and the extra it belongs to kept as attributes."""
    text = c.text[:MAX_METADATA_HEADERS]
    mo = re.search(r"\n[ \t]*\r?\n", text)
    headers = text[: mo.start()] if mo else text
    seen: set[str] = set()
    for mo in _REQUIRES_DIST.finditer(headers):
        pk = catalog.match_package("pypi", mo.group(1))
        if pk is None or pk.name in seen:
            continue
        seen.add(pk.name)
        attrs = {"use_mode": "unknown", "context": context, "package_kind": pk.kind}
        spec = mo.group(2).strip()
        if spec:
            attrs["spec"] = spec[:200]
        marker = (mo.group(3) or "").strip()
        if marker:
            attrs["marker"] = marker[:200]
            extra = _EXTRA.search(marker)
            if extra:
                attrs["extra"] = extra.group(1)
        refs = {"package": f"{pk.ecosystem}:{pk.name}", "producer": pk.producer}
        c.add("package-dependency", pk.name, "A", mo.start(1), refs, attrs)


def _pnpm_has(text: str, pkg: str) -> bool:
    return re.search(r"(?<![\w@.-])/?['\"]?" + re.escape(pkg) + r"['\"]?(?:@|:|\()", text) is not None


def _pnpm_version(text: str, pkg: str) -> str:
    """The locked version of ``pkg`` in a pnpm lock file: a ``/pkg@1.2.3:`` or ``pkg@1.2.3:`` package key (v6
    and v9), or ``version: 1.2.3`` under an importer's ``pkg:`` entry; "" when not found."""
    mo = re.search(r"(?<![\w@.-])/?['\"]?" + re.escape(pkg) + r"@(v?[0-9][0-9A-Za-z.+_-]*)", text)
    if mo is None:
        mo = re.search(
            r"^\s+['\"]?"
            + re.escape(pkg)
            + r"['\"]?:\s*\n\s+specifier:[^\n]*\n\s+version:\s*([0-9][\w.+-]*)",
            text,
            re.M,
        )
    return mo.group(1) if mo else ""


# -- Maven and Gradle (JVM) ------------------------------------------------------------------------------
# pom.xml: <dependency> blocks (also under dependencyManagement), exclusions dropped, XML comments blanked.
# Gradle (Groovy and Kotlin DSL): any quoted "group:artifact[:version]" (implementation/api/dependency(...)),
# and the map form group: 'g', name: 'a'; what sits in a comment is a mention (C). Gradle version
# catalogs (libs.versions.toml): [libraries] as "g:a:v", {module = "g:a"} or {group = "g", name = "a"}.
_BLOCK = 8192  # a <dependency> block longer than this is not looked into (bounds the non-greedy search)
_XML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_POM_DEP = re.compile(rf"<dependency\b[^>]*>(.{{0,{_BLOCK}}}?)</dependency\s*>", re.S | re.I)
_POM_EXCL = re.compile(r"<exclusions\b.*?</exclusions\s*>", re.S | re.I)
_POM_GROUP = re.compile(r"<groupId>\s*([^<\s]+)\s*</groupId>", re.I)
_POM_ARTIFACT = re.compile(r"<artifactId>\s*([^<\s]+)\s*</artifactId>", re.I)
_GRADLE_COORD = re.compile(r"""(['"])([A-Za-z0-9_.-]+):([A-Za-z0-9_.-]+)(?::[^'"\s]*)?\1""")
_GRADLE_MAP = re.compile(
    r"""\bgroup\s*[:=]\s*(['"])([A-Za-z0-9_.-]+)\1\s*,\s*(?:name|module)\s*[:=]\s*(['"])([A-Za-z0-9_.-]+)\3"""
)


def _blank(mo: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", mo.group(0))


def _maven_dep(c: Collector, catalog: Catalog, coord: str, pos: int, context: str, seen: set[str]) -> None:
    pk = catalog.match_package("maven", coord)
    if pk is None or pk.name in seen:
        return
    seen.add(pk.name)
    c.add(
        "package-dependency",
        pk.name,
        "A",
        pos,
        {"package": f"maven:{pk.name}", "producer": pk.producer},
        {"use_mode": "unknown", "context": context, "package_kind": pk.kind},
    )


def parse_jvm_manifest(unit: Unit, catalog: Catalog) -> Sequence[Evidence]:
    """pom.xml / *.pom, build.gradle(.kts) and Gradle version catalogs -> package-dependency (A)."""
    name = unit.ref.name.lower()
    seen: set[str] = set()
    c = Collector(unit, "jvm-manifest", unit.text)
    if name.endswith(".toml"):
        for coord in _version_catalog(_toml(unit)):
            _maven_dep(c, catalog, coord, _find(c.text, coord.split(":", 1)[1]), name, seen)
        return c.out
    if name == "pom.xml" or name.endswith(".pom"):
        text = _XML_COMMENT.sub(_blank, unit.text)
        for mo in _POM_DEP.finditer(text):
            body = _POM_EXCL.sub(_blank, mo.group(1))
            g, a = _POM_GROUP.search(body), _POM_ARTIFACT.search(body)
            if g is not None and a is not None:
                pos = mo.start(1) + a.start(1)
                _maven_dep(c, catalog, f"{g.group(1)}:{a.group(1)}", pos, "pom.xml", seen)
        return c.out
    found = [(mo.start(2), f"{mo.group(2)}:{mo.group(3)}") for mo in _GRADLE_COORD.finditer(unit.text)]
    found += [(mo.start(2), f"{mo.group(2)}:{mo.group(4)}") for mo in _GRADLE_MAP.finditer(unit.text)]
    if not found:
        return c.out
    syntax = SyntaxMap(unit.text, "c")  # Groovy and Kotlin comments are C-like
    mentions = Collector(unit, "jvm-manifest", unit.text, mention="comment")
    for pos, coord in sorted(found):
        commented = syntax.where(pos) == "comment"
        _maven_dep(mentions if commented else c, catalog, coord, pos, "build.gradle", seen)
    return [*c.out, *mentions.out]


def _version_catalog(doc: dict[str, Any]) -> list[str]:
    out = []
    for v in _dict(doc.get("libraries")).values():
        if isinstance(v, str) and v.count(":") >= 1:
            out.append(":".join(v.split(":")[:2]))
        elif isinstance(v, dict):
            if isinstance(v.get("module"), str):
                out.append(v["module"])
            elif isinstance(v.get("group"), str) and isinstance(v.get("name"), str):
                out.append(f"{v['group']}:{v['name']}")
    return out
