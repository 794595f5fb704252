"""Options and output of the app inventory readers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tierguard.model import Asset, Evidence, Skipped


@dataclass(frozen=True, slots=True)
class AppOptions:
    """Bounds and choices of one read. Every read is bounded: a line (or CSV record) over ``max_line_bytes``
    is skipped, decompressed input stops at ``max_bytes``, an ``osqueryi --json`` array is read whole only up
    to ``max_json_bytes``, and JSON is decoded into a fixed schema (a value nested deeper than a row's
    columns is a skipped line, never walked)."""

    max_line_bytes: int = 1 << 20
    max_bytes: int = 16 << 30  # decompressed bytes read from one input
    max_json_bytes: int = 256 << 20  # an osqueryi --json array, read whole
    host: str | None = None  # the host of an osqueryi --json array (default: the file's stem)
    display: str | None = None  # the path recorded in locations (default: the file's name)
    # a generic CSV: column names for "device", "app" and optionally "user", "id", "publisher", "platform",
    # "version" (a named column missing from the header is a TargetError)
    columns: Mapping[str, str] | None = None
    include_non_ai: bool = True  # also report the non-AI apps of the catalog (RedNote, Lemon8, brokers)
    max_skipped: int = 10_000  # Skipped records kept per read (the rest are counted in a note)


@dataclass(frozen=True, slots=True)
class AppOutput:
    """What a read produced: one asset per catalog app found (usages per device and installed item), one
    evidence record per usage, what could not be used (file:line and a reason), notes, and counters."""

    assets: tuple[Asset, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    notes: tuple[str, ...] = ()
    devices: int = 0  # distinct devices (hosts) the input names
    rows: int = 0  # inventory rows read
    format: str = ""  # the format read (see ``sniff``)
    extra: Mapping[str, int] = field(default_factory=dict)  # other counters (rows per osquery table ...)
