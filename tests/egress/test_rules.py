"""Host rules: forms, label boundaries, the most specific rule, catalog-derived rules, prefilter literals."""

from __future__ import annotations

import random

import pytest

from tierguard.catalog import Catalog
from tierguard.egress import HostMatcher, HostRule, normalise_host, rules_from_catalog
from tierguard.egress.rules import label_form


def rule(host: str, service: str = "S", strength: str = "A", use_mode: str = "hosted-api") -> HostRule:
    return HostRule(host, service, "deepseek", "CN", use_mode, strength)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("api.deepseek.com", "exact"),
        ("chat.deepseek.com", "dot"),
        ("deepseek.com", "dot"),
        ("a.b.deepseek.com", "dot"),
        ("notdeepseek.com", None),
        ("deepseek.com.evil.example", None),
        ("deepseek.co", None),
        ("x.xfyun.cn", "wild"),
        ("a.b.xfyun.cn", "wild"),
        ("xfyun.cn", None),  # "*.x" is strict subdomains only
        ("myxfyun.cn", None),
        ("ark.ap-southeast.bytepluses.com", "pattern"),
        ("ark.bytepluses.com", None),
        ("us-central1-aiplatform.googleapis.com", "pattern2"),
        ("aiplatform.googleapis.com", None),
        ("www.googleapis.com", None),
    ],
)
def test_forms_and_label_boundaries(host: str, expected: str | None) -> None:
    m = HostMatcher(
        [
            rule("api.deepseek.com", "exact"),
            rule(".deepseek.com", "dot"),
            rule("*.xfyun.cn", "wild"),
            rule("ark.*.bytepluses.com", "pattern"),
            rule("*-aiplatform.googleapis.com", "pattern2"),
        ]
    )
    hit = m.match(host)
    assert (hit.service if hit else None) == expected


def test_most_specific_rule_wins_whatever_the_order() -> None:
    rules = [
        rule("*.deepseek.com", "domain", "C"),
        rule("*.chat.deepseek.com", "chat-sub"),
        rule("chat.deepseek.com", "chat"),
    ]
    for order in (rules, rules[::-1]):
        m = HostMatcher(order)
        assert m.match("chat.deepseek.com").service == "chat"  # type: ignore[union-attr]
        assert m.match("x.chat.deepseek.com").service == "chat-sub"  # type: ignore[union-attr]
        assert m.match("cdn.deepseek.com").service == "domain"  # type: ignore[union-attr]


def test_same_host_strongest_rule_wins() -> None:
    weak = rule("api.deepseek.com", "web", "C", "consumer-app")
    strong = rule("api.deepseek.com", "api", "A", "hosted-api")
    for order in ([weak, strong], [strong, weak]):
        assert HostMatcher(order).match("api.deepseek.com").service == "api"  # type: ignore[union-attr]


def test_rule_host_is_validated_and_normalised() -> None:
    assert rule("API.DeepSeek.com.").host == "api.deepseek.com"
    for bad in ("", "*", "a b.com", "a..com", "."):
        with pytest.raises(ValueError):
            rule(bad)


@pytest.mark.parametrize(
    ("value", "host"),
    [
        ("api.deepseek.com", "api.deepseek.com"),
        ("API.DeepSeek.COM.", "api.deepseek.com"),
        ("api.deepseek.com:443", "api.deepseek.com"),
        ("https://user:pw@api.deepseek.com:8443/v1/chat?x=1", "api.deepseek.com"),
        ("http://chat.deepseek.com/", "chat.deepseek.com"),
        ("[2606:4700::6812:1a5a]:443", "2606:4700::6812:1a5a"),
        ("-", ""),
        ("(empty)", ""),
        ("", ""),
    ],
)
def test_normalise_host(value: str, host: str) -> None:
    assert normalise_host(value) == host


def test_catalog_rules(catalog: Catalog) -> None:
    rules = rules_from_catalog(catalog)
    m = HostMatcher(rules)

    def get(h: str) -> tuple[str, str, str, str] | None:
        r = m.match(h)
        return (r.service, r.use_mode, r.strength, r.jurisdiction) if r else None

    # every endpoint host (path prefixes folded) is a hosted-api A rule named like the code scan's service
    for e in catalog.endpoints:
        if "*" not in e.host:
            got = m.match(e.host)
            assert got is not None and got.service == catalog.endpoint_service(e), e.host
            assert (got.use_mode, got.strength) == ("hosted-api", "A")
    assert get("api.deepseek.com") == ("DeepSeek API", "hosted-api", "A", "CN")
    assert get("platform.deepseek.com") == ("DeepSeek API", "consumer-app", "B", "CN")  # console
    assert get("api-docs.deepseek.com") == ("DeepSeek API", "consumer-app", "C", "CN")  # docs
    assert get("status.deepseek.com")[2] == "C"  # type: ignore[index]
    assert get("www.deepseek.com")[2] == "C"  # type: ignore[index]
    assert get("deepseek.com")[2] == "C"  # type: ignore[index]
    assert get("chat.deepseek.com")[1:3] == ("consumer-app", "C")  # type: ignore[index]  # web-domain fallback
    assert get("notdeepseek.com") is None
    # a wildcard endpoint's web hosts are sites, not the API (sites.yaml wins over *.xfyun.cn)
    assert get("foo.xfyun.cn")[1:3] == ("hosted-api", "A")  # type: ignore[index]
    assert get("console.xfyun.cn")[1:3] == ("consumer-app", "B")  # type: ignore[index]
    assert get("xinghuo.xfyun.cn")[1:3] == ("consumer-app", "B")  # type: ignore[index]
    assert get("www.xfyun.cn")[1:3] == ("consumer-app", "C")  # type: ignore[index]
    assert get("bedrock-runtime.eu-west-1.amazonaws.com")[0] == "Amazon Bedrock"  # type: ignore[index]
    # cloud and per-tenant domains get no web hosts
    for h in ("www.googleapis.com", "docs.aliyuncs.com", "www.amazonaws.com", "console.openai.azure.com"):
        got = m.match(h)
        assert got is None or got.use_mode == "hosted-api", h


def _examples(r: HostRule, rnd: random.Random) -> list[str]:
    h = r.host
    sub = "".join(rnd.choice("abcdefghij") for _ in range(5))
    if h.startswith("."):
        return [h[1:], f"{sub}.{h[1:]}"]
    return [h.replace("*", sub, 1).replace("*", "x")]


def test_every_match_contains_its_rule_literal(catalog: Catalog) -> None:
    """The prefilter is complete: a host a rule matches contains the rule's literal, and in Windows DNS
    label form its label literal."""
    rnd = random.Random(1)
    rules = rules_from_catalog(catalog) + [rule(".example.cn"), rule("*-x.example.com")]
    m = HostMatcher(rules)
    for r in rules:
        for host in _examples(r, rnd):
            got = m.match(host)
            assert got is not None, host
            assert got.literal() in host, (host, got.host)
            assert got.label_literal() in label_form(host) + "(0)", (host, got.host)


def test_lookup_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    import tierguard.egress.rules as mod

    monkeypatch.setattr(mod, "MATCH_CACHE", 10)
    m = HostMatcher([rule("*.deepseek.com")])
    for i in range(100):
        assert m.match(f"h{i}.deepseek.com") is not None
    assert len(m._cache) <= 10
