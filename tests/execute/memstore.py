"""An in-memory Store (the Protocol of tierguard.store.interface) for the runner's unit tests: it keeps what
the runner records so tests can check it; the integration tests use the real SQLite store."""

from __future__ import annotations

from collections.abc import Sequence

from tierguard.model import ScanResult
from tierguard.store.interface import (
    AssetFilter,
    AssetRow,
    DecisionRow,
    FindingRow,
    Page,
    ScanRef,
    StoreError,
    TargetRow,
    TrendPoint,
)


class MemoryStore:
    url = "memory:"

    def __init__(self, *, fail_after: int | None = None) -> None:
        self.refs: list[ScanRef] = []
        self.results: dict[int, ScanResult] = {}
        self.fail_after = fail_after  # raise StoreError on the (n+1)-th write

    def _write(self) -> None:
        if self.fail_after is not None and len(self.refs) >= self.fail_after:
            raise StoreError(f"store {self.url}: attempt to write a readonly database")

    def record(
        self,
        result: ScanResult,
        *,
        target: str | None = None,
        owner: str | None = None,
        estate: str | None = None,
        revision: str | None = None,
    ) -> ScanRef:
        self._write()
        decisions = [d.effective_verdict for d in result.decisions]
        ref = ScanRef(
            id=len(self.refs) + 1,
            target=target or result.target,
            owner=owner,
            estate=estate,
            revision=revision,
            worst_verdict=result.worst_verdict(),
            assets=len(result.assets),
            denies=decisions.count("deny"),
            reviews=decisions.count("review"),
            findings=len(result.findings),
        )
        self.refs.append(ref)
        self.results[ref.id] = result
        return ref

    def record_error(
        self,
        target: str,
        error: str,
        *,
        owner: str | None = None,
        estate: str | None = None,
        revision: str | None = None,
    ) -> ScanRef:
        self._write()
        ref = ScanRef(
            id=len(self.refs) + 1,
            target=target,
            status="error",
            error=error,
            owner=owner,
            estate=estate,
            revision=revision,
        )
        self.refs.append(ref)
        return ref

    def resolve(self, ref: str, *, target: str | None = None) -> ScanRef:
        raise StoreError("not used")

    def load(self, scan_id: int) -> ScanResult:
        return self.results[scan_id]

    def scans(
        self, *, target: str | None = None, estate: str | None = None, offset: int = 0, limit: int = 50
    ) -> Page[ScanRef]:
        rows = [
            r
            for r in reversed(self.refs)
            if (target is None or r.target == target) and (estate is None or r.estate == estate)
        ]
        return Page[ScanRef](
            items=tuple(rows[offset : offset + limit]), total=len(rows), offset=offset, limit=limit
        )

    def targets(self, *, offset: int = 0, limit: int = 50) -> Page[TargetRow]:
        raise NotImplementedError

    def assets(self, flt: AssetFilter | None = None, *, offset: int = 0, limit: int = 50) -> Page[AssetRow]:
        raise NotImplementedError

    def decisions(
        self, flt: AssetFilter | None = None, *, offset: int = 0, limit: int = 50
    ) -> Page[DecisionRow]:
        raise NotImplementedError

    def findings(
        self, flt: AssetFilter | None = None, *, offset: int = 0, limit: int = 50
    ) -> Page[FindingRow]:
        raise NotImplementedError

    def trend(self, *, target: str | None = None, limit: int = 500) -> Sequence[TrendPoint]:
        raise NotImplementedError

    def recorded_targets(self, estate: str, revision: str) -> set[str]:
        return {
            r.target for r in self.refs if r.estate == estate and r.revision == revision and r.status == "ok"
        }

    def close(self) -> None:
        pass
