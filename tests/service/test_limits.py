"""Request limits and bad input: an oversized body is 413 (declared or streamed), malformed JSON and unknown
fields are 422, a slow request is 504, and nothing a client sends gives a 5xx. Security headers on every
answer."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.service.conftest import WRITE, Demo, auth, settings
from tierguard.service.app import create_app


def test_oversized_declared_body_is_413(client: TestClient) -> None:
    body = b'{"target": "' + b"x" * (70 * 1024) + b'"}'
    r = client.post(
        "/api/v1/scans", content=body, headers={**auth(WRITE), "Content-Type": "application/json"}
    )
    assert r.status_code == 413
    assert "larger than 65536" in r.json()["detail"]


def test_oversized_streamed_body_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer
        yield b'{"target": "'
        for _ in range(100):
            yield b"y" * 1024
        yield b'"}'

    r = client.post(
        "/api/v1/scans", content=chunks(), headers={**auth(WRITE), "Content-Type": "application/json"}
    )
    assert r.status_code == 413


def test_oversized_login_form_is_413(client: TestClient) -> None:
    r = client.post("/login", content=b"token=" + b"a" * 100_000)
    assert r.status_code == 413


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"[]",
        b'"northwind"',
        b"{}",
        b'{"target": 3}',
        b'{"target": ""}',
        b'{"target": "northwind", "path": "/etc"}',
        b'{"target": "a\\u0000b"}',
        b"\xff\xfe",
        b"null",
    ],
)
def test_malformed_scan_requests_are_422(client: TestClient, body: bytes) -> None:
    r = client.post(
        "/api/v1/scans", content=body, headers={**auth(WRITE), "Content-Type": "application/json"}
    )
    assert r.status_code == 422, (body, r.status_code, r.text)


def test_a_slow_request_is_504(demo: Demo, tmp_path: Path) -> None:
    app = create_app(settings(store=demo.copy_db(tmp_path), request_timeout=0.2))

    async def slow() -> dict[str, str]:
        await asyncio.sleep(3)
        return {"late": "yes"}

    app.add_api_route("/api/v1/slow-for-test", slow)
    with TestClient(app) as c:
        r = c.get("/api/v1/slow-for-test", headers=auth())
        assert r.status_code == 504 and "longer than 0.2 s" in r.json()["detail"]
        assert c.get("/api/v1/targets", headers=auth()).status_code == 200


def test_malformed_content_length_is_400_not_5xx(client: TestClient) -> None:
    r = client.post(
        "/api/v1/scans",
        content=b"{}",
        headers={**auth(WRITE), "Content-Type": "application/json", "Content-Length": "abc"},
    )
    assert 400 <= r.status_code < 500


@pytest.mark.parametrize(
    "path",
    ["/", "/login", "/api/v1/targets", "/static/dashboard.js", "/openapi.json", "/api/v1/nothing"],
)
def test_security_headers_on_every_answer(client: TestClient, path: str) -> None:
    r = client.get(path, headers=auth())
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert "server" not in r.headers or "uvicorn" not in r.headers["server"]


def test_unknown_paths_and_methods_are_4xx(client: TestClient) -> None:
    assert client.get("/api/v1/nothing", headers=auth()).status_code == 404
    assert client.delete("/api/v1/scans", headers=auth(WRITE)).status_code == 405
    assert client.put("/api/v1/targets", headers=auth(WRITE)).status_code == 405
    assert client.get("/static/../settings.py").status_code == 404
