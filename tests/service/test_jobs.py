"""``POST /api/v1/scans``: scans a target of the server's estate file by name (never a path), through
tierguard.execute in a worker process, and records it in the real store."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.service.conftest import READ, WRITE, Demo, auth, settings
from tierguard.execute import EstateError
from tierguard.service.app import create_app


def estate_file(tmp_path: Path, demo: Demo) -> Path:
    cfg = tmp_path / "tierguard.toml"
    cfg.write_text(
        f"""[estate]
name = "northwind-estate"
[estate.context]
country = "US"

[[estate.targets]]
name = "assistant"
path = "{demo.tree / "services" / "assistant"}"
owner = "assistant-team@example.com"

[[estate.targets]]
name = "gone"
path = "{tmp_path / "does-not-exist"}"
owner = "nobody@example.com"
"""
    )
    return cfg


def wait_job(c: TestClient, job_id: str, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = c.get(f"/api/v1/jobs/{job_id}", headers=auth(READ)).json()
        if job["status"] in ("done", "error"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")


@pytest.fixture
def estate_client(demo: Demo, tmp_path: Path) -> Any:
    s = settings(store=demo.copy_db(tmp_path), estate_config=estate_file(tmp_path, demo))
    with TestClient(create_app(s)) as c:
        yield c


def test_a_configured_target_is_scanned_and_recorded(estate_client: TestClient) -> None:
    c = estate_client
    r = c.post("/api/v1/scans", json={"target": "assistant"}, headers=auth(WRITE))
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] in ("queued", "running") and job["target"] == "assistant"
    done = wait_job(c, job["id"])
    assert done["status"] == "done", done
    scan = c.get(f"/api/v1/scans/{done['scan_id']}", headers=auth(READ)).json()
    assert scan["scan"]["target"] == "assistant"
    assert scan["scan"]["estate"] == "northwind-estate"
    assert scan["scan"]["owner"] == "assistant-team@example.com"
    assert scan["scan"]["revision"].startswith("api:")
    assert scan["scan"]["worst_verdict"] == "deny"  # the assistant calls DeepSeek's API
    listed = c.get("/api/v1/scans", params={"estate": "northwind-estate"}, headers=auth(READ)).json()
    assert [s["id"] for s in listed["items"]] == [done["scan_id"]]


def test_a_target_that_cannot_be_scanned_is_a_recorded_error(estate_client: TestClient) -> None:
    c = estate_client
    job = c.post("/api/v1/scans", json={"target": "gone"}, headers=auth(WRITE)).json()
    done = wait_job(c, job["id"])
    assert done["status"] == "error" and "does not exist" in done["error"]
    scans = c.get("/api/v1/scans", params={"target": "gone"}, headers=auth(READ)).json()["items"]
    assert scans and scans[0]["status"] == "error"


@pytest.mark.parametrize(
    "target",
    ["unknown", "../estate", "/etc", "/tmp", "assistant/..", "ASSISTANT", "assistant "],
)
def test_only_configured_names_are_accepted(estate_client: TestClient, target: str) -> None:
    r = estate_client.post("/api/v1/scans", json={"target": target}, headers=auth(WRITE))
    assert r.status_code == 404, r.text
    assert estate_client.get("/api/v1/scans", headers=auth(READ)).json()["total"] == 3  # nothing new


def test_without_an_estate_file_no_scan_can_start(client: TestClient) -> None:
    r = client.post("/api/v1/scans", json={"target": "northwind"}, headers=auth(WRITE))
    assert r.status_code == 404 and "estate file" in r.json()["detail"]


def test_unknown_job_is_404(estate_client: TestClient) -> None:
    assert estate_client.get("/api/v1/jobs/" + "a" * 32, headers=auth(READ)).status_code == 404
    assert estate_client.get("/api/v1/jobs/../../etc", headers=auth(READ)).status_code in (404, 422)


def test_a_malformed_estate_file_stops_the_server_from_starting(demo: Demo, tmp_path: Path) -> None:
    cfg = tmp_path / "tierguard.toml"
    cfg.write_text('[estate]\nname = "x"\n[[estate.targets]]\nname = "a"\npth = "."\n')
    with pytest.raises(EstateError, match="pth"):
        create_app(settings(store=demo.copy_db(tmp_path), estate_config=cfg))


def test_one_file_holds_the_estate_and_the_serve_table(demo: Demo, tmp_path: Path) -> None:
    from tierguard.service.settings import load_settings

    cfg = estate_file(tmp_path, demo)
    cfg.write_text(cfg.read_text() + f'\n[serve]\nread_token = "{READ}"\nport = 9100\n')
    s = load_settings(config=cfg, env={}, overrides={"store": demo.copy_db(tmp_path)})
    assert s.port == 9100 and s.estate_config == cfg
    with TestClient(create_app(s)) as c:
        assert c.get("/api/v1/targets", headers=auth(READ)).status_code == 200
