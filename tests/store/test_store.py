"""The store against SQLite and PostgreSQL (the same test functions; ``store_url`` is parametrised): real
scans of the demo estate recorded, resolved, loaded back, listed with filters and pages."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, select

from tests.store.conftest import TARGET, Pair
from tierguard.model import Asset, ScanResult
from tierguard.store import AssetFilter, Store, StoreError, open_store
from tierguard.store.tables import CHILD_TABLES, ScanTable, TargetTable


def table_counts(url: str) -> dict[str, int]:
    """Rows per table, read with a connection of its own (what another process would see)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t.__tablename__: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                for t in (TargetTable, ScanTable, *CHILD_TABLES)
            }
    finally:
        engine.dispose()


def deny_ids(result: ScanResult) -> set[str]:
    return {d.asset_id for d in result.decisions if d.effective_verdict == "deny"}


def test_two_scans_resolve_and_load_back(store: Store, before_after: Pair) -> None:
    before, after = before_after
    first = store.record(before, owner="platform-team")
    second = store.record(after)
    assert (first.status, second.status) == ("ok", "ok")
    assert second.id > first.id
    assert store.resolve("latest").id == second.id
    assert store.resolve("latest~1").id == first.id
    assert store.resolve(str(first.id)) == first
    assert store.resolve("latest", target=TARGET).id == second.id
    assert first.assets == len(before.assets) and second.assets == len(after.assets)
    assert second.denies == len(deny_ids(after)) == first.denies + 1  # the new DeepSeek call
    assert (first.findings, second.findings) == (0, 1)
    assert second.worst_verdict == "deny"
    assert store.load(first.id) == before
    assert store.load(second.id) == after


def test_unknown_references_are_store_errors(store: Store, before_after: Pair) -> None:
    ref = store.record(before_after[0])
    for bad in ("999999", "latest~1", "latest~-1", "nonsense", "", "latest~", "1; drop table scans"):
        with pytest.raises(StoreError):
            store.resolve(bad)
    with pytest.raises(StoreError, match="of target other"):
        store.resolve(str(ref.id), target="other")
    with pytest.raises(StoreError, match="no recorded scan 424242"):
        store.load(424242)


def test_assets_filters_and_pagination(store: Store, before_after: Pair) -> None:
    before, after = before_after
    first = store.record(before)
    second = store.record(after)
    latest = store.assets(limit=1000)
    assert latest.total == len(after.assets)  # no filter: the latest ok scan of each target only
    assert {r.scan_id for r in latest.items} == {second.id}
    assert store.assets(AssetFilter(scan=first.id)).total == len(before.assets)
    denied = store.assets(AssetFilter(verdict="deny"), limit=1000)
    assert {r.asset_id for r in denied.items} == deny_ids(after)
    assert store.assets(AssetFilter(scan=first.id, verdict="deny")).total == len(deny_ids(before))
    deepseek = store.assets(AssetFilter(producer="deepseek"), limit=1000).items
    assert deepseek and all(r.producer == "deepseek" and r.jurisdiction == "CN" for r in deepseek)
    named = store.assets(AssetFilter(query="DEEPSEEK api"), limit=1000).items
    assert [r.name for r in named] == ["DeepSeek API"]
    assert named[0].usages == len(next(a for a in after.assets if a.name == "DeepSeek API").usages)
    assert store.assets(AssetFilter(query="%")).total == 0  # LIKE wildcards are literal
    assert store.assets(AssetFilter(query="_")).total == 0
    services = store.assets(AssetFilter(kind="ai-service"), limit=1000).items
    assert services and {r.kind for r in services} == {"ai-service"}

    def is_cn(a: Asset) -> bool:
        first = a.provenance.producers[0].jurisdiction if a.provenance.producers else None
        return "CN" in (first, a.provenance.service_jurisdiction)

    want_cn = {a.id for a in after.assets if is_cn(a)}
    cn = store.assets(AssetFilter(jurisdiction="cn"), limit=1000)
    assert {r.asset_id for r in cn.items} == want_cn and cn.total == len(want_cn)
    assert store.decisions(AssetFilter(jurisdiction="CN")).total == len(
        want_cn & {d.asset_id for d in after.decisions}
    )
    cn_deny = store.assets(AssetFilter(jurisdiction="CN", verdict="deny"))
    assert cn_deny.total == len(want_cn & deny_ids(after))
    rule = next(m.rule_id for d in after.decisions for m in d.matches if d.effective_verdict == "deny")
    with_rule = {d.asset_id for d in after.decisions if any(m.rule_id == rule for m in d.matches)}
    assert {r.asset_id for r in store.assets(AssetFilter(rule_id=rule), limit=1000).items} == with_rule
    assert store.assets(AssetFilter(rule_id=rule)).total == len(with_rule)
    kinds = {a.id: a.kind for a in after.assets}
    for kind in ("ai-service", "ai-model"):
        want = {i for i in with_rule if kinds[i] == kind}
        got = store.assets(AssetFilter(rule_id=rule, kind=kind), limit=1000)
        assert {r.asset_id for r in got.items} == want and got.total == len(want)
        assert store.decisions(AssetFilter(rule_id=rule, kind=kind)).total == len(want)
    assert store.assets(AssetFilter(target="no-such-target")).total == 0
    assert store.assets(AssetFilter(scan=first.id, target="no-such-target")).total == 0
    # pages: every asset exactly once, totals on every page
    seen: list[str] = []
    for offset in range(0, len(after.assets) + 10, 10):
        page = store.assets(offset=offset, limit=10)
        assert page.total == len(after.assets) and (page.offset, page.limit) == (offset, 10)
        seen += [r.asset_id for r in page.items]
    assert sorted(seen) == sorted(a.id for a in after.assets)
    with pytest.raises(StoreError):
        store.assets(offset=-1)


