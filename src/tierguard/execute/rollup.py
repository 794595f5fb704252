"""The estate roll-up: what one run found, per target, per producer and jurisdiction, per verdict.

Built incrementally from one ScanResult at a time (:meth:`Rollup.add`), then the result is dropped: the
driver keeps a small summary per target and one row per (producer, jurisdiction), never the results, so its
memory does not grow with what the targets contain.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from tierguard.model import VERDICT_ORDER, Asset, ScanResult, Verdict

TargetStatus = Literal["ok", "error", "skipped"]


class TargetSummary(msgspec.Struct, frozen=True, kw_only=True):
    """One target of the run. ``skipped``: recorded ok earlier in this run (a resumed run), counted from
    the store; ``error``: could not be scanned (the error is recorded in the store too)."""

    name: str
    status: TargetStatus
    owner: str | None = None
    scan_id: int | None = None
    worst_verdict: Verdict | None = None
    assets: int = 0
    denies: int = 0
    reviews: int = 0
    findings: int = 0
    gaps: int = 0  # units that may be model artifacts, configs or containers and could not be fully read
    error: str = ""
    attempts: int = 0
    elapsed_ms: int = 0


class ProducerRow(msgspec.Struct, kw_only=True):
    producer: str
    jurisdiction: str
    assets: int = 0  # asset occurrences over the targets
    targets: int = 0
    denies: int = 0  # of those assets, effective verdict deny
    reviews: int = 0


class Rollup(msgspec.Struct, kw_only=True):
    targets: list[TargetSummary] = msgspec.field(default_factory=list)
    producers: dict[str, ProducerRow] = msgspec.field(default_factory=dict)
    verdicts: dict[str, int] = msgspec.field(default_factory=dict)  # targets per worst verdict / "error"
    decisions: dict[str, int] = msgspec.field(default_factory=dict)  # asset decisions per verdict

    def add(self, summary: TargetSummary, result: ScanResult | None) -> None:
        self.targets.append(summary)
        key = "error" if summary.status == "error" else summary.worst_verdict or "allow"
        self.verdicts[key] = self.verdicts.get(key, 0) + 1
        if result is not None:
            self._add_result(result)

    def _add_result(self, result: ScanResult) -> None:
        verdicts = {d.asset_id: d.effective_verdict for d in result.decisions}
        for v in verdicts.values():
            self.decisions[v] = self.decisions.get(v, 0) + 1
        seen: set[str] = set()
        for asset in result.assets:
            verdict = verdicts.get(asset.id)
            for producer, jurisdiction in _producers(asset):
                key = f"{producer}\x1f{jurisdiction}"
                row = self.producers.get(key)
                if row is None:
                    row = self.producers[key] = ProducerRow(producer=producer, jurisdiction=jurisdiction)
                row.assets += 1
                row.denies += verdict == "deny"
                row.reviews += verdict == "review"
                if key not in seen:
                    seen.add(key)
                    row.targets += 1

    def errors(self) -> list[TargetSummary]:
        return [t for t in self.targets if t.status == "error"]

    def producer_rows(self) -> list[ProducerRow]:
        """Denies first, then reviews, then assets."""
        return sorted(self.producers.values(), key=lambda r: (-r.denies, -r.reviews, -r.assets, r.producer))


def _producers(asset: Asset) -> list[tuple[str, str]]:
    """(producer name, jurisdiction) of an asset: its producers, else its service operator."""
    prov = asset.provenance
    out = [(p.name, p.jurisdiction) for p in prov.producers]
    if not out and prov.service_operator is not None:
        op = prov.service_operator
        out = [(op.name, op.jurisdiction)]
    return list(dict.fromkeys(out))


def summarise(name: str, owner: str | None, result: ScanResult, scan_id: int | None) -> TargetSummary:
    from tierguard.report.coverage import coverage

    denies = reviews = 0
    worst: Verdict = "allow"
    for d in result.decisions:
        v = d.effective_verdict
        denies += v == "deny"
        reviews += v == "review"
        if VERDICT_ORDER[v] > VERDICT_ORDER[worst]:
            worst = v
    return TargetSummary(
        name=name,
        status="ok",
        owner=owner,
        scan_id=scan_id,
        worst_verdict=worst,
        assets=len(result.assets),
        denies=denies,
        reviews=reviews,
        findings=len(result.findings),
        gaps=len(coverage(result).gating),
        elapsed_ms=result.stats.elapsed_ms,
    )
