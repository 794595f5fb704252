"""Model ids where real projects keep them: lists, maps, enums and constructor arguments in provider adaptors
and model registries in YAML/JSON/TOML (issue 15 item 3). Pure functions of a text; nothing is executed.

The rule (``common.scan_models`` applies it to a quoted literal, or a YAML scalar, that the catalog matches as
a model id with model-context families allowed, e.g. ``glm-4``, ``moonshot-v1-8k``):

1. **Constructor argument**: the literal is the first argument of a call whose callee name contains ``model``,
   ``llm`` or ``chat`` (case-insensitive): ``ModelInfo('moonshot-v1-8k', ...)``, ``new ChatModel("glm-4")``
   -> B ("model constructor").
2. **Container element**: the literal is an element of a list/array/slice/tuple/set literal, a key or value of
   a dict/map/object literal (also nested, up to 4 levels), the value of a member of a class or enum
   (``class Models(Enum): QWEN_MAX = "qwen-max"``, TS ``enum Models {...}``), a comma-separated item of a
   string (``"models": "deepseek-chat,qwen-max"``), or a YAML list item / value. It is B when the container
   is *tied to models*:
   - by name: one of the names on the way up (the variable, const, field, key, class or enum the container
     is assigned to, its Go element type, a YAML/JSON parent key) contains ``model`` or ``llm``
     (``MODELS``, ``ModelList``, ``SupportedModels``, ``model_list``, ``"models":``, ``weak_model_name``)
     -> "model list";
   - or by the file's other evidence: the same file holds strength-A evidence (host, SDK import, env key,
     framework class) of the model's producer or of a service that serves it -> "model list near provider";
   - in a model registry file (basename holding ``model``: aider's ``model-settings.yml``, ``models.json``),
     the value of a ``name``/``id``/``model`` key of an entry -> "model registry".
3. An assignment ``NAME = "deepseek-chat"`` whose target name contains ``model``/``llm``
   (``ModelDeepSeekChat``, ``defaultChatModel``) -> B ("model constant").
4. A map key whose value a call builds, the callee's name holding ``model``/``llm`` (qianfan's
   ``"bge-large-en": QfLLMInfo(endpoint=...)``, ``"x": ModelInfo(...)``) -> B; the map's other keys are swept
   as a model list.

Anything else stays what it was: a C mention ("string literal outside a model context"). Price and
capability tables are mentions whatever names or evidence surround them (the issue: "logo/price tables ->
C"): a YAML/JSON/TOML file with at least three price or context-window fields
(``input_cost_per_token``, ``max_output_tokens``, ``cost_per_1k`` ...) gives no model position at all
(litellm's ``model_prices_and_context_window.json`` holds every provider's ids and endpoints; it selects
nothing). Test files
(``tests/``, ``test_*.py``, ``*_test.go``, ``*.test.ts``, ``*.spec.js``, ``fixtures/``, ``conftest.py``) never
get B from rule 2 or 3 (a fixture list of model ids is not a use); comments, docstrings and message text stay
mentions whatever their shape (``Collector.add``); docs and changelogs are mention-only detectors.
"""

from __future__ import annotations

import re

from .syntax import SyntaxMap

