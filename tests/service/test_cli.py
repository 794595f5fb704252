"""``tierguard serve`` as a user runs it: refusals are exit 2 with one line on stderr (no traceback), and a
real server answers over HTTP with auth enforced."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.service.conftest import READ, WRITE, Demo, start_server, stop_server


def serve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TIERGUARD_")}
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "tierguard", "serve", *args],
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "args, env, message",
    [
        ((), {}, "no token configured"),
        (("--insecure-local", "--host", "0.0.0.0"), {}, "refusing --host 0.0.0.0"),
        (("--insecure-local", "--host", "::"), {}, "loopback only"),
        ((), {"TIERGUARD_READ_TOKEN": "short"}, "shorter than 16"),
        (("--config", "/nonexistent/tierguard.toml"), {"TIERGUARD_READ_TOKEN": READ}, "cannot read"),
    ],
)
def test_refusals_are_exit_2_with_one_line(args: tuple[str, ...], env: dict[str, str], message: str) -> None:
    r = serve(*args, env=env)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert message in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_a_store_that_cannot_be_opened_is_exit_2(tmp_path: Path) -> None:
    r = serve("--store", f"sqlite:///{tmp_path}/missing-dir/x.db", env={"TIERGUARD_READ_TOKEN": READ})
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr


def test_a_real_server_enforces_tokens(demo: Demo, tmp_path: Path) -> None:
    proc, base = start_server(demo.copy_db(tmp_path))
    try:
        assert httpx.get(f"{base}/api/v1/targets").status_code == 401
        ok = httpx.get(f"{base}/api/v1/targets", headers={"Authorization": f"Bearer {READ}"})
        assert ok.status_code == 200 and ok.json()["total"] == 2
        r = httpx.post(
            f"{base}/api/v1/scans", json={"target": "x"}, headers={"Authorization": f"Bearer {READ}"}
        )
        assert r.status_code == 403
        r = httpx.post(
            f"{base}/api/v1/scans", json={"target": "x"}, headers={"Authorization": f"Bearer {WRITE}"}
        )
        assert r.status_code == 404  # no estate file: nothing can be scanned
        assert "server" not in ok.headers  # no server banner
    finally:
        stop_server(proc)


def test_insecure_local_serves_on_loopback_without_tokens(demo: Demo, tmp_path: Path) -> None:
    proc, base = start_server(demo.copy_db(tmp_path), "--insecure-local", env={})
    try:
        assert base.startswith("http://127.0.0.1:")
        assert httpx.get(f"{base}/api/v1/targets").status_code == 200
    finally:
        stop_server(proc)


def test_a_port_in_use_is_exit_2_with_one_line() -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        r = serve("--port", str(port), env={"TIERGUARD_READ_TOKEN": READ})
    assert r.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
