"""The ORM tables and the Alembic migrations describe the same schema (on SQLite and PostgreSQL); where a
store lives (URL, ``TIERGUARD_STORE``, the per-user default)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from tierguard.store import StoreError, open_store
from tierguard.store.schema import HEAD, alembic_config
from tierguard.store.tables import Base
from tierguard.store.urls import ENV_VAR, resolve


def test_migrations_create_exactly_the_orm_schema(store_url: str) -> None:
    open_store(store_url).close()  # migrates an empty database to head
    engine = create_engine(store_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(ctx, Base.metadata) == []
            assert ctx.get_current_revision() == HEAD
            names = set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert set(Base.metadata.tables) | {"alembic_version"} == names


def test_head_constant_is_the_newest_migration() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    assert scripts.get_heads() == [HEAD]


def test_store_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    url, default = resolve(None)
    assert default and url.database == str(tmp_path / "data" / "tierguard" / "tierguard.db")
    store = open_store()  # creates the per-user directory
    assert store.url == f"sqlite:///{tmp_path}/data/tierguard/tierguard.db"
    store.close()
    assert (tmp_path / "data" / "tierguard" / "tierguard.db").is_file()
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env.db"))
    store = open_store()
    assert store.url == f"sqlite:///{tmp_path}/env.db"
    store.close()
    assert open_store(f"sqlite:///{tmp_path}/x.db").url == f"sqlite:///{tmp_path}/x.db"
    assert resolve("postgresql://u:pw@h/db")[0].drivername == "postgresql+psycopg"
    assert open_store("sqlite://").scans().total == 0  # in memory
    with pytest.raises(StoreError, match="not a store URL"):
        open_store("sqlite:relative.db")
