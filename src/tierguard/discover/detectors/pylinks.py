"""Providers reached through another module of the same Python code base (issue 15 item 8).

A provider adaptor often holds no host or key of its own: ``bigmodel/chat/transformation.py`` calls
``get_bigmodel_url()`` from ``..common_utils``, whose module defines ``BIGMODEL_API_BASE =
"https://open.bigmodel.cn"``; a Qianfan resource reads ``DefaultValue.BaseURL`` from ``qianfan.consts``. What
can honestly be said statically: a module that imports a name whose definition holds a provider host, request
path or header, or env key (strength-A evidence of the python detector), and uses it in its code, uses that
provider. The link is followed by name, never by module: importing a logger or an exception class from the
module that also holds the host is not a link.

1. **Carriers.** In a module with such evidence, the module-level name whose statement holds it (an
   assignment, also inside a module-level ``if``/``try``; a ``def`` or ``class``) carries it (*direct*), and
   so does every module-level name whose statement references a carrier (a helper returning the constant).
2. **Imports.** ``from m import NAME`` (also relative, also through a package ``__init__`` that re-exports
   it) binds a carrier; ``import m`` / ``import m as x`` reaches one as ``m.NAME``. A module-level statement
   that uses a bound carrier makes its names carriers in turn (a config class reading ``DefaultValue``).
3. **Use.** The importing module uses the provider when its code uses the bound carrier (the same rule as
   ``pyimports.names_used``: not the import itself, not ``if TYPE_CHECKING:``, not a bare ``return NAME``).
   It gets the seed's evidence (same kind, value and refs) at the line of the first use: strength A when the
   used name's own statement holds the literal, B when it reaches it through helpers.

Modules are resolved among the Python files the discover stage parsed (those holding a catalog keyword):
relative imports from the importing file's package, absolute ones from each of its parent directories (the
first that holds the module wins). Each parse of a Python unit records its import statements
(``pybindings.module_record``; parsed into bindings only for the modules the pass asks about);
``link_modules`` runs once after all units, re-reads only the modules with carriers and their importers
(bounded), and removes the records. Nothing is imported or executed.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from tierguard.model import Evidence, Location
from tierguard.targets.interface import FileRef, Resolver

from ..syntax import SyntaxMap
from .pybindings import RECORD_KIND, Binding, ImportWords, module_key, record_bindings, tails
from .pyimports import in_blocks, is_use, type_checking_blocks

SEED_KINDS = frozenset({"endpoint", "env-key"})
MAX_READ = 4 * 1024 * 1024
MAX_CANDIDATES = 5000  # modules re-read per scan at most (seeds and importers of carriers)
MAX_SEEDS = 32  # provider observations one name carries at most
MAX_BYTES = 64 * 1024 * 1024  # text the pass holds at most (modules are kept once read)


# ---- one module's text: module-level statements and where names are used -------------------------------

# a line starting in column 0 with a statement: ``^(?=...)`` under re.M, found as the line break before it
# (a literal prefix: sre tries a ``^`` pattern at every offset, 5x slower on large modules)
_TOP_CHAR = re.compile(r"(?=[^\s#)\]}])")
_TOP = re.compile(r"\n(?=[^\s#)\]}])")
_CHAIN = re.compile(r"(?:\s*\.\s*[A-Za-z_]\w*)+")
_CONTINUED = re.compile(r"(?:else|elif|except|finally)\b|@")
_DEF = re.compile(r"(?:@[^\n]*\n(?:[ \t]*\n)*)*(?:async[ \t]+)?(?:def|class)[ \t]+([A-Za-z_]\w*)")
_ASSIGN = re.compile(r"[ \t]*([A-Za-z_]\w*(?:[ \t]*,[ \t]*[A-Za-z_]\w*)*)[ \t]*(?::[^=\n]*)?=(?!=)")
_BLOCK_ASSIGN = re.compile(r"^[ \t]+([A-Za-z_]\w*)[ \t]*(?::[^=\n]*)?=(?!=)", re.M)


class ModuleText:
    """Module-level statements of a Python text (by column-0 lines in code), and the code uses of names."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.syntax = SyntaxMap(text, "python")
        self.blocks = type_checking_blocks(text)
        starts: list[int] = []
        first = [0] if _TOP_CHAR.match(text) else []
        for p in itertools.chain(first, map(re.Match.end, _TOP.finditer(text))):
            if self.syntax.where(p) != "code":
                continue
            if starts and _CONTINUED.match(text, p) and text[starts[-1]] != "@":
                continue  # else:/except:/finally: continue the statement above
            if starts and text[starts[-1]] == "@":
                continue  # the def/class a decorator line introduces
            starts.append(p)
        self.starts = starts
        self.names: list[tuple[str, ...]] = [self._names(i) for i in range(len(starts))]

    def _end(self, i: int) -> int:
        return self.starts[i + 1] if i + 1 < len(self.starts) else len(self.text)

    def _names(self, i: int) -> tuple[str, ...]:
        text, s, e = self.text, self.starts[i], self._end(i)
        mo = _DEF.match(text, s, e)
        if mo is not None:
            return (mo.group(1),)
        mo = _ASSIGN.match(text, s, e)
        if mo is not None:
            return tuple(n.strip() for n in mo.group(1).split(","))
        # a compound statement at module level: the names its blocks assign are module-level
        found = [
            m.group(1) for m in _BLOCK_ASSIGN.finditer(text, s, e) if self.syntax.where(m.start(1)) == "code"
        ]
        return tuple(dict.fromkeys(found))

    def names_at(self, pos: int) -> tuple[str, ...]:
        i = bisect.bisect_right(self.starts, pos) - 1
        return self.names[i] if i >= 0 and pos < self._end(i) else ()

    def uses(self, names: Iterable[str], attrs: bool = False) -> list[tuple[int, str, str]]:
        """(position, name, attribute chain) of each use of ``names`` in code (``pyimports.is_use``), in text
        order. With ``attrs``, only ``NAME.attr...`` uses count and the chain (``attr.sub``) is returned.
        Each name is found with ``str.find`` (an alternation regex is ~10x slower on large modules)."""
        text, n, out = self.text, len(self.text), []
        for name in set(names):
            i = text.find(name)
            while i >= 0:
                e = i + len(name)
                before = text[i - 1] if i else " "
                after = text[e] if e < n else " "
                if not (before.isalnum() or before in "_.") and not (after.isalnum() or after == "_"):
                    chain = _CHAIN.match(text, e) if attrs else None
                    if (chain is not None or not attrs) and is_use(self.syntax, i, e, self.blocks):
                        out.append((i, name, "".join(chain.group(0).split()).lstrip(".") if chain else ""))
                i = text.find(name, e)
        out.sort()
        return out


