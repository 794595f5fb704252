"""File names that are not valid UTF-8, or hold newlines, terminal escapes or bidi overrides, scanned through
the real CLI into every format: carried losslessly, shown safely, every output valid UTF-8 and parseable."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest
from typer.testing import CliRunner

from tierguard.cli.main import app
from tierguard.model import stable_id
from tierguard.report import json_report
from tierguard.report._common import display_path, json_path, json_path_decode, safe_text, uri_path

runner = CliRunner()
NAMES = [b"bad\xff.py", b"new\nline.py", b"esc\x1b[31m.py", "rtl\u202e.py".encode(), b"[bold]x%41.py"]
SOURCE = b"import dashscope\nclient = dashscope.Generation()\n"
# raw control characters (other than newline/tab), C1 controls and bidi/zero-width format characters
_UNSAFE_HTML = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("names")
    dfd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for name in NAMES:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644, dir_fd=dfd)
            os.write(fd, SOURCE)
            os.close(fd)
    finally:
        os.close(dfd)
    return root


def _scan(tree: Path, fmt: str) -> bytes:
    res = runner.invoke(
        app, ["scan", str(tree), "-f", fmt, "--country", "GB", "--sector", "government", "--fail-on", "never"]
    )
    assert res.exit_code == 0, (res.stdout, res.stderr, res.exception)
    assert "Traceback" not in res.stderr
    data: bytes = res.stdout_bytes
    data.decode("utf-8")  # strict: the report is valid UTF-8
    return data


@pytest.fixture(scope="module")
def outputs(tree: Path) -> dict[str, bytes]:
    return {fmt: _scan(tree, fmt) for fmt in ("table", "json", "sarif", "cyclonedx", "html")}


def _fs(name: bytes) -> str:
    return os.fsdecode(name)


def test_json_paths_round_trip_to_the_original_bytes(outputs: dict[str, bytes]) -> None:
    doc = json.loads(outputs["json"])
    by_bytes = {
        json_path_decode(e["location"]["path"]).encode("utf-8", "surrogateescape"): e for e in doc["evidence"]
    }
    assert set(NAMES) <= set(by_bytes)
    for name in NAMES:
        ev = by_bytes[name]
        # the evidence id hashes the original bytes, whatever the display or JSON form
        assert ev["id"] == stable_id("ev", ev["detector"], ev["kind"], ev["value"], _fs(name), "")
    assert any(e["location"]["path"] == "bad%FF.py" for e in doc["evidence"])
    assert any(e["location"]["path"] == "[bold]x%2541.py" for e in doc["evidence"])


def test_json_load_restores_the_exact_paths(outputs: dict[str, bytes]) -> None:
    result = json_report.load(outputs["json"])
    paths = {e.location.path for e in result.evidence}
    assert {_fs(n) for n in NAMES} <= paths


def test_sarif_uris_are_percent_encoded_bytes(outputs: dict[str, bytes]) -> None:
    run = json.loads(outputs["sarif"])["runs"][0]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert {"bad%FF.py", "new%0Aline.py", "esc%1B%5B31m.py", "rtl%E2%80%AE.py", "%5Bbold%5Dx%2541.py"} <= uris
    assert {unquote_to_bytes(u) for u in uris} >= set(NAMES)
    for u in uris:
        assert re.fullmatch(r"[A-Za-z0-9\-._~/%]+", u), u
    assert "coverage" in run["properties"]


def test_cyclonedx_occurrences_are_percent_encoded(outputs: dict[str, bytes]) -> None:
    bom = json.loads(outputs["cyclonedx"])
    locs = {o["location"] for c in bom["components"] for o in c.get("evidence", {}).get("occurrences", [])}
    assert {unquote_to_bytes(u) for u in locs} >= set(NAMES)
    names = {p["name"] for p in bom["metadata"]["properties"]}
    assert "tierguard:coverage:complete" in names


def test_html_escapes_and_shows_control_characters(outputs: dict[str, bytes]) -> None:
    html = outputs["html"].decode("utf-8")
    assert not _UNSAFE_HTML.search(html)
    for shown in ("bad\\xff.py", "new\\nline.py", "esc\\x1b[31m.py", "rtl\\u202e.py", "[bold]x%41.py"):
        assert shown in html, shown
    assert 'id="coverage"' in html


def test_table_escapes_control_characters_and_markup(outputs: dict[str, bytes]) -> None:
    text = outputs["table"].decode("utf-8")
    assert not _UNSAFE_HTML.search(text)
    # the console lists the first places per asset (the rest are counted): each one shown is escaped
    escaped = ("bad\\xff.py", "new\\nline.py", "esc\\x1b[31m.py", "rtl\\u202e.py", "[bold]x%41.py")
    shown = [name for name in escaped if f"{name}:1" in text]
    assert len(shown) >= 3, text
    assert "(+2 more)" in text
    assert "coverage:" in text


@pytest.mark.parametrize("name", [*(os.fsdecode(n) for n in NAMES), "50%.py", "a\\b", "ü#.py", "ok.py"])
def test_helpers_are_lossless_and_safe(name: str) -> None:
    assert json_path_decode(json_path(name)) == name
    json_path(name).encode("utf-8")
    assert unquote_to_bytes(uri_path(name)) == name.encode("utf-8", "surrogateescape")
    shown = display_path(name)
    shown.encode("utf-8")
    assert not _UNSAFE_HTML.search(shown)
    assert safe_text("line\n\tnext\x1b", keep_newlines=True) == "line\n\tnext\\x1b"


def test_display_path_is_unambiguous() -> None:
    assert display_path("new\nline") != display_path("new\\nline")
