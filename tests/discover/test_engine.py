"""Engine behaviour: prefilter, single read, failure isolation, bad input (binary, non-UTF-8, huge...)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tierguard.catalog import Catalog
from tierguard.discover.engine import catalog_keywords, run_detectors
from tierguard.discover.interface import Detector, Unit
from tierguard.discover.registry import DETECTORS, select
from tierguard.errors import DiscoverError
from tierguard.model import Evidence, Location, Skipped
from tierguard.targets.directory import DirectoryResolver
from tierguard.targets.interface import FileRef
from tierguard.targets.memory import MemoryResolver

from .conftest import scan


class CountingResolver(MemoryResolver):
    def __init__(self, files: dict[str, bytes | str], fail: frozenset[str] = frozenset()) -> None:
        super().__init__(files)
        self.reads: list[tuple[str, int]] = []
        self.fail = fail

    def read_bytes(self, ref: FileRef, limit: int, offset: int = 0) -> bytes:
        self.reads.append((ref.path, limit))
        if ref.path in self.fail:
            raise PermissionError(13, "Permission denied", ref.path)
        return super().read_bytes(ref, limit, offset)


def test_keywords_come_from_the_catalog(tcat: Catalog) -> None:
    kws = catalog_keywords(tcat)

    def covered(term: str) -> bool:
        return any(k in term.lower().encode() for k in kws)

    # every host, package, import, env key and class of the catalog is covered by some keyword
    terms = [e.host for e in tcat.endpoints if "*" not in e.host] + list(tcat.env_keys) + list(tcat.classes)
    terms += [p.name for p in tcat.packages] + [i for p in tcat.packages for i in p.imports]
    assert all(covered(t) for t in terms), [t for t in terms if not covered(t)]
    assert {b"dashscope", b"qwen", b"baai", b"deepseek-ai", b"deepseek_api_key"} <= set(kws)
    assert b"qwen2.5" not in kws  # covered by the shorter b"qwen" (HF organisation)
    # generic short stems never become keywords (they would make the prefilter useless)
    assert not {b"yi", b"yi-", b"max", b"step", b"spark", b"glm"} & set(kws)


def test_files_matching_no_glob_are_not_read(tcat: Catalog) -> None:
    r = CountingResolver({"a.py": "import dashscope\n", "image.png": b"\x89PNG deepseek", "data.bin": b"x"})
    out = run_detectors(r, DETECTORS, tcat)
    assert [p for p, _ in r.reads] == ["a.py"]
    assert out.files_seen == 3 and out.files_parsed == 1
    assert out.bytes_read == len("import dashscope\n")


def test_each_file_is_read_once_bounded_by_size(tcat: Catalog) -> None:
    content = "RUN pip install dashscope\nENV DASHSCOPE_API_KEY=x\n"
    r = CountingResolver({"Dockerfile": content})
    run_detectors(r, DETECTORS, tcat)
    assert r.reads == [("Dockerfile", len(content))]


def test_prefilter_skips_parse(tcat: Catalog) -> None:
    calls: list[str] = []

    def parse(unit: Unit, cat: Catalog) -> list[Evidence]:
        calls.append(unit.ref.path)
        return []

    det = Detector(name="t", globs=("*.txt",), parse=parse, keywords=(b"needle",), catalog_keywords=False)
    run_detectors(MemoryResolver({"a.txt": "hay", "b.txt": "a NEEDLE here"}), [det], tcat)
    assert calls == ["b.txt"]


def test_detector_error_is_isolated_and_strict_reraises(tcat: Catalog) -> None:
    def boom(unit: Unit, cat: Catalog) -> list[Evidence]:
        raise ValueError("bad parser")

    def ok(unit: Unit, cat: Catalog) -> list[Evidence]:
        return [
            Evidence(
                detector="ok", kind="mention", value="x", strength="C", location=Location(path=unit.ref.path)
            )
        ]

    dets = [
        Detector(name="boom", globs=("*.txt",), parse=boom, catalog_keywords=False),
        Detector(name="ok", globs=("*.txt",), parse=ok, catalog_keywords=False),
    ]
    r = MemoryResolver({"a.txt": "1", "b.txt": "2"})
    out = run_detectors(r, dets, tcat)
    assert [(s.path, s.reason) for s in out.skipped] == [
        ("a.txt", "detector-error: boom"),
        ("b.txt", "detector-error: boom"),
    ]
    assert [e.location.path for e in out.evidence] == ["a.txt", "b.txt"]
    with pytest.raises(DiscoverError, match="boom failed on a.txt"):
        run_detectors(r, dets, tcat, strict=True)


def test_binary_file_is_skipped_for_text_detectors(tcat: Catalog) -> None:
    out = scan({"weights.py": b"\x00\x00import dashscope\n", "ok.py": "import dashscope\n"}, tcat)
    assert [(s.path, s.reason) for s in out.skipped] == [("weights.py", "binary")]
    assert [e.location.path for e in out.evidence] == ["ok.py"]


def test_non_utf8_file_is_decoded_with_replacement(tcat: Catalog) -> None:
    data = "# caf\xe9\n".encode("latin-1") + b'c = OpenAI(base_url="https://api.deepseek.com")\n'
    out = scan({"legacy.py": data}, tcat)
    assert [(s.path, s.reason) for s in out.skipped] == [("legacy.py", "non-utf8")]
    assert [(e.kind, e.value, e.location.line) for e in out.evidence] == [("endpoint", "api.deepseek.com", 2)]


def test_huge_single_line_file_is_read_bounded(tcat: Catalog, tmp_path: Path) -> None:
    big = tmp_path / "bundle.json"
    with open(big, "wb") as fh:
        fh.write(b'{"model": "deepseek-chat", "pad": "')
        fh.write(b"a" * (20 * 1024 * 1024))
        fh.write(b'"}')
    r = DirectoryResolver(tmp_path)
    out = run_detectors(r, DETECTORS, tcat)
    assert out.bytes_read == 4 * 1024 * 1024
    assert [(s.path, s.reason) for s in out.skipped] == [("bundle.json", "truncated")]
    (ev,) = out.evidence
    assert (ev.value, ev.location.line) == ("deepseek-chat", 1) and len(ev.excerpt) <= 200


def test_minified_js_by_long_line(tcat: Catalog) -> None:
    line = "var a=1;" * 1000 + 'fetch("https://api.deepseek.com")'
    out = scan({"bundle.js": line, "app.js": 'fetch("https://api.deepseek.com")\n'}, tcat)
    assert [(s.path, s.reason) for s in out.skipped] == [("bundle.js", "minified")]
    assert [e.location.path for e in out.evidence] == ["app.js"]


def test_unreadable_file_is_recorded(tcat: Catalog) -> None:
    r = CountingResolver(
        {"secret.py": "import dashscope\n", "ok.py": "import dashscope\n"}, fail=frozenset({"secret.py"})
    )
    out = run_detectors(r, DETECTORS, tcat)
    assert [(s.path, s.reason) for s in out.skipped] == [("secret.py", "permission-denied")]
    assert [e.location.path for e in out.evidence] == ["ok.py"]


def test_resolver_skips_are_included(tcat: Catalog) -> None:
    class R(MemoryResolver):
        def skipped(self) -> list[Skipped]:
            return [Skipped(path="x", reason="symlink-loop")]

        def files(self) -> Iterator[FileRef]:
            yield from super().files()

    out = run_detectors(R({"a.py": "x = 1\n"}), DETECTORS, tcat)
    assert [(s.path, s.reason) for s in out.skipped] == [("x", "symlink-loop")]


def test_on_file_callback_sees_every_file(tcat: Catalog) -> None:
    seen: list[str] = []
    scan({"a.py": "1", "b.txt": "2"}, tcat, on_file=lambda ref: seen.append(ref.path))
    assert seen == ["a.py", "b.txt"]


def test_registry_select_by_tag() -> None:
    names = {d.name for d in select(["manifest"])}
    assert names == {"manifest", "jvm-manifest"}
    assert {d.name for d in select(["code"])} == {"python", "javascript", "go", "java"}
    assert select(None) == DETECTORS
    assert len({d.name for d in DETECTORS}) == len(DETECTORS)


def test_keyword_search_regex_fallback_agrees() -> None:
    from tierguard.discover.keywords import KeywordSearch

    ks = KeywordSearch(["deepseek", "deepseek-ai", "qwen", "a.b"])
    fallback = KeywordSearch(["deepseek", "deepseek-ai", "qwen", "a.b"])
    fallback._ac = None
    fallback._ac_bytes = None
    text = "x deepseek-ai/y qwen2 axb a.b"
    assert [text[a:b] for a, b in fallback.spans(text)] == ["deepseek-ai", "qwen", "a.b"]
    assert {text[a:b] for a, b in ks.spans(text)} <= {"deepseek", "deepseek-ai", "qwen", "a.b"}
    assert len(ks.spans(text)) == 3
    for k in (ks, fallback):
        assert k.hit_bytes(b"..qwen..") and not k.hit_bytes(b"nothing here axb")


def test_trigger_windows_cover_trigger_lines_and_the_next_line() -> None:
    from tierguard.discover.common import trigger_windows

    text = "a = 1\nclient(model=\n  'deepseek-chat')\nb = 2\nc = 3\nmodel_x = 'qwen-max'\n"
    spans = trigger_windows(text.lower(), ("model",))
    covered = "".join(text[lo:hi] for lo, hi in spans)
    assert "client(model=\n  'deepseek-chat')" in covered
    assert "model_x = 'qwen-max'" in covered
    assert "a = 1" not in covered
    assert trigger_windows("nothing here", ("model",)) == []


def _keys(out: object) -> set[tuple[str, str, str, str, int | None, str]]:
    evidence: list[Evidence] = out.evidence  # type: ignore[attr-defined]
    return {
        (e.detector, e.kind, e.value, e.location.path, e.location.line, repr(sorted(e.attributes.items())))
        for e in evidence
    }


def test_prefilter_positions_give_the_same_evidence_as_searching_the_text(
    tcat: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine's one-pass prefilter hands keyword and trigger positions to the detectors; the result
    must equal what the detectors find by searching the text themselves (the no-ahocorasick path)."""
    from tierguard.discover import engine

    estate = Path(__file__).resolve().parents[2] / "examples" / "estate"
    fast = run_detectors(DirectoryResolver(estate, include_ignored=True), DETECTORS, tcat)
    monkeypatch.setattr(engine, "HAVE_AHOCORASICK", False)
    slow = run_detectors(DirectoryResolver(estate, include_ignored=True), DETECTORS, tcat)
    assert len(fast.evidence) > 20
    assert _keys(fast) == _keys(slow)
    assert fast.files_parsed == slow.files_parsed


