"""``tierguard serve``: the HTTP API and dashboard over the store (FastAPI on uvicorn; the ``serve`` extra).

Refuses to start (exit 2, one line) without a token unless ``--insecure-local``, which serves on loopback
only. See docs/service.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tierguard.errors import TierguardError

Host = Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1; [serve] host).")]
Port = Annotated[int | None, typer.Option(help="Port (default 8787; [serve] port).", min=0, max=65535)]
Store = Annotated[
    str | None,
    typer.Option(
        help="Store URL (sqlite:///file.db, postgresql+psycopg://...); default $TIERGUARD_STORE "
        "or the per-user store."
    ),
]
Config = Annotated[
    Path | None,
    typer.Option(
        help="tierguard.toml: [estate] targets the API may scan, [serve] tokens and limits.",
        exists=False,
        dir_okay=False,
    ),
]
InsecureLocal = Annotated[
    bool,
    typer.Option(
        "--insecure-local",
        help="Serve without tokens, on 127.0.0.1/::1 only (any other --host is refused).",
    ),
]
MaxBody = Annotated[int | None, typer.Option(help="Largest request body in bytes (default 65536).", min=1024)]
Timeout = Annotated[float | None, typer.Option(help="Request time limit in seconds (default 30).", min=0.1)]


class ServeError(TierguardError):
    """The server cannot start (missing extra, port in use)."""


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        host: Host = None,
        port: Port = None,
        store: Store = None,
        config: Config = None,
        insecure_local: InsecureLocal = False,
        max_body_bytes: MaxBody = None,
        request_timeout: Timeout = None,
    ) -> None:
        """Serve the REST API (/api/v1, OpenAPI at /docs) and the dashboard over the recorded scans."""
        from tierguard.service.settings import load_settings

        settings = load_settings(
            config=config,
            overrides={
                "host": host,
                "port": port,
                "store": store,
                "insecure_local": insecure_local or None,
                "max_body_bytes": max_body_bytes,
                "request_timeout": request_timeout,
            },
        )
        try:
            import uvicorn

            from tierguard.service.app import create_app
        except ImportError as exc:
            raise ServeError(
                f"tierguard serve needs the serve extra ({exc.name} is missing): "
                "pip install 'tierguard[serve]'"
            ) from None
        web = create_app(settings)
        typer.echo(
            f"tierguard serve: http://{settings.host}:{settings.port}/ (store {web.state.store.url})"
            + (" [insecure-local: no auth]" if not settings.auth_enabled else ""),
            err=True,
        )
        config_ = uvicorn.Config(
            web,
            host=settings.host,
            port=settings.port,
            log_level="warning",
            proxy_headers=True,
            forwarded_allow_ips="127.0.0.1",
            server_header=False,
        )
        server = uvicorn.Server(config_)
        server.run()
        if getattr(server, "started", True) is False:
            raise ServeError(f"could not listen on {settings.host}:{settings.port} (in use or not permitted)")
