"""Issue 12 "Done when", end to end through the real CLI and Scanner: an osquery log (a Windows laptop with
the DeepSeek desktop app, a Mac with the Kimi app and a Chrome extension), an Intune CSV (the DeepSeek Android
app) and a Zeek DNS log (queries to chat.deepseek.com) are reported per device and user under the Texas and
US-federal contexts, with citations; `scan FILE` routes them by content; ordinary files are not rerouted."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tierguard.catalog import load_catalog
from tierguard.cli.main import app
from tierguard.fleet import sniff_input
from tierguard.model import Context, ScanResult
from tierguard.policy.packs import load_packs
from tierguard.report import json_report
from tierguard.scanner import InventoryInput, Scanner

FLEET = Path(__file__).resolve().parent.parent / "examples" / "fleet"
OSQUERY = FLEET / "osquery" / "fleet-apps.log"
INTUNE = FLEET / "mdm" / "intune-discovered-apps.csv"
ZEEK = FLEET / "logs" / "zeek-dns.log"
TEXAS = ["--state", "US-TX", "--sector", "government"]
runner = CliRunner()


@pytest.fixture(scope="module")
def texas() -> ScanResult:
    inputs = [
        InventoryInput("osquery", OSQUERY),
        InventoryInput("inventory", INTUNE),
        InventoryInput("inventory", ZEEK),
    ]
    ctx = Context(country="US", state="US-TX", sector="government")
    return Scanner(load_catalog(), load_packs()).scan(None, ctx, inventories=inputs)


def _usages(result: ScanResult, name: str) -> dict[str, str]:
    asset = next(a for a in result.assets if a.name == name)
    return {u.host or "": u.user or "" for u in asset.usages}


def test_every_device_and_client_is_found_with_its_user(texas: ScanResult) -> None:
    assert {"apps", "egress", "equipment"} <= set(texas.stages)
    deepseek = _usages(texas, "DeepSeek (app)")
    assert {"LAPTOP-W1042", "AGY-PIXEL8-017"} <= set(deepseek)  # desktop app (osquery), Android (Intune)
    assert deepseek["AGY-PIXEL8-017"]  # Intune names the user
    assert "MBP-KCHEN" in _usages(texas, "Kimi (app)")  # the app and the Chrome extension on the Mac
    web = next(a for a in texas.assets if a.name == "DeepSeek app and web chat")
    chat = [u for u in web.usages if u.as_written == "chat.deepseek.com"]
    assert chat and all(u.host and u.first_seen and u.last_seen and u.count >= 1 for u in chat)


def test_texas_denies_them_under_the_texas_order_with_its_citation(texas: ScanResult) -> None:
    by_name = {a.name: a.id for a in texas.assets}
    for name in ("DeepSeek (app)", "DeepSeek app and web chat"):
        d = next(d for d in texas.decisions if d.asset_id == by_name[name])
        texas_rules = [m for m in d.matches if m.rule_id == "US-TX-2025-DEEPSEEK"]
        assert d.verdict == "deny" and texas_rules, (name, [m.rule_id for m in d.matches])
        assert texas_rules[0].citation.url.startswith("https://")
    chatgpt = next(d for d in texas.decisions if d.asset_id == by_name["ChatGPT (app)"])
    assert chatgpt.verdict == "allow"


def test_the_result_is_a_valid_scan_result(texas: ScanResult) -> None:
    text = json_report.render(texas)
    back = json_report.load(text)
    assert len(back.assets) == len(texas.assets)
    import jsonschema

    jsonschema.validate(json.loads(text), json_report.load_schema())


def test_host_cli_csv_lists_device_owner_app_rule_and_dates() -> None:
    res = runner.invoke(
        app,
        [
            "host",
            "--osquery",
            str(OSQUERY),
            "--inventory",
            str(INTUNE),
            "--inventory",
            str(ZEEK),
            *TEXAS,
            "-f",
            "csv",
        ],
    )
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    laptop = [r for r in rows if r["device"] == "LAPTOP-W1042" and r["asset"] == "DeepSeek (app)"]
    assert laptop and "US-TX-2025-DEEPSEEK" in laptop[0]["rules"] and laptop[0]["verdict"] == "deny"
    dns = [
        r
        for r in rows
        if r["asset"] == "DeepSeek app and web chat" and r["as_written"] == "chat.deepseek.com"
    ]
    assert dns and dns[0]["first_seen"] and dns[0]["device"]


def test_scan_file_routes_by_content_and_shows_devices() -> None:
    for path, stage in ((OSQUERY, "apps"), (INTUNE, "apps"), (ZEEK, "egress")):
        res = runner.invoke(app, ["scan", str(path), *TEXAS, "--no-progress", "-f", "json"])
        assert res.exit_code == 1, res.output  # a deny: the CI gate fails
        doc = json.loads(res.stdout)
        assert doc["stages"] == [stage, "policy"] and doc["target"] == str(path), doc["stages"]
    res = runner.invoke(app, ["scan", str(OSQUERY), *TEXAS, "--no-progress"])
    assert "Devices and users:" in res.stdout and "LAPTOP-W1042" in res.stdout


def test_ordinary_files_are_not_rerouted(tmp_path: Path) -> None:
    code = tmp_path / "client.py"
    code.write_text('# fields: ts query\nBASE = "https://chat.deepseek.com"\n')
    table = tmp_path / "prices.csv"
    table.write_text("model,host\ndeepseek-chat,api.deepseek.com\n")  # generic CSV: needs a mapping
    assert sniff_input(code) is None and sniff_input(table) is None
    result = Scanner(load_catalog(), load_packs()).scan(code, Context(country="US"))
    assert "discover" in result.stages and "egress" not in result.stages


def test_us_federal_dod_network_denies_under_the_ndaa_statute_with_binding_only() -> None:
    args = ["host", "--osquery", str(OSQUERY), "--inventory", str(ZEEK), "--country", "US", "--sector"]
    args += ["government", "--network", "dod-network", "--binding-only", "-f", "json"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    names = {a["id"]: a["name"] for a in doc["assets"]}
    by_name = {names[d["asset_id"]]: d for d in doc["decisions"]}
    for name in ("DeepSeek (app)", "DeepSeek app and web chat"):
        d = by_name[name]
        statutes = [m for m in d["matches"] if m["citation"]["status"] == "statute"]
        assert d["verdict"] == "deny" and statutes, name
        assert all(m["citation"]["status"] not in ("proposal", "bill") for m in d["matches"])  # binding only
    assert by_name["ChatGPT (app)"]["verdict"] == "allow"


CLOUD = Path(__file__).resolve().parent.parent / "examples" / "cloud"


def test_scan_of_cloud_exports_routes_by_content_and_names_producer_and_operator() -> None:
    res = runner.invoke(app, ["scan", str(CLOUD), "--country", "GB", "--sector", "government", "-f", "json"])
    assert res.exit_code == 0, res.output  # PRC models on US clouds: review, not deny
    doc = json.loads(res.stdout)
    assert doc["stages"] == ["cloud", "policy"]
    r1 = next(a for a in doc["assets"] if a["name"] == "deepseek-ai/DeepSeek-R1")
    assert {p["jurisdiction"] for p in r1["provenance"]["producers"]} == {"CN"}
    assert {(u["service"], u["service_jurisdiction"]) for u in r1["usages"]} >= {("Amazon Bedrock", "US")}
    assert all(u["host"] for u in r1["usages"])  # the account or subscription
    qwen = next(a for a in doc["assets"] if a["name"] == "Qwen/Qwen2.5-7B-Instruct")
    assert {u["service"] for u in qwen["usages"]} == {"Amazon SageMaker"}
    one = next(CLOUD.rglob("*.json"))
    assert sniff_input(one) == "cloud" and sniff_input(CLOUD) == "cloud"


def test_a_code_tree_holding_one_export_is_still_scanned_as_code(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text('BASE = "https://api.deepseek.com"\n')
    export = next((CLOUD / "aws").glob("*.json"))
    (tmp_path / export.name).write_bytes(export.read_bytes())
    assert sniff_input(tmp_path) is None
    result = Scanner(load_catalog(), load_packs()).scan(tmp_path, Context(country="US"))
    assert "discover" in result.stages


def test_an_export_directory_with_a_dotenv_is_scanned_as_code(tmp_path: Path) -> None:
    """A hidden file can hold a provider key: routing the directory as cloud exports would leave it unread."""
    export = next((CLOUD / "aws").glob("*.json"))
    (tmp_path / export.name).write_bytes(export.read_bytes())
    assert sniff_input(tmp_path) == "cloud"
    (tmp_path / ".env").write_text("DEEPSEEK_API_KEY=sk-test\n")
    assert sniff_input(tmp_path) is None
    result = Scanner(load_catalog(), load_packs()).scan(tmp_path, Context(country="US"))
    assert any(a.name == "DeepSeek API" for a in result.assets)
