"""The import statements of a Python unit, kept for the cross-module pass (``pylinks``).

Each parsed Python unit leaves an internal record: the text of its import statements and where each starts
(``module_record``). Parsing them into bindings (``local name -> module, imported name``) is deferred to the
pass, and done only for the modules it asks about: the pass asks "who imports from module K?" for the few
modules holding a provider's host, path or env key, and finds the candidates through the words of each
module's import statements (``ImportWords``), a superset of the module names and imported names its bindings
reach. Most scans have no such module, and then nothing is parsed at all. Pure functions of the text.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from tierguard.model import Evidence, Location

from ..interface import Unit
from .pyimports import statement_end

RECORD_KIND = "py-module"  # internal record of a Python unit's imports; never leaves the discover stage

_IMPORT_LINE = re.compile(r"[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+|import[ \t]+)")
_ITEM = re.compile(r"^([A-Za-z_][\w.]*)(?:\s+as\s+([A-Za-z_]\w*))?$")
_WORDS = re.compile(r"\w+")
_RELATIVE = re.compile(r"from[ \t]+\.")

# (local name, target "rel:<key>" | "abs:<dotted>", imported name, offset of the imported names); the name is
# "" for ``import a.b as c`` and "*" for ``import a.b`` (which binds ``a``)
Binding = tuple[str, str, str, int]
# an import statement: (offset of its line, offset of its imported names, end)
Statement = tuple[int, int, int]


def module_key(shown: str) -> str:
    """``a/b/c.py`` -> ``a/b/c``; ``a/b/__init__.py`` -> ``a/b`` (archive members keep their ``x.whl!``)."""
    key = shown[: -len(".py")] if shown.endswith(".py") else shown.rsplit(".", 1)[0]
    return key[: -len("/__init__")] if key.endswith("/__init__") else key


def package_dir(shown: str) -> str:
    return shown.rsplit("/", 1)[0] if "/" in shown else ""


def import_statements(text: str) -> list[Statement]:
    """Every import statement of a Python text (including those inside functions, strings and after a
    ``;``-free line start), by its line start: each occurrence of ``import`` whose line starts an import
    statement the occurrence belongs to; the search goes on after the statement's end."""
    out: list[Statement] = []
    find, rfind, match = text.find, text.rfind, _IMPORT_LINE.match
    i = find("import")
    while i >= 0:
        ls = rfind("\n", 0, i) + 1
        nxt = find("import", i + 6)
        mo = match(text, ls)
        if mo is None or mo.end() < i:
            i = nxt
            continue
        names_at = mo.end()
        end = statement_end(text, names_at)
        out.append((ls, names_at, end))
        i = find("import", max(nxt, end)) if nxt >= 0 else -1
    return out


def statement_bindings(stmt: str, offset: int, pkg: str) -> list[Binding]:
    """The bindings of one import statement ``stmt`` (from its line start to its end) found at ``offset`` of
    a unit whose package directory is ``pkg`` (relative modules are resolved against it). A star import binds
    nothing by name."""
    mo = _IMPORT_LINE.match(stmt)
    if mo is None:  # never: the statement was found by this pattern
        return []
    names_at = offset + mo.end()
    body = stmt[mo.end() :].replace("\\\n", " ").strip().strip("()")
    module = mo.group(1)
    target = None if module is None else _from_target(module, pkg)
    out: list[Binding] = []
    for raw in body.split(","):
        item = _ITEM.match(" ".join(raw.split()))
        if item is None:
            continue
        name, alias = item.group(1), item.group(2)
        if target is None:  # import a.b [as c]
            out.append((alias or name.split(".", 1)[0], "abs:" + name, "" if alias else "*", names_at))
        else:
            out.append((alias or name, target, name, names_at))
    return out


def bindings(text: str, shown: str) -> list[Binding]:
    """Every import binding of a Python text (``import_statements``). Relative modules are resolved against
    ``shown`` (the unit's display path)."""
    pkg = package_dir(shown)
    out: list[Binding] = []
    for ls, _, end in import_statements(text):
        out.extend(statement_bindings(text[ls:end], ls, pkg))
    return out


