"""The house rules, checked on the source text: every module under ``src/tierguard`` is parsed with ``ast``;
nothing is imported or executed.

(a) **Imports point one way along the pipeline.** ``LAYERS`` lists the top-level packages/modules of
    ``tierguard``, lowest first. A module may import from its own top-level package and from lower layers
    only; two packages in the same layer may not import each other. Every import counts: module level,
    inside functions (lazy imports run too), ``importlib.import_module("tierguard....")`` with a literal
    prefix, and imports under ``if TYPE_CHECKING:`` (a type borrowed from a higher layer is still a
    dependency on it, so typing-only imports are *not* exempt from the layer rule).
    A package's ``__main__`` module (``python -m tierguard.inspect``) is an entry point and sits in the top
    layer with ``tierguard/__main__.py``. ``KNOWN_VIOLATIONS`` is a shrinking allowlist: an entry that no
    longer occurs fails the test, so it is removed as soon as the import is fixed.
(b) **No import cycles between modules** (Tarjan's strongly connected components over the module graph).
    Imports under ``TYPE_CHECKING`` *are* exempt here: they never run, and two modules naming each other's
    types is the reason ``TYPE_CHECKING`` exists. Function-level imports count (a lazy import that closes
    a cycle is a cycle postponed). ``from pkg.sub import X`` is an edge to ``pkg.sub`` only: Python has
    already initialised ``pkg`` before any of its submodules runs.
(c) **Size.** No module over ``MAX_MODULE_LINES`` lines and no function over ``MAX_FUNCTION_LINES`` lines
    (``def`` line to last line, nested functions included in their parent), unless it says why with a
    *size marker*: a line ``size: <reason>`` in the docstring, or a comment line ``# size: <reason>`` —
    for a module among the comment lines before its first statement, for a function among the comment
    lines directly above its ``def`` (or its decorators). An empty reason is not a marker.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
ROOT_PACKAGE = "tierguard"

# Lowest first. The root package (``tierguard/__init__.py``, version only) is below everything.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "model"),
    ("formats",),  # one bounded reader per file format
    ("catalog",),
    ("targets",),
    # installed-app inventories (osquery app tables, MDM exports, this host) and the app catalog, which
    # the network-egress matcher above reads its consumer hosts from
    ("apps",),
    # equipment identification (catalog of vendor ids, local probe) below the readers of exported
    # inventories (osquery, CMDB, SNMP) that use it
    ("equipment",),
    ("inventories",),
    ("egress",),  # network logs (DNS, proxy, TLS) -> usages of AI services (needs catalog and model only)
    ("cloud",),  # cloud AI inventories (AWS/Azure/GCP exports, live read-only AWS) -> model/service usages
    ("discover",),
    ("identify",),
    ("inspect",),
    ("policy",),
    ("report",),
    # recorded scans (SQLAlchemy + Alembic) and the behavioural audit of a served model: both consume and
    # produce ScanResults, neither runs the scanner
    ("store", "audit"),
    # fleet inputs for the scanner: routes app inventories and network logs to their readers
    ("fleet",),
    ("scanner",),
    # many targets: the estate file, serial / process-pool / Ray executors, recording through the store
    ("execute",),
    # the HTTP API and dashboard: reads the store, starts scans of configured targets through execute
    ("service",),
    ("cli",),
    # the entry point, and the typing-only proof that implementations satisfy their stage Protocols
    ("__main__", "conformance"),
)

# (importing module, imported module) pairs known to break the layer rule, each with who fixes it.
# Shrinking only: an entry that no longer occurs fails ``test_known_violations_still_exist``.
KNOWN_VIOLATIONS: frozenset[tuple[str, str]] = frozenset()

# Sets of modules allowed to form one import cycle. Empty: there is no excuse for a cycle.
KNOWN_CYCLES: frozenset[frozenset[str]] = frozenset()

# Modules ("pkg.mod") and functions ("pkg.mod:name") allowed over the size limits without a marker. Empty:
# split a long function, or say why it is long with a size marker. Shrinking only, like KNOWN_VIOLATIONS: an
# entry that is no longer too long fails ``test_known_oversize_still_exist``.
KNOWN_OVERSIZE: frozenset[str] = frozenset()

MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80

_MARKER = re.compile(r"^\s*(?:#\s*)?size:\s*\S")
_COMMENT_MARKER = re.compile(r"^\s*#\s*size:\s*\S")


# ---------------------------------------------------------------------------------------------------------
# The import graph


@dataclass(frozen=True, slots=True)
class Source:
    name: str  # dotted module name ("tierguard.targets.archive"; a package's __init__ is "tierguard.targets")
    text: str
    is_package: bool = False
    path: str = ""  # for messages


@dataclass(frozen=True, slots=True)
class Edge:
    src: str
    dst: str
    line: int
    typing_only: bool = False  # under ``if TYPE_CHECKING:``
    dynamic: bool = False  # importlib.import_module with a literal prefix (dst is that prefix)


def load_sources(src_root: Path = SRC, package: str = ROOT_PACKAGE) -> list[Source]:
    out = []
    for path in sorted((src_root / package).rglob("*.py")):
        rel = path.relative_to(src_root).with_suffix("")
        parts = list(rel.parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        out.append(Source(".".join(parts), path.read_text(encoding="utf-8"), is_package, str(path)))
    return out


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _resolve_relative(src: Source, module: str | None, level: int) -> str:
    base = src.name.split(".")
    if not src.is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def _literal_prefix(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value.rsplit(".", 1)[0] if not first.value.endswith(".") else first.value[:-1]
    return None


class _Collector(ast.NodeVisitor):
    def __init__(self, src: Source, modules: frozenset[str]) -> None:
        self.src = src
        self.modules = modules
        self.edges: list[Edge] = []
        self._typing = 0

    def _add(self, dst: str, node: ast.AST, dynamic: bool = False) -> None:
        if dst == ROOT_PACKAGE or dst.startswith(ROOT_PACKAGE + "."):
            line = getattr(node, "lineno", 0)
            self.edges.append(Edge(self.src.name, dst, line, self._typing > 0, dynamic))

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            self.visit(node.test)
            self._typing += 1
            for stmt in node.body:
                self.visit(stmt)
            self._typing -= 1
            for stmt in node.orelse:
                self.visit(stmt)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = _resolve_relative(self.src, node.module, node.level) if node.level else (node.module or "")
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            self._add(sub if sub in self.modules else base, node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name == "import_module" and node.args:
            prefix = _literal_prefix(node.args[0])
            if prefix:
                self._add(prefix, node, dynamic=True)
        self.generic_visit(node)


def import_edges(sources: Iterable[Source]) -> list[Edge]:
    sources = list(sources)
    modules = frozenset(s.name for s in sources)
    edges: list[Edge] = []
    for src in sources:
        collector = _Collector(src, modules)
        collector.visit(ast.parse(src.text, filename=src.path or src.name))
        edges.extend(collector.edges)
    return edges


# ---------------------------------------------------------------------------------------------------------
# (a) layers


def _component(module: str) -> str | None:
    """``tierguard.targets.archive`` -> ``targets``; the root package -> None (below every layer); any
    ``__main__`` module (``python -m tierguard.inspect``) is an entry point, in the ``__main__`` layer."""
    parts = module.split(".")
    if parts[-1] == "__main__":
        return "__main__"
    return parts[1] if len(parts) > 1 else None


def _ranks(layers: tuple[tuple[str, ...], ...]) -> dict[str, int]:
    return {name: i for i, layer in enumerate(layers) for name in layer}


def layer_violations(
    edges: Iterable[Edge], layers: tuple[tuple[str, ...], ...] = LAYERS
) -> list[tuple[Edge, str]]:
    """Each edge that imports upwards or sideways, with a one-line explanation."""
    rank = _ranks(layers)
    out = []
    for e in edges:
        a, b = _component(e.src), _component(e.dst)
        if b is None or a == b:
            continue
        if a is None:
            out.append((e, f"the root package imports {b}"))
            continue
        for c in (a, b):
            if c not in rank:
                out.append((e, f"{c!r} is not in LAYERS: give it its place in the pipeline"))
        if a in rank and b in rank and rank[b] >= rank[a]:
            where = "the same layer as" if rank[b] == rank[a] else "a higher layer than"
            out.append((e, f"{b} is {where} {a}"))
    return out


# ---------------------------------------------------------------------------------------------------------
# (b) cycles


def strongly_connected(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative. Returns the components with more than one node or a self-loop."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    succ = {n: sorted(set(vs)) for n, vs in graph.items()}
    for n in list(succ):
        for v in succ[n]:
            succ.setdefault(v, [])

    for root in sorted(succ):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = []
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        work.append((root, iter(succ[root])))
        while work:
            node, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(succ[w])))
                    advanced = True
                    break
                if w in on_stack:
                    low[node] = min(low[node], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1 or node in succ[node]:
                    out.append(sorted(comp))
    return out


def runtime_graph(edges: Iterable[Edge], modules: Iterable[str]) -> dict[str, set[str]]:
    known = set(modules)
    graph: dict[str, set[str]] = {m: set() for m in known}
    for e in edges:
        if e.typing_only or e.dynamic or e.dst not in known or e.dst == e.src:
            continue
        graph[e.src].add(e.dst)
    return graph


# ---------------------------------------------------------------------------------------------------------
# (c) sizes


def _docstring_marked(node: ast.AST) -> bool:
    if not isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return False
    doc = ast.get_docstring(node, clean=True) or ""
    return any(_MARKER.match(line) for line in doc.splitlines())


def _comments_above(lines: list[str], first_line: int) -> Iterator[str]:
    """The contiguous comment lines just above 1-based ``first_line``."""
    i = first_line - 2
    while i >= 0 and lines[i].lstrip().startswith("#"):
        yield lines[i]
        i -= 1


def _module_marked(tree: ast.Module, lines: list[str]) -> bool:
    if _docstring_marked(tree):
        return True
    first = tree.body[0].lineno if tree.body else len(lines) + 1
    return any(_COMMENT_MARKER.match(line) for line in lines[: first - 1])


def size_violations(src: Source) -> list[tuple[str, str]]:
    """(key, message) for each unmarked oversize module (key "pkg.mod") or function ("pkg.mod:name")."""
    lines = src.text.splitlines()
    tree = ast.parse(src.text, filename=src.path or src.name)
    out = []
    if len(lines) > MAX_MODULE_LINES and not _module_marked(tree, lines):
        out.append((src.name, f"{src.name}: {len(lines)} lines > {MAX_MODULE_LINES} and no size marker"))
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        if length <= MAX_FUNCTION_LINES or _docstring_marked(node):
            continue
        top = min([node.lineno] + [d.lineno for d in node.decorator_list])
        if any(_COMMENT_MARKER.match(c) for c in _comments_above(lines, top)):
            continue
        msg = f"{src.name}:{node.lineno} {node.name}(): {length} lines > {MAX_FUNCTION_LINES}"
        out.append((f"{src.name}:{node.name}", msg))
    return out


# ---------------------------------------------------------------------------------------------------------
# The tests on the real tree


@pytest.fixture(scope="module")
def sources() -> list[Source]:
    found = load_sources()
    assert len(found) > 50, f"expected the tierguard sources under {SRC}"
    return found


@pytest.fixture(scope="module")
def edges(sources: list[Source]) -> list[Edge]:
    return import_edges(sources)


def test_imports_point_one_way(edges: list[Edge]) -> None:
    bad = [
        f"{e.src}:{e.line} imports {e.dst}{' (TYPE_CHECKING)' if e.typing_only else ''}: {why}"
        for e, why in layer_violations(edges)
        if (e.src, e.dst) not in KNOWN_VIOLATIONS
    ]
    assert not bad, "backward or sideways imports:\n" + "\n".join(sorted(set(bad)))


def test_known_violations_still_exist(edges: list[Edge]) -> None:
    present = {(e.src, e.dst) for e, _ in layer_violations(edges)}
    stale = sorted(KNOWN_VIOLATIONS - present)
    assert not stale, f"fixed, remove from KNOWN_VIOLATIONS: {stale}"


def test_no_import_cycles(sources: list[Source], edges: list[Edge]) -> None:
    cycles = strongly_connected(runtime_graph(edges, (s.name for s in sources)))
    cycles = [c for c in cycles if frozenset(c) not in KNOWN_CYCLES]
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_sizes(sources: list[Source]) -> None:
    bad = [msg for src in sources for key, msg in size_violations(src) if key not in KNOWN_OVERSIZE]
    assert not bad, "too long (split it, or say why with a size marker):\n" + "\n".join(bad)


def test_known_oversize_still_exist(sources: list[Source]) -> None:
    present = {key for src in sources for key, _ in size_violations(src)}
    stale = sorted(KNOWN_OVERSIZE - present)
    assert not stale, f"now within the limits, remove from KNOWN_OVERSIZE: {stale}"


# ---------------------------------------------------------------------------------------------------------
# Tests of the checker itself, on synthetic sources


def _src(name: str, text: str, is_package: bool = False) -> Source:
    return Source(name, text, is_package)


def test_checker_flags_a_backward_import() -> None:
    srcs = [
        _src("tierguard.targets", "", True),
        _src("tierguard.targets.archive", "from tierguard.identify.formats import read\n"),
        _src("tierguard.identify", "", True),
        _src("tierguard.identify.formats", "def read(): ...\n"),
        _src("tierguard.identify.code", "from tierguard.targets.archive import x\nfrom . import formats\n"),
    ]
    found = layer_violations(import_edges(srcs))
    assert [(e.src, e.dst, e.line) for e, _ in found] == [
        ("tierguard.targets.archive", "tierguard.identify.formats", 1)
    ]


def test_checker_counts_function_level_type_checking_and_dynamic_imports() -> None:
    text = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from tierguard.scanner import Scanner\n"
        "def f():\n"
        "    from ..policy import engine\n"
        "    import importlib\n"
        "    return importlib.import_module(f'tierguard.report.{x}')\n"
    )
    srcs = [
        _src("tierguard.catalog", "", True),
        _src("tierguard.catalog.loader", text),
        _src("tierguard.policy", "", True),
        _src("tierguard.policy.engine", ""),
    ]
    edges = import_edges(srcs)
    got = {(e.dst, e.typing_only, e.dynamic) for e, _ in layer_violations(edges)}
    assert got == {
        ("tierguard.scanner", True, False),
        ("tierguard.policy.engine", False, False),
        ("tierguard.report", False, True),
    }


def test_checker_puts_package_main_modules_in_the_entry_point_layer() -> None:
    srcs = [
        _src("tierguard.inspect.__main__", "from tierguard.scanner import Scanner\n"),
        _src("tierguard.scanner", "import tierguard.inspect.__main__\n"),
    ]
    assert [why for _, why in layer_violations(import_edges(srcs))] == [
        "__main__ is a higher layer than scanner"
    ]


def test_checker_flags_sideways_and_unknown_packages() -> None:
    srcs = [
        _src("tierguard.store.db", "import tierguard.audit.app\n"),
        _src("tierguard.audit.app", ""),
        _src("tierguard.newthing", "", True),
        _src("tierguard.cli.main", "from tierguard.newthing import x\n"),
    ]
    whys = sorted(why for _, why in layer_violations(import_edges(srcs)))
    assert whys == [
        "'newthing' is not in LAYERS: give it its place in the pipeline",
        "audit is the same layer as store",
    ]


def test_checker_finds_a_cycle() -> None:
    srcs = [
        _src("tierguard.discover", "from .engine import run\n", True),
        _src("tierguard.discover.engine", "from tierguard.discover.common import c\n"),
        _src("tierguard.discover.common", "def f():\n    from tierguard.discover import run\n"),
        _src(
            "tierguard.discover.interface",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .common import c\n",
        ),
        _src("tierguard.discover.registry", "from tierguard.discover.interface import D\n"),
    ]
    srcs.append(_src("tierguard.discover.x", "from tierguard.discover.x import y\n"))  # self-import: ignored
    edges = import_edges(srcs)
    assert not layer_violations(edges)
    cycles = strongly_connected(runtime_graph(edges, (s.name for s in srcs)))
    assert cycles == [["tierguard.discover", "tierguard.discover.common", "tierguard.discover.engine"]]


def test_checker_typing_only_imports_close_no_cycle() -> None:
    srcs = [
        _src("tierguard.discover.interface", "if TYPE_CHECKING:\n    from .common import c\n"),
        _src("tierguard.discover.common", "from .interface import Unit\n"),
    ]
    assert strongly_connected(runtime_graph(import_edges(srcs), (s.name for s in srcs))) == []


def test_checker_sizes_and_markers() -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
    long_fn = f"def long():\n{body}"
    assert size_violations(_src("m", long_fn)) == [("m:long", "m:1 long(): 81 lines > 80")]
    assert size_violations(_src("m", f"# size: one table of opcodes\n@decorator\n{long_fn}")) == []
    assert (
        size_violations(_src("m", f"def long():\n    '''Doc.\n\n    size: the hot loop.\n    '''\n{body}"))
        == []
    )
    assert size_violations(_src("m", f"# size:\n{long_fn}")) != []  # an empty reason is no marker
    exact = "def ok():\n" + "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES - 1))
    assert size_violations(_src("m", exact)) == []

    big = "".join(f"x{i} = {i}\n" for i in range(MAX_MODULE_LINES + 1))
    assert size_violations(_src("m", big)) == [
        ("m", f"m: {MAX_MODULE_LINES + 1} lines > {MAX_MODULE_LINES} and no size marker")
    ]
    assert size_violations(_src("m", f'"""Mod.\n\nsize: generated table.\n"""\n{big}')) == []
    assert size_violations(_src("m", f"# size: generated table\n{big}")) == []