MODEL_NAME = re.compile(r"model|llm", re.IGNORECASE)
_CALLEE_WORD = re.compile(r"model|llm|chat", re.IGNORECASE)
_IDENT_BEFORE = re.compile(r"""(?:new\s+)?([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*(?:<[^<>()]*>)?\s*$""")
# a Go composite-literal type right before "{": []string, [...]T, [4]T, map[string]int, []*pkg.Model
_GO_TYPE = re.compile(r"""(?:\[\d*\]|\[\.\.\.\]|map\[[\w.*\[\]]*\])+\*?([\w.]*)\s*$""")
# the target of "NAME =" / "NAME :=" / "NAME: T =" / "var NAME =" / "key:" (identifier or quoted key)
_TARGET = re.compile(
    r"""(?:["']([^"'\n]{1,80})["']|([A-Za-z_$][\w$]*))"""
    r"""\s*(?::\s*[\w.$<>, |?]{1,80}(?:\[[\w.$<>, |]*\])*)?\s*$"""
)
# a map key whose value is built by a call: ``"bge-large-en": QfLLMInfo(`` (group: the callee)
_VALUE_CALL = re.compile(r"""\s*:\s*(?:new\s+)?([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*\(""")
_ENUM_HEAD = re.compile(r"""\benum\s+(?:class\s+)?([A-Za-z_$][\w$]*)\s*(?::\s*[\w.]+\s*)?$""")
_PY_CLASS = re.compile(r"""^([ \t]*)class\s+([A-Za-z_]\w*)""")
_COLLECTIONS = frozenset(
    {
        "set",
        "frozenset",
        "tuple",
        "list",
        "Set",
        "List.of",
        "Set.of",
        "Arrays.asList",
        "asList",
        "of",
        "listOf",
        "setOf",
        "mapOf",
        "Map.of",
        "Object.freeze",
        "dict",
        "OrderedDict",
    }
)
_NOT_CALLEES = frozenset(
    {
        "in",
        "not",
        "and",
        "or",
        "return",
        "if",
        "elif",
        "while",
        "for",
        "yield",
        "await",
        "case",
        "of",
        "else",
        "assert",
        "is",
        "lambda",
        "with",
        "from",
        "when",
        "switch",
    }
)
_ENTRY_KEYS = frozenset({"name", "id", "model", "model_name", "model_id", "slug"})
_TEST_PATH = re.compile(
    r"(?:^|/)(?:tests?|__tests__|testdata|fixtures?|spec)/|(?:^|/)test_[^/]*\.py$|_test\.(?:py|go)$"
    r"|\.(?:test|spec)\.[cm]?[jt]sx?$|(?:^|/)conftest\.py$|Tests?\.(?:java|kt)$",
    re.IGNORECASE,
)
_WALK = 16384  # how far back a container opener is looked for
_LEVELS = 4
_SWEEP = 65536  # how far a named container's members are read

Position = tuple[str, bool]  # (context, tied to models by a name)


def is_test_path(path: str) -> bool:
    return _TEST_PATH.search(path) is not None


def registry_file(path: str) -> bool:
    """A model registry by name: a YAML/JSON/TOML file whose basename holds "model"."""
    return "model" in path.rsplit("/", 1)[-1].lower()