def test_units_get_prefilter_positions_only_when_ascii(tcat: Catalog) -> None:
    seen: dict[str, Unit] = {}

    def parse(unit: Unit, cat: Catalog) -> list[Evidence]:
        seen[unit.ref.path] = unit
        return []

    det = Detector(name="spy", globs=("*.py",), parse=parse)
    files: dict[str, bytes | str] = {
        "a.py": "x = 'api.deepseek.com'\nmodel = 1\n",
        "b.py": "é api.deepseek.com",
    }
    run_detectors(MemoryResolver(files), [det], tcat)
    hits = seen["a.py"].hits
    assert hits is not None
    text = seen["a.py"].text
    assert {text[a:b] for a, b in hits.keyword_spans} & {k.decode() for k in catalog_keywords(tcat)}
    assert all(a < text.index("\n") for a, _b in hits.keyword_spans)
    assert [text[i : i + 5] for i in hits.triggers["model"]] == ["model"]
    assert seen["b.py"].hits is None  # non-ASCII: byte and character offsets differ; detectors search


def test_capital_dotted_i_does_not_shift_offsets(tcat: Catalog) -> None:
    """'İ'.lower() is two characters; offsets found in the lower-cased text must still index the text."""
    from tierguard.discover.common import lower_same_length

    assert lower_same_length("İSTANBUL x") == "istanbul x"
    src = "# İİİİİİİİ İstanbul office\n" * 50 + "client = OpenAI(base_url='https://api.deepseek.com')\n"
    out = scan({"app.py": src}, tcat)
    eps = [e for e in out.evidence if e.kind == "endpoint"]
    assert [(e.value, e.location.line) for e in eps] == [("api.deepseek.com", 51)]
    assert "api.deepseek.com" in eps[0].excerpt


