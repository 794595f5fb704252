"""The discover engine: read each in-scope file once, prefilter cheaply, run the detectors that want it.

Per file: pick detectors by glob (no read when none matches), read once bounded by the largest
``max_bytes`` of those detectors and by the file size, skip binary units for text detectors, run one
combined keyword regex on the lower-cased bytes, then the parse functions. Failures are isolated per file
(a Skipped ``detector-error: <name>``), re-raised with ``strict``.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

from tierguard.catalog.loader import Catalog
from tierguard.errors import DiscoverError
from tierguard.model import Evidence, Skipped
from tierguard.targets.interface import FileRef, Resolver

from .detectors.pylinks import link_modules, resolver_reader
from .interface import Detector, DiscoverOutput, Unit, UnitSkipped
from .keywords import HAVE_AHOCORASICK, KeywordSearch, Prefilter, UnitHits, catalog_keywords, keyword_kinds
from .own_reports import own_report

BINARY_SNIFF = 8192
MINIFIED_LINE = 5000
_JS_EXT = (".js", ".mjs", ".cjs")
_REPORT_EXT = (".json", ".sarif")  # where tierguard's own reports are recognised (see own_reports)


def _glob_matchers(globs: Sequence[str]) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    names = [fnmatch.translate(g.lower()) for g in globs if "/" not in g]
    paths: list[str] = []
    for g in globs:
        if "/" in g:
            g = g.lower()
            paths.append(fnmatch.translate(g))
            if g.startswith("**/"):
                paths.append(fnmatch.translate(g[3:]))
    n = re.compile("|".join(names)) if names else None
    p = re.compile("|".join(paths)) if paths else None
    return n, p


class _Chosen(NamedTuple):
    detectors: tuple[Detector, ...]
    binary: tuple[Detector, ...]  # those of them that also read binary units (``Detector.text`` False)
    max_bytes: int
    prefilter: Prefilter | KeywordSearch | None


class _Plan:
    def __init__(self, detectors: Sequence[Detector], catalog: Catalog) -> None:
        self.detectors = tuple(detectors)
        self.matchers = [_glob_matchers(d.globs) for d in self.detectors]
        self.excludes = [_glob_matchers(d.exclude) for d in self.detectors]
        self.cat_kw = catalog_keywords(catalog)
        self.kinds = keyword_kinds(catalog)
        self._rx_cache: dict[tuple[int, ...], Prefilter | KeywordSearch | None] = {}
        self._chosen: dict[tuple[int, ...], _Chosen] = {}
        # Selection is cached per base name. Detectors with a path glob ("**/docs/*.txt") depend on the full
        # path only when the name matches the last component of one of their path globs.
        self._name_cache: dict[str, tuple[tuple[int, ...], bool]] = {}
        self._raw_cache: dict[str, tuple[tuple[int, ...], bool]] = {}
        self._path_dep = tuple(
            i for i, (m, x) in enumerate(zip(self.matchers, self.excludes, strict=True))
            if m[1] is not None or x[1] is not None
        )
        tails = [
            g.lower().rsplit("/", 1)[-1] for d in self.detectors for g in (*d.globs, *d.exclude) if "/" in g
        ]
        self._tail = re.compile("|".join(fnmatch.translate(t) for t in tails)) if tails else None
        # Fast path for a new name: globs of the form "*.<literal suffix>" are a dict lookup per suffix of
        # the name; every other glob and every exclude is one combined regex, and only a name it matches
        # needs the per-detector evaluation.
        self._by_suffix: dict[str, tuple[int, ...]] = {}
        other: list[str] = []
        for i, d in enumerate(self.detectors):
            for g in d.globs:
                g = g.lower()
                if g.startswith("*.") and not any(ch in g[1:] for ch in "*?[/"):
                    self._by_suffix[g[1:]] = (*self._by_suffix.get(g[1:], ()), i)
                else:
                    other.append(g.rsplit("/", 1)[-1])
            other.extend(x.lower().rsplit("/", 1)[-1] for x in d.exclude)
        self._other = re.compile("|".join(fnmatch.translate(g) for g in other)) if other else None

    def _by_name(self, name: str) -> tuple[tuple[int, ...], bool]:
        """(detectors selected by the name alone, whether the path-glob detectors need the full path)."""
        hit = self._name_cache.get(name)
        if hit is None and (self._other is None or self._other.fullmatch(name) is None):
            found: set[int] = set()
            dot = name.find(".")
            while dot >= 0:
                found.update(self._by_suffix.get(name[dot:], ()))
                dot = name.find(".", dot + 1)
            hit = (tuple(sorted(found)), False)
            if len(self._name_cache) < 200_000:
                self._name_cache[name] = hit
        if hit is None:
            needs_path = self._tail is not None and self._tail.fullmatch(name) is not None
            skip = self._path_dep if needs_path else ()
            sure = tuple(
                i for i in range(len(self.detectors))
                if i not in skip
                and _hit(self.matchers[i], name, None)
                and not _hit(self.excludes[i], name, None)
            )
            hit = (sure, needs_path)
            if len(self._name_cache) < 200_000:
                self._name_cache[name] = hit
        return hit

    def select(self, ref: FileRef) -> tuple[int, ...]:
        path = ref.logical_path
        raw = path.rsplit("/", 1)[-1]
        hit = self._raw_cache.get(raw)  # by the name as written: most names need no lower-casing
        if hit is None:
            hit = self._by_name(raw.lower())
            if len(self._raw_cache) < 200_000:
                self._raw_cache[raw] = hit
        sure, needs_path = hit
        if not needs_path:
            return sure
        lp = path.lower()
        name = lp.rsplit("/", 1)[-1]
        extra = tuple(
            i for i in self._path_dep
            if _hit(self.matchers[i], name, lp) and not _hit(self.excludes[i], name, lp)
        )
        return tuple(sorted(sure + extra)) if extra else sure

    def chosen(self, idx: tuple[int, ...]) -> _Chosen:
        """What a file selecting the detectors ``idx`` gets: those detectors, the ones that also read binary
        units, the read limit and the keyword prefilter (built once per detector set)."""
        hit = self._chosen.get(idx)
        if hit is None:
            dets = tuple(self.detectors[i] for i in idx)
            binary = tuple(d for d in dets if not d.text)
            limit = max(d.max_bytes for d in dets)
            hit = self._chosen[idx] = _Chosen(dets, binary, limit, self.prefilter(idx))
        return hit

    def prefilter(self, idx: tuple[int, ...]) -> Prefilter | KeywordSearch | None:
        """One combined keyword pass for this detector set. With ``ahocorasick-rs``: a :class:`Prefilter`
        (gate None when any of them runs unconditionally) that also records catalog keyword and trigger
        positions for the detectors. Without it: a regex KeywordSearch gate, or None (always parse)."""
        if idx in self._rx_cache:
            return self._rx_cache[idx]
        kws: set[bytes] = set()
        always = False
        catalog_kw = False
        for i in idx:
            d = self.detectors[i]
            if not d.keywords and not d.catalog_keywords:
                always = True
            kws.update(k.lower() for k in d.keywords)
            if d.catalog_keywords:
                kws.update(self.cat_kw)
                catalog_kw = True
        gate = None if always or not kws else sorted(k.decode("latin-1") for k in kws)
        rx: Prefilter | KeywordSearch | None
        if HAVE_AHOCORASICK:
            cat = [k.decode("latin-1") for k in self.cat_kw] if catalog_kw else []
            rx = Prefilter(gate, cat, self.kinds)
        else:
            rx = None if gate is None else KeywordSearch(gate)
        self._rx_cache[idx] = rx
        return rx


def _hit(m: tuple[re.Pattern[str] | None, re.Pattern[str] | None], name: str, path: str | None) -> bool:
    """Does the name glob match ``name`` or the path glob match ``path`` (None: the name alone decides)?"""
    n, p = m
    return (n is not None and n.fullmatch(name) is not None) or (
        path is not None and p is not None and p.fullmatch(path) is not None
    )


def _is_minified(data: bytes) -> bool:
    if len(data) <= MINIFIED_LINE:
        return False
    start = 0
    n = len(data)
    while start < n:
        end = data.find(b"\n", start)
        if end < 0:
            end = n
        if end - start > MINIFIED_LINE:
            return True
        start = end + 1
    return False


def _decode(data: bytes, truncated: bool) -> tuple[str, bool]:
    """(text, clean): clean is False when the bytes were not valid UTF-8 (replacement characters used)."""
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", "replace")
        # a multi-byte character cut by the read limit is not an encoding problem
        clean = truncated and exc.start >= len(data) - 4
        return text, clean


def run_detectors(
    resolver: Resolver,
    detectors: Sequence[Detector],
    catalog: Catalog,
    *,
    on_file: Callable[[FileRef], None] | None = None,
    strict: bool = False,
) -> DiscoverOutput:
    """Run ``detectors`` over every file ``resolver`` yields; the resolver's own skips are included."""
    out = DiscoverOutput()
    plan = _Plan(detectors, catalog)
    seen: set[tuple[str, str, str, str, str, int | None]] = set()
    for ref in resolver.files():
        out.files_seen += 1
        if on_file is not None:
            on_file(ref)
        idx = plan.select(ref)
        if not idx:
            continue
        chosen = plan.chosen(idx)
        shown = ref.logical_path if ref.member is None else f"{ref.path}!{ref.member}"
        data = _read(resolver, ref, chosen.max_bytes, shown, out)
        if data is None:
            continue
        dets = chosen.detectors
        if data.find(b"\x00", 0, BINARY_SNIFF) >= 0:
            dets = chosen.binary
            if not dets:
                out.skipped.append(Skipped(path=shown, reason="binary", detail="NUL byte in the first 8 KiB"))
                continue
        if len(data) > MINIFIED_LINE and ref.logical_path.lower().endswith(_JS_EXT) and _is_minified(data):
            out.skipped.append(
                Skipped(path=shown, reason="minified", detail=f"a line over {MINIFIED_LINE} chars")
            )
            continue
        what = own_report(data) if ref.logical_path.lower().endswith(_REPORT_EXT) else None
        if what is not None:
            out.skipped.append(Skipped(path=shown, reason="tierguard-report", detail=f"{what}; not a use"))
            continue
        unit = _prefiltered_unit(chosen.prefilter, ref, data, shown, out)
        if unit is None:
            continue
        out.files_parsed += 1
        for det in dets:
            found = _parse(det, unit, catalog, shown, strict, out)
            for ev in found:
                key = (
                    ev.detector,
                    ev.kind,
                    ev.value,
                    ev.location.path,
                    ev.location.member or "",
                    ev.location.line,
                )
                if key not in seen:
                    seen.add(key)
                    out.evidence.append(ev)
    out.evidence = link_modules(out.evidence, resolver_reader(resolver))  # names imported across modules
    out.skipped = resolver.skipped() + out.skipped
    return out