def _line_starts(text: str, lines: list[int]) -> list[int]:
    """The offset where each 1-based line of ``lines`` starts (-1 past the end). Each is found after the one
    before it by a bisection over ``str.count`` (C speed; a few MB of text counted per line, where a walk
    from line break to line break costs a Python step per line)."""
    found: dict[int, int] = {}
    pos, line = 0, 1
    for n in sorted(set(lines)):
        if n < 1:
            continue
        pos = _after_breaks(text, pos, n - line) if pos >= 0 else -1
        line = n
        found[n] = pos
    return [found.get(n, -1) for n in lines]


def _after_breaks(text: str, start: int, k: int) -> int:
    """The offset right after the ``k``-th line break at or after ``start`` (``start`` for 0; -1 when the
    text has fewer)."""
    if k <= 0:
        return start
    if text.count("\n", start) < k:
        return -1
    # invariant: ``below`` line breaks in [start, lo), fewer than k; at least k in [start, hi)
    lo, hi, below = start, len(text), 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        c = below + text.count("\n", lo, mid)
        if c >= k:
            hi = mid
        else:
            lo, below = mid, c
    return hi


# ---- the link pass ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Carrier:
    seeds: tuple[Evidence, ...]  # the provider evidence the name reaches (one per kind and value)
    direct: bool  # the name's own statement holds it, and names one provider only


def _carrier(seeds: Iterable[Evidence], direct: bool) -> Carrier:
    """A carrier of ``seeds`` (deduplicated, in a stable order). Several providers behind one name (a map of
    hosts) make the link indirect: which one is used is decided at run time."""
    uniq = {(e.kind, e.value): e for e in sorted(seeds, key=_seed_order)}
    providers = {e.refs.get("producer", "") for e in uniq.values()}
    return Carrier(tuple(uniq.values())[:MAX_SEEDS], direct and len(providers) == 1)


def _seed_order(e: Evidence) -> tuple[str, int, str, str]:
    return (e.location.path, e.location.line or 0, e.kind, e.value)


