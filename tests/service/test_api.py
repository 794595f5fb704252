"""The REST API over a real SQLite store holding two real scans of the demo (before/after a DeepSeek call)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.service.conftest import NEW_ASSET, NEW_FILE, TARGET, Demo, auth
from tierguard.model import ScanResult


def get(client: TestClient, path: str, **params: Any) -> Any:
    r = client.get(path, params=params, headers=auth())
    assert r.status_code == 200, (path, r.status_code, r.text[:500])
    return r.json()


def test_targets_list_the_demo_and_the_recorded_error(client: TestClient, demo: Demo) -> None:
    page = get(client, "/api/v1/targets")
    by_name = {t["name"]: t for t in page["items"]}
    assert page["total"] == 2
    assert by_name[TARGET]["scans"] == 2
    assert by_name[TARGET]["last_scan"]["id"] == demo.new.id
    assert by_name[TARGET]["last_scan"]["worst_verdict"] == "deny"
    assert by_name["payments"]["last_scan"]["status"] == "error"
    assert "does not exist" in by_name["payments"]["last_scan"]["error"]


def test_scans_newest_first_with_filters_and_pagination(client: TestClient, demo: Demo) -> None:
    page = get(client, "/api/v1/scans")
    assert page["total"] == 3
    assert [s["target"] for s in page["items"]] == ["payments", TARGET, TARGET]
    only = get(client, "/api/v1/scans", target=TARGET)
    assert [s["id"] for s in only["items"]] == [demo.new.id, demo.old.id]
    second = get(client, "/api/v1/scans", target=TARGET, offset=1, limit=1)
    assert second == {**second, "total": 2, "offset": 1, "limit": 1}
    assert [s["id"] for s in second["items"]] == [demo.old.id]
    assert get(client, "/api/v1/scans", estate="no-such-estate")["total"] == 0
    # the new scan has one more deny than the old one: the DeepSeek call
    new, old = only["items"]
    assert new["denies"] == old["denies"] + 1


def test_scan_detail_returns_the_full_recorded_result(client: TestClient, demo: Demo) -> None:
    body = get(client, f"/api/v1/scans/{demo.new.id}")
    assert body["scan"]["id"] == demo.new.id
    result = ScanResult.model_validate(body["result"])
    assert {a.id for a in result.assets} == {a.id for a in demo.after.assets}
    assert result.worst_verdict() == "deny"
    latest1 = get(client, "/api/v1/scans/latest~1", target=TARGET)
    assert latest1["scan"]["id"] == demo.old.id
    summary = get(client, "/api/v1/scans/latest", target=TARGET, full="false")
    assert summary["result"] is None and summary["scan"]["id"] == demo.new.id


@pytest.mark.parametrize("ref", ["999", "latest~9", "latest~1?target=payments"])
def test_unknown_scan_refs_are_404(client: TestClient, ref: str) -> None:
    r = client.get(f"/api/v1/scans/{ref}", headers=auth())
    assert r.status_code == 404, r.text
    assert r.json()["detail"]


@pytest.mark.parametrize("ref", ["latest~", "-1", "latest~x", "1;drop", "a" * 40])
def test_malformed_scan_refs_are_422(client: TestClient, ref: str) -> None:
    assert client.get(f"/api/v1/scans/{ref}", headers=auth()).status_code == 422


def test_a_recorded_error_has_no_result(client: TestClient) -> None:
    errors = [s for s in get(client, "/api/v1/scans")["items"] if s["status"] == "error"]
    body = get(client, f"/api/v1/scans/{errors[0]['id']}")
    assert body["scan"]["error"] and body["result"] is None
    # latest of a target counts ok scans only: payments has none
    r = client.get("/api/v1/scans/latest", params={"target": "payments"}, headers=auth())
    assert r.status_code == 404 and "store" not in r.json()["detail"]  # no server path in the answer


def test_assets_default_to_the_latest_scan_of_each_target(client: TestClient, demo: Demo) -> None:
    page = get(client, "/api/v1/assets", limit=500)
    assert page["total"] == len(demo.after.assets)
    assert {a["scan_id"] for a in page["items"]} == {demo.new.id}
    names = {a["name"] for a in page["items"]}
    assert NEW_ASSET in names


def test_asset_filters(client: TestClient, demo: Demo) -> None:
    denies = get(client, "/api/v1/assets", verdict="deny", limit=500)["items"]
    assert denies and all(a["verdict"] == "deny" for a in denies)
    assert NEW_ASSET in {a["name"] for a in denies}
    cn = get(client, "/api/v1/assets", jurisdiction="CN", limit=500)["items"]
    assert cn and all(a["jurisdiction"] == "CN" for a in cn)
    ds = get(client, "/api/v1/assets", producer="deepseek", limit=500)["items"]
    assert ds and all(a["producer"] == "deepseek" for a in ds)
    q = get(client, "/api/v1/assets", q="DEEPSEEK-CODER")["items"]
    assert [a["name"] for a in q] == [NEW_ASSET]
    models = get(client, "/api/v1/assets", kind="ai-model", limit=500)["items"]
    assert models and all(a["kind"] == "ai-model" for a in models)
    old = get(client, "/api/v1/assets", scan=demo.old.id, limit=500)
    assert old["total"] == len(demo.before.assets)
    assert NEW_ASSET not in {a["name"] for a in old["items"]}
    assert get(client, "/api/v1/assets", target="nobody")["total"] == 0


def test_asset_pagination_walks_every_row_once(client: TestClient, demo: Demo) -> None:
    seen: list[str] = []
    offset = 0
    while True:
        page = get(client, "/api/v1/assets", offset=offset, limit=7)
        assert page["limit"] == 7 and page["offset"] == offset
        seen += [a["asset_id"] for a in page["items"]]
        offset += 7
        if offset >= page["total"]:
            break
    assert sorted(seen) == sorted(a.id for a in demo.after.assets)


def test_decisions_and_rule_filter(client: TestClient, demo: Demo) -> None:
    rows = get(client, "/api/v1/decisions", verdict="deny", limit=500)["items"]
    new = next(r for r in rows if r["asset_name"] == NEW_ASSET)
    assert new["verdict"] == "deny" and new["rules"]
    by_rule = get(client, "/api/v1/decisions", rule_id=new["rules"][0], limit=500)["items"]
    assert by_rule and all(new["rules"][0] in r["rules"] for r in by_rule)


def test_findings_endpoint(client: TestClient) -> None:
    page = get(client, "/api/v1/findings")
    assert page["items"] == [] and page["total"] == 0  # the demo has no unsafe artifacts
    assert get(client, "/api/v1/findings", severity_ignored="x")["total"] == 0


def test_trend_has_one_point_per_ok_scan(client: TestClient, demo: Demo) -> None:
    points = get(client, "/api/v1/trend")
    assert [p["scan_id"] for p in points] == [demo.old.id, demo.new.id]
    assert points[1]["denies"] == points[0]["denies"] + 1


def test_diff_latest_against_previous_shows_the_new_deny(client: TestClient) -> None:
    d = get(client, "/api/v1/diff", old="latest~1", new="latest", target=TARGET)
    new_assets = [(a["change"], a["name"], a["verdict"]) for a in d["assets"]]
    assert ("new", NEW_ASSET, "deny") in new_assets
    decisions = [(c["change"], c["asset_name"], c["new"]) for c in d["decisions"]]
    assert ("new", NEW_ASSET, "deny") in decisions
    at = {(u["asset_name"], u["location"]["path"], u["location"]["line"]) for u in d["usages"]}
    assert (NEW_ASSET, NEW_FILE, 4) in at
    assert d["regressions"]
    same = get(client, "/api/v1/diff", old="latest", new="latest", target=TARGET)
    assert not same["assets"] and not same["decisions"] and not same["regressions"]


def test_diff_of_unknown_refs_is_404(client: TestClient) -> None:
    r = client.get("/api/v1/diff", params={"old": "77", "new": "latest"}, headers=auth())
    assert r.status_code == 404


def test_explain_gives_usages_with_file_line_and_cited_rules(client: TestClient, demo: Demo) -> None:
    items = get(client, "/api/v1/explain", asset=NEW_ASSET)["items"]
    assert len(items) == 1
    x = items[0]
    assert x["scan_id"] == demo.new.id and x["verdict"] == "deny"
    assert any(u["at"] == f"{NEW_FILE}:4" and u["verdict"] == "deny" for u in x["usages"])
    assert x["rules"] and all(r["citation"]["url"].startswith("https://") for r in x["rules"])
    assert {p["jurisdiction"] for p in x["producers"]} == {"CN"}
    # by id within a scan, and through the target's latest scan
    by_id = get(client, "/api/v1/explain", asset=x["asset_id"], scan=str(demo.new.id))["items"]
    assert by_id[0]["asset_id"] == x["asset_id"]
    via_target = get(client, "/api/v1/explain", asset=NEW_ASSET, target=TARGET)["items"]
    assert via_target[0]["scan_id"] == demo.new.id


def test_explain_of_an_asset_that_is_not_there_is_404(client: TestClient, demo: Demo) -> None:
    for params in (
        {"asset": "no-such-model"},
        {"asset": NEW_ASSET, "scan": str(demo.old.id)},  # not in the old scan
        {"asset": "as-0000000000000000", "target": TARGET},
    ):
        assert client.get("/api/v1/explain", params=params, headers=auth()).status_code == 404, params


def test_openapi_documents_every_endpoint_with_record_schemas(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    paths = doc["paths"]
    for p in (
        "/api/v1/targets",
        "/api/v1/scans",
        "/api/v1/scans/{ref}",
        "/api/v1/assets",
        "/api/v1/decisions",
        "/api/v1/findings",
        "/api/v1/trend",
        "/api/v1/diff",
        "/api/v1/explain",
        "/api/v1/jobs/{job_id}",
    ):
        assert "get" in paths[p], p
    assert "post" in paths["/api/v1/scans"]
    schemas = doc["components"]["schemas"]
    for name in ("Page_AssetRow_", "AssetRow", "ScanDetail", "ScanResult", "ScanDiff", "Job", "ExplainPage"):
        assert name in schemas, name
    ok = paths["/api/v1/assets"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/Page_AssetRow_"}
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert client.get("/docs").status_code == 200


def test_limit_over_the_maximum_is_422(client: TestClient) -> None:
    for params in ({"limit": 501}, {"limit": 0}, {"offset": -1}, {"limit": "x"}, {"verdict": "maybe"}):
        r = client.get("/api/v1/assets", params=params, headers=auth())
        assert r.status_code == 422, params


def test_control_characters_in_filters_are_422(client: TestClient) -> None:
    for value in ("a\x00b", "line\nbreak", "\x1b[31m"):
        r = client.get("/api/v1/assets", params={"q": value}, headers=auth())
        assert r.status_code == 422, repr(value)
