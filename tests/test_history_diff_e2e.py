"""``tierguard scan --record/--baseline``, ``tierguard diff`` and ``tierguard history`` end to end on copies
of the demo estate, through the real CLI (typer's CliRunner), a real SQLite store and real scans.

The done-when scenario of issue 14 item 3: record a scan, add a DeepSeek call, ``scan --baseline latest``
fails only because of it, ``diff latest~1 latest`` shows it, and once recorded the baseline passes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner, Result

from tests.pg import pg_server, pg_url  # noqa: F401  (fixtures)
from tests.schema_validators import sarif_validator
from tierguard.cli.main import make_app

ESTATE = Path(__file__).resolve().parent.parent / "examples" / "estate"
DEEPSEEK_CALL = """from openai import OpenAI

client = OpenAI(base_url="https://api.deepseek.com")


def summarize(text: str) -> str:
    out = client.chat.completions.create(model="deepseek-chat", messages=[{"role": "user", "content": text}])
    return out.choices[0].message.content
"""
SCAN = ("scan", "--country", "US", "--no-progress")


def run(*args: str) -> Result:
    argv = list(args)
    return CliRunner().invoke(make_app(argv), argv, env={"COLUMNS": "200"})  # rich wraps at 80 otherwise


def copy_estate(where: Path) -> Path:
    where.mkdir(parents=True)
    return Path(shutil.copytree(ESTATE, where / "estate"))


@pytest.fixture
def store(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """SQLite, then PostgreSQL (skips with the reason where the server cannot start)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


