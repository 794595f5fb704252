"""MDM CSV exports: Intune (raw, aggregate, all-apps list), Jamf Pro (computers, mobile devices), Google /
Android Enterprise, a column mapping; bad input (missing columns, missing values, conflicting devices,
encodings, malformed rows) as errors or counted skips."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.apps.conftest import EXAMPLES
from tierguard.apps import AppCatalog, AppOptions, read_apps
from tierguard.errors import TargetError

INTUNE = (
    "ApplicationKey,ApplicationName,ApplicationPublisher,ApplicationShortVersion,ApplicationVersion,DeviceId,"
    "DeviceName,OSDescription,OSVersion,Platform,UserId,EmailAddress,UserName\n"
)


def _csv(tmp_path: Path, text: str, name: str = "export.csv", encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_sample_intune_export(catalog: AppCatalog) -> None:
    out = read_apps(EXAMPLES / "mdm" / "intune-discovered-apps.csv", catalog=catalog)
    assert out.format == "intune-discovered-apps"
    assert (out.devices, out.rows) == (3, 4)
    got = sorted(
        (a.name, u.host, u.user, u.as_written, u.location.line) for a in out.assets for u in a.usages
    )
    assert got == [
        ("ChatGPT (app)", "AGY-IPHONE15-044", "tnguyen@agency.example.gov", "ChatGPT", 4),
        ("DeepSeek (app)", "AGY-PIXEL8-017", "mrivera@agency.example.gov", "DeepSeek", 2),
    ]
    ds = next(a for a in out.assets if a.name == "DeepSeek (app)")
    assert ds.evidence[0].attributes["platform"] == "android"
    assert ds.evidence[0].attributes["source"] == "Intune discovered apps"
    assert not out.skipped


def test_sample_jamf_mobile_export_reports_a_non_ai_app(catalog: AppCatalog) -> None:
    p = EXAMPLES / "mdm" / "jamf-mobile-devices.csv"
    out = read_apps(p, catalog=catalog)
    assert [(a.name, a.usages[0].host, a.usages[0].user) for a in out.assets] == [
        ("RedNote (Xiaohongshu) (app)", "AGY-IPAD-009", "alee@agency.example.gov")
    ]
    assert out.assets[0].evidence[0].attributes["ai"] == "false"
    assert not read_apps(p, catalog=catalog, options=AppOptions(include_non_ai=False)).assets


def test_android_package_in_the_name_column(tmp_path: Path, catalog: AppCatalog) -> None:
    text = INTUNE + "k,com.deepseek.chat,,1,1,d1,PHONE-1,Android 15,15,Android,u,a@x.gov,A\n"
    (ds,) = read_apps(_csv(tmp_path, text), catalog=catalog).assets
    assert ds.usages[0].as_written == "com.deepseek.chat"
    assert ds.evidence[0].attributes["matched_by"] == "android-package"


def test_missing_required_column_is_a_target_error(tmp_path: Path, catalog: AppCatalog) -> None:
    p = _csv(
        tmp_path,
        "ApplicationKey,ApplicationName,ApplicationPublisher,Platform,UserName\nk,DeepSeek,,Android,a\n",
    )
    with pytest.raises(
        TargetError, match=r"Intune discovered apps export without the column\(s\) devicename or devicecount"
    ):
        read_apps(p, catalog=catalog)
    p = _csv(tmp_path, "Username,Application Title,Application Version\nalee,Kimi,2.1\n")
    with pytest.raises(
        TargetError, match="Jamf Pro computer inventory export without the column.*computername"
    ):
        read_apps(p, catalog=catalog)


def test_bad_rows_are_counted_skips(tmp_path: Path, catalog: AppCatalog) -> None:
    text = (
        INTUNE
        + "k,DeepSeek,,1,1,d1,PHONE-1,Android 15,15,Android,u1,a@x.gov,A\n"
        + "k,DeepSeek,,1,1,d9,,Android 15,15,Android,u1,z@x.gov,Z\n"  # no device
        + "k,,,1,1,d2,PHONE-2,Android 15,15,Android,u2,b@x.gov,B\n"  # no app
        + "k,DeepSeek,,1,1,d1,PHONE-1,Android 15,15,Android,u3,c@x.gov,C\n"  # same device, other user
        + '"unterminated,DeepSeek\n'
    )
    out = read_apps(_csv(tmp_path, text), catalog=catalog)
    skips = [(s.path, s.reason) for s in out.skipped]
    assert skips[:3] == [
        ("export.csv:3", "missing-value"),
        ("export.csv:4", "missing-value"),
        ("export.csv:5", "conflicting-row"),
    ]
    assert "kept 'a@x.gov'" in out.skipped[2].detail
    (ds,) = out.assets
    assert [(u.host, u.user, u.count) for u in ds.usages] == [("PHONE-1", "a@x.gov", 2)]


def test_duplicate_rows_fold_into_one_usage(tmp_path: Path, catalog: AppCatalog) -> None:
    row = "k,DeepSeek,,1,1,d1,PHONE-1,Android 15,15,Android,u1,a@x.gov,A\n"
    out = read_apps(_csv(tmp_path, INTUNE + row * 5), catalog=catalog)
    (ds,) = out.assets
    assert len(ds.usages) == 1 and ds.usages[0].count == 5 and len(ds.evidence) == 1
    assert out.rows == 5 and not out.skipped


def test_intune_aggregate_and_all_apps_list(tmp_path: Path, catalog: AppCatalog) -> None:
    agg = "ApplicationKey,ApplicationName,ApplicationPublisher,ApplicationShortVersion,ApplicationVersion,"
    agg += "DeviceCount\n"
    agg += "k,DeepSeek,,1,1,17\nk,Notepad++,Don Ho,8,8,40\n"
    (ds,) = read_apps(_csv(tmp_path, agg), catalog=catalog).assets
    assert [(u.host, u.count) for u in ds.usages] == [(None, 17)]
    apps = "AppIdentifier,Name,Publisher,Platform,Status,Type,Assigned\n"
    apps += "com.moonshot.kimichat,Kimi,Moonshot,Android,Published,Managed Google Play,True\n"
    out = read_apps(_csv(tmp_path, apps, "all.csv"), catalog=catalog)
    assert out.format == "intune-all-apps"
    assert [(a.name, a.usages[0].host, a.usages[0].as_written) for a in out.assets] == [
        ("Kimi (app)", None, "com.moonshot.kimichat")
    ]


def test_jamf_computers_and_google(tmp_path: Path, catalog: AppCatalog) -> None:
    jamf = (
        "Computer Name,Serial Number,Username,Application Title,Application Version,Application Bundle ID\n"
    )
    jamf += "MBP-01,C02X,kchen,Kimi.app,2.1.4,com.moonshot.kimichat\n"
    jamf += "MBP-01,C02X,kchen,Safari.app,18,com.apple.Safari\n"
    out = read_apps(_csv(tmp_path, jamf), catalog=catalog)
    assert out.format == "jamf-computers"
    assert [(a.name, a.usages[0].host, a.usages[0].user) for a in out.assets] == [
        ("Kimi (app)", "MBP-01", "kchen")
    ]
    g = "Device name,User email,App name,Package name,Version name\nPIXEL-3,b@x.gov,Doubao,com.larus.nova,9\n"
    out = read_apps(_csv(tmp_path, g, "g.csv"), catalog=catalog)
    assert out.format == "google-managed-apps"
    assert [(a.name, a.usages[0].as_written) for a in out.assets] == [("Doubao (app)", "com.larus.nova")]


def test_column_mapping(tmp_path: Path, catalog: AppCatalog) -> None:
    text = "host;owner;software;vendor\nWS-7;pat;DeepSeek;DeepSeek\nWS-8;sam;Word;Microsoft\n"
    p = _csv(tmp_path, text, "cmdb.csv")
    with pytest.raises(TargetError, match="not an app inventory"):
        read_apps(p, catalog=catalog)
    cols = {"device": "host", "user": "owner", "app": "software", "publisher": "vendor"}
    out = read_apps(p, catalog=catalog, options=AppOptions(columns=cols))
    assert [(a.name, a.usages[0].host, a.usages[0].user) for a in out.assets] == [
        ("DeepSeek (app)", "WS-7", "pat")
    ]
    with pytest.raises(TargetError, match=r"without the column\(s\) hostname"):
        read_apps(p, catalog=catalog, options=AppOptions(columns={"device": "HostName", "app": "software"}))
    with pytest.raises(TargetError, match="unknown field"):
        read_apps(
            p, catalog=catalog, options=AppOptions(columns={"device": "host", "application": "software"})
        )


def test_encodings(tmp_path: Path, catalog: AppCatalog) -> None:
    row = "k,豆包,,1,1,d1,PC-1,Windows,10,Windows,u,a@x.gov,A\n"
    for enc, name in (("utf-8-sig", "bom.csv"), ("utf-16", "u16.csv")):
        out = read_apps(_csv(tmp_path, INTUNE + row, name, enc), catalog=catalog)
        assert [a.name for a in out.assets] == ["Doubao (app)"], enc
    mixed = (INTUNE + row).encode() + "k,Caf\u00e9 Tool,,1,1,d2,PC-2,Windows,10,Windows,u,b@x.gov,B\n".encode(
        "cp1252"
    )
    p = tmp_path / "mixed.csv"
    p.write_bytes(mixed)
    out = read_apps(p, catalog=catalog)
    assert [a.name for a in out.assets] == ["Doubao (app)"] and out.devices == 2
    assert any("Windows-1252 (lines 3)" in n for n in out.notes)


def test_long_and_malformed_csv_lines(tmp_path: Path, catalog: AppCatalog) -> None:
    text = (
        INTUNE
        + "k,"
        + "x" * 5000
        + ",,1,1,d,PC-1,W,1,Windows,u,a,A\n"
        + "k,DeepSeek,,1,1,d,PC-2,W,1,Windows,u,b,B\n"
    )
    out = read_apps(_csv(tmp_path, text), catalog=catalog, options=AppOptions(max_line_bytes=1000))
    assert [(s.path, s.reason) for s in out.skipped] == [("export.csv:2", "line-too-long")]
    assert [a.usages[0].host for a in out.assets] == ["PC-2"]
