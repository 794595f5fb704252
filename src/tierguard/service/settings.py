"""Settings of ``tierguard serve``: the ``[serve]`` table of a ``tierguard.toml``, the environment
(``TIERGUARD_READ_TOKEN``, ``TIERGUARD_WRITE_TOKEN``) and command-line options, in rising precedence.

The ``[estate]`` table of the same file belongs to :mod:`tierguard.execute` (it is read there); this module
reads ``[serve]`` only and ignores the rest of the file.

Refusals (each a :class:`ServiceConfigError`, one line, exit 2 from the CLI):
- no token configured and not ``insecure_local``;
- ``insecure_local`` with a host other than a loopback address;
- a token shorter than :data:`MIN_TOKEN_LENGTH` characters, or the same token for read and write;
- an unknown key or a wrongly typed value in ``[serve]``.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import msgspec

from tierguard.errors import TierguardError
from tierguard.formats.source import read_capped

MIN_TOKEN_LENGTH = 16
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
MAX_CONFIG_BYTES = 1 << 20


class ServiceConfigError(TierguardError):
    """``tierguard serve`` cannot start with this configuration (one line: what, and what to do)."""


class ServeTable(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The ``[serve]`` table. Every key is optional."""

    host: str | None = None
    port: Annotated[int, msgspec.Meta(ge=0, le=65535)] | None = None
    store: str | None = None
    read_token: str | None = None
    write_token: str | None = None
    max_body_bytes: Annotated[int, msgspec.Meta(ge=1024, le=16 << 20)] | None = None
    request_timeout: Annotated[float, msgspec.Meta(gt=0, le=3600)] | None = None
    max_page: Annotated[int, msgspec.Meta(ge=1, le=1000)] | None = None  # the store returns at most 1,000
    max_jobs: Annotated[int, msgspec.Meta(ge=1, le=1000)] | None = None
    session_hours: Annotated[float, msgspec.Meta(gt=0, le=24 * 30)] | None = None


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything :func:`tierguard.service.app.create_app` needs. ``estate_config`` is the tierguard.toml
    whose ``[estate]`` targets ``POST /api/v1/scans`` may start (None: starting scans is disabled)."""

    host: str = "127.0.0.1"
    port: int = 8787
    store: str | None = None  # store URL; None = the default store
    estate_config: Path | None = None
    read_token: str | None = None
    write_token: str | None = None
    insecure_local: bool = False
    max_body_bytes: int = 64 * 1024
    request_timeout: float = 30.0
    max_page: int = 500
    max_jobs: int = 100  # jobs kept in memory (finished ones are forgotten oldest first)
    session_hours: float = 8.0

    @property
    def auth_enabled(self) -> bool:
        return bool(self.read_token or self.write_token)


def read_serve_table(path: Path) -> ServeTable:
    """The ``[serve]`` table of ``path`` (an empty table when the file has none)."""
    try:
        raw = read_capped(path, MAX_CONFIG_BYTES)
    except OSError as exc:
        raise ServiceConfigError(f"{path}: cannot read the configuration ({exc.strerror or exc})") from None
    if raw is None:
        raise ServiceConfigError(f"{path}: configuration larger than {MAX_CONFIG_BYTES} bytes")
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ServiceConfigError(f"{path}: not valid TOML ({exc})") from None
    table = doc.get("serve", {})
    if not isinstance(table, dict):
        raise ServiceConfigError(f"{path}: [serve] must be a table")
    try:
        return msgspec.convert(table, ServeTable)
    except msgspec.ValidationError as exc:
        raise ServiceConfigError(f"{path}: [serve]: {exc}") from None


def load_settings(
    *,
    config: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Settings from ``config``'s ``[serve]``, then ``env`` (default ``os.environ``), then ``overrides``
    (command-line options that were given; None values are ignored), checked by :func:`check`."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    if config is not None:
        table = read_serve_table(config)
        values.update({k: v for k, v in msgspec.structs.asdict(table).items() if v is not None})
        values["estate_config"] = config
    for var, key in (("TIERGUARD_READ_TOKEN", "read_token"), ("TIERGUARD_WRITE_TOKEN", "write_token")):
        if env.get(var):
            values[key] = env[var]
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return check(Settings(**values))


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check(settings: Settings) -> Settings:
    """The refusals listed in the module docstring; returns ``settings`` unchanged when it may start."""
    for name in ("read_token", "write_token"):
        token = getattr(settings, name)
        if token is not None and len(token) < MIN_TOKEN_LENGTH:
            raise ServiceConfigError(
                f"the {name.replace('_', ' ')} is shorter than {MIN_TOKEN_LENGTH} characters "
                "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        if token is not None and (not token.isprintable() or any(c.isspace() for c in token)):
            raise ServiceConfigError(f"the {name.replace('_', ' ')} holds spaces or control characters")
    if settings.read_token and settings.read_token == settings.write_token:
        raise ServiceConfigError("the read token and the write token are the same; use two tokens")
    if settings.insecure_local:
        if not is_loopback(settings.host):
            raise ServiceConfigError(
                f"--insecure-local serves without tokens on loopback only; refusing --host {settings.host}"
            )
    elif not settings.auth_enabled:
        raise ServiceConfigError(
            "no token configured: set TIERGUARD_READ_TOKEN and/or TIERGUARD_WRITE_TOKEN (or [serve] "
            "read_token/write_token in --config), or use --insecure-local to serve on 127.0.0.1 without auth"
        )
    return settings
