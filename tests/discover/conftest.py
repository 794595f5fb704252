"""Discover fixtures: a fixed test catalog (the packaged one grows independently) and a scan helper."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from tierguard.catalog import Catalog, load_catalog
from tierguard.discover.engine import run_detectors
from tierguard.discover.interface import DiscoverOutput
from tierguard.discover.registry import DETECTORS
from tierguard.targets.memory import MemoryResolver

DATA = Path(__file__).parent / "data"
PRC = frozenset({"deepseek", "alibaba", "zhipu", "moonshot", "minimax", "iflytek", "01ai", "baai"})


@pytest.fixture(scope="session")
def tcat() -> Catalog:
    return load_catalog(DATA / "catalog")


def scan(files: Mapping[str, bytes | str], cat: Catalog, **kw: object) -> DiscoverOutput:
    return run_detectors(MemoryResolver(files), DETECTORS, cat, **kw)  # type: ignore[arg-type]


def prc_integrations(out: DiscoverOutput) -> list[tuple[str, str, str]]:
    """(kind, value, producer) of every A/B evidence naming a PRC producer."""
    return [
        (e.kind, e.value, e.refs.get("producer", ""))
        for e in out.evidence
        if e.strength in ("A", "B") and e.refs.get("producer") in PRC
    ]