@dataclass
class _Module:
    shown: str
    path: str
    member: str | None
    size: int
    record: Evidence  # the unit's import statements, parsed on first use (``binds``)
    carriers: dict[str, Carrier] = field(default_factory=dict)
    text: ModuleText | None = None
    linked: set[tuple[str, str]] = field(default_factory=set)
    scanned: set[str] = field(default_factory=set)  # bound names whose uses were read
    scanned_modules: dict[tuple[str, str], int] = field(default_factory=dict)  # (local, module) -> carriers
    # the bindings that reach parsed modules: (local, kind "*"|""|"name"|"sub", imported name, target key,
    # attribute prefix), without those in ``if TYPE_CHECKING:`` blocks once the text was read
    resolved: list[tuple[str, str, str, str, tuple[str, ...], int]] | None = None
    resolved_with_text: bool = False
    _binds: list[Binding] | None = None
    _by_tail: dict[str, list[tuple[str, str]]] | None = None

    @property
    def binds(self) -> list[Binding]:
        if self._binds is None:
            self._binds = record_bindings(self.record)
        return self._binds

    def reaching(self, tail: str) -> list[tuple[str, str]]:
        """(target, imported name) of the bindings whose ``tails`` hold ``tail``, in binding order."""
        if self._by_tail is None:
            by_tail: dict[str, list[tuple[str, str]]] = defaultdict(list)
            for _, target, name, _ in self.binds:
                for t in tails(target, name):
                    by_tail[t].append((target, name))
            self._by_tail = by_tail
        return self._by_tail.get(tail, [])


Reader = Callable[[str, str | None, int], str | None]


