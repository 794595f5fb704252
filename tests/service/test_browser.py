"""The dashboard in a real browser: ``tierguard serve`` (uvicorn) on a free loopback port over a real SQLite
store holding two scans of the demo (before/after a DeepSeek call), driven by Playwright from PyPI with
Debian's Chromium (never ``playwright install``). Log in, see the overview and the drawn trend chart, drill
into the new DeepSeek asset and see its usage at file:line and a citation link. No CSP violation, no script
error. On failure a screenshot is written to a temporary directory and its path printed."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.service.conftest import NEW_ASSET, NEW_FILE, READ, Demo, start_server, stop_server

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (PyPI) is not installed")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"
)


@pytest.fixture(scope="module")
def server(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = demo.copy_db(tmp_path_factory.mktemp("browser-store"))
    proc, base = start_server(url)
    try:
        yield base
    finally:
        stop_server(proc)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    problems: list[str] = []
    pg.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: problems.append(str(e)))
    pg.problems = problems
    try:
        yield pg
    finally:
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            out = Path(tempfile.mkdtemp(prefix="tierguard-dashboard-")) / f"{request.node.name}.png"
            try:
                pg.screenshot(path=str(out), full_page=True)
                print(f"\nscreenshot of the failed dashboard test: {out}")
            except Exception as exc:  # the browser may be gone; say so instead of hiding the failure
                print(f"\nno screenshot ({exc})")
        context.close()


def login(page: Any, server: str, token: str = READ) -> None:
    page.goto(f"{server}/")
    assert "/login" in page.url
    page.fill("#token", token)
    page.click("#login button[type=submit]")
    page.wait_for_load_state("load")


def test_login_overview_chart_and_drill_down_to_the_deepseek_asset(page: Any, server: str) -> None:
    login(page, server)
    assert page.url.rstrip("/") == server
    assert page.title().startswith("Estate overview")
    targets = page.locator("#targets tbody").inner_text()
    assert "northwind" in targets and "deny" in targets
    assert "payments" in targets and "error" in targets
    assert "CN" in page.locator("#jurisdictions").inner_text()
    assert "deepseek" in page.locator("#producers").inner_text()
    # the trend chart is drawn: Chart.js ran (data-drawn = points) and the canvas has coloured pixels
    page.wait_for_selector("#trend[data-drawn='2']")
    painted = page.evaluate(
        """() => { const c = document.getElementById('trend');
                   const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; } return n; }"""
    )
    assert painted > 1000
    # drill down: the denies, then the new DeepSeek asset
    page.click("text=Denies")
    page.wait_for_selector("#assets")
    page.click(f"#assets a.asset:text-is('{NEW_ASSET}')")
    page.wait_for_selector("#usages")
    assert NEW_ASSET in page.locator("#asset-name").inner_text()
    assert "deny" in page.locator("#asset-name").inner_text()
    usages = page.locator("#usages").inner_text()
    assert f"{NEW_FILE}:4" in usages
    link = page.locator("#rules a.citation").first
    href = link.get_attribute("href")
    assert href is not None and href.startswith("https://")
    assert link.get_attribute("rel") == "noopener noreferrer nofollow"
    assert page.problems == []  # no CSP violation, no script error


def test_the_latest_changes_page_shows_the_new_deny(page: Any, server: str) -> None:
    login(page, server)
    page.click("text=Latest changes")
    page.wait_for_selector("#diff-decisions")
    rows = page.locator("#diff-decisions tbody").inner_text()
    assert NEW_ASSET in rows and "deny" in rows
    assert f"{NEW_FILE}:4" in page.locator("#diff-usages").inner_text()
    assert page.problems == []


def test_a_wrong_token_stays_on_the_login_page(page: Any, server: str) -> None:
    page.goto(f"{server}/assets")
    page.fill("#token", "not-the-token-0123456789")
    page.click("#login button[type=submit]")
    page.wait_for_selector("#login-error")
    assert "/login" in page.url
    assert page.context.cookies() == []
