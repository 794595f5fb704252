"""Recorded results are immutable, so the service keeps the most recently loaded ones in memory: diff,
explain, scan detail and the dashboard's asset pages load whole results, and decoding one from the store
costs far more than a listing (~0.4 s for a 1,000-asset result with its evidence; bench/estate/README.md).
Bounded by the number of assets held (not of results), so a few huge results cannot fill memory. Diffs of
two scans are kept encoded (:class:`BlobCache`), bounded by bytes."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from tierguard.model import ScanResult
from tierguard.store.interface import (
    AssetFilter,
    AssetRow,
    BreakdownRow,
    DecisionRow,
    FindingRow,
    Page,
    ScanRef,
    Store,
    TargetRow,
    TrendPoint,
)

MAX_CACHED_ASSETS = 50_000
BREAKDOWN_KEYS = ("producer", "jurisdiction", "kind")


@runtime_checkable
class Breakdowns(Protocol):
    """A store that counts assets per producer / jurisdiction / kind itself (``SqlStore.breakdown``: one
    GROUP BY); not part of the :class:`Store` Protocol."""

    def breakdown(
        self, by: str = "producer", flt: AssetFilter | None = None, *, limit: int = 50
    ) -> list[BreakdownRow]: ...


def breakdown(store: Store, by: str, flt: AssetFilter | None, limit: int) -> list[BreakdownRow]:
    """Assets per ``by`` within ``flt``, counted by the store when it can (one GROUP BY); otherwise from
    every asset row, paged through (exact, slower)."""
    if by not in BREAKDOWN_KEYS:
        raise ValueError(f"cannot break assets down by {by!r}")
    if isinstance(store, Breakdowns):
        return store.breakdown(by, flt, limit=limit)
    rows: list[AssetRow] = []
    while True:
        page = store.assets(flt, offset=len(rows), limit=1000)
        rows += page.items
        if not page.items or len(rows) >= page.total:
            return count_rows(rows, by, limit)


def count_rows(rows: Sequence[AssetRow], by: str, limit: int) -> list[BreakdownRow]:
    """The breakdown of asset rows, ordered as ``SqlStore.breakdown`` orders it (most denies, then reviews,
    then assets, then the key)."""
    counts: dict[str | None, dict[str, int]] = {}
    for r in rows:
        c = counts.setdefault(getattr(r, by), {"assets": 0, "deny": 0, "review": 0, "allow": 0})
        c["assets"] += 1
        if r.verdict is not None:
            c[r.verdict] += 1
    out = [
        BreakdownRow(
            key=k,
            assets=c["assets"],
            deny=c["deny"],
            review=c["review"],
            allow=c["allow"],
            undecided=c["assets"] - c["deny"] - c["review"] - c["allow"],
        )
        for k, c in counts.items()
    ]
    out.sort(key=lambda b: (-b.deny, -b.review, -b.assets, b.key or ""))
    return out[:limit]


class CachedStore:
    """A :class:`Store` whose ``load`` remembers results (least recently used out first); everything else
    goes to the store as it is."""

    def __init__(self, store: Store, max_assets: int = MAX_CACHED_ASSETS) -> None:
        self.inner = store
        self.url = store.url
        self._max = max_assets
        self._lock = threading.Lock()
        self._items: OrderedDict[int, ScanResult] = OrderedDict()
        self._held = 0

    def load(self, scan_id: int) -> ScanResult:
        with self._lock:
            hit = self._items.get(scan_id)
            if hit is not None:
                self._items.move_to_end(scan_id)
                return hit
        result = self.inner.load(scan_id)
        size = max(1, len(result.assets))
        if size <= self._max:
            with self._lock:
                if scan_id not in self._items:
                    self._items[scan_id] = result
                    self._held += size
                while self._held > self._max:
                    _, old = self._items.popitem(last=False)
                    self._held -= max(1, len(old.assets))
        return result

    def record(self, result: ScanResult, **kw: Any) -> ScanRef:
        return self.inner.record(result, **kw)

    def record_error(self, target: str, error: str, **kw: Any) -> ScanRef:
        return self.inner.record_error(target, error, **kw)

    def resolve(self, ref: str, *, target: str | None = None) -> ScanRef:
        return self.inner.resolve(ref, target=target)

    def scans(
        self, *, target: str | None = None, estate: str | None = None, offset: int = 0, limit: int = 50
    ) -> Page[ScanRef]:
        return self.inner.scans(target=target, estate=estate, offset=offset, limit=limit)

    def targets(self, *, offset: int = 0, limit: int = 50) -> Page[TargetRow]:
        return self.inner.targets(offset=offset, limit=limit)

    def assets(self, flt: AssetFilter | None = None, *, offset: int = 0, limit: int = 50) -> Page[AssetRow]:
        return self.inner.assets(flt, offset=offset, limit=limit)

    def decisions(
        self, flt: AssetFilter | None = None, *, offset: int = 0, limit: int = 50
    ) -> Page[DecisionRow]:
        return self.inner.decisions(flt, offset=offset, limit=limit)

    def findings(
        self, flt: AssetFilter | None = None, *, offset: int = 0, limit: int = 50
    ) -> Page[FindingRow]:
        return self.inner.findings(flt, offset=offset, limit=limit)

    def trend(self, *, target: str | None = None, limit: int = 500) -> Sequence[TrendPoint]:
        return self.inner.trend(target=target, limit=limit)

    def breakdown(
        self, by: str = "producer", flt: AssetFilter | None = None, *, limit: int = 50
    ) -> list[BreakdownRow]:
        return breakdown(self.inner, by, flt, limit)

    def recorded_targets(self, estate: str, revision: str) -> set[str]:
        return self.inner.recorded_targets(estate, revision)

    def close(self) -> None:
        self.inner.close()


class BlobCache:
    """Encoded answers computed from two immutable results (a diff of scan A and scan B), LRU, bounded by
    bytes held."""

    def __init__(self, max_bytes: int = 64 << 20) -> None:
        self._max = max_bytes
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[int, int], bytes] = OrderedDict()
        self._held = 0

    def get(self, key: tuple[int, int]) -> bytes | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(self, key: tuple[int, int], body: bytes) -> None:
        if len(body) > self._max:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = body
            self._held += len(body)
            while self._held > self._max:
                _, old = self._items.popitem(last=False)
                self._held -= len(old)
