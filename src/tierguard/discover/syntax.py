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
import re
from collections.abc import Iterator
from typing import Literal

Where = Literal["code", "string", "comment", "docstring", "message"]

# Each pattern starts with a lookahead on its first characters: the regex engine then rejects every other
# position at once (3-5x faster than trying each alternative there).
_PY = re.compile(
    r"""(?=[#"'])(?P<c>\#[^\n]*)"""
    r'''|(?P<s>"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""'''
    r"""|'''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''"""
    r"""|"[^"\\\n]*(?:\\.[^"\\\n]*)*"|'[^'\\\n]*(?:\\.[^'\\\n]*)*')""",
    re.S,
)
_C = re.compile(
    r"""(?=[/"'`])(?P<c>//[^\n]*|/\*.*?\*/)"""
    r'''|(?P<s>"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""'''
    r"""|"[^"\\\n]*(?:\\.[^"\\\n]*)*"|'[^'\\\n]*(?:\\.[^'\\\n]*)*'|`[^`\\]*(?:\\.[^`\\]*)*`)""",
    re.S,
)
_HASH = re.compile(
    r"""(?=[#"'])(?P<c>(?:(?<=[\s;])|^)\#[^\n]*)|(?P<s>"[^"\\\n]*(?:\\.[^"\\\n]*)*"|'[^'\n]*')""", re.M
)
_LEXERS = {"python": _PY, "c": _C, "hash": _HASH}

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

    def __init__(self, text: str, lexer: str) -> None:
        self.text = text
        self.lexer = lexer
        self._it: Iterator[re.Match[str]] = _LEXERS[lexer].finditer(text)
        self._starts: list[int] = []
        self._spans: list[tuple[int, int, str]] = []  # (start, end, "c" | "s")
        self._done = False

    def _advance(self, pos: int) -> None:
        """Lex until a token starting after ``pos`` is seen (or the end)."""
        if self._done or (self._starts and self._starts[-1] > pos):
            return
        starts, spans = self._starts, self._spans
        for mo in self._it:
            a, b = mo.span()
            starts.append(a)
            spans.append((a, b, "c" if mo.lastgroup == "c" else "s"))
            if a > pos:
                return
        self._done = True

    def _span(self, pos: int) -> tuple[int, int, str] | None:
        self._advance(pos)
        i = bisect.bisect_right(self._starts, pos) - 1
        if i >= 0:
            s, e, k = self._spans[i]
            if s <= pos < e:
                return s, e, k
        return None

    def span(self, pos: int) -> tuple[int, int, str] | None:
        """The comment ("c") or string ("s") token holding ``pos``: (start, end, kind), or None in code."""
        return self._span(pos)

    def spans(self, lo: int, hi: int) -> list[tuple[int, int, str]]:
        """The comment/string tokens starting in ``[lo, hi)``, in text order."""
        self._advance(hi)
        i = bisect.bisect_left(self._starts, lo)
        j = bisect.bisect_left(self._starts, hi)
        return self._spans[i:j]

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


def class_use(text: str, start: int, end: int) -> bool:
    """Is the identifier ``text[start:end]`` (in code) a use of that class: named in an import (also a
    parenthesised or braced multi-line one), called or instantiated (``X(``, ``new X(``), or a base class on
    a ``class`` line? Other identifier positions (an enum member, an annotation) are mentions."""
    n = len(text)
    j = end
    while j < n and text[j] in " \t":
        j += 1
    if j < n and text[j] in "(<":
        return True
    ls = text.rfind("\n", 0, start) + 1
    line = text[ls:start]
    stripped = line.lstrip()
    if stripped.startswith(("class ", "export class ")) and "(" in line or " extends " in line:
        return True
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
    opened = seg.find("(") if "(" in seg else seg.find("{")
    if opened < 0:
        return False
    return ")" not in seg[opened:] and "}" not in seg[opened:]
