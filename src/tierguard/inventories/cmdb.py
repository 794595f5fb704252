"""CMDB / asset inventory exports (CSV or JSON). One row describes one host or one component of a host.

Columns (case-insensitive; aliases in brackets). ``hostname`` is required; a row needs at least one
identifying column:
hostname [host, asset_name, ci_name, name], site [location, datacenter], category [type, class],
manufacturer [vendor, make], model [product], mac [mac_address], pci_vendor_id, pci_device_id,
usb_vendor_id, usb_product_id, cpu_vendor, cpu_model, os_id, os_name, os_version, snmp_sysobjectid,
snmp_sysdescr, package.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tierguard.equipment.catalog import EquipmentCatalog, load_equipment_catalog, norm_hex
from tierguard.equipment.collect import FleetCollector, HostAcc
from tierguard.equipment.identify import Identifier, is_filler, mac_skip_reason, normalise_mac
from tierguard.equipment.types import EquipmentOptions, EquipmentOutput
from tierguard.errors import TargetError

ALIASES: dict[str, tuple[str, ...]] = {
    "hostname": ("hostname", "host", "asset_name", "ci_name", "name", "host_name"),
    "site": ("site", "location", "datacenter", "data_center"),
    "category": ("category", "type", "class", "asset_type"),
    "manufacturer": ("manufacturer", "vendor", "make"),
    "model": ("model", "product", "product_name"),
    "mac": ("mac", "mac_address", "macaddress"),
}
IDENTIFYING = (
    "manufacturer",
    "mac",
    "pci_vendor_id",
    "usb_vendor_id",
    "cpu_vendor",
    "cpu_model",
    "os_id",
    "snmp_sysobjectid",
    "package",
)


def _canon(row: Mapping[str, Any]) -> dict[str, str]:
    low = {
        str(k).strip().lower(): ("" if v is None else str(v).strip()) for k, v in row.items() if k is not None
    }
    out: dict[str, str] = {}
    for canon, names in ALIASES.items():
        for n in names:
            if low.get(n):
                out[canon] = low[n]
                break
    for k, v in low.items():
        if k not in out and v:
            out[k] = v
    return out


class InventoryRows:
    def __init__(self, col: FleetCollector, path: str) -> None:
        self.col = col
        self.ident = col.ident
        self.path = path
        self.sites: dict[str, str] = {}

    def row(self, raw: Any, line: int) -> None:
        col = self.col
        col.read()
        where = f"{self.path}:{line}"
        if not isinstance(raw, dict):
            col.skip("malformed-row", where, "row is not an object")
            return
        r = _canon(raw)
        host = r.get("hostname", "")[:255]
        if not host:
            col.skip("missing-column", where, "no hostname")
            return
        if not any(r.get(k) for k in IDENTIFYING):
            col.skip("missing-column", where, f"{host}: none of {', '.join(IDENTIFYING)}")
            return
        site = r.get("site", "")[:100]
        prev = self.sites.setdefault(host, site)
        if site and prev and site != prev:
            col.skip("duplicate-host", where, f"{host} listed with site {site!r} and {prev!r}; kept {prev!r}")
            site = prev
        h = col.host(host, site)
        self._components(h, r, line)

    def _components(self, h: HostAcc, r: dict[str, str], line: int) -> None:
        self._device_ids(h, r, line)
        self._named_hardware(h, r, line)
        self._system(h, r, line)

    def _device_ids(self, h: HostAcc, r: dict[str, str], line: int) -> None:
        """PCI and USB vendor/device ids."""
        add = self.col.add
        p = self.path
        cat = r.get("category", "")
        vid = norm_hex(r.get("pci_vendor_id", ""))
        if r.get("pci_vendor_id") and not vid:
            self.col.skip("malformed", f"{p}:{line}", f"pci_vendor_id {r['pci_vendor_id']!r} is not hex")
        if vid:
            did = norm_hex(r.get("pci_device_id", ""))
            add(
                h,
                "hardware-device",
                "pci",
                f"pci {vid}:{did}",
                self.ident.pci(vid),
                {"vendor_id": vid, "device_id": did, "category": cat},
                p,
                line,
                f"pci_vendor_id={r['pci_vendor_id']}",
            )
        uvid = norm_hex(r.get("usb_vendor_id", ""))
        if uvid:
            upid = norm_hex(r.get("usb_product_id", ""))
            add(
                h,
                "hardware-device",
                "usb",
                f"usb {uvid}:{upid}",
                self.ident.usb(uvid),
                {"vendor_id": uvid, "device_id": upid},
                p,
                line,
                f"usb_vendor_id={r['usb_vendor_id']}",
            )

    def _named_hardware(self, h: HostAcc, r: dict[str, str], line: int) -> None:
        """Manufacturer/model, NIC MAC address and CPU vendor/model."""
        add = self.col.add
        p = self.path
        cat = r.get("category", "")
        manu = r.get("manufacturer", "")
        if manu and not is_filler(manu):
            model = r.get("model", "")
            add(
                h,
                "hardware-device",
                "cmdb",
                f"{cat or 'device'} {manu} {model}".strip(),
                self.ident.dmi(manu),
                {"manufacturer": manu[:120], "model": model[:120], "category": cat},
                p,
                line,
                f"manufacturer={manu} model={model}",
            )
        if r.get("mac"):
            mac = normalise_mac(r["mac"])
            if not mac:
                self.col.skip("malformed", f"{p}:{line}", f"mac {r['mac'][:40]!r} is not a MAC address")
            elif not mac_skip_reason(mac):
                add(
                    h,
                    "hardware-device",
                    "nic",
                    f"nic {mac}",
                    self.ident.mac(mac),
                    {"mac": mac, "oui": mac.replace(":", "")[:6].upper()},
                    p,
                    line,
                    f"mac={mac}",
                )
        if r.get("cpu_vendor") or r.get("cpu_model"):
            cv, cm = r.get("cpu_vendor", ""), r.get("cpu_model", "")
            add(
                h,
                "hardware-device",
                "cpu",
                f"cpu {cm or cv}",
                self.ident.cpu(cv, cm),
                {"cpu_vendor": cv[:80], "cpu_model": cm[:120]},
                p,
                line,
                f"cpu_vendor={cv} cpu_model={cm}",
            )

    def _system(self, h: HostAcc, r: dict[str, str], line: int) -> None:
        """Operating system, SNMP identity and system software packages."""
        add = self.col.add
        p = self.path
        if r.get("os_id"):
            name = f"{r.get('os_name', r['os_id'])} {r.get('os_version', '')}".strip()
            h.os = name
            add(
                h,
                "operating-system",
                "os",
                name,
                self.ident.os(r["os_id"]),
                {"os_id": r["os_id"], "version": r.get("os_version", "")[:60]},
                p,
                line,
                f"os_id={r['os_id']}",
            )
        if r.get("snmp_sysobjectid"):
            oid = r["snmp_sysobjectid"]
            add(
                h,
                "hardware-device",
                "snmp",
                f"snmp {oid}",
                self.ident.snmp(oid, r.get("snmp_sysdescr", "")),
                {"sys_object_id": oid[:120], "sys_descr": r.get("snmp_sysdescr", "")[:200]},
                p,
                line,
                f"sysObjectID={oid}",
            )
        if r.get("package"):
            m = self.ident.package(r["package"])
            if m is not None:
                add(
                    h,
                    "system-software",
                    "package",
                    f"package:{r['package']}",
                    m,
                    {"package": r["package"][:120], "version": r.get("version", "")[:60]},
                    p,
                    line,
                    r["package"],
                )


def _csv_rows(fh: io.TextIOWrapper, col: FleetCollector, disp: str, cap: int) -> Iterator[tuple[int, Any]]:
    csv.field_size_limit(max(cap, 1024))
    reader = csv.DictReader(fh)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            col.read()
            col.skip(
                "line-too-long" if "field larger" in str(exc) else "malformed",
                f"{disp}:{reader.line_num}",
                str(exc)[:200],
            )
            continue
        if None in row:
            col.read()
            col.skip("malformed-row", f"{disp}:{reader.line_num}", "more fields than header columns")
            continue
        yield reader.line_num, row


def read_inventory(
    path: Path, *, catalog: EquipmentCatalog | None = None, options: EquipmentOptions | None = None
) -> EquipmentOutput:
    """Read a CMDB export: ``.json`` (array of objects, or {"assets"|"hosts"|"items"|"records": [...]}) or CSV
    (any other suffix) with the documented columns."""
    cat = catalog or load_equipment_catalog()
    col = FleetCollector(Identifier(cat, options), "inventory", "manifest-analysis")
    opts = col.ident.options
    disp = path.as_posix()
    rows = InventoryRows(col, disp)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise TargetError(f"{path}: cannot open: {exc}") from exc
    if path.suffix.lower() == ".json":
        if size > opts.max_json_bytes:
            col.skip("too-large", disp, f"{size} bytes > {opts.max_json_bytes}")
            return col.finish(cat.version)
        try:
            doc = json.loads(path.read_bytes())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            col.skip("malformed-json", disp, str(exc)[:200])
            return col.finish(cat.version)
        items: Any = doc
        if isinstance(doc, dict):
            items = next(
                (doc[k] for k in ("assets", "hosts", "items", "records") if isinstance(doc.get(k), list)),
                None,
            )
        if not isinstance(items, list):
            col.skip("malformed-json", disp, "expected an array of objects")
            return col.finish(cat.version)
        for i, item in enumerate(items, 1):
            rows.row(item, i)
        return col.finish(cat.version)
    with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        for line, row in _csv_rows(fh, col, disp, opts.max_line_bytes):
            rows.row(row, line)
    return col.finish(cat.version)
