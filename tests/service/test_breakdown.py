"""Assets per producer / jurisdiction / kind: ``GET /api/v1/breakdown`` and the dashboard overview's producer
and jurisdiction tables, both counted by the store (one GROUP BY), checked against counting the asset rows
the API lists, on the demo's two recorded scans and on a store with more than the 10,000 asset rows the
overview used to page through (its counts were incomplete there)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from fastapi.testclient import TestClient

from tests.service.conftest import NEW_ASSET, TARGET, Demo, auth, settings
from tests.service.html import Tables
from tierguard.model import Asset, ScanResult
from tierguard.service.app import create_app
from tierguard.service.cache import CachedStore
from tierguard.store import AssetFilter, open_store

KEYS = ("producer", "jurisdiction", "kind")
BIG = 10_500  # above the 10,000 rows the overview used to count over


def get(client: TestClient, path: str, **params: Any) -> Any:
    r = client.get(path, params=params, headers=auth())
    assert r.status_code == 200, (path, params, r.status_code, r.text[:500])
    return r.json()


def listed_rows(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    """Every asset row the API lists for these filters, page by page."""
    rows: list[dict[str, Any]] = []
    while True:
        page = get(client, "/api/v1/assets", offset=len(rows), limit=500, **params)
        rows += page["items"]
        if not page["items"] or len(rows) >= page["total"]:
            assert len(rows) == page["total"]
            return rows


def counted(rows: list[dict[str, Any]], by: str) -> dict[str | None, dict[str, int]]:
    out: dict[str | None, Counter[str]] = {}
    for r in rows:
        c = out.setdefault(r[by], Counter())
        c["assets"] += 1
        c[r["verdict"] or "undecided"] += 1
    return {k: {v: c[v] for v in ("assets", "deny", "review", "allow", "undecided")} for k, c in out.items()}


def as_counts(items: list[dict[str, Any]]) -> dict[str | None, dict[str, int]]:
    keys = ("assets", "deny", "review", "allow", "undecided")
    return {b["key"]: {k: b[k] for k in keys} for b in items}


def assert_ordered(items: list[dict[str, Any]]) -> None:
    order = [(-b["deny"], -b["review"], -b["assets"]) for b in items]
    assert order == sorted(order)


# ---- the demo's two recorded scans ---------------------------------------------------------------------

FILTERS: list[dict[str, Any]] = [
    {},
    {"target": TARGET},
    {"verdict": "deny"},
    {"jurisdiction": "CN"},
    {"kind": "ai-model"},
    {"producer": "deepseek"},
    {"q": "deepseek"},
    {"target": "nobody"},
]


@pytest.mark.parametrize("by", KEYS)
@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: "&".join(f"{k}={v}" for k, v in f.items()) or "all")
def test_breakdown_equals_counting_the_listed_rows(client: TestClient, by: str, flt: dict[str, Any]) -> None:
    body = get(client, "/api/v1/breakdown", by=by, limit=500, **flt)
    assert body["by"] == by and body["limit"] == 500 and body["more"] is False
    assert as_counts(body["items"]) == counted(listed_rows(client, **flt), by)
    assert_ordered(body["items"])


@pytest.mark.parametrize("by", KEYS)
def test_breakdown_of_each_recorded_scan(client: TestClient, demo: Demo, by: str) -> None:
    for ref, result in ((demo.old, demo.before), (demo.new, demo.after)):
        body = get(client, "/api/v1/breakdown", by=by, scan=ref.id, limit=500)
        assert as_counts(body["items"]) == counted(listed_rows(client, scan=ref.id), by)
        assert sum(b["assets"] for b in body["items"]) == len(result.assets)


def test_the_new_deepseek_deny_shows_in_the_breakdown(client: TestClient, demo: Demo) -> None:
    def deepseek(scan: int) -> dict[str, Any]:
        items = get(client, "/api/v1/breakdown", by="producer", scan=scan)["items"]
        return next(b for b in items if b["key"] == "deepseek")

    old, new = deepseek(demo.old.id), deepseek(demo.new.id)
    assert new["deny"] == old["deny"] + 1 and new["assets"] == old["assets"] + 1
    assert NEW_ASSET in {a["name"] for a in listed_rows(client, producer="deepseek", verdict="deny")}


def test_breakdown_limit_says_when_there_are_more_groups(client: TestClient) -> None:
    full = get(client, "/api/v1/breakdown", by="producer", limit=500)["items"]
    assert len(full) > 2
    top = get(client, "/api/v1/breakdown", by="producer", limit=2)
    assert top["more"] is True and top["items"] == full[:2]
    exact = get(client, "/api/v1/breakdown", by="producer", limit=len(full))
    assert exact["more"] is False and exact["items"] == full


@pytest.mark.parametrize(
    "params",
    [
        {"by": "owner"},
        {"by": ""},
        {"limit": 0},
        {"limit": 501},
        {"verdict": "maybe"},
        {"scan": 0},
        {"q": "a\x00b"},
        {"target": "x" * 501},
    ],
)
def test_malformed_breakdown_requests_are_422(client: TestClient, params: dict[str, Any]) -> None:
    assert client.get("/api/v1/breakdown", params=params, headers=auth()).status_code == 422


def test_breakdown_needs_a_token(client: TestClient) -> None:
    assert client.get("/api/v1/breakdown").status_code == 401
    assert client.get("/api/v1/breakdown", headers=auth("wrong-token-0123456789")).status_code == 401


def test_breakdown_is_in_the_openapi_document(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    op = doc["paths"]["/api/v1/breakdown"]["get"]
    ok = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/Breakdown"}
    params = {p["name"]: p for p in op["parameters"]}
    assert set(params) >= {"by", "limit", "scan", "target", "kind", "producer", "jurisdiction", "verdict"}
    assert set(params["by"]["schema"]["enum"]) == set(KEYS)
    schemas = doc["components"]["schemas"]
    assert "BreakdownRow" in schemas and "Breakdown" in schemas


# ---- the dashboard overview ----------------------------------------------------------------------------


def overview_tables(client: TestClient, **params: Any) -> dict[str, list[list[str]]]:
    r = client.get("/", params=params, headers=auth())
    assert r.status_code == 200, r.text[:500]
    parser = Tables()
    parser.feed(r.text)
    return parser.tables


def expected_table(items: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [b["key"] if b["key"] is not None else "unknown", str(b["assets"]), str(b["deny"]), str(b["review"])]
        for b in items[:50]
    ]


@pytest.mark.parametrize("params", [{}, {"target": TARGET}, {"target": "nobody"}])
def test_overview_tables_are_the_breakdown(client: TestClient, params: dict[str, Any]) -> None:
    tables = overview_tables(client, **params)
    for key in ("producer", "jurisdiction"):
        items = get(client, "/api/v1/breakdown", by=key, limit=500, **params)["items"]
        assert tables[f"{key}s"] == expected_table(items), key
        assert {int(row[1]) for row in tables[f"{key}s"]} <= {b["assets"] for b in items}


# ---- more than 10,000 assets ---------------------------------------------------------------------------


def synthetic(demo: ScanResult, n: int) -> ScanResult:
    """``n`` assets: copies of the demo's assets renamed ``<name> #i``; every 11th copy has no producer (the
    unknown group), every 7th no decision (undecided)."""
    assets: list[Asset] = []
    decisions = []
    by_id = {d.asset_id: d for d in demo.decisions}
    i = 0
    while len(assets) < n:
        for a in demo.assets[: n - len(assets)]:
            raw = msgspec.to_builtins(a)
            raw.update(name=f"{a.name} #{i}", id="")
            if i % 11 == 0:
                raw["provenance"] = {**raw["provenance"], "producers": []}
            copy = Asset.model_validate(raw)
            assets.append(copy)
            d = by_id.get(a.id)
            if d is not None and i % 7 != 0:
                decisions.append(msgspec.structs.replace(d, asset_id=copy.id))
        i += 1
    return msgspec.structs.replace(demo, target="big", assets=tuple(assets), decisions=tuple(decisions))


@pytest.fixture(scope="module")
def big(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, ScanResult]]:
    """The demo store plus target ``big`` with one 10,500-asset scan recorded through ``Store.record``."""
    url = demo.copy_db(tmp_path_factory.mktemp("breakdown-big"))
    result = synthetic(demo.after, BIG)
    store = open_store(url)
    try:
        store.record(result, target="big")
    finally:
        store.close()
    with TestClient(create_app(settings(store=url))) as c:
        yield c, result


def from_result(result: ScanResult, by: str) -> dict[str | None, dict[str, int]]:
    """Counted from the recorded result itself (not from any store row)."""
    verdicts = {d.asset_id: d.effective_verdict for d in result.decisions}
    rows = []
    for a in result.assets:
        first = a.provenance.producers[0] if a.provenance.producers else None
        key = {"producer": first.id if first else None, "jurisdiction": first.jurisdiction if first else None}
        rows.append({**key, "kind": a.kind, "verdict": verdicts.get(a.id)})
    return counted(rows, by)


@pytest.mark.parametrize("by", KEYS)
def test_breakdown_is_exact_above_ten_thousand_assets(
    big: tuple[TestClient, ScanResult], demo: Demo, by: str
) -> None:
    client, result = big
    one = get(client, "/api/v1/breakdown", by=by, target="big", limit=500)["items"]
    assert sum(b["assets"] for b in one) == BIG
    assert as_counts(one) == from_result(result, by)
    assert None in as_counts(one) or by == "kind"  # the unknown group is counted too
    assert sum(b["undecided"] for b in one) > 0
    # every target's latest scan: the big one and the demo's latest
    every = get(client, "/api/v1/breakdown", by=by, limit=500)["items"]
    assert sum(b["assets"] for b in every) == BIG + len(demo.after.assets)
    assert as_counts(every) == counted(listed_rows(client), by)
    assert_ordered(every)


def test_overview_counts_are_exact_above_ten_thousand_assets(big: tuple[TestClient, ScanResult]) -> None:
    client, result = big
    tables = overview_tables(client)
    for key in ("producer", "jurisdiction"):
        expected = from_result(result, key)
        for name, c in counted(listed_rows(client, target=TARGET), key).items():
            e = expected.setdefault(name, {k: 0 for k in c})
            for k, v in c.items():
                e[k] += v
        shown = {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in tables[f"{key}s"]}
        want = {(k or "unknown"): (c["assets"], c["deny"], c["review"]) for k, c in expected.items()}
        assert shown == want, key
    page = client.get("/", headers=auth()).text
    assert "counted over the first" not in page


def test_a_store_without_breakdown_is_counted_from_its_rows(big: tuple[TestClient, ScanResult]) -> None:
    """The service's fallback for a Store that has no ``breakdown`` (it pages every row): same answer."""
    client, _ = big
    store = client.app.state.store  # type: ignore[attr-defined]
    assert isinstance(store, CachedStore)

    class Plain:  # only the Store Protocol's assets listing, delegated to the real store
        def assets(self, flt: AssetFilter | None = None, *, offset: int = 0, limit: int = 50) -> Any:
            return store.inner.assets(flt, offset=offset, limit=limit)

    from tierguard.service.cache import breakdown

    for by in KEYS:
        for flt in (None, AssetFilter(target="big"), AssetFilter(verdict="deny")):
            plain = breakdown(Plain(), by, flt, 500)  # type: ignore[arg-type]
            real = store.breakdown(by, flt, limit=500)
            assert {b.key: b for b in plain} == {b.key: b for b in real}
            order = [(b.deny, b.review, b.assets) for b in real]
            assert [(b.deny, b.review, b.assets) for b in plain] == order