def _read(resolver: Resolver, ref: FileRef, limit: int, shown: str, out: DiscoverOutput) -> bytes | None:
    """At most ``limit`` bytes of the file (None, recorded as skipped, when it cannot be read)."""
    try:
        data = resolver.read_bytes(ref, min(limit, max(ref.size, 0)))
    except OSError as exc:
        reason = "permission-denied" if isinstance(exc, PermissionError) else "unreadable"
        out.skipped.append(Skipped(path=shown, reason=reason, detail=exc.strerror or str(exc)))
        return None
    out.bytes_read += len(data)
    return data


def _prefiltered_unit(
    rx: Prefilter | KeywordSearch | None, ref: FileRef, data: bytes, shown: str, out: DiscoverOutput
) -> Unit | None:
    """The unit to parse, or None when no prefilter word occurs in ``data``. Truncated and non-UTF-8 units
    are parsed and also recorded as skipped with that reason."""
    hits: UnitHits | None = None
    positions: Prefilter | None = None
    if isinstance(rx, Prefilter):
        passed, matches = rx.scan(data)
        if not passed:
            return None
        if rx.has_catalog:
            positions = rx
            if data.isascii():
                hits = rx.hits(matches)
    elif rx is not None and not rx.hit_bytes(data.lower()):
        return None
    truncated = ref.size > len(data)
    if truncated:
        out.skipped.append(
            Skipped(path=shown, reason="truncated", detail=f"read the first {len(data)} of {ref.size} bytes")
        )
    text, clean = _decode(data, truncated)
    if not clean:
        out.skipped.append(
            Skipped(path=shown, reason="non-utf8", detail="decoded with replacement characters; scanned")
        )
    return Unit(ref=ref, data=data, text=text, truncated=truncated, hits=hits, prefilter=positions)


def _parse(
    det: Detector, unit: Unit, catalog: Catalog, shown: str, strict: bool, out: DiscoverOutput
) -> Sequence[Evidence]:
    """The detector's evidence; a unit it cannot understand or an error in it is recorded as skipped
    (``strict`` re-raises the error as DiscoverError)."""
    try:
        return det.parse(unit, catalog)
    except UnitSkipped as exc:
        out.skipped.append(Skipped(path=shown, reason=exc.reason, detail=f"{det.name}: {exc.detail}"))
    except Exception as exc:
        if strict:
            raise DiscoverError(f"{det.name} failed on {shown}: {exc}") from exc
        out.skipped.append(
            Skipped(
                path=shown,
                reason=f"detector-error: {det.name}",
                detail=f"{type(exc).__name__}: {exc}",
            )
        )
    return ()