def test_decisions_and_findings(store: Store, before_after: Pair) -> None:
    before, after = before_after
    first = store.record(before)
    store.record(after)
    denies = store.decisions(AssetFilter(verdict="deny"), limit=1000).items
    assert {d.asset_id for d in denies} == deny_ids(after)
    assert all(d.rules and d.target == TARGET and not d.waived for d in denies)
    new = next(d for d in denies if d.asset_id not in deny_ids(before))
    assert new.asset_name in {a.name for a in after.assets}
    assert store.decisions(AssetFilter(scan=first.id)).total == len(before.decisions)
    assert store.decisions(AssetFilter(kind="ai-service", verdict="deny")).total == len(
        [a for a in after.assets if a.kind == "ai-service" and a.id in deny_ids(after)]
    )
    rule = denies[0].rules[0]
    assert all(rule in d.rules for d in store.decisions(AssetFilter(rule_id=rule), limit=1000).items)
    found = store.findings().items
    assert [(f.rule_id, f.path) for f in found] == [("TG-PKL-001", "model.pkl")]
    assert found[0].finding_id == after.findings[0].id and found[0].asset_id == after.findings[0].asset_id
    assert store.findings(AssetFilter(scan=first.id)).total == 0
    assert store.findings(AssetFilter(rule_id="TG-PKL-001")).total == 1
    assert store.findings(AssetFilter(rule_id="NOPE")).total == 0
    assert store.findings(AssetFilter(kind="ai-service")).total == 0  # the pickle is a model asset


def test_errors_trend_targets_and_resume(store: Store, before_after: Pair) -> None:
    before, after = before_after
    a = store.record(before, estate="corp", revision="r1", owner="ml-team")
    failed = store.record_error("repos/broken", "cannot clone: not found\nmore", estate="corp", revision="r1")
    b = store.record(after, estate="corp", revision="r2")
    assert (failed.status, failed.error, failed.worst_verdict) == ("error", "cannot clone: not found", None)
    assert store.recorded_targets("corp", "r1") == {TARGET}  # the error is retried on resume
    assert store.recorded_targets("corp", "r2") == {TARGET}
    assert store.recorded_targets("corp", "r3") == set()
    with pytest.raises(StoreError, match="recorded error"):
        store.load(failed.id)
    with pytest.raises(StoreError):
        store.resolve("latest", target="repos/broken")  # only ok scans count
    assert store.resolve(str(failed.id)).status == "error"
    trend = store.trend()
    assert [(p.scan_id, p.denies) for p in trend] == [(a.id, a.denies), (b.id, b.denies)]
    assert [p.scan_id for p in store.trend(target=TARGET, limit=1)] == [b.id]
    targets = store.targets()
    assert [t.name for t in targets.items] == [TARGET, "repos/broken"] and targets.total == 2
    demo = targets.items[0]
    assert demo.scans == 2 and demo.owner == "ml-team" and demo.last_scan is not None
    assert demo.last_scan.id == b.id
    broken = targets.items[1]
    assert broken.last_scan is not None and broken.last_scan.status == "error"
    scans = store.scans()
    assert [s.id for s in scans.items] == [b.id, failed.id, a.id] and scans.total == 3
    assert [s.id for s in store.scans(target=TARGET).items] == [b.id, a.id]
    assert store.scans(estate="corp", offset=1, limit=1).items[0].id == failed.id
    assert store.scans(estate="other").total == 0


