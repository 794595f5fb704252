"""Equipment-stage records: options (policy settings for ambiguous vendors), identification matches, the
fleet summary and the output of every reader."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from tierguard.model import Asset, Evidence, Skipped

UNKNOWN_SITE = "(no site)"
PrcStatus = Literal["yes", "no", "ambiguous", "unknown"]


@dataclass(frozen=True)
class EquipmentOptions:
    """Policy settings for ambiguous cases (never hard-coded) and reader limits.

    - ``lenovo_as_prc``: treat Lenovo (Hong Kong-incorporated, Beijing-headquartered) as PRC-produced.
    - ``tplink_as_prc``: treat TP-Link Technologies (Shenzhen) hardware IDs as PRC-produced.
    - ``enterprise_25506_as_h3c``: SNMP enterprise 25506 is H3C but HPE Comware devices use it too; when the
      sysDescr does not settle it, True = H3C, False = ambiguous (shown for review).
    - ``hk_as_cn``: producers under Hong Kong jurisdiction count as PRC.
    - ``oui_country_fallback``: use the IEEE registrant country (lower confidence) when no curated vendor
      matches a MAC prefix.
    """

    lenovo_as_prc: bool = True
    tplink_as_prc: bool = True
    enterprise_25506_as_h3c: bool = False
    hk_as_cn: bool = True
    oui_country_fallback: bool = True
    max_line_bytes: int = 1024 * 1024
    max_json_bytes: int = 256 * 1024 * 1024
    max_skipped_records: int = 200  # Skipped entries kept per reason; counts are always complete


@dataclass(frozen=True, slots=True)
class Match:
    """A vendor identification: who produced a component, how, and how sure."""

    producer: str
    name: str
    jurisdiction: str
    confidence: float
    basis: str  # e.g. "pci vendor 19e5 (pci-ids)"
    source: str  # catalog source id
    prc: PrcStatus
    note: str = ""


@dataclass
class SiteCount:
    hosts: int = 0
    hosts_with_prc: int = 0
    hosts_ambiguous: int = 0


@dataclass
class HostVerdict:
    host: str
    site: str
    os: str
    components: int
    prc_components: list[str] = field(default_factory=list)  # "name (producer, JUR)"
    ambiguous_components: list[str] = field(default_factory=list)
    unidentified: int = 0
    notes: list[str] = field(default_factory=list)
    prc_producers: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if self.prc_components:
            return "prc-components-found"
        if self.ambiguous_components:
            return "review"
        return "no-prc-identified"


@dataclass
class FleetSummary:
    hosts: int = 0
    hosts_with_prc: int = 0
    hosts_ambiguous: int = 0
    components: int = 0
    prc_components: int = 0
    unidentified_components: int = 0
    records_read: int = 0
    unusable_records: int = 0
    unusable_by_reason: dict[str, int] = field(default_factory=dict)
    per_site: dict[str, SiteCount] = field(default_factory=dict)
    prc_producers: dict[str, int] = field(default_factory=dict)  # producer id -> hosts affected
    notes: list[str] = field(default_factory=list)

    def count_host(self, hv: HostVerdict) -> None:
        """Add one host's verdict to the host, site and producer counts."""
        self.hosts += 1
        sc = self.per_site.setdefault(hv.site or UNKNOWN_SITE, SiteCount())
        sc.hosts += 1
        if hv.prc_components:
            self.hosts_with_prc += 1
            sc.hosts_with_prc += 1
        elif hv.ambiguous_components:
            self.hosts_ambiguous += 1
            sc.hosts_ambiguous += 1
        for p in hv.prc_producers:
            self.prc_producers[p] = self.prc_producers.get(p, 0) + 1

    def headline(self) -> str:
        """One line for reports: hosts, hosts with PRC-produced components, components."""
        return (
            f"{self.hosts} host(s), {self.hosts_with_prc} with PRC-produced components "
            f"({self.share_with_prc:.1%}), {self.hosts_ambiguous} to review; {self.components} components, "
            f"{self.prc_components} PRC, {self.unidentified_components} unidentified"
        )

    @property
    def share_with_prc(self) -> float:
        return self.hosts_with_prc / self.hosts if self.hosts else 0.0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["share_with_prc"] = round(self.share_with_prc, 4)
        return d


@dataclass
class EquipmentOutput:
    assets: tuple[Asset, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    summary: FleetSummary = field(default_factory=FleetSummary)
    hosts: tuple[HostVerdict, ...] = ()
    catalog_version: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "catalog_version": self.catalog_version,
            "summary": self.summary.to_dict(),
            "hosts": [{**asdict(h), "verdict": h.verdict} for h in self.hosts],
            "assets": [a.model_dump(mode="json") for a in self.assets],
            "skipped": [s.model_dump(mode="json") for s in self.skipped],
        }

    def merge(self, other: EquipmentOutput) -> EquipmentOutput:
        """Combine outputs of several inputs. A host seen in several inputs (osquery and CMDB, two logs) is
        one host: its verdicts are combined and host/site counts are recomputed."""
        hosts: dict[str, HostVerdict] = {}
        for hv in self.hosts + other.hosts:
            cur = hosts.get(hv.host)
            if cur is None:
                hosts[hv.host] = HostVerdict(
                    hv.host,
                    hv.site,
                    hv.os,
                    hv.components,
                    list(hv.prc_components),
                    list(hv.ambiguous_components),
                    hv.unidentified,
                    list(hv.notes),
                    list(hv.prc_producers),
                )
                continue
            if cur.site == UNKNOWN_SITE:
                cur.site = hv.site
            cur.os = cur.os or hv.os
            cur.components += hv.components
            cur.prc_components += hv.prc_components
            cur.ambiguous_components += hv.ambiguous_components
            cur.unidentified += hv.unidentified
            cur.notes += hv.notes
            cur.prc_producers += [p for p in hv.prc_producers if p not in cur.prc_producers]
        s = FleetSummary()
        for part in (self.summary, other.summary):
            s.components += part.components
            s.prc_components += part.prc_components
            s.unidentified_components += part.unidentified_components
            s.records_read += part.records_read
            s.unusable_records += part.unusable_records
            for k, v in part.unusable_by_reason.items():
                s.unusable_by_reason[k] = s.unusable_by_reason.get(k, 0) + v
            s.notes.extend(part.notes)
        for hv in hosts.values():
            s.count_host(hv)
        return EquipmentOutput(
            self.assets + other.assets,
            self.evidence + other.evidence,
            self.skipped + other.skipped,
            s,
            tuple(hosts.values()),
            self.catalog_version or other.catalog_version,
        )
