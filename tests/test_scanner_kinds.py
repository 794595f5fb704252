"""The listing sniffs each file once and shares its format with the identify and inspect stages; their
results must be exactly those of each stage reading and sniffing every file itself."""

from __future__ import annotations

import json
from pathlib import Path

from tests.inspect.inspect_builders import make_zip, stack_global, torch_data_pkl
from tierguard.catalog import load_catalog
from tierguard.identify.artifacts import identify_artifacts
from tierguard.inspect.engine import inspect_target
from tierguard.scanner import _Listed
from tierguard.targets.directory import DirectoryResolver


def test_recorded_kinds_give_the_same_inspection(tmp_path: Path) -> None:
    (tmp_path / "evil.pkl").write_bytes(stack_global("os", "system", "id"))
    (tmp_path / "model.pt").write_bytes(make_zip({"archive/data.pkl": torch_data_pkl(2)}))
    (tmp_path / "config.json").write_text(json.dumps({"auto_map": {"AutoModel": "modeling_x.M"}}))
    (tmp_path / "modeling_x.py").write_text("import subprocess\nsubprocess.run(['curl', 'x'])\n")
    (tmp_path / "app.py").write_text("print('hello')\n")
    (tmp_path / "tiny").write_bytes(b"\x80\x04")

    plain = inspect_target(DirectoryResolver(tmp_path))
    listed = _Listed(DirectoryResolver(tmp_path))
    list(listed.files())
    assert ("evil.pkl", None) in listed.kinds and ("app.py", None) in listed.kinds
    shared = inspect_target(listed, kinds=listed.kinds)
    catalog = load_catalog()
    own = identify_artifacts(DirectoryResolver(tmp_path), catalog)
    given = identify_artifacts(listed, catalog, kinds=listed.kinds)
    assert [a.model_dump_json() for a in given.assets] == [a.model_dump_json() for a in own.assets]
    assert own.assets, "the PyTorch zip and the pickle are model artifacts"

    def dump(out: object) -> list[str]:
        items = [*out.inspections, *out.findings]  # type: ignore[attr-defined]
        return sorted(i.model_dump_json() for i in items)

    assert dump(shared) == dump(plain)
    assert {i.location.path for i in plain.inspections} >= {"evil.pkl", "model.pt", "config.json"}
