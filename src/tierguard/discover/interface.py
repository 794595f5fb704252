"""Discover: small declarative detectors over the files a Resolver yields.

A detector names the files it wants (globs on the logical path, or a predicate), a cheap keyword prefilter
run on the raw bytes before any regex or parse, and a parse function that returns Evidence. Detectors are
registered in one explicit, tagged list (``discover/registry.py``); nothing registers itself at import.

The stage: ``tierguard.discover.engine.run_detectors`` is a ``DiscoverStage``: (resolver, detectors,
catalog) -> ``DiscoverOutput`` (evidence, skipped with reasons, counts), reading each file once, bounded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from tierguard.catalog.loader import Catalog
from tierguard.errors import DiscoverError
from tierguard.model import Evidence, Skipped
from tierguard.targets.interface import FileRef, Resolver

if TYPE_CHECKING:
    from .keywords import Prefilter, UnitHits


@dataclass(frozen=True, slots=True)
class Unit:
    """What a parse function receives: the file, its (bounded) content and decoded text."""

    ref: FileRef
    data: bytes
    text: str  # decoded with utf-8, errors replaced
    truncated: bool = False  # the content was cut at the detector's read limit
    hits: UnitHits | None = None  # keyword/trigger positions from the engine's prefilter (ASCII units)
    prefilter: Prefilter | None = None  # that prefilter, when it also records catalog keyword positions


ParseFn = Callable[[Unit, Catalog], Sequence[Evidence]]


@dataclass(frozen=True, slots=True)
class Detector:
    name: str
    globs: tuple[str, ...]  # fnmatch-style on the logical path's basename or full path ("**/" allowed)
    parse: ParseFn
    keywords: tuple[bytes, ...] = ()  # lower-cased; a unit is parsed only if one occurs (empty = always)
    tags: frozenset[str] = field(default_factory=frozenset)
    max_bytes: int = 4 * 1024 * 1024  # read at most this much per file
    description: str = ""
    # also prefilter on keywords derived from the catalog at run time (hosts, packages, env keys, ...)
    catalog_keywords: bool = True
    exclude: tuple[str, ...] = ()  # globs (same syntax as ``globs``) of files this detector leaves alone
    text: bool = True  # a text detector: binary units (NUL in the first 8 KiB) are skipped for it


class UnitSkipped(DiscoverError):
    """Raised by a parse function when its unit cannot be understood (malformed JSON/TOML/notebook ...).

    The engine records a Skipped with ``reason`` (e.g. "malformed") and goes on; never re-raised by --strict.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass
class DiscoverOutput:
    evidence: list[Evidence] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)  # the resolver's own skips first
    files_seen: int = 0
    files_parsed: int = 0
    bytes_read: int = 0


class DiscoverStage(Protocol):
    """Run ``detectors`` over every file ``resolver`` yields. Per-file failures are Skipped entries
    (``detector-error: <name>``); ``strict`` re-raises them as DiscoverError. ``on_file`` sees every file."""

    def __call__(
        self,
        resolver: Resolver,
        detectors: Sequence[Detector],
        catalog: Catalog,
        *,
        on_file: Callable[[FileRef], None] | None = None,
        strict: bool = False,
    ) -> DiscoverOutput: ...
