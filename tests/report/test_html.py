from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tierguard.model import ScanResult
from tierguard.report import html

from .conftest import HOSTILE, MODEL_NAME, asset_by_name

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(text: str) -> list[tuple[str, dict[str, str | None]]]:
    p = _Collector()
    p.feed(text)
    return p.tags


def test_hostile_excerpt_is_escaped(result: ScanResult) -> None:
    out = html.render(result)
    assert HOSTILE not in out
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in out
    tags = _tags(out)
    assert not [t for t, _ in tags if t in ("script", "img", "iframe", "link", "object", "embed")]
    assert not [a for _, a in tags if any(k.startswith("on") for k in a)]


def test_self_contained(result: ScanResult) -> None:
    out = html.render(result)
    for tag, attrs in _tags(out):
        if tag == "a":
            assert (attrs.get("href") or "").startswith("https://")
        assert "src" not in attrs
    assert "<style>" in out and out.count("<svg") == 2
    assert "@import" not in out and "url(" not in out


def test_sections_and_content(result: ScanResult) -> None:
    out = html.render(result)
    text = re.sub(r"\s+", " ", out)
    assert 'Worst verdict: <span class="verdict deny">DENY</span>' in text
    for section in ("summary", "decisions", "evidence", "not-inspected", "waivers", "notes", "provenance"):
        assert f'id="{section}"' in out
    # decisions with citations as links
    assert '<a href="https://www.congress.gov/bill/119th-congress/house-bill/1121">' in out
    assert "John S. McCain NDAA for FY2019, section 889" in out
    assert "(secondary source, verify)" in out
    # the waived decision stays visible with its waiver
    assert "waived (deny)" in out and "WVR-2026-007" in out and "CISO 2026-10-01" in out
    # evidence per asset with location and the model id
    assert "app/inference.py:12" in out and asset_by_name(result, MODEL_NAME).id in out
    assert "distill of meta-llama/Llama-3.3-70B-Instruct (Meta, US)" in out
    # gaps with reasons
    assert "skipped: vendored</td><td>2" in out
    assert "incomplete: truncated metadata" in out and "not-inspected: too-large" in out
    # provenance of the report itself
    for needle in (
        "2026.11.1",
        "us-federal@2025.11",
        "org-baseline@1.2.0",
        "country=US",
        "sector=government",
    ):
        assert needle in out
    assert "hosts inventory covers 1 of 3 sites" in out


def test_charts_reflect_counts(result: ScanResult) -> None:
    ctx = html.context(result)
    juris = {b.label: b.value for b in ctx["chart_jurisdiction"].bars}
    assert juris == {"CN": 4, "US": 1, "GB": 1}
    verdicts = {b.label: b.value for b in ctx["chart_verdict"].bars}
    assert verdicts == {"deny": 2, "review": 1, "waived": 1, "allow": 2, "undecided": 0}
    assert ctx["chart_jurisdiction"].bars[0].width == 300


def test_javascript_urls_are_not_links(result: ScanResult) -> None:
    bad = result.rules[0].citations[0].model_copy(update={"url": "javascript:alert(1)"})
    d = result.decisions[0]
    m = d.matches[0].model_copy(update={"citation": bad})
    r2 = result.model_copy(
        update={"decisions": (d.model_copy(update={"matches": (m,)}), *result.decisions[1:])}
    )
    out = html.render(r2)
    assert 'href="javascript:' not in out


def test_empty_result(empty_result: ScanResult) -> None:
    out = html.render(empty_result)
    assert "No decisions were made." in out and "ALLOW" in out


@pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not installed (apt-get install chromium); browser check skipped"
)
def test_renders_in_headless_chromium(result: ScanResult, tmp_path: Path) -> None:
    assert CHROMIUM is not None
    page = tmp_path / "report.html"
    page.write_text(html.render(result), encoding="utf-8")
    png = tmp_path / "shot.png"
    common = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    subprocess.run(
        [*common, f"--screenshot={png}", "--window-size=1280,2000", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert png.exists(), "chromium produced no screenshot"
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000  # a blank 1280x2000 PNG compresses to a few KB
    assert len(set(data[1000:20000])) > 200  # varied bytes, not a flat image
    dom = subprocess.run(
        [*common, "--dump-dom", page.as_uri()], capture_output=True, timeout=120, check=False, text=True
    ).stdout
    assert "Worst verdict" in dom and "DENY" in dom
    assert "<script>" not in dom
