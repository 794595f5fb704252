"""The records: one asset per catalog app, one usage per device and installed item, one evidence per usage;
stable ids; excerpts bounded and free of control characters."""

from __future__ import annotations

from pathlib import Path

from tests.apps.conftest import PROGRAM_DEEPSEEK, osquery_line, write_lines
from tierguard.apps import AppCatalog, read_apps


def test_records(tmp_path: Path, catalog: AppCatalog) -> None:
    evil = {**PROGRAM_DEEPSEEK, "uninstall_string": "C:\\x\u202e\x1b[31m" + "y" * 1000}
    lines = [osquery_line(f"w{i % 3}", "programs", [evil]) for i in range(9)]
    out = read_apps(write_lines(tmp_path / "f.log", lines), catalog=catalog)
    (ds,) = out.assets
    assert (ds.kind, ds.name, ds.use_mode, ds.parent) == ("ai-app", "DeepSeek (app)", "consumer-app", None)
    assert [u.host for u in ds.usages] == ["w0", "w1", "w2"]
    assert [u.count for u in ds.usages] == [3, 3, 3]
    assert len(ds.evidence) == 3 and len({e.id for e in ds.evidence}) == 3
    assert [e.id for e in ds.evidence] == [u.evidence for u in ds.usages]
    for e in ds.evidence:
        assert (e.detector, e.kind, e.strength) == ("apps", "installed-app", "A")
        assert e.refs["app"] == "deepseek" and e.refs["operator"] == "deepseek"
    for u in ds.usages:
        assert len(u.excerpt) <= 300
        assert not any(ord(c) < 32 or c == "\u202e" for c in u.excerpt)
    assert ds.provenance.service_operator is not None and ds.provenance.service_operator.role == "operator"
    # ids hash identity fields only: the same content read from another directory gives the same ids
    other = tmp_path / "sub"
    other.mkdir()
    again = read_apps(write_lines(other / "f.log", lines), catalog=catalog)
    assert again.assets[0].id == ds.id and [e.id for e in again.assets[0].evidence] == [
        e.id for e in ds.evidence
    ]


def test_apps_not_in_the_catalog_are_not_assets(tmp_path: Path, catalog: AppCatalog) -> None:
    rows = [
        {**PROGRAM_DEEPSEEK, "name": n, "publisher": "X"}
        for n in ("Notepad++", "DeepSeeker", "Spark", "Kimi Tools")
    ]
    out = read_apps(write_lines(tmp_path / "f.log", [osquery_line("w", "programs", rows)]), catalog=catalog)
    assert out.assets == () and out.rows == 4 and out.devices == 1
