"""Recorded results are immutable, so the service keeps the most recently loaded ones in memory: diff,
explain, scan detail and the dashboard's asset pages load whole results, and decoding one from the store
costs far more than a listing (~0.4 s for a 1,000-asset result with its evidence; bench/estate/README.md).
Bounded by the number of assets held (not of results), so a few huge results cannot fill memory. Diffs of
two scans are kept encoded (:class:`BlobCache`), bounded by bytes."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from tierguard.model import ScanResult
from tierguard.store.interface import (
    AssetFilter,
    AssetRow,
    DecisionRow,
    FindingRow,
    Page,
    ScanRef,
    Store,
    TargetRow,
    TrendPoint,
)

MAX_CACHED_ASSETS = 50_000


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
