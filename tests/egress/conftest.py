from __future__ import annotations

from dataclasses import dataclass

import pytest

from tierguard.catalog import Catalog
from tierguard.egress import HostRule, rules_from_app_hosts, rules_from_catalog


@dataclass(frozen=True)
class AppHost:
    """The shape of the app catalog's host entries (``AppHost``), for rules_from_app_hosts."""

    host: str
    app_id: str
    service: str
    operator: str
    jurisdiction: str


APP_HOSTS = [
    AppHost("chat.deepseek.com", "deepseek", "DeepSeek (app)", "deepseek", "CN"),
    AppHost("kimi.moonshot.cn", "kimi", "Kimi (app)", "moonshot", "CN"),
]


@pytest.fixture(scope="session")
def rules(catalog: Catalog) -> list[HostRule]:
    return rules_from_catalog(catalog) + rules_from_app_hosts(APP_HOSTS)
