"""The service's cache of loaded results: a hit is the same object, the budget counts assets, the least
recently used result goes first, and everything else reaches the real store."""

from __future__ import annotations

from pathlib import Path

from tests.service.conftest import Demo
from tierguard.service.cache import CachedStore
from tierguard.store import open_store


def test_loads_are_cached_within_an_asset_budget(demo: Demo, tmp_path: Path) -> None:
    n = len(demo.after.assets)
    store = CachedStore(
        open_store(demo.copy_db(tmp_path)), max_assets=2 * n
    )  # new + old fit; a third evicts old only
    try:
        new = store.load(demo.new.id)
        assert store.load(demo.new.id) is new
        old = store.load(demo.old.id)
        assert store.load(demo.old.id) is old and store.load(demo.new.id) is new  # both fit
        store.record(demo.after, target="other")  # writes go through
        third = store.resolve("latest", target="other")
        store.load(third.id)  # over budget: the least recently used (old) goes
        assert store.load(demo.new.id) is new
        assert store.load(demo.old.id) is not old
        assert store.scans(target="other").total == 1
    finally:
        store.close()


def test_a_result_larger_than_the_budget_is_not_kept(demo: Demo, tmp_path: Path) -> None:
    store = CachedStore(open_store(demo.copy_db(tmp_path)), max_assets=3)
    try:
        first = store.load(demo.new.id)
        assert store.load(demo.new.id) is not first
        assert store.load(demo.new.id).assets == first.assets
    finally:
        store.close()


def test_a_repeated_diff_is_served_from_the_cache_and_equal(client: object, demo: Demo) -> None:
    from fastapi.testclient import TestClient

    from tests.service.conftest import auth

    assert isinstance(client, TestClient)
    params = {"old": "latest~1", "new": "latest", "target": "northwind"}
    first = client.get("/api/v1/diff", params=params, headers=auth())
    second = client.get("/api/v1/diff", params=params, headers=auth())
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert client.app.state.diffs.get((demo.old.id, demo.new.id)) == first.content  # type: ignore[attr-defined]
