"""End-to-end: model files on disk are identified, inspected and decided on in one `scan`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.artifacts.builders import qwen2_dir
from tierguard.cli.main import app
from tierguard.report import json_report

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "picklescan"
runner = CliRunner()


def test_renamed_qwen_and_malicious_pickle_get_decisions(tmp_path: Path) -> None:
    target = tmp_path / "models"
    qwen2_dir(target / "company-assistant-v2")
    # a pickle that would call os.system on load, written opcode by opcode (never produced by pickling)
    (target / "helpers").mkdir()
    (target / "helpers" / "weights.bin").write_bytes(b"\x80\x04cposix\nsystem\n\x8c\x02id\x85R.")
    out = tmp_path / "scan.json"
    res = runner.invoke(
        app, ["scan", str(target), "--country", "GB", "-f", "json", "-o", str(out), "--no-progress"]
    )
    assert res.exit_code == 1, res.output
    result = json_report.load(out.read_text())
    by_id = {a.id: a for a in result.assets}
    decided = {d.asset_id: d for d in result.decisions}

    qwen = [a for a in result.assets if (a.details.path or "").startswith("company-assistant-v2")]
    assert qwen, [a.name for a in result.assets]
    assert "alibaba" in {p.id for p in qwen[0].provenance.producers}
    assert decided[qwen[0].id].verdict == "review"  # self-hosted PRC weights in a Tier 1 country

    bad = [f for f in result.findings if f.location.path == "helpers/weights.bin"]
    assert bad and bad[0].severity == "critical" and "system" in bad[0].message
    assert bad[0].asset_id in by_id
    assert decided[bad[0].asset_id].verdict == "deny"
    assert "ART-UNSAFE" in {m.rule_id for m in decided[bad[0].asset_id].matches} or any(
        m.pack == "artifact-safety" for m in decided[bad[0].asset_id].matches
    )
    sarif_rules = {r.id for r in result.rules}
    assert bad[0].rule_id in sarif_rules


def test_uninspectable_archive_is_never_clean(tmp_path: Path) -> None:
    sample = CORPUS / "benign_password_protected.zip"
    if not sample.is_file():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    target = tmp_path / "t"
    target.mkdir()
    shutil.copy(sample, target / "model.zip")
    out = tmp_path / "scan.json"
    res = runner.invoke(app, ["scan", str(target), "-f", "json", "-o", str(out), "--no-progress",
                              "--fail-on", "review"])
    data = json.loads(out.read_text())
    statuses = {i["location"]["path"]: i["status"] for i in data["inspections"]}
    assert statuses.get("model.zip") in ("not-inspected", "incomplete")
    assert res.exit_code == 1  # an incomplete inspection is a review decision, never silently clean


def test_wheel_target_bundling_a_prc_model_is_attributed_to_its_package(tmp_path: Path) -> None:
    from tests.artifacts.test_packages import _wheel

    whl = _wheel(tmp_path / "acme_nlp-1.2.0-py3-none-any.whl")
    out = tmp_path / "scan.json"
    res = runner.invoke(
        app, ["scan", str(whl), "--country", "GB", "-f", "json", "-o", str(out), "--no-progress"]
    )
    assert res.exit_code in (0, 1), res.output
    result = json_report.load(out.read_text())
    bundled = [a for a in result.assets if a.kind == "ai-model" and a.parent == "pypi:acme-nlp==1.2.0"]
    assert bundled, [(a.name, a.parent) for a in result.assets]
    assert any(p.jurisdiction == "CN" for a in bundled for p in a.provenance.producers)
    # the members were scanned in place: paths name the wheel and the member inside it
    assert all(e.location.path == whl.name or e.location.member for a in bundled for e in a.evidence)
