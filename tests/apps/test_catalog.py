"""The app catalog: every identifier sourced, producers resolved, hosts for the egress matcher, and name
matching that never takes an ordinary word for an app."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierguard.apps import AppCatalog, load_app_catalog
from tierguard.apps.catalog import iter_idents, norm_name
from tierguard.errors import CatalogError

PRC_AI = (
    "deepseek",
    "doubao",
    "kimi",
    "qwen",
    "ernie",
    "zhipu-qingyan",
    "yuanbao",
    "iflytek-spark",
    "hailuo",
    "manus",
)
NON_AI = ("rednote", "lemon8", "webull", "tiger-brokers", "moomoo")
NON_PRC = ("chatgpt", "claude", "gemini", "copilot", "perplexity")


def test_catalog_has_the_apps_the_issue_names(catalog: AppCatalog) -> None:
    for app_id in PRC_AI + NON_AI + NON_PRC:
        assert app_id in catalog.apps, app_id
    for app_id in PRC_AI + NON_AI:
        assert catalog.apps[app_id].producer.jurisdiction == "CN", app_id
    for app_id in NON_PRC:
        assert catalog.apps[app_id].producer.jurisdiction == "US", app_id
    assert all(catalog.apps[a].entry.ai for a in PRC_AI + NON_PRC)
    assert not any(catalog.apps[a].entry.ai for a in NON_AI)


def test_every_identifier_has_a_source_and_store_ids_are_marked_verify(catalog: AppCatalog) -> None:
    for app in catalog.apps.values():
        assert app.entry.sources
        for kind, ident in iter_idents(app.entry):
            assert ident.sources, (app.id, kind)
            assert all(s.startswith("https://") for s in ident.sources), (app.id, kind, ident.sources)
            # no store listing was read for this catalog: every app-store / extension / package identifier
            # rests on secondary material and must say so
            if kind in ("android", "ios", "macos", "chrome", "edge", "package"):
                assert ident.verify, (app.id, kind, ident)


def test_hosts_for_the_egress_matcher(catalog: AppCatalog) -> None:
    hosts = {h.host: h for h in catalog.hosts()}
    for host, app_id in (
        ("chat.deepseek.com", "deepseek"),
        ("kimi.moonshot.cn", "kimi"),
        ("tongyi.aliyun.com", "qwen"),
        ("yiyan.baidu.com", "ernie"),
        ("chatglm.cn", "zhipu-qingyan"),
        ("www.doubao.com", "doubao"),
        ("yuanbao.tencent.com", "yuanbao"),
        ("chatgpt.com", "chatgpt"),
    ):
        assert hosts[host].app_id == app_id
    ds = hosts["chat.deepseek.com"]
    assert (ds.service, ds.operator, ds.jurisdiction) == ("DeepSeek app and web chat", "deepseek", "CN")
    assert hosts["claude.ai"].jurisdiction == "US"


def test_ids_match_exactly_and_case_insensitively(catalog: AppCatalog) -> None:
    m = catalog.by_id("android", "COM.DeepSeek.Chat")
    assert m is not None and m.app.id == "deepseek" and m.matched_by == "android-package" and m.verify
    assert catalog.by_id("android", "com.deepseek.chat.extra") is None
    assert catalog.by_id("chrome", "fldmhceldgbpfpkbgopacenieobmligc").app.id == "kimi"  # type: ignore[union-attr]
    assert catalog.by_id("vscode", "Alibaba-Cloud.tongyi-lingma").app.id == "qwen"  # type: ignore[union-attr]
    assert catalog.by_package("npm", "@qwen-code/qwen-code").app.id == "qwen"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("name", "platform", "publisher", "app_id"),
    [
        ("DeepSeek", "windows", "", "deepseek"),
        ("DeepSeek 1.3.0 (x64)", "windows", "DeepSeek", "deepseek"),
        ("Kimi.app", "macos", "", "kimi"),
        ("豆包", "windows", "", "doubao"),
        ("讯飞星火", "android", "", "iflytek-spark"),
        ("Gemini", "android", "Google LLC", "gemini"),
        ("Copilot", "windows", "Microsoft Corporation", "copilot"),
        ("Claude", "windows", "Anthropic PBC", "claude"),
        # traps: ordinary words and other products' names
        ("Spark", "macos", "Readdle", None),
        ("Gemini", "android", "Gemini Trust Company, LLC", None),
        ("Gemini", "android", "", None),
        ("Copilot", "windows", "", None),
        ("Manus Core", "windows", "Manus Meta", None),
        ("Manus", "windows", "Manus Technology Group", None),
        ("Claude", "windows", "", None),
        ("DeepSeeker Pro", "windows", "", None),
        ("Kimi WebBridge", "windows", "", None),  # an extension name is matched only among extensions
    ],
)
def test_name_matching(
    catalog: AppCatalog, name: str, platform: str, publisher: str, app_id: str | None
) -> None:
    m = catalog.by_name(name, platform, publisher)  # type: ignore[arg-type]
    assert (m.app.id if m else None) == app_id


def test_norm_name() -> None:
    assert norm_name("DeepSeek 1.2.0 (x64)") == "deepseek"
    assert norm_name("  Kimi.app ") == "kimi"
    assert norm_name("7-Zip 24.08 (x64)") == "7-zip"
    assert norm_name("ChatGPT") == "chatgpt"


def test_invalid_catalog_is_a_catalog_error(tmp_path: Path) -> None:
    bad = tmp_path / "apps.yaml"
    bad.write_text(
        "version: '1'\ndate: '2026-01-01'\napps:\n  - {id: x, name: X, producer: nobody, service: S, sources: ['https://x']}\n"
    )
    with pytest.raises(CatalogError, match="producer 'nobody'"):
        load_app_catalog(bad)
    bad.write_text(
        "version: '1'\ndate: '2026-01-01'\napps:\n  - {id: x, name: X, producer: deepseek, service: S}\n"
    )
    with pytest.raises(CatalogError, match="sources"):
        load_app_catalog(bad)
    bad.write_text(
        "version: '1'\ndate: '2026-01-01'\napps:\n  - {id: x, name: X, producer: deepseek, service: S,"
        " sources: ['https://x'], names: [{name: Spark, ambiguous: true, sources: ['https://x']}]}\n"
    )
    with pytest.raises(CatalogError, match="ambiguous"):
        load_app_catalog(bad)
