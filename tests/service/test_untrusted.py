"""Everything in the store is untrusted text (it came from scanned repositories): a recorded result whose
asset names, excerpts, paths, target and citation URL carry markup is shown escaped, a non-http(s) citation
URL never becomes a link, and the chart data cannot break out of its JSON block."""

from __future__ import annotations

from pathlib import Path

import msgspec
from fastapi.testclient import TestClient

from tests.service.conftest import NEW_ASSET, Demo, auth, settings
from tierguard.model import Citation, ScanResult
from tierguard.service.app import create_app
from tierguard.store import open_store

EVIL = "<script>alert(1)</script>"
EVIL_TARGET = "t</script><img src=x onerror=alert(2)>"


def hostile(result: ScanResult) -> ScanResult:
    """The after-scan with markup in every text a page shows, and a javascript: citation URL."""
    asset = next(a for a in result.assets if a.name == NEW_ASSET)
    usage = msgspec.structs.replace(
        asset.usages[0],
        excerpt=f"x = '{EVIL}'",
        location=msgspec.structs.replace(asset.usages[0].location, path=f"src/{EVIL}.py"),
    )
    evil_asset = msgspec.structs.replace(asset, name=f"{NEW_ASSET}{EVIL}", usages=(usage,))
    decision = next(d for d in result.decisions if d.asset_id == asset.id)
    match = decision.matches[0]
    cite = Citation(instrument=f"Act {EVIL}", date="2025-01-01", url="javascript:alert(3)")
    evil_match = msgspec.structs.replace(match, citation=cite, reason=f"because {EVIL}")
    evil_decision = msgspec.structs.replace(decision, asset_id=evil_asset.id, matches=(evil_match,))
    assets = tuple(evil_asset if a.id == asset.id else a for a in result.assets)
    decisions = tuple(evil_decision if d.asset_id == asset.id else d for d in result.decisions)
    return msgspec.structs.replace(result, assets=assets, decisions=decisions)


def test_store_text_is_escaped_everywhere(demo: Demo, tmp_path: Path) -> None:
    url = demo.copy_db(tmp_path)
    store = open_store(url)
    try:
        ref = store.record(hostile(demo.after), target=EVIL_TARGET, owner=f"owner {EVIL}")
    finally:
        store.close()
    with TestClient(create_app(settings(store=url))) as c:
        asset_id = next(
            a["asset_id"]
            for a in c.get("/api/v1/assets", params={"scan": ref.id, "limit": 500}, headers=auth()).json()[
                "items"
            ]
            if a["name"].startswith(NEW_ASSET)
        )
        pages = {
            "/": c.get("/", headers=auth()).text,
            "/assets": c.get("/assets", params={"q": "script"}, headers=auth()).text,
            "asset": c.get(f"/asset/{ref.id}/{asset_id}", headers=auth()).text,
            "diff": c.get("/diff", params={"old": demo.new.id, "new": ref.id}, headers=auth()).text,
        }
    for name, html in pages.items():
        assert "<script>alert" not in html, name
        assert "<img src=x" not in html, name
        assert "</script><img" not in html, name
    asset_page = pages["asset"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in asset_page
    assert 'href="javascript:' not in asset_page and "javascript:alert(3)" in asset_page  # shown as text
    assert "src/&lt;script&gt;alert(1)&lt;/script&gt;.py:4" in asset_page
    # the chart's JSON data block holds the target's name with < escaped (\u003c), so it cannot end the block
    assert "\\u003c/script\\u003e" in pages["/"] or EVIL_TARGET not in pages["/"]
