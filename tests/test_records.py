"""Typed, immutable records: frozen all the way down, unknown fields rejected when read, ids recomputed and
independent of how the target path was typed."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest

from tierguard.errors import PolicyError
from tierguard.model import (
    Asset,
    Context,
    DeviceDetails,
    Evidence,
    Finding,
    Location,
    ModelDetails,
    RecordError,
    ScanResult,
    StrMap,
)
from tierguard.policy.context import resolve_context
from tierguard.scanner import Scanner, ScanOptions

NO_POLICY = ScanOptions(policy=False)


def _ev(**kw: object) -> Evidence:
    base: dict[str, object] = {
        "detector": "d",
        "kind": "endpoint",
        "value": "api.deepseek.com",
        "strength": "A",
        "location": Location(path="a.py", line=3),
    }
    base.update(kw)
    return Evidence(**base)  # type: ignore[arg-type]


def test_records_are_frozen() -> None:
    ev = _ev()
    with pytest.raises(AttributeError):
        ev.value = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        ev.location.path = "b.py"  # type: ignore[misc]


def test_maps_inside_records_refuse_mutation() -> None:
    src = {"producer": "deepseek"}
    ev = _ev(refs=src, attributes={"use_mode": "hosted-api"})
    src["producer"] = "changed"  # the record took a copy
    assert ev.refs["producer"] == "deepseek"
    for m in (ev.refs, ev.attributes):
        assert isinstance(m, StrMap)
        with pytest.raises(TypeError):
            m["x"] = "y"
        with pytest.raises(TypeError):
            m.update({"x": "y"})
        with pytest.raises(TypeError):
            del m[next(iter(m))]
        with pytest.raises(TypeError):
            m.pop(next(iter(m)))
    f = Finding(rule_id="R", severity="high", message="m", location=Location(path="p"), attributes={"a": "b"})
    with pytest.raises(TypeError):
        f.attributes["a"] = "c"
    d = DeviceDetails(host="h", ids={"vendor_id": "19e5"})
    with pytest.raises(TypeError):
        d.ids.setdefault("x", "y")
    assert copy.deepcopy(d) == d


def test_sequences_are_tuples() -> None:
    a = Asset(kind="ai-model", name="m", evidence=[_ev()])  # type: ignore[arg-type]
    r = ScanResult.model_validate_json(
        ScanResult(tool_version="t", catalog_version="c", target="x", assets=(a,)).model_dump_json()
    )
    assert isinstance(r.assets, tuple) and isinstance(r.assets[0].evidence, tuple)
    assert isinstance(r.assets[0].evidence[0].refs, StrMap)


def test_details_are_typed_per_kind() -> None:
    a = Asset(kind="ai-model", name="m", details=ModelDetails(format="gguf", bytes_read=12))
    doc = a.model_dump()
    assert doc["details"] == {"type": "model", "format": "gguf", "bytes_read": 12}
    with pytest.raises(RecordError):
        Asset.model_validate({**doc, "details": {"type": "model", "bytes_read": "12"}})
    with pytest.raises(RecordError):
        Asset.model_validate({**doc, "details": {"type": "nonsense"}})


def test_unknown_fields_are_rejected_when_read() -> None:
    doc = ScanResult(tool_version="t", catalog_version="c", target="x").model_dump()
    ScanResult.model_validate(doc)
    with pytest.raises(RecordError, match="unknown field"):
        ScanResult.model_validate({**doc, "extra": 1})
    ev = _ev().model_dump()
    with pytest.raises(RecordError, match="unknown field"):
        Evidence.model_validate({**ev, "location": {**ev["location"], "lines": 3}})


def test_ids_are_recomputed_never_trusted() -> None:
    ev = _ev()
    doc = ev.model_dump()
    doc["id"] = "ev-0000000000000000"
    assert Evidence.model_validate(doc).id == ev.id
    moved = ev.model_copy(update={"location": Location(path="a.py", line=99)})
    assert moved.id == ev.id  # line numbers are not identity
    other = ev.model_copy(update={"location": Location(path="b.py", line=3)})
    assert other.id != ev.id


def test_finding_subject_is_identity() -> None:
    loc = Location(path="m.pkl")
    a = Finding(rule_id="TG-PKL-001", severity="critical", message="one", location=loc, subject="os.system")
    b = Finding(rule_id="TG-PKL-001", severity="critical", message="two", location=loc, subject="os.system")
    c = Finding(
        rule_id="TG-PKL-001", severity="critical", message="one", location=loc, subject="posix.system"
    )
    assert a.id == b.id != c.id


def _ids(result: ScanResult) -> tuple[set[str], set[str]]:
    return {e.id for e in result.evidence}, {a.id for a in result.assets}


def test_ids_do_not_depend_on_how_the_path_was_typed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "app.py").write_text('BASE = "https://api.deepseek.com/v1"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    scanner = Scanner(packs=())
    spellings = [Path("repo"), Path("./repo"), Path("repo/"), repo, Path("repo/src/..")]
    results = [_ids(scanner.scan(p, Context(), options=NO_POLICY)) for p in spellings]
    assert results[0][0], "the endpoint must be found"
    assert all(r == results[0] for r in results)
    os.symlink(repo, tmp_path / "link")
    assert _ids(scanner.scan(Path("link"), Context(), options=NO_POLICY)) == results[0]
    # a single file target: its path is its name, however it was typed
    one = [_ids(scanner.scan(p, Context(), options=NO_POLICY)) for p in
           (Path("repo/src/app.py"), repo / "src" / "app.py", Path("./repo/src/app.py"))]  # fmt: skip
    assert all(r == one[0] for r in one) and one[0][0]


def test_unknown_config_fields_are_rejected(tmp_path: Path) -> None:
    cfg = tmp_path / "tg.toml"
    cfg.write_text('[contxt]\ncountry = "GB"\n', encoding="utf-8")
    with pytest.raises(PolicyError, match="unknown field.*contxt"):
        resolve_context(root=None, config=cfg, profile=None, overrides={})


def test_explain_refuses_a_schema_1_result(tmp_path: Path) -> None:
    from tierguard.cli.policy_cmd import load_result

    old = tmp_path / "old.json"
    old.write_text(json.dumps({"schema_version": "1.0.0", "tool_version": "0.1.0"}), encoding="utf-8")
    with pytest.raises(PolicyError, match="schema 1.x scan result"):
        load_result(old)
