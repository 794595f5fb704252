"""Reading every format into per-client usages: one asset per service, one usage and one evidence record per
(client, user, host), counts, first/last seen, locations, excerpts; compression; caps; progress."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.egress import builders as b
from tierguard.catalog import Catalog
from tierguard.egress import EgressOptions, EgressOutput, HostRule, read_egress, read_egress_stream
from tierguard.model import Usage

T0 = 1764576000.0  # 2025-12-01T08:00:00Z
W, M = "10.20.1.42", "10.20.1.57"
QS = [
    b.Q(T0 + 0, W, "chat.deepseek.com", "jdoe"),
    b.Q(T0 + 60, M, "api.deepseek.com", "kchen"),
    b.Q(T0 + 120, W, "www.google.com", "jdoe"),
    b.Q(T0 + 180, M, "api.deepseek.com", "kchen"),
    b.Q(T0 + 240, W, "notdeepseek.com", "jdoe"),
    b.Q(T0 + 300, M, "kimi.moonshot.cn", "kchen"),
    b.Q(T0 + 360, W, "CHAT.DeepSeek.com", "jdoe"),  # DNS is case-insensitive
    b.Q(T0 + 3600, M, "api.deepseek.com", "kchen"),
]
CSV_MAP = EgressOptions(
    host_column="Destination Host",
    client_column="Source IP",
    user_column="Source User",
    time_column="Timestamp",
)
JSON_MAP = EgressOptions(
    host_column="dest_host", client_column="src.ip", user_column="user", time_column="time"
)

# (format, builder, has users, options, first data line)
FORMATS: list[tuple[str, Callable[[list[b.Q]], bytes], bool, EgressOptions | None, int]] = [
    ("zeek-dns", lambda q: b.zeek_tsv("dns", q), False, None, 9),
    ("zeek-ssl", lambda q: b.zeek_tsv("ssl", q), False, None, 9),
    ("zeek-http", lambda q: b.zeek_tsv("http", q), True, None, 9),
    ("zeek-dns-json", lambda q: b.zeek_json("dns", q), False, None, 1),
    ("zeek-ssl-json", lambda q: b.zeek_json("ssl", q, iso_ts=True), False, None, 1),
    ("zeek-http-json", lambda q: b.zeek_json("http", q), True, None, 1),
    ("squid", b.squid, True, None, 1),
    ("route53", lambda q: b.route53(q, instance=False), False, None, 1),
    ("windows-dns", b.windows_dns, False, None, 25),
    ("csv", b.csv_log, True, CSV_MAP, 2),
    ("json", b.json_log, True, JSON_MAP, 1),
]


def _read(
    tmp_path: Path, name: str, data: bytes, rules: list[HostRule], catalog: Catalog, **kw: object
) -> EgressOutput:
    p = tmp_path / name
    p.write_bytes(data)
    return read_egress(p, rules=rules, catalog=catalog, **kw)  # type: ignore[arg-type]


def _usages(out: EgressOutput) -> dict[tuple[str, str | None, str | None, str], Usage]:
    return {(a.name, u.host, u.user, u.as_written): u for a in out.assets for u in a.usages}


def _step(fmt: str) -> int:
    return 2 if fmt == "windows-dns" else 1  # the Windows log has a response line after each query


@pytest.mark.parametrize(("fmt", "build", "users", "opts", "first"), FORMATS, ids=[f[0] for f in FORMATS])
@pytest.mark.parametrize("pack", ["plain", "gzip", "zstd"])
def test_every_format_gives_per_client_usages(
    tmp_path: Path,
    rules: list[HostRule],
    catalog: Catalog,
    fmt: str,
    build: Callable[[list[b.Q]], bytes],
    users: bool,
    opts: EgressOptions | None,
    first: int,
    pack: str,
) -> None:
    data = build(QS)
    data = {"plain": data, "gzip": b.gz(data), "zstd": b.zst(data)}[pack]
    out = _read(tmp_path, f"log.{'csv' if fmt == 'csv' else 'log'}", data, rules, catalog, options=opts)
    assert (out.format, out.compression) == (fmt, {"plain": "none"}.get(pack, pack))
    assert out.skipped == () and out.notes == ()
    assert out.matched == 6  # 3 chat/api DeepSeek from W... every catalog host line, none of the traps
    u = _usages(out)
    jd, kc = ("jdoe", "kchen") if users else (None, None)
    chat = u[("DeepSeek (app)", W, jd, "chat.deepseek.com")]
    api = u[("DeepSeek API", M, kc, "api.deepseek.com")]
    kimi = u[("Kimi (app)", M, kc, "kimi.moonshot.cn")]
    assert len(u) == 3  # www.google.com and notdeepseek.com matched nothing
    assert (chat.count, api.count, kimi.count) == (2, 3, 1)
    assert (chat.use_mode, chat.strength, chat.service_jurisdiction, chat.operator) == (
        "consumer-app",
        "A",
        "CN",
        "deepseek",
    )
    assert (api.use_mode, api.strength, api.service) == ("hosted-api", "A", "DeepSeek API")
    z = "" if fmt == "windows-dns" else "Z"  # Windows DNS debug logs are in the server's local time
    assert (api.first_seen, api.last_seen) == (f"2025-12-01T08:01:00{z}", f"2025-12-01T09:00:00{z}")
    assert (chat.first_seen, chat.last_seen) == (f"2025-12-01T08:00:00{z}", f"2025-12-01T08:06:00{z}")
    step = _step(fmt)
    assert chat.location.path == str(tmp_path / "log.csv" if fmt == "csv" else tmp_path / "log.log")
    assert chat.location.line == first and api.location.line == first + step
    written = "(4)chat(8)deepseek(3)com(0)" if fmt == "windows-dns" else "chat.deepseek.com"
    assert written in chat.excerpt.lower() and "\t" not in chat.excerpt
    assert out.lines == {"zeek-dns": 17, "zeek-ssl": 17, "zeek-http": 17, "windows-dns": 40, "csv": 9}.get(
        fmt, 8
    )


def test_one_evidence_per_usage_and_assets_per_service(
    tmp_path: Path, rules: list[HostRule], catalog: Catalog
) -> None:
    qs = [b.Q(T0 + i, W if i % 3 else M, "api.deepseek.com") for i in range(300)]
    out = _read(tmp_path, "dns.log", b.zeek_tsv("dns", qs), rules, catalog)
    assert out.matched == 300
    (asset,) = out.assets
    assert (asset.kind, asset.name, asset.use_mode) == ("ai-service", "DeepSeek API", "hosted-api")
    assert [(u.host, u.count) for u in asset.usages] == [(W, 200), (M, 100)]
    assert len(out.evidence) == 2 == len(asset.evidence)
    assert {u.evidence for u in asset.usages} == {e.id for e in out.evidence}
    ev = out.evidence[0]
    assert (ev.detector, ev.kind, ev.strength) == ("egress", "egress", "A")
    assert ev.attributes["count"] in ("200", "100") and ev.attributes["client"] in (W, M)
    prov = asset.provenance
    assert prov.service_operator is not None and prov.service_operator.id == "deepseek"
    assert prov.service_jurisdiction == "CN"
    assert [p.id for p in prov.producers] == ["deepseek"]
    assert asset.details is not None and asset.details.host == "api.deepseek.com"  # type: ignore[union-attr]


def test_service_identity_matches_the_code_scan(
    tmp_path: Path, rules: list[HostRule], catalog: Catalog
) -> None:
    """An egress asset has the id the code scan gives the same service, so the two merge."""
    from tierguard.identify.code import identify_evidence
    from tierguard.model import Evidence, Location

    code = Evidence(
        detector="code", kind="endpoint", value="https://api.deepseek.com/v1", strength="A",
        location=Location(path="app.py", line=3), refs={"endpoint": "api.deepseek.com"},
    )  # fmt: skip
    (from_code,) = [a for a in identify_evidence([code], catalog) if a.kind == "ai-service"]
    out = _read(tmp_path, "dns.log", b.zeek_tsv("dns", [b.Q(T0, W, "api.deepseek.com")]), rules, catalog)
    assert out.assets[0].id == from_code.id and out.assets[0].name == from_code.name


def test_reseller_operator_is_not_the_producer(
    tmp_path: Path, rules: list[HostRule], catalog: Catalog
) -> None:
    out = _read(tmp_path, "dns.log", b.zeek_tsv("dns", [b.Q(T0, W, "api.siliconflow.cn")]), rules, catalog)
    (asset,) = out.assets
    serves = next(e.serves for e in catalog.endpoints if e.host == "api.siliconflow.cn")
    assert bool(asset.provenance.producers) == (not serves or "siliconflow" in serves)


def test_first_and_last_seen_are_min_and_max_not_file_order(
    tmp_path: Path, rules: list[HostRule], catalog: Catalog
) -> None:
    qs = [
        b.Q(T0 + 50, W, "api.deepseek.com"),
        b.Q(T0 + 10, W, "api.deepseek.com"),
        b.Q(T0 + 30, W, "api.deepseek.com"),
    ]
    (u,) = _usages(_read(tmp_path, "dns.log", b.zeek_tsv("dns", qs), rules, catalog)).values()
    assert (u.first_seen, u.last_seen, u.location.line) == ("2025-12-01T08:00:10Z", "2025-12-01T08:00:50Z", 9)


def test_route53_names_the_instance(tmp_path: Path, rules: list[HostRule], catalog: Catalog) -> None:
    out = _read(tmp_path, "q.log", b.route53([b.Q(T0, "10.0.1.15", "api.deepseek.com")]), rules, catalog)
    assert out.assets[0].usages[0].host == "i-0100115"
    out = _read(
        tmp_path,
        "q.log",
        b.route53([b.Q(T0, "10.0.1.15", "api.deepseek.com")], instance=False),
        rules,
        catalog,
    )
    assert out.assets[0].usages[0].host == "10.0.1.15"


def test_windows_dns_counts_each_client_query_once(
    tmp_path: Path, rules: list[HostRule], catalog: Catalog
) -> None:
    """A forwarded query: the client's query (Rcv), the query to the forwarder (Snd), the forwarder's answer
    (Rcv R), the answer to the client (Snd R): one query, from the client."""
    (pre, q, r, _) = b.windows_dns([b.Q(T0, W, "api.deepseek.com")]).rsplit(b"\n", 3)
    to_fwd = q.replace(b"Rcv " + W.encode() + b"     ", b"Snd 8.8.8.8       ").replace(b" 000a ", b" 1f2e ")
    from_fwd = r.replace(b"Snd " + W.encode() + b"     ", b"Rcv 8.8.8.8       ").replace(b" 000a ", b" 1f2e ")
    data = b"\n".join([pre, q, to_fwd, from_fwd, r]) + b"\n"
    out = _read(tmp_path, "dns.log", data, rules, catalog)
    assert out.matched == 1
    (u,) = out.assets[0].usages
    assert (u.host, u.count) == (W, 1)


def test_client_names_map_addresses_to_devices(
    tmp_path: Path, rules: list[HostRule], catalog: Catalog
) -> None:
    opts = EgressOptions(client_names={W: "LAPTOP-W1042"})
    qs = [b.Q(T0, W, "chat.deepseek.com"), b.Q(T0 + 1, M, "chat.deepseek.com")]
    out = _read(tmp_path, "dns.log", b.zeek_tsv("dns", qs), rules, catalog, options=opts)
    assert sorted(u.host or "" for u in out.assets[0].usages) == [M, "LAPTOP-W1042"]


def test_zeek_field_overrides(tmp_path: Path, rules: list[HostRule], catalog: Catalog) -> None:
    """A Zeek log enriched with a client-name field: the client column can be named."""
    fields = [*b.ZEEK_FIELDS["dns"], "orig_name"]
    row = b.zeek_tsv("dns", [b.Q(T0, W, "api.deepseek.com")]).split(b"\n")[8] + b"\tLAPTOP-W1042"
    data = b.zeek_header("dns", fields).encode() + row + b"\n"
    out = _read(tmp_path, "dns.log", data, rules, catalog, options=EgressOptions(client_column="orig_name"))
    assert out.assets[0].usages[0].host == "LAPTOP-W1042"


def test_zeek_header_change_mid_file(tmp_path: Path, rules: list[HostRule], catalog: Catalog) -> None:
    """Concatenated Zeek logs: the second part has another field order; each record is read by its header."""
    first = b.zeek_tsv("dns", [b.Q(T0, W, "api.deepseek.com")])
    fields = ["query", "ts", "id.orig_h"]
    second = b.zeek_header("dns", fields).encode() + f"api.deepseek.com\t{T0 + 5:.6f}\t{M}\n".encode()
    out = _read(tmp_path, "dns.log", first + second, rules, catalog)
    assert sorted((u.host or "", u.first_seen or "") for u in out.assets[0].usages) == [
        (W, "2025-12-01T08:00:00Z"),
        (M, "2025-12-01T08:00:05Z"),
    ]


def test_caps_count_what_they_do_not_itemise(tmp_path: Path, rules: list[HostRule], catalog: Catalog) -> None:
    qs = [b.Q(T0 + i, f"10.0.{i // 250}.{i % 250}", "api.deepseek.com") for i in range(50)]
    qs += [b.Q(T0 + 99, "10.0.0.0", "api.deepseek.com")]  # an itemised client stays counted
    opts = EgressOptions(max_clients_per_service=10)
    out = _read(tmp_path, "dns.log", b.zeek_tsv("dns", qs), rules, catalog, options=opts)
    assert out.matched == 51
    usages = out.assets[0].usages
    assert len(usages) == 10 and sum(u.count for u in usages) == 11
    assert any("DeepSeek API: 40 matched lines from clients beyond the caps" in n for n in out.notes)


def test_progress_reports_bytes_read(tmp_path: Path, rules: list[HostRule], catalog: Catalog) -> None:
    qs = [b.Q(T0 + i, W, "www.example.org") for i in range(40_000)]
    for pack in (lambda d: d, b.gz):
        data = pack(b.zeek_tsv("dns", qs))
        seen: list[int] = []
        p = tmp_path / "dns.log"
        p.write_bytes(data)
        out = read_egress(p, rules=rules, catalog=catalog, progress=seen.append)
        assert seen and seen == sorted(seen) and seen[-1] == len(data) == out.bytes_read
        assert out.lines == 40_009 and out.matched == 0 and out.assets == ()


def test_large_log_spans_blocks(tmp_path: Path, rules: list[HostRule], catalog: Catalog) -> None:
    """Matches on both sides of block boundaries are all found, with exact line numbers."""
    import tierguard.egress.streams as streams

    qs = [b.Q(T0 + i, W, "api.deepseek.com" if i % 997 == 0 else "www.example.org") for i in range(30_000)]
    data = b.zeek_tsv("dns", qs, close=False)
    p = tmp_path / "dns.log"
    p.write_bytes(data)
    old = streams.BLOCK
    try:
        streams.BLOCK = 64 * 1024 + 7  # many blocks, boundaries inside lines
        out = read_egress(p, rules=rules, catalog=catalog, options=EgressOptions(max_line_bytes=1000))
    finally:
        streams.BLOCK = old
    (u,) = out.assets[0].usages
    assert u.count == len(range(0, 30_000, 997)) == out.matched
    assert u.location.line == 9 and out.lines == 30_008


def test_stream_interface_over_a_pipe_like_object(rules: list[HostRule], catalog: Catalog) -> None:
    import io

    class Pipe(io.RawIOBase):  # not seekable
        def __init__(self, data: bytes) -> None:
            self.buf = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, b: memoryview) -> int:  # type: ignore[override]
            return self.buf.readinto(b)

    data = b.gz(b.squid([b.Q(T0, W, "api.deepseek.com", "jdoe")]))
    out = read_egress_stream(Pipe(data), "logs.zip!access.log.gz", rules=rules, catalog=catalog)  # type: ignore[arg-type]
    (u,) = out.assets[0].usages
    assert (u.location.path, u.user, out.compression) == ("logs.zip!access.log.gz", "jdoe", "gzip")


def test_ahocorasick_fallback_gives_the_same_result(
    tmp_path: Path, rules: list[HostRule], catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = b.windows_dns(QS)
    with_hs = _read(tmp_path, "dns.log", data, rules, catalog)
    monkeypatch.setenv("TIERGUARD_NO_HYPERSCAN", "1")
    without = _read(tmp_path, "dns.log", data, rules, catalog)
    assert without.engine == "ahocorasick-rs"
    assert [a.model_dump() for a in with_hs.assets] == [a.model_dump() for a in without.assets]


def test_zeek_headers_without_hyperscan(
    tmp_path: Path, rules: list[HostRule], catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Aho-Corasick fallback finds header lines too (the marker search), so a #fields change applies."""
    monkeypatch.setenv("TIERGUARD_NO_HYPERSCAN", "1")
    first = b.zeek_tsv("dns", [b.Q(T0, W, "api.deepseek.com")])
    second = b.zeek_header("dns", ["query", "ts", "id.orig_h"]).encode()
    second += f"api.deepseek.com\t{T0 + 5:.6f}\t{M}\n".encode()
    out = _read(tmp_path, "dns.log", first + second, rules, catalog)
    assert out.engine == "ahocorasick-rs"
    assert sorted(u.host or "" for u in out.assets[0].usages) == [W, M]


