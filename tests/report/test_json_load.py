"""json_report.load: the fast path (no escape in any path value: nothing to decode) and the decoding path
give back exactly what was rendered; malformed documents are ValueError."""

from __future__ import annotations

import pytest

from tierguard.model import Evidence, Location, ScanResult
from tierguard.report import json_report


def _result(path: str, excerpt: str, target: str = "t") -> ScanResult:
    ev = Evidence(
        detector="d", kind="endpoint", value="api.deepseek.com", strength="A",
        location=Location(path=path, line=1), excerpt=excerpt,
    )  # fmt: skip
    return ScanResult(tool_version="0", catalog_version="0", target=target, evidence=(ev,))


@pytest.mark.parametrize(
    ("path", "excerpt", "target"),
    [
        ("src/app.py", "100% of traffic", "t"),  # '%' only outside paths: the fast path
        ("src/100%.py", "x", "t"),  # a literal '%' in a path: encoded as %25, decoded back
        ("src/a\udcff.py", "x", "t%"),  # a byte that is not UTF-8, and '%' in the target
        ("src/app.py", 'quote " and %41', "t"),  # an escaped quote before a '%' in other text
    ],
)
def test_round_trip(path: str, excerpt: str, target: str) -> None:
    r = _result(path, excerpt, target)
    text = json_report.render(r)
    assert json_report.load(text) == r
    assert json_report.load(text.encode("utf-8")) == r


@pytest.mark.parametrize("text", ["", "[1]", '{"schema_version": ', "\xff"])
def test_malformed_is_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        json_report.load(text)


def test_paths_are_written_in_the_path_encoding_whatever_the_fast_path() -> None:
    text = json_report.render(_result("src/100%41.py", "x"))
    assert '"src/100%2541.py"' in text  # a literal '%' is escaped, so '%41' never reads back as 'A'
    assert json_report.load(text).evidence[0].location.path == "src/100%41.py"
    text = json_report.render(_result("src/a\udcff.py", "b\udcfe"))
    assert '"src/a%FF.py"' in text and "\\udc" not in text