def test_selection_by_path_glob_is_per_path_not_per_name(tcat: Catalog) -> None:
    """Selection is cached by file name; a path glob (docs detector: ``**/docs/*.txt``) must still decide
    per path: the same name inside and outside a docs/ directory."""
    url = "see https://api.deepseek.com/v1\n"
    r = CountingResolver(
        {"docs/setup.txt": url, "data/setup.txt": url, "docs/more/setup.txt": url, "x/docs/setup.txt": url}
    )
    out = run_detectors(r, DETECTORS, tcat)
    wanted = ["docs/more/setup.txt", "docs/setup.txt", "x/docs/setup.txt"]  # fnmatch's "*" spans "/"
    assert sorted(p for p, _ in r.reads) == wanted
    assert sorted({e.location.path for e in out.evidence}) == wanted


def test_cached_selection_equals_evaluating_every_glob(tcat: Catalog) -> None:
    """The name cache, the suffix fast path and the path-glob check select exactly what evaluating every
    detector's globs and excludes on each path selects."""
    import fnmatch as fm

    from tierguard.discover.engine import _Plan

    def brute(path: str) -> tuple[int, ...]:
        lp = path.lower()
        name = lp.rsplit("/", 1)[-1]

        def hit(globs: tuple[str, ...]) -> bool:
            for g in globs:
                g = g.lower()
                if "/" in g:
                    if fm.fnmatchcase(lp, g) or (g.startswith("**/") and fm.fnmatchcase(lp, g[3:])):
                        return True
                elif fm.fnmatchcase(name, g):
                    return True
            return False

        return tuple(i for i, d in enumerate(DETECTORS) if hit(d.globs) and not hit(d.exclude))

    names = [
        "a.py", "A.PY", "x.pyi", ".env", "prod.env", ".env.local", "x.env.example", "env.example", ".envrc",
        "Dockerfile", "dockerfile.dev", "api.dockerfile", "Containerfile", "compose.yaml", "pnpm-lock.yaml",
        "package.json", "package-lock.json", "x.json", "n.ipynb", "pyproject.toml", "cfg.toml", "Modelfile",
        "x.modelfile", "Modelfile.q4", "README.md", "notes.txt", "requirements.txt", "requirements-dev.txt",
        "LICENSE.md", "license.rst", "go.mod", "go.sum", "x.go", "Makefile", "run.sh", "app.min.js", "a.d.ts",
        "a.ts", "yarn.lock", "Cargo.toml", "pom.xml", "build.gradle", "Pipfile", "Pipfile.lock", "uv.lock",
        "poetry.lock", "setup.py", "setup.cfg", "environment.yml", "x.tar.gz", "noext", ".hidden", "a.b.c.md",
    ]
    paths = [p for n in names for p in (n, f"docs/{n}", f"src/docs/{n}", f"pkg/sub/{n}")]
    plan = _Plan(DETECTORS, tcat)
    for _ in range(2):  # cold, then from the cache
        for p in paths:
            assert plan.select(FileRef(path=p, size=1)) == brute(p), p


