from __future__ import annotations

import json
from pathlib import Path

from tierguard.equipment import EquipmentCatalog, EquipmentOptions
from tierguard.inventories import read_osquery


def producer_of(out, host, name_prefix):  # type: ignore[no-untyped-def]
    for a in out.assets:
        if a.parent == host and a.name.startswith(name_prefix):
            return a.provenance.producers[0].id if a.provenance.producers else None
    raise AssertionError(f"{host}: no asset {name_prefix}")


def lines(*objs: object) -> str:
    return "".join(json.dumps(o) + "\n" for o in objs)


PCI_HUAWEI = {
    "pci_slot": "0000:3b:00.0",
    "vendor_id": "0x19E5",
    "model_id": "0x1822",
    "subsystem_vendor_id": "0x19e5",
    "vendor": "Huawei Technologies Co., Ltd.",
    "model": "Hi1822",
}
PCI_INTEL = {
    "pci_slot": "0000:31:00.0",
    "vendor_id": "0x8086",
    "model_id": "0x1572",
    "subsystem_vendor_id": "0x8086",
    "vendor": "Intel Corporation",
    "model": "X710",
}
PCI_MLX = {
    "pci_slot": "0000:4b:00.0",
    "vendor_id": "0x15b3",
    "model_id": "0x1017",
    "subsystem_vendor_id": "0x15b3",
}


def test_snapshot_log_many_hosts(tmp_path: Path, catalog: EquipmentCatalog) -> None:
    p = tmp_path / "osqueryd.snapshots.log"
    base = {"action": "snapshot", "calendarTime": "Thu Nov 21 10:00:00 2024 UTC", "unixTime": "1732183200"}
    p.write_text(
        lines(
            {
                **base,
                "name": "pack_hw_pci_devices",
                "hostIdentifier": "cn-node-1",
                "decorations": {"site": "dc-a"},
                "snapshot": [PCI_HUAWEI, PCI_INTEL, PCI_INTEL],
            },
            {
                **base,
                "name": "pack_os_version",
                "hostIdentifier": "cn-node-1",
                "decorations": {"site": "dc-a"},
                "snapshot": [
                    {
                        "name": "openEuler",
                        "version": "22.03 (LTS-SP3)",
                        "platform": "openEuler",
                        "major": "22",
                    }
                ],
            },
            {
                **base,
                "name": "pack_hw_system_info",
                "hostIdentifier": "cn-node-1",
                "site": "dc-a",
                "snapshot": [
                    {
                        "hardware_vendor": "Inspur",
                        "hardware_model": "NF5280M6",
                        "cpu_brand": "Hygon C86 7285 32-core Processor",
                    }
                ],
            },
            {
                **base,
                "name": "pack_hw_pci_devices",
                "hostIdentifier": "us-node-1",
                "decorations": {"site": "dc-b"},
                "snapshot": [PCI_INTEL, PCI_MLX],
            },
            {
                **base,
                "name": "pack_hw_interface_details",
                "hostIdentifier": "us-node-1",
                "decorations": {"site": "dc-b"},
                "snapshot": [
                    {"interface": "eno1", "mac": "3C:FD:FE:AA:BB:CC"},
                    {"interface": "veth0", "mac": "02:42:ac:11:00:02"},
                ],
            },
            {
                **base,
                "name": "pack_os_version",
                "hostIdentifier": "us-node-1",
                "decorations": {"site": "dc-b"},
                "snapshot": [
                    {"name": "Ubuntu", "version": "22.04.4 LTS", "platform": "ubuntu", "major": "22"}
                ],
            },
        ),
        encoding="utf-8",
    )
    out = read_osquery(p, catalog=catalog)
    assert producer_of(out, "cn-node-1", "pci 19e5:1822") == "huawei"
    assert producer_of(out, "cn-node-1", "openEuler") == "huawei"
    assert producer_of(out, "cn-node-1", "system Inspur") == "inspur"
    assert producer_of(out, "cn-node-1", "cpu Hygon") == "hygon"
    intel = next(a for a in out.assets if a.parent == "cn-node-1" and a.name == "pci 8086:1572")
    assert intel.details.count == 2  # two identical NICs: one asset, counted
    assert producer_of(out, "us-node-1", "pci 15b3:1017") == "nvidia"
    assert producer_of(out, "us-node-1", "nic eno1") == "intel"
    assert not any("02:42" in a.name for a in out.assets)  # locally administered MAC skipped
    ev = intel.evidence[0]
    assert ev.location.path == p.as_posix() and ev.location.line == 1
    s = out.summary
    assert (s.hosts, s.hosts_with_prc, s.share_with_prc) == (2, 1, 0.5)
    assert s.per_site["dc-a"].hosts_with_prc == 1 and s.per_site["dc-b"].hosts_with_prc == 0
    verdicts = {h.host: h.verdict for h in out.hosts}
    assert verdicts == {"cn-node-1": "prc-components-found", "us-node-1": "no-prc-identified"}
    assert s.unusable_records == 0