def test_usage_rows_are_recorded(store_url: str, store: Store, before_after: Pair) -> None:
    after = before_after[1]
    store.record(after)
    counts = table_counts(store_url)
    assert counts["usages"] == sum(len(a.usages) for a in after.assets)
    assert counts["assets"] == len(after.assets) and counts["findings"] == len(after.findings)
    assert counts["decision_rules"] == sum(len({m.rule_id for m in d.matches}) for d in after.decisions)


def test_very_long_names_are_recorded_and_loaded_whole(store: Store) -> None:
    long_name = "m" * 5000 + "-ünïcode-模型"
    result = ScanResult(
        tool_version="t",
        catalog_version="c",
        target="t" * 1000,
        assets=(Asset(kind="ai-model", name=long_name),),
    )
    ref = store.record(result, revision="r" * 500)
    assert store.load(ref.id) == result
    row = store.assets(AssetFilter(query="mmmm")).items[0]
    assert row.name.startswith("mmm") and row.name.endswith("…") and len(row.name) == 600
    assert store.resolve("latest", target="t" * 1000).id == ref.id


def test_concurrent_writers_all_land(store_url: str, before_after: Pair) -> None:
    """Two stores (as two drivers would have) recording at the same time: every scan lands, ids unique,
    each target's latest is its newest scan."""
    import threading

    from tierguard.store import open_store

    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            s = open_store(store_url, timeout=30)  # both open a new store: both migrate it at once
            for _ in range(4):
                s.record(before_after[0], target=name)
            s.close()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(f"t{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    s = open_store(store_url)
    scans = s.scans(limit=100)
    assert scans.total == 8 and len({r.id for r in scans.items}) == 8
    for name in ("t0", "t1"):
        newest = max(r.id for r in scans.items if r.target == name)
        assert s.resolve("latest", target=name).id == newest
    assert s.assets().total == 2 * len(before_after[0].assets)
    s.close()


def test_jurisdiction_is_the_producers_or_the_operators(store: Store) -> None:
    from tierguard.model import Decision, ProducerRef, Provenance

    def asset(name: str, producer: str, service: str | None) -> Asset:
        p = ProducerRef(id=name.lower(), name=name, jurisdiction=producer)
        return Asset(
            kind="ai-model", name=name, provenance=Provenance(producers=(p,), service_jurisdiction=service)
        )

    assets = (
        asset("Llama", "US", "CN"),
        asset("Qwen", "CN", "CN"),
        asset("Qwen2", "CN", None),
        asset("GPT", "US", "US"),
    )
    decisions = tuple(Decision(asset_id=a.id, verdict="review") for a in assets)
    store.record(
        ScanResult(tool_version="t", catalog_version="c", target="j", assets=assets, decisions=decisions)
    )
    cn = store.assets(AssetFilter(jurisdiction="CN"))
    assert sorted(r.name for r in cn.items) == ["Llama", "Qwen", "Qwen2"] and cn.total == 3
    assert store.decisions(AssetFilter(jurisdiction="CN")).total == 3
    assert store.assets(AssetFilter(jurisdiction="US")).total == 2
    assert store.assets(AssetFilter(jurisdiction="CN", query="qwen")).total == 2


def test_deep_pages_across_targets_match_one_big_page(store: Store, before_after: Pair) -> None:
    before, after = before_after
    for name in ("a", "b", "c"):
        store.record(before, target=name)
    store.record(after, target="b")  # b's latest is the after scan
    whole = store.assets(limit=1000)
    assert whole.total == 2 * len(before.assets) + len(after.assets) == len(whole.items)
    keys = [(r.scan_id, r.asset_id) for r in whole.items]
    assert [r.scan_id for r in whole.items] == sorted((r.scan_id for r in whole.items), reverse=True)
    paged: list[tuple[int, str]] = []
    for offset in range(0, whole.total + 7, 7):
        page = store.assets(offset=offset, limit=7)
        assert page.total == whole.total and page.offset == offset
        paged += [(r.scan_id, r.asset_id) for r in page.items]
    assert paged == keys
    assert store.assets(offset=whole.total, limit=7).items == ()


def test_breakdown_counts_match_the_rows(store: Store, before_after: Pair) -> None:
    from collections import Counter

    from tierguard.store.sql import SqlStore

    after = before_after[1]
    store.record(after)
    assert isinstance(store, SqlStore)
    rows = store.assets(limit=1000).items
    for by in ("producer", "jurisdiction", "kind"):
        got = store.breakdown(by, limit=1000)
        want = Counter(getattr(r, by) for r in rows)
        assert {b.key: b.assets for b in got} == dict(want)
        for b in got:
            mine = [r for r in rows if getattr(r, by) == b.key]
            assert (b.deny, b.review, b.allow) == tuple(
                sum(r.verdict == v for r in mine) for v in ("deny", "review", "allow")
            )
        denies = [b.deny for b in got]
        assert denies == sorted(denies, reverse=True)
    cn = store.breakdown("producer", AssetFilter(jurisdiction="CN"))
    assert "deepseek" in {b.key for b in cn} and "openai" not in {b.key for b in cn}
    with pytest.raises(StoreError):
        store.breakdown("name")


def test_deep_decision_pages_match_one_big_page(store: Store, before_after: Pair) -> None:
    """The decisions listing skips whole scans by their decided-asset counts (scans.decided, schema 0002):
    every page equals the slice of one big page, and the total is the number of decided assets."""
    before, after = before_after
    for name in ("a", "b", "c"):
        store.record(before, target=name)
    store.record(after, target="b")
    whole = store.decisions(limit=1000)
    decided = {d.asset_id for d in before.decisions}
    assert whole.total == len(whole.items) == 2 * len(decided & {a.id for a in before.assets}) + len(
        {d.asset_id for d in after.decisions} & {a.id for a in after.assets}
    )
    keys = [(r.scan_id, r.asset_id) for r in whole.items]
    paged: list[tuple[int, str]] = []
    for offset in range(0, whole.total + 5, 5):
        page = store.decisions(offset=offset, limit=5)
        assert page.total == whole.total
        paged += [(r.scan_id, r.asset_id) for r in page.items]
    assert paged == keys


def test_a_store_at_the_first_schema_is_upgraded_and_backfilled(store_url: str, before_after: Pair) -> None:
    """A store written by the previous schema (0001, no scans.decided) opens: the migration adds the column
    and backfills it from the recorded rows, and deep decision pages are right on the upgraded store."""
    from alembic import command
    from sqlalchemy import inspect, text

    from tierguard.store.schema import HEAD, alembic_config

    before, after = before_after
    st = open_store(store_url)
    st.record(before, target="a")
    st.record(after, target="b")
    want = st.decisions(limit=1000)
    st.close()
    engine = create_engine(store_url)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0001")
    with engine.connect() as conn:
        assert "decided" not in {c["name"] for c in inspect(conn).get_columns("scans")}
    engine.dispose()
    st = open_store(store_url)
    try:
        engine = create_engine(store_url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
            got = dict(conn.execute(text("SELECT id, decided FROM scans")).all())
        engine.dispose()
        assert sorted(got.values()) == sorted(
            len({d.asset_id for d in r.decisions} & {a.id for a in r.assets}) for r in (before, after)
        )
        assert st.decisions(offset=3, limit=4).items == want.items[3:7]
    finally:
        st.close()
