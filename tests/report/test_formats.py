from __future__ import annotations

import ast
import json
from pathlib import Path

import tierguard.report as report
from tierguard.model import ScanResult
from tierguard.report import FORMATS


def test_formats_registry(result: ScanResult) -> None:
    assert set(FORMATS) == {"json", "sarif", "cyclonedx", "html", "table", "csv", "spdx"}
    for name, fn in FORMATS.items():
        out = fn(result)
        assert isinstance(out, str) and out, name
        if name in ("json", "sarif", "cyclonedx"):
            json.loads(out)


def test_reporters_are_pure_and_deterministic(result: ScanResult) -> None:
    for name, fn in FORMATS.items():
        assert fn(result) == fn(result), name


def test_reporters_never_import_the_engine() -> None:
    forbidden = (
        "tierguard.catalog",
        "tierguard.policy",
        "tierguard.discover",
        "tierguard.identify",
        "tierguard.inspect",
        "tierguard.targets",
        "tierguard.scanner",
        "tierguard.equipment",
    )
    root = Path(report.__file__).parent
    for py in root.rglob("*.py"):
        tree = ast.parse(py.read_text("utf-8"))
        for node in ast.walk(tree):
            mods: list[str] = []
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                mods = [node.module]
            for m in mods:
                assert not m.startswith(forbidden), f"{py.name} imports {m}"