def test_event_and_batch_formats(tmp_path: Path, catalog: EquipmentCatalog) -> None:
    p = tmp_path / "osqueryd.results.log"
    p.write_text(
        lines(
            {
                "name": "usb_devices",
                "hostIdentifier": "lab-1",
                "unixTime": 1732183200,
                "action": "added",
                "columns": {
                    "usb_address": "3",
                    "usb_port": "1",
                    "vendor_id": "12D1",
                    "model_id": "1506",
                    "vendor": "Huawei",
                },
            },
            {
                "name": "usb_devices",
                "hostIdentifier": "lab-1",
                "unixTime": 1732183201,
                "action": "removed",
                "columns": {"usb_address": "4", "usb_port": "2", "vendor_id": "2c7c", "model_id": "0125"},
            },
            {
                "name": "pci",
                "hostIdentifier": "lab-2",
                "unixTime": 1732183200,
                "diffResults": {
                    "added": [
                        PCI_MLX,
                        {"pci_slot": "0000:02:00.0", "vendor_id": "0x1BD4", "model_id": "0x0038"},
                    ],
                    "removed": [PCI_HUAWEI],
                },
            },
        ),
        encoding="utf-8",
    )
    out = read_osquery(p, catalog=catalog)
    assert producer_of(out, "lab-1", "usb 12d1:1506") == "huawei"
    assert not any(a.name.startswith("usb 2c7c") for a in out.assets)  # removed event ignored
    assert producer_of(out, "lab-2", "pci 1bd4:0038") == "inspur"
    assert not any(a.details.ids.get("vendor_id") == "19e5" for a in out.assets)  # removed: ignored
    assert out.summary.hosts_with_prc == 2


def test_osqueryi_json_array(tmp_path: Path, catalog: EquipmentCatalog) -> None:
    p = tmp_path / "ws-17.json"
    p.write_text(json.dumps([PCI_INTEL, {**PCI_HUAWEI, "vendor_id": "19e5"}], indent=2), encoding="utf-8")
    out = read_osquery(p, catalog=catalog)
    assert [h.host for h in out.hosts] == ["ws-17"]
    assert producer_of(out, "ws-17", "pci 19e5:1822") == "huawei"
    named = read_osquery(p, catalog=catalog, host="workstation-17")
    assert named.hosts[0].host == "workstation-17"


def test_bad_input_is_counted_not_fatal(tmp_path: Path, catalog: EquipmentCatalog) -> None:
    p = tmp_path / "bad.log"
    good = {
        "name": "pack_hw_pci_devices",
        "hostIdentifier": "h1",
        "action": "snapshot",
        "snapshot": [PCI_HUAWEI],
    }
    giant = {"name": "x", "hostIdentifier": "h1", "action": "snapshot", "snapshot": [{"pad": "A" * 5000}]}
    p.write_text(
        "{not json\n"
        + json.dumps(giant)
        + "\n"
        + lines(
            good,
            good,  # duplicate snapshot for the same host and query
            {"name": "pack_hw_pci_devices", "action": "snapshot", "snapshot": [PCI_INTEL]},  # no host
            {
                "name": "pack_hw_pci_devices",
                "hostIdentifier": "h2",
                "action": "snapshot",
                "snapshot": [
                    {"pci_slot": "0000:00:01.0", "model_id": "0x1"},
                    "row-not-object",
                    {"pci_slot": "0000:00:02.0", "vendor_id": "0xABCD", "model_id": "0x0001"},
                ],
            },
            [1, 2, 3],
        )
        + "\n\n",
        encoding="utf-8",
    )
    out = read_osquery(p, catalog=catalog, options=EquipmentOptions(max_line_bytes=2000))
    s = out.summary
    assert s.unusable_by_reason == {
        "malformed-json": 2,
        "line-too-long": 1,
        "duplicate-snapshot": 1,
        "missing-host": 1,
        "missing-column": 1,
        "malformed-row": 1,
    }
    assert s.unusable_records == 7
    reasons = {(k.reason, k.path) for k in out.skipped}
    assert ("line-too-long", f"{p.as_posix()}:2") in reasons
    assert ("malformed-json", f"{p.as_posix()}:1") in reasons
    assert producer_of(out, "h1", "pci 19e5:1822") == "huawei"
    unknown = next(a for a in out.assets if a.details.ids.get("vendor_id") == "abcd")
    assert unknown.provenance.producers == () and unknown.details.prc == "unknown"
    assert s.unidentified_components == 1


def test_evidence_identity_differs_per_host(tmp_path: Path, catalog: EquipmentCatalog) -> None:
    p = tmp_path / "s.log"
    p.write_text(
        lines(
            *(
                {"name": "pci_devices", "hostIdentifier": h, "action": "snapshot", "snapshot": [PCI_INTEL]}
                for h in ("a", "b")
            )
        ),
        encoding="utf-8",
    )
    out = read_osquery(p, catalog=catalog)
    assert len({e.id for e in out.evidence}) == 2 and len({a.id for a in out.assets}) == 2
    assert {e.location.display() for e in out.evidence} == {f"{p.as_posix()}!a:1", f"{p.as_posix()}!b:2"}
