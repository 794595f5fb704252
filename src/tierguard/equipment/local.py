"""Probe the local machine without root: sysfs (PCI, USB, NICs, DMI, block devices), /proc/cpuinfo,
/etc/os-release and the dpkg status file. Every path is under ``root`` so tests use a fake tree."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

from tierguard.equipment.catalog import EquipmentCatalog, load_equipment_catalog, norm_hex
from tierguard.equipment.collect import FleetCollector, HostAcc
from tierguard.equipment.identify import Identifier, is_filler, mac_skip_reason, normalise_mac
from tierguard.equipment.types import EquipmentOptions, EquipmentOutput

SMALL = 64 * 1024
CPUINFO_MAX = 8 * 1024 * 1024
DMI_FIELDS = ("sys_vendor", "board_vendor", "bios_vendor", "chassis_vendor", "product_name", "board_name")
DMI_ABSENT = "DMI not available (virtual machine or container)"


def _read(path: Path, cap: int = SMALL) -> str | None:
    try:
        with path.open("rb") as fh:
            return fh.read(cap).decode("utf-8", "replace").strip().strip("\x00")
    except OSError:
        return None


def _entries(path: Path) -> list[Path]:
    try:
        return sorted(path.iterdir())
    except OSError:
        return []


def _disp(root: Path, p: Path) -> str:
    try:
        return "/" + p.relative_to(root).as_posix()
    except ValueError:
        return p.as_posix()


def _hostname(root: Path) -> str:
    for rel in ("etc/hostname", "proc/sys/kernel/hostname"):
        v = _read(root / rel)
        if v:
            return v.splitlines()[0].strip()
    if root.resolve() == Path("/"):
        return socket.gethostname() or "localhost"
    return "localhost"


EDID_HEADER = b"\x00\xff\xff\xff\xff\xff\xff\x00"


def edid_manufacturer(data: bytes) -> str:
    """The PNP id (e.g. "HWV") packed as three 5-bit letters in EDID bytes 8-9; "" when not EDID."""
    if len(data) < 12 or not data.startswith(EDID_HEADER):
        return ""
    v = (data[8] << 8) | data[9]
    letters = [(v >> 10) & 0x1F, (v >> 5) & 0x1F, v & 0x1F]
    if any(n < 1 or n > 26 for n in letters):
        return ""
    return "".join(chr(ord("A") + n - 1) for n in letters)


def parse_os_release(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        k, sep, v = line.strip().partition("=")
        if sep and k and not k.startswith("#"):
            out[k.strip()] = v.strip().strip("\"'")
    return out


def iter_dpkg_installed(path: Path, max_line: int) -> Iterator[tuple[str, str, int]]:
    """(package, version, line) for each installed stanza of a dpkg status file, streamed."""
    name = version = status = ""
    start = 0
    with path.open("rb") as fh:
        for n, raw in enumerate(iter(lambda: fh.readline(max_line), b""), 1):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if not line.strip():
                if name and "installed" in status.split():
                    yield name, version, start
                name = version = status = ""
                continue
            if line.startswith("Package:"):
                name, start = line[8:].strip(), n
            elif line.startswith("Version:"):
                version = line[8:].strip()
            elif line.startswith("Status:"):
                status = line[7:].strip()
    if name and "installed" in status.split():
        yield name, version, start


def iter_rpm_query(path: Path, max_line: int) -> Iterator[tuple[str, str, int]]:
    """(package, version, line) from ``rpm -qa --qf '%{NAME} %{VERSION}-%{RELEASE}\\n'`` output."""
    with path.open("rb") as fh:
        for n, raw in enumerate(iter(lambda: fh.readline(max_line), b""), 1):
            parts = raw.decode("utf-8", "replace").split()
            if parts:
                yield parts[0], (parts[1] if len(parts) > 1 else ""), n


class LocalProbe:
    def __init__(self, root: Path, col: FleetCollector, host: HostAcc) -> None:
        self.root = root
        self.col = col
        self.h = host
        self.ident = col.ident

    def disp(self, p: Path) -> str:
        return _disp(self.root, p)

    def pci(self) -> None:
        base = self.root / "sys/bus/pci/devices"
        for d in _entries(base):
            vendor = norm_hex(_read(d / "vendor") or "")
            if not vendor:
                self.col.skip("malformed", self.disp(d / "vendor"), "missing or non-hex PCI vendor id")
                continue
            device = norm_hex(_read(d / "device") or "")
            sub = norm_hex(_read(d / "subsystem_vendor") or "")
            cls = (_read(d / "class") or "").lower().removeprefix("0x")
            m = self.ident.pci(vendor)
            attrs = {"vendor_id": vendor, "device_id": device, "slot": d.name}
            if sub:
                attrs["subsystem_vendor_id"] = sub
            if cls:
                attrs["class"] = cls
            sm = self.ident.pci(sub) if sub and sub != vendor else None
            if sm is not None:
                attrs["subsystem_producer"] = sm.producer
                if m is None or (sm.prc == "yes" and m.prc != "yes"):
                    attrs["identified_by"] = "subsystem_vendor"
                    m = sm
            self.col.add(
                self.h,
                "hardware-device",
                "pci",
                f"pci {vendor}:{device} @{d.name}",
                m,
                attrs,
                self.disp(d / "vendor"),
                None,
                f"vendor=0x{vendor} device=0x{device} subsystem_vendor=0x{sub}",
            )
            self.col.read()

    def usb(self) -> None:
        for d in _entries(self.root / "sys/bus/usb/devices"):
            vid = norm_hex(_read(d / "idVendor") or "")
            if not vid:
                continue  # interfaces (1-1:1.0) have no idVendor
            pid = norm_hex(_read(d / "idProduct") or "")
            attrs = {"vendor_id": vid, "device_id": pid, "port": d.name}
            for f in ("manufacturer", "product"):
                v = _read(d / f, 512)
                if v and not is_filler(v):
                    attrs[f] = v
            self.col.add(
                self.h,
                "hardware-device",
                "usb",
                f"usb {vid}:{pid} @{d.name}",
                self.ident.usb(vid),
                attrs,
                self.disp(d / "idVendor"),
                None,
                f"idVendor={vid} idProduct={pid}",
            )
            self.col.read()

    def net(self) -> None:
        for d in _entries(self.root / "sys/class/net"):
            raw = _read(d / "address") or ""
            mac = normalise_mac(raw)
            if d.name == "lo" or not mac:
                continue
            why = mac_skip_reason(mac)
            if why:
                self.h.notes.append(f"{d.name}: MAC {mac} skipped ({why})")
                continue
            self.col.add(
                self.h,
                "hardware-device",
                "nic",
                f"nic {d.name} {mac}",
                self.ident.mac(mac),
                {"mac": mac, "interface": d.name, "oui": mac.replace(":", "")[:6].upper()},
                self.disp(d / "address"),
                None,
                f"{d.name} {mac}",
            )
            self.col.read()

    def edid(self) -> None:
        """Monitors: the 3-letter PNP manufacturer id in bytes 8-9 of /sys/class/drm/*/edid."""
        for d in _entries(self.root / "sys/class/drm"):
            path = d / "edid"
            try:
                with path.open("rb") as fh:
                    data = fh.read(256)
            except OSError:
                continue
            if not data:
                continue  # connector without a monitor
            code = edid_manufacturer(data)
            if not code:
                self.col.skip("malformed", self.disp(path), "not an EDID block")
                continue
            product = f"{data[11]:02x}{data[10]:02x}"
            self.col.add(
                self.h,
                "hardware-device",
                "edid",
                f"display {code} {product} @{d.name}",
                self.ident.edid(code),
                {"vendor_id": code, "device_id": product, "connector": d.name},
                self.disp(path),
                None,
                f"EDID manufacturer {code} product {product}",
            )
            self.col.read()

    def dmi(self) -> None:
        base = self.root / "sys/class/dmi/id"
        if not base.is_dir():
            self.h.notes.append(DMI_ABSENT)
            self.col.summary.notes.append(f"{self.h.host}: {DMI_ABSENT}")
            return
        values: dict[str, str] = {}
        for f in DMI_FIELDS:
            v = _read(base / f, 1024)
            if v and not is_filler(v):
                values[f] = v
        if not values:
            self.h.notes.append("DMI present but only filler values")
            return
        m = None
        by = ""
        for f in DMI_FIELDS:
            if f in values:
                m = self.ident.dmi(values[f])
                if m is not None:
                    by = f
                    break
        vendor = values.get("sys_vendor") or values.get("board_vendor") or ""
        product = values.get("product_name") or values.get("board_name") or ""
        attrs = {f"dmi_{k}": v for k, v in values.items()}
        if by:
            attrs["identified_by"] = f"dmi_{by}"
        self.col.add(
            self.h,
            "hardware-device",
            "dmi",
            f"system {vendor} {product}".strip(),
            m,
            attrs,
            self.disp(base / (by or "sys_vendor")),
            None,
            "; ".join(f"{k}={v}" for k, v in values.items()),
        )
        self.col.read()

    def cpu(self) -> None:
        path = self.root / "proc/cpuinfo"
        text = _read(path, CPUINFO_MAX)
        if not text:
            self.h.notes.append("/proc/cpuinfo not readable")
            return
        fields: dict[str, str] = {}
        line_of: dict[str, int] = {}
        for n, line in enumerate(text.splitlines(), 1):
            k, sep, v = line.partition(":")
            k = k.strip()
            if sep and k not in fields:
                fields[k] = v.strip()
                line_of[k] = n
            if not line.strip() and fields:
                break  # first processor is enough
        raw_vendor = (
            text.split("vendor_id", 1)[1].split(":", 1)[1].split("\n", 1)[0] if "vendor_id" in text else ""
        )
        vendor = raw_vendor.strip()
        model = fields.get("model name") or fields.get("Model Name") or fields.get("cpu model") or ""
        impl = fields.get("CPU implementer", "")
        part = fields.get("CPU part", "")
        m = self.ident.cpu(vendor, model, impl)
        label = model or vendor or (f"implementer {impl} part {part}" if impl else "unknown")
        attrs = {"cpu_vendor": vendor, "cpu_model": model}
        if impl:
            attrs["cpu_implementer"] = impl
            attrs["cpu_part"] = part
        key = "vendor_id" if vendor else ("CPU implementer" if impl else "model name")
        self.col.add(
            self.h,
            "hardware-device",
            "cpu",
            f"cpu {label}",
            m,
            attrs,
            self.disp(path),
            line_of.get(key),
            f"vendor_id={raw_vendor!r} model={model!r}",
        )
        self.col.read()

    def block(self) -> None:
        for d in _entries(self.root / "sys/block"):
            dev = d / "device"
            model = _read(dev / "model", 512) or ""
            vendor = _read(dev / "vendor", 512) or ""
            if not model and not vendor:
                continue  # loop, ram, virtual devices without a device node
            text = f"{vendor} {model}".strip()
            vhex = norm_hex(vendor) if vendor.lower().startswith("0x") else ""
            m = self.ident.pci(vhex) if vhex else (self.ident.dmi(text) if text else None)
            attrs = {"block_vendor": vendor, "block_model": model, "device": d.name}
            self.col.add(
                self.h,
                "hardware-device",
                "block",
                f"disk {d.name} {text}",
                m,
                attrs,
                self.disp(dev / "model"),
                None,
                text,
            )
            self.col.read()

    def os_release(self) -> None:
        for rel in ("etc/os-release", "usr/lib/os-release"):
            path = self.root / rel
            text = _read(path)
            if text is None:
                continue
            info = parse_os_release(text)
            os_id = info.get("ID", "")
            pretty = (
                info.get("PRETTY_NAME") or f"{info.get('NAME', os_id)} {info.get('VERSION_ID', '')}".strip()
            )
            self.h.os = pretty
            line = next((n for n, ln in enumerate(text.splitlines(), 1) if ln.startswith("ID=")), None)
            self.col.add(
                self.h,
                "operating-system",
                "os",
                pretty or os_id,
                self.ident.os(os_id) if os_id else None,
                {
                    "os_id": os_id,
                    "version_id": info.get("VERSION_ID", ""),
                    "id_like": info.get("ID_LIKE", ""),
                },
                self.disp(path),
                line,
                f"ID={os_id}",
            )
            self.col.read()
            return
        self.h.notes.append("os-release not found")

    def packages(self, rpm_query: Path | None) -> None:
        cap = self.ident.options.max_line_bytes
        status = self.root / "var/lib/dpkg/status"
        sources: list[tuple[Path, str]] = []
        if status.is_file():
            sources.append((status, "dpkg"))
        if rpm_query is not None:
            sources.append((rpm_query, "rpm"))
        elif (self.root / "var/lib/rpm").is_dir():
            self.h.notes.append("rpm database not read (pass an `rpm -qa` output file)")
        for path, fmt in sources:
            try:
                it = iter_dpkg_installed(path, cap) if fmt == "dpkg" else iter_rpm_query(path, cap)
                for name, version, line in it:
                    self.col.read()
                    m = self.ident.package(name)
                    if m is None:
                        continue
                    self.col.add(
                        self.h,
                        "system-software",
                        fmt,
                        f"{fmt}:{name}",
                        m,
                        {"package": name, "version": version, "format": fmt},
                        self.disp(path) if fmt == "dpkg" else path.as_posix(),
                        line,
                        f"{name} {version}",
                    )
            except OSError as exc:
                self.col.skip("unreadable", self.disp(path), str(exc))


def assess_local(
    root: Path = Path("/"),
    *,
    catalog: EquipmentCatalog | None = None,
    options: EquipmentOptions | None = None,
    rpm_query: Path | None = None,
    site: str = "",
) -> EquipmentOutput:
    """Probe the machine whose filesystem is at ``root`` (``/`` = this machine) without root privileges."""
    cat = catalog or load_equipment_catalog()
    col = FleetCollector(Identifier(cat, options), "probe")
    host = col.host(_hostname(root), site)
    probe = LocalProbe(root, col, host)
    for step in (
        probe.os_release,
        probe.dmi,
        probe.cpu,
        probe.pci,
        probe.usb,
        probe.net,
        probe.block,
        probe.edid,
    ):
        try:
            step()
        except OSError as exc:  # one unreadable area is a recorded skip, not a crash
            col.skip("unreadable", step.__name__, str(exc))
    probe.packages(rpm_query)
    if not os.access(root, os.R_OK):
        col.skip("permission-denied", str(root))
    return col.finish(cat.version)
