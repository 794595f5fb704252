"""The store on SQLAlchemy 2: SQLite (WAL, busy timeout, ``BEGIN IMMEDIATE`` for writes) or PostgreSQL
(psycopg 3) with the same code. Every driver failure leaves here as one :class:`StoreError` line naming the
store (password masked) and what happened; never a driver traceback."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, insert, select, update
from sqlalchemy.engine import URL, Connection, CursorResult
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from tierguard.model import ScanResult
from tierguard.store import queries, rows, schema
from tierguard.store.interface import (
    AssetFilter,
    AssetRow,
    BreakdownRow,
    DecisionRow,
    FindingRow,
    Page,
    ScanRef,
    StoreError,
    TargetRow,
    TrendPoint,
)
from tierguard.store.tables import (
    AssetTable,
    DecisionRuleTable,
    DecisionTable,
    FindingTable,
    ScanTable,
    TargetTable,
    UsageTable,
)
from tierguard.store.urls import display, mask

DEFAULT_TIMEOUT = 5.0
"""Seconds a write waits for a locked SQLite file (busy timeout) or a PostgreSQL connection."""
CHILD_ORDER = (
    (AssetTable, "asset_rows"),
    (UsageTable, "usage_rows"),
    (DecisionTable, "decision_rows"),
    (DecisionRuleTable, "decision_rule_rows"),
    (FindingTable, "finding_rows"),
)
_REF = re.compile(r"^(?:(?P<id>\d{1,18})|latest(?:~(?P<back>\d{1,9}))?)$")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _pk(res: CursorResult[Any]) -> int:
    key = res.inserted_primary_key
    if key is None:  # pragma: no cover - every table here has an integer key
        raise StoreError("the database returned no key for an inserted row")
    return int(key[0])


def _reason(exc: BaseException) -> str:
    """One line saying what the driver reported, in words a user can act on."""
    orig = getattr(exc, "orig", None) or exc
    text = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    low = text.lower()
    if "database is locked" in low or "database table is locked" in low:
        return "database is locked by another process (gave up after the busy timeout)"
    if "readonly database" in low or "read-only" in low:
        return "the database file or its directory is read-only"
    if "unable to open database file" in low:
        return "cannot open the database file (missing directory, or no permission to create its journal)"
    if "file is not a database" in low:
        return "the file is not a SQLite database"
    return mask(text)[:300]


def _sqlite_engine(url: URL, timeout: float) -> Engine:
    memory = url.database in (None, "", ":memory:")
    if not memory:
        parent = Path(str(url.database)).expanduser().parent
        if not parent.is_dir():
            raise StoreError(f"store {display(url)}: directory {parent} does not exist")
    engine = create_engine(
        url,
        connect_args={"timeout": timeout, "check_same_thread": False},
        poolclass=StaticPool if memory else None,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (IMMEDIATE for writes)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        cur.execute("PRAGMA foreign_keys = ON")
        if not memory:
            mode = cur.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":
                cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable across a process crash
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("tierguard_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())

    return engine


class SqlStore:
    """:class:`tierguard.store.interface.Store` on SQLAlchemy (see the module docstring)."""

    def __init__(self, url: URL, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.url = display(url)
        self._sqlite = url.get_backend_name() == "sqlite"
        with self._errors("cannot open"):
            if self._sqlite:
                self._engine = _sqlite_engine(url, timeout)
            else:
                self._engine = create_engine(
                    url, pool_pre_ping=True, connect_args={"connect_timeout": max(1, int(timeout))}
                )
            schema.migrate(self._engine, self.url)

    # ---- plumbing -------------------------------------------------------------------------------------

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except StoreError:
            raise
        except SQLAlchemyError as exc:
            raise StoreError(f"store {self.url}: {what}: {_reason(exc)}") from None
        except OSError as exc:
            raise StoreError(f"store {self.url}: {what}: {mask(exc.strerror or str(exc))}") from None

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._errors("cannot read"), self._engine.connect() as conn:
            yield conn
            conn.rollback()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._errors("cannot write"), self._engine.connect() as conn:
            if self._sqlite:
                conn.execution_options(tierguard_begin="IMMEDIATE")
            with conn.begin():
                yield conn

    def close(self) -> None:
        self._engine.dispose()

    # ---- writes ----------------------------------------------------------------------------------------

    def _target_id(self, conn: Connection, name: str, owner: str | None) -> int:
        found = conn.execute(select(TargetTable.id).where(TargetTable.name == name)).scalar_one_or_none()
        if found is None:
            try:
                with conn.begin_nested():
                    res = conn.execute(insert(TargetTable).values(name=name, owner=owner))
                    return _pk(res)
            except IntegrityError:  # another writer created it first
                found = conn.execute(select(TargetTable.id).where(TargetTable.name == name)).scalar_one()
        if owner is not None:
            conn.execute(update(TargetTable).where(TargetTable.id == found).values(owner=owner))
        return int(found)

    def _insert_scan(self, conn: Connection, target: str, owner: str | None, values: dict[str, Any]) -> int:
        tid = self._target_id(conn, target, owner)
        res = conn.execute(insert(ScanTable).values(target_id=tid, owner=owner, recorded=_now(), **values))
        scan_id = _pk(res)
        t = TargetTable
        conn.execute(
            update(t)
            .where(t.id == tid, (t.last_scan_id.is_(None)) | (t.last_scan_id < scan_id))
            .values(last_scan_id=scan_id)
        )
        if values["status"] == "ok":
            conn.execute(
                update(t)
                .where(t.id == tid, (t.last_ok_scan_id.is_(None)) | (t.last_ok_scan_id < scan_id))
                .values(last_ok_scan_id=scan_id)
            )
        return scan_id

    def record(
        self,
        result: ScanResult,
        *,
        target: str | None = None,
        owner: str | None = None,
        estate: str | None = None,
        revision: str | None = None,
    ) -> ScanRef:
        name = target or result.target
        denies, reviews = rows.counts(result)
        values: dict[str, Any] = {
            "status": "ok",
            "error": "",
            "estate": estate,
            "revision": revision,
            "command": result.command,
            "started": result.started,
            "finished": result.finished,
            "worst_verdict": result.worst_verdict(),
            "assets": len(result.assets),
            "decided": rows.decided(result),
            "denies": denies,
            "reviews": reviews,
            "findings": len(result.findings),
            "schema_version": result.schema_version,
            "codec": rows.CODEC,
            "document": rows.encode_document(result),
        }
        with self._write() as conn:
            scan_id = self._insert_scan(conn, name, owner, values)
            for table, builder in CHILD_ORDER:
                batch = getattr(rows, builder)(scan_id, result)  # looked up now: tests break one builder
                if batch:
                    conn.execute(insert(table), batch)
        return self.resolve(str(scan_id))

    def record_error(
        self,
        target: str,
        error: str,
        *,
        owner: str | None = None,
        estate: str | None = None,
        revision: str | None = None,
    ) -> ScanRef:
        line = (error.strip().splitlines() or ["error"])[0][:2000]
        now = _now()
        values: dict[str, Any] = {
            "status": "error",
            "error": line,
            "estate": estate,
            "revision": revision,
            "command": "scan",
            "started": now,
            "finished": now,
            "worst_verdict": None,
            "schema_version": "",
            "codec": "",
            "document": None,
        }
        with self._write() as conn:
            scan_id = self._insert_scan(conn, target, owner, values)
        return self.resolve(str(scan_id))

    # ---- reads -----------------------------------------------------------------------------------------

    def resolve(self, ref: str, *, target: str | None = None) -> ScanRef:
        m = _REF.match(ref.strip())
        if m is None:
            raise StoreError(f"not a scan reference: {ref[:80]!r} (use a scan id, latest or latest~N)")
        of = f" of target {target}" if target else ""
        q = select(*queries.cols(ScanTable), queries.TARGET).join(
            TargetTable, TargetTable.id == ScanTable.target_id
        )
        if target is not None:
            q = q.where(TargetTable.name == target)
        if m["id"] is not None:
            q = q.where(ScanTable.id == int(m["id"]))
        else:
            back = int(m["back"] or 0)
            q = q.where(ScanTable.status == "ok").order_by(ScanTable.id.desc()).offset(back).limit(1)
        with self._read() as conn:
            row = conn.execute(q).first()
        if row is None:
            raise StoreError(f"no recorded scan {ref.strip()}{of} in store {self.url}")
        return queries.scan_ref(row, row.target_name)

    def load(self, scan_id: int) -> ScanResult:
        q = select(ScanTable.status, ScanTable.error, ScanTable.codec, ScanTable.document).where(
            ScanTable.id == scan_id
        )
        with self._read() as conn:
            row = conn.execute(q).first()
        if row is None:
            raise StoreError(f"no recorded scan {scan_id} in store {self.url}")
        status, error, codec, blob = row
        if status != "ok" or blob is None:
            raise StoreError(f"scan {scan_id} is a recorded error, not a result: {error}")
        if codec != rows.CODEC:
            raise StoreError(f"scan {scan_id} in store {self.url}: unknown document codec {codec!r}")
        try:
            return rows.decode_document(bytes(blob))
        except ValueError as exc:
            raise StoreError(f"scan {scan_id} in store {self.url}: {exc}") from None

    def scans(
        self, *, target: str | None = None, estate: str | None = None, offset: int = 0, limit: int = 50
    ) -> Page[ScanRef]:
        offset, limit = queries.window(offset, limit)
        conds: list[Any] = []
        if target is not None:
            conds.append(TargetTable.name == target)
        if estate is not None:
            conds.append(ScanTable.estate == estate)
        base = select(*queries.cols(ScanTable), queries.TARGET).join(
            TargetTable, TargetTable.id == ScanTable.target_id
        )
        count = (
            select(func.count())
            .select_from(ScanTable)
            .join(TargetTable, TargetTable.id == ScanTable.target_id)
            .where(*conds)
        )
        with self._read() as conn:
            total = int(conn.execute(count).scalar_one())
            got = conn.execute(base.where(*conds).order_by(ScanTable.id.desc()).offset(offset).limit(limit))
            items = tuple(queries.scan_ref(r, r.target_name) for r in got)
        return Page[ScanRef](items=items, total=total, offset=offset, limit=limit)

    def targets(self, *, offset: int = 0, limit: int = 50) -> Page[TargetRow]:
        offset, limit = queries.window(offset, limit)
        with self._read() as conn:
            return queries.targets(conn, offset, limit)

    def assets(self, flt: AssetFilter | None = None, *, offset: int = 0, limit: int = 50) -> Page[AssetRow]:
        offset, limit = queries.window(offset, limit)
        with self._read() as conn:
            return queries.assets(conn, flt or AssetFilter(), offset, limit)

    def decisions(
        self, flt: AssetFilter | None = None, *, offset: int = 0, limit: int = 50
    ) -> Page[DecisionRow]:
        offset, limit = queries.window(offset, limit)
        with self._read() as conn:
            return queries.decisions(conn, flt or AssetFilter(), offset, limit)

    def findings(
        self, flt: AssetFilter | None = None, *, offset: int = 0, limit: int = 50
    ) -> Page[FindingRow]:
        offset, limit = queries.window(offset, limit)
        with self._read() as conn:
            return queries.findings(conn, flt or AssetFilter(), offset, limit)

    def breakdown(
        self, by: str = "producer", flt: AssetFilter | None = None, *, limit: int = 50
    ) -> list[BreakdownRow]:
        """Assets per producer, jurisdiction (the first producer's) or kind within ``flt`` (None: the latest
        ok scan of each target), with their effective verdicts; most denies first. Not part of the
        :class:`Store` Protocol (other implementations need not have it)."""
        limit = max(0, min(limit, queries.MAX_LIMIT))
        with self._read() as conn:
            return queries.breakdown(conn, by, flt or AssetFilter(), limit)

    def trend(self, *, target: str | None = None, limit: int = 500) -> Sequence[TrendPoint]:
        limit = max(0, min(limit, 10_000))
        q = (
            select(*queries.cols(ScanTable), queries.TARGET)
            .join(TargetTable, TargetTable.id == ScanTable.target_id)
            .where(ScanTable.status == "ok")
        )
        if target is not None:
            q = q.where(TargetTable.name == target)
        with self._read() as conn:
            got = conn.execute(q.order_by(ScanTable.id.desc()).limit(limit)).all()
        return [
            TrendPoint(
                scan_id=s.id,
                target=s.target_name,
                started=s.started,
                denies=s.denies,
                reviews=s.reviews,
                assets=s.assets,
            )
            for s in reversed(got)
        ]

    def recorded_targets(self, estate: str, revision: str) -> set[str]:
        q = (
            select(TargetTable.name)
            .join(ScanTable, ScanTable.target_id == TargetTable.id)
            .where(ScanTable.estate == estate, ScanTable.revision == revision, ScanTable.status == "ok")
            .distinct()
        )
        with self._read() as conn:
            return {str(n) for n in conn.execute(q).scalars()}
