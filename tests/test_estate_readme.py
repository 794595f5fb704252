"""The demo estate's README states the expected collapsed assets, their verdicts (``--country US``), the files
each is used in, the mention-only assets and the traps; the scan must match it exactly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tierguard.catalog import load_catalog
from tierguard.model import Context, ScanResult
from tierguard.policy.packs import load_packs
from tierguard.report.console_decisions import mention_only
from tierguard.scanner import Scanner

ESTATE = Path(__file__).resolve().parent.parent / "examples" / "estate"
README = (ESTATE / "README.md").read_text(encoding="utf-8")


def _section(name: str) -> str:
    m = re.search(rf"<!-- {name} -->(.*?)<!-- /{name} -->", README, re.S)
    assert m is not None, name
    return m.group(1)


def _ticked(text: str) -> list[str]:
    return re.findall(r"`([^`]+)`", text)


def _rows() -> dict[tuple[str, str], tuple[str, list[str]]]:
    rows: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for line in _section("expected-assets").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4 or not cells[0].startswith("`"):
            continue
        # "(and `x` where git tracks it)": files the estate's .gitignore matches are scanned only when git
        # tracks them (a clone, not an exported archive), so they are not required
        required = re.sub(r"\([^)]*\)", "", cells[3])
        rows[(cells[1], cells[0].strip("`"))] = (cells[2], _ticked(required))
    return rows


@pytest.fixture(scope="module")
def scan() -> ScanResult:
    return Scanner(load_catalog(), load_packs()).scan(
        ESTATE, Context(country="US"), display_name="examples/estate"
    )


def test_the_scan_gives_exactly_the_listed_assets_and_verdicts(scan: ScanResult) -> None:
    verdicts = {d.asset_id: d.verdict for d in scan.decisions}
    got = {(a.kind, a.name): verdicts[a.id] for a in scan.assets if not mention_only(a)}
    want = {key: verdict for key, (verdict, _) in _rows().items()}
    assert got == want


def test_each_asset_is_used_in_the_listed_files(scan: ScanResult) -> None:
    by_key = {(a.kind, a.name): a for a in scan.assets}
    for key, (_, files) in _rows().items():
        used = {u.location.path for u in by_key[key].usages if u.strength != "C"}
        assert set(files) <= used, (key, sorted(used))


def test_mention_only_assets_are_the_listed_ones(scan: ScanResult) -> None:
    assert sorted(a.name for a in scan.assets if mention_only(a)) == sorted(
        _ticked(_section("expected-mentions"))
    )


def test_traps_give_only_mentions(scan: ScanResult) -> None:
    traps = set(_ticked(_section("expected-traps")))
    for path in traps:
        assert (ESTATE / path).is_file(), path
    strong = {e.location.path for e in scan.evidence if e.strength != "C"}
    prc_strong = {
        u.location.path
        for a in scan.assets
        if "CN" in a.provenance.jurisdictions
        for u in a.usages
        if u.strength != "C"
    }
    assert not traps & prc_strong, traps & prc_strong
    # the analytics traps name Spark, GLM and minimax: nothing PRC at all, only the openai dependency
    assert {
        p
        for p in strong
        if p.startswith("services/analytics/") and not p.endswith(("pyproject.toml", ".lock"))
    } == set()
