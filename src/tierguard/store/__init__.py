"""Recorded scans: :func:`open_store` returns a :class:`~tierguard.store.interface.Store` (the contract is in
:mod:`tierguard.store.interface`; the SQLAlchemy implementation in :mod:`tierguard.store.sql`).

``open_store(None)`` opens ``$TIERGUARD_STORE`` or, when that is unset, the per-user default SQLite file
(:func:`tierguard.store.urls.default_path`). See docs/store.md."""

from __future__ import annotations

from tierguard.store.interface import (
    AssetFilter,
    AssetRow,
    DecisionRow,
    FindingRow,
    Page,
    ScanRef,
    Store,
    StoreError,
    TargetRow,
    TrendPoint,
)

__all__ = [
    "AssetFilter",
    "AssetRow",
    "DecisionRow",
    "FindingRow",
    "Page",
    "ScanRef",
    "Store",
    "StoreError",
    "TargetRow",
    "TrendPoint",
    "open_store",
]


def open_store(url: str | None = None, *, timeout: float | None = None) -> Store:
    """Open (creating or migrating when needed) the store ``url`` names: ``sqlite:///PATH``, a file path, or
    ``postgresql+psycopg://USER[:PASSWORD]@HOST[:PORT]/DB`` (``?host=/socket/dir`` for a unix socket).
    ``timeout``: seconds a write waits for a locked SQLite file / a PostgreSQL connection (default 5).
    Raises :class:`StoreError` (one line, password masked) when it cannot be opened."""
    from tierguard.store.sql import DEFAULT_TIMEOUT, SqlStore
    from tierguard.store.urls import default_path, resolve

    parsed, is_default = resolve(url)
    if is_default:
        try:
            default_path().parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"store {parsed.render_as_string(hide_password=True)}: cannot create its directory "
                f"({exc.strerror or exc})"
            ) from None
    return SqlStore(parsed, timeout=DEFAULT_TIMEOUT if timeout is None else timeout)
