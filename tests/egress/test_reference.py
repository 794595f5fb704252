"""Differential test: the fast reader (literal search over blocks, only candidate lines parsed, suffix-walk
lookup) against a naive reference that parses every line and tries every rule, on random logs full of near
misses (``not``-prefixed domains, ``.evil`` suffixes, upper case, trailing dots, answers that name catalog
hosts)."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

import tierguard.egress.streams as streams
from tests.egress import builders as b
from tierguard.catalog import Catalog
from tierguard.egress import EgressOptions, HostRule, normalise_host, read_egress, rules_from_catalog


def _reference_match(rules: list[HostRule], host: str) -> HostRule | None:
    exact = [r for r in rules if r.host == host or (r.host.startswith(".") and r.host[1:] == host)]
    if exact:
        return max(exact, key=lambda r: r.rank)
    best: tuple[int, tuple[int, int]] | None = None
    hit = None
    for r in rules:
        suffix = r.host[2:] if r.host.startswith("*.") else r.host[1:] if r.host.startswith(".") else None
        if suffix is None or not host.endswith("." + suffix):
            continue
        key = (len(suffix), r.rank)
        if best is None or key > best:
            best, hit = key, r
    return hit


def _hosts(rules: list[HostRule], rnd: random.Random, n: int) -> list[str]:
    bases = [r.host.lstrip("*.") for r in rules]
    out = []
    for _ in range(n):
        h = rnd.choice(bases)
        roll = rnd.random()
        if roll < 0.15:
            h = "not" + h
        elif roll < 0.3:
            h = h + ".evil.example"
        elif roll < 0.45:
            h = f"x{rnd.randint(0, 99)}." + h
        elif roll < 0.55:
            h = h.upper()
        elif roll < 0.6:
            h = h + "."
        elif roll < 0.85:
            h = f"h{rnd.randint(0, 9999)}.example.org"
        out.append(h)
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("fmt", ["zeek-dns", "zeek-http-json", "squid", "windows-dns"])
def test_fast_reader_equals_reference(
    tmp_path: Path, catalog: Catalog, monkeypatch: pytest.MonkeyPatch, seed: int, fmt: str
) -> None:
    monkeypatch.setattr(streams, "BLOCK", 8192)  # many block boundaries
    rnd = random.Random(seed)
    plain = [r for r in rules_from_catalog(catalog) if "*" not in r.host.removeprefix("*.")]  # no patterns
    rules = plain
    rules.append(HostRule(".chat.example.cn", "Chat", "deepseek", "CN", "consumer-app", "A"))
    hosts = _hosts(rules, rnd, 3000)
    qs = [
        b.Q(1764576000.0 + i, f"10.0.0.{rnd.randint(1, 5)}", h, rnd.choice(["a", "b", None]))
        for i, h in enumerate(hosts)
    ]
    build = {
        "zeek-dns": lambda q: b.zeek_tsv("dns", q),
        "zeek-http-json": lambda q: b.zeek_json("http", q),
        "squid": b.squid,
        "windows-dns": b.windows_dns,
    }[fmt]
    p = tmp_path / "log"
    p.write_bytes(b.gz(build(qs)) if seed == 2 else build(qs))
    out = read_egress(p, rules=rules, catalog=catalog, options=EgressOptions(max_line_bytes=4000))
    users = fmt in ("zeek-http-json", "squid")
    expected: Counter[tuple[str, str, str | None, str]] = Counter()
    memo: dict[str, HostRule | None] = {}
    for q in qs:
        h = normalise_host(q.host)
        r = memo[h] if h in memo else memo.setdefault(h, _reference_match(rules, h))
        if r is not None:
            expected[(r.service, q.client, q.user if users else None, h)] += 1
    got = Counter(
        {(a.name, u.host or "", u.user, u.as_written): u.count for a in out.assets for u in a.usages}
    )
    assert got == expected
    assert out.matched == sum(expected.values()) > 100
    assert out.skipped == ()
