from __future__ import annotations

import pytest

from tierguard.equipment import EquipmentCatalog, EquipmentOptions, Identifier
from tierguard.equipment.catalog import norm_hex
from tierguard.equipment.identify import is_filler, mac_skip_reason, normalise_mac


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("0x19E5", "19e5"),
        ("19e5", "19e5"),
        ("0X1BD4", "1bd4"),
        ("14", "0014"),
        (" 0x8086\n", "8086"),
        ("zz", ""),
    ],
)
def test_norm_hex(raw: str, want: str) -> None:
    assert norm_hex(raw) == want


@pytest.mark.parametrize(
    ("method", "args", "producer", "jur", "prc"),
    [
        ("pci", ("0x19E5",), "huawei", "CN", "yes"),
        ("pci", ("1bd4",), "inspur", "CN", "yes"),
        ("pci", ("0x8086",), "intel", "US", "no"),
        ("pci", ("15B3",), "nvidia", "US", "no"),
        ("usb", ("12d1",), "huawei", "CN", "yes"),
        ("usb", ("2C7C",), "quectel", "CN", "yes"),
        ("edid", ("hwv",), "huawei", "CN", "yes"),
        ("dmi", ("Huawei Corp.",), "huawei", "CN", "yes"),
        ("dmi", ("Inspur",), "inspur", "CN", "yes"),
        ("dmi", ("PHYTIUM LTD",), "phytium", "CN", "yes"),
        ("dmi", ("Dell Inc.",), "dell", "US", "no"),
        ("cpu", ("HygonGenuine",), "hygon", "CN", "yes"),
        ("cpu", ("  Shanghai  ",), "zhaoxin", "CN", "yes"),
        ("cpu", ("GenuineIntel",), "intel", "US", "no"),
        ("os", ("openEuler",), "huawei", "CN", "yes"),
        ("os", ('"kylin"',), "kylinsoft", "CN", "yes"),
        ("os", ("ubuntu",), "canonical", "GB", "no"),
        ("snmp", (".1.3.6.1.4.1.2011.2.23.96",), "huawei", "CN", "yes"),
        ("snmp", ("1.3.6.1.4.1.39165.1.1",), "hikvision", "CN", "yes"),
        ("snmp", (".1.3.6.1.4.1.9.1.2494",), "cisco", "US", "no"),
        ("snmp", (".1.3.6.1.4.1.37496.1",), "dahua", "CN", "yes"),
        ("snmp", (".1.3.6.1.4.1.11863.1.1.3",), "tp-link-systems", "US", "no"),
        ("dmi", ("ChangXin Memory Technologies",), "cxmt", "CN", "yes"),
        ("usb", ("17ef",), "lenovo", "HK", "yes"),
        ("package", ("wps-office",), "kingsoft", "CN", "yes"),
        ("package", ("kesl",), "kaspersky", "RU", "no"),
    ],
)
def test_identifier_table(
    catalog: EquipmentCatalog, method: str, args: tuple[str, ...], producer: str, jur: str, prc: str
) -> None:
    m = getattr(Identifier(catalog), method)(*args)
    assert m is not None, (method, args)
    assert (m.producer, m.jurisdiction, m.prc) == (producer, jur, prc)
    assert m.source in catalog.sources


def test_unknown_ids_are_not_identified(catalog: EquipmentCatalog) -> None:
    ident = Identifier(catalog)
    assert ident.pci("0xabcd") is None
    assert ident.usb("ffff") is None
    assert ident.os("plan9") is None
    assert ident.dmi("To be filled by O.E.M.") is None
    assert ident.snmp(".1.3.6.1.2.1.1") is None


def test_centaurhauls_needs_zhaoxin_model(catalog: EquipmentCatalog) -> None:
    ident = Identifier(catalog)
    assert ident.cpu("CentaurHauls", "VIA Nano") is None
    m = ident.cpu("CentaurHauls", "ZHAOXIN KaiXian KX-6640MA@2.2+GHz")
    assert m is not None and m.producer == "zhaoxin"


