"""``tierguard cloud aws``: options checked before any call, responses collected read-only (moto), then the
Scanner reads them as a cloud inventory with the context and packs (as ``tierguard scan DIR`` would)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tierguard.cli.main import make_app

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")

from .conftest import REGION  # noqa: E402
from .test_live_aws import _sagemaker_qwen  # noqa: E402


def _run(args: list[str]) -> tuple[int, str, str]:
    res = CliRunner().invoke(make_app(["cloud", *args]), ["cloud", *args])
    return res.exit_code, res.stdout, res.stderr


def test_help() -> None:
    code, out, _ = _run(["aws", "--help"])
    assert code == 0
    for opt in ("--profile", "--region", "--save-exports", "--format", "--output", "--country", "--fail-on"):
        assert opt in out


def test_bad_options_fail_before_any_call(tmp_path: Path) -> None:
    assert _run(["aws", "--format", "nope"])[0] == 2
    assert _run(["aws", "--fail-on", "sometimes"])[0] == 2
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    code, _, err = _run(["aws", "--save-exports", str(tmp_path / "full"), "--region", REGION])
    assert code == 2 and "new or empty directory" in err


def test_collects_and_decides(tmp_path: Path, aws_env: None) -> None:
    with moto.mock_aws():
        _sagemaker_qwen()
        code, out, _ = _run(
            [
                "aws",
                "--region",
                REGION,
                "--country",
                "GB",
                "--sector",
                "government",
                "--format",
                "json",
                "--no-fail-on-incomplete",
                "--fail-on",
                "never",
            ]
        )
    assert code == 0
    result = json.loads(out)
    names = {(a["kind"], a["name"]) for a in result["assets"]}
    assert ("ai-model", "Qwen/Qwen2.5-7B-Instruct") in names and ("ai-service", "Amazon SageMaker") in names
    qwen = next(a for a in result["assets"] if a["name"] == "Qwen/Qwen2.5-7B-Instruct")
    assert {u["service_jurisdiction"] for u in qwen["usages"]} == {"US"}
    assert any(d["asset_id"] == qwen["id"] for d in result["decisions"])
