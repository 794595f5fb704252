"""Accumulates components per host while a reader streams its input, then builds Asset/Evidence records,
host verdicts and the fleet summary. Unusable records are counted per reason (complete counts) and kept
as Skipped entries (bounded per reason)."""

from __future__ import annotations

from dataclasses import dataclass, field
from sys import intern
from typing import Literal

from tierguard.equipment.identify import Identifier
from tierguard.equipment.types import UNKNOWN_SITE, EquipmentOutput, FleetSummary, HostVerdict, Match
from tierguard.model import (
    EMPTY,
    Asset,
    AssetKind,
    DeviceDetails,
    Evidence,
    IdentMethod,
    Location,
    ProducerRef,
    Provenance,
    Skipped,
    Strength,
    StrMap,
)

Technique = Literal["instrumentation", "manifest-analysis", "other"]
EXCERPT_MAX = 200
_EMPTY: dict[str, str] = {}  # shared, never mutated


@dataclass(slots=True)
class Component:
    kind: AssetKind
    bus: str
    name: str
    match: Match | None
    attrs: dict[str, str]
    path: str
    line: int | None
    excerpt: str
    count: int = 1


@dataclass
class HostAcc:
    host: str
    site: str = ""
    os: str = ""
    components: dict[str, Component] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class FleetCollector:
    def __init__(self, identifier: Identifier, source: str, technique: Technique = "instrumentation") -> None:
        self.ident = identifier
        self.source = source  # probe, osquery, inventory, snmp
        self.technique: Technique = technique
        self.hosts: dict[str, HostAcc] = {}
        self.summary = FleetSummary()
        self._skipped: list[Skipped] = []
        self._kept: dict[str, int] = {}
        self._prov: dict[tuple[str, str, float, str, str], Provenance] = {}

    # -- recording --------------------------------------------------------------------------------------
    def read(self, n: int = 1) -> None:
        self.summary.records_read += n

    def skip(self, reason: str, path: str, detail: str = "") -> None:
        s = self.summary
        s.unusable_records += 1
        s.unusable_by_reason[reason] = s.unusable_by_reason.get(reason, 0) + 1
        kept = self._kept.get(reason, 0)
        if kept < self.ident.options.max_skipped_records:
            self._kept[reason] = kept + 1
            self._skipped.append(Skipped(path=path, reason=reason, detail=detail[:300]))

    def host(self, host_id: str, site: str = "") -> HostAcc:
        h = self.hosts.get(host_id)
        if h is None:
            h = self.hosts[host_id] = HostAcc(host_id, site)
        elif site and not h.site:
            h.site = site
        return h

    def add(
        self,
        host: HostAcc,
        kind: AssetKind,
        bus: str,
        name: str,
        match: Match | None,
        attrs: dict[str, str],
        path: str,
        line: int | None = None,
        excerpt: str = "",
    ) -> None:
        """Add one component; the same (kind, name) seen again on a host only increments its count."""
        key = f"{kind}\x1f{name.lower()}"
        c = host.components.get(key)
        if c is not None:
            c.count += 1
            if c.match is None and match is not None:
                c.match = match
            return
        attrs = {k: intern(v) for k, v in attrs.items() if v}  # fleets repeat vendor/model strings
        host.components[key] = Component(
            kind, bus, intern(name), match, attrs, path, line, intern(excerpt[:EXCERPT_MAX])
        )

    # -- building ---------------------------------------------------------------------------------------
    def _provenance(self, m: Match, kind: AssetKind) -> Provenance:
        role: Literal["manufacturer", "producer"] = (
            "manufacturer" if kind == "hardware-device" else "producer"
        )
        k = (m.producer, m.basis, m.confidence, role, m.jurisdiction)
        p = self._prov.get(k)
        if p is None:
            p = Provenance(
                producers=(ProducerRef(id=m.producer, name=m.name, jurisdiction=m.jurisdiction, role=role),),
                methods=(IdentMethod(technique=self.technique, confidence=m.confidence, value=m.basis),),
            )
            self._prov[k] = p
        return p

    def finish(self, catalog_version: str) -> EquipmentOutput:
        assets: list[Asset] = []
        evidence: list[Evidence] = []
        verdicts: list[HostVerdict] = []
        s = self.summary
        empty = Provenance()
        detector = f"equipment.{self.source}"
        for hid in list(self.hosts):  # pop hosts as they are built so components and assets do not coexist
            h = self.hosts.pop(hid)
            site = h.site or UNKNOWN_SITE
            member = None if self.source == "probe" else h.host
            hv = HostVerdict(h.host, site, h.os, len(h.components), notes=list(h.notes))
            prc_producers: set[str] = set()
            for c in h.components.values():
                m = c.match
                refs: dict[str, str] = _EMPTY
                if m is not None:
                    refs = {"producer": m.producer}
                    strength: Strength = "A" if m.confidence >= 0.8 else "B"
                else:
                    strength = "C"
                    hv.unidentified += 1
                details = DeviceDetails(
                    host=h.host,
                    bus=c.bus,
                    source=self.source,
                    site=h.site or None,
                    count=c.count,
                    prc=m.prc if m is not None else "unknown",
                    producer=m.producer if m is not None else None,
                    jurisdiction=m.jurisdiction if m is not None else None,
                    ids=StrMap(c.attrs) if c.attrs else EMPTY,
                )
                ev_kind = {"hardware-device": "device", "operating-system": "os"}.get(c.kind, "package")
                ev = Evidence(
                    detector=detector,
                    kind=ev_kind,
                    value=c.name,
                    strength=strength,
                    # fleet files hold many hosts: the host is the member, so evidence ids differ per host
                    location=Location(path=c.path, line=c.line, member=member),
                    excerpt=c.excerpt,
                    refs=StrMap(refs) if refs else EMPTY,
                )
                evidence.append(ev)
                assets.append(
                    Asset(
                        kind=c.kind,
                        name=c.name,
                        use_mode="unknown",
                        provenance=self._provenance(m, c.kind) if m is not None else empty,
                        evidence=(ev,),
                        parent=h.host,
                        details=details,
                    )
                )
                if m is not None and m.prc == "yes":
                    hv.prc_components.append(f"{c.name} ({m.producer}, {m.jurisdiction})")
                    prc_producers.add(m.producer)
                elif m is not None and m.prc == "ambiguous":
                    hv.ambiguous_components.append(f"{c.name} ({m.producer}?, {m.basis})")
            s.components += hv.components
            s.prc_components += len(hv.prc_components)
            s.unidentified_components += hv.unidentified
            hv.prc_producers = sorted(prc_producers)
            s.count_host(hv)
            verdicts.append(hv)
        return EquipmentOutput(
            tuple(assets), tuple(evidence), tuple(self._skipped), s, tuple(verdicts), catalog_version
        )
