"""The Scanner: the one engine behind every command. It runs the stages over one target (a directory, git
working tree, file, archive or Python environment, through a resolver) and/or equipment inventories
(osquery, CMDB, SNMP, or the local host) and returns a :class:`ScanResult`.

``tierguard scan`` runs every stage; ``tierguard inspect`` runs the inspect stage only; ``tierguard host``
reads inventories (the local host by default) and evaluates the equipment packs. Same engine, same result
model, same reporters. Nothing in this module prints. Stage modules are imported only when their stage runs
(``tierguard inspect`` never imports the catalog, discovery or policy code: see bench/inspect).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

from tierguard import __version__
from tierguard.audit.attach import attach_audits
from tierguard.model import (
    Asset,
    Context,
    Decision,
    Evidence,
    Finding,
    Inspection,
    Location,
    ModelDetails,
    PackRef,
    RuleInfo,
    ScanResult,
    Skipped,
    Stage,
    Stats,
    Waiver,
    summary_use_mode,
)
from tierguard.targets.interface import FileRef, Resolver

if TYPE_CHECKING:
    from tierguard.apps import AppCatalog
    from tierguard.catalog import Catalog
    from tierguard.discover.interface import Detector
    from tierguard.equipment import EquipmentOptions
    from tierguard.policy.packs import Pack
    from tierguard.targets.archive import ContainerInfo

ProgressFn = Callable[[str, str], None]
"""Called with (stage name, file path within the target) as each stage reaches a file."""

InventoryKind = Literal["osquery", "inventory", "snmp", "host", "apps", "egress", "cloud"]

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class InventoryInput:
    """An inventory to read with the scan: an osquery results file (hardware and app tables), a CMDB export
    (or, detected by content, an MDM app export, a network log or a cloud export), an SNMP walk, ``apps`` (an
    app inventory), ``egress`` (a DNS/proxy/TLS log), ``cloud`` (a cloud AI export or a directory of them),
    or ``host`` (probe the machine whose filesystem root is ``path``, its
    hardware and installed apps; ``rpm_query``: `rpm -qa` output)."""

    kind: InventoryKind
    path: Path
    rpm_query: Path | None = None


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """Which stages run. ``command`` names the view recorded in the result."""

    include_ignored: bool = False
    strict: bool = False
    discover: bool = True  # code/config detectors
    artifacts: bool = True  # identify model artifacts (model files, HF caches, bundled models)
    inspect: bool = True  # static safety inspection of artifacts
    policy: bool = True  # evaluate the packs
    detectors: Sequence[Detector] | None = None  # None: every registered detector
    equipment: EquipmentOptions | None = None  # settings for ambiguous equipment vendors
    command: Literal["scan", "inspect", "host"] = "scan"
    # results of ``tierguard audit`` (``scan --audit FILE``): their AUDIT-* findings join the audited model's
    # asset before policy, so packs see audited models (and the unaudited ones)
    audits: Sequence[ScanResult] = ()

    @property
    def expand_archives(self) -> bool:
        """Archives inside a directory target are opened only for the stages that read artifacts (the
        discovery-only view lists the files as they are, and says so)."""
        return self.artifacts or self.inspect


INSPECT_VIEW = ScanOptions(
    include_ignored=True, discover=False, artifacts=False, inspect=True, policy=False, command="inspect"
)
"""``tierguard inspect``: only the inspect stage; ignored files are inspected too (a model file is not safer
for being listed in .gitignore)."""


@dataclass(slots=True)
class _Listed:
    """The target's one listing, shared by every stage: containers expanded once (their members listed
    with the files) and every file's format sniffed once from one head read (``kinds``), so no stage walks
    the target, opens an archive or sniffs a file again."""

    inner: Resolver
    _refs: list[FileRef] | None = field(default=None)
    kinds: dict[tuple[str, str | None], str] = field(default_factory=dict)
    expand_archives: bool = True  # False: the discovery-only view lists the files as the resolver gives them

    @property
    def root_name(self) -> str:
        return self.inner.root_name

    def __post_init__(self) -> None:
        from tierguard.targets.archive import ExpandedResolver, expand

        if self.expand_archives:
            self.inner = expand(self.inner)  # containers expanded once: members listed with the files
        if isinstance(self.inner, ExpandedResolver):
            self.kinds = self.inner.kinds  # each file sniffed once, from the listing's head read

    @property
    def containers(self) -> dict[str, ContainerInfo]:
        from tierguard.targets.archive import ExpandedResolver

        return self.inner.containers if isinstance(self.inner, ExpandedResolver) else {}

    def files(self) -> Iterator[FileRef]:
        if self._refs is None:
            self._refs = list(self.inner.files())
        return iter(self._refs)

    def read_bytes(self, ref: FileRef, limit: int, offset: int = 0) -> bytes:
        return self.inner.read_bytes(ref, limit, offset)

    def local_path(self, ref: FileRef) -> Path | None:
        return self.inner.local_path(ref)

    def skipped(self) -> list[Skipped]:
        return self.inner.skipped()


@dataclass(slots=True)
class _Acc:
    """What the stages have produced so far."""

    evidence: list[Evidence] = field(default_factory=list)
    assets: list[Asset] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    inspections: list[Inspection] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


class Scanner:
    """``Scanner(catalog, packs)``; the catalog is loaded on first use when not given (the inspect and
    equipment views never need it)."""

    def __init__(self, catalog: Catalog | None = None, packs: Sequence[Pack] = ()) -> None:
        self._catalog = catalog
        self._apps: AppCatalog | None = None
        self.packs = list(packs)

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            from tierguard.catalog import load_catalog

            self._catalog = load_catalog()
        return self._catalog

    @property
    def apps_catalog(self) -> AppCatalog:
        if self._apps is None:
            from tierguard.apps import load_app_catalog

            self._apps = load_app_catalog()
        return self._apps

    def _read_inventories(
        self, inputs: Sequence[InventoryInput], opts: ScanOptions, acc: _Acc, progress: ProgressFn | None
    ) -> None:
        """Route each input: equipment readers for hardware/OS records, the app reader for installed apps
        (osquery app tables, MDM exports, this host), the egress reader for network logs. A CMDB
        ``--inventory`` that is really an MDM export or a log (by content) goes to the reader it is for."""
        from tierguard.fleet import (
            FleetOutput,
            read_apps_input,
            read_cloud_input,
            read_egress_input,
            sniff_input,
        )

        equipment: list[InventoryInput] = []
        fleet = FleetOutput()
        kinds: set[str] = set()
        for inp in inputs:
            kind = inp.kind
            if kind == "inventory":
                kind = sniff_input(inp.path) or "inventory"
            if kind in ("osquery", "inventory", "snmp", "host"):
                equipment.append(inp)
            if kind in ("osquery", "host", "apps"):
                if kind == "osquery" and sniff_input(inp.path) != "apps":
                    continue  # an osquery file with hardware tables only
                read_apps_input(inp.path, self.apps_catalog, fleet, local=kind == "host")
                kinds.add("apps")
            elif kind == "egress":
                read_egress_input(inp.path, self.catalog, self.apps_catalog, fleet, progress)
                kinds.add("egress")
            elif kind == "cloud":
                read_cloud_input(inp.path, self.catalog, fleet)
                kinds.add("cloud")
        if equipment:
            _read_equipment(equipment, opts, acc)
        acc.stages += sorted(kinds)  # type: ignore[arg-type]
        acc.assets += fleet.assets
        acc.evidence += fleet.evidence
        acc.skipped += fleet.skipped
        acc.notes += fleet.notes

    def scan(
        self,
        target: Path | None,
        context: Context,
        *,
        waivers: Sequence[Waiver] = (),
        options: ScanOptions | None = None,
        progress: ProgressFn | None = None,
        display_name: str | None = None,
        inventories: Sequence[InventoryInput] = (),
    ) -> ScanResult:
        """Scan ``target`` (None: inventories only) plus ``inventories``."""
        opts = options or ScanOptions()
        resolver: Resolver | None = None
        if target is not None and display_name is None and ":" in str(target):
            from tierguard.targets.image import image_reference, reference_label

            ref = image_reference(target)  # docker://x (a Path makes it docker:/x), oci:...
            display_name = reference_label(ref) if ref is not None else None
        if target is not None and opts.discover and (target.is_file() or target.is_dir()):
            from tierguard.fleet import sniff_input

            kind = sniff_input(target)
            if (
                kind is not None
            ):  # an app inventory, a network log or cloud exports: read as such, not as code
                inventories = [*inventories, InventoryInput(kind, target)]
                display_name = display_name or str(target)
                target = None
        if target is not None:
            from tierguard.targets.open import open_target

            resolver = open_target(
                target,
                include_ignored=opts.include_ignored,
                strict=opts.strict,
                expand_archives=opts.expand_archives,
            )
        names = [display_name or str(target)] if target is not None or display_name else []
        names += [f"{i.kind}:{i.path}" for i in inventories if target is None and not display_name]
        return self._run(resolver, context, waivers, opts, progress, ", ".join(names) or "-", inventories)

    def scan_resolver(
        self,
        resolver: Resolver,
        context: Context,
        *,
        waivers: Sequence[Waiver] = (),
        options: ScanOptions | None = None,
        progress: ProgressFn | None = None,
        display_name: str | None = None,
        inventories: Sequence[InventoryInput] = (),
    ) -> ScanResult:
        """Run the stages over ``resolver``; its file list is taken once and shared by the stages."""
        opts = options or ScanOptions()
        name = display_name or resolver.root_name
        return self._run(resolver, context, waivers, opts, progress, name, inventories)

    def _run(
        self,
        resolver: Resolver | None,
        context: Context,
        waivers: Sequence[Waiver],
        opts: ScanOptions,
        progress: ProgressFn | None,
        name: str,
        inventories: Sequence[InventoryInput],
    ) -> ScanResult:
        started = _now()
        t0 = time.perf_counter()
        acc = _Acc()
        if resolver is not None:
            if isinstance(resolver, _Listed):
                listed = resolver
            else:
                listed = _Listed(resolver, expand_archives=opts.expand_archives)
            self._target_stages(listed, opts, progress, acc)
        if inventories:
            self._read_inventories(inventories, opts, acc, progress)
        assets, findings = _link_findings(_dedupe_assets(acc.assets), acc.findings, acc.inspections)
        audit_findings, audit_rules = attach_audits(assets, opts.audits, acc.notes)
        findings += audit_findings
        decisions: list[Decision] = []
        rules: list[RuleInfo] = []
        if opts.policy and self.packs:
            from tierguard.policy.engine import evaluate
            from tierguard.policy.explain import coverage_notes, rules_info
            from tierguard.policy.waivers import waiver_report

            acc.stages.append("policy")
            decisions = evaluate(assets, findings, acc.inspections, context, self.packs, waivers)
            rules = list(rules_info(self.packs))
            acc.notes[:0] = coverage_notes(assets, context, self.packs)
            if waivers:
                acc.notes.extend(waiver_report(decisions, waivers, context).notes())
        rules += _finding_rules(findings) + audit_rules
        stats = Stats(  # the stages' own counters (acc.counts holds Stats field names) and the totals
            **acc.counts,
            evidence=len(acc.evidence),
            assets=len(assets),
            findings=len(findings),
            inspections=len(acc.inspections),
            skipped=len(acc.skipped),
            elapsed_ms=int((time.perf_counter() - t0) * 1000),
        )
        catalog_version = self._catalog.version if self._catalog is not None else ""
        return ScanResult(
            tool_version=__version__,
            catalog_version=catalog_version,
            command=opts.command,
            stages=tuple(acc.stages),
            packs=tuple(PackRef(id=p.id, version=p.version) for p in self.packs) if opts.policy else (),
            target=name,
            context=context,
            started=started,
            finished=_now(),
            evidence=tuple(acc.evidence),
            assets=tuple(assets),
            findings=tuple(findings),
            inspections=tuple(acc.inspections),
            decisions=tuple(decisions),
            skipped=tuple(acc.skipped),
            rules=tuple(rules),
            notes=tuple(acc.notes),
            stats=stats,
        )

    def _target_stages(
        self, resolver: _Listed, opts: ScanOptions, progress: ProgressFn | None, acc: _Acc
    ) -> None:
        """discover -> identify (code evidence, then artifacts) -> inspect over one listing."""
        if not resolver.expand_archives:
            acc.notes.append(
                "archives inside the target were not opened (--no-artifacts --no-inspect: discovery only)"
            )

        def on_ref(stage: str) -> Callable[[FileRef], None] | None:
            return None if progress is None else (lambda ref: progress(stage, ref.logical_path))

        if opts.discover:
            from tierguard.discover.engine import run_detectors
            from tierguard.identify.code import identify_evidence

            if opts.detectors is None:
                from tierguard.discover.registry import DETECTORS

                detectors: Sequence[Detector] = DETECTORS
            else:
                detectors = opts.detectors
            disc = run_detectors(
                resolver, detectors, self.catalog, on_file=on_ref("discover"), strict=opts.strict
            )
            acc.stages.append("discover")
            acc.evidence.extend(disc.evidence)
            acc.skipped.extend(disc.skipped)
            acc.assets.extend(identify_evidence(disc.evidence, self.catalog))
            acc.counts.update(
                files_seen=disc.files_seen, files_parsed=disc.files_parsed, bytes_read=disc.bytes_read
            )
        if opts.artifacts:
            from tierguard.identify.artifacts import identify_artifacts

            art = identify_artifacts(resolver, self.catalog, on_file=on_ref("identify"), kinds=resolver.kinds)
            acc.stages.append("identify")
            acc.assets.extend(art.assets)
            acc.evidence.extend(art.evidence)
            acc.findings.extend(art.findings)
            acc.skipped.extend(art.skipped)
        if opts.inspect:
            from tierguard.inspect.engine import inspect_target

            on_path = None if progress is None else (lambda path: progress("inspect", path))
            ins = inspect_target(
                resolver, on_file=on_path, kinds=resolver.kinds or None, containers=resolver.containers
            )
            acc.stages.append("inspect")
            acc.inspections.extend(ins.inspections)
            acc.findings.extend(ins.findings)
            acc.skipped.extend(ins.skipped)
        if not opts.discover:  # the discover stage reports what the resolver passed over; else do it here
            acc.skipped.extend(resolver.skipped())
        acc.notes.extend(_resolver_notes(resolver.inner))


def _resolver_notes(resolver: object) -> list[str]:
    """What the target's resolver said about its listing (how git's index was read, a ``.git`` it could not
    read, tracked files that ignore rules match); the archive expansion wraps it as ``outer``."""
    notes = getattr(getattr(resolver, "outer", resolver), "notes", None)
    return [str(n) for n in notes()] if callable(notes) else []


def _read_equipment(inputs: Sequence[InventoryInput], opts: ScanOptions, acc: _Acc) -> None:
    """Read equipment inventories (osquery, CMDB, SNMP, the local host) into assets and evidence."""
    from tierguard.equipment import EquipmentOutput, assess_local, load_equipment_catalog
    from tierguard.errors import TargetError
    from tierguard.inventories import read_inventory, read_osquery, read_snmp

    readers: dict[str, Callable[..., EquipmentOutput]] = {
        "osquery": read_osquery,
        "inventory": read_inventory,
        "snmp": read_snmp,
    }
    cat = load_equipment_catalog()
    out = EquipmentOutput(catalog_version=cat.version)
    for inp in inputs:
        if inp.kind == "host":
            if not inp.path.is_dir():
                raise TargetError(f"host root {inp.path}: not a directory")
            got = assess_local(inp.path, catalog=cat, options=opts.equipment, rpm_query=inp.rpm_query)
        else:
            if not inp.path.is_file():
                raise TargetError(f"{inp.kind} input {inp.path}: not a file")
            got = readers[inp.kind](inp.path, catalog=cat, options=opts.equipment)
        out = out.merge(got)
    acc.stages.append("equipment")
    acc.notes.append(f"equipment catalog {out.catalog_version}")
    acc.assets.extend(out.assets)
    acc.evidence.extend(out.evidence)
    acc.skipped.extend(out.skipped)
    s = out.summary
    acc.notes.append(f"fleet: {s.headline()}")
    acc.notes.append(f"records read: {s.records_read}; unusable records: {s.unusable_records}")
    acc.notes += [f"unusable: {reason}: {count}" for reason, count in sorted(s.unusable_by_reason.items())]
    acc.notes += list(s.notes)
    for hv in out.hosts:
        acc.notes += [f"{hv.host}: {n}" for n in hv.notes]
    acc.counts.update(
        hosts=s.hosts,
        hosts_with_prc=s.hosts_with_prc,
        components=s.components,
        prc_components=s.prc_components,
        unusable_records=s.unusable_records,
    )


def _finding_rules(findings: Sequence[Finding]) -> list[RuleInfo]:
    """Metadata of the inspection and identification rules that fired."""
    fired = {f.rule_id for f in findings}
    if not fired:
        return []
    from tierguard.identify.rules import RULES as IDENTIFY_RULES
    from tierguard.inspect.rules import RULES as INSPECT_RULES

    known = INSPECT_RULES | IDENTIFY_RULES
    return [known[r] for r in sorted(fired) if r in known]


def _dedupe_assets(assets: list[Asset]) -> list[Asset]:
    """Merge assets that share an id (a model named in code and present on disk; the same package from two
    manifests): evidence, usages, aliases, producers, lineage and methods joined, details completed."""
    by_id: dict[str, Asset] = {}
    for a in assets:
        prev = by_id.get(a.id)
        by_id[a.id] = a if prev is None else _merge_asset(prev, a)
    return list(by_id.values())


def _merge_asset(prev: Asset, a: Asset) -> Asset:
    def union(x: tuple[_T, ...], y: tuple[_T, ...]) -> tuple[_T, ...]:
        return tuple(dict.fromkeys(x + y))

    pp, pa = prev.provenance, a.provenance
    prov = pp.model_copy(
        update={
            "producers": union(pp.producers, pa.producers),
            "lineage": union(pp.lineage, pa.lineage),
            "methods": union(pp.methods, pa.methods),
            "service_operator": pp.service_operator or pa.service_operator,
            "service_jurisdiction": pp.service_jurisdiction or pa.service_jurisdiction,
        }
    )
    usages = union(prev.usages, a.usages)
    details = prev.details
    if isinstance(details, ModelDetails) and isinstance(a.details, ModelDetails):
        # the artifact's details (path, format, status ...) with the code reference's family where unset
        mine, other = (a.details, details) if a.details.path and not details.path else (details, a.details)
        fill = {k: getattr(other, k) for k in other.__struct_fields__ if getattr(mine, k) in (None, "")}
        details = mine.model_copy(update={k: v for k, v in fill.items() if v not in (None, "")})
    return prev.model_copy(
        update={
            "evidence": union(prev.evidence, a.evidence),
            "usages": usages,
            "aliases": tuple(sorted(set(prev.aliases) | set(a.aliases), key=str.lower)),
            "provenance": prov,
            "details": details or a.details,
            "use_mode": summary_use_mode(usages, prev.use_mode),
        }
    )


def _prefixes(display: str) -> list[str]:
    """``a.zip!b.tar!c.pkl`` -> [``a.zip!b.tar!c.pkl``, ``a.zip!b.tar``, ``a.zip``]: the artifact a finding
    sits in is the longest of these that is an artifact."""
    parts = display.split("!")
    return ["!".join(parts[:n]) for n in range(len(parts), 0, -1)]


def _link_findings(
    assets: list[Asset], findings: list[Finding], inspections: Sequence[Inspection]
) -> tuple[list[Asset], list[Finding]]:
    """Attach each unattached finding to the model asset of the artifact it sits in (the longest prefix of
    its location that is an identified artifact or an inspected unit); an artifact with findings but no
    identified asset becomes an ai-model asset named by the artifact's location (producer unknown)."""
    by_path: dict[str, Asset] = {}
    for a in assets:
        p = a.artifact_path
        if p:
            by_path.setdefault(p, a)
    units = {i.location.display() for i in inspections}
    out_f: list[Finding] = []
    new_assets: dict[str, Asset] = {}
    for f in findings:
        if f.asset_id is not None:
            out_f.append(f)
            continue
        candidates = _prefixes(f.location.display())
        asset = next((by_path[c] for c in candidates if c in by_path), None)
        if asset is None:
            unit = next((c for c in candidates if c in units), candidates[-1])
            asset = new_assets.get(unit)
            if asset is None:
                path, _, member = unit.partition("!")
                asset = Asset(
                    kind="ai-model",
                    name=unit,
                    use_mode="self-hosted",
                    evidence=(
                        Evidence(
                            detector="inspect",
                            kind="model-artifact",
                            value=unit,
                            strength="A",
                            location=Location(path=path, member=member or None),
                        ),
                    ),
                    details=ModelDetails(path=unit, identified=False),
                )
                new_assets[unit] = asset
        out_f.append(f.model_copy(update={"asset_id": asset.id}))
    return assets + list(new_assets.values()), out_f


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()
