"""Run a pack's own example cases (``tierguard policy test``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from tierguard.errors import PolicyError
from tierguard.model import (
    Asset,
    Evidence,
    Finding,
    Inspection,
    LineageEdge,
    Location,
    ModelDetails,
    ProducerRef,
    Provenance,
    Usage,
    Verdict,
)
from tierguard.policy.context import build_context
from tierguard.policy.engine import evaluate
from tierguard.policy.schema import Example, ExampleAsset, Pack


@dataclass(frozen=True, slots=True)
class ExampleResult:
    pack: str
    name: str
    expected: Verdict
    got: Verdict
    expected_rules: tuple[str, ...]
    matched_rules: tuple[str, ...]
    notes: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.expected == self.got and set(self.expected_rules) <= set(self.matched_rules)


def build_asset(spec: ExampleAsset) -> tuple[Asset, list[Finding], list[Inspection]]:
    loc = Location(path=f"example/{spec.name}")
    producers = tuple(
        ProducerRef(id=p.id, name=p.id, jurisdiction=p.jurisdiction, role="producer") for p in spec.producers
    )
    lineage = tuple(
        LineageEdge(
            relation="finetune",
            base=f"{p.id}/base",
            base_producer=ProducerRef(id=p.id, name=p.id, jurisdiction=p.jurisdiction, role="base-producer"),
            source="example",
        )
        for p in spec.lineage
    )
    ev = Evidence(
        detector="example",
        kind="example",
        value=spec.name,
        strength=spec.strength,
        location=loc,
        attributes={} if spec.ai else {"ai": "false"},
    )
    usages: tuple[Usage, ...] = ()
    if spec.host is not None or spec.user is not None:
        operator = spec.producers[0].id if spec.producers and spec.service_jurisdiction else None
        usages = (
            Usage(
                location=loc,
                use_mode=spec.use_mode,
                strength=spec.strength,
                service=spec.name if spec.kind == "ai-service" else None,
                operator=operator,
                service_jurisdiction=spec.service_jurisdiction,
                host=spec.host,
                user=spec.user,
            ),
        )
    asset = Asset(
        kind=spec.kind,
        name=spec.name,
        use_mode=spec.use_mode,
        provenance=Provenance(
            producers=producers, service_jurisdiction=spec.service_jurisdiction, lineage=lineage
        ),
        evidence=(ev,),
        usages=usages,
        details=ModelDetails(framework_jurisdiction=spec.framework_jurisdiction)
        if spec.framework_jurisdiction
        else None,
    )
    findings = [
        Finding(
            rule_id=f"EXAMPLE-{i}", severity=sev, message="example finding", location=loc, asset_id=asset.id
        )
        for i, sev in enumerate(spec.findings)
    ] + [
        Finding(rule_id=rid, severity="high", message="example finding", location=loc, asset_id=asset.id)
        for rid in spec.finding_rules
    ]
    inspections = (
        []
        if spec.inspection is None
        else [Inspection(location=loc, format="example", status=spec.inspection)]
    )
    return asset, findings, inspections


def run_example(pack: Pack, ex: Example, support: Sequence[Pack] = ()) -> ExampleResult:
    asset, findings, inspections = build_asset(ex.asset)
    ctx = build_context(ex.context, f"{pack.source} example {ex.name!r}")
    if ex.date:
        ctx = ctx.model_copy(update={"date": ex.date})
    day = dt.date.today()
    (d,) = evaluate([asset], findings, inspections, ctx, [pack, *support], today=day)
    # only the pack under test decides; support packs contribute frameworks only
    return ExampleResult(
        pack=pack.id,
        name=ex.name,
        expected=ex.expect,
        got=d.verdict,
        expected_rules=ex.rules,
        matched_rules=tuple(m.rule_id for m in d.matches),
        notes=d.notes,
    )


def run_examples(pack: Pack, support: Sequence[Pack] = ()) -> list[ExampleResult]:
    """Every example of ``pack``. ``support`` packs provide tier frameworks; their rules are not used."""
    frameworks_only = [s.model_copy(update={"rules": (), "examples": ()}) for s in support if s.id != pack.id]
    try:
        return [run_example(pack, ex, frameworks_only) for ex in pack.examples]
    except PolicyError as exc:
        raise PolicyError(f"{pack.source}: example failed to run: {exc}") from exc
