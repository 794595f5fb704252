"""The equipment catalog: vendor identifiers -> producer -> jurisdiction, every entry with a source.

Data lives in ``equipment/data/equipment.yaml`` (versioned). The IEEE OUI registry comes from the copy shipped
in the ``netaddr`` package (``netaddr/eui/oui.txt``), parsed here for registrant organisation and country.
Loaded once per run and passed explicitly; no globals.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from tierguard.catalog.loader import SAFE_LOADER
from tierguard.errors import CatalogError

OUI_MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Producer:
    id: str
    name: str
    jurisdiction: str


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class VendorEntry:
    """One identifier -> producer entry. ``key`` is the normalised identifier (hex id, os id, pattern...)."""

    table: str
    key: str
    producer: str
    source: str
    notes: str = ""
    confirm: str = ""  # cpu_vendors: model name must also match (case-insensitive substring)
    ambiguous: str = ""  # snmp_enterprises: another producer that uses the same number


@dataclass(frozen=True, slots=True)
class OuiRecord:
    prefix: str  # 6 upper-case hex digits
    org: str
    country: str  # ISO alpha-2 from the registrant address, "" when absent


def norm_hex(value: str, width: int = 4) -> str:
    """Normalise a hex identifier: strip, drop 0x, lower case, zero-pad to ``width``. "" when not hex."""
    v = value.strip().lower()
    if v.startswith("0x"):
        v = v[2:]
    if not v or len(v) > width or any(c not in "0123456789abcdef" for c in v):
        return ""
    return v.rjust(width, "0")


@dataclass
class OuiRegistry:
    """IEEE MA-L prefixes from a file in IEEE ``oui.txt`` format, parsed lazily on first lookup."""

    path: Path | None
    _map: dict[str, OuiRecord] | None = field(default=None, repr=False)

    @classmethod
    def from_netaddr(cls) -> OuiRegistry:
        try:
            ref = resources.files("netaddr.eui").joinpath("oui.txt")
            return cls(Path(str(ref)))
        except (ModuleNotFoundError, TypeError):
            return cls(None)

    def _load(self) -> dict[str, OuiRecord]:
        out: dict[str, OuiRecord] = {}
        if self.path is None or not self.path.is_file():
            return out
        if self.path.stat().st_size > OUI_MAX_BYTES:
            raise CatalogError(f"{self.path}: OUI registry larger than {OUI_MAX_BYTES} bytes")
        prefix = ""
        org = ""
        last = ""
        with self.path.open("r", encoding="utf-8", errors="replace") as fh:
            for raw in fh:
                line = raw.rstrip("\r\n")
                if "(base 16)" in line:
                    head, _, rest = line.partition("(base 16)")
                    prefix = head.strip().upper()
                    org = rest.strip()
                    last = ""
                elif not line.strip():
                    if prefix:
                        country = last if len(last) == 2 and last.isalpha() and last.isupper() else ""
                        out[prefix] = OuiRecord(prefix, org, country)
                    prefix = ""
                elif prefix:
                    last = line.strip()
        if prefix:
            country = last if len(last) == 2 and last.isalpha() and last.isupper() else ""
            out[prefix] = OuiRecord(prefix, org, country)
        return out

    def records(self) -> dict[str, OuiRecord]:
        """Every prefix (6 upper-case hex digits) -> record; parsed on first use."""
        if self._map is None:
            self._map = self._load()
        return self._map

    def lookup(self, prefix: str) -> OuiRecord | None:
        return self.records().get(prefix.upper())

    @property
    def available(self) -> bool:
        return self.path is not None and self.path.is_file()


@dataclass
class EquipmentCatalog:
    version: str
    sources: dict[str, Source]
    producers: dict[str, Producer]
    pci: dict[str, VendorEntry]
    usb: dict[str, VendorEntry]
    edid: dict[str, VendorEntry]
    dmi: list[tuple[re.Pattern[str], VendorEntry]]
    cpu_vendors: dict[str, VendorEntry]
    cpu_implementers: dict[str, VendorEntry]
    cpu_models: list[tuple[re.Pattern[str], VendorEntry]]
    os_ids: dict[str, VendorEntry]
    snmp: dict[int, VendorEntry]
    oui_orgs: list[tuple[re.Pattern[str], VendorEntry]]
    packages: list[VendorEntry]
    oui: OuiRegistry

    def producer(self, pid: str) -> Producer:
        return self.producers.get(pid) or Producer(pid, pid, "XX")

    def package(self, name: str) -> VendorEntry | None:
        n = name.strip().lower()
        for e in self.packages:
            if fnmatch.fnmatchcase(n, e.key):
                return e
        return None


def _text(path: Path | None) -> tuple[str, str]:
    if path is not None:
        return path.read_text(encoding="utf-8"), str(path)
    ref = resources.files("tierguard.equipment").joinpath("data/equipment.yaml")
    return ref.read_text(encoding="utf-8"), "equipment/data/equipment.yaml"


def load_equipment_catalog(path: Path | None = None, oui: OuiRegistry | None = None) -> EquipmentCatalog:
    """Load and validate the equipment catalog (packaged data by default). Raises CatalogError."""
    text, name = _text(path)
    try:
        doc = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise CatalogError(f"{name}: invalid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise CatalogError(f"{name}: top level must be a mapping")
    sources = {
        k: Source(k, str(v.get("title", "")), str(v.get("url", "")))
        for k, v in (doc.get("sources") or {}).items()
    }
    producers = {
        k: Producer(k, str(v["name"]), str(v["jurisdiction"]).upper())
        for k, v in (doc.get("producers") or {}).items()
    }

    def entries(table: str, keyname: str) -> list[tuple[Any, VendorEntry]]:
        out: list[tuple[Any, VendorEntry]] = []
        for i, raw in enumerate(doc.get(table) or []):
            where = f"{name}: {table}[{i}]"
            if not isinstance(raw, dict) or keyname not in raw or "producer" not in raw:
                raise CatalogError(f"{where}: needs '{keyname}' and 'producer'")
            src = str(raw.get("source", ""))
            if src not in sources:
                raise CatalogError(f"{where}: unknown or missing source {src!r}")
            pid = str(raw["producer"])
            if pid not in producers:
                raise CatalogError(f"{where}: unknown producer {pid!r}")
            amb = str(raw.get("ambiguous", ""))
            if amb and amb not in producers:
                raise CatalogError(f"{where}: unknown ambiguous producer {amb!r}")
            key = raw[keyname]
            entry = VendorEntry(
                table, str(key), pid, src, str(raw.get("notes", "")), str(raw.get("confirm", "")), amb
            )
            out.append((key, entry))
        return out

    def hexmap(table: str, width: int = 4) -> dict[str, VendorEntry]:
        out: dict[str, VendorEntry] = {}
        for key, e in entries(table, "id"):
            k = norm_hex(str(key), width)
            if not k:
                raise CatalogError(f"{name}: {table}: {key!r} is not a hex id")
            out[k] = e
        return out

    def regexes(table: str) -> list[tuple[re.Pattern[str], VendorEntry]]:
        out: list[tuple[re.Pattern[str], VendorEntry]] = []
        for key, e in entries(table, "pattern"):
            try:
                out.append((re.compile(str(key), re.IGNORECASE), e))
            except re.error as exc:
                raise CatalogError(f"{name}: {table}: bad pattern {key!r}: {exc}") from exc
        return out

    return EquipmentCatalog(
        version=str(doc.get("version", "0")),
        sources=sources,
        producers=producers,
        pci=hexmap("pci_vendors"),
        usb=hexmap("usb_vendors"),
        edid={str(k).upper(): e for k, e in entries("edid_vendors", "id")},
        dmi=regexes("dmi_patterns"),
        cpu_vendors={str(k).strip(): e for k, e in entries("cpu_vendors", "vendor_id")},
        cpu_implementers={
            norm_hex(str(k), 2): e for k, e in entries("cpu_implementers", "id") if norm_hex(str(k), 2)
        },
        cpu_models=regexes("cpu_models"),
        os_ids={str(k).lower(): e for k, e in entries("os_ids", "id")},
        snmp={int(k): e for k, e in entries("snmp_enterprises", "number")},
        oui_orgs=regexes("oui_orgs"),
        packages=[
            VendorEntry(e.table, str(k).lower(), e.producer, e.source, e.notes)
            for k, e in entries("packages", "pattern")
        ],
        oui=oui if oui is not None else OuiRegistry.from_netaddr(),
    )