def _from_target(module: str, pkg: str) -> str:
    dots = len(module) - len(module.lstrip("."))
    if not dots:
        return "abs:" + module
    base = pkg.split("/") if pkg else []
    if dots > 1:
        base = base[: len(base) - (dots - 1)] if dots - 1 <= len(base) else []
    rest = module[dots:]
    parts = [*base, *(rest.split(".") if rest else [])]
    return "rel:" + "/".join(parts)


def tails(target: str, name: str) -> tuple[str, ...]:
    """The last component of a binding's module, and the imported name (``from pkg import sub``): the
    module names it may reach, for the index of importers."""
    ref = target[4:]
    tail = ref.rsplit("." if target.startswith("abs:") else "/", 1)[-1]
    return (tail, name) if name not in ("", "*") and name != tail else (tail,)


def module_record(unit: Unit, text: str) -> Evidence:
    """The internal record of a parsed Python unit: the text of its import statements, where each starts,
    and the unit's size (for a bounded re-read). Parsed only when the pass asks (``ImportWords``)."""
    ref = unit.ref
    shown = ref.logical_path if ref.member is None else f"{ref.path}!{ref.member}"
    stmts = import_statements(text)
    return Evidence(
        detector="python",
        kind=RECORD_KIND,
        value=shown,
        strength="C",
        location=Location(path=ref.path, line=None, member=ref.member),
        attributes={
            "imports": "\n".join([text[ls:end] for ls, _, end in stmts]),  # a word never spans two
            "spans": " ".join([f"{ls},{end - ls}" for ls, _, end in stmts]),
            "size": str(ref.size),
        },
    )


def record_bindings(record: Evidence) -> list[Binding]:
    """The bindings of a unit from its record (the same as ``bindings`` of the unit's text)."""
    src, spans = record.attributes.get("imports", ""), record.attributes.get("spans", "")
    pkg = package_dir(record.value)
    out: list[Binding] = []
    at = 0
    for span in spans.split():
        ls, _, n = span.partition(",")
        size = int(n)
        out.extend(statement_bindings(src[at : at + size], int(ls), pkg))
        at += size + 1
    return out


def import_words(record: Evidence, wanted: set[str], odd: Iterable[str] = ()) -> set[str]:
    """The words of ``wanted`` the unit's import statements may reach: a superset of the ``tails`` of its
    bindings that are in ``wanted``. A tail is a run of word characters (a component of a dotted module name,
    an imported name), a dotted imported name (``odd``: the wanted words that are not runs of word
    characters, looked up as substrings), or for a relative import a directory of the unit's path."""
    src = record.attributes.get("imports", "")
    words = wanted.intersection(_WORDS.findall(src))
    words.update(w for w in odd if w in src)
    if _RELATIVE.search(src):
        words.update(wanted.intersection(package_dir(record.value).split("/")))
    return words


class ImportWords:
    """Word -> the modules (keys) whose import statements may reach a module of that (last) name; built on
    the first question, for the last names of the modules given."""

    def __init__(self, records: dict[str, Evidence]) -> None:
        self._records = records
        self._index: dict[str, list[str]] | None = None

    def candidates(self, word: str) -> list[str]:
        if self._index is None:
            # a module's last name (``importers``); one that is empty or holds white space never matched
            # (the index this one replaces held white-space separated words)
            last = {key.rpartition("!")[2].rsplit("/", 1)[-1] for key in self._records}
            wanted = {w for w in last if w.split() == [w]}
            odd = [w for w in wanted if not _WORDS.fullmatch(w)]
            index: dict[str, list[str]] = defaultdict(list)
            for key, record in self._records.items():
                for w in import_words(record, wanted, odd):
                    index[w].append(key)
            self._index = index
        return self._index.get(word, [])
