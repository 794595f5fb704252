"""Judging pickle imports: a default-deny allowlist plus a curated, sourced gadget list.

The data lives in ``inspect/data/imports.yaml`` (every entry with its source; changelog next to it). At run
time the generated ``imports.json`` is read once per process and validated by msgspec (no YAML parser at
start-up); ``python -m tierguard.inspect.imports --write`` regenerates it and a test keeps the two equal.

``judge(module, name)`` returns ``"safe"`` (allowlisted reconstruction helper or data class),
``"dangerous"`` (a known gadget, or an attribute path that reaches one: critical) or ``"suspicious"``
(anything else: loading a pickle calls what it imports, so the default gate fails on it). ``explain`` also
says what the import really reaches and which source the verdict rests on.
"""

from __future__ import annotations

import sys
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal

import msgspec

Verdict = Literal["safe", "suspicious", "dangerous"]

DATA_DIR = Path(__file__).resolve().parent / "data"
YAML_PATH = DATA_DIR / "imports.yaml"
JSON_PATH = DATA_DIR / "imports.json"


class Entry(msgspec.Struct, forbid_unknown_fields=True):
    modules: list[str]
    source: str
    names: list[str] = []
    verify: bool = False
    note: str = ""


class ClassEntry(msgspec.Struct, forbid_unknown_fields=True, rename={"except_": "except"}):
    modules: list[str]
    source: str
    except_: list[str] = []
    verify: bool = False


class Builtins(msgspec.Struct, forbid_unknown_fields=True):
    modules: list[str]
    safe: list[str]
    safe_source: str
    dangerous: list[str]
    dangerous_source: str


class Aliases(msgspec.Struct, forbid_unknown_fields=True):
    names: dict[str, str]
    modules: list[str]
    source: str


class ImportData(msgspec.Struct, forbid_unknown_fields=True):
    schema: int
    version: str
    safe: list[Entry]
    safe_classes: list[ClassEntry]
    builtins: Builtins
    aliases: Aliases
    gadgets: list[Entry]


class DataError(ValueError):
    """imports.yaml / imports.json is malformed."""


def validate(data: ImportData) -> ImportData:
    """Checks msgspec's types cannot express: a source everywhere, dotted identifiers, no empty lists."""
    if data.schema != 1:
        raise DataError(f"unsupported schema {data.schema}")
    entries: list[Entry | ClassEntry] = [*data.safe, *data.safe_classes, *data.gadgets]
    for e in entries:
        if not e.source.strip():
            raise DataError(f"entry {e.modules} has no source")
        if not e.modules or any(not _dotted(m) for m in e.modules):
            raise DataError(f"entry {e.modules}: module names must be dotted identifiers")
    for s in data.safe:
        if not s.names:
            raise DataError(f"safe entry {s.modules} lists no names (the allowlist is exact)")
    for g in data.gadgets:
        if any(not _dotted(n) for n in g.names):
            raise DataError(f"gadget entry {g.modules}: names must be dotted identifiers")
    if not data.aliases.source.strip() or not data.builtins.safe_source or not data.builtins.dangerous_source:
        raise DataError("aliases and builtins need a source")
    return data


def _dotted(text: str) -> bool:
    return bool(text) and all(p.isidentifier() for p in text.split("."))


class Tables(msgspec.Struct, frozen=True):
    """The data compiled for lookups."""

    safe_exact: dict[tuple[str, str], str]  # (module, name) -> source
    safe_classes: tuple[tuple[str, tuple[str, ...], str], ...]  # (module prefix, excepted prefixes, source)
    builtin_modules: frozenset[str]
    builtin_safe: frozenset[str]
    builtin_dangerous: frozenset[str]
    builtin_source: str
    gadgets: dict[str, str]  # dotted path (module, or module.name) -> source; prefixes of an import match
    aliases: dict[str, str]  # attribute name -> the module it is (``_sys`` -> sys; ``os`` -> os)
    alias_source: str


def compile_tables(data: ImportData) -> Tables:
    safe_exact: dict[tuple[str, str], str] = {}
    for s in data.safe:
        for m in s.modules:
            for n in s.names:
                safe_exact[(m, n)] = s.source
    gadgets: dict[str, str] = {}
    for g in data.gadgets:
        for m in g.modules:
            for path in [f"{m}.{n}" for n in g.names] or [m]:
                gadgets.setdefault(path, g.source)
    aliases = {m: m for m in data.aliases.modules} | data.aliases.names
    return Tables(
        safe_exact=safe_exact,
        safe_classes=tuple((m, tuple(c.except_), c.source) for c in data.safe_classes for m in c.modules),
        builtin_modules=frozenset(data.builtins.modules),
        builtin_safe=frozenset(data.builtins.safe),
        builtin_dangerous=frozenset(data.builtins.dangerous),
        builtin_source=data.builtins.dangerous_source,
        gadgets=gadgets,
        aliases=aliases,
        alias_source=data.aliases.source,
    )