def test_arm64_implementer(catalog: EquipmentCatalog) -> None:
    m = Identifier(catalog).cpu("", "", "0x48")
    assert m is not None and m.producer == "huawei"


def test_mac_curated_then_country_fallback(catalog: EquipmentCatalog) -> None:
    ident = Identifier(catalog)
    m = ident.mac("e0:06:30:12:34:56")
    assert m is not None and m.producer == "huawei" and m.confidence >= 0.8 and m.prc == "yes"
    # 00:0C:29 is VMware (US address): not in the curated table -> registry country, low confidence
    fb = ident.mac("00:0c:29:11:22:33")
    assert (
        fb is not None and fb.producer.startswith("oui:") and fb.confidence < 0.5 and fb.jurisdiction == "US"
    )
    off = Identifier(catalog, EquipmentOptions(oui_country_fallback=False))
    assert off.mac("00:0c:29:11:22:33") is None


def test_hikvision_oui(catalog: EquipmentCatalog) -> None:
    prefixes = [p for p, r in catalog.oui.records().items() if "hikvision" in r.org.lower()]
    assert prefixes
    mac = ":".join([prefixes[0][i : i + 2] for i in (0, 2, 4)] + ["01", "02", "03"]).lower()
    m = Identifier(catalog).mac(mac)
    assert m is not None and m.producer == "hikvision"


@pytest.mark.parametrize(
    ("raw", "mac", "skip"),
    [
        ("E0-06-30-12-34-56", "e0:06:30:12:34:56", ""),
        ("e006.3012.3456", "e0:06:30:12:34:56", ""),
        ("02:11:22:33:44:55", "02:11:22:33:44:55", "locally-administered"),
        ("00:00:00:00:00:00", "00:00:00:00:00:00", "zero-or-broadcast"),
        ("01:00:5e:00:00:01", "01:00:5e:00:00:01", "multicast"),
        ("not-a-mac", "", ""),
    ],
)
def test_mac_normalisation(raw: str, mac: str, skip: str) -> None:
    assert normalise_mac(raw) == mac
    if mac:
        assert mac_skip_reason(mac) == skip


def test_policy_settings_for_ambiguous_vendors(catalog: EquipmentCatalog) -> None:
    default = Identifier(catalog)
    assert default.pci("17aa").prc == "yes"  # type: ignore[union-attr]
    assert Identifier(catalog, EquipmentOptions(lenovo_as_prc=False)).pci("17aa").prc == "no"  # type: ignore[union-attr]
    assert Identifier(catalog, EquipmentOptions(tplink_as_prc=False)).usb("2357").prc == "no"  # type: ignore[union-attr]
    assert default.prc_status("x", "HK") == "yes"
    assert Identifier(catalog, EquipmentOptions(hk_as_cn=False)).prc_status("x", "HK") == "ambiguous"
    oid = ".1.3.6.1.4.1.25506.11.1.239"
    amb = default.snmp(oid, "Comware Platform Software")
    assert amb is not None and amb.prc == "ambiguous" and amb.producer == "h3c"
    forced = Identifier(catalog, EquipmentOptions(enterprise_25506_as_h3c=True)).snmp(oid, "Comware")
    assert forced is not None and forced.prc == "yes"
    h3c = default.snmp(oid, "H3C Comware Platform Software, Software Version 7.1.064")
    assert h3c is not None and h3c.prc == "yes" and h3c.producer == "h3c"
    hpe = default.snmp(oid, "HPE Comware Platform Software, HPE 5940 Switch")
    assert hpe is not None and hpe.producer == "hpe" and hpe.prc == "no"


def test_filler() -> None:
    assert is_filler("To be filled by O.E.M.")
    assert is_filler("Default string")
    assert not is_filler("Inspur")


def test_catalog_entries_have_sources(catalog: EquipmentCatalog) -> None:
    for table in (catalog.pci, catalog.usb, catalog.edid, catalog.os_ids, catalog.snmp):
        for e in table.values():
            assert e.source in catalog.sources and e.producer in catalog.producers
    assert catalog.pci["19e5"].producer == "huawei"
    assert catalog.snmp[2011].producer == "huawei"
