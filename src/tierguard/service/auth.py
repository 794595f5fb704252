"""Bearer-token auth of the API and the dashboard.

- Two tokens: a read token (GET endpoints) and a write token (everything, including ``POST /api/v1/scans``).
  Tokens are compared with :func:`hmac.compare_digest`, against both configured tokens every time (no early
  exit that would tell which one came close).
- API: ``Authorization: Bearer <token>``. Missing or wrong -> 401 with ``WWW-Authenticate: Bearer``; a read
  token on a write endpoint -> 403.
- Dashboard: a login form (``POST /login``) takes a token and sets an opaque session cookie (``HttpOnly``,
  ``SameSite=Strict``, ``Path=/``, ``Secure`` when the request came over https); the session lives in the
  server's memory and expires after ``session_hours``. The cookie authenticates dashboard pages only, never
  the API (so a forged cross-site request cannot use it to start scans). A bearer header works on the
  dashboard too.
- ``--insecure-local`` with no token configured: every request has the write role (loopback only; see
  :mod:`tierguard.service.settings`).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from typing import Literal

from fastapi import HTTPException, Request

from tierguard.service.settings import Settings

Role = Literal["read", "write"]
SESSION_COOKIE = "tierguard_session"
MAX_SESSIONS = 10_000
_ROLE_ORDER = {"read": 0, "write": 1}


def _digest_eq(given: bytes, configured: str | None) -> bool:
    # a missing token is compared against a random value so both comparisons always run
    want = configured.encode("utf-8") if configured else secrets.token_bytes(32)
    return hmac.compare_digest(given, want) and configured is not None


def role_for(settings: Settings, token: str | None) -> Role | None:
    """The role ``token`` grants (None: no such token)."""
    if not settings.auth_enabled:
        return "write" if settings.insecure_local else None
    if not token:
        return None
    given = token.encode("utf-8", "surrogateescape")
    is_write = _digest_eq(given, settings.write_token)
    is_read = _digest_eq(given, settings.read_token)
    if is_write:
        return "write"
    return "read" if is_read else None


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


class Sessions:
    """Dashboard sessions: opaque random ids -> (role, expiry), in memory, bounded."""

    def __init__(self, hours: float) -> None:
        self._ttl = hours * 3600.0
        self._lock = threading.Lock()
        self._items: dict[str, tuple[Role, float]] = {}

    def create(self, role: Role) -> str:
        sid = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            if len(self._items) >= MAX_SESSIONS:
                self._items = {k: v for k, v in self._items.items() if v[1] > now}
                while len(self._items) >= MAX_SESSIONS:  # drop the oldest
                    self._items.pop(next(iter(self._items)))
            self._items[sid] = (role, now + self._ttl)
        return sid

    def role(self, sid: str | None) -> Role | None:
        if not sid:
            return None
        with self._lock:
            item = self._items.get(sid)
            if item is None:
                return None
            if item[1] <= time.monotonic():
                del self._items[sid]
                return None
            return item[0]

    def drop(self, sid: str | None) -> None:
        if sid:
            with self._lock:
                self._items.pop(sid, None)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def api_role(request: Request, needed: Role) -> Role:
    """The caller's role on an API endpoint that needs ``needed`` (raises 401/403)."""
    settings: Settings = request.app.state.settings
    token = bearer(request)
    role = role_for(settings, token)
    if role is None:
        raise _unauthorized("missing bearer token" if token is None else "invalid token")
    if _ROLE_ORDER[role] < _ROLE_ORDER[needed]:
        raise HTTPException(status_code=403, detail="this endpoint needs the write token")
    return role


def require_read(request: Request) -> Role:
    """FastAPI dependency of read endpoints."""
    return api_role(request, "read")


def require_write(request: Request) -> Role:
    """FastAPI dependency of write endpoints."""
    return api_role(request, "write")


def page_role(request: Request) -> Role | None:
    """The caller's role on a dashboard page: a bearer header or a session cookie (None: log in first)."""
    settings: Settings = request.app.state.settings
    if not settings.auth_enabled and settings.insecure_local:
        return "write"
    token = bearer(request)
    if token is not None:
        return role_for(settings, token)
    sessions: Sessions = request.app.state.sessions
    return sessions.role(request.cookies.get(SESSION_COOKIE))
