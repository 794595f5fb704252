"""Is a Python import of a catalog SDK or integration a use? (issue 15 item 8, accuracy benchmark).

Two rules, both pure functions of the file's text and path (nothing is imported or executed):

1. **Own package.** A module of a package importing that same package (``dashscope/common/logging.py``:
   ``from dashscope.common.constants import ...``; ``llama_index/llms/deepseek/__init__.py``:
   ``from llama_index.llms.deepseek.base import DeepSeek``) is the package's own code, not a use of it: the
   package's presence is reported from its metadata (``Requires-Dist``, lock files, ``pyproject.toml``) and
   its request layer from the hosts, paths, headers and env keys it holds. The file is inside the package when
   the import root's directories (``dashscope/``, ``llama_index/llms/deepseek/``) start its path or follow an
   install or source root (``site-packages/``, ``src/``, ``lib/``, an unpacked ``name-1.2.3/``). A project
   directory that merely shares the name (``app/dashscope/client.py`` importing the SDK) is not the package.
2. **Used.** Otherwise the import counts only when a name it binds is used in the code: called,
   instantiated, subclassed, passed, read as an attribute, annotated. An import whose names appear nowhere
   else, or only in ``__all__``, a bare ``return NAME`` (an ``_import_*`` lazy-import function), inside an
   ``if TYPE_CHECKING:`` block, or that sits in such a block, is a mention: re-exports and lazy-import
   registries name the SDK without using it.
"""

from __future__ import annotations

import re

from ..syntax import SyntaxMap

# directories under which a top-level package directory is the package itself (not a project folder)
_ROOT_DIRS = frozenset(
    {"site-packages", "dist-packages", "src", "lib", "lib64", "python", "Lib", "purelib", "platlib"}
)
_DIST_DIR = re.compile(r"^[A-Za-z0-9][\w.]*-\d[\w.+!-]*$")  # an unpacked sdist or wheel: dashscope-2.0.2
_AS = re.compile(r"^([A-Za-z_][\w.]*)(?:\s+as\s+([A-Za-z_]\w*))?$")
_NAMES_END = re.compile(r"[\n;#]")


def import_root(module: str, imports: tuple[str, ...]) -> str:
    """The catalog import prefix ``module`` falls under (the longest), or ``module`` itself."""
    best = ""
    for imp in imports:
        if (module == imp or module.startswith(imp + ".")) and len(imp) > len(best):
            best = imp
    return best or module


def own_package(path: str, root: str) -> bool:
    """Is the file at ``path`` (POSIX, relative to the target or its container) a module of the package whose
    import root is ``root`` (``dashscope``, ``llama_index.llms.deepseek``)?"""
    dirs = path.split("/")[:-1]
    parts = root.split(".")
    n = len(parts)
    for i in range(len(dirs) - n + 1):
        if dirs[i : i + n] != parts:
            continue
        if i == 0:
            return True
        before = dirs[i - 1]
        if before in _ROOT_DIRS or before.endswith(".egg") or _DIST_DIR.match(before):
            return True
    return False


def statement_end(text: str, pos: int) -> int:
    """The end of the import statement whose names start at ``pos`` (a parenthesised list may span lines; a
    backslash continues the line)."""
    n = len(text)
    j = pos
    while j < n and text[j] in " \t":
        j += 1
    if j < n and text[j] == "(":
        close = text.find(")", j)
        return n if close < 0 else close + 1
    end = j
    while True:
        mo = _NAMES_END.search(text, end)
        end = n if mo is None else mo.start()
        if end > 0 and text[end - 1] == "\\" and end < n:
            end += 1
            continue
        return end


def bound_names(text: str, start: int, end: int, module: str, from_import: bool) -> list[str] | None:
    """The local names an import binds: ``from m import a as b, c`` -> [b, c]; ``import a.b`` -> [a];
    ``import a.b as c`` -> [c]. None for a star import (everything is bound)."""
    body = text[start:end].replace("\\\n", " ").strip().strip("()")
    out: list[str] = []
    for raw in body.split(","):
        item = " ".join(raw.split())
        if not item:
            continue
        if item == "*":
            return None
        mo = _AS.match(item)
        if mo is None:
            continue
        name, alias = mo.group(1), mo.group(2)
        if alias:
            out.append(alias)
        elif from_import:
            out.append(name)
        else:
            out.append(name.split(".", 1)[0])
    if not out and not from_import:
        out.append(module.split(".", 1)[0])
    return out


_TYPE_CHECKING = re.compile(r"^([ \t]*)(?:el)?if[ \t]+(?:typing\.)?TYPE_CHECKING[ \t]*:", re.M)


