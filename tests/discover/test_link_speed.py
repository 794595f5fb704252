"""Speed work on the cross-module pass (``pylinks``) must not change its links: a Python unit's record keeps
its import statements and they are parsed into bindings only when the pass asks; the modules importing from
module K are found through the words of their import statements; line offsets by bisection; statement
starts by a literal line-break prefix; the IaC shape gates by literals. Each against the plain computation
it replaces (the bindings walk is the one the records held before)."""

from __future__ import annotations

import random
import re

import pytest

from tierguard.discover.detectors import iac_docs
from tierguard.discover.detectors.pybindings import (
    Binding,
    bindings,
    import_words,
    module_key,
    module_record,
    record_bindings,
    tails,
)
from tierguard.discover.detectors.pyimports import statement_end
from tierguard.discover.detectors.pylinks import ModuleText, _line_starts, _Linker
from tierguard.discover.interface import Unit
from tierguard.model import Evidence
from tierguard.targets.interface import FileRef

_IMPORT_LINE = re.compile(r"[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+|import[ \t]+)")
_ITEM = re.compile(r"^([A-Za-z_][\w.]*)(?:\s+as\s+([A-Za-z_]\w*))?$")


def _from_target(module: str, pkg: str) -> str:
    dots = len(module) - len(module.lstrip("."))
    if not dots:
        return "abs:" + module
    base = pkg.split("/") if pkg else []
    if dots > 1:
        base = base[: len(base) - (dots - 1)] if dots - 1 <= len(base) else []
    rest = module[dots:]
    return "rel:" + "/".join([*base, *(rest.split(".") if rest else [])])


def _reference_bindings(text: str, shown: str) -> list[Binding]:
    """The bindings walk the records held before (``pylinks.bindings`` at 90b3ab4), kept as the reference."""
    out: list[Binding] = []
    pkg = shown.rsplit("/", 1)[0] if "/" in shown else ""
    i = text.find("import")
    while i >= 0:
        ls = text.rfind("\n", 0, i) + 1
        nxt = text.find("import", i + 6)
        mo = _IMPORT_LINE.match(text, ls)
        if mo is None or mo.end() < i:
            i = nxt
            continue
        names_at = mo.end()
        end = statement_end(text, names_at)
        body = text[names_at:end].replace("\\\n", " ").strip().strip("()")
        for raw in body.split(","):
            item = _ITEM.match(" ".join(raw.split()))
            if item is None:
                continue
            name, alias = item.group(1), item.group(2)
            if mo.group(1) is None:
                out.append((alias or name.split(".", 1)[0], "abs:" + name, "" if alias else "*", names_at))
                continue
            out.append((alias or name, _from_target(mo.group(1), pkg), name, names_at))
        i = text.find("import", max(nxt, end)) if nxt >= 0 else -1
    return out


# import statements of every shape the walk knows: lists in parentheses over lines, backslash continuations,
# ``;`` and ``#`` ends, relative imports of every depth, aliases, star imports, imports inside functions and
# strings, dotted names, a trailing dot, names touching the next statement, odd white space, non-ASCII names
TEXTS = [
    "import os\nimport a.b.c\nimport a.b as c, d\nfrom x.y import z as w, v\nfrom . import sib\n",
    "from .. import up\nfrom ...deep.er import thing\nfrom .mod import (\n    A,\n    B as Bee,  # c\n)\n",
    "from m import a, \\\n    b\nimport q; import r\nx = 1  # import s\n'''\nimport in_string\n'''\n",
    "def f():\n    from lazy.mod import helper\n    import other.mod as om\n    return helper\n",
    "from pkg import *\nimport a.\nfrom a. import b\nfrom .a..b import c\nfrom important import x\n",
    "from\tx\timport\ty\t as\tz\nimport\u00e9t\u00e9.mod\nfrom m import (a,\n\n  b)c = 1\nimport",
    "if TYPE_CHECKING:\n    from typing_only import T\nfrom m import a.b\nfrom .cfg import BASE_URL\n",
    "import a\nfrom .b import c",
    "",
    "no imports here; importlib.import_module('x')\n",
]
PATHS = ["app.py", "pkg/sub/mod.py", "pkg/__init__.py", "x.whl!pkg/sub/m.py", "my dir/pkg/m.py", "a/.py"]


def _unit(shown: str, text: str) -> Unit:
    path, _, member = shown.partition("!")
    ref = FileRef(path=path, size=len(text), member=member or None)
    return Unit(ref=ref, data=text.encode(), text=text)


def _fuzz(rng: random.Random) -> str:
    parts = [
        "import",
        "from",
        " ",
        "\t",
        ".",
        "a",
        "b.c",
        "as",
        ",",
        "(",
        ")",
        "\n",
        "\\\n",
        ";",
        "#",
        "x",
        "é",
    ]
    return "".join(rng.choice(parts) for _ in range(rng.randrange(0, 60)))


