"""osquery app tables: the sample fleet log, every app table, the three log formats and osqueryi arrays,
and bad input (long lines, nested JSON, truncated compression, missing hosts) as counted skips."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest

from tests.apps.conftest import EXAMPLES, PROGRAM_CHROME, PROGRAM_DEEPSEEK, osquery_line, write_lines, zst
from tierguard.apps import AppCatalog, AppOptions, read_apps
from tierguard.apps.osquery import infer_table, iso_time, user_from_path
from tierguard.errors import TargetError


def _usages(out):  # type: ignore[no-untyped-def]
    return sorted(
        (a.name, u.host, u.user, u.as_written, u.count, u.first_seen, u.last_seen, u.location.line)
        for a in out.assets
        for u in a.usages
    )


def test_sample_fleet_log(catalog: AppCatalog) -> None:
    out = read_apps(EXAMPLES / "osquery" / "fleet-apps.log", catalog=catalog)
    assert out.format == "osquery-results"
    assert out.devices == 2
    assert _usages(out) == [
        (
            "ChatGPT (app)",
            "LAPTOP-W1042",
            "jdoe",
            "ChatGPT",
            2,
            "2025-12-01T08:00:00Z",
            "2025-12-02T08:00:00Z",
            1,
        ),
        (
            "Claude (app)",
            "MBP-KCHEN",
            "kchen",
            "com.anthropic.claudefordesktop",
            2,
            "2025-12-01T08:01:00Z",
            "2025-12-02T08:01:00Z",
            2,
        ),
        (
            "DeepSeek (app)",
            "LAPTOP-W1042",
            "jdoe",
            "DeepSeek",
            2,
            "2025-12-01T08:00:00Z",
            "2025-12-02T08:00:00Z",
            1,
        ),
        (
            "Kimi (app)",
            "MBP-KCHEN",
            "kchen",
            "com.moonshot.kimichat",
            2,
            "2025-12-01T08:01:00Z",
            "2025-12-02T08:01:00Z",
            2,
        ),
        (
            "Kimi (app)",
            "MBP-KCHEN",
            "kchen",
            "fldmhceldgbpfpkbgopacenieobmligc",
            3,
            "2025-12-01T08:02:00Z",
            "2025-12-04T08:00:00Z",
            3,
        ),
    ]
    ds = next(a for a in out.assets if a.name == "DeepSeek (app)")
    assert ds.kind == "ai-app" and ds.use_mode == "consumer-app"
    assert [p.id for p in ds.provenance.producers] == ["deepseek"]
    assert ds.provenance.service_jurisdiction == "CN"
    u = ds.usages[0]
    assert (u.use_mode, u.strength, u.service, u.operator) == (
        "consumer-app",
        "A",
        "DeepSeek app and web chat",
        "deepseek",
    )
    assert u.location.path == "fleet-apps.log" and u.excerpt.startswith("programs: name=DeepSeek")
    assert any("pci_devices: 1" in n for n in out.notes)  # the equipment row is counted, not dropped
    assert not out.skipped


def _log(tmp_path: Path, lines: list[str], compress: str = "") -> Path:
    return write_lines(
        tmp_path / ("r.log" + {"gzip": ".gz", "zstd": ".zst"}.get(compress, "")), lines, compress
    )


@pytest.mark.parametrize("compress", ["", "gzip", "zstd"])
def test_compressed_logs(tmp_path: Path, catalog: AppCatalog, compress: str) -> None:
    p = _log(tmp_path, [osquery_line("w1", "programs", [PROGRAM_DEEPSEEK, PROGRAM_CHROME])], compress)
    out = read_apps(p, catalog=catalog)
    assert [(a.name, a.usages[0].host) for a in out.assets] == [("DeepSeek (app)", "w1")]
    assert out.rows == 2 and not out.skipped


def test_batch_and_event_formats(tmp_path: Path, catalog: AppCatalog) -> None:
    app = {"name": "Kimi.app", "path": "/Applications/Kimi.app", "bundle_identifier": "com.moonshot.kimichat"}
    lines = [
        json.dumps(
            {
                "name": "apps",
                "hostIdentifier": "m1",
                "unixTime": 100,
                "diffResults": {"added": [app], "removed": []},
            }
        ),
        json.dumps(
            {"name": "apps", "hostIdentifier": "m1", "unixTime": 200, "columns": app, "action": "added"}
        ),
        json.dumps(
            {"name": "apps", "hostIdentifier": "m1", "unixTime": 300, "columns": app, "action": "removed"}
        ),
        json.dumps({"name": "apps", "hostIdentifier": "m2", "diffResults": {"added": [], "removed": [app]}}),
    ]
    out = read_apps(_log(tmp_path, lines), catalog=catalog)
    (kimi,) = out.assets
    (u,) = kimi.usages
    assert (u.host, u.count, u.first_seen, u.last_seen) == (
        "m1",
        2,
        "1970-01-01T00:01:40Z",
        "1970-01-01T00:03:20Z",
    )
    assert out.devices == 2 and out.extra["rows-removed"] == 2


def test_every_app_table(tmp_path: Path, catalog: AppCatalog) -> None:
    rows = {
        "firefox_addons": [
            {
                "uid": "1000",
                "name": "X",
                "identifier": "x@example.org",
                "creator": "",
                "visible": "1",
                "path": "/home/ann/.mozilla/firefox/a.default/extensions/x@example.org.xpi",
            }
        ],
        "chrome_extensions": [
            {
                "browser_type": "edge",
                "uid": "1000",
                "name": "Kimi WebBridge",
                "identifier": "bnlffdbcfnanfbknnlaflhlhkocccckg",
                "profile_path": "C:\\Users\\ann\\AppData\\Local\\Microsoft\\Edge\\User Data\\Default",
                "path": "",
            }
        ],
        "vscode_extensions": [
            {
                "name": "codegeex",
                "uuid": "u",
                "version": "2.1",
                "path": "/home/ann/.vscode/extensions/aminer.codegeex-2.1.0",
                "publisher": "aminer",
                "publisher_id": "p",
                "uid": "1000",
                "vscode_edition": "vscode",
            }
        ],
        "npm_packages": [
            {
                "name": "@qwen-code/qwen-code",
                "version": "0.1",
                "description": "",
                "author": "",
                "license": "",
                "homepage": "",
                "path": "/usr/lib/node_modules/@qwen-code/qwen-code",
                "directory": "/usr/lib",
                "depth": "0",
            }
        ],
        "python_packages": [
            {
                "name": "requests",
                "version": "2",
                "summary": "",
                "author": "",
                "license": "Apache",
                "path": "/usr/lib/python3/dist-packages",
            }
        ],
        "safari_extensions": [
            {
                "name": "Y",
                "identifier": "com.example.y",
                "version": "1",
                "sdk": "6.0",
                "path": "/Users/bo/Library/Safari/Extensions/y.safariextz",
            }
        ],
        "homebrew_packages": [
            {
                "name": "wget",
                "path": "/opt/homebrew/Cellar/wget/1.24",
                "version": "1.24",
                "prefix": "/opt/homebrew",
            }
        ],
        "deb_packages": [
            {
                "name": "bash",
                "version": "5.2",
                "source": "",
                "size": "1",
                "arch": "amd64",
                "revision": "1",
                "status": "install ok installed",
                "maintainer": "Debian",
                "section": "shells",
                "priority": "required",
            }
        ],
        "rpm_packages": [
            {
                "name": "bash",
                "version": "5.2",
                "release": "1",
                "source": "",
                "size": "1",
                "sha1": "",
                "arch": "x86_64",
                "epoch": "",
                "install_time": "1",
                "vendor": "Red Hat",
                "package_group": "System",
            }
        ],
    }
    for table, rs in rows.items():
        assert infer_table("q", rs[0]) == table, table
    lines = [osquery_line("h", f"pack_{t}", rs) for t, rs in rows.items()]
    out = read_apps(_log(tmp_path, lines), catalog=catalog)
    got = sorted((a.name, u.as_written, u.user) for a in out.assets for u in a.usages)
    assert got == [
        ("Kimi (app)", "bnlffdbcfnanfbknnlaflhlhkocccckg", "ann"),
        ("Qwen (Tongyi) (app)", "@qwen-code/qwen-code", None),
        ("Zhipu Qingyan (ChatGLM) (app)", "aminer.codegeex", "ann"),
    ]
    assert sum(v for k, v in out.extra.items() if k.startswith("rows:")) == len(rows)
    assert not out.notes and not out.skipped


def test_osqueryi_json_array(tmp_path: Path, catalog: AppCatalog) -> None:
    p = tmp_path / "LAPTOP-7.json"
    p.write_text(json.dumps([PROGRAM_CHROME, PROGRAM_DEEPSEEK]))
    out = read_apps(p, catalog=catalog)
    assert out.format == "osquery-json"
    assert [(a.name, a.usages[0].host, a.usages[0].location.line) for a in out.assets] == [
        ("DeepSeek (app)", "LAPTOP-7", 2)
    ]
    out = read_apps(p, catalog=catalog, options=AppOptions(host="desk-9"))
    assert out.assets[0].usages[0].host == "desk-9"
    p.write_text(json.dumps([PROGRAM_DEEPSEEK]) + " " * 100)
    out = read_apps(p, catalog=catalog, options=AppOptions(max_json_bytes=50))
    assert not out.assets and [s.reason for s in out.skipped] == ["too-large"]


def test_bad_lines_are_counted_skips(tmp_path: Path, catalog: AppCatalog) -> None:
    good = osquery_line("w1", "programs", [PROGRAM_DEEPSEEK])
    nested = osquery_line("w2", "programs", [{"name": "DeepSeek", "publisher": {"a": [[[1]]]}}])
    lines = [
        good,
        "{not json",
        '{"name": "programs", "snapshot": []}',  # no hostIdentifier
        nested,
        '{"hostIdentifier": "w3", "name": "x"}',  # no rows at all
        "x" * 2000,
        osquery_line("w1", "programs", [PROGRAM_DEEPSEEK], t=1764662400),
    ]
    p = _log(tmp_path, lines)
    p.write_bytes(p.read_bytes() + b'{"hostIdentifier": "w4", "snapshot": [{"name": "\xff\xfe"}]}\n')
    out = read_apps(p, catalog=catalog, options=AppOptions(max_line_bytes=1000))
    reasons = [(s.path, s.reason) for s in out.skipped]
    assert reasons == [
        ("r.log:2", "malformed-json"),
        ("r.log:3", "missing-host"),
        ("r.log:4", "malformed-json"),
        ("r.log:5", "malformed-json"),
        ("r.log:6", "line-too-long"),
        ("r.log:8", "malformed-json"),
    ]
    (ds,) = out.assets
    assert ds.usages[0].count == 2 and ds.usages[0].last_seen == "2025-12-02T08:00:00Z"


def test_lines_over_one_megabyte_by_default(tmp_path: Path, catalog: AppCatalog) -> None:
    huge = osquery_line("w9", "programs", [{**PROGRAM_CHROME, "name": "x" * (1 << 20)}])
    out = read_apps(
        _log(tmp_path, [huge, osquery_line("w1", "programs", [PROGRAM_DEEPSEEK])]), catalog=catalog
    )
    assert [(s.path, s.reason) for s in out.skipped] == [("r.log:1", "line-too-long")]
    assert [a.name for a in out.assets] == ["DeepSeek (app)"]


@pytest.mark.parametrize("compress", ["gzip", "zstd"])
def test_truncated_compressed_log(tmp_path: Path, catalog: AppCatalog, compress: str) -> None:
    # distinct hosts and versions, so the compressed stream has many blocks and a cut lands inside one
    lines = [
        osquery_line(
            f"w{i}-{hashlib.sha256(str(i).encode()).hexdigest()}",
            "programs",
            [{**PROGRAM_DEEPSEEK, "version": hashlib.md5(str(i).encode()).hexdigest()}, PROGRAM_CHROME],
        )
        for i in range(3000)
    ]
    p = _log(tmp_path, lines, compress)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) * 2 // 3])
    out = read_apps(p, catalog=catalog)
    assert [s.reason for s in out.skipped] == ["truncated"]
    assert "ends" in out.skipped[0].detail
    assert 0 < out.devices < 3000  # what came before the cut is read


def test_corrupt_gzip_is_a_skip(tmp_path: Path, catalog: AppCatalog) -> None:
    data = bytearray(
        gzip.compress(
            ("\n".join(osquery_line("w", "programs", [PROGRAM_DEEPSEEK]) for _ in range(50))).encode()
        )
    )
    data[30:60] = b"\x00" * 30
    p = tmp_path / "c.log.gz"
    p.write_bytes(bytes(data))
    out = read_apps(p, catalog=catalog)
    assert out.skipped and out.skipped[-1].reason in ("corrupt", "truncated")


def test_decompressed_size_is_bounded(tmp_path: Path, catalog: AppCatalog) -> None:
    lines = [osquery_line(f"w{i}", "programs", [PROGRAM_DEEPSEEK]) for i in range(100)]
    p = tmp_path / "b.log.zst"
    p.write_bytes(zst(("\n".join(lines) + "\n").encode()))
    out = read_apps(p, catalog=catalog, options=AppOptions(max_bytes=2000))
    assert out.skipped[-1].reason == "too-large"
    assert out.devices < 100


def test_helpers() -> None:
    assert user_from_path("/Users/kchen/Library/x") == "kchen"
    assert user_from_path("C:\\Users\\jdoe\\AppData\\Local") == "jdoe"
    assert user_from_path("/home/ann/.vscode/extensions/x") == "ann"
    assert user_from_path("/Users/Shared/x") is None
    assert user_from_path("/opt/app") is None
    assert iso_time(1764576000, "") == "2025-12-01T08:00:00Z"
    assert iso_time("1764576000", "") == "2025-12-01T08:00:00Z"
    assert iso_time(None, "Mon Dec  1 08:00:00 2025 UTC") == "2025-12-01T08:00:00Z"
    assert iso_time(None, "garbage") is None
    assert iso_time(-5, "") is None


def test_not_an_inventory_is_a_target_error(tmp_path: Path, catalog: AppCatalog) -> None:
    p = tmp_path / "notes.txt"
    p.write_text("hello\n")
    with pytest.raises(TargetError, match="not an app inventory"):
        read_apps(p, catalog=catalog)
    with pytest.raises(TargetError, match="not a file"):
        read_apps(tmp_path / "missing.log", catalog=catalog)


def test_gzip_member_boundary(tmp_path: Path, catalog: AppCatalog) -> None:
    a = gzip.compress((osquery_line("w1", "programs", [PROGRAM_DEEPSEEK]) + "\n").encode())
    b = gzip.compress((osquery_line("w2", "programs", [PROGRAM_DEEPSEEK]) + "\n").encode())
    p = tmp_path / "two.log.gz"
    p.write_bytes(a + b)
    out = read_apps(p, catalog=catalog)
    assert sorted(u.host for u in out.assets[0].usages) == ["w1", "w2"] and not out.skipped
