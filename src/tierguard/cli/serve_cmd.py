"""``tierguard serve``: the HTTP API and dashboard over the store (FastAPI on uvicorn; the ``serve`` extra).

Refuses to start (exit 2, one line) without a token unless ``--insecure-local``, which serves on loopback
only. See docs/service.md.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated

import typer

from tierguard.errors import TierguardError

Host = Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1; \\[serve] host).")]
Port = Annotated[int | None, typer.Option(help="Port (default 8787; \\[serve] port).", min=0, max=65535)]
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
        help="tierguard.toml: \\[estate] targets the API may scan, \\[serve] tokens and limits.",
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
        sock = _bind(settings.host, settings.port)
        typer.echo(
            f"tierguard serve: http://{_url_host(settings.host)}:{sock.getsockname()[1]}/ "
            f"(store {web.state.store.url})"
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
        uvicorn.Server(config_).run(sockets=[sock])


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so a port in use or a bad address is one line (exit 2), not
    uvicorn's log and exit 1."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, addr = infos[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(addr)
        sock.listen(2048)
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock
