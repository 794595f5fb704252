"""Where a token sits in source or config text: code, a string literal, a comment, a docstring, or message
text (help, description, log, error and translation strings). Evidence strength is decided from it
(``Collector.add``): only code and plain string literals are uses; the rest are mentions (C).

One small lexer per syntax family, each a single regex of comments and string literals run at C speed (the
text is never imported or executed; ``tokenize`` is ~10x slower on large files and is not needed to find
strings and comments exactly): ``python`` (``#``, single/triple quotes, prefixes), ``c`` (JS/TS/Go/Java/JSON:
``//``, ``/* */``, quotes, backticks, Java text blocks), ``hash`` (shell/YAML/TOML/.env/Dockerfile: ``#`` at
the start of a word, one-line quotes). Lexing is lazy and incremental: only as far as the last position
asked about, so files without evidence cost nothing."""

from __future__ import annotations

import bisect
import itertools
import re
import sys
from collections.abc import Iterator
from typing import Literal

Where = Literal["code", "string", "comment", "docstring", "message"]

# Each pattern is one alternation whose every alternative starts with a literal character, and nothing else
# (no group or assertion around it): the regex engine then takes the set of those characters as the
# pattern's prefix and skips every other position in its own C loop, without entering the matcher (2-4x
# faster than a leading lookahead ``(?=[#"'])``, which the matcher must try at every offset). A comment is
# told from a string by its first character. The quantifiers are possessive (``*+``): no run or loop of a
# token body can give characters back to let the closing quote (or ``*/``) match earlier, so backtracking
# never changes a match, and a 4 MB string literal lexes 3x faster without it.
_PY = re.compile(
    r"""\#[^\n]*+"""
    r'''|"""[^"\\]*+(?:(?:\\.|"(?!""))[^"\\]*+)*+"""'''
    r"""|'''[^'\\]*+(?:(?:\\.|'(?!''))[^'\\]*+)*+'''"""
    r"""|"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"|'[^'\\\n]*+(?:\\.[^'\\\n]*+)*+'""",
    re.S,
)
_C = re.compile(
    r"""//[^\n]*+|/\*[^*]*+(?:\*(?!/)[^*]*+)*+\*/"""
    r'''|"""[^"\\]*+(?:(?:\\.|"(?!""))[^"\\]*+)*+"""'''
    r"""|"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"|'[^'\\\n]*+(?:\\.[^'\\\n]*+)*+'|`[^`\\]*+(?:\\.[^`\\]*+)*+`""",
    re.S,
)
# ``#`` starts a comment at the start of a line or after white space or ``;`` (re.M ``^`` is the text's start
# or a line break, which is white space): the check looks back from after the ``#``, so the literal comes
# first
_HASH = re.compile(
    r"""\#(?<![^\s;]\#)[^\n]*+|"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"|'[^'\n]*+'""",
    re.M,
)
_LEXERS = {"python": _PY, "c": _C, "hash": _HASH}
_PAST = sys.maxsize  # (pos, _PAST) sorts after every token starting at pos

# Text right before a string literal (same line) that makes it message text: a help/description keyword, a
# print/log/warn/error/translation call, or an exception being raised/thrown.
_MESSAGE_BEFORE = re.compile(
    r"""(?:\b(?:help|short_help|description|desc|epilog|usage|summary|docstring|doc|title|tooltip|"""
    r"""placeholder|hint|message|msg|comment|Short|Long|Usage|Help|Description|Example)["']?\s*[=:]\s*"""
    r"""|(?<![\w.])(?:print|println|printf|eprint|echo|secho|puts|warn|alert|gettext|ngettext|pgettext|_|"""
    r"""tr|i18n\.t|\$t|translate)\s*\(\s*"""
    r"""|\.(?:info|debug|warning|warn|error|critical|exception|fatal|trace|log|notice|echo|secho|"""
    r"""Println|Printf|Print|Errorf|Fatalf|Fatal|Fatalln|Panicf|Debugf|Infof|Warnf|Warningf|"""
    r"""println|printf|print|describe|option)\s*\(\s*"""
    r"""|\b(?:raise|throw)\s+(?:new\s+)?[\w.]+\s*\(\s*|\b[\w.]*(?:Error|Exception|Warning)\s*\(\s*"""
    r"""|\berrors\.New\s*\(\s*)[rRbBuUfF]{0,2}$"""
)
# A YAML/TOML key whose value is prose (``description: Uses https://...``).
_PROSE_KEY = re.compile(
    r"""^[ \t]*-?[ \t]*["']?(?:description|summary|help|title|comment|notes?|doc|docs|example)["']?\s*[:=]""",
    re.I | re.M,
)
# Characters that leave a Python statement open at the end of a line (the next line continues it).
_CONTINUES = frozenset("([{,=+-*/%|&^~<>\\@.!")


class SyntaxMap:
    """``where(pos)`` for one text and lexer (``python``, ``c``, ``hash``)."""

    _FIRST_CHUNK = 64  # tokens lexed at the first question; each later chunk doubles, up to _MAX_CHUNK
    _MAX_CHUNK = 8192

    def __init__(self, text: str, lexer: str) -> None:
        self.text = text
        self.lexer = lexer
        # the tokens' (start, end), lexed at C speed a chunk at a time: ``map`` calls ``Match.span`` on each
        # match without a Python-level loop; a token's kind is read from its first character when asked
        # (every comment starts with "#" or "/", no string does)
        self._it: Iterator[tuple[int, int]] = map(re.Match.span, _LEXERS[lexer].finditer(text))
        self._spans: list[tuple[int, int]] = []
        self._chunk = self._FIRST_CHUNK
        self._done = False
        self.classes_used: dict[str, bool] = {}  # class name -> does the code use it (``class_used``)

    def _advance(self, pos: int) -> None:
        """Lex until a token starting after ``pos`` is seen (or the end)."""
        spans = self._spans
        while not self._done and (not spans or spans[-1][0] <= pos):
            n = len(spans)
            spans.extend(itertools.islice(self._it, self._chunk))
            self._done = len(spans) - n < self._chunk
            self._chunk = min(self._chunk * 2, self._MAX_CHUNK)

    def _kind(self, start: int) -> str:
        return "c" if self.text[start] in "#/" else "s"

    def _span(self, pos: int) -> tuple[int, int, str] | None:
        self._advance(pos)
        spans = self._spans
        i = bisect.bisect_right(spans, (pos, _PAST)) - 1  # the last token starting at or before pos
        if i >= 0:
            s, e = spans[i]
            if pos < e:
                return s, e, self._kind(s)
        return None

    def span(self, pos: int) -> tuple[int, int, str] | None:
        """The comment ("c") or string ("s") token holding ``pos``: (start, end, kind), or None in code."""
        return self._span(pos)

    def spans(self, lo: int, hi: int) -> list[tuple[int, int, str]]:
        """The comment/string tokens starting in ``[lo, hi)``, in text order."""
        self._advance(hi)
        spans = self._spans
        i = bisect.bisect_left(spans, (lo,))
        j = bisect.bisect_left(spans, (hi,))
        return [(s, e, self._kind(s)) for s, e in spans[i:j]]

    def where(self, pos: int) -> Where:
        span = self._span(pos)
        line_start = self.text.rfind("\n", 0, pos) + 1
        if span is None:
            if self.lexer == "hash" and _PROSE_KEY.match(self.text, line_start):
                return "message"
            return "code"
        start, end, kind = span
        if kind == "c":
            return "comment"
        before = self.text[max(self.text.rfind("\n", 0, start) + 1, start - 200) : start]
        if _MESSAGE_BEFORE.search(before):
            return "message"
        if self.lexer == "hash" and _PROSE_KEY.match(self.text, line_start):
            return "message"
        if self.lexer == "python" and self._is_docstring(start, end):
            return "docstring"
        return "string"

    def _is_docstring(self, start: int, end: int) -> bool:
        """A Python string that is a statement of its own: alone on its line(s), and the code before it is
        not left open (a docstring, an attribute docstring, a bare string used as a comment)."""
        text = self.text
        ls = text.rfind("\n", 0, start) + 1
        if text[ls:start].strip(" \t") not in ("", *_PREFIXES):
            return False
        le = text.find("\n", end)
        rest = text[end : le if le >= 0 else len(text)].strip()
        if rest and not rest.startswith("#"):
            return False
        p = ls - 1
        while p >= 0:  # the previous significant character, skipping whitespace and comments
            ch = text[p]
            if ch.isspace():
                p -= 1
                continue
            span = self._span(p)
            if span is not None and span[2] == "c":
                p = span[0] - 1
                continue
            return ch not in _CONTINUES and ch not in "\"'"
        return True


_PREFIXES = (
    "r",
    "u",
    "b",
    "f",
    "R",
    "U",
    "B",
    "F",
    "rb",
    "br",
    "Rb",
    "bR",
    "RB",
    "BR",
    "fr",
    "rf",
    "Fr",
    "fR",
)

# which lexer each detector's text is read with
LEXER_BY_DETECTOR: dict[str, str] = {
    "python": "python",
    "notebook": "python",
    "javascript": "c",
    "go": "c",
    "java": "c",
    "json-config": "c",
    "shell": "hash",
    "dockerfile": "hash",
    "yaml-config": "hash",
    "toml-config": "hash",
    "dotenv": "hash",
    "terraform": "hash",
    "bicep": "c",
}

_IMPORT_KW = re.compile(r"\b(?:import|require)\b")
_ATTR_CALL = re.compile(r"\s*\.\s*[A-Za-z_]\w*\s*\(")
_NEW = re.compile(r"\bnew\s+$")
ClassPosition = Literal["use", "import", "other"]


def class_position(text: str, start: int, end: int) -> ClassPosition:
    """Where the identifier ``text[start:end]`` (in code) sits: ``use`` when called or instantiated
    (``X(``, ``new X``), a base class on a ``class`` line, one of its attributes called (``X.from_env()``)
    or passed to a call (``f(llm_cls=X)``, not ``isinstance``); ``import`` when named in an import (also a
    parenthesised or braced multi-line one); ``other`` for the rest (an enum member, an annotation,
    ``return X``, a registry value)."""
    n = len(text)
    j = end
    while j < n and text[j] in " \t":
        j += 1
    if j < n and text[j] in "(<":
        return "use"
    ls = text.rfind("\n", 0, start) + 1
    line = text[ls:start]
    stripped = line.lstrip()
    if stripped.startswith(("class ", "export class ")) and "(" in line or " extends " in line:
        return "use"
    if _in_import(text, start, end):
        return "import"
    if _ATTR_CALL.match(text, end) or _arg_of_call(text, start) or _NEW.search(text, start - 20, start):
        return "use"
    return "other"


def _in_import(text: str, start: int, end: int) -> bool:
    n = len(text)
    le = text.find("\n", end)
    if _IMPORT_KW.search(text, end, le if le >= 0 else n):  # const { X } = require("...")
        return True
    lo = max(0, start - 2000)
    last = None
    for mo in _IMPORT_KW.finditer(text, lo, start):
        last = mo
    if last is None:
        return False
    seg = text[last.start() : start]
    if "\n" not in seg:
        return True
    body = seg[len(last.group(0)) :].lstrip()  # ``import (`` / ``import {``, still open
    if not body.startswith(("(", "{")):
        return False
    return ")" not in body and "}" not in body


_TYPE_CHECKING = re.compile(r"[ \t]*(?:el)?if\s+(?:typing\.)?TYPE_CHECKING\s*:")
_CLOSE = {")": "(", "]": "[", "}": "{"}
_NOT_A_USE_CALL = frozenset({"isinstance", "issubclass", "cast", "TypeVar", "Type", "Optional", "Union"})


