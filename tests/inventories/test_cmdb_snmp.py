from __future__ import annotations

import json
from pathlib import Path

from tierguard.equipment import EquipmentCatalog, EquipmentOptions
from tierguard.inventories import read_inventory, read_osquery, read_snmp

CSV = """hostname,site,category,manufacturer,model,mac,pci_vendor_id,pci_device_id,os_id,os_name,os_version
db-01,dc-east,server,Inspur,NF5280M6,,0X1BD4,0x0038,,,
db-01,dc-east,server,,,,,,openEuler,openEuler,22.03
web-01,dc-east,server,Dell Inc.,PowerEdge R650,3c:fd:fe:00:11:22,8086,1572,ubuntu,Ubuntu,22.04
cam-07,dc-west,camera,,,C0-56-E3-01-02-03,,,,,
,dc-west,server,Dell Inc.,R650,,,,,,
ghost-1,dc-west,server,,,,,,,,
web-01,dc-north,server,Dell Inc.,PowerEdge R650,,,,,,
"""


def names(out, host):  # type: ignore[no-untyped-def]
    return {
        a.name: (a.provenance.producers[0].id if a.provenance.producers else None)
        for a in out.assets
        if a.parent == host
    }


def test_cmdb_csv(tmp_path: Path, catalog: EquipmentCatalog) -> None:
    p = tmp_path / "cmdb.csv"
    p.write_text(CSV, encoding="utf-8")
    out = read_inventory(p, catalog=catalog)
    db = names(out, "db-01")
    assert db["pci 1bd4:0038"] == "inspur" and db["server Inspur NF5280M6"] == "inspur"
    assert db["openEuler 22.03"] == "huawei"
    web = names(out, "web-01")
    assert web["server Dell Inc. PowerEdge R650"] == "dell" and web["pci 8086:1572"] == "intel"
    assert web["Ubuntu 22.04"] == "canonical"
    assert names(out, "cam-07")["nic c0:56:e3:01:02:03"] == "hikvision"  # Hikvision OUI
    s = out.summary
    assert s.unusable_by_reason == {"missing-column": 2, "duplicate-host": 1}
    assert (s.hosts, s.hosts_with_prc) == (3, 2)
    assert s.per_site["dc-east"].hosts == 2 and s.per_site["dc-west"].hosts_with_prc == 1
    a = next(x for x in out.assets if x.name == "pci 1bd4:0038")
    assert a.evidence[0].location.line == 2 and a.details.site == "dc-east"


def test_cmdb_json_and_broken_json(tmp_path: Path, catalog: EquipmentCatalog) -> None:
    p = tmp_path / "cmdb.json"
    p.write_text(
        json.dumps(
            {
                "assets": [
                    {
                        "Host": "edge-1",
                        "Location": "branch-9",
                        "Vendor": "Huawei",
                        "Model": "AR6140",
                        "snmp_sysobjectid": ".1.3.6.1.4.1.2011.2.224.279",
                    },
                    {"host": "edge-2", "cpu_vendor": "HygonGenuine", "cpu_model": "Hygon C86 3250"},
                    "junk",
                ]
            }
        ),
        encoding="utf-8",
    )
    out = read_inventory(p, catalog=catalog)
    assert names(out, "edge-1") == {
        "device Huawei AR6140": "huawei",
        "snmp .1.3.6.1.4.1.2011.2.224.279": "huawei",
    }
    assert names(out, "edge-2") == {"cpu Hygon C86 3250": "hygon"}
    assert out.summary.unusable_by_reason == {"malformed-row": 1}
    bad = tmp_path / "broken.json"
    bad.write_text('{"assets": [', encoding="utf-8")
    assert read_inventory(bad, catalog=catalog).summary.unusable_by_reason == {"malformed-json": 1}


def test_cmdb_gigantic_field(tmp_path: Path, catalog: EquipmentCatalog) -> None:
    p = tmp_path / "cmdb.csv"
    p.write_text(
        "hostname,manufacturer\nok-1,Huawei\nbig-1," + "x" * 5000 + "\nok-2,Dell Inc.\n", encoding="utf-8"
    )
    out = read_inventory(p, catalog=catalog, options=EquipmentOptions(max_line_bytes=1024))
    assert out.summary.unusable_by_reason == {"line-too-long": 1}
    assert {h.host for h in out.hosts} == {"ok-1", "ok-2"}


