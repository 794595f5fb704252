"""Speed work must not change evidence: the shortcuts of the discover core (keyword kinds gating the hit-line
regexes, lazy lower-casing, chunked lexing) against the plain computation they replace."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tierguard.catalog import Catalog, load_catalog
from tierguard.discover import keywords
from tierguard.discover.engine import run_detectors
from tierguard.discover.interface import DiscoverOutput
from tierguard.discover.keywords import (
    CAT_ALL,
    Prefilter,
    UnitHits,
    _names_by_kind,
    catalog_keywords,
    keyword_kinds,
)
from tierguard.discover.registry import DETECTORS
from tierguard.targets.directory import DirectoryResolver
from tierguard.targets.memory import MemoryResolver

ROOT = Path(__file__).resolve().parents[2]

_LONG = "x" * 4500
# Keywords of different kinds on shared and separate lines, in long lines (windows cut at 2,000 characters),
# next to each other inside one token, in URLs, comments, strings, lists and imports.
FILES: dict[str, str] = {
    "app.py": (
        "import os\nfrom dashscope import Generation\nimport openai, zhipuai\n"
        "# see https://api.deepseek.com/v1 and DASHSCOPE_API_KEY\n"
        "key = os.environ['DEEPSEEK_API_KEY']  # qwen-max\n"
        f"blob = '{_LONG} https://api.moonshot.cn/v1 {_LONG} MOONSHOT_API_KEY {_LONG}'\n"
        "client = OpenAI(base_url='https://dashscope.aliyuncs.com/compatible-mode/v1', model='qwen-max')\n"
        "headers = {'X-DashScope-SSE': 'enable'}\nurl = base + '/api/paas/v4/chat/completions'\n"
        "llm = ChatTongyi(model='qwen-turbo')\nMODELS = ['deepseek-chat', 'glm-4', 'moonshot-v1-8k']\n"
        "emb = DashScopeEmbeddings()\nx = 'api.deepseek.comDEEPSEEK_API_KEYdashscope'\n"
    ),
    "web.ts": (
        "import OpenAI from 'openai';\nconst c = new OpenAI({ baseURL: 'https://api.deepseek.com' });\n"
        "const k = process.env.DEEPSEEK_API_KEY; // qwen\nconst m = { model: 'deepseek-reasoner' };\n"
        f"const s = `{_LONG}https://open.bigmodel.cn/api/paas/v4/{_LONG}ZHIPUAI_API_KEY`;\n"
    ),
    "cfg.json": (
        '{"base_url": "https://api.deepseek.com", "model": "deepseek-chat", "env": "DASHSCOPE_API_KEY"}'
    ),
    "cfg.yaml": "model: qwen-max\nbase_url: https://dashscope.aliyuncs.com/compatible-mode/v1\n"
    "env:\n  - DEEPSEEK_API_KEY\n",
    "README.md": "Use `DeepSeek-R1` via https://api.deepseek.com or Qwen/Qwen2.5-7B.\n",
}


def _keys(out: DiscoverOutput) -> list[tuple[object, ...]]:
    return sorted(
        (
            e.detector,
            e.kind,
            e.value,
            e.strength,
            e.location.path,
            e.location.line,
            e.excerpt,
            sorted(e.refs.items()),
            sorted(e.attributes.items()),
        )
        for e in out.evidence
    )


@pytest.mark.parametrize("which", ["test", "packaged"])
def test_every_catalog_name_holds_a_keyword_of_its_kind(tcat: Catalog, which: str) -> None:
    """What makes the kind gating exact: each host, signature, env key, class and import name contains a
    prefilter keyword marked with the name's kind (so a match naming it lies on a span holding that kind)."""
    cat = tcat if which == "test" else load_catalog()
    kws = [k.decode() for k in catalog_keywords(cat)]
    kinds = keyword_kinds(cat)
    assert set(kinds) == set(kws)
    for kind, names in _names_by_kind(cat).items():
        for name in names:
            if len(name) >= 3:
                assert any(k in name and kinds[k] & kind for k in kws), (kind, name)


def test_keyword_kinds_are_the_kinds_of_the_names_holding_them(tcat: Catalog) -> None:
    kinds = keyword_kinds(tcat)
    assert kinds["dashscope"] & keywords.CAT_IMPORT and kinds["dashscope"] & keywords.CAT_HOST
    assert kinds["deepseek_api_key"] == keywords.CAT_ENV
    assert not kinds["qwen"] & (keywords.CAT_ENV | keywords.CAT_CLASS)  # an HF organisation / family prefix