def under_type_checking(text: str, pos: int, max_lines: int = 2000) -> bool:
    """Is the (indented) line holding ``pos`` inside an ``if TYPE_CHECKING:`` block? The enclosing block
    header is the nearest earlier line with less indentation (at most ``max_lines`` lines back)."""
    ls = text.rfind("\n", 0, pos) + 1
    indent = len(text[ls:pos]) - len(text[ls:pos].lstrip(" \t"))
    # a continuation line of a multi-line import: start from the line of the statement's ``from``/``import``
    last = None
    for mo in _IMPORT_KW.finditer(text, max(0, pos - 2000), pos):
        last = mo
    if last is not None and "\n" in text[last.start() : pos]:
        ls = text.rfind("\n", 0, last.start()) + 1
        indent = len(text[ls : last.start()]) - len(text[ls : last.start()].lstrip(" \t"))
    if indent == 0:
        return False
    end = ls - 1
    for _ in range(max_lines):
        if end <= 0:
            return False
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end]
        body = line.lstrip(" \t")
        if body and not body.startswith("#") and len(line) - len(body) < indent:
            return _TYPE_CHECKING.match(line) is not None
        end = start - 1
    return False


def _arg_of_call(text: str, pos: int, limit: int = 1000) -> bool:
    """Is ``pos`` directly inside the parentheses of a call (``f(X)``, ``f(a, cls=X)``, ``class A(X)``), not
    of a definition, a subscript, a literal or a type check (``isinstance``)?"""
    depth = 0
    p = pos - 1
    lo = max(0, pos - limit)
    while p >= lo:
        ch = text[p]
        if ch in _CLOSE:
            depth += 1
        elif ch in "([{":
            if depth == 0:
                if ch != "(":
                    return False
                q = p - 1
                while q >= 0 and text[q] in " \t":
                    q -= 1
                w = q
                while w >= 0 and (text[w].isalnum() or text[w] in "_."):
                    w -= 1
                callee = text[w + 1 : q + 1].rsplit(".", 1)[-1]
                if not callee and (q < 0 or text[q] not in ")]"):
                    return False  # a parenthesised expression or tuple, not a call
                if callee in _NOT_A_USE_CALL:
                    return False
                ls = text.rfind("\n", 0, w + 1) + 1
                return not text[ls : w + 1].lstrip().startswith(("def ", "async def ", "function "))
            depth -= 1
        p -= 1
    return False


def class_used(syntax: SyntaxMap, name: str) -> bool:
    """Does the code of ``syntax.text`` use the class ``name`` anywhere: call or
    instantiate it, subclass it, call one of its attributes (``X.from_env()``), or pass it to a call? An
    import, ``__all__`` entry, annotation, ``return X`` or registry value is not a use. An alias bound by
    ``import X as Y`` is followed."""
    text = syntax.text
    names = {name}
    for mo in re.finditer(rf"(?<![\w.]){re.escape(name)}\s+as\s+([A-Za-z_]\w*)", text):
        if syntax.where(mo.start()) == "code":
            names.add(mo.group(1))
    rx = re.compile(r"(?<![\w.])(?:" + "|".join(re.escape(x) for x in sorted(names)) + r")(?!\w)")
    for mo in rx.finditer(text):
        s, e = mo.span()
        if syntax.where(s) != "code":
            continue
        if class_position(text, s, e) == "use":
            ls = text.rfind("\n", 0, s) + 1
            if not re.match(r"[ \t]*(?:export\s+)?(?:class|def|function)\s+$", text[ls:s]):
                return True  # not the definition of a class or function of that name
    return False


def class_mention(syntax: SyntaxMap, name: str, pos: int) -> str:
    """Why the class name ``name`` at ``pos`` (in code) is only a mention, or "" for a use. A class is
    used where it is called, instantiated, subclassed or passed to a call; its import counts only when the
    file uses the class (a re-export, ``__all__``, a lazy-import registry or an ``if TYPE_CHECKING:`` import
    is a mention)."""
    where = class_position(syntax.text, pos, pos + len(name))
    if where == "other":
        return "class name not imported, called or subclassed"
    if where == "use":
        return ""
    if under_type_checking(syntax.text, pos):
        return "class imported for type checking only"
    used = syntax.classes_used.get(name)
    if used is None:
        used = syntax.classes_used[name] = class_used(syntax, name)
    return "" if used else "class imported, not used (re-export or lazy import)"