def type_checking_blocks(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` spans of the ``if TYPE_CHECKING:`` blocks of a Python text: from the header to
    the next line (not blank, not a comment) indented no deeper than the header."""
    if "TYPE_CHECKING" not in text:
        return []
    out: list[tuple[int, int]] = []
    for mo in _TYPE_CHECKING.finditer(text):
        indent = len(mo.group(1))
        pos = text.find("\n", mo.end())
        end = len(text)
        while pos >= 0:
            nxt = text.find("\n", pos + 1)
            line = text[pos + 1 : len(text) if nxt < 0 else nxt]
            body = line.lstrip(" \t")
            if body and not body.startswith("#") and len(line) - len(body) <= indent:
                end = pos + 1
                break
            pos = nxt
        out.append((mo.start(), end))
    return out


def in_blocks(blocks: list[tuple[int, int]], pos: int) -> bool:
    return any(a <= pos < b for a, b in blocks)


def in_type_checking(text: str, pos: int) -> bool:
    """Is ``pos`` inside an ``if TYPE_CHECKING:`` block (at any depth)?"""
    return in_blocks(type_checking_blocks(text), pos)


_BARE_RETURN = re.compile(r"[ \t]*return[ \t]+[A-Za-z_]\w*[ \t]*(?:#.*)?$")
_DEFINITION = re.compile(r"[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+$")


_IMPORT_START = re.compile(r"[ \t]*(?:from[ \t]+[.\w]+[ \t]+)?import\b")


def in_import_statement(text: str, pos: int) -> bool:
    """Is ``pos`` in an import statement: on its line, or in the open parentheses of a multi-line one?"""
    ls = text.rfind("\n", 0, pos) + 1
    if _IMPORT_START.match(text, ls):
        return True
    p = text.rfind("import", max(0, ls - 4000), ls)
    if p < 0 or not _IMPORT_START.match(text, text.rfind("\n", 0, p) + 1):
        return False
    seg = text[p + len("import") : pos]
    return seg.lstrip(" \t").startswith("(") and ")" not in seg  # from m import (\n    NAME,


def is_use(syntax: SyntaxMap, s: int, e: int, blocks: list[tuple[int, int]]) -> bool:
    """Is the name at ``[s, e)`` used there: in code, not in an import statement, not the ``def``/``class``
    line naming it, not a bare ``return NAME`` (a lazy-import function), not in one of the ``if
    TYPE_CHECKING:`` ``blocks``? (``__all__`` entries are strings, never code.)"""
    text = syntax.text
    if syntax.where(s) != "code" or in_import_statement(text, s):
        return False
    ls = text.rfind("\n", 0, s) + 1
    le = text.find("\n", e)
    if _DEFINITION.match(text, ls, s) or _BARE_RETURN.fullmatch(text, ls, len(text) if le < 0 else le):
        return False
    return not in_blocks(blocks, s)


def names_used(syntax: SyntaxMap, names: list[str]) -> bool:
    """Does the code use one of ``names`` (``is_use``)?"""
    if not names:
        return False
    rx = re.compile(r"(?<![\w.])(?:" + "|".join(re.escape(x) for x in sorted(set(names))) + r")(?!\w)")
    blocks = type_checking_blocks(syntax.text)
    return any(is_use(syntax, *mo.span(), blocks) for mo in rx.finditer(syntax.text))


def import_mention(
    syntax: SyntaxMap | None,
    path: str,
    root: str,
    names_at: int,
    bound: list[str] | None,
    usage: SyntaxMap | None = None,
) -> str:
    """Why an import of the package with import root ``root`` binding ``bound`` (None: a star import) at
    ``names_at`` of ``syntax``'s text is only a mention, or "" when it is a use (rules in the module
    docstring). The bound names are looked up in ``usage`` when given (a notebook's code cells together)."""
    if own_package(path, root):
        return "own-package import"
    if syntax is None:
        return ""
    if in_type_checking(syntax.text, names_at):
        return "imported for type checking only"
    if bound is None or names_used(usage or syntax, bound):
        return ""
    return "imported, not used (re-export or lazy import)"


def import_items(text: str, start: int) -> list[tuple[str, str, int]]:
    """(module, bound name, offset) of each module of a plain ``import a.b, c as d`` statement whose module
    list starts at ``start``."""
    end = statement_end(text, start)
    out: list[tuple[str, str, int]] = []
    pos = start
    for raw in text[start:end].split(","):
        item = " ".join(raw.replace("\\", " ").split())
        mo = _AS.match(item)
        if mo is not None:
            mod = mo.group(1)
            out.append((mod, mo.group(2) or mod.split(".", 1)[0], text.find(mod, pos, end)))
        pos += len(raw) + 1
    return out
