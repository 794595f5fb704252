"""The demo fleet's network logs (examples/fleet/logs, README there) read into per-client usages."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierguard.catalog import Catalog
from tierguard.egress import HostRule, read_egress, rules_from_catalog, sniff

LOGS = Path(__file__).resolve().parents[2] / "examples" / "fleet" / "logs"

DAY = "2025-12-01T"


def _table(*rows: tuple[object, ...]) -> dict[tuple[object, ...], tuple[object, ...]]:
    """(service, client, user, host, count, first, last, line, use mode, strength) rows -> expected map."""
    return {r[:4]: (r[4], f"{DAY}{r[5]}Z", f"{DAY}{r[6]}Z", *r[7:]) for r in rows}


ZEEK = _table(
    (
        "DeepSeek (app)",
        "10.20.1.42",
        None,
        "chat.deepseek.com",
        4,
        "08:00:02",
        "09:00:00",
        10,
        "consumer-app",
        "A",
    ),
    (
        "DeepSeek API",
        "10.20.1.42",
        None,
        "cdn.deepseek.com",
        1,
        "08:00:03",
        "08:00:03",
        12,
        "consumer-app",
        "C",
    ),
    (
        "Kimi (app)",
        "10.20.1.57",
        None,
        "kimi.moonshot.cn",
        1,
        "08:00:14",
        "08:00:14",
        14,
        "consumer-app",
        "A",
    ),
    (
        "Moonshot (Kimi) API",
        "10.20.1.57",
        None,
        "api.moonshot.cn",
        1,
        "08:00:15",
        "08:00:15",
        15,
        "hosted-api",
        "A",
    ),
    (
        "DeepSeek API",
        "10.20.1.57",
        None,
        "platform.deepseek.com",
        1,
        "08:01:15",
        "08:01:15",
        23,
        "consumer-app",
        "B",
    ),
    (
        "DeepSeek API",
        "10.20.2.15",
        None,
        "api.deepseek.com",
        4,
        "08:00:31",
        "10:00:00",
        16,
        "hosted-api",
        "A",
    ),
    ("OpenAI API", "10.20.2.15", None, "api.openai.com", 1, "08:01:30", "08:01:30", 24, "hosted-api", "A"),
)
SQUID = _table(
    (
        "DeepSeek (app)",
        "10.20.1.42",
        "jdoe",
        "chat.deepseek.com",
        2,
        "08:00:05",
        "08:01:02",
        1,
        "consumer-app",
        "A",
    ),
    (
        "Kimi (app)",
        "10.20.1.57",
        "kchen",
        "kimi.moonshot.cn",
        1,
        "08:00:16",
        "08:00:16",
        3,
        "consumer-app",
        "A",
    ),
    (
        "DeepSeek API",
        "10.20.2.15",
        "svc-batch",
        "api.deepseek.com",
        2,
        "08:00:36",
        "08:00:37",
        4,
        "hosted-api",
        "A",
    ),
    (
        "OpenAI API",
        "10.20.2.15",
        "svc-batch",
        "api.openai.com",
        1,
        "08:01:31",
        "08:01:31",
        7,
        "hosted-api",
        "A",
    ),
)


@pytest.mark.parametrize(
    ("name", "fmt", "expected"), [("zeek-dns.log", "zeek-dns", ZEEK), ("squid-access.log", "squid", SQUID)]
)
def test_example_logs(
    rules: list[HostRule], catalog: Catalog, name: str, fmt: str, expected: dict[object, object]
) -> None:
    path = LOGS / name
    assert sniff(path.read_bytes()[:65536], name) == fmt
    out = read_egress(path, rules=rules, catalog=catalog)
    got = {
        (a.name, u.host, u.user, u.as_written): (
            u.count,
            u.first_seen,
            u.last_seen,
            u.location.line,
            u.use_mode,
            u.strength,
        )
        for a in out.assets
        for u in a.usages
    }
    assert got == expected
    assert out.skipped == () and out.notes == ()
    assert all(u.location.path == str(path) for a in out.assets for u in a.usages)
    assert len(out.evidence) == len(expected)
    # the traps are never matched
    assert not any(
        "notdeepseek" in u.as_written or "evil" in u.as_written for a in out.assets for u in a.usages
    )


def test_chat_deepseek_is_seen_without_an_app_catalog(catalog: Catalog) -> None:
    """With the catalog's rules only, chat.deepseek.com still shows (a C-strength web-domain usage of the
    DeepSeek service), never silently unmatched."""
    out = read_egress(LOGS / "zeek-dns.log", rules=rules_from_catalog(catalog), catalog=catalog)
    chat = [
        (a.name, u.host, u.count, u.strength)
        for a in out.assets
        for u in a.usages
        if u.as_written == "chat.deepseek.com"
    ]
    assert chat == [("DeepSeek API", "10.20.1.42", 4, "C")]
