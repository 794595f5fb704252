"""The list queries (assets, decisions, findings, targets): filters of :class:`AssetFilter`, pagination with
total counts, and the conversion of rows to the interface's records.

Scope: ``flt.scan`` names one scan; otherwise the latest ok scan of each target (``targets.last_ok_scan_id``,
kept by ``record``), optionally of ``flt.target`` only. Filters: ``kind``, ``producer`` (first producer's
catalog id), ``jurisdiction`` (the first producer's *or* the service operator's), ``verdict`` (effective),
``rule_id`` (a matched policy rule; for findings the finding's rule), ``query`` (case-insensitive substring of
the asset name). Decisions and findings are filtered by the asset they are about; a finding about no asset
matches no asset filter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, case, exists, func, or_, select
from sqlalchemy.engine import Connection

from tierguard.model import Verdict
from tierguard.store.interface import (
    AssetFilter,
    AssetRow,
    BreakdownRow,
    DecisionRow,
    FindingRow,
    Page,
    ScanRef,
    ScanStatus,
    StoreError,
    TargetRow,
)
from tierguard.store.tables import (
    AssetTable,
    DecisionRuleTable,
    DecisionTable,
    FindingTable,
    ScanTable,
    TargetTable,
)

MAX_LIMIT = 1000
"""Largest page a listing returns (a larger ``limit`` is clamped)."""


def window(offset: int, limit: int) -> tuple[int, int]:
    if offset < 0 or limit < 0:
        raise StoreError(f"offset and limit must not be negative (got offset={offset}, limit={limit})")
    return offset, min(limit, MAX_LIMIT)


TARGET = TargetTable.name.label("target_name")
"""The target's name beside a table's columns (``row.target_name``)."""


def cols(table: type[Any]) -> list[Any]:
    """The columns of an ORM table class for Core selects (rows are named tuples, not ORM objects); never the
    compressed document of a scan (only ``load`` reads it)."""
    return [c for c in table.__table__.c if c.name != "document"]


def scan_ref(s: Any, target: str) -> ScanRef:
    """A :class:`ScanRef` from a row holding the columns of ``scans``."""
    return ScanRef(
        id=s.id,
        target=target,
        status=cast(ScanStatus, s.status),
        error=s.error,
        estate=s.estate,
        revision=s.revision,
        owner=s.owner,
        command=s.command,
        started=s.started,
        finished=s.finished,
        recorded=s.recorded,
        worst_verdict=cast("Verdict | None", s.worst_verdict),
        assets=s.assets,
        denies=s.denies,
        reviews=s.reviews,
        findings=s.findings,
    )


def _scope(col: Any, flt: AssetFilter) -> ColumnElement[bool]:
    """``col`` (a table's scan_id) is in the filter's scans."""
    if flt.scan is not None:
        cond: ColumnElement[bool] = col == flt.scan
        if flt.target is not None:
            cond = cond & exists(
                select(ScanTable.id)
                .join(TargetTable, TargetTable.id == ScanTable.target_id)
                .where(ScanTable.id == flt.scan, TargetTable.name == flt.target)
            )
        return cond
    latest = select(TargetTable.last_ok_scan_id).where(TargetTable.last_ok_scan_id.is_not(None))
    if flt.target is not None:
        latest = latest.where(TargetTable.name == flt.target)
    return cast(ColumnElement[bool], col.in_(latest.scalar_subquery()))


def _like(text: str) -> str:
    esc = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{esc}%"


def _asset_conds(flt: AssetFilter) -> list[ColumnElement[bool]]:
    """Conditions on :class:`AssetTable` columns (the asset a row is about); ``jurisdiction`` and ``rule_id``
    are handled by :func:`_asset_page`."""
    a = AssetTable
    out: list[ColumnElement[bool]] = []
    if flt.kind is not None:
        out.append(a.kind == flt.kind)
    if flt.producer is not None:
        out.append(a.producer == flt.producer)
    if flt.query:
        out.append(a.search.like(_like(flt.query.lower()), escape="\\"))
    return out


def _page(conn: Connection, q: Any, count: Any, offset: int, limit: int) -> tuple[int, Sequence[Any]]:
    total = int(conn.execute(count).scalar_one() or 0)
    got = conn.execute(q.offset(offset).limit(limit)).all() if total > offset and limit else []
    return total, got


def _target_names(conn: Connection, scan_ids: set[int]) -> dict[int, str]:
    """Target name of each scan (one small query for a page, instead of joining every filtered row)."""
    if not scan_ids:
        return {}
    q = (
        select(ScanTable.id, TargetTable.name)
        .join(TargetTable, TargetTable.id == ScanTable.target_id)
        .where(ScanTable.id.in_(sorted(scan_ids)))
    )
    return {int(i): str(n) for i, n in conn.execute(q)}


def _asset_page(
    conn: Connection, flt: AssetFilter, offset: int, limit: int, *, decided: bool = False
) -> tuple[int, Sequence[Any], dict[int, str]]:
    """The filtered, counted page of asset rows (``decided``: only assets with a decision), newest scan
    first, then in the result's order; and the target name of each scan on the page.

    Counting is where the time goes at 100k rows, so each filter is counted the cheapest exact way: the
    scans' recorded asset counts when unfiltered; ``decision_rules`` alone for a rule; a jurisdiction (the
    producer's OR the operator's) as two disjoint index counts added (an OR would deduplicate 40k row ids)."""
    a, dr = AssetTable, DecisionRuleTable
    scope = _scope(a.scan_id, flt)
    conds = _asset_conds(flt)
    if flt.verdict is not None:
        conds.append(a.verdict == flt.verdict)
    elif decided and flt.rule_id is None:  # (rules exist for decided assets only) not an index condition:
        conds.append(func.coalesce(a.verdict, "") != "")  # the other filters keep their indexes
    jur = flt.jurisdiction.upper() if flt.jurisdiction is not None else None
    on = (dr.scan_id == a.scan_id) & (dr.asset_id == a.asset_id) & (dr.rule_id == flt.rule_id)

    def counted(*extra: ColumnElement[bool]) -> Any:
        q = select(func.count()).select_from(a)
        if flt.rule_id is not None:  # one decision_rules row per (scan, asset, rule)
            q = q.join(dr, on)
        return q.where(scope, *conds, *extra)

    if jur is not None:
        only_op = (a.service_jurisdiction == jur) & (func.coalesce(a.jurisdiction, "") != jur)
        count = select(counted(a.jurisdiction == jur).scalar_subquery() + counted(only_op).scalar_subquery())
    elif flt.rule_id is not None and not conds:
        count = select(func.count()).select_from(dr).where(_scope(dr.scan_id, flt), dr.rule_id == flt.rule_id)
    elif flt.rule_id is None and (not conds or (decided and len(conds) == 1 and flt.verdict is None)):
        # unfiltered: the recorded asset (or decided-asset) counts of the scans in scope
        per_scan = ScanTable.decided if decided else ScanTable.assets
        count = select(func.sum(per_scan)).where(_scope(ScanTable.id, flt))
        if offset >= limit:  # a deep page: skip whole scans by their counts instead of walking their rows
            scope, offset = _skip_scans(conn, flt, scope, offset, per_scan)
    else:
        count = counted()
    page = list(conds)
    if jur is not None:
        page.append(or_(a.jurisdiction == jur, a.service_jurisdiction == jur))
    if flt.rule_id is not None:  # EXISTS walks the listing order and stops at the page
        page.append(exists(select(dr.id).where(on)))
    q = select(*cols(a)).where(scope, *page).order_by(a.scan_id.desc(), a.id)
    total, got = _page(conn, q, count, offset, limit)
    return total, got, _target_names(conn, {int(r.scan_id) for r in got})


def _skip_scans(
    conn: Connection, flt: AssetFilter, scope: ColumnElement[bool], offset: int, per_scan: Any
) -> tuple[ColumnElement[bool], int]:
    """For an unfiltered listing (newest scan first): the scope narrowed to the scans from the one the
    ``offset``-th row falls in, and the offset within them (``per_scan``: the scans' row counts)."""
    q = select(ScanTable.id, per_scan).where(_scope(ScanTable.id, flt)).order_by(ScanTable.id.desc())
    skipped = 0
    for scan_id, n in conn.execute(q):
        if skipped + int(n) > offset:
            return scope & (AssetTable.scan_id <= scan_id), offset - skipped
        skipped += int(n)
    return scope, offset


def assets(conn: Connection, flt: AssetFilter, offset: int, limit: int) -> Page[AssetRow]:
    total, got, names = _asset_page(conn, flt, offset, limit)
    items = tuple(
        AssetRow(
            scan_id=r.scan_id,
            target=names[r.scan_id],
            asset_id=r.asset_id,
            kind=r.kind,
            name=r.name,
            use_mode=r.use_mode,
            producer=r.producer,
            jurisdiction=r.jurisdiction,
            service_jurisdiction=r.service_jurisdiction,
            verdict=cast("Verdict | None", r.verdict),
            usages=r.usages,
        )
        for r in got
    )
    return Page[AssetRow](items=items, total=total, offset=offset, limit=limit)


def decisions(conn: Connection, flt: AssetFilter, offset: int, limit: int) -> Page[DecisionRow]:
    """Decisions are one per decided asset (the asset row carries the decision's effective verdict), so the
    page is the page of decided assets and the decision rows are read for that page only."""
    total, got, names = _asset_page(conn, flt, offset, limit, decided=True)
    d = DecisionTable
    by_key: dict[tuple[int, str], Any] = {}
    for scan_id in {int(r.scan_id) for r in got}:
        ids = [r.asset_id for r in got if r.scan_id == scan_id]
        for row in conn.execute(select(*cols(d)).where(d.scan_id == scan_id, d.asset_id.in_(ids))):
            by_key.setdefault((int(row.scan_id), str(row.asset_id)), row)
    items = tuple(
        DecisionRow(
            scan_id=r.scan_id,
            target=names[r.scan_id],
            asset_id=r.asset_id,
            asset_name=r.name,
            verdict=cast(Verdict, dec.verdict),
            rules=tuple(dec.rules.split("\n")) if dec.rules else (),
            waived=bool(dec.waived),
        )
        for r in got
        if (dec := by_key.get((int(r.scan_id), str(r.asset_id)))) is not None
    )
    return Page[DecisionRow](items=items, total=total, offset=offset, limit=limit)


def _with_target(q: Any, scan_col: Any) -> Any:
    return q.join(ScanTable, ScanTable.id == scan_col).join(
        TargetTable, TargetTable.id == ScanTable.target_id
    )


def _join_asset(q: Any, scan_col: Any, asset_col: Any) -> Any:
    return q.join(AssetTable, (AssetTable.scan_id == scan_col) & (AssetTable.asset_id == asset_col))


def findings(conn: Connection, flt: AssetFilter, offset: int, limit: int) -> Page[FindingRow]:
    f = FindingTable
    conds = [_scope(f.scan_id, flt)]
    if flt.rule_id is not None:
        conds.append(f.rule_id == flt.rule_id)
    q = _with_target(select(*cols(f), TARGET), f.scan_id)
    count = select(func.count()).select_from(f)
    extra = _asset_conds(flt)
    if flt.verdict is not None:
        extra.append(AssetTable.verdict == flt.verdict)
    if flt.jurisdiction is not None:
        j = flt.jurisdiction.upper()
        extra.append(or_(AssetTable.jurisdiction == j, AssetTable.service_jurisdiction == j))
    if extra:
        q, count = _join_asset(q, f.scan_id, f.asset_id), _join_asset(count, f.scan_id, f.asset_id)
        conds += extra
    q = q.where(*conds).order_by(f.scan_id.desc(), f.id)
    total, got = _page(conn, q, count.where(*conds), offset, limit)
    items = tuple(
        FindingRow(
            scan_id=r.scan_id,
            target=r.target_name,
            finding_id=r.finding_id,
            rule_id=r.rule_id,
            severity=r.severity,
            message=r.message,
            path=r.path,
            line=r.line,
            asset_id=r.asset_id,
        )
        for r in got
    )
    return Page[FindingRow](items=items, total=total, offset=offset, limit=limit)


def targets(conn: Connection, offset: int, limit: int) -> Page[TargetRow]:
    t = TargetTable
    n_scans = select(func.count()).where(ScanTable.target_id == t.id).correlate(t).scalar_subquery()
    q = (
        select(
            t.name.label("target_name"), t.owner.label("target_owner"), n_scans.label("n"), *cols(ScanTable)
        )
        .outerjoin(ScanTable, ScanTable.id == t.last_scan_id)
        .order_by(t.name)
    )
    total, got = _page(conn, q, select(func.count()).select_from(t), offset, limit)
    items = tuple(
        TargetRow(
            name=r.target_name,
            owner=r.target_owner,
            scans=int(r.n),
            last_scan=scan_ref(r, r.target_name) if r.id is not None else None,
        )
        for r in got
    )
    return Page[TargetRow](items=items, total=total, offset=offset, limit=limit)


BREAKDOWN_KEYS = ("producer", "jurisdiction", "kind")


def breakdown(conn: Connection, by: str, flt: AssetFilter, limit: int) -> list[BreakdownRow]:
    """Assets per ``by`` value within the filter, most denies first (then reviews, then assets)."""
    if by not in BREAKDOWN_KEYS:
        raise StoreError(f"cannot break assets down by {by!r} (one of {', '.join(BREAKDOWN_KEYS)})")
    a = AssetTable
    key = getattr(a, by)
    conds = [_scope(a.scan_id, flt), *_asset_conds(flt)]
    if flt.verdict is not None:
        conds.append(a.verdict == flt.verdict)
    if flt.jurisdiction is not None:
        j = flt.jurisdiction.upper()
        conds.append(or_(a.jurisdiction == j, a.service_jurisdiction == j))
    if flt.rule_id is not None:
        dr = DecisionRuleTable
        conds.append(
            exists(
                select(dr.id).where(
                    dr.scan_id == a.scan_id, dr.asset_id == a.asset_id, dr.rule_id == flt.rule_id
                )
            )
        )

    def n(verdict: str) -> Any:
        return func.sum(case((a.verdict == verdict, 1), else_=0))

    deny, review = n("deny"), n("review")
    q = (
        select(key, func.count(), deny, review, n("allow"))
        .where(*conds)
        .group_by(key)
        .order_by(deny.desc(), review.desc(), func.count().desc(), key)
        .limit(limit)
    )
    out: list[BreakdownRow] = []
    for k, total, d, r, al in conn.execute(q):
        d, r, al = int(d or 0), int(r or 0), int(al or 0)
        out.append(
            BreakdownRow(
                key=k, assets=int(total), deny=d, review=r, allow=al, undecided=int(total) - d - r - al
            )
        )
    return out
