"""Alembic environment: migrates the connection :func:`tierguard.store.sql.migrate` passes in
``config.attributes["connection"]`` (online only; there is no offline SQL generation)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from tierguard.store.tables import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):  # pragma: no cover - only reachable through the alembic CLI
    raise RuntimeError("tierguard's store migrations run through tierguard.store.open_store")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
