"""The store's tables (SQLAlchemy 2 typed ORM). ``migrations/versions`` must create exactly this schema:
``tests/store/test_schema.py`` diffs the two on SQLite and PostgreSQL.

- ``targets``: one row per target name; ``last_scan_id`` / ``last_ok_scan_id`` are kept by ``record`` in the
  same transaction, so "the latest ok scan of each target" is one indexed lookup, not a GROUP BY.
- ``scans``: one row per recorded scan or recorded target error, with its headline counts and the full
  ``ScanResult`` JSON document (``tierguard.report.json_report.render``), zlib-compressed.
- ``assets``, ``usages``, ``decisions``, ``decision_rules``, ``findings``: queryable rows of one scan.
  Asset ids are the result's stable ids, so one asset has one id across scans.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class TargetTable(Base):
    __tablename__ = "targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    owner: Mapped[str | None] = mapped_column(Text)
    # plain integers, not foreign keys: scans reference targets, and a cycle of foreign keys would make
    # inserting either row need the other first
    last_scan_id: Mapped[int | None] = mapped_column(Integer)
    last_ok_scan_id: Mapped[int | None] = mapped_column(Integer, index=True)


class ScanTable(Base):
    __tablename__ = "scans"
    __table_args__ = (
        Index(None, "target_id", "status", "id"),
        Index(None, "estate", "revision", "status"),
        Index(None, "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(8))
    error: Mapped[str] = mapped_column(Text, default="")
    estate: Mapped[str | None] = mapped_column(Text)
    revision: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(Text)
    command: Mapped[str] = mapped_column(String(16))
    started: Mapped[str] = mapped_column(String(40))
    finished: Mapped[str] = mapped_column(String(40))
    recorded: Mapped[str] = mapped_column(String(40))
    worst_verdict: Mapped[str | None] = mapped_column(String(8))
    assets: Mapped[int] = mapped_column(Integer, default=0)
    decided: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))  # assets decided
    denies: Mapped[int] = mapped_column(Integer, default=0)
    reviews: Mapped[int] = mapped_column(Integer, default=0)
    findings: Mapped[int] = mapped_column(Integer, default=0)
    schema_version: Mapped[str] = mapped_column(String(16), default="")
    codec: Mapped[str] = mapped_column(String(8), default="")  # "zlib" (document), "" for an error
    document: Mapped[bytes | None] = mapped_column(LargeBinary)


class AssetTable(Base):
    __tablename__ = "assets"
    __table_args__ = (
        Index(None, "scan_id", "asset_id"),
        Index(None, "scan_id", "kind", "verdict"),  # each filter index ends in verdict: a verdict or
        Index(None, "scan_id", "verdict"),
        Index(None, "scan_id", "producer", "verdict"),  # "decided" beside it is counted from the index
        Index(None, "scan_id", "jurisdiction", "verdict"),
        Index(
            None, "scan_id", "service_jurisdiction", "jurisdiction", "verdict"
        ),  # "operator's, not producer's"
        Index(None, "scan_id", "search"),  # covers the name substring filter: no table rows read
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"))
    asset_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(Text)
    search: Mapped[str] = mapped_column(Text)  # the name lower-cased (Python's str.lower): LIKE, not ILIKE
    use_mode: Mapped[str] = mapped_column(String(32))
    producer: Mapped[str | None] = mapped_column(Text)
    jurisdiction: Mapped[str | None] = mapped_column(String(8))
    service_jurisdiction: Mapped[str | None] = mapped_column(String(8))
    verdict: Mapped[str | None] = mapped_column(String(8))
    usages: Mapped[int] = mapped_column(Integer, default=0)


class UsageTable(Base):
    __tablename__ = "usages"
    __table_args__ = (Index(None, "scan_id", "asset_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"))
    asset_id: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)
    line: Mapped[int | None] = mapped_column(Integer)
    use_mode: Mapped[str] = mapped_column(String(32))
    strength: Mapped[str] = mapped_column(String(1))
    service: Mapped[str | None] = mapped_column(Text)
    service_jurisdiction: Mapped[str | None] = mapped_column(String(8))
    host: Mapped[str | None] = mapped_column(Text)
    user: Mapped[str | None] = mapped_column(Text)


class DecisionTable(Base):
    __tablename__ = "decisions"
    __table_args__ = (Index(None, "scan_id", "asset_id"), Index(None, "scan_id", "verdict"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"))
    asset_id: Mapped[str] = mapped_column(String(64))
    asset_name: Mapped[str] = mapped_column(Text)
    verdict: Mapped[str] = mapped_column(String(8))  # effective verdict (a waived deny is allow)
    rules: Mapped[str] = mapped_column(Text, default="")  # matched rule ids, one per line
    waived: Mapped[bool] = mapped_column(Boolean, default=False)


class DecisionRuleTable(Base):
    """One row per (decision, matched rule): the ``rule_id`` filter of asset and decision listings."""

    __tablename__ = "decision_rules"
    __table_args__ = (Index(None, "scan_id", "rule_id", "asset_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"))
    asset_id: Mapped[str] = mapped_column(String(64))
    rule_id: Mapped[str] = mapped_column(String(128))


class FindingTable(Base):
    __tablename__ = "findings"
    __table_args__ = (Index(None, "scan_id", "rule_id"), Index(None, "scan_id", "asset_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"))
    finding_id: Mapped[str] = mapped_column(String(64))
    rule_id: Mapped[str] = mapped_column(String(128))
    severity: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(Text)
    line: Mapped[int | None] = mapped_column(Integer)
    asset_id: Mapped[str | None] = mapped_column(String(64))


CHILD_TABLES = (AssetTable, UsageTable, DecisionTable, DecisionRuleTable, FindingTable)