def _without_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every keyword span of kind "all": each hit-line regex runs on every span, as before the gating."""
    real = Prefilter.hits

    def hits(self: Prefilter, matches: list[tuple[int, int, int]]) -> UnitHits:
        h = real(self, matches)
        return UnitHits(h.keyword_spans, h.triggers, (CAT_ALL,) * len(h.keyword_spans))

    monkeypatch.setattr(Prefilter, "hits", hits)


def test_kind_gated_hit_lines_give_the_evidence_of_every_hit_line(
    tcat: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = run_detectors(MemoryResolver(dict(FILES)), DETECTORS, tcat)
    _without_kinds(monkeypatch)
    slow = run_detectors(MemoryResolver(dict(FILES)), DETECTORS, tcat)
    assert len(fast.evidence) > 25
    assert {"endpoint", "env-key", "sdk-import", "framework-class", "model-ref"} <= {
        e.kind for e in fast.evidence
    }
    assert _keys(fast) == _keys(slow)


@pytest.mark.parametrize("target", ["examples/estate", "tests/discover/data"])
def test_kind_gated_hit_lines_on_the_estate(
    tcat: Catalog, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    cat = load_catalog()
    fast = run_detectors(DirectoryResolver(ROOT / target, include_ignored=True), DETECTORS, cat)
    _without_kinds(monkeypatch)
    slow = run_detectors(DirectoryResolver(ROOT / target, include_ignored=True), DETECTORS, cat)
    assert fast.evidence
    assert _keys(fast) == _keys(slow)


def test_a_kind_searches_only_the_spans_holding_a_keyword_of_that_kind(tcat: Catalog) -> None:
    from tierguard.discover.common import Collector, hit_matches
    from tierguard.discover.interface import Detector, Unit

    seen: list[Unit] = []

    def spy(unit: Unit, cat: Catalog) -> list[object]:
        seen.append(unit)
        return []

    text = "m = 'qwen-max'\n\nk = DEEPSEEK_API_KEY\n\nu = 'https://api.deepseek.com'\n"
    run_detectors(MemoryResolver({"a.py": text}), [Detector(name="spy", globs=("*.py",), parse=spy)], tcat)
    c = Collector(seen[0], "python", seen[0].text)
    every_line = re.compile(r"[^\n]+")
    assert [m.group(0) for m in hit_matches(c, tcat, every_line)] == [ln for ln in text.split("\n") if ln]
    assert [m.group(0) for m in hit_matches(c, tcat, every_line, keywords.CAT_ENV)] == [
        "k = DEEPSEEK_API_KEY"
    ]
    assert [m.group(0) for m in hit_matches(c, tcat, every_line, keywords.CAT_CLASS)] == []


# The lexers as they were before the speed work (backtracking quantifiers, lazy ``.*?``), as the reference.
_REFERENCE_LEXERS = {
    "python": re.compile(
        r"""(?=[#"'])(?P<c>\#[^\n]*)"""
        r'''|(?P<s>"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""'''
        r"""|'''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''"""
        r"""|"[^"\\\n]*(?:\\.[^"\\\n]*)*"|'[^'\\\n]*(?:\\.[^'\\\n]*)*')""",
        re.S,
    ),
    "c": re.compile(
        r"""(?=[/"'`])(?P<c>//[^\n]*|/\*.*?\*/)"""
        r'''|(?P<s>"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""'''
        r"""|"[^"\\\n]*(?:\\.[^"\\\n]*)*"|'[^'\\\n]*(?:\\.[^'\\\n]*)*'|`[^`\\]*(?:\\.[^`\\]*)*`)""",
        re.S,
    ),
    "hash": re.compile(
        r"""(?=[#"'])(?P<c>(?:(?<=[\s;])|^)\#[^\n]*)|(?P<s>"[^"\\\n]*(?:\\.[^"\\\n]*)*"|'[^'\n]*')""", re.M
    ),
}


def _reference_tokens(text: str, lexer: str) -> list[tuple[int, int, str]]:
    """Every comment/string token of ``text``, from the match groups (the plain, whole-text lexing)."""
    rx = _REFERENCE_LEXERS[lexer]
    return [(m.start(), m.end(), "c" if m.lastgroup == "c" else "s") for m in rx.finditer(text)]


def _lexer_samples() -> list[tuple[str, str]]:
    import random

    rnd = random.Random(15)
    alphabet = [*"#/*'\"`\\\n ;x=(", "'''", '"""', "//", "/*", "*/", "**", "\\\n"]
    noise = ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 400))) for _ in range(150)]
    sources = sorted((ROOT / "src" / "tierguard" / "discover").rglob("*.py"))[:12]
    samples = [(p.read_text(), "python") for p in sources]
    samples += [(FILES["web.ts"], "c"), (FILES["cfg.json"], "c"), (FILES["cfg.yaml"], "hash")]
    samples += [(t, lexer) for t in noise for lexer in ("python", "c", "hash")]
    big = 'x = """\n' + '{"a": "b", "c": "\\"d"},\n' * 2000 + "\"\"\"\n# end\n/* c **/ `t` '''u'''\n"
    samples += [(big, lexer) for lexer in ("python", "c", "hash")] + [(big[:-30], "python")]
    return samples


