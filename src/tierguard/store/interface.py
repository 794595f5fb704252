"""Store: every recorded scan, queryable. The contract the CLI (``--store``, ``history``, ``diff``,
``--baseline latest``), the estate runner (``tierguard.execute``) and the HTTP service (``tierguard.service``)
use; :mod:`tierguard.store.sql` implements it on SQLAlchemy 2 (SQLite by default, PostgreSQL with the same
code) with Alembic migrations.

Rules every implementation keeps:
- Only the driver writes; a worker returns a ``ScanResult``.
- ``record`` and ``record_error`` are one transaction each: a scan killed half-way leaves nothing recorded.
- A recorded scan keeps the full ``ScanResult`` (its JSON document, the versioned schema) and queryable rows
  for its target, assets, usages, decisions and findings. Asset ids are the result's stable ids
  (``Asset.id``), so the same asset has the same id across runs and machines.
- Scan references: a scan id (``"12"``), ``"latest"``, ``"latest~N"`` (the N-th before the latest), each
  optionally restricted to one target. An unknown reference raises :class:`StoreError`.
- Failures of the store itself (locked, read-only, unreachable, newer schema than this tool) raise
  :class:`StoreError` with one clear line; never a driver traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, Literal, Protocol, TypeVar

import msgspec

from tierguard.errors import TierguardError
from tierguard.model import ScanResult, Verdict

T = TypeVar("T")

ScanStatus = Literal["ok", "error"]


class StoreError(TierguardError):
    """The store cannot be opened, read or written (one line: which store, what happened)."""


class ScanRef(msgspec.Struct, frozen=True, kw_only=True):
    """One recorded scan (or one recorded target error) and its headline counts."""

    id: int
    target: str  # the target's name: the estate entry name, or the scanned path/reference
    status: ScanStatus = "ok"
    error: str = ""  # the one-line error of a failed target (status "error")
    estate: str | None = None  # the estate's name, when recorded by ``tierguard estate scan``
    revision: str | None = None  # the estate file's revision (content hash): resume skips recorded targets
    owner: str | None = None
    command: str = "scan"
    started: str = ""  # ISO 8601 UTC
    finished: str = ""
    recorded: str = ""  # when the store wrote it
    worst_verdict: Verdict | None = None  # None for an error
    assets: int = 0
    denies: int = 0  # decisions whose effective verdict is deny
    reviews: int = 0
    findings: int = 0


class TargetRow(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    owner: str | None = None
    scans: int = 0
    last_scan: ScanRef | None = None


class AssetRow(msgspec.Struct, frozen=True, kw_only=True):
    """One asset of one recorded scan, flattened for filtering."""

    scan_id: int
    target: str
    asset_id: str
    kind: str
    name: str
    use_mode: str
    producer: str | None = None  # first producer's catalog id
    jurisdiction: str | None = None  # first producer's jurisdiction
    service_jurisdiction: str | None = None
    verdict: Verdict | None = None  # effective verdict of its decision (None: no decision)
    usages: int = 0


class DecisionRow(msgspec.Struct, frozen=True, kw_only=True):
    scan_id: int
    target: str
    asset_id: str
    asset_name: str
    verdict: Verdict  # effective verdict (a waived deny is allow)
    rules: tuple[str, ...] = ()
    waived: bool = False


class FindingRow(msgspec.Struct, frozen=True, kw_only=True):
    scan_id: int
    target: str
    finding_id: str
    rule_id: str
    severity: str
    message: str
    path: str
    line: int | None = None
    asset_id: str | None = None


class Page(msgspec.Struct, Generic[T], frozen=True, kw_only=True):
    items: tuple[T, ...]
    total: int
    offset: int = 0
    limit: int = 50


class TrendPoint(msgspec.Struct, frozen=True, kw_only=True):
    scan_id: int
    target: str
    started: str
    denies: int
    reviews: int
    assets: int


class BreakdownRow(msgspec.Struct, frozen=True, kw_only=True):
    """Assets of one producer / jurisdiction / kind and their effective verdicts (``SqlStore.breakdown``: one
    GROUP BY in the database instead of paging every asset row through the caller)."""

    key: str | None  # None: assets with no producer (or jurisdiction)
    assets: int
    deny: int = 0
    review: int = 0
    allow: int = 0
    undecided: int = 0


class AssetFilter(msgspec.Struct, frozen=True, kw_only=True):
    """Filters of asset, decision and finding listings. ``scan`` None = the latest ok scan of each target."""

    scan: int | None = None
    target: str | None = None
    kind: str | None = None
    producer: str | None = None
    jurisdiction: str | None = None
    verdict: Verdict | None = None
    rule_id: str | None = None
    query: str | None = None  # case-insensitive substring of the asset name


class Store(Protocol):
    """What :func:`tierguard.store.open_store` returns. ``close()`` releases connections."""

    url: str  # the store URL with any password masked

    def record(
        self,
        result: ScanResult,
        *,
        target: str | None = None,
        owner: str | None = None,
        estate: str | None = None,
        revision: str | None = None,
    ) -> ScanRef:
        """Record one scan in one transaction (``target`` defaults to ``result.target``)."""
        ...

    def record_error(
        self,
        target: str,
        error: str,
        *,
        owner: str | None = None,
        estate: str | None = None,
        revision: str | None = None,
    ) -> ScanRef:
        """Record that a target could not be scanned (a recorded error, never a lost target)."""
        ...

    def resolve(self, ref: str, *, target: str | None = None) -> ScanRef:
        """``"12"``, ``"latest"``, ``"latest~1"`` (of ``target`` when given; only ok scans count)."""
        ...

    def load(self, scan_id: int) -> ScanResult:
        """The full recorded result of an ok scan."""
        ...

    def scans(
        self, *, target: str | None = None, estate: str | None = None, offset: int = 0, limit: int = 50
    ) -> Page[ScanRef]:
        """Newest first."""
        ...

    def targets(self, *, offset: int = 0, limit: int = 50) -> Page[TargetRow]: ...

    def assets(self, flt: AssetFilter | None = None, *, offset: int = 0, limit: int = 50) -> Page[AssetRow]:
        """``flt`` None = no filter (the latest ok scan of each target)."""
        ...

    def decisions(
        self, flt: AssetFilter | None = None, *, offset: int = 0, limit: int = 50
    ) -> Page[DecisionRow]: ...

    def findings(
        self, flt: AssetFilter | None = None, *, offset: int = 0, limit: int = 50
    ) -> Page[FindingRow]: ...

    def trend(self, *, target: str | None = None, limit: int = 500) -> Sequence[TrendPoint]:
        """Denies and reviews per ok scan, oldest first (the dashboard's chart)."""
        ...

    def recorded_targets(self, estate: str, revision: str) -> set[str]:
        """Targets recorded ok for this estate revision: what a resumed run skips (errors are retried)."""
        ...

    def close(self) -> None: ...
