"""Fixtures of the service tests: a real SQLite store holding two real scans of the demo estate (before and
after adding a DeepSeek call), an app over it, tokens, and a server on a free loopback port for the browser
test. No fake store: every test reads what ``tierguard.scanner.Scanner`` produced and the store recorded."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="tierguard serve needs the serve extra (fastapi)")

from fastapi.testclient import TestClient  # noqa: E402

from tierguard.catalog import load_catalog  # noqa: E402
from tierguard.model import Context, ScanResult  # noqa: E402
from tierguard.policy.packs import load_packs  # noqa: E402
from tierguard.scanner import Scanner  # noqa: E402
from tierguard.service.app import create_app  # noqa: E402
from tierguard.service.settings import Settings  # noqa: E402
from tierguard.store import open_store  # noqa: E402
from tierguard.store.interface import ScanRef  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ESTATE = ROOT / "examples" / "estate"
TARGET = "northwind"
NEW_FILE = "services/assistant/new_agent.py"
NEW_CALL = """from openai import OpenAI

client = OpenAI(base_url="https://api.deepseek.com", api_key="x")
reply = client.chat.completions.create(model="deepseek-coder", messages=[])
"""
NEW_ASSET = "deepseek-coder"  # the new deny: line 4 of NEW_FILE
READ = "read-token-0123456789abcdef"
WRITE = "write-token-0123456789abcdef"


@dataclass(frozen=True)
class Demo:
    db: Path  # a SQLite store file holding the two scans (copy it before writing to it)
    tree: Path  # the demo tree as it is after the change
    before: ScanResult
    after: ScanResult
    old: ScanRef
    new: ScanRef

    def copy_db(self, dest: Path) -> str:
        target = dest / "store.db"
        shutil.copy(self.db, target)
        return f"sqlite:///{target}"


def scan_tree(path: Path) -> ScanResult:
    return Scanner(load_catalog(), load_packs()).scan(path, Context(country="US"), display_name=TARGET)


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    base = tmp_path_factory.mktemp("service-demo")
    tree = base / "estate"
    shutil.copytree(ESTATE, tree)
    before = scan_tree(tree)
    (tree / NEW_FILE).write_text(NEW_CALL)
    after = scan_tree(tree)
    db = base / "store.db"
    store = open_store(f"sqlite:///{db}")
    try:
        old = store.record(before, target=TARGET, owner="platform-team")
        new = store.record(after, target=TARGET, owner="platform-team")
        store.record_error("payments", "target does not exist: /srv/payments", owner="payments-team")
    finally:
        store.close()
    return Demo(db=db, tree=tree, before=before, after=after, old=old, new=new)


def settings(**kw: object) -> Settings:
    values: dict[str, object] = {"read_token": READ, "write_token": WRITE}
    values.update(kw)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def client(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A read-mostly app over a copy of the demo store (module scope: tests must not write to it)."""
    url = demo.copy_db(tmp_path_factory.mktemp("service-store"))
    app = create_app(settings(store=url))
    with TestClient(app) as c:
        yield c


def auth(token: str = READ) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# ---- a real server (uvicorn through `tierguard serve`) on a free loopback port --------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(store_url: str, *extra: str, env: dict[str, str] | None = None) -> tuple[object, str]:
    """``python -m tierguard serve`` on a free loopback port; returns (process, base URL) once it answers."""
    import os
    import subprocess
    import sys
    import time

    import httpx

    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TIERGUARD_")}
    full_env.update(
        env if env is not None else {"TIERGUARD_READ_TOKEN": READ, "TIERGUARD_WRITE_TOKEN": WRITE}
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "tierguard", "serve", "--port", str(port), "--store", store_url, *extra],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("server did not answer within 30 s")


def stop_server(proc: object) -> None:
    import subprocess

    assert isinstance(proc, subprocess.Popen)
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    """Keep each phase's report on the item, so fixtures can tell a failed test (browser screenshots)."""
    rep = yield
    setattr(item, f"rep_{rep.when}", rep)
    return rep
