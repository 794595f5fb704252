"""osquery results: ``osqueryi --json`` arrays and osqueryd results logs (event, batch/diffResults and
snapshot formats), many hosts per file identified by ``hostIdentifier``. Logs are streamed line by line with
a line-length cap; every unusable line or row is counted and recorded with a reason."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from tierguard.equipment.catalog import EquipmentCatalog, load_equipment_catalog, norm_hex
from tierguard.equipment.collect import FleetCollector, HostAcc
from tierguard.equipment.identify import Identifier, is_filler, mac_skip_reason, normalise_mac
from tierguard.equipment.types import EquipmentOptions, EquipmentOutput
from tierguard.errors import TargetError
from tierguard.inventories.lines import iter_lines

TABLES = (
    "pci_devices",
    "usb_devices",
    "interface_details",
    "interface_addresses",
    "system_info",
    "platform_info",
    "cpu_info",
    "os_version",
    "deb_packages",
    "rpm_packages",
    "block_devices",
    "memory_devices",
)
SITE_KEYS = ("site", "datacenter", "data_center", "location", "region")


def infer_table(name: str, row: Mapping[str, Any]) -> str:
    """The osquery table a row comes from: by query name first (packs name queries after tables), else by
    its columns."""
    low = name.lower()
    for t in TABLES:
        if t in low:
            return t
    c = row.keys()
    if "pci_slot" in c or ("subsystem_vendor_id" in c and "vendor_id" in c):
        return "pci_devices"
    if "usb_address" in c or "usb_port" in c:
        return "usb_devices"
    if "mac" in c and "interface" in c:
        return "interface_details"
    if "hardware_vendor" in c or "cpu_brand" in c:
        return "system_info"
    if "platform" in c and ("major" in c or "codename" in c or "build" in c):
        return "os_version"
    if "maintainer" in c and "name" in c and "version" in c:
        return "deb_packages"
    if "release" in c and "name" in c and "version" in c and "package_group" in c:
        return "rpm_packages"
    if "memory_type" in c and "manufacturer" in c:
        return "memory_devices"
    if "processor_type" in c or ("manufacturer" in c and "number_of_cores" in c):
        return "cpu_info"
    if "block_size" in c and "model" in c:
        return "block_devices"
    if "vendor" in c and "extra" in c and "revision" in c:
        return "platform_info"
    return ""


class RowHandler:
    """Turns one osquery row into components of a host."""

    def __init__(self, col: FleetCollector, path: str) -> None:
        self.col = col
        self.ident = col.ident
        self.path = path
        self.handlers: dict[str, Callable[[HostAcc, Mapping[str, str], int], None]] = {
            "pci_devices": self.pci,
            "usb_devices": self.usb,
            "interface_details": self.nic,
            "interface_addresses": self.nic,
            "system_info": self.system,
            "platform_info": self.platform,
            "cpu_info": self.cpu,
            "os_version": self.os,
            "deb_packages": self.package,
            "rpm_packages": self.package,
            "block_devices": self.block,
            "memory_devices": self.memory,
        }

    def handle(self, table: str, host: HostAcc, row: Any, line: int) -> None:
        self.col.read()
        if not isinstance(row, dict):
            self.col.skip("malformed-row", f"{self.path}:{line}", f"{table}: row is not an object")
            return
        h = self.handlers.get(table)
        if h is None:
            self.col.skip("unsupported-table", f"{self.path}:{line}", table or "table not recognised")
            return
        clean = {str(k): ("" if v is None else str(v)) for k, v in row.items()}
        h(host, clean, line)

    def _missing(self, table: str, line: int, column: str) -> None:
        self.col.skip("missing-column", f"{self.path}:{line}", f"{table}: no usable {column}")

    def pci(self, host: HostAcc, r: Mapping[str, str], line: int) -> None:
        vid = norm_hex(r.get("vendor_id", ""))
        if not vid:
            self._missing("pci_devices", line, "vendor_id")
            return
        did = norm_hex(r.get("model_id", "") or r.get("device_id", ""))
        sub = norm_hex(r.get("subsystem_vendor_id", ""))
        m = self.ident.pci(vid)
        attrs = {"vendor_id": vid, "device_id": did}
        if sub:
            attrs["subsystem_vendor_id"] = sub
            sm = self.ident.pci(sub) if sub != vid else None
            if sm is not None and (m is None or (sm.prc == "yes" and m.prc != "yes")):
                attrs["identified_by"] = "subsystem_vendor"
                m = sm
        if r.get("vendor"):
            attrs["vendor_name"] = r["vendor"][:120]
        if r.get("model"):
            attrs["model_name"] = r["model"][:120]
        name = f"pci {vid}:{did}" + (f" sub {sub}" if sub and sub != vid else "")
        self.col.add(
            host,
            "hardware-device",
            "pci",
            name,
            m,
            attrs,
            self.path,
            line,
            f"vendor_id={r.get('vendor_id', '')} model_id={r.get('model_id', '')}",
        )

    def usb(self, host: HostAcc, r: Mapping[str, str], line: int) -> None:
        vid = norm_hex(r.get("vendor_id", ""))
        if not vid:
            self._missing("usb_devices", line, "vendor_id")
            return
        did = norm_hex(r.get("model_id", ""))
        attrs = {"vendor_id": vid, "device_id": did}
        if r.get("vendor"):
            attrs["vendor_name"] = r["vendor"][:120]
        self.col.add(
            host,
            "hardware-device",
            "usb",
            f"usb {vid}:{did}",
            self.ident.usb(vid),
            attrs,
            self.path,
            line,
            f"vendor_id={r.get('vendor_id', '')} model_id={r.get('model_id', '')}",
        )

    def nic(self, host: HostAcc, r: Mapping[str, str], line: int) -> None:
        raw = r.get("mac", "")
        mac = normalise_mac(raw)
        if not mac:
            if raw and raw != "00:00:00:00:00:00":
                self._missing("interface_details", line, "mac")
            return
        if mac_skip_reason(mac):
            return  # locally administered / zero / multicast: no vendor
        iface = r.get("interface", "")[:64]
        self.col.add(
            host,
            "hardware-device",
            "nic",
            f"nic {iface} {mac}".replace("  ", " "),
            self.ident.mac(mac),
            {"mac": mac, "interface": iface, "oui": mac.replace(":", "")[:6].upper()},
            self.path,
            line,
            f"{iface} {mac}",
        )

    def system(self, host: HostAcc, r: Mapping[str, str], line: int) -> None:
        vendor = r.get("hardware_vendor", "")
        model = r.get("hardware_model", "")
        board = r.get("board_vendor", "")
        vals = {
            k: v
            for k, v in (("sys_vendor", vendor), ("product_name", model), ("board_vendor", board))
            if v and not is_filler(v)
        }
        if vals:
            m = None
            for v in vals.values():
                m = self.ident.dmi(v)
                if m is not None:
                    break
            maker = vals.get("sys_vendor", vals.get("board_vendor", ""))
            label = f"system {maker} {vals.get('product_name', '')}"
            self.col.add(
                host,
                "hardware-device",
                "dmi",
                label.strip(),
                m,
                {f"dmi_{k}": v[:120] for k, v in vals.items()},
                self.path,
                line,
                "; ".join(f"{k}={v}" for k, v in vals.items()),
            )
        brand = r.get("cpu_brand", "").strip()
        if brand:
            self.col.add(
                host,
                "hardware-device",
                "cpu",
                f"cpu {brand}",
                self.ident.cpu("", brand),
                {"cpu_model": brand[:120]},
                self.path,
                line,
                f"cpu_brand={brand}",
            )

    def platform(self, host: HostAcc, r: Mapping[str, str], line: int) -> None:
        v = r.get("vendor", "")
        if v and not is_filler(v):
            self.col.add(
                host,
                "hardware-device",
                "dmi",
                f"bios {v}",
                self.ident.dmi(v),
                {"dmi_bios_vendor": v[:120], "bios_version": r.get("version", "")[:60]},
                self.path,
                line,
                f"vendor={v}",
            )

    def cpu(self, host: HostAcc, r: Mapping[str, str], line: int) -> None:
        manu = r.get("manufacturer", "").strip()
        model = r.get("model", "").strip()
        if not manu and not model:
            self._missing("cpu_info", line, "manufacturer/model")
            return
        m = self.ident.cpu(manu, model) or (self.ident.dmi(manu) if manu else None)
        self.col.add(
            host,
            "hardware-device",
            "cpu",
            f"cpu {model or manu}",
            m,
            {"cpu_vendor": manu[:80], "cpu_model": model[:120]},
            self.path,
            line,
            f"manufacturer={manu} model={model}",
        )

    def os(self, host: HostAcc, r: Mapping[str, str], line: int) -> None:
        os_id = r.get("platform", "").strip()
        if not os_id:
            self._missing("os_version", line, "platform")
            return
        name = f"{r.get('name', os_id)} {r.get('version', '')}".strip()
        host.os = name
        self.col.add(
            host,
            "operating-system",
            "os",
            name,
            self.ident.os(os_id),
            {"os_id": os_id, "version": r.get("version", "")[:60]},
            self.path,
            line,
            f"platform={os_id}",
        )

    def package(self, host: HostAcc, r: Mapping[str, str], line: int) -> None:
        name = r.get("name", "").strip()
        if not name:
            self._missing("packages", line, "name")
            return
        m = self.ident.package(name)
        if m is not None:
            fmt = "rpm" if "release" in r else "dpkg"
            self.col.add(
                host,
                "system-software",
                fmt,
                f"{fmt}:{name}",
                m,
                {"package": name, "version": r.get("version", "")[:60], "format": fmt},
                self.path,
                line,
                f"{name} {r.get('version', '')}",
            )

    def block(self, host: HostAcc, r: Mapping[str, str], line: int) -> None:
        text = f"{r.get('vendor', '').strip()} {r.get('model', '').strip()}".strip()
        if not text:
            return
        self.col.add(
            host,
            "hardware-device",
            "block",
            f"disk {text}",
            self.ident.dmi(text),
            {"block_vendor": r.get("vendor", "")[:80], "block_model": r.get("model", "")[:120]},
            self.path,
            line,
            text,
        )

    def memory(self, host: HostAcc, r: Mapping[str, str], line: int) -> None:
        manu = r.get("manufacturer", "").strip()
        if not manu or is_filler(manu):
            return
        self.col.add(
            host,
            "hardware-device",
            "memory",
            f"memory {manu} {r.get('part_number', '').strip()}".strip(),
            self.ident.dmi(manu),
            {"memory_manufacturer": manu[:80]},
            self.path,
            line,
            manu,
        )


def _site(obj: Mapping[str, Any]) -> str:
    deco = obj.get("decorations")
    for src in (deco if isinstance(deco, dict) else {}, obj):
        for k in SITE_KEYS:
            v = src.get(k)
            if isinstance(v, str) and v.strip():
                return v.strip()[:100]
    return ""


def read_osquery(
    path: Path,
    *,
    catalog: EquipmentCatalog | None = None,
    options: EquipmentOptions | None = None,
    host: str | None = None,
) -> EquipmentOutput:
    """Read one osquery output file. ``host`` names the host of ``osqueryi --json`` arrays (default: the
    file's stem); results logs name hosts themselves."""
    cat = catalog or load_equipment_catalog()
    col = FleetCollector(Identifier(cat, options), "osquery")
    rows = RowHandler(col, path.as_posix())
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise TargetError(f"{path}: cannot open: {exc}") from exc
    with fh:
        head = fh.read(4096).lstrip()
        fh.seek(0)
        if head.startswith(b"["):
            _read_array(fh, path, rows, host or path.stem)
        else:
            _read_log(fh, rows)
    return col.finish(cat.version)


def _read_array(fh: BinaryIO, path: Path, rows: RowHandler, host: str) -> None:
    """An ``osqueryi --json`` array: the rows of one host, read whole up to ``max_json_bytes``."""
    col, disp = rows.col, rows.path
    opts = col.ident.options
    size = path.stat().st_size
    if size > opts.max_json_bytes:
        col.skip("too-large", disp, f"{size} bytes > {opts.max_json_bytes}")
        return
    try:
        data = json.loads(fh.read(size + 1))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        col.skip("malformed-json", disp, str(exc)[:200])
        return
    h = col.host(host)
    for i, row in enumerate(data, 1):
        rows.handle(infer_table("", row) if isinstance(row, dict) else "", h, row, i)


def _read_log(fh: BinaryIO, rows: RowHandler) -> None:
    """An osqueryd results log: one JSON object per line (event, batch or snapshot format), streamed."""
    col, disp = rows.col, rows.path
    cap = col.ident.options.max_line_bytes
    snapshots: set[tuple[str, str]] = set()
    for n, raw in iter_lines(fh, cap):
        if raw is None:
            col.skip("line-too-long", f"{disp}:{n}", f"line longer than {cap} bytes")
            continue
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            col.skip("malformed-json", f"{disp}:{n}", str(exc)[:200])
            continue
        if not isinstance(obj, dict):
            col.skip("malformed-json", f"{disp}:{n}", "line is not a JSON object")
            continue
        hid = obj.get("hostIdentifier")
        if not isinstance(hid, str) or not hid.strip():
            col.skip("missing-host", f"{disp}:{n}", "no hostIdentifier")
            continue
        _log_entry(obj, col.host(hid.strip()[:255], _site(obj)), n, rows, snapshots)


def _log_entry(
    obj: dict[str, Any], hacc: HostAcc, n: int, rows: RowHandler, snapshots: set[tuple[str, str]]
) -> None:
    """The rows of one results-log line: a snapshot (once per host and query), the rows a batch added, or
    one event's columns (removals ignored)."""
    col, where = rows.col, f"{rows.path}:{n}"
    name = str(obj.get("name", ""))
    if "snapshot" in obj:
        snap = obj["snapshot"]
        if not isinstance(snap, list):
            col.skip("malformed-json", where, "snapshot is not a list")
            return
        key = (hacc.host, name)
        if name and key in snapshots:
            col.skip("duplicate-snapshot", where, f"{hacc.host}: query {name!r} seen again")
            return
        snapshots.add(key)
        for row in snap:
            rows.handle(infer_table(name, row) if isinstance(row, dict) else "", hacc, row, n)
    elif "diffResults" in obj:
        diff = obj["diffResults"]
        added = diff.get("added") if isinstance(diff, dict) else None
        if not isinstance(added, list):
            col.skip("malformed-json", where, "diffResults.added is not a list")
            return
        for row in added:
            rows.handle(infer_table(name, row) if isinstance(row, dict) else "", hacc, row, n)
    elif "columns" in obj:
        if obj.get("action") == "removed":
            return
        cols = obj["columns"]
        rows.handle(infer_table(name, cols) if isinstance(cols, dict) else "", hacc, cols, n)
    else:
        col.skip("malformed-json", where, "no snapshot, diffResults or columns")