def test_excerpt_escapes_control_characters() -> None:
    from tierguard.egress.aggregate import EXCERPT, excerpt

    assert excerpt(b"a\tb\x1b[31mc\x7f\xc2\x85d\xffe") == "a\\tb\\x1b[31mc\\x7f\\x85d\\xffe"
    assert len(excerpt(b"x" * 10_000)) == EXCERPT


def test_minimal_literals_cover_the_rest() -> None:
    from tierguard.egress.literals import minimal

    assert minimal(["platform.deepseek.com", "Deepseek.com", "api.deepseek.com", "x.ai", "api.x.ai", ""]) == [
        "deepseek.com",
        "x.ai",
    ]


def test_windows_dns_outgoing_only_logs_count_responses(
    tmp_path: Path, rules: list[HostRule], catalog: Catalog
) -> None:
    """A debug log set to record outgoing packets only has the responses to clients and no queries: they
    are the clients' queries (a log with both is not counted twice: test above)."""
    qs = [b.Q(T0, W, "api.deepseek.com"), b.Q(T0 + 1, M, "api.deepseek.com")]
    data = b"\n".join(x for x in b.windows_dns(qs).split(b"\n") if b" Rcv " not in x)
    out = _read(tmp_path, "dns.log", data, rules, catalog)
    assert out.matched == 2 and sorted(u.host or "" for u in out.assets[0].usages) == [W, M]
    forwarder = (
        b.windows_dns(qs)
        .replace(b"UDP Snd", b"UDP Rcv")
        .replace(b"UDP Rcv " + W.encode(), b"UDP Snd " + W.encode(), 1)
    )
    assert _read(tmp_path, "fwd.log", forwarder, rules, catalog).matched >= 1