class _Linker:
    def __init__(self, records: Sequence[Evidence], seeds: Sequence[Evidence], read: Reader) -> None:
        self.read = read
        self.mods: dict[str, _Module] = {}
        for r in records:
            size = int(r.attributes.get("size", "0") or 0)
            self.mods[module_key(r.value)] = _Module(r.value, r.location.path, r.location.member, size, r)
        # words of the import statements -> the modules holding them: a superset of the modules binding a
        # name from a module of that (last) name, checked on their bindings (``importers``)
        self._words = ImportWords({key: m.record for key, m in self.mods.items()})
        self.seeds: dict[str, list[Evidence]] = defaultdict(list)
        for e in seeds:
            shown = e.location.path if e.location.member is None else f"{e.location.path}!{e.location.member}"
            self.seeds[module_key(shown)].append(e)
        self.reads = 0
        self.bytes = 0
        self._memo: dict[tuple[str, str], str | None] = {}
        self._tmemo: dict[tuple[str, str, str], list[str]] = {}
        self._parts = {p for key in self.mods for p in key.rpartition("!")[2].split("/")}
        self.out: list[Evidence] = []

    def importers(self, key: str) -> list[str]:
        """The modules binding something from module ``key`` (sorted)."""
        tail = key.rpartition("!")[2].rsplit("/", 1)[-1]
        found = set()
        for imp in self._words.candidates(tail):
            for target, name in self.mods[imp].reaching(tail):
                if key in self._targets(imp, target, name):
                    found.add(imp)
                    break
        return sorted(found)

    # -- resolution --
    def _resolve(self, importer: str, target: str) -> str | None:
        """The module key ``target`` names from ``importer``: a relative target as resolved at record time, an
        absolute one under the closest parent directory of the importer that holds it."""
        kind, _, ref = target.partition(":")
        if kind == "rel":
            return ref if ref in self.mods else None
        prefix, bang, inner = importer.rpartition("!")
        directory = f"{prefix}{bang}{inner.rsplit('/', 1)[0] if '/' in inner else ''}"
        memo = (directory, ref)
        if memo in self._memo:
            return self._memo[memo]
        dirs = inner.split("/")[:-1]
        rel = ref.replace(".", "/")
        found = None
        if ref.split(".", 1)[0] not in self._parts:  # no parsed module has that name on its path
            self._memo[memo] = None
            return None
        for n in range(len(dirs), -1, -1):
            base = "/".join(dirs[:n])
            key = f"{prefix}{bang}" + (f"{base}/{rel}" if base else rel)
            if key in self.mods:
                found = key
                break
        self._memo[memo] = found
        return found

    def _targets(self, importer: str, target: str, name: str) -> list[str]:
        """Module keys a binding may reach: the module itself, and for ``from pkg import sub`` the
        submodule ``pkg/sub`` (memoised per importing directory)."""
        memo = (importer.rsplit("/", 1)[0] if "/" in importer else "", target, name)
        hit = self._tmemo.get(memo)
        if hit is not None:
            return hit
        out = []
        if target.startswith("rel:") or target[4:].split(".", 1)[0] in self._parts:
            key = self._resolve(importer, target)
            if key is not None:
                out.append(key)
            if name not in ("", "*"):
                sub_target = f"{target}.{name}" if target.startswith("abs:") else f"{target}/{name}"
                sub = self._resolve(importer, sub_target)
                if sub is not None:
                    out.append(sub)
        self._tmemo[memo] = out
        return out

    def _text(self, m: _Module) -> ModuleText | None:
        """The module's text, read once; None when unreadable or past the pass's bounds (the modules and
        bytes it may hold: the links it would add are then missing, nothing else changes)."""
        if m.text is None:
            limit = min(max(m.size, 0), MAX_READ)
            if self.reads >= MAX_CANDIDATES or self.bytes + limit > MAX_BYTES:
                return None
            self.reads += 1
            self.bytes += limit
            raw = self.read(m.path, m.member, limit)
            if raw is None:
                return None
            m.text = ModuleText(raw)
        return m.text

    # -- carriers --
    def _close(self, m: _Module, fresh: Iterable[str]) -> None:
        """Module-level names whose statements reference a carrier of the same module become carriers
        (read only for the ``fresh`` carriers, then for the names each round adds)."""
        mt = self._text(m)
        frontier = set(fresh)
        while mt is not None and frontier:
            new: dict[str, list[Evidence]] = defaultdict(list)
            for pos, name, _ in mt.uses(frontier):
                for n in mt.names_at(pos):
                    if n not in m.carriers:
                        new[n].extend(m.carriers[name].seeds)
            m.carriers.update({n: _carrier(seeds, False) for n, seeds in new.items()})
            frontier = set(new)

    def seed(self) -> list[str]:
        keys = []
        for key, evs in self.seeds.items():
            m = self.mods.get(key)
            mt = self._text(m) if m is not None else None
            if m is None or mt is None:
                continue
            held: dict[str, list[Evidence]] = defaultdict(list)
            for e, pos in zip(evs, _line_starts(mt.text, [e.location.line or 0 for e in evs]), strict=True):
                for n in mt.names_at(pos) if pos >= 0 else ():
                    held[n].append(e)
            m.carriers.update({n: _carrier(seeds, True) for n, seeds in held.items()})
            if m.carriers:
                self._close(m, list(m.carriers))
                keys.append(key)
        return keys

    # -- importers --
    def _bound_carriers(
        self, key: str, m: _Module
    ) -> tuple[dict[str, Carrier], dict[str, list[tuple[str, tuple[str, ...]]]]]:
        """(local name -> the carrier ``from x import NAME`` binds, local -> [(module key, attribute prefix)]
        for module bindings whose module has carriers: ``import a.b.c`` binds ``a`` and reaches the module's
        names as ``a.b.c.NAME``)."""
        names: dict[str, Carrier] = {}
        modules: dict[str, list[tuple[str, tuple[str, ...]]]] = defaultdict(list)
        for local, how, name, t, prefix, _ in self._resolved(key, m):
            tm = self.mods[t]
            if not tm.carriers:
                continue
            if how != "name":
                modules[local].append((t, prefix))
            elif name in tm.carriers:
                names[local] = tm.carriers[name]
        return names, modules

    def _resolved(self, key: str, m: _Module) -> list[tuple[str, str, str, str, tuple[str, ...], int]]:
        """The module's bindings resolved to parsed modules once (``_Module.resolved``)."""
        if m.resolved is None:
            out = []
            for local, target, name, pos in m.binds:
                direct = self._resolve(key, target)
                for t in self._targets(key, target, name):
                    if name == "*":  # import a.b.c
                        out.append((local, "*", name, t, tuple(target[4:].split(".")[1:]), pos))
                    elif name == "" or t != direct:  # import a.b as c; from pkg import submodule
                        out.append((local, "module", name, t, (), pos))
                    else:
                        out.append((local, "name", name, t, (), pos))
            m.resolved = out
        if m.text is not None and not m.resolved_with_text:
            blocks = m.text.blocks
            m.resolved = [r for r in m.resolved if not in_blocks(blocks, r[5])] if blocks else m.resolved
            m.resolved_with_text = True
        return m.resolved

    def visit(self, key: str) -> bool:
        """Link one importer; True when its carriers grew (its own importers must be visited again). Each
        bound name is read once, each module binding again only when its module gained carriers."""
        m = self.mods[key]
        names, modules = self._bound_carriers(key, m)
        if not names and not modules:
            return False
        mt = self._text(m)
        if mt is None:
            return False
        names, modules = self._bound_carriers(key, m)  # again, now that the text shows TYPE_CHECKING blocks
        names = {n: c for n, c in names.items() if n not in m.scanned}
        fresh_modules: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for local, targets in modules.items():
            todo = [
                (t, p) for t, p in targets if m.scanned_modules.get((local, t)) != len(self.mods[t].carriers)
            ]
            if todo:
                fresh_modules[local] = todo
                m.scanned_modules.update({(local, t): len(self.mods[t].carriers) for t, _ in todo})
        m.scanned.update(names)
        before = set(m.carriers)
        for local, carrier in names.items():  # a re-export makes the name a carrier of this module too
            m.carriers.setdefault(local, carrier)
        hits: list[tuple[int, Carrier, str]] = [(p, names[n], n) for p, n, _ in mt.uses(names)]
        for p, local, chain in mt.uses(fresh_modules, attrs=True):
            parts = chain.split(".")
            for target, prefix in fresh_modules[local]:
                if tuple(parts[: len(prefix)]) != prefix:
                    continue
                reached = self._through(target, parts[len(prefix) :])
                if reached is not None:
                    hits.append((p, reached, f"{local}.{chain}"))
                    break
        grown: dict[str, list[Evidence]] = defaultdict(list)
        for p, carrier, via in sorted(hits, key=lambda h: h[0]):
            self._emit(m, mt, p, carrier, via)
            for n in mt.names_at(p):
                if n not in m.carriers:
                    grown[n].extend(carrier.seeds)
        m.carriers.update({n: _carrier(seeds, False) for n, seeds in grown.items()})
        fresh = set(m.carriers) - before
        self._close(m, fresh)
        return bool(fresh)

    def _through(self, key: str, chain: list[str]) -> Carrier | None:
        """The carrier ``module.a.b`` reaches: a name of ``module``, or of its submodule ``a`` ..."""
        m = self.mods[key]
        for i, part in enumerate(chain):
            if part in m.carriers:
                return m.carriers[part]
            sub = f"{key}/{'/'.join(chain[: i + 1])}"
            if sub not in self.mods:
                return None
            m = self.mods[sub]
        return None

    def _emit(self, m: _Module, mt: ModuleText, pos: int, carrier: Carrier, via: str) -> None:
        if all((seed.kind, seed.value) in m.linked for seed in carrier.seeds):
            return  # every provider of this carrier is linked in this module already
        line = mt.text.count("\n", 0, pos) + 1
        ls = mt.text.rfind("\n", 0, pos) + 1
        le = mt.text.find("\n", pos)
        excerpt = mt.text[ls : len(mt.text) if le < 0 else le].strip()[:200]
        for seed in carrier.seeds:
            ident = (seed.kind, seed.value)
            if ident in m.linked:
                continue
            m.linked.add(ident)
            defined = f"{seed.location.path}{'!' + seed.location.member if seed.location.member else ''}"
            attrs = {
                "use_mode": "hosted-api",
                "context": f"via import of {via}",
                "defined_at": f"{defined}:{seed.location.line}",
            }
            self.out.append(
                Evidence(
                    detector="python",
                    kind=seed.kind,
                    value=seed.value,
                    strength="A" if carrier.direct else "B",
                    location=Location(path=m.path, line=line, member=m.member),
                    excerpt=excerpt,
                    refs=seed.refs,
                    attributes=attrs,
                )
            )


