from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from tests.equipment.fakes import huawei_host
from tierguard.cli.main import make_app
from tierguard.model import SCHEMA_VERSION


def app() -> typer.Typer:
    """The real CLI (with its error handling: a TierguardError is one line and exit 2)."""
    return make_app(["host"])


runner = CliRunner()


def test_host_on_this_machine() -> None:
    res = runner.invoke(app(), ["host"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "OS:" in res.output and "fleet: 1 host(s)" in res.output
    os_line = next(line for line in res.output.splitlines() if "OS:" in line)
    assert "(unknown)" not in os_line or not Path("/etc/os-release").exists()
    if not Path("/sys/class/dmi/id").is_dir():
        assert "DMI not available (virtual machine or container)" in res.output


def test_host_fake_root_fail_on_prc_and_json(tmp_path: Path) -> None:
    huawei_host(tmp_path)
    res = runner.invoke(app(), ["host", "--root", str(tmp_path), "--fail-on-prc"], env={"COLUMNS": "200"})
    assert res.exit_code == 1, res.output
    assert "verdict taishan-01: PRC-produced components" in res.output
    res = runner.invoke(app(), ["host", "--root", str(tmp_path), "--format", "json"])
    assert res.exit_code == 0
    doc = json.loads(res.output)
    # one result model for every command: the host view's JSON is a ScanResult of the equipment stage
    assert doc["schema_version"] == SCHEMA_VERSION and doc["command"] == "host"
    # this machine: its hardware and OS (equipment) and its installed apps
    assert doc["stages"] == ["equipment", "apps"] and doc["stats"]["hosts_with_prc"] == 1
    assert any(a["details"]["prc"] == "yes" for a in doc["assets"] if a["details"]["host"] == "taishan-01")
    assert any(
        a["provenance"]["producers"][0]["id"] == "hygon"
        for a in doc["assets"]
        if a["provenance"]["producers"]
    )


def test_host_policy_packs(tmp_path: Path) -> None:
    huawei_host(tmp_path)
    res = runner.invoke(
        app(),
        ["host", "--root", str(tmp_path), "--country", "US", "--sector", "government", "--format", "json"],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    by_asset = {a["id"]: a for a in doc["assets"]}
    fired = {(by_asset[d["asset_id"]]["name"], m["rule_id"]) for d in doc["decisions"] for m in d["matches"]}
    assert ("pci 19e5:1822 @0000:3b:00.0", "US-FCC-COVERED-HUAWEI-ZTE") in fired
    assert ("dpkg:kesl", "US-FCC-COVERED-KASPERSKY") in fired


def test_host_fleet_inputs_and_usage_errors(tmp_path: Path) -> None:
    walk = tmp_path / "walk.txt"
    walk.write_text("cam-1 .1.3.6.1.2.1.1.2.0 = OID: .1.3.6.1.4.1.39165.1.1\n", encoding="utf-8")
    log = tmp_path / "osq.log"
    log.write_text(
        json.dumps(
            {
                "name": "pci_devices",
                "hostIdentifier": "n1",
                "action": "snapshot",
                "snapshot": [{"pci_slot": "0:0", "vendor_id": "0x8086", "model_id": "0x1572"}],
            }
        )
        + "\n{broken\n",
        encoding="utf-8",
    )
    res = runner.invoke(app(), ["host", "--snmp", str(walk), "--osquery", str(log)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "fleet: 2 host(s), 1 with PRC-produced components (50.0%)" in res.output
    assert "unusable: malformed-json: 1" in res.output
    assert runner.invoke(app(), ["host", "--format", "xml"]).exit_code == 2
    assert runner.invoke(app(), ["host", "--osquery", str(tmp_path / "missing.log")]).exit_code == 2