def test_line_numbers_in_any_lookup_order() -> None:
    """Lines counts on from the previous lookup and builds an index after repeated backward lookups; every
    order gives the same line numbers, excerpts and line texts."""
    import random

    from tierguard.discover.common import Lines

    text = "".join(f"line {i} {'x' * (i % 7)}\n" for i in range(300)) + "last line without newline"
    expected = {pos: text.count("\n", 0, pos) + 1 for pos in range(0, len(text), 7)}
    positions = list(expected)
    for order in (positions, positions[::-1], random.Random(4).sample(positions, len(positions))):
        lines = Lines(text)
        assert [lines.line(p) for p in order] == [expected[p] for p in order]
    lines = Lines(text)
    pos = text.index("line 42 ")
    assert lines.excerpt(pos + 3) == text.splitlines()[42].strip()
    assert lines.line_text(len(text) - 1) == "last line without newline"
    assert lines.line(0) == 1 and lines.line(len(text) - 1) == 301


def test_hyperscan_and_ahocorasick_prefilters_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Hyperscan pass (original bytes, ASCII-caseless) and the Aho-Corasick pass (lower-cased bytes)
    report the same (word, start, end) occurrences, overlapping ones included, and the same gate answer."""
    if not platform_has_hyperscan():
        pytest.skip("hyperscan is not installed or cannot run on this CPU (Aho-Corasick is used instead)")
    from tierguard.discover.keywords import Prefilter

    gate = ["deepseek", "deepseek-ai", "qwen", "model"]
    cat = ["deepseek", "qwen", "api.deepseek.com", "moonshot"]
    fast = Prefilter(gate, cat)
    monkeypatch.setenv("TIERGUARD_NO_HYPERSCAN", "1")
    slow = Prefilter(gate, cat)
    assert (fast.engine, slow.engine) == ("hyperscan", "ahocorasick-rs")
    samples = [
        b"",
        b"nothing to see",
        b"client = OpenAI(base_url='https://API.DeepSeek.com/v1', model='DeepSeek-AI/x')\n",
        b"qwenqwen QWEN-max \xc3\xa9 moonshot\x00 MODEL=deepseek-ai",
        b"x" * 10_000 + b"Pretrained llm( -hf ",
    ]
    for data in samples:
        a_pass, a = fast.scan(data)
        b_pass, b = slow.scan(data)
        assert a_pass == b_pass
        assert sorted(a) == sorted(b), data[:40]
        assert fast.hits(a) == slow.hits(b)


def platform_has_hyperscan() -> bool:
    from tierguard.discover.keywords import _hyperscan_db

    return _hyperscan_db(["x"]) is not None
