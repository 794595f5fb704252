"""The inspect CLI (exit codes, JSON) and the rule metadata."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.inspect.inspect_builders import make_zip, run, stack_global
from tierguard.cli.main import app
from tierguard.inspect.gate import exit_code
from tierguard.inspect.rules import RULES

runner = CliRunner()


def test_cli_malicious_exit_1_and_json(tmp_path: Path) -> None:
    (tmp_path / "m.pt").write_bytes(make_zip({"archive/data.pkl": stack_global("os", "system")}))
    res = runner.invoke(app, ["inspect", str(tmp_path), "--format", "json"])
    assert res.exit_code == 1, res.output
    doc = json.loads(res.output)
    assert doc["inspections"][0]["status"] == "findings"
    f = doc["findings"][0]
    assert f["rule_id"] == "TG-PKL-001" and f["subject"] == "os.system"
    assert f["location"]["member"] == "archive/data.pkl"
    assert [r["id"] for r in doc["rules"]] == ["TG-PKL-001"]


def test_cli_clean_exit_0_and_table(tmp_path: Path) -> None:
    (tmp_path / "ok.pkl").write_bytes(b"\x80\x04K\x01.")
    res = runner.invoke(app, ["inspect", str(tmp_path / "ok.pkl")])
    assert res.exit_code == 0, res.output
    assert "clean" in res.output


def test_cli_incomplete_and_flags(tmp_path: Path) -> None:
    (tmp_path / "b.pkl").write_bytes(b"\x80\x04K\x01")  # no STOP
    assert runner.invoke(app, ["inspect", str(tmp_path)]).exit_code == 1
    assert runner.invoke(app, ["inspect", str(tmp_path), "--no-fail-on-incomplete"]).exit_code == 0
    assert runner.invoke(app, ["inspect", str(tmp_path), "--fail-on", "bogus"]).exit_code == 2
    assert runner.invoke(app, ["inspect", str(tmp_path / "missing")]).exit_code == 2


def test_exit_code_thresholds() -> None:
    out = run({"s.pkl": stack_global("mypkg", "Thing")})  # non-allowlisted: high, fails the default gate
    assert exit_code(out, "critical") == 0
    assert exit_code(out, "high") == 1
    assert exit_code(out, "never") == 0


def test_rules_metadata_complete() -> None:
    out = run({
        "a.pkl": stack_global("os", "system"),
        "b.pkl": stack_global("mypkg", "X"),
        "c.pkl": b"\x80\x04K\x01K\x02\x93.",
    })  # fmt: skip
    for f in out.findings:
        info = RULES[f.rule_id]
        assert info.source == "inspect" and info.severity == f.severity and info.short and info.help
        assert f.subject
    assert all(rid.startswith("TG-") for rid in RULES)


def test_docs_rules_table_in_sync() -> None:
    from tierguard.inspect.rules import rules_markdown

    doc = Path(__file__).resolve().parents[2] / "docs" / "inspect.md"
    assert rules_markdown() in doc.read_text(encoding="utf-8")


_NOT_ON_THE_INSPECT_PATH = ("tierguard.catalog", "tierguard.policy", "tierguard.report.sarif",
                            "tierguard.report.cyclonedx", "tierguard.report.html", "tierguard.report.console",
                            "tierguard.discover", "tierguard.identify", "tierguard.cli.scan_cmd",
                            "tierguard.equipment", "tierguard.inventories", "rich.table", "tarfile",
                            "py7zr", "jinja2")  # fmt: skip


def _modules_after(argv_code: str, path: Path) -> set[str]:
    import subprocess
    import sys

    code = (
        "import sys\n"
        f"{argv_code}\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    res = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    return set(res.stderr.split())


def test_inspect_entry_points_import_only_what_inspection_needs(tmp_path: Path) -> None:
    """Start-up: a PyTorch zip inspected by the lean entry point or by ``tierguard inspect --format json``
    goes through the Scanner's inspect view and the JSON reporter, and loads no catalog, policy,
    discovery, identification or equipment module, no other reporter, no pydantic, no rich table, and no
    tar/7z/Jinja reader the file does not need."""
    f = tmp_path / "m.pt"
    f.write_bytes(make_zip({"archive/data.pkl": b"\x80\x02K\x01.", "archive/data/0": b"\x00" * 8}))
    lean = _modules_after(
        "from tierguard.cli.inspect_cmd import main\nmain([sys.argv[1]], default_format='json')",
        f,
    )
    full = _modules_after(
        "from tierguard.cli.entry import main\nsys.argv = ['tierguard', 'inspect', sys.argv[1], '--format', "
        "'json']\ntry:\n    main()\nexcept SystemExit:\n    pass",
        f,
    )
    for loaded in (lean, full):
        assert {"tierguard.scanner", "tierguard.inspect.engine", "tierguard.report.json_report"} <= loaded
        bad = sorted(m for m in loaded if m.startswith(_NOT_ON_THE_INSPECT_PATH))
        assert bad == []
    for loaded in (lean, full):  # `tierguard inspect` takes the lean path too (cli/entry.py)
        assert not any(m == "typer" or m.startswith("rich") for m in loaded)
        # the records are msgspec Structs: no pydantic (typer would import it, and is not loaded either)
        assert not any(m == "pydantic" or m.startswith("pydantic.") for m in loaded)