SNMP = """# snmpwalk -On -v2c -c public <host> system, prefixed with the host
core-sw1 .1.3.6.1.2.1.1.1.0 = STRING: "Huawei Versatile Routing Platform Software
VRP (R) software, Version 8.180 (CE6881 V200R005C10SPC800)"
core-sw1 .1.3.6.1.2.1.1.2.0 = OID: .1.3.6.1.4.1.2011.2.239.40
core-sw1 .1.3.6.1.2.1.1.6.0 = STRING: "dc-east"
cam-lobby SNMPv2-MIB::sysObjectID.0 = OID: SNMPv2-SMI::enterprises.39165.1.1
cam-lobby SNMPv2-MIB::sysDescr.0 = STRING: "DS-2CD2143G2-I"
agg-1 .1.3.6.1.2.1.1.2.0 = OID: .1.3.6.1.4.1.25506.11.1.239
agg-1 .1.3.6.1.2.1.1.1.0 = STRING: "Comware Platform Software, Software Version 7.1.070"
edge-rtr iso.3.6.1.2.1.1.2.0 = OID: iso.3.6.1.4.1.9.1.2494
edge-rtr iso.3.6.1.2.1.1.1.0 = STRING: "Cisco IOS XE Software, Version 17.09.04a"
printer-3 .1.3.6.1.2.1.1.1.0 = STRING: "HP LaserJet"
this line is garbage
"""


def test_snmp_walk(tmp_path: Path, catalog: EquipmentCatalog) -> None:
    p = tmp_path / "walk.txt"
    p.write_text(SNMP, encoding="utf-8")
    out = read_snmp(p, catalog=catalog)
    prod = {a.parent: a.provenance.producers[0].id for a in out.assets}
    assert prod == {"core-sw1": "huawei", "cam-lobby": "hikvision", "agg-1": "h3c", "edge-rtr": "cisco"}
    sw = next(a for a in out.assets if a.parent == "core-sw1")
    assert sw.details.site == "dc-east" and sw.details.ids["enterprise"] == "2011"
    assert "CE6881" in sw.details.ids["sys_descr"]  # multi-line sysDescr joined
    assert sw.evidence[0].location.line == 4
    verdicts = {h.host: h.verdict for h in out.hosts}
    assert verdicts["agg-1"] == "review"  # 25506 without H3C/HPE in sysDescr: policy setting decides
    assert verdicts["cam-lobby"] == "prc-components-found" and verdicts["edge-rtr"] == "no-prc-identified"
    assert out.summary.unusable_by_reason == {"missing-column": 1, "malformed": 1}  # printer-3, garbage
    forced = read_snmp(p, catalog=catalog, options=EquipmentOptions(enterprise_25506_as_h3c=True))
    assert {h.host: h.verdict for h in forced.hosts}["agg-1"] == "prc-components-found"


def test_merge_counts_a_host_seen_in_two_inputs_once(tmp_path: Path, catalog: EquipmentCatalog) -> None:
    cmdb = tmp_path / "cmdb.csv"
    cmdb.write_text(
        "hostname,site,manufacturer\nnode-1,dc-a,Dell Inc.\nnode-2,dc-a,Dell Inc.\n", encoding="utf-8"
    )
    log = tmp_path / "osq.log"
    log.write_text(
        json.dumps(
            {
                "name": "pci_devices",
                "hostIdentifier": "node-1",
                "action": "snapshot",
                "snapshot": [{"pci_slot": "0:0", "vendor_id": "0x19e5", "model_id": "0x1822"}],
            }
        )
        + "\n",
        encoding="utf-8",
    )
    merged = read_inventory(cmdb, catalog=catalog).merge(read_osquery(log, catalog=catalog))
    s = merged.summary
    assert (s.hosts, s.hosts_with_prc) == (2, 1)
    assert s.per_site == {"dc-a": s.per_site["dc-a"]} and s.per_site["dc-a"].hosts_with_prc == 1
    assert s.prc_producers == {"huawei": 1}
    node1 = next(h for h in merged.hosts if h.host == "node-1")
    assert node1.site == "dc-a" and node1.components == 2 and node1.verdict == "prc-components-found"
