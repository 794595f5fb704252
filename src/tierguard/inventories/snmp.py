"""SNMP walk results: one device per host, identified by sysObjectID (enterprise number) and sysDescr.

File format, one value per line, as ``snmpwalk -On`` prints it, prefixed with the device's host name or
address::

    core-sw1 .1.3.6.1.2.1.1.1.0 = STRING: "Huawei Versatile Routing Platform Software ..."
    core-sw1 .1.3.6.1.2.1.1.2.0 = OID: .1.3.6.1.4.1.2011.2.23.96
    core-sw1 .1.3.6.1.2.1.1.6.0 = STRING: "dc-east rack 12"

Symbolic forms (``SNMPv2-MIB::sysObjectID.0``, ``SNMPv2-SMI::enterprises.2011...``, ``iso.3.6...``) are
accepted. sysLocation (1.3.6.1.2.1.1.6.0) becomes the site. Lines starting with ``#`` are comments; a line
that is not ``host OID = value`` continues the previous STRING value (multi-line sysDescr) or is skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tierguard.equipment.catalog import EquipmentCatalog, load_equipment_catalog
from tierguard.equipment.collect import FleetCollector
from tierguard.equipment.identify import Identifier, snmp_enterprise
from tierguard.equipment.types import EquipmentOptions, EquipmentOutput
from tierguard.errors import TargetError
from tierguard.inventories.lines import iter_lines

LINE = re.compile(r"^(\S+)\s+(\S+)\s*=\s*(?:([A-Za-z0-9-]+):\s*)?(.*)$")
SYS = {"1": "sysDescr", "2": "sysObjectID", "5": "sysName", "6": "sysLocation"}


def norm_oid(oid: str) -> str:
    """Numeric dotted OID with a leading dot, from numeric or common symbolic spellings."""
    o = oid.strip().strip('"')
    o = re.sub(r"^(SNMPv2-SMI::)?enterprises\.", ".1.3.6.1.4.1.", o)
    o = re.sub(r"^iso\.", ".1.", o)
    m = re.match(r"^SNMPv2-MIB::(sysDescr|sysObjectID|sysName|sysLocation)\.0$", o)
    if m:
        return {
            "sysDescr": ".1.3.6.1.2.1.1.1.0",
            "sysObjectID": ".1.3.6.1.2.1.1.2.0",
            "sysName": ".1.3.6.1.2.1.1.5.0",
            "sysLocation": ".1.3.6.1.2.1.1.6.0",
        }[m.group(1)]
    if re.fullmatch(r"\d+(\.\d+)+", o):
        o = "." + o
    return o


@dataclass
class Device:
    host: str
    values: dict[str, str]
    lines: dict[str, int]


def read_snmp(
    path: Path, *, catalog: EquipmentCatalog | None = None, options: EquipmentOptions | None = None
) -> EquipmentOutput:
    cat = catalog or load_equipment_catalog()
    col = FleetCollector(Identifier(cat, options), "snmp")
    disp = path.as_posix()
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise TargetError(f"{path}: cannot open: {exc}") from exc
    with fh:
        devices = _walk(fh, col, disp)
    for dev in devices.values():
        _add_device(col, dev, disp)
    return col.finish(cat.version)


def _walk(fh: BinaryIO, col: FleetCollector, disp: str) -> dict[str, Device]:
    """The system-group values of each device in the walk, with the line each came from."""
    opts = col.ident.options
    devices: dict[str, Device] = {}
    last: tuple[Device, str] | None = None
    for n, raw in iter_lines(fh, opts.max_line_bytes):
        if raw is None:
            col.skip("line-too-long", f"{disp}:{n}", f"line longer than {opts.max_line_bytes} bytes")
            last = None
            continue
        text = raw.decode("utf-8", "replace")
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        m = LINE.match(text)
        oid = norm_oid(m.group(2)) if m else ""
        if m is None or not oid.startswith(".1."):
            if last is not None:  # continuation of a multi-line STRING
                dev, field = last
                dev.values[field] = (dev.values[field] + " " + text.strip().strip('"'))[:2000]
                continue
            col.read()
            col.skip("malformed", f"{disp}:{n}", "expected 'host OID = value'")
            continue
        host, _, vtype, value = m.groups()
        col.read()
        last = None
        dev = devices.setdefault(host, Device(host[:255], {}, {}))
        sysm = re.fullmatch(r"\.1\.3\.6\.1\.2\.1\.1\.(\d)\.0", oid)
        if not sysm or sysm.group(1) not in SYS:
            continue
        field = SYS[sysm.group(1)]
        v = value.strip()
        if field == "sysObjectID":
            v = norm_oid(v)
        else:
            v = v.strip('"') if v.endswith('"') or not v.startswith('"') else v.lstrip('"')
            if (
                (vtype or "").upper() == "STRING"
                and value.strip().startswith('"')
                and not value.strip().endswith('"')
            ):
                last = (dev, field)
        if field in dev.values and field == "sysObjectID" and dev.values[field] != v:
            col.skip("duplicate-host", f"{disp}:{n}", f"{host}: second sysObjectID {v}; kept the first")
            continue
        dev.values.setdefault(field, v[:2000])
        dev.lines.setdefault(field, n)
    return devices


def _add_device(col: FleetCollector, dev: Device, disp: str) -> None:
    """One device identified by its enterprise sysObjectID (skipped with a reason without one)."""
    oid = dev.values.get("sysObjectID", "")
    if not oid or snmp_enterprise(oid) is None:
        col.skip("missing-column", disp, f"{dev.host}: no enterprise sysObjectID")
        return
    h = col.host(dev.host, dev.values.get("sysLocation", "")[:100])
    descr = dev.values.get("sysDescr", "")
    h.os = descr.split(",")[0][:80]
    col.add(
        h,
        "hardware-device",
        "snmp",
        f"snmp device {oid}",
        col.ident.snmp(oid, descr),
        {
            "sys_object_id": oid,
            "enterprise": str(snmp_enterprise(oid)),
            "sys_descr": descr[:300],
            "sys_name": dev.values.get("sysName", "")[:100],
        },
        disp,
        dev.lines.get("sysObjectID"),
        f"sysObjectID={oid} sysDescr={descr[:100]}",
    )
