"""Turn an equipment assessment into the pipeline's ScanResult, so every reporter (table, JSON, SARIF,
CycloneDX devices, HTML) serves fleets exactly as it serves code scans."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from tierguard import __version__
from tierguard.equipment.types import EquipmentOutput
from tierguard.model import Context, Decision, PackRef, RuleInfo, ScanResult


def equipment_result(
    out: EquipmentOutput,
    *,
    target: str,
    context: Context,
    decisions: Sequence[Decision] = (),
    packs: Sequence[PackRef] = (),
    rules: Sequence[RuleInfo] = (),
) -> ScanResult:
    s = out.summary
    notes = [
        f"fleet: {s.headline()}",
        f"records read: {s.records_read}; unusable records: {s.unusable_records}",
    ]
    notes += [f"unusable: {reason}: {count}" for reason, count in sorted(s.unusable_by_reason.items())]
    notes += list(s.notes)
    for hv in out.hosts:
        notes += [f"{hv.host}: {n}" for n in hv.notes]
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    return ScanResult(
        tool_version=__version__,
        catalog_version=out.catalog_version,
        packs=tuple(packs),
        target=target,
        context=context,
        started=now,
        finished=now,
        evidence=out.evidence,
        assets=out.assets,
        decisions=tuple(decisions),
        skipped=out.skipped,
        rules=tuple(rules),
        notes=tuple(notes),
        stats={
            "hosts": s.hosts,
            "hosts_with_prc": s.hosts_with_prc,
            "components": s.components,
            "prc_components": s.prc_components,
            "unusable_records": s.unusable_records,
        },
    )
