"""``create_app(settings)``: the FastAPI app of ``tierguard serve`` (API under ``/api/v1``, dashboard at
``/``, OpenAPI at ``/openapi.json`` and ``/docs``, the vendored chart library under ``/static``).

Middleware, outermost first: security headers (CSP ``script-src 'self'``), the request time limit (504),
the request body limit (413). Errors: an ``HTTPException`` keeps its status; a store failure is 503 with its
one line; anything unexpected is a logged 500 with no detail (never a traceback to the client).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from tierguard import __version__
from tierguard.service import api, dashboard
from tierguard.service.auth import Sessions
from tierguard.service.cache import BlobCache, CachedStore
from tierguard.service.estate_jobs import EstateRunner
from tierguard.service.jobs import Jobs, TargetRunner
from tierguard.service.limits import BodyLimit, SecurityHeaders, TimeLimit
from tierguard.service.schemas import openapi
from tierguard.service.settings import Settings
from tierguard.store.interface import Store, StoreError

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("tierguard.service")

DESCRIPTION = """Recorded tierguard scans of an estate: targets, scans, assets, decisions, findings, diff and
explain; start a scan of a target configured on the server. Auth: `Authorization: Bearer <token>` (a read
token for GET, the write token for POST)."""


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    runner: TargetRunner | None = None,
    target_names: frozenset[str] | None = None,
) -> FastAPI:
    """The app. ``store`` defaults to ``open_store(settings.store)``; scans started over the API run
    ``runner`` (default: the targets of ``settings.estate_config`` through :mod:`tierguard.execute`)."""
    if store is None:
        from tierguard.store import open_store

        store = open_store(settings.store)
    store = CachedStore(store)
    if runner is None and settings.estate_config is not None:
        estate = EstateRunner(settings.estate_config, store)
        runner, target_names = estate.run, estate.names
    owned = store

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if app.state.jobs is not None:
            app.state.jobs.close()
        owned.close()

    app = FastAPI(
        title="tierguard",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.sessions = Sessions(settings.session_hours)
    app.state.diffs = BlobCache()
    app.state.jobs = Jobs(runner, keep=settings.max_jobs) if runner is not None else None
    app.state.target_names = target_names or frozenset()
    app.include_router(api.router(settings))
    app.include_router(dashboard.router(settings))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    def custom_openapi() -> dict[str, Any]:
        return openapi(app)

    app.openapi = custom_openapi  # type: ignore[method-assign]
    _handlers(app)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(TimeLimit, seconds=settings.request_timeout)
    app.add_middleware(SecurityHeaders)

    @app.get("/api/v1/health", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _handlers(app: FastAPI) -> None:
    async def store_error(request: Request, exc: Exception) -> Response:
        return JSONResponse({"detail": str(exc).splitlines()[0][:500]}, status_code=503)

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "internal error"}, status_code=500)

    handlers: dict[type[Exception], Callable[[Request, Exception], Any]] = {
        StoreError: store_error,
        Exception: unexpected,
    }
    for exc_type, handler in handlers.items():
        app.add_exception_handler(exc_type, handler)
