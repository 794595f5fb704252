"""Fake sysfs/procfs trees for local-probe tests."""

from __future__ import annotations

from pathlib import Path


def write(root: Path, rel: str, text: str) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")


def pci(root: Path, slot: str, vendor: str, device: str, sub: str = "", cls: str = "0x020000") -> None:
    base = f"sys/bus/pci/devices/{slot}"
    write(root, f"{base}/vendor", vendor + "\n")
    write(root, f"{base}/device", device + "\n")
    write(root, f"{base}/subsystem_vendor", (sub or vendor) + "\n")
    write(root, f"{base}/class", cls + "\n")


def nic(root: Path, name: str, mac: str) -> None:
    write(root, f"sys/class/net/{name}/address", mac + "\n")


def huawei_host(root: Path) -> None:
    """A Huawei TaiShan-like server with a Hygon CPU line, Inspur RAID, openEuler, WPS and Kaspersky."""
    write(root, "etc/hostname", "taishan-01\n")
    write(
        root,
        "etc/os-release",
        'NAME="openEuler"\nVERSION="22.03 (LTS-SP3)"\nID="openEuler"\n'
        'VERSION_ID="22.03"\nPRETTY_NAME="openEuler 22.03 (LTS-SP3)"\n',
    )
    write(root, "sys/class/dmi/id/sys_vendor", "Huawei\n")
    write(root, "sys/class/dmi/id/product_name", "TaiShan 200 (Model 2280)\n")
    write(root, "sys/class/dmi/id/board_vendor", "To be filled by O.E.M.\n")
    write(
        root,
        "proc/cpuinfo",
        "processor\t: 0\nvendor_id\t: HygonGenuine\ncpu family\t: 24\n"
        "model name\t: Hygon C86 7285 32-core Processor\n\nprocessor\t: 1\nvendor_id\t: HygonGenuine\n",
    )
    pci(root, "0000:00:00.0", "0x1d94", "0x1450", cls="0x060000")
    pci(root, "0000:3b:00.0", "0x19E5", "0x1822")  # upper-case hex as some tools write it
    pci(root, "0000:5e:00.0", "0x1000", "0x0097", sub="0x1bd4")  # LSI chip on an Inspur-branded card
    nic(root, "enp59s0", "e0:06:30:12:34:56")  # Huawei OUI
    nic(root, "bond0", "02:11:22:33:44:55")  # locally administered
    nic(root, "lo", "00:00:00:00:00:00")
    write(
        root,
        "var/lib/dpkg/status",
        "Package: wps-office\nStatus: install ok installed\nVersion: 11.1.0.11720\n\n"
        "Package: kesl\nStatus: install ok installed\nVersion: 12.0.0.6672\n\n"
        "Package: deepin-terminal\nStatus: deinstall ok config-files\nVersion: 5.0\n\n"
        "Package: bash\nStatus: install ok installed\nVersion: 5.2\n",
    )


def dell_host(root: Path) -> None:
    """A Dell PowerEdge with Intel CPU, Intel X710 and Mellanox ConnectX-5, Ubuntu."""
    write(root, "etc/hostname", "r750-01\n")
    write(
        root,
        "etc/os-release",
        'NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="22.04"\nPRETTY_NAME="Ubuntu 22.04.4 LTS"\n',
    )
    write(root, "sys/class/dmi/id/sys_vendor", "Dell Inc.\n")
    write(root, "sys/class/dmi/id/product_name", "PowerEdge R750\n")
    write(
        root,
        "proc/cpuinfo",
        "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz\n",
    )
    pci(root, "0000:00:00.0", "0x8086", "0x09a2", cls="0x060000")
    pci(root, "0000:31:00.0", "0x8086", "0x1572")
    pci(root, "0000:4b:00.0", "0x15b3", "0x1017")
    nic(root, "eno1", "3c:fd:fe:aa:bb:cc")  # Intel OUI
