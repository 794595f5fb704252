"""Fixtures of the store tests: two real scans of the demo estate (before and after adding a DeepSeek call and
an unsafe pickle) and a store per backend. ``store_url`` is parametrised over SQLite and PostgreSQL, so every
test taking it runs against both (PostgreSQL ones skip, with the reason, where the server cannot start)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg import pg_server, pg_url  # noqa: F401  (fixtures)
from tierguard.catalog import load_catalog
from tierguard.model import Context, ScanResult
from tierguard.policy.packs import load_packs
from tierguard.scanner import Scanner
from tierguard.store import Store, open_store

ROOT = Path(__file__).resolve().parents[2]
ESTATE = ROOT / "examples" / "estate"
TARGET = "examples/estate"
NEW_CALL = """from openai import OpenAI

client = OpenAI(base_url="https://api.deepseek.com", api_key="x")
reply = client.chat.completions.create(model="deepseek-chat", messages=[])
"""
# a pickle that would call os.system("ls") if it were loaded (it is only written and scanned, never loaded)
UNSAFE_PICKLE = b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02Rq\x03."


Pair = tuple[ScanResult, ScanResult]


def scan_tree(path: Path) -> ScanResult:
    return Scanner(load_catalog(), load_packs()).scan(path, Context(country="US"), display_name=TARGET)


@pytest.fixture(scope="session")
def before_after(tmp_path_factory: pytest.TempPathFactory) -> Pair:
    """The demo estate scanned as it is, then with a new DeepSeek API call and an unsafe pickle."""
    tree = tmp_path_factory.mktemp("estate") / "estate"
    shutil.copytree(ESTATE, tree)
    before = scan_tree(tree)
    (tree / "new_agent.py").write_text(NEW_CALL)
    (tree / "model.pkl").write_bytes(UNSAFE_PICKLE)
    after = scan_tree(tree)
    assert after.findings and not before.findings
    return before, after


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = open_store(store_url, timeout=1.0)
    try:
        yield s
    finally:
        s.close()
