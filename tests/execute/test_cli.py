"""``tierguard estate scan|validate`` through the real CLI: exit codes, the roll-up, one-line errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tierguard.cli.main import make_app

from .conftest import ROOT, EstateWriter


def cli(*argv: str) -> tuple[int, str, str]:
    args = ["estate", *argv]
    res = CliRunner().invoke(make_app(args), args, env={"COLUMNS": "200"})
    return res.exit_code, res.stdout, res.stderr


def test_scan_prints_the_roll_up_and_exits_1_on_a_deny(write_estate: EstateWriter, tmp_path: Path) -> None:
    code, out, err = cli(
        "scan", "-c", str(write_estate()), "--store", str(tmp_path / "s.db"), "--workers", "2"
    )
    assert code == 1, out + err
    assert "estate test-estate" in out and "producers and jurisdictions" in out
    assert "DeepSeek" in out and "targets by worst verdict: allow 1, deny 3" in out
    assert "exit 1: 3 target(s) with a decision at or above deny" in err


def test_json_roll_up_and_fail_on_never(write_estate: EstateWriter, tmp_path: Path) -> None:
    args = ["scan", "-c", str(write_estate()), "--store", str(tmp_path / "s.db"), "--executor", "serial"]
    code, out, err = cli(*args, "--format", "json", "--fail-on", "never")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schema"] == "tierguard-estate-run/1" and doc["executor"] == "serial"
    assert {t["name"]: t["worst_verdict"] for t in doc["targets"]} == {
        "assistant": "deny",
        "web": "deny",
        "gateway": "deny",
        "analytics": "allow",
    }
    assert doc["targets_by_verdict"] == {"allow": 1, "deny": 3} and doc["errors"] == 0
    assert doc["producers"][0]["denies"] >= doc["producers"][-1]["denies"]


def test_a_target_that_could_not_be_scanned_fails_the_run(write_estate: EstateWriter, tmp_path: Path) -> None:
    estate = write_estate(["analytics", "gone"], paths={"gone": "targets/not-here"})
    args = ["scan", "-c", str(estate), "--store", str(tmp_path / "s.db"), "--fail-on", "never"]
    code, out, err = cli(*args, "--no-resume")
    assert code == 1 and "exit 1: 1 target(s) could not be scanned: gone" in err
    assert "ERROR" in out and "target does not exist" in out
    code, out, err = cli(*args, "--no-resume", "--no-fail-on-error")
    assert code == 0, err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[estate\n", "invalid TOML"),
        ('[estate]\nname="x"\n[[estate.targets]]\nname="a"\npaht="a"', "unknown key 'paht'"),
        ('[estate]\nname="x"\n[[estate.targets]]\nname="a"', "missing required key 'path'"),
    ],
)
def test_a_malformed_estate_file_exits_2_with_one_line(tmp_path: Path, text: str, message: str) -> None:
    p = tmp_path / "tierguard.toml"
    p.write_text(text)
    for argv in (["scan", "--store", str(tmp_path / "s.db")], ["validate"]):
        code, out, err = cli(*argv, "-c", str(p))
        assert code == 2, out + err
        assert message in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1


def test_bad_options_exit_2(write_estate: EstateWriter, tmp_path: Path) -> None:
    estate = str(write_estate())
    assert cli("scan", "-c", estate, "--executor", "threads")[0] == 2
    assert cli("scan", "-c", estate, "--ray-address", "x:1")[0] == 2  # only with --executor ray
    assert cli("scan", "-c", estate, "--store", str(tmp_path / "no" / "dir" / "s.db"))[0] == 2


def test_validate_lists_targets_and_flags_missing_paths(write_estate: EstateWriter) -> None:
    code, out, _ = cli("validate", "-c", str(write_estate()))
    assert code == 0 and "assistant" in out and "GB,government,uk-gov" in out
    code, out, err = cli("validate", "-c", str(write_estate(["web", "gone"], paths={"gone": "targets/x"})))
    assert code == 1 and "MISSING" in out and "1 target path(s) do not exist" in err


def test_the_example_estate_validates() -> None:
    code, out, err = cli("validate", "-c", str(ROOT / "examples" / "tierguard.toml"))
    assert code == 0, out + err


def test_a_read_only_store_exits_2_with_one_line(write_estate: EstateWriter, tmp_path: Path) -> None:
    # root ignores file permissions: the CLI runs without CAP_DAC_OVERRIDE (setpriv), as any user would
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root and setpriv (util-linux) is missing: cannot drop CAP_DAC_OVERRIDE")
        prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]
    estate = write_estate(["analytics"])
    db = tmp_path / "ro" / "s.db"
    db.parent.mkdir()
    first = subprocess.run(
        [sys.executable, "-m", "tierguard", "estate", "scan", "-c", str(estate), "--store", str(db)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert first.returncode == 0, first.stderr
    os.chmod(db, 0o444)
    os.chmod(db.parent, 0o555)
    try:
        run = subprocess.run(
            [
                *prefix,
                sys.executable,
                "-m",
                "tierguard",
                "estate",
                "scan",
                "-c",
                str(estate),
                "--store",
                str(db),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        os.chmod(db.parent, 0o755)
        os.chmod(db, 0o644)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: store sqlite:///"), run.stderr
    assert "read-only" in lines[0] or "cannot open" in lines[0] or "readonly" in lines[0]


def test_executor_ray_without_ray_exits_2_with_the_install_hint(
    write_estate: EstateWriter, tmp_path: Path
) -> None:
    # a real process in which `import ray` fails, as on a machine without the extra
    code = (
        "import sys; sys.modules['ray'] = None; from tierguard.cli.entry import main; "
        f"sys.argv = ['tierguard', 'estate', 'scan', '-c', {str(write_estate(['analytics']))!r}, "
        f"'--store', {str(tmp_path / 's.db')!r}, '--executor', 'ray']; main()"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stderr
    assert "--executor ray needs Ray: pip install 'tierguard[ray]'" in run.stderr
    assert "Traceback" not in run.stderr


def test_the_roll_up_goes_to_output_and_each_target_is_shown_again(
    write_estate: EstateWriter, tmp_path: Path
) -> None:
    """--output writes the roll-up (table or JSON); each target's full result is reported again from the store
    with `tierguard show` in any format; a bad --output is refused before anything is scanned."""
    store = str(tmp_path / "s.db")
    args = ["scan", "-c", str(write_estate()), "--store", store, "--executor", "serial", "--fail-on", "never"]
    code, _, err = cli(*args, "--format", "json", "--output", str(tmp_path / "roll.json"))
    assert code == 0, err
    doc = json.loads((tmp_path / "roll.json").read_text())
    scan_id = next(t["scan_id"] for t in doc["targets"] if t["name"] == "assistant")
    code, _, err = cli(*args, "--no-resume", "--output", str(tmp_path / "roll.txt"))
    assert code == 0, err
    assert "producers and jurisdictions" in (tmp_path / "roll.txt").read_text()
    code, _, err = cli(*args, "--output", str(tmp_path / "no-such-dir" / "x.json"))
    assert code == 2 and "Traceback" not in err
    for fmt in ("json", "sarif", "cyclonedx", "spdx", "html", "csv", "table"):
        out = tmp_path / f"assistant.{fmt}"
        argv = ["show", str(scan_id), "--store", store, "--format", fmt, "--output", str(out)]
        res = CliRunner().invoke(make_app(argv), argv)
        assert res.exit_code == 0, (fmt, res.output)
        assert "DeepSeek" in out.read_text() or "deepseek" in out.read_text(), fmt
    argv = ["show", "latest~99", "--store", store]
    res = CliRunner().invoke(make_app(argv), argv)
    assert res.exit_code == 2 and "Traceback" not in res.output
