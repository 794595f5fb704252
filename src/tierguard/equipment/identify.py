"""Vendor identification: identifiers (PCI/USB/EDID ids, DMI strings, CPU vendor, os-release ID, SNMP
enterprise number, MAC OUI, package names) -> Match (producer, jurisdiction, confidence, PRC status).

The curated catalog table comes first (high confidence); for MAC addresses the IEEE registrant country is a
lower-confidence fallback. Ambiguous vendors are decided by EquipmentOptions.
"""

from __future__ import annotations

import re

from tierguard.equipment.catalog import EquipmentCatalog, VendorEntry, norm_hex
from tierguard.equipment.types import EquipmentOptions, Match, PrcStatus

CONF_ID = 0.95  # exact hardware/software identifier in the curated table
CONF_STRING = 0.85  # vendor string pattern (DMI, CPU model, OUI organisation)
CONF_PACKAGE = 0.8
CONF_OUI_COUNTRY = 0.4  # registrant country only: an address, not ownership
CONF_AMBIGUOUS = 0.5

_MAC_HEX = re.compile(r"[0-9a-f]{12}")
_SNMP_ENTERPRISE = re.compile(r"^\.?1\.3\.6\.1\.4\.1\.(\d+)(?:\.|$)")

FILLER = frozenset(
    s.lower()
    for s in (
        "To be filled by O.E.M.",
        "To Be Filled By O.E.M.",
        "Default string",
        "System manufacturer",
        "System Product Name",
        "Not Specified",
        "Not Applicable",
        "None",
        "N/A",
        "NA",
        "OEM",
        "O.E.M.",
        "Unknown",
        "Default",
        "Type1ProductConfigId",
        "0123456789",
        "Chassis Manufacture",
        "Base Board Manufacturer",
        "",
    )
)


def is_filler(value: str) -> bool:
    v = value.strip().strip("\x00").lower()
    return v in FILLER or set(v) <= {"0", " ", "f", "x", "."}


def normalise_mac(value: str) -> str:
    """``aa:bb:cc:dd:ee:ff`` (lower case) from common spellings, or "" when not a MAC."""
    v = re.sub(r"[\s:.\-]", "", value.strip().lower())
    return ":".join(v[i : i + 2] for i in range(0, 12, 2)) if _MAC_HEX.fullmatch(v) else ""


def mac_skip_reason(mac: str) -> str:
    """Why a normalised MAC carries no vendor ("" when it does)."""
    if mac == "00:00:00:00:00:00" or mac == "ff:ff:ff:ff:ff:ff":
        return "zero-or-broadcast"
    first = int(mac[:2], 16)
    if first & 0x02:
        return "locally-administered"
    if first & 0x01:
        return "multicast"
    return ""


def snmp_enterprise(oid: str) -> int | None:
    m = _SNMP_ENTERPRISE.match(oid.strip())
    return int(m.group(1)) if m else None