def test_copies_in_different_directories_diff_empty_and_moved_lines_are_no_change(tmp_path: Path) -> None:
    a, b = copy_estate(tmp_path / "one"), copy_estate(tmp_path / "elsewhere" / "deeper")
    assert run(*SCAN, str(a), "-f", "json", "-o", str(tmp_path / "a.json")).exit_code == 1  # the demo denies
    # lines move in the copy: code inserted above the DeepSeek client
    app = b / "services" / "assistant" / "app.py"
    app.write_text("# header\n\n\n" + app.read_text("utf-8"), "utf-8")
    assert run(*SCAN, str(b), "-f", "json", "-o", str(tmp_path / "b.json")).exit_code == 1
    res = run("diff", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "-f", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["summary"] == {k: 0 for k in doc["summary"]}
    assert doc["old"]["target"] != doc["new"]["target"]
    assert doc["assets"] == doc["usages"] == doc["decisions"] == doc["findings"] == []
    from tierguard.report.diff_render import load_schema

    jsonschema.Draft202012Validator(load_schema()).validate(doc)


def test_done_when_new_deepseek_call(tmp_path: Path, any_store: str) -> None:  # noqa: PLR0915
    store = any_store
    estate = copy_estate(tmp_path / "work")
    first = run(
        *SCAN, str(estate), "--record", "--store", store, "-f", "json", "-o", str(tmp_path / "0.json")
    )
    assert first.exit_code == 1  # existing denies fail a plain scan
    assert "recorded scan 1 of" in first.stderr
    unchanged = run(*SCAN, str(estate), "--baseline", "latest", "--store", store)
    assert unchanged.exit_code == 0, unchanged.output  # the same denies as the baseline: nothing new
    assert "Changes since the baseline" in unchanged.stdout and "No changes." in unchanged.stdout

    (estate / "services" / "assistant" / "summarize.py").write_text(DEEPSEEK_CALL, "utf-8")
    gate = run(*SCAN, str(estate), "--baseline", "latest", "--store", store)
    assert gate.exit_code == 1
    assert "new since the baseline: new deny usage of DeepSeek API at services/assistant/summarize.py:3" in (
        gate.stderr
    )
    assert "NEW" in gate.stdout and "summarize.py" in gate.stdout
    sarif = tmp_path / "gate.sarif"
    marked = run(
        *SCAN, str(estate), "--baseline", "latest", "--store", store, "-f", "sarif", "-o", str(sarif)
    )
    assert marked.exit_code == 1
    log = json.loads(sarif.read_text("utf-8"))
    sarif_validator().validate(log)
    new = [r for r in log["runs"][0]["results"] if r["baselineState"] == "new"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in new}
    assert uris == {"services/assistant/summarize.py"}
    assert {r["baselineState"] for r in log["runs"][0]["results"]} == {"new", "unchanged"}

    recorded = run(*SCAN, str(estate), "--baseline", "latest", "--store", store, "--record")
    assert recorded.exit_code == 1 and "recorded scan 2 of" in recorded.stderr
    shown = run("diff", "latest~1", "latest", "--store", store)
    assert shown.exit_code == 1
    assert "new deny usage of DeepSeek API" in shown.stdout and "scan 1" in shown.stdout
    as_json = json.loads(run("diff", "latest~1", "latest", "--store", store, "-f", "json").stdout)
    deny = [u for u in as_json["usages"] if u["verdict"] == "deny"]
    assert {(u["change"], u["asset_name"], u["location"]["path"]) for u in deny} == {
        ("new", "DeepSeek API", "services/assistant/summarize.py"),
        ("new", "deepseek-ai/DeepSeek-V3", "services/assistant/summarize.py"),
    }
    assert all(u["existing_asset"] for u in deny)
    assert run("diff", "latest~1", "latest", "--store", store, "--fail-on", "never").exit_code == 0
    html = tmp_path / "d.html"
    assert run("diff", "1", "2", "--store", store, "-f", "html", "-o", str(html)).exit_code == 1
    assert "summarize.py" in html.read_text("utf-8")
    # a file and a recorded scan mix
    assert run("diff", str(tmp_path / "0.json"), "latest", "--store", store).exit_code == 1

    after = run(*SCAN, str(estate), "--baseline", "latest", "--store", store)
    assert after.exit_code == 0, after.stderr  # the new deny is in the baseline now

    hist = run("history", "--store", store, "-f", "json")
    assert hist.exit_code == 0
    scans = json.loads(hist.stdout)["scans"]
    assert [s["id"] for s in scans] == [2, 1] and {s["worst_verdict"] for s in scans} == {"deny"}
    table = run("history", str(estate), "--store", store)
    assert table.exit_code == 0 and "deny" in table.stdout


def test_baseline_file_and_new_item_only_gate(tmp_path: Path) -> None:
    estate = copy_estate(tmp_path / "w")
    base = tmp_path / "base.json"
    run(*SCAN, str(estate), "-f", "json", "-o", str(base))
    assert run(*SCAN, str(estate), "--baseline", str(base), "-f", "json").exit_code == 0
    (estate / "services" / "assistant" / "summarize.py").write_text(DEEPSEEK_CALL, "utf-8")
    res = run(*SCAN, str(estate), "--baseline", str(base), "-f", "json")
    assert res.exit_code == 1
    assert json.loads(res.stdout)["target"] == str(estate)  # the plain report, unchanged
    assert "since the baseline: usages new 3, regressions 2" in res.stderr
    # --fail-on never: nothing gates
    assert run(*SCAN, str(estate), "--baseline", str(base), "--fail-on", "never").exit_code == 0


def test_errors_are_one_line_exit_2(tmp_path: Path, store: str) -> None:
    empty = run("diff", "latest~1", "latest", "--store", store)
    assert empty.exit_code == 2 and "no recorded scan" in empty.stderr and "Traceback" not in empty.output
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": "3.0.0", "target": ', "utf-8")
    res = run("diff", str(bad), str(bad))
    assert res.exit_code == 2 and "is not a tierguard JSON result" in res.stderr
    bad.write_text('{"x": 1}', "utf-8")
    assert run("diff", str(bad), str(bad)).exit_code == 2
    res = run("diff", str(tmp_path), "latest", "--store", store)
    assert res.exit_code == 2 and "is not a file" in res.stderr
    res = run("diff", "nope", "latest", "--store", store)
    assert res.exit_code == 2 and "neither a result file nor a scan reference" in res.stderr
    assert run("diff", "1", "2", "--format", "csv", "--store", store).exit_code == 2
    assert run("diff", "1", "2", "--fail-on", "sometimes", "--store", store).exit_code == 2
    estate = copy_estate(tmp_path / "w")
    res = run(*SCAN, str(estate), "--baseline", str(bad))  # checked before the scan runs
    assert res.exit_code == 2 and "is not a tierguard JSON result" in res.stderr
    res = run(*SCAN, str(estate), "--baseline", "latest", "--store", store)
    assert res.exit_code == 2 and "no recorded scan latest of target" in res.stderr
    unwritable = f"sqlite:///{tmp_path / 'missing-dir' / 'x' / 's.db'}"
    res = run("history", "--store", unwritable)
    assert res.exit_code == 2 and "Traceback" not in res.output


def test_history_shows_recorded_errors(tmp_path: Path, store: str) -> None:
    from tierguard.store import open_store

    st = open_store(store)
    try:
        st.record_error("vanished-repo", "target does not exist: /srv/vanished-repo")
    finally:
        st.close()
    res = run("history", "--store", store)
    assert res.exit_code == 0
    assert "vanished-repo" in res.stdout and "target does not exist" in res.stdout and "error" in res.stdout
    doc = json.loads(run("history", "vanished-repo", "--store", store, "-f", "json").stdout)
    assert [(s["status"], s["error"]) for s in doc["scans"]] == [
        ("error", "target does not exist: /srv/vanished-repo")
    ]


def test_target_name_ties_scans_of_different_paths(tmp_path: Path, store: str) -> None:
    """CI runners check out to different paths: --target-name records and finds the baseline by one name."""
    a, b = copy_estate(tmp_path / "runner-1"), copy_estate(tmp_path / "runner-2")
    named = ("--store", store, "--target-name", "northwind")
    assert run(*SCAN, str(a), "--record", *named, "-f", "json").exit_code == 1
    assert run(*SCAN, str(b), "--baseline", "latest", "--store", store).exit_code == 2  # other name: none
    assert run(*SCAN, str(b), "--baseline", "latest", *named, "-f", "json").exit_code == 0
    (b / "services" / "assistant" / "summarize.py").write_text(DEEPSEEK_CALL, "utf-8")
    assert run(*SCAN, str(b), "--baseline", "latest", *named, "-f", "json").exit_code == 1
    doc = json.loads(run("history", "northwind", "--store", store, "-f", "json").stdout)
    assert [s["target"] for s in doc["scans"]] == ["northwind"]


def test_result_file_reads_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tierguard.cli import common
    from tierguard.errors import TierguardError

    big = tmp_path / "big.json"
    big.write_text("[" + "0," * 100 + "0]", "utf-8")
    monkeypatch.setattr(common, "MAX_RESULT_BYTES", 64)
    with pytest.raises(TierguardError, match="larger than"):
        common.load_result_file(big)


def test_a_store_that_fails_loses_no_report(tmp_path: Path) -> None:
    """--record into a store that cannot be reached: the report is written first, then one error, exit 2."""
    out = tmp_path / "result.json"
    url = "postgresql+psycopg://tierguard:secret@127.0.0.1:1/none"
    res = run(*SCAN, str(ESTATE), "-f", "json", "-o", str(out), "--record", "--store", url)
    assert res.exit_code == 2, res.output
    assert json.loads(out.read_text())["assets"], "the report must be written before the store fails"
    assert "secret" not in res.output
    assert "Traceback" not in res.output
