"""`tierguard host` emits every pipeline format; SARIF and CycloneDX validate against official schemas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.equipment.fakes import huawei_host
from tests.equipment.test_cli import app, runner
from tests.schema_validators import cyclonedx_validator, sarif_validator, schema_errors


@pytest.fixture()
def huawei_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    root.mkdir()
    huawei_host(root)
    return root


def _host(root: Path, fmt: str, out: Path) -> None:
    res = runner.invoke(
        app(),
        ["host", "--root", str(root), "--country", "US", "--sector", "government", "--format", fmt, "-o",
         str(out)],
    )
    assert res.exit_code == 0, res.output


def test_cyclonedx_has_huawei_device_with_country_and_validates(huawei_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "bom.json"
    _host(huawei_root, "cyclonedx", out)
    bom = json.loads(out.read_text())
    assert not schema_errors(cyclonedx_validator(), bom)

    def walk(comps: list[dict[str, object]]) -> list[dict[str, object]]:
        acc: list[dict[str, object]] = []
        for c in comps:
            acc.append(c)
            acc.extend(walk(c.get("components", [])))  # type: ignore[arg-type]
        return acc

    devices = [c for c in walk(bom["components"]) if c["type"] == "device"]
    huawei = [c for c in devices if "19e5" in str(c.get("name", ""))]
    assert huawei, [c.get("name") for c in devices]
    assert huawei[0]["manufacturer"]["address"]["country"] == "CN"  # type: ignore[index]


def test_sarif_reports_covered_list_rule_and_validates(huawei_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "host.sarif"
    _host(huawei_root, "sarif", out)
    log = json.loads(out.read_text())
    assert not schema_errors(sarif_validator(), log)
    rule_ids = {r["ruleId"] for r in log["runs"][0]["results"]}
    assert "US-FCC-COVERED-HUAWEI-ZTE" in rule_ids


def test_html_and_scan_json(huawei_root: Path, tmp_path: Path) -> None:
    html = tmp_path / "host.html"
    _host(huawei_root, "html", html)
    text = html.read_text()
    assert "Huawei" in text and "<script" not in text
    sj = tmp_path / "host.json"
    _host(huawei_root, "json", sj)
    doc = json.loads(sj.read_text())
    assert any(a["kind"] == "hardware-device" for a in doc["assets"])
    assert any(n.startswith("fleet: 1 host(s), 1 with PRC") for n in doc["notes"])