def test_chunked_lexing_answers_as_lexing_the_whole_text() -> None:
    """SyntaxMap lexes lazily, a growing chunk of tokens at a time, and reads a token's kind from its first
    character: span/spans/where equal the whole-text lexing with match groups, in any order of questions."""
    import bisect
    import random

    from tierguard.discover.syntax import SyntaxMap

    rnd = random.Random(4)
    for text, lexer in _lexer_samples():
        tokens = _reference_tokens(text, lexer)

        starts = [t[0] for t in tokens]

        def span(pos: int) -> tuple[int, int, str] | None:
            i = bisect.bisect_right(starts, pos) - 1  # noqa: B023
            return tokens[i] if i >= 0 and pos < tokens[i][1] else None  # noqa: B023

        full = SyntaxMap(text, lexer)
        full.spans(0, len(text) + 1)  # lexed to the end before any question
        positions = list(range(0, len(text), max(1, len(text) // 300)))
        for order in (positions, positions[::-1], rnd.sample(positions, len(positions))):
            lazy = SyntaxMap(text, lexer)
            assert [lazy.span(p) for p in order] == [span(p) for p in order], (lexer, text[:80])
        lazy = SyntaxMap(text, lexer)
        assert [full.where(p) for p in positions[::-1]] == [lazy.where(p) for p in positions[::-1]]
        for lo, hi in [(0, len(text)), (len(text) // 3, len(text) // 2), (5, 6)]:
            want = [t for t in tokens if lo <= t[0] < hi]
            assert SyntaxMap(text, lexer).spans(lo, hi) == want


def test_every_context_match_holds_its_gate_literal() -> None:
    """A trigger window is searched with a context regex only when it holds the context's gate literal
    (``_CONTEXT_GATES``): every match of the regex must contain one."""
    import random

    from tierguard.discover.common import _CONTEXT_GATES, MODEL_CONTEXTS

    rnd = random.Random(9)

    def pick(*xs: str) -> str:
        return rnd.choice(xs)

    texts = [*FILES.values(), "ChatModel('glm-4', x)", "llm ( \n 'qwen-max' )", "a.getModel<X>(`m-1`,"]
    for _ in range(3000):  # call-like shapes with random spacing, generics, quotes and junk around them
        callee = pick("", "x.", "$a.", "new ") + pick("model", "Model", "getLlm", "ChatX", "llmChat", "foo")
        text = callee + pick("", "<T>", " <A, B> ") + pick("", " ", "\n", "\t ") + "(" + pick("", " ", "\n  ")
        text += pick("'", '"', "`", "") + pick("qwen-max", "a", "x y", "glm-4") + pick("'", '"', "`", "")
        texts.append(pick("", "z = ", "(", "#") + text + pick(" ,", ")", "", "\n)"))
    contexts = {ctx: rx for rx, ctx, _mode in MODEL_CONTEXTS}
    checked = 0
    for ctx, gate in _CONTEXT_GATES.items():
        for text in texts:
            for mo in contexts[ctx].finditer(text):
                checked += 1
                assert gate.search(mo.group(0)) is not None, (ctx, mo.group(0))
    assert checked > 100


def test_line_windows_equal_the_whole_line_cut_to_2000_characters() -> None:
    """hit_lines looks for line breaks at most 2,000 characters from a token: the same window as finding
    the whole line and then cutting it, for short lines, long lines and text without a line break."""
    import random

    from tierguard.discover.hitlines import line_window

    rnd = random.Random(3)
    for _ in range(4000):
        p_newline = rnd.choice([0.0, 0.0002, 0.001, 0.05, 0.3])
        text = "".join("\n" if rnd.random() < p_newline else "x" for _ in range(rnd.randint(1, 7000)))
        n = len(text)
        a = rnd.randint(0, n)
        b = rnd.randint(a, min(n, a + 300))
        ls = text.rfind("\n", 0, a) + 1
        le = text.find("\n", b)
        whole = (max(ls, a - 2000), min(n if le < 0 else le, b + 2000))
        assert line_window(text, a, b, n) == whole, (p_newline, n, a, b)


def test_line_texts_and_excerpts_equal_searching_each_line() -> None:
    """Lines keeps the last line looked up; excerpts and line texts equal finding the line for each lookup,
    in any order, on short lines, a long line and a text without a final line break."""
    import random

    from tierguard.discover.text import MAX_EXCERPT, Lines

    def plain(text: str, pos: int) -> tuple[str, str]:
        start = text.rfind("\n", 0, pos) + 1
        end = text.find("\n", start)
        line_text = text[start : end if end >= 0 else min(len(text), start + 2000)][:2000]
        end = len(text) if end < 0 else end
        if end - start > MAX_EXCERPT * 4:
            lo = max(start, pos - MAX_EXCERPT // 2)
            return text[lo : lo + MAX_EXCERPT].strip(), line_text
        return text[start:end].strip()[:MAX_EXCERPT], line_text

    rnd = random.Random(8)
    texts = ["a b\n" * 50, "x" * 9000 + "\nshort\n" + "y " * 3000, "\n\n\nz", "no line break at all " * 200]
    for text in texts:
        positions = [rnd.randrange(len(text)) for _ in range(400)] + [0, len(text) - 1, text.find("\n")]
        positions += sorted(positions)
        lines = Lines(text)
        assert [(lines.excerpt(p), lines.line_text(p)) for p in positions] == [
            plain(text, p) for p in positions
        ]