def _texts() -> list[str]:
    rng = random.Random(15)
    return TEXTS + [_fuzz(rng) for _ in range(3000)]


@pytest.mark.parametrize("shown", PATHS)
def test_a_records_statements_parse_into_the_bindings_of_the_walk(shown: str) -> None:
    for text in _texts():
        ref = _reference_bindings(text, shown)
        assert bindings(text, shown) == ref, text
        assert record_bindings(module_record(_unit(shown, text), text)) == ref, text


@pytest.mark.parametrize("shown", PATHS)
def test_the_import_words_hold_every_tail_a_binding_reaches(shown: str) -> None:
    for text in _texts():
        rec = module_record(_unit(shown, text), text)
        reached = {t for _, target, name, _ in _reference_bindings(text, shown) for t in tails(target, name)}
        wanted = {t for t in reached if t.split() == [t]}
        odd = [t for t in wanted if not re.fullmatch(r"\w+", t)]
        assert wanted <= import_words(rec, wanted, odd), text


def _record(shown: str, text: str) -> Evidence:
    return module_record(_unit(shown, text), text)


def test_importers_found_through_the_words_are_those_of_a_scan_of_every_binding() -> None:
    modules = {
        "pkg/__init__.py": "from .core import Client\nfrom . import utils\n",
        "pkg/core.py": "from .consts import BASE\nfrom pkg.utils import helper\nimport pkg.models as ms\n",
        "pkg/consts.py": "import os\nBASE = 'https://x'\n",
        "pkg/utils.py": "from .consts import *\nfrom ..outside import thing\n",
        "pkg/models/__init__.py": "from .base import Model\n",
        "pkg/models/base.py": "from ..consts import BASE\nfrom pkg import core\n",
        "pkg/sub/deep.py": "from ... import pkg\nfrom .. import consts\nimport pkg.models.base\n",
        "app/main.py": "import pkg\nfrom pkg.core import Client\nfrom pkg import consts, models\n",
        "my dir/m.py": "from . import x\n",
        "my dir/__init__.py": "",
        "w.whl!pkg/__init__.py": "from .core import A\n",
        "w.whl!pkg/core.py": "from w import pkg\nfrom . import core\n",
    }
    records = [_record(shown, text) for shown, text in modules.items()]
    linker = _Linker(records, [], lambda path, member, limit: None)
    for key in linker.mods:
        tail = key.rpartition("!")[2].rsplit("/", 1)[-1]
        brute = sorted(
            imp
            for imp, m in linker.mods.items()
            if tail.split() == [tail]
            and any(
                tail in tails(target, name) and key in linker._targets(imp, target, name)
                for _, target, name, _ in _reference_bindings(modules_text(modules, imp), m.shown)
            )
        )
        assert linker.importers(key) == brute, key
    # a star import binds no name; ``from pkg import consts`` reaches the submodule
    assert linker.importers(module_key("pkg/consts.py")) == [
        "app/main",
        "pkg/core",
        "pkg/models/base",
        "pkg/sub/deep",
    ]


def modules_text(modules: dict[str, str], key: str) -> str:
    return next(text for shown, text in modules.items() if module_key(shown) == key)


def test_line_offsets_by_bisection_equal_walking_the_line_breaks() -> None:
    def walk(text: str, lines: list[int]) -> list[int]:
        found: dict[int, int] = {}
        pos, line = 0, 1
        for n in sorted({n for n in lines if n > 0}):
            while line < n and pos >= 0:
                pos = text.find("\n", pos)
                pos = pos + 1 if pos >= 0 else -1
                line += 1
            found[n] = pos
        return [found.get(n, -1) for n in lines]

    rng = random.Random(9)
    for _ in range(5000):
        text = "".join(rng.choice("ab\n") for _ in range(rng.randrange(0, 50)))
        lines = [rng.randrange(-2, 55) for _ in range(rng.randrange(0, 6))]
        assert _line_starts(text, lines) == walk(text, lines), (text, lines)


def test_statement_starts_are_the_column_0_code_lines() -> None:
    top = re.compile(r"^(?=[^\s#)\]}])", re.M)
    rng = random.Random(3)
    pieces = [
        "x = 1",
        "def f():",
        "    y = 2",
        "# c",
        ")",
        "'''doc",
        "'''",
        "else:",
        "@d",
        "class C:",
        "\t",
        "",
    ]
    for _ in range(2000):
        text = "\n".join(rng.choice(pieces) for _ in range(rng.randrange(0, 12)))
        if rng.random() < 0.3:
            text += "\n"
        mt = ModuleText(text)
        expected = []
        for mo in top.finditer(text):  # the statement starts as found before: by ``^`` under re.M
            p = mo.start()
            if mt.syntax.where(p) != "code":
                continue
            if (
                expected
                and re.match(r"(?:else|elif|except|finally)\b|@", text[p:])
                and text[expected[-1]] != "@"
            ):
                continue
            if expected and text[expected[-1]] == "@":
                continue
            expected.append(p)
        assert mt.starts == expected, text


SHAPES = [
    '{"AWSTemplateFormatVersion": "2010-09-09"}',
    '{"Resources": {"M": {"Type": "AWS::Bedrock::Agent"}}}',
    "{\"Transform\" : 'AWS::Serverless-2016-10-31'}",
    '{"Type": "AWS: :x", "service": "AWS"}',
    "Resources:\n  M:\n    Type: AWS::SageMaker::Model\n",
    "apiVersion: v1\nkind: Pod\n",
    '  "apiVersion": "apps/v1", "kind": "Deployment"',
    "apiVersion v1\nkind: Pod\n",
    '{"kind": "x"}',
    '{"apiVersion": "v1"}',
    "",
]


@pytest.mark.parametrize("name", ["t.json", "values.yaml", "x/values-prod.yml", "a.yaml"])
def test_the_shape_gates_decide_as_the_gate_regexes(name: str) -> None:
    def reference(unit: Unit) -> str:
        head = unit.text
        if iac_docs._CFN_GATE.search(head):
            return "cloudformation"
        if iac_docs._K8S_GATE.search(head) and "kind" in head:
            return "kubernetes"
        low = name.lower().rsplit("/", 1)[-1]
        return "helm-values" if low.startswith("values") and low.endswith((".yaml", ".yml")) else ""

    for text in SHAPES:
        unit = _unit(name, text)
        assert iac_docs._shape(unit) == reference(unit), text


def test_no_python_record_is_parsed_when_no_module_holds_a_provider() -> None:
    """The records of a scan without provider evidence in Python are dropped unparsed."""
    from tierguard.discover.detectors.pylinks import link_modules

    rec = _record("a.py", "from b import c\n")
    poisoned = Evidence(
        detector=rec.detector,
        kind=rec.kind,
        value=rec.value,
        strength=rec.strength,
        location=rec.location,
        attributes={**rec.attributes, "spans": "not,a,span"},  # would raise if parsed
    )
    other = Evidence(detector="python", kind="mention", value="x", strength="C", location=rec.location)
    assert link_modules([poisoned, other], lambda path, member, limit: None) == [other]


def test_a_record_holds_the_import_statements_and_where_they_start() -> None:
    text = "import os\n" + "x = 1\n" * 1000 + "from .m import (a,\n b)\n"
    rec = _record("p/q.py", text)
    assert rec.attributes == {
        "imports": "import os\nfrom .m import (a,\n b)",
        "spans": "0,9 6010,22",
        "size": str(len(text)),
    }


def _reference_hit_spans(text: str, hits: list[tuple[int, int]], kinds: list[int]) -> tuple[object, ...]:
    """``hitlines.hit_lines`` at 90b3ab4: every hit token gets its line window, merged into the last span."""
    from tierguard.discover.hitlines import _TOKEN_CHARS_STR, line_window

    tokens: list[tuple[int, str]] = []
    spans: list[tuple[int, int]] = []
    out_kinds: list[int] = []
    last_end, n = -1, len(text)
    for (hs, he), kind in zip(hits, kinds, strict=True):
        if hs < last_end:
            out_kinds[-1] |= kind
            continue
        left = text[max(0, hs - 200) : hs]
        a = hs - (len(left) - len(left.rstrip(_TOKEN_CHARS_STR)))
        right = text[he : he + 200]
        b = he + (len(right) - len(right.lstrip(_TOKEN_CHARS_STR)))
        last_end = b
        tok = text[a:b].strip(".:/-@+")
        if tok:
            tokens.append((text.find(tok, a, b), tok))
        ls, le = line_window(text, a, b, n)
        if spans and ls <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], le))
            out_kinds[-1] |= kind
        else:
            spans.append((ls, le))
            out_kinds.append(kind)
    every = 0
    for kind in out_kinds:
        every |= kind
    return (tokens, spans, out_kinds, every)


def test_hits_on_the_last_spans_line_give_the_spans_of_a_window_per_hit() -> None:
    """A hit whose token ends inside the last span, on that span's (uncut) line, adds no window."""
    from tierguard.catalog import load_catalog
    from tierguard.discover.common import Collector
    from tierguard.discover.hitlines import hit_lines
    from tierguard.discover.keywords import UnitHits

    cat = load_catalog()
    rng = random.Random(11)
    pieces = ["amazon", "qwen", " ", "\n", "x" * 700, "-", "/", "a.b", "\n\n", "deepseek:"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 30)))
        hits = sorted(
            [(m.start(), m.end()) for w in ("amazon", "qwen", "deepseek") for m in re.finditer(w, text)]
        )
        kinds = [rng.choice([1, 2, 4, 8, 16]) for _ in hits]
        unit = _unit("a.py", text)
        unit = Unit(ref=unit.ref, data=unit.data, text=text, hits=UnitHits(tuple(hits), {}, tuple(kinds)))
        got = hit_lines(Collector(unit, "python", text), cat)
        assert got == _reference_hit_spans(text, hits, kinds), text