class ListPositions:
    """Where a literal sits, for source and JSON/TOML text read with a ``SyntaxMap`` (``c``, ``python``,
    ``hash`` lexers): ``position(start, end)`` -> (context, named) or None. ``start``/``end`` bound the
    whole literal including its quotes."""

    def __init__(self, text: str, syntax: SyntaxMap, registry: bool = False) -> None:
        self.text = text
        self.syntax = syntax
        self.registry = registry
        self._opener: dict[int, int] = {}  # literal start -> opener of its container (memo for long lists)
        self.opener = -1
        self.swept: set[int] = set()  # containers whose members were all checked

    def position(self, start: int, end: int) -> Position | None:
        self.opener = -1  # the innermost container holding the literal (for ``members``)
        vc = _VALUE_CALL.match(self.text, end)
        if vc is not None and MODEL_NAME.search(vc.group(1).rsplit(".", 1)[-1]):
            # a map key whose value a model-info constructor builds: "bge-large-en": QfLLMInfo(...); its
            # other keys are swept as a model list (qianfan's map spans 50 KB: its opener may be out of reach)
            self.opener = self._enclosing(start)
            return ("model list" if self.opener >= 0 else "model map"), True
        names: list[str] = []
        in_container = False
        key = ""  # the key the literal is the value of, if any
        cur = start
        text = self.text
        for level in range(_LEVELS):
            p = self._prev(cur)
            if p < 0:
                break
            ch = text[p]
            if ch == ":" and text[p + 1 : p + 2] != "=":  # a key's value (JSON, dict, object, Go field)
                target = self._target(p)
                if target:
                    key = key or (target if level == 0 else "")
                    names.append(target)
                op = self._enclosing(p)
                if op < 0 or text[op] == "(":
                    break
                if self.opener < 0:
                    self.opener = op
                in_container = True
                if not self._opener_names(op, names):
                    break
                cur = self._type_start(op)
                continue
            if ch == "=" and text[p - 1 : p] not in ("=", "!", "<", ">"):  # an assignment
                target = self._target(p)
                if target:
                    names.append(target)
                owner = self._py_class(p) or self._enum_owner(p)
                if owner:
                    names.append(owner)
                    in_container = True
                break
            if ch not in "[{(,":
                break
            op = self._enclosing(cur)
            if op < 0:
                break
            if self.opener < 0:
                self.opener = op
            if text[op] == "(":
                before = text[max(0, op - 200) : op]
                mo = _IDENT_BEFORE.search(before)
                callee = mo.group(1) if mo else ""
                if callee in _NOT_CALLEES:
                    callee = ""
                if callee and callee not in _COLLECTIONS:
                    last = callee.rsplit(".", 1)[-1]
                    if text[op + 1 : start].strip() == "" and _CALLEE_WORD.search(last):
                        return "model constructor", True
                    if not in_container:
                        return None  # a plain argument of some other call
                    # a container passed to a call: registerModels([...]); only the called name counts
                    # (model_name.startswith(("qwen3.5", ...)) compares names, it lists no models)
                    names.append(last)
                    break
                in_container = True
                cur = op - len(mo.group(0)) if mo and callee else op
                continue
            in_container = True
            cur = op
            if not self._opener_names(op, names):
                break
            cur = self._type_start(op)
        if not in_container and not names:
            return None
        if any(MODEL_NAME.search(n) for n in names):
            return ("model list" if in_container else "model constant"), True
        if self.registry and key.lower() in _ENTRY_KEYS and in_container:
            return "model registry", True
        return ("model list", False) if in_container else None

    def _opener_names(self, op: int, names: list[str]) -> bool:
        """Names right before a ``[``/``{`` opener: a Go element type (``[]ModelInfo{``) and/or an enum's
        name. False when an enum head ends the walk."""
        before = self.text[max(0, op - 200) : op]
        go = _GO_TYPE.search(before)
        if go is not None and go.group(1):
            names.append(go.group(1))
        en = _ENUM_HEAD.search(before)
        if en is not None:
            names.append(en.group(1))
            return False
        return True

    def _type_start(self, op: int) -> int:
        before = self.text[max(0, op - 200) : op]
        go = _GO_TYPE.search(before)
        return op - len(go.group(0)) if go is not None else op

    def _enum_owner(self, p: int) -> str:
        """For ``Member = <literal>`` inside ``enum Name { ... }`` (TS), the enum's name."""
        if self.syntax.lexer != "c":
            return ""
        op = self._enclosing(p)
        if op < 0 or self.text[op] != "{":
            return ""
        en = _ENUM_HEAD.search(self.text[max(0, op - 200) : op])
        return en.group(1) if en is not None else ""

    def members(self, op: int) -> list[tuple[int, int]]:
        """The string literals (start, end incl. quotes) inside the container opened at ``op`` (nested ones
        too), when its close is found within ``_SWEEP`` characters; else []."""
        text = self.text
        hi = min(len(text), op + _SWEEP)
        spans = self.syntax.spans(op + 1, hi)
        depth, p, k = 0, op + 1, 0
        while p < hi:
            if k < len(spans) and spans[k][0] <= p:
                p = max(p, spans[k][1])
                k += 1
                continue
            ch = text[p]
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                if depth == 0:
                    return [(a, b) for a, b, kind in spans if kind == "s" and b <= p]
                depth -= 1
            p += 1
        return []

    # -- helpers ---------------------------------------------------------------------------------------
    def _prev(self, pos: int) -> int:
        """The previous significant character before ``pos`` (skipping whitespace and comments), or -1."""
        text = self.text
        p = pos - 1
        lo = max(0, pos - _WALK)
        while p >= lo:
            ch = text[p]
            if ch.isspace():
                p -= 1
                continue
            span = self.syntax.span(p) if ch in "/\"'`*" or text[p + 1 : p + 2] == "\n" else None
            if span is not None and span[2] == "c":
                p = span[0] - 1
                continue
            return p
        return -1

    def _target(self, p: int) -> str:
        """The identifier or quoted key right before the ``=``/``:``/``:=`` at ``p`` (same line)."""
        ls = self.text.rfind("\n", 0, p) + 1
        seg = self.text[max(ls, p - 200) : p].rstrip(":")
        mo = _TARGET.search(seg)
        if mo is None:
            return ""
        return mo.group(1) or mo.group(2) or ""

    def _in_braces(self, p: int) -> bool:
        op = self._enclosing(p)
        return op >= 0 and self.text[op] in "{["

    def _enclosing(self, pos: int) -> int:
        """The offset of the innermost unclosed ``[``, ``{`` or ``(`` before ``pos``, or -1 (strings and
        comments skipped; at most ``_WALK`` characters back; memoised per literal: a long list is linear)."""
        text = self.text
        depth = 0
        p = pos - 1
        lo = max(0, pos - _WALK)
        memo = self._opener
        while p >= lo:
            ch = text[p]
            if ch in "\"'`/*" or text[p + 1 : p + 2] == "\n":
                span = self.syntax.span(p)
                if span is not None:
                    if depth == 0 and span[0] in memo:
                        return memo[span[0]]
                    p = span[0] - 1
                    continue
            if ch in ")]}":
                depth += 1
            elif ch in "([{":
                if depth == 0:
                    memo[pos] = p
                    return p
                depth -= 1
            p -= 1
        return -1

    def _first_arg(self, op: int, start: int) -> bool:
        """Is the literal at ``start`` the first argument of the call opened at ``op``?"""
        return self.text[op + 1 : start].strip() == ""

    def _py_class(self, p: int) -> str:
        """For a Python ``NAME = <literal>`` in a class body, the class name (enum members, constants)."""
        if self.syntax.lexer != "python":
            return ""
        text = self.text
        ls = text.rfind("\n", 0, p) + 1
        indent = len(text[ls:p]) - len(text[ls:p].lstrip(" \t"))
        if indent == 0:
            return ""
        q = ls - 1
        lo = max(0, ls - _WALK)
        while q > lo:
            s = text.rfind("\n", lo, q) + 1
            line = text[s:q]
            stripped = line.lstrip(" \t")
            if stripped and not stripped.startswith("#"):
                ind = len(line) - len(stripped)
                if ind < indent:
                    mo = _PY_CLASS.match(line)
                    return mo.group(2) if mo else ""
            q = s - 1
        return ""


