"""Which store a URL names: ``None`` -> ``$TIERGUARD_STORE`` -> the per-user default SQLite file; a bare file
path or ``sqlite:///path`` is SQLite, ``postgresql[+psycopg]://...`` is PostgreSQL through psycopg 3. Every
URL shown to a user has its password masked (:func:`mask`)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from tierguard.store.interface import StoreError

ENV_VAR = "TIERGUARD_STORE"
DEFAULT_NAME = "tierguard.db"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@\s]*)@")


def default_path() -> Path:
    """``platformdirs.user_data_dir("tierguard")/tierguard.db``: ``~/.local/share/tierguard/tierguard.db`` on
    Linux (``$XDG_DATA_HOME`` when set), ``~/Library/Application Support/tierguard/`` on macOS,
    ``%LOCALAPPDATA%\\tierguard\\`` on Windows."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("tierguard", appauthor=False)) / DEFAULT_NAME


def mask(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@`` in it replaced by ``***``."""
    return _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)


def resolve(url: str | None) -> tuple[URL, bool]:
    """The SQLAlchemy URL of the store ``url`` names, and whether it is the default location."""
    if url is None or not url.strip():
        env = os.environ.get(ENV_VAR, "").strip()
        if env:
            return _parse(env), False
        return make_url(f"sqlite:///{default_path()}"), True
    return _parse(url.strip()), False


def _parse(text: str) -> URL:
    if not _SCHEME.match(text):
        if text.startswith("sqlite:"):
            raise StoreError(f"store {mask(text)}: not a store URL (sqlite:///PATH or a file path)")
        return make_url("sqlite:///" + str(Path(text).expanduser()))
    try:
        parsed = make_url(text)
    except ArgumentError as exc:
        raise StoreError(f"store {mask(text)}: not a store URL ({mask(str(exc))})") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        return parsed.set(drivername="sqlite")
    if backend in ("postgresql", "postgres") and driver in ("", "psycopg"):
        return parsed.set(drivername="postgresql+psycopg")
    raise StoreError(
        f"store {parsed.render_as_string(hide_password=True)}: unsupported (use sqlite:///PATH, a file path, "
        "or postgresql+psycopg://USER@HOST/DB)"
    )


def display(url: URL) -> str:
    """The URL as shown to users: password masked."""
    return url.render_as_string(hide_password=True)
