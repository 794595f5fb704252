"""Schema revisions: bring a store up to this tool's schema on open, refuse one written by a newer tierguard.

Alembic is imported only when the store is not already at :data:`HEAD` (a new store, or one written by an
older tierguard): opening an up-to-date store reads one row of ``alembic_version`` and nothing else.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from tierguard.store.interface import StoreError

if TYPE_CHECKING:
    from alembic.config import Config

HEAD = "0002"
"""The newest revision in ``migrations/versions`` (a test keeps them equal)."""
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"
MIGRATION_LOCK = 0x7469_6572  # PostgreSQL advisory lock key held while migrating ("tier")


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic Config built in code (no alembic.ini) pointing at the packaged migrations."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config())
    return {s.revision for s in scripts.walk_revisions()}


def current_revision(connection: Connection) -> str | None:
    """The store's revision (None: no schema yet)."""
    from sqlalchemy import inspect

    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(rows) > 1:
        raise StoreError(f"the store has {len(rows)} schema heads ({', '.join(sorted(rows))})")
    return rows[0] if rows else None


def migrate(engine: Engine, shown: str) -> None:
    """Upgrade the store at ``engine`` to :data:`HEAD`; :class:`StoreError` for a newer schema.

    Two processes opening a new store at once: the upgrade runs under the database's write lock (SQLite
    ``BEGIN IMMEDIATE``, a PostgreSQL transaction advisory lock) and re-reads the revision once it holds it,
    so the second one finds the schema in place instead of creating it again."""
    with engine.connect() as conn:
        rev = current_revision(conn)
        conn.rollback()
    if rev == HEAD:
        return
    _refuse_newer(rev, shown)
    from alembic import command

    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:  # driver errors: the caller turns them into one StoreError line
        if sqlite:
            conn.execution_options(tierguard_begin="IMMEDIATE")
            # a migration that copies a table (Alembic's batch mode on SQLite) drops the old one: with
            # foreign keys on, ON DELETE CASCADE would empty every child table. Off while migrating (it can
            # only change outside a transaction), checked before commit, on again after.
            _sqlite_foreign_keys(conn, on=False)
        try:
            with conn.begin():
                if engine.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
                rev = current_revision(conn)
                if rev == HEAD:
                    return
                _refuse_newer(rev, shown)
                command.upgrade(alembic_config(conn), "head")
                if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                    raise StoreError(f"store {shown}: the schema upgrade broke a reference; nothing changed")
        finally:
            if sqlite:
                _sqlite_foreign_keys(conn, on=True)


def _sqlite_foreign_keys(conn: Connection, *, on: bool) -> None:
    dbapi = conn.connection.dbapi_connection
    if dbapi is not None:
        dbapi.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")


def _refuse_newer(rev: str | None, shown: str) -> None:
    if rev is not None and rev not in known_revisions():
        raise StoreError(
            f"store {shown} was written by a newer tierguard (schema rev {rev}); upgrade tierguard"
        )
