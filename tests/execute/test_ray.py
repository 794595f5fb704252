"""The Ray executor on a real local Ray with 2 CPUs: results recorded by the driver, a failing task retried
once then recorded as an error, a dead worker recorded, a missing target recorded. Skipped without Ray
(``pip install "tierguard[ray]"``)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from tierguard.execute import EstateEvent, TargetJob, load_estate, run_estate
from tierguard.store import Store, open_store

from .conftest import EstateWriter

ray: Any = pytest.importorskip("ray", reason="Ray is not installed (pip install 'tierguard[ray]')")


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield s
    s.close()


def hook(name: str, fault: str) -> Any:
    def replace(job: TargetJob) -> TargetJob:
        return msgspec.structs.replace(job, fault=fault) if job.name == name else job

    return replace


def recorded(store: Store, estate: str) -> dict[str, str]:
    return {
        r.target: r.status if r.status == "error" else str(r.worst_verdict)
        for r in store.scans(estate=estate, limit=100).items
    }


def test_ray_scans_and_the_driver_records(local_ray: None, write_estate: EstateWriter, store: Store) -> None:
    estate = load_estate(write_estate())
    run = run_estate(estate, store=store, executor="ray")
    assert recorded(store, estate.name) == {
        "assistant": "deny",
        "web": "deny",
        "gateway": "deny",
        "analytics": "allow",
    }
    assert run.errors == 0 and run.executor == "ray"
    (a,) = [t for t in run.rollup.targets if t.name == "assistant"]
    assert any("deepseek" in x.name.lower() for x in store.load(a.scan_id or 0).assets)


def test_a_failing_task_is_retried_then_recorded(
    local_ray: None, write_estate: EstateWriter, store: Store, tmp_path: Path
) -> None:
    estate = load_estate(write_estate())
    events: list[EstateEvent] = []
    run = run_estate(
        estate, store=store, executor="ray", job_hook=hook("gateway", "raise"), progress=events.append
    )
    assert recorded(store, estate.name)["gateway"] == "error"
    (gw,) = [t for t in run.rollup.targets if t.name == "gateway"]
    assert gw.error == "RuntimeError: injected crash scanning gateway" and gw.attempts == 2
    assert sum(t.status == "ok" for t in run.rollup.targets) == 3

    # the same failure once only: Ray's retry scans it
    estate2 = load_estate(write_estate(["web", "analytics"], name="second"))
    run2 = run_estate(estate2, store=store, executor="ray", job_hook=hook("web", f"once:{tmp_path / 'm'}"))
    assert (tmp_path / "m").exists() and run2.errors == 0
    assert recorded(store, "second") == {"web": "deny", "analytics": "allow"}


def test_a_dead_worker_and_a_missing_target_are_recorded(
    local_ray: None, write_estate: EstateWriter, store: Store
) -> None:
    estate = load_estate(write_estate(["assistant", "web", "gone"], paths={"gone": "targets/nope"}))
    run = run_estate(estate, store=store, executor="ray", job_hook=hook("web", "exit"))
    assert recorded(store, estate.name) == {"assistant": "deny", "web": "error", "gone": "error"}
    errors = {t.name: t.error for t in run.rollup.targets if t.status == "error"}
    assert errors["web"].startswith("Ray task failed: ")
    assert errors["gone"].startswith("target does not exist: ")


def test_the_cli_starts_and_stops_a_local_ray(write_estate: EstateWriter, tmp_path: Path) -> None:
    estate = write_estate(["assistant", "analytics"])
    argv = ["estate", "scan", "-c", str(estate), "--store", str(tmp_path / "s.db"), "--executor", "ray"]
    run = subprocess.run(
        [sys.executable, "-m", "tierguard", *argv, "--workers", "2", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"},
    )
    assert run.returncode == 1, run.stderr  # the assistant's DeepSeek call: deny
    assert '"executor": "ray"' in run.stdout and '"errors": 0' in run.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "tierguard", *argv, "--ray-address", "127.0.0.1:1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 2 and "cannot start Ray at 127.0.0.1:1" in bad.stderr, bad.stderr
    assert "Traceback" not in bad.stderr