# ---- YAML: indentation, not brackets ------------------------------------------------------------------

_YAML_LINE = re.compile(r"""^([ \t]*)(-[ \t]+)?(?:["']?([\w.-]+)["']?[ \t]*:(?:[ \t]+|$))?""", re.M)


def yaml_position(text: str, pos: int, registry: bool) -> Position | None:
    """Where a scalar at ``pos`` sits in block YAML: the value of a key, a list item (``- x``), an item of a
    flow list (``[a, b]``) or of a comma list (``a,b``); tied to models by a key on its path (own key and up
    to 4 parents by indentation) that holds ``model``/``llm``, or a ``name``/``id`` key of an entry in a
    registry file."""
    ls = text.rfind("\n", 0, pos) + 1
    mo = _YAML_LINE.match(text, ls, pos)
    if mo is None:
        return None
    indent = len(mo.group(1)) + (len(mo.group(2)) if mo.group(2) else 0)
    key = mo.group(3) or ""
    if mo.end() > pos:
        return None  # the scalar is a key itself
    between = text[mo.end() : pos]
    if between.strip(" \t\"'[,") != "" and not between.rstrip().endswith(","):
        return None  # not the start of the value or of a list item
    item = bool(mo.group(2)) or "[" in between or "," in between or "," in text[pos : text.find("\n", pos)]
    names = [key] if key else []
    names += _yaml_parents(text, ls, indent if key else len(mo.group(1)), 4)
    if any(MODEL_NAME.search(n) for n in names):
        return ("model list" if item or not key else "model setting"), True
    if registry and key.lower() in _ENTRY_KEYS:
        return "model registry", True
    return ("model list", False) if item or (names and mo.group(2)) else None


