"""The Scanner: runs the five stages over one target and returns a ScanResult.

The CLI, the benchmarks and (later) the HTTP service all go through here; nothing in this module prints.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tierguard import __version__
from tierguard.catalog import Catalog
from tierguard.discover.engine import run_detectors
from tierguard.discover.interface import Detector
from tierguard.discover.registry import DETECTORS
from tierguard.identify.code import identify_evidence
from tierguard.identify.rules import RULES as IDENTIFY_RULES
from tierguard.inspect.rules import RULES as INSPECT_RULES
from tierguard.model import (
    Asset,
    Context,
    Decision,
    Evidence,
    Finding,
    Location,
    PackRef,
    RuleInfo,
    ScanResult,
    Skipped,
    Waiver,
)
from tierguard.policy.engine import coverage_notes, evaluate, rules_info
from tierguard.policy.packs import Pack
from tierguard.policy.waivers import waiver_report
from tierguard.targets.interface import FileRef, Resolver
from tierguard.targets.open import open_target
from tierguard.targets.sniff import SNIFF_BYTES, sniff

ProgressFn = Callable[[str, str], None]
"""Called with (stage name, file path within the target) as each stage reaches a file."""


@dataclass(frozen=True, slots=True)
class Inventory:
    """Assets from outside the target (an equipment inventory: osquery, CMDB, SNMP), evaluated together
    with the target's so that fleet-wide rules (compute access) see both."""

    assets: Sequence[Asset] = ()
    evidence: Sequence[Evidence] = ()
    skipped: Sequence[Skipped] = ()
    notes: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class ScanOptions:
    include_ignored: bool = False
    strict: bool = False
    artifacts: bool = True  # identify model artifacts (model files, HF caches, bundled models)
    inspect: bool = True  # static safety inspection of artifacts
    detectors: Sequence[Detector] = DETECTORS


@dataclass(slots=True)
class _Listed:
    """A resolver whose file list is taken once and shared by every stage. While ``record_kinds`` is on,
    a read of a file's start (offset 0, at most SNIFF_BYTES bytes) reads SNIFF_BYTES bytes and remembers
    their sniffed format in ``kinds``, so the inspect stage does not open every file again."""

    inner: Resolver
    _refs: list[FileRef] | None = field(default=None)
    record_kinds: bool = False
    kinds: dict[tuple[str, str | None], str] = field(default_factory=dict)

    @property
    def root_name(self) -> str:
        return self.inner.root_name

    def files(self) -> Iterator[FileRef]:
        if self._refs is None:
            self._refs = list(self.inner.files())
        return iter(self._refs)

    def read_bytes(self, ref: FileRef, limit: int, offset: int = 0) -> bytes:
        if self.record_kinds and offset == 0 and limit <= SNIFF_BYTES:
            key = (ref.path, ref.member)
            if key not in self.kinds:
                head = self.inner.read_bytes(ref, SNIFF_BYTES)
                self.kinds[key] = sniff(head, ref.name)
                return head[: max(0, limit)]
        return self.inner.read_bytes(ref, limit, offset)

    def local_path(self, ref: FileRef) -> Path | None:
        return self.inner.local_path(ref)

    def skipped(self) -> list[Skipped]:
        return self.inner.skipped()


