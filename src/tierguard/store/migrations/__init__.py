"""Alembic migrations of the store, shipped in the package and run by :func:`tierguard.store.open_store`
(no alembic.ini: the Config is built in code). ``versions/`` holds one module per schema revision."""
