"""Tests of tierguard.store (SQLite and PostgreSQL)."""
