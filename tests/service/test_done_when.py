"""Issue 14's "done when": a two-scan history of the demo (before/after adding a DeepSeek call) shows the new
deny in ``tierguard diff``, the dashboard and the API. One test, one copy of the same two recorded scans:
the CLI in a subprocess, then ``tierguard serve`` (uvicorn) on a loopback port answering the API and the
dashboard's pages over HTTP. (tests/service/test_browser.py shows the same pages drawn in Chromium.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.service.conftest import NEW_ASSET, NEW_FILE, TARGET, Demo, auth, start_server, stop_server
from tests.service.html import tables


def cli_diff(url: str) -> tuple[int, dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIERGUARD_")}
    cmd = [sys.executable, "-m", "tierguard", "diff", "latest~1", "latest", "--target", TARGET]
    run = subprocess.run(
        [*cmd, "--store", url, "--format", "json"], env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode in (0, 1), run.stderr[-2000:]
    body: dict[str, Any] = json.loads(run.stdout)
    return run.returncode, body


def changes(d: dict[str, Any]) -> set[tuple[str, str, str | None, str | None]]:
    return {(c["change"], c["asset_name"], c["old"], c["new"]) for c in d["decisions"]}


def test_the_new_deepseek_deny_shows_in_diff_the_dashboard_and_the_api(demo: Demo, tmp_path: Path) -> None:
    url = demo.copy_db(tmp_path)
    new_deny = ("new", NEW_ASSET, None, "deny")

    # 1. tierguard diff between the two recorded scans: the new deny, and exit 1 (--fail-on deny)
    rc, cli = cli_diff(url)
    assert rc == 1
    assert new_deny in changes(cli)
    assert any(u["asset_name"] == NEW_ASSET and u["location"]["path"] == NEW_FILE for u in cli["usages"])

    proc, base = start_server(url)
    try:
        with httpx.Client(base_url=base, headers=auth(), timeout=30) as c:

            def api(path: str, **params: Any) -> Any:
                r = c.get(path, params=params)
                assert r.status_code == 200, (path, r.status_code, r.text[:300])
                return r.json()

            # 2. the API: the same diff, the deny listed in the new scan only, explained with file:line
            d = api("/api/v1/diff", old="latest~1", new="latest", target=TARGET)
            assert changes(d) == changes(cli)
            new_id = next(c["asset_id"] for c in d["decisions"] if c["asset_name"] == NEW_ASSET)
            assert any(r["ref"] == new_id and r["level"] == "deny" for r in d["regressions"])
            denied = {r["asset_name"] for r in api("/api/v1/decisions", verdict="deny", limit=500)["items"]}
            before = api("/api/v1/decisions", verdict="deny", scan=demo.old.id, limit=500)["items"]
            assert NEW_ASSET in denied and NEW_ASSET not in {r["asset_name"] for r in before}
            (x,) = api("/api/v1/explain", asset=NEW_ASSET, target=TARGET)["items"]
            assert x["verdict"] == "deny" and f"{NEW_FILE}:4" in {u["at"] for u in x["usages"]}
            trend = api("/api/v1/trend", target=TARGET)
            assert [p["scan_id"] for p in trend] == [demo.old.id, demo.new.id]
            assert trend[1]["denies"] == trend[0]["denies"] + 1

            def deepseek(scan: int) -> int:
                items = api("/api/v1/breakdown", by="producer", scan=scan)["items"]
                return int(next(b["deny"] for b in items if b["key"] == "deepseek"))

            assert deepseek(demo.new.id) == deepseek(demo.old.id) + 1

            # 3. the dashboard: the changes page, the overview (trend data, producers), the asset page
            def page(path: str, **params: Any) -> str:
                r = c.get(path, params=params)
                assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path
                return r.text

            t = tables(page("/diff", old="latest~1", new="latest", target=TARGET))
            assert ["new", NEW_ASSET, "- → deny"] in [row[:3] for row in t["diff-decisions"]]
            assert any(row[1] == NEW_ASSET and row[2] == f"{NEW_FILE}:4" for row in t["diff-usages"])
            overview = page("/", target=TARGET)
            chart = json.loads(overview.split('id="trend-data">', 1)[1].split("</script>", 1)[0])
            assert chart["denies"][1] == chart["denies"][0] + 1
            (row,) = [r for r in tables(overview)["targets"] if r[0] == TARGET]
            assert int(row[5]) == trend[1]["denies"]
            producers = {r[0]: int(r[2]) for r in tables(overview)["producers"]}
            assert producers["deepseek"] == deepseek(demo.new.id)
            listed = tables(page("/assets", target=TARGET, verdict="deny"))["assets"]
            assert NEW_ASSET in {cell for r in listed for cell in r}
            asset = page(f"/asset/{demo.new.id}/{x['asset_id']}")
            assert f"{NEW_FILE}:4" in {cell for r in tables(asset)["usages"] for cell in r}
    finally:
        stop_server(proc)