def _yaml_parents(text: str, ls: int, indent: int, n: int) -> list[str]:
    """Up to ``n`` parent keys of the line starting at ``ls`` (lines with less indentation, at most 200)."""
    out: list[str] = []
    q = ls - 1
    lines = 0
    while q > 0 and len(out) < n and lines < 200 and indent > 0:
        s = text.rfind("\n", 0, q) + 1
        line = text[s:q]
        lines += 1
        stripped = line.lstrip(" \t")
        if stripped and not stripped.startswith("#"):
            mo = _YAML_LINE.match(line)
            ind = len(line) - len(stripped)
            if mo is not None and ind < indent and not mo.group(2):
                if mo.group(3):
                    out.append(mo.group(3))
                indent = ind
            elif mo is not None and mo.group(2) and ind < indent:
                indent = ind  # a list item holding our mapping: keep climbing from it
        q = s - 1
    return out


_CONFIG_DETECTORS = frozenset({"yaml-config", "json-config", "toml-config"})
_PRICE_FIELD = re.compile(
    r"""\b(?:(?:input|output|cache_read_input|cache_creation_input)_cost_per_\w+|max_(?:input|output)_tokens"""
    r"""|cost_per_1k\w*|price_per_\w+|input_price|output_price)\b""",
    re.IGNORECASE,
)


def price_table(text: str, cache: dict[str, object]) -> bool:
    """A price/capability table (see the module docstring): at least three price or window fields."""
    hit = cache.get("price-table")
    if not isinstance(hit, bool):
        n = 0
        for _ in _PRICE_FIELD.finditer(text):
            n += 1
            if n >= 3:
                break
        hit = cache["price-table"] = n >= 3
    return hit


def place(
    text: str,
    syntax: SyntaxMap | None,
    path: str,
    detector: str,
    pos: int,
    token: str,
    cache: dict[str, object],
) -> Position | None:
    """Where the model-id ``token`` at ``pos`` sits (see the module docstring), or None when it is in no
    model position. A token that is not a whole string literal counts only as an item of a comma list
    inside one (or, in YAML, as a plain scalar). ``cache`` keeps per-unit state (one per Collector)."""
    if syntax is None or is_test_path(path):
        return None
    if detector in _CONFIG_DETECTORS and price_table(text, cache):
        return None
    registry = detector in _CONFIG_DETECTORS and registry_file(path)
    end = pos + len(token)
    if detector == "yaml-config":
        return yaml_position(text, pos, registry)
    span = syntax.span(pos)
    if span is None or span[2] != "s":
        return None
    s, e, _ = span
    comma = False
    if text[s + 1 : e - 1].strip() != token and (s + 1 != pos or e - 1 != end):
        items = [i.strip() for i in text[s + 1 : e - 1].split(",")]
        if len(items) < 2 or token not in items:
            return None
        comma = True
    lp = cache.get("list-positions")
    if not isinstance(lp, ListPositions):
        lp = cache["list-positions"] = ListPositions(text, syntax, registry)
    where = lp.position(s, e)
    if where is None or (comma and not where[1]):
        return None
    return where
