from __future__ import annotations

from pathlib import Path

from tests.equipment.fakes import dell_host, huawei_host, write
from tierguard.equipment import DMI_ABSENT, EquipmentCatalog, assess_local


def by_bus(out, bus):  # type: ignore[no-untyped-def]
    return [a for a in out.assets if a.details.bus == bus]


def test_huawei_host_probe(tmp_path: Path, catalog: EquipmentCatalog) -> None:
    huawei_host(tmp_path)
    out = assess_local(tmp_path, catalog=catalog)
    assert [h.host for h in out.hosts] == ["taishan-01"]
    producers = {a.name: a.provenance.producers[0].id for a in out.assets if a.provenance.producers}
    os_asset = next(a for a in out.assets if a.kind == "operating-system")
    assert os_asset.provenance.producers[0].id == "huawei" and os_asset.details.ids["os_id"] == "openEuler"
    assert os_asset.evidence[0].location.path == "/etc/os-release" and os_asset.evidence[0].location.line == 3
    cpu = by_bus(out, "cpu")[0]
    assert cpu.provenance.producers[0].id == "hygon" and cpu.evidence[0].location.line == 2
    pcis = {a.details.ids["vendor_id"]: a for a in by_bus(out, "pci")}
    assert pcis["19e5"].provenance.producers[0].id == "huawei"  # upper-case hex normalised
    assert pcis["1d94"].provenance.producers[0].id == "hygon"
    # the LSI (Broadcom) chip on an Inspur card: identified through subsystem_vendor
    assert pcis["1000"].provenance.producers[0].id == "inspur"
    assert pcis["1000"].details.ids["identified_by"] == "subsystem_vendor"
    assert pcis["19e5"].evidence[0].location.path == "/sys/bus/pci/devices/0000:3b:00.0/vendor"
    dmi = by_bus(out, "dmi")[0]
    assert dmi.provenance.producers[0].id == "huawei" and "dmi_board_vendor" not in dmi.details.ids  # filler
    nics = by_bus(out, "nic")
    assert [a.details.ids["mac"] for a in nics] == ["e0:06:30:12:34:56"]  # bond0 (local) and lo skipped
    assert nics[0].provenance.producers[0].id == "huawei"
    pkgs = {
        a.details.ids["package"]: a.provenance.producers[0].id
        for a in out.assets
        if a.kind == "system-software"
    }
    assert pkgs == {"wps-office": "kingsoft", "kesl": "kaspersky"}  # deepin-terminal is not installed
    assert all(a.parent == "taishan-01" for a in out.assets)
    hv = out.hosts[0]
    assert hv.verdict == "prc-components-found"
    assert out.summary.hosts_with_prc == 1 and out.summary.share_with_prc == 1.0
    assert {"huawei", "hygon", "inspur", "kingsoft"} <= set(out.summary.prc_producers)
    assert "kaspersky" not in out.summary.prc_producers  # RU, not PRC: the policy pack decides on it
    assert any("locally-administered" in n for n in hv.notes)
    assert producers  # every identified asset carries a producer ref


def test_dell_control_host(tmp_path: Path, catalog: EquipmentCatalog) -> None:
    dell_host(tmp_path)
    out = assess_local(tmp_path, catalog=catalog)
    assert out.hosts[0].verdict == "no-prc-identified"
    assert out.summary.hosts_with_prc == 0
    ids = {a.provenance.producers[0].id for a in out.assets if a.provenance.producers}
    assert ids == {"canonical", "dell", "intel", "nvidia"}
    assert all(a.details.prc == "no" for a in out.assets)


def test_dmi_absent_is_reported(tmp_path: Path, catalog: EquipmentCatalog) -> None:
    write(tmp_path, "etc/os-release", 'ID=debian\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')
    write(tmp_path, "proc/cpuinfo", "vendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\n")
    out = assess_local(tmp_path, catalog=catalog)
    assert DMI_ABSENT in out.hosts[0].notes
    assert out.hosts[0].os == "Debian GNU/Linux 12 (bookworm)"


def test_arm64_kunpeng_and_broken_files(tmp_path: Path, catalog: EquipmentCatalog) -> None:
    write(
        tmp_path,
        "proc/cpuinfo",
        "processor\t: 0\nBogoMIPS\t: 200.00\nCPU implementer\t: 0x48\n"
        "CPU architecture: 8\nCPU part\t: 0xd01\n",
    )
    write(tmp_path, "sys/bus/pci/devices/0000:00:00.0/vendor", "garbage\n")
    write(tmp_path, "sys/block/nvme0n1/device/model", "ZHITAI TiPlus5000 1TB\n")
    out = assess_local(tmp_path, catalog=catalog)
    cpu = by_bus(out, "cpu")[0]
    assert cpu.provenance.producers[0].id == "huawei"
    assert by_bus(out, "block")[0].provenance.producers[0].id == "ymtc"
    assert out.summary.unusable_by_reason == {"malformed": 1}
    assert out.skipped[0].path == "/sys/bus/pci/devices/0000:00:00.0/vendor"


def test_rpm_query_file(tmp_path: Path, catalog: EquipmentCatalog) -> None:
    write(tmp_path, "var/lib/rpm/rpmdb.sqlite", "x")
    out = assess_local(tmp_path, catalog=catalog)
    assert any("rpm database not read" in n for n in out.hosts[0].notes)
    q = tmp_path / "rpm-qa.txt"
    q.write_text("bash 5.1.8-6.el9\nopengauss-server 5.0.1-1.oe2203\n", encoding="utf-8")
    out = assess_local(tmp_path, catalog=catalog, rpm_query=q)
    sw = [a for a in out.assets if a.kind == "system-software"]
    assert [(a.details.ids["package"], a.provenance.producers[0].id) for a in sw] == [
        ("opengauss-server", "huawei")
    ]
    assert sw[0].evidence[0].location.line == 2


def edid_block(code: str, product: int) -> bytes:
    v = 0
    for ch in code:
        v = (v << 5) | (ord(ch) - ord("A") + 1)
    return (
        b"\x00\xff\xff\xff\xff\xff\xff\x00"
        + bytes([v >> 8, v & 0xFF, product & 0xFF, product >> 8])
        + bytes(116)
    )


def test_edid_monitor(tmp_path: Path, catalog: EquipmentCatalog) -> None:
    d = tmp_path / "sys/class/drm/card0-DP-1"
    d.mkdir(parents=True)
    (d / "edid").write_bytes(edid_block("HWV", 0x3412))
    e = tmp_path / "sys/class/drm/card0-HDMI-A-1"
    e.mkdir(parents=True)
    (e / "edid").write_bytes(edid_block("DEL", 0xA0C1))
    out = assess_local(tmp_path, catalog=catalog)
    disp = {a.details.ids["connector"]: a.provenance.producers[0].id for a in by_bus(out, "edid")}
    assert disp == {"card0-DP-1": "huawei", "card0-HDMI-A-1": "dell"}
    hw = next(a for a in by_bus(out, "edid") if a.details.ids["vendor_id"] == "HWV")
    assert hw.details.ids["device_id"] == "3412"