class Scanner:
    def __init__(self, catalog: Catalog, packs: Sequence[Pack]) -> None:
        self.catalog = catalog
        self.packs = list(packs)

    def scan(
        self,
        target: Path,
        context: Context,
        *,
        waivers: Sequence[Waiver] = (),
        options: ScanOptions | None = None,
        progress: ProgressFn | None = None,
        display_name: str | None = None,
        inventory: Inventory | None = None,
    ) -> ScanResult:
        opts = options or ScanOptions()
        resolver = open_target(target, include_ignored=opts.include_ignored)
        return self.scan_resolver(
            resolver,
            context,
            waivers=waivers,
            options=opts,
            progress=progress,
            display_name=display_name or str(target),
            inventory=inventory,
        )

    def scan_resolver(
        self,
        resolver: Resolver,
        context: Context,
        *,
        waivers: Sequence[Waiver] = (),
        options: ScanOptions | None = None,
        progress: ProgressFn | None = None,
        display_name: str | None = None,
        inventory: Inventory | None = None,
    ) -> ScanResult:
        """Run every stage over ``resolver``; its file list is taken once and shared by the stages."""
        opts = options or ScanOptions()
        started = _now()
        t0 = time.perf_counter()
        resolver = resolver if isinstance(resolver, _Listed) else _Listed(resolver)

        def stage_cb(stage: str) -> Callable[[FileRef], None] | None:
            if progress is None:
                return None
            return lambda ref: progress(stage, ref.logical_path)

        def path_cb(stage: str) -> Callable[[str], None] | None:
            if progress is None:
                return None
            return lambda path: progress(stage, path)

        disc = run_detectors(
            resolver, opts.detectors, self.catalog, on_file=stage_cb("discover"), strict=opts.strict
        )
        evidence: list[Evidence] = list(disc.evidence)
        skipped: list[Skipped] = list(disc.skipped)
        assets: list[Asset] = identify_evidence(evidence, self.catalog)
        findings: list[Finding] = []
        inspections = []
        if opts.artifacts:
            from tierguard.identify.artifacts import identify_artifacts  # only when the stage runs

            resolver.record_kinds = opts.inspect  # the identify stage reads every file's start anyway
            try:
                art = identify_artifacts(resolver, self.catalog, on_file=stage_cb("identify"))
            finally:
                resolver.record_kinds = False
            assets.extend(art.assets)
            evidence.extend(art.evidence)
            findings.extend(art.findings)
            skipped.extend(art.skipped)
        if opts.inspect:
            from tierguard.inspect.engine import inspect_target  # only when the stage runs

            ins = inspect_target(resolver, on_file=path_cb("inspect"), kinds=resolver.kinds)
            inspections = list(ins.inspections)
            findings.extend(ins.findings)
            skipped.extend(ins.skipped)
        if inventory is not None:
            assets.extend(inventory.assets)
            evidence.extend(inventory.evidence)
            skipped.extend(inventory.skipped)
        assets, findings = _link_findings(_dedupe_assets(assets), findings)
        decisions: list[Decision] = evaluate(assets, findings, inspections, context, self.packs, waivers)
        rules: list[RuleInfo] = list(rules_info(self.packs))
        fired = {f.rule_id for f in findings}
        known = INSPECT_RULES | IDENTIFY_RULES
        rules += [known[r] for r in sorted(fired) if r in known]
        notes: list[str] = coverage_notes(assets, context, self.packs)
        if waivers:
            notes.extend(waiver_report(decisions, waivers, context).notes())
        if inventory is not None:
            notes.extend(inventory.notes)
        stats = {
            "files_seen": disc.files_seen,
            "files_parsed": disc.files_parsed,
            "bytes_read": disc.bytes_read,
            "evidence": len(evidence),
            "assets": len(assets),
            "findings": len(findings),
            "inspections": len(inspections),
            "skipped": len(skipped),
            "elapsed_ms": int((time.perf_counter() - t0) * 1000),
        }
        return ScanResult(
            tool_version=__version__,
            catalog_version=self.catalog.version,
            packs=tuple(PackRef(id=p.id, version=p.version) for p in self.packs),
            target=display_name or resolver.root_name,
            context=context,
            started=started,
            finished=_now(),
            evidence=tuple(evidence),
            assets=tuple(assets),
            findings=tuple(findings),
            inspections=tuple(inspections),
            decisions=tuple(decisions),
            skipped=tuple(skipped),
            rules=tuple(rules),
            notes=tuple(notes),
            stats=stats,
        )


def _dedupe_assets(assets: list[Asset]) -> list[Asset]:
    """Merge assets that share an id (e.g. a model seen in code and on disk): evidence and methods joined."""
    by_id: dict[str, Asset] = {}
    for a in assets:
        prev = by_id.get(a.id)
        if prev is None:
            by_id[a.id] = a
            continue
        ev = prev.evidence + tuple(e for e in a.evidence if e not in prev.evidence)
        methods = prev.provenance.methods + tuple(
            m for m in a.provenance.methods if m not in prev.provenance.methods
        )
        prov = prev.provenance.model_copy(update={"methods": methods})
        by_id[a.id] = prev.model_copy(update={"evidence": ev, "provenance": prov})
    return list(by_id.values())


def _link_findings(assets: list[Asset], findings: list[Finding]) -> tuple[list[Asset], list[Finding]]:
    """Attach each unattached finding to the artifact asset at its location; an artifact with findings
    but no identified asset becomes an ai-model asset named by its path (producer unknown)."""
    by_path: dict[str, Asset] = {}
    for a in assets:
        p = a.attributes.get("path")
        if p:
            by_path.setdefault(p, a)
    out_f: list[Finding] = []
    new_assets: dict[str, Asset] = {}
    for f in findings:
        if f.asset_id is not None:
            out_f.append(f)
            continue
        key = f.location.path if f.location.member is None else f"{f.location.path}!{f.location.member}"
        asset = by_path.get(key) or by_path.get(f.location.path) or new_assets.get(f.location.path)
        if asset is None:
            asset = Asset(
                kind="ai-model",
                name=f.location.path,
                use_mode="self-hosted",
                evidence=(
                    Evidence(
                        detector="inspect",
                        kind="model-artifact",
                        value=f.location.path,
                        strength="A",
                        location=Location(path=f.location.path),
                    ),
                ),
                attributes={"path": f.location.path, "identified": "no"},
            )
            new_assets[f.location.path] = asset
        out_f.append(f.model_copy(update={"asset_id": asset.id}))
    return assets + list(new_assets.values()), out_f


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()
