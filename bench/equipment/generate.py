"""Generate an osqueryd snapshot results log for N hosts (default 10,000): per host one pci_devices
snapshot (~50 rows), one interface_details snapshot (~5 rows), os_version and system_info. Vendors are mixed:
mostly Intel/Mellanox/Broadcom/NVIDIA servers, a share of Huawei/Inspur/Hygon hosts, some openEuler.

usage: python bench/equipment/generate.py /tmp/osquery-snapshot.log [hosts]
"""

from __future__ import annotations

import json
import random
import sys

PCI_POOL = [
    ("0x8086", "0x2020", "Intel Corporation", "Sky Lake-E DMI3 Registers"),
    ("0x8086", "0x2030", "Intel Corporation", "Sky Lake-E PCI Express Root Port A"),
    ("0x8086", "0x2021", "Intel Corporation", "Sky Lake-E CBDMA Registers"),
    ("0x8086", "0x1572", "Intel Corporation", "Ethernet Controller X710 for 10GbE SFP+"),
    ("0x8086", "0xa1d2", "Intel Corporation", "C620 Series Chipset SATA Controller"),
    ("0x8086", "0x2058", "Intel Corporation", "Sky Lake-E KTI 0"),
    ("0x15B3", "0x1017", "Mellanox Technologies", "MT27800 Family [ConnectX-5]"),
    ("0x14e4", "0x16d7", "Broadcom Inc.", "BCM57414 NetXtreme-E 10Gb/25Gb"),
    ("0x1000", "0x0097", "Broadcom / LSI", "SAS3008 PCI-Express Fusion-MPT SAS-3"),
    ("0x10de", "0x20b0", "NVIDIA Corporation", "GA100 [A100 SXM4 40GB]"),
    ("0x1a03", "0x2000", "ASPEED Technology, Inc.", "ASPEED Graphics Family"),
    ("0x144d", "0xa80a", "Samsung Electronics Co Ltd", "NVMe SSD Controller PM9A1"),
    ("0x1022", "0x1480", "Advanced Micro Devices, Inc. [AMD]", "Starship/Matisse Root Complex"),
    ("0xabcd", "0x0001", "", ""),  # unknown vendor
]
PRC_PCI = [
    ("0x19e5", "0x1822", "Huawei Technologies Co., Ltd.", "Hi1822 Family (4*25GE)"),
    ("0x19E5", "0xa222", "Huawei Technologies Co., Ltd.", "HNS GE/10GE/25GE RDMA Network Controller"),
    ("0x1bd4", "0x0038", "Inspur Electronic Information Industry Co., Ltd.", "RAID controller"),
    ("0x1d94", "0x1450", "Chengdu Haiguang IC Design Co., Ltd.", "Root Complex"),
    ("0x1cb8", "0x0001", "Dawning Information Industry Co., Ltd.", "device"),
]
OUIS = ["3c:fd:fe", "b8:59:9f", "00:1b:21", "f8:f2:1e", "ac:1f:6b", "00:0c:29", "ec:0d:9a"]
PRC_OUIS = ["e0:06:30", "54:44:3b"]  # Huawei
SITES = ["dc-east", "dc-west", "dc-frankfurt", "dc-singapore"]


def main() -> None:
    out = sys.argv[1]
    hosts = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    rnd = random.Random(42)
    t = 1732200000
    with open(out, "w", encoding="utf-8") as fh:
        for i in range(hosts):
            host = f"srv-{i:05d}.example.net"
            deco = {"site": SITES[i % len(SITES)], "host_uuid": f"{i:08x}-0000-4000-8000-000000000000"}
            prc = rnd.random() < 0.12
            rows = []
            for j in range(50):
                v, d, vn, dn = rnd.choice(PRC_PCI if prc and j % 7 == 0 else PCI_POOL)
                slot = f"0000:{j // 8:02x}:{j % 8:02x}.0"
                rows.append(
                    {
                        "pci_slot": slot,
                        "pci_class": "Network controller",
                        "driver": "ixgbe",
                        "vendor": vn,
                        "model": dn,
                        "vendor_id": v,
                        "model_id": d,
                        "subsystem_vendor_id": v,
                        "subsystem_model_id": "0x0000",
                        "pci_class_id": "0x02",
                        "pci_subclass_id": "0x00",
                    }
                )
            base = {
                "name": "pack_hw_pci_devices",
                "hostIdentifier": host,
                "calendarTime": "Thu Nov 21 2024",
                "unixTime": t,
                "epoch": 0,
                "counter": 0,
                "numerics": False,
                "decorations": deco,
                "action": "snapshot",
            }
            fh.write(json.dumps({**base, "snapshot": rows}) + "\n")
            nics = []
            for k in range(5):
                oui = rnd.choice(PRC_OUIS if prc and k == 0 else OUIS)
                mac = oui + ":" + ":".join(f"{rnd.randrange(256):02x}" for _ in range(3))
                if k == 4:
                    mac = "02" + mac[2:]  # locally administered (bond/veth)
                nics.append(
                    {"interface": f"eth{k}", "mac": mac, "type": "6", "mtu": "1500", "link_speed": "25000"}
                )
            fh.write(json.dumps({**base, "name": "pack_hw_interface_details", "snapshot": nics}) + "\n")
            osrow = (
                {"name": "openEuler", "version": "22.03 (LTS-SP3)", "platform": "openEuler", "major": "22"}
                if prc and rnd.random() < 0.5
                else {
                    "name": "Ubuntu",
                    "version": "22.04.4 LTS (Jammy Jellyfish)",
                    "platform": "ubuntu",
                    "major": "22",
                }
            )
            fh.write(json.dumps({**base, "name": "pack_os_version", "snapshot": [osrow]}) + "\n")
            sysrow = {
                "hostname": host,
                "hardware_vendor": "Huawei" if prc else "Dell Inc.",
                "hardware_model": "TaiShan 200 (Model 2280)" if prc else "PowerEdge R750",
                "cpu_brand": "Hygon C86 7285 32-core Processor" if prc else "Intel(R) Xeon(R) Gold 6338 CPU",
            }
            fh.write(json.dumps({**base, "name": "pack_system_info", "snapshot": [sysrow]}) + "\n")


if __name__ == "__main__":
    main()