def resolver_reader(resolver: Resolver) -> Reader:
    """Read a module again through the target's resolver (bounded; None when it cannot be read)."""

    def read(path: str, member: str | None, limit: int) -> str | None:
        try:
            data = resolver.read_bytes(FileRef(path=path, size=limit, member=member), limit)
        except OSError:
            return None
        return data.decode("utf-8", errors="replace")

    return read


def link_modules(evidence: list[Evidence], read: Reader) -> list[Evidence]:
    """The evidence without the internal records, plus the evidence of providers reached through imported
    names (module docstring)."""
    records = [e for e in evidence if e.kind == RECORD_KIND]
    if not records:
        return evidence
    rest = [e for e in evidence if e.kind != RECORD_KIND]
    seeds = [e for e in rest if e.detector == "python" and e.strength == "A" and e.kind in SEED_KINDS]
    if not seeds:
        return rest
    linker = _Linker(records, seeds, read)
    pending = deque(linker.seed())
    queued = set(pending)
    while pending:
        key = pending.popleft()
        queued.discard(key)
        for importer in linker.importers(key):
            try:
                grew = linker.visit(importer)
            except (ValueError, RecursionError, MemoryError):  # one odd module never stops the pass
                continue
            if grew and importer not in queued:
                pending.append(importer)
                queued.add(importer)
    have = {(e.location.path, e.location.member, e.kind, e.value) for e in rest if e.strength == "A"}
    extra = [e for e in linker.out if (e.location.path, e.location.member, e.kind, e.value) not in have]
    return rest + extra
