"""Auth: bearer read/write tokens compared in constant time, 401/403 with the right headers, the dashboard's
session cookie, and the settings the server refuses to start with."""

from __future__ import annotations

import hmac
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.service.conftest import READ, WRITE, Demo, auth, settings
from tierguard.service.app import create_app
from tierguard.service.auth import SESSION_COOKIE
from tierguard.service.settings import ServiceConfigError, check, load_settings

READ_ENDPOINTS = [
    "/api/v1/targets",
    "/api/v1/scans",
    "/api/v1/scans/latest",
    "/api/v1/assets",
    "/api/v1/decisions",
    "/api/v1/findings",
    "/api/v1/trend",
    "/api/v1/diff",
    "/api/v1/explain?asset=deepseek-coder",
    "/api/v1/jobs/" + "0" * 32,
]


@pytest.mark.parametrize("path", READ_ENDPOINTS)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer wrong-token-0123456789"},
        {"Authorization": f"Basic {READ}"},
        {"Authorization": f"Bearer {READ}x"},
        {"Authorization": f"Bearer {READ[:-1]}"},
    ],
    ids=["none", "empty", "wrong", "basic", "longer", "prefix"],
)
def test_missing_or_wrong_token_is_401_with_www_authenticate(
    client: TestClient, path: str, headers: dict[str, str]
) -> None:
    r = client.get(path, headers=headers)
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"] == "Bearer"
    assert "deepseek" not in r.text.lower()  # nothing from the store


@pytest.mark.parametrize("token", [READ, WRITE])
def test_read_and_write_tokens_both_read(client: TestClient, token: str) -> None:
    assert client.get("/api/v1/assets", headers=auth(token)).status_code == 200


def test_read_token_on_a_write_endpoint_is_403(client: TestClient) -> None:
    r = client.post("/api/v1/scans", json={"target": "northwind"}, headers=auth(READ))
    assert r.status_code == 403
    r = client.post("/api/v1/scans", json={"target": "northwind"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"


def test_tokens_are_compared_with_compare_digest(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert client.get("/api/v1/targets", headers=auth("nope-nope-nope-nope")).status_code == 401
    assert client.get("/api/v1/targets", headers=auth(READ)).status_code == 200
    # both configured tokens are compared on every request (no early exit that tells which came close)
    assert len(calls) == 4
    assert {b for _, b in calls} == {READ.encode(), WRITE.encode()}


def test_dashboard_login_sets_an_httponly_strict_cookie(demo: Demo, tmp_path: Path) -> None:
    app = create_app(settings(store=demo.copy_db(tmp_path)))
    with TestClient(app) as c:
        r = c.get("/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        bad = c.post("/login", data={"token": "wrong", "next": "/"}, follow_redirects=False)
        assert bad.status_code == 401 and SESSION_COOKIE not in bad.cookies
        ok = c.post("/login", data={"token": READ, "next": "/assets"}, follow_redirects=False)
        assert ok.status_code == 303 and ok.headers["location"] == "/assets"
        cookie = ok.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
        assert READ not in cookie  # an opaque session id, never the token
        assert c.get("/").status_code == 200
        # the cookie is for pages only: the API still wants a bearer token
        assert c.get("/api/v1/targets").status_code == 401
        c.post("/logout")
        assert c.get("/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    "nxt", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_login_never_redirects_off_site(demo: Demo, tmp_path: Path, nxt: str) -> None:
    with TestClient(create_app(settings(store=demo.copy_db(tmp_path)))) as c:
        r = c.post("/login", data={"token": READ, "next": nxt}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/"


def test_bearer_header_works_on_pages(client: TestClient) -> None:
    assert client.get("/", headers=auth(READ)).status_code == 200
    r = client.get("/", headers=auth("wrong-wrong-wrong-wrong"), follow_redirects=False)
    assert r.status_code == 303


def test_no_token_refuses_to_start() -> None:
    with pytest.raises(ServiceConfigError, match="no token configured"):
        load_settings(env={})


def test_insecure_local_binds_loopback_only() -> None:
    s = load_settings(env={}, overrides={"insecure_local": True})
    assert s.host == "127.0.0.1" and not s.auth_enabled
    assert load_settings(env={}, overrides={"insecure_local": True, "host": "::1"}).host == "::1"
    for host in ("0.0.0.0", "::", "192.168.1.10", "example.org"):
        with pytest.raises(ServiceConfigError, match="loopback only"):
            load_settings(env={}, overrides={"insecure_local": True, "host": host})


def test_insecure_local_without_tokens_serves_without_auth(demo: Demo, tmp_path: Path) -> None:
    s = load_settings(env={}, overrides={"insecure_local": True, "store": demo.copy_db(tmp_path)})
    with TestClient(create_app(s)) as c:
        assert c.get("/api/v1/targets").status_code == 200
        assert c.get("/").status_code == 200


def test_tokens_from_the_environment_and_config(tmp_path: Path) -> None:
    s = load_settings(env={"TIERGUARD_READ_TOKEN": READ})
    assert s.read_token == READ and s.write_token is None
    cfg = tmp_path / "tierguard.toml"
    cfg.write_text(f'[serve]\nwrite_token = "{WRITE}"\nmax_body_bytes = 2048\nport = 9000\n')
    s = load_settings(config=cfg, env={"TIERGUARD_READ_TOKEN": READ}, overrides={"port": 9001})
    assert (s.read_token, s.write_token, s.max_body_bytes, s.port) == (READ, WRITE, 2048, 9001)
    # the environment wins over the file
    s = load_settings(config=cfg, env={"TIERGUARD_WRITE_TOKEN": WRITE + "-env"})
    assert s.write_token == WRITE + "-env"


@pytest.mark.parametrize(
    "text, message",
    [
        ('[serve]\nread_tokn = "x"\n', "unknown field `read_tokn`"),
        ("[serve]\nport = 'eighty'\n", "Expected `int"),
        ("[serve]\nmax_body_bytes = 1\n", ">= 1024"),
        ("[serve\n", "not valid TOML"),
        ("serve = 3\n", "must be a table"),
    ],
)
def test_a_bad_serve_table_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    cfg = tmp_path / "tierguard.toml"
    cfg.write_text(text)
    with pytest.raises(ServiceConfigError, match=message) as err:
        load_settings(config=cfg, env={"TIERGUARD_READ_TOKEN": READ})
    assert str(cfg) in str(err.value) and "\n" not in str(err.value)


def test_weak_or_shared_tokens_are_refused() -> None:
    with pytest.raises(ServiceConfigError, match="shorter than 16"):
        check(settings(read_token="short"))
    with pytest.raises(ServiceConfigError, match="the same"):
        check(settings(read_token=READ, write_token=READ))
    with pytest.raises(ServiceConfigError, match="spaces or control"):
        check(settings(read_token="tab\there-0123456789"))