@cache
def tables() -> Tables:
    """The judgement tables, read from imports.json at most once per process."""
    try:
        data = msgspec.json.decode(JSON_PATH.read_bytes(), type=ImportData)
    except (OSError, msgspec.DecodeError) as exc:
        raise DataError(f"{JSON_PATH.name}: {exc}") from exc
    return compile_tables(validate(data))


def build_json(yaml_text: str) -> bytes:
    """imports.json from imports.yaml (safe loader, validated); used by ``--write`` and the sync test."""
    import yaml

    raw = yaml.safe_load(yaml_text)
    data = validate(msgspec.convert(raw, type=ImportData))
    return msgspec.json.format(msgspec.json.encode(data), indent=1) + b"\n"


class Judgement(msgspec.Struct, frozen=True):
    verdict: Verdict
    reaches: str  # the dotted path the import really resolves to (differs for attribute paths)
    source: str  # the data entry the verdict rests on ("" for the default deny)


def _gadget(t: Tables, path: str) -> str | None:
    """Source of the gadget entry that ``path`` or one of its dotted prefixes is, else None."""
    parts = path.split(".")
    for i in range(1, len(parts) + 1):
        src = t.gadgets.get(".".join(parts[:i]))
        if src is not None:
            return src
    return None


def _is_class_name(name: str) -> bool:
    core = name.lstrip("_")
    if name.startswith("__pyx_unpickle_"):
        core = name[len("__pyx_unpickle_") :]
    return core.isidentifier() and core[:1].isupper() and "__" not in core


def _safe_class(t: Tables, mod: str, nm: str) -> str | None:
    if "." in nm or not _is_class_name(nm):
        return None
    for prefix, excepted, src in t.safe_classes:
        if (mod == prefix or mod.startswith(prefix + ".")) and not any(
            mod == x or mod.startswith(x + ".") for x in excepted
        ):
            return src
    return None


def _reached(t: Tables, nm: str) -> Judgement | None:
    """An attribute path through a module attribute (``logging`` ``os.system``, ``collections``
    ``_sys.modules``, ``numpy`` ``core._internal.sys.modules``): judged as the module it reaches."""
    parts = nm.split(".")
    for i, part in enumerate(parts):
        target = t.aliases.get(part)
        rest = parts[i + 1 :]
        if target is None:
            if not rest:
                continue  # a plain last name that is no known module: the import itself
            target = (
                part  # a part followed by more parts may be a module attribute (``posixpath`` ``os.system``)
            )
        path = ".".join([target, *rest])
        if target == "builtins" and rest and (rest[0] in t.builtin_dangerous or rest[0].startswith("__")):
            return Judgement("dangerous", path, f"{t.alias_source}; {t.builtin_source}")
        src = _gadget(t, path)
        if src is not None:
            return Judgement("dangerous", path, f"{t.alias_source}; {src}")
    return None


@lru_cache(maxsize=8192)
def explain(module: str, name: str) -> Judgement:
    """Classify the import ``module.name`` (``name`` may be a dotted attribute path: ``Bdb.run``)."""
    t = tables()
    mod = module.strip()
    nm = name.strip()
    full = f"{mod}.{nm}" if nm else mod
    src = t.safe_exact.get((mod, nm))
    if src is not None:
        return Judgement("safe", full, src)
    if mod in t.builtin_modules:
        head = nm.split(".", 1)[0]
        if head in t.builtin_dangerous or head.startswith("__"):
            return Judgement("dangerous", f"builtins.{nm}", t.builtin_source)
        if head in t.builtin_safe and "." not in nm:
            return Judgement("safe", f"builtins.{nm}", t.builtin_source)
        return Judgement("suspicious", f"builtins.{nm}", "")
    src = _gadget(t, full)
    if src is not None:
        return Judgement("dangerous", full, src)
    if nm:
        reached = _reached(t, nm)
        if reached is not None:
            return reached
    if any(p.startswith("__") for p in nm.split(".")):
        return Judgement(
            "dangerous", full, "dunder attribute traversal (object.__subclasses__, __globals__ ...)"
        )
    if any(p.startswith("__") and p not in ("__main__", "__torch__", "__mp_main__") for p in mod.split(".")):
        return Judgement("dangerous", full, "dunder module")
    src = _safe_class(t, mod, nm)
    if src is not None:
        return Judgement("safe", full, src)
    return Judgement("suspicious", full, "")


def judge(module: str, name: str) -> Verdict:
    """``explain(module, name).verdict``."""
    return explain(module, name).verdict


def main(argv: list[str] | None = None) -> int:
    """``python -m tierguard.inspect.imports --write``: regenerate imports.json; ``--check``: compare."""
    args = sys.argv[1:] if argv is None else argv
    want = build_json(YAML_PATH.read_text(encoding="utf-8"))
    if args == ["--write"]:
        JSON_PATH.write_bytes(want)
        return 0
    if args == ["--check"]:
        same = JSON_PATH.is_file() and JSON_PATH.read_bytes() == want
        print("imports.json is up to date" if same else "imports.json is stale: run with --write")
        return 0 if same else 1
    print("usage: python -m tierguard.inspect.imports --write|--check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