class Identifier:
    """Identifies producers from identifiers; results are cached per identifier."""

    def __init__(self, catalog: EquipmentCatalog, options: EquipmentOptions | None = None) -> None:
        self.catalog = catalog
        self.options = options or EquipmentOptions()
        self._cache: dict[tuple[str, str], Match | None] = {}

    # -- PRC status -------------------------------------------------------------------------------------
    def prc_status(self, producer: str, jurisdiction: str) -> PrcStatus:
        o = self.options
        if producer == "lenovo":
            return "yes" if o.lenovo_as_prc else "no"
        if producer == "tp-link":
            return "yes" if o.tplink_as_prc else "no"
        if jurisdiction == "CN":
            return "yes"
        if jurisdiction == "HK":
            return "yes" if o.hk_as_cn else "ambiguous"
        if jurisdiction == "XX":
            return "unknown"
        return "no"

    def _match(self, e: VendorEntry, confidence: float, basis: str, note: str = "") -> Match:
        p = self.catalog.producer(e.producer)
        return Match(
            p.id,
            p.name,
            p.jurisdiction,
            confidence,
            f"{basis} ({e.source})",
            e.source,
            self.prc_status(p.id, p.jurisdiction),
            note or e.notes,
        )

    def _cached(self, kind: str, key: str) -> tuple[bool, Match | None]:
        k = (kind, key)
        if k in self._cache:
            return True, self._cache[k]
        return False, None

    # -- identifiers ------------------------------------------------------------------------------------
    def pci(self, vendor_id: str) -> Match | None:
        vid = norm_hex(vendor_id)
        hit, m = self._cached("pci", vid)
        if hit:
            return m
        e = self.catalog.pci.get(vid) if vid else None
        m = self._match(e, CONF_ID, f"pci vendor {vid}") if e else None
        self._cache[("pci", vid)] = m
        return m

    def usb(self, vendor_id: str) -> Match | None:
        vid = norm_hex(vendor_id)
        e = self.catalog.usb.get(vid) if vid else None
        return self._match(e, CONF_ID, f"usb vendor {vid}") if e else None

    def edid(self, code: str) -> Match | None:
        e = self.catalog.edid.get(code.strip().upper())
        return self._match(e, CONF_ID, f"edid/pnp id {code.strip().upper()}") if e else None

    def dmi(self, value: str) -> Match | None:
        if is_filler(value):
            return None
        hit, m = self._cached("dmi", value)
        if hit:
            return m
        m = None
        for rx, e in self.catalog.dmi:
            if rx.search(value.strip()):
                m = self._match(e, CONF_STRING, f"dmi string {value.strip()!r}")
                break
        self._cache[("dmi", value)] = m
        return m

    def cpu(self, vendor_id: str = "", model: str = "", implementer: str = "") -> Match | None:
        v = vendor_id.strip()
        e = self.catalog.cpu_vendors.get(v) if v else None
        if e is not None and (not e.confirm or e.confirm.lower() in model.lower()):
            return self._match(e, CONF_ID, f"cpu vendor_id {v!r}")
        if implementer:
            imp = norm_hex(implementer, 2)
            ie = self.catalog.cpu_implementers.get(imp) if imp else None
            if ie is not None:
                return self._match(ie, CONF_ID, f"cpu implementer 0x{imp}")
        if model and not is_filler(model):
            for rx, me in self.catalog.cpu_models:
                if rx.search(model.strip()):
                    return self._match(me, CONF_STRING, f"cpu model {model.strip()!r}")
        return None

    def os(self, os_id: str) -> Match | None:
        e = self.catalog.os_ids.get(os_id.strip().strip('"').lower())
        return self._match(e, CONF_ID, f"os-release ID {os_id.strip()!r}") if e else None

    def snmp(self, sys_object_id: str, sys_descr: str = "") -> Match | None:
        num = snmp_enterprise(sys_object_id)
        if num is None:
            return None
        e = self.catalog.snmp.get(num)
        if e is None:
            return None
        basis = f"snmp enterprise {num}"
        if e.ambiguous:
            d = sys_descr.lower()
            if re.search(r"\bh3c\b", d):
                return self._match(e, CONF_ID, f"{basis} + sysDescr 'H3C'")
            other = self.catalog.producers[e.ambiguous]
            if re.search(r"\bhpe\b|hewlett|aruba|\bhp\b", d):
                oe = VendorEntry(e.table, e.key, other.id, e.source, e.notes)
                return self._match(oe, CONF_STRING, f"{basis} + sysDescr names {other.name}")
            if self.options.enterprise_25506_as_h3c:
                return self._match(e, CONF_AMBIGUOUS + 0.2, f"{basis} (policy: enterprise_25506_as_h3c)")
            m = self._match(e, CONF_AMBIGUOUS, f"{basis} (H3C or {other.name} Comware)")
            return Match(
                m.producer, m.name, m.jurisdiction, m.confidence, m.basis, m.source, "ambiguous", m.note
            )
        return self._match(e, CONF_ID, basis)

    def mac(self, mac: str) -> Match | None:
        """Curated organisation table first, then (if enabled) the registrant country at low confidence."""
        prefix = mac.replace(":", "")[:6].upper()
        hit, m = self._cached("oui", prefix)
        if hit:
            return m
        m = None
        rec = self.catalog.oui.lookup(prefix)
        if rec is not None:
            for rx, e in self.catalog.oui_orgs:
                if rx.search(rec.org):
                    m = self._match(e, CONF_STRING, f"oui {prefix} registrant {rec.org!r}")
                    break
            if m is None and self.options.oui_country_fallback and rec.country:
                juris = rec.country
                status = self.prc_status("", juris)
                slug = re.sub(r"[^a-z0-9]+", "-", rec.org.lower()).strip("-")[:40] or "unknown"
                m = Match(
                    f"oui:{slug}",
                    rec.org,
                    juris,
                    CONF_OUI_COUNTRY,
                    f"oui {prefix} registrant {rec.org!r} address country {juris} (ieee-oui)",
                    "ieee-oui",
                    status,
                    "registrant country is an address, not ownership",
                )
        self._cache[("oui", prefix)] = m
        return m

    def package(self, name: str) -> Match | None:
        e = self.catalog.package(name)
        return self._match(e, CONF_PACKAGE, f"package {name.strip()!r}") if e else None
