"""Bad input: truncated or corrupt gzip/zstd, mixed encodings, over-long lines, wrong column mappings, records
that do not parse. Never a crash, never silently dropped: counted skips with file, line and reason, or a
clear TargetError for a mapping that does not fit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.egress import builders as b
from tierguard.catalog import Catalog
from tierguard.egress import EgressOptions, EgressOutput, HostRule, read_egress
from tierguard.errors import TargetError

T0 = 1764576000.0
W = "10.20.1.42"


def _read(
    tmp_path: Path, name: str, data: bytes, rules: list[HostRule], catalog: Catalog, **kw: object
) -> EgressOutput:
    p = tmp_path / name
    p.write_bytes(data)
    return read_egress(p, rules=rules, catalog=catalog, **kw)  # type: ignore[arg-type]


def _many(n: int, every: int = 100) -> list[b.Q]:
    return [b.Q(T0 + i, W, "api.deepseek.com" if i % every == 0 else f"h{i}.example.org") for i in range(n)]


@pytest.mark.parametrize("pack", [b.gz, b.zst], ids=["gzip", "zstd"])
def test_truncated_compressed_log(
    tmp_path: Path, rules: list[HostRule], catalog: Catalog, pack: object
) -> None:
    plain = b.zeek_tsv("dns", _many(20_000), close=False)
    full = pack(plain)  # type: ignore[operator]
    cut = full[: len(full) * 6 // 10]
    out = _read(tmp_path, "dns.log.x", cut, rules, catalog)
    (skip,) = out.skipped
    assert skip.reason == "incomplete" and skip.path == str(tmp_path / "dns.log.x")
    assert "ends early" in skip.detail and f"(line {out.lines + 1})" in skip.detail
    # what was readable was read: about 60 % of the lines, every match in them
    assert 0.4 * 20_000 < out.lines < 20_008
    (u,) = out.assets[0].usages
    assert u.count == out.matched == len([i for i in range(out.lines - 8) if i % 100 == 0])
    whole = _read(tmp_path, "dns.log.y", full, rules, catalog)
    assert whole.skipped == () and whole.lines == 20_008 and whole.matched == 200


def test_truncation_inside_a_line_never_parses_the_cut_line(
    tmp_path: Path, rules: list[HostRule], catalog: Catalog
) -> None:
    """A stream cut inside ``api.deepseek.com.evil.example`` must not match ``api.deepseek.com``."""
    head = b.zeek_tsv("dns", [b.Q(T0, W, "www.example.org")], close=False)
    tail = b.zeek_tsv("dns", [b.Q(T0, W, "api.deepseek.com.evil.example")], close=False).split(b"\n")[8]
    cut_at = tail.index(b"api.deepseek.com") + len(b"api.deepseek.com")
    data = b.gz(head + tail)
    import zlib

    # a gzip stream holding exactly the bytes up to the cut, then cut before its end marker
    co = zlib.compressobj(wbits=31)
    partial = co.compress(head + tail[:cut_at]) + co.flush(zlib.Z_SYNC_FLUSH)
    out = _read(tmp_path, "dns.log.gz", partial, rules, catalog)
    assert out.matched == 0 and out.assets == ()
    assert [s.reason for s in out.skipped] == ["incomplete"]
    assert _read(tmp_path, "ok.gz", data, rules, catalog).matched == 0  # the whole line is no match either


def test_corrupt_gzip(tmp_path: Path, rules: list[HostRule], catalog: Catalog) -> None:
    full = bytearray(b.gz(b.zeek_tsv("dns", _many(20_000))))
    mid = len(full) // 2
    full[mid : mid + 64] = b"\x00" * 64
    out = _read(tmp_path, "dns.log.gz", bytes(full), rules, catalog)
    (skip,) = out.skipped
    assert skip.reason == "incomplete" and "corrupt compressed data" in skip.detail
    assert out.lines < 20_009


def test_concatenated_gzip_members_are_all_read(
    tmp_path: Path, rules: list[HostRule], catalog: Catalog
) -> None:
    one = b.zeek_tsv("dns", _many(500))
    out = _read(tmp_path, "dns.log.gz", b.gz(one) + b.gz(one), rules, catalog)
    assert out.skipped == () and out.matched == 10 and out.lines == 2 * 509


@pytest.mark.parametrize("pack", [b.gz, b.zst], ids=["gzip", "zstd"])
def test_several_members_and_padding(
    tmp_path: Path, rules: list[HostRule], catalog: Catalog, pack: object
) -> None:
    one = b.zeek_tsv("dns", _many(500))
    two = pack(one) + pack(one) + b"\0" * 1000  # type: ignore[operator]
    out = _read(tmp_path, "dns.log.x", two, rules, catalog)
    assert out.skipped == () and out.matched == 10 and out.lines == 2 * 509
    out = _read(tmp_path, "dns.log.y", two + b"trailing junk", rules, catalog)
    (skip,) = out.skipped
    assert skip.reason == "incomplete" and "does not start another one" in skip.detail
    assert out.matched == 10


def test_mixed_encodings(tmp_path: Path, rules: list[HostRule], catalog: Catalog) -> None:
    """Latin-1 and UTF-8 user names in one Squid log: both lines count; bad bytes are escaped and noted."""
    utf8 = b.squid([b.Q(T0, W, "api.deepseek.com", "j\u00f6rg")])
    latin = utf8.replace("j\u00f6rg".encode(), b"j\xf6rg").replace(b"1764576000", b"1764576001")
    out = _read(
        tmp_path,
        "access.log",
        utf8 + latin + b.squid([b.Q(T0 + 2, W, "x.example.org", "\u00e9")]),
        rules,
        catalog,
    )
    users = sorted(u.user or "" for u in out.assets[0].usages)
    assert users == ["j\\xf6rg", "j\u00f6rg"]
    assert out.matched == 2 and out.skipped == ()
    (note,) = out.notes
    assert "1 matched lines are not valid UTF-8 (line 2)" in note


def test_invalid_utf8_in_json(tmp_path: Path, rules: list[HostRule], catalog: Catalog) -> None:
    data = b.zeek_json("http", [b.Q(T0, W, "api.deepseek.com", "jXrg")]).replace(b"jXrg", b"j\xf6rg")
    out = _read(tmp_path, "http.json", data, rules, catalog)
    (u,) = out.assets[0].usages
    assert u.user == "j\ufffdrg" and out.notes


def test_utf16_csv(tmp_path: Path, rules: list[HostRule], catalog: Catalog) -> None:
    data = b.csv_log([b.Q(T0, W, "api.deepseek.com", "jdoe")]).decode().encode("utf-16")
    opts = EgressOptions(host_column="Destination Host", client_column="Source IP", user_column="Source User")
    out = _read(tmp_path, "fw.csv", data, rules, catalog, options=opts)
    (u,) = out.assets[0].usages
    assert (u.host, u.user, u.location.line) == (W, "jdoe", 2)


def test_lines_over_the_cap(tmp_path: Path, rules: list[HostRule], catalog: Catalog) -> None:
    """Default cap (1 MiB): a 1.5 MB line holding a catalog host is skipped, never parsed; the lines after it
    keep their numbers."""
    head = b.zeek_tsv("dns", [b.Q(T0, W, "api.deepseek.com")], close=False)
    huge = b.zeek_tsv("dns", [b.Q(T0, W, "api.deepseek.com")], close=False).split(b"\n")[8]
    huge = huge.replace(b"104.18.26.90,", b"104.18.26.90," * 120_000)
    assert len(huge) > 1_500_000
    tail = b"\n".join(b.zeek_tsv("dns", [b.Q(T0 + 9, W, "api.deepseek.com")]).split(b"\n")[8:])
    out = _read(tmp_path, "dns.log", head + huge + b"\n" + tail, rules, catalog)
    (skip,) = out.skipped
    assert (skip.reason, skip.detail) == ("too-large", "1 line over 1,048,576 bytes, not read (line 10)")
    (u,) = out.assets[0].usages
    assert u.count == 2 and out.matched == 2 and out.lines == 12


def test_line_longer_than_the_buffer(
    tmp_path: Path, rules: list[HostRule], catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tierguard.egress.streams as streams

    monkeypatch.setattr(streams, "BLOCK", 4096)
    rows = b.squid([b.Q(T0 + i, W, "api.deepseek.com", "jdoe") for i in range(3)]).split(b"\n")
    monster = rows[1].replace(b" jdoe ", b" " + b"x" * 50_000 + b" ")  # 50 kB, the buffer is 4 kB
    long_one = rows[2].replace(b" jdoe ", b" " + b"y" * 1500 + b" ")  # inside a block, over the 1000 B cap
    data = b"\n".join([rows[0], monster, long_one, rows[0], monster]) + b"\n"
    out = _read(tmp_path, "access.log", data, rules, catalog, options=EgressOptions(max_line_bytes=1000))
    (skip,) = out.skipped
    assert skip.detail == "3 lines over 1,000 bytes, not read (line 2, 3, 5)"
    assert out.matched == 2 and out.lines == 5
    assert [u.location.line for u in out.assets[0].usages] == [1]


def test_line_longer_than_the_buffer_at_the_end(
    tmp_path: Path, rules: list[HostRule], catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tierguard.egress.streams as streams

    monkeypatch.setattr(streams, "BLOCK", 4096)
    row = b.squid([b.Q(T0, W, "api.deepseek.com", "jdoe")])
    out = _read(
        tmp_path,
        "access.log",
        row + row.rstrip(b"\n") + b"z" * 20_000,
        rules,
        catalog,
        options=EgressOptions(max_line_bytes=1000),
    )
    assert out.matched == 1 and [s.detail for s in out.skipped] == [
        "1 line over 1,000 bytes, not read (line 2)"
    ]


def test_malformed_records_are_aggregated(tmp_path: Path, rules: list[HostRule], catalog: Catalog) -> None:
    data = b.zeek_tsv("dns", _many(1000, every=10), close=False)
    lines = data.split(b"\n")
    for i in (8, 28, 48, 68, 88, 108, 128):  # data lines holding api.deepseek.com: drop a field
        lines[i] = lines[i].rsplit(b"\t", 1)[0]
    out = _read(tmp_path, "dns.log", b"\n".join(lines), rules, catalog)
    (skip,) = out.skipped
    assert skip.reason == "malformed"
    assert skip.detail == (
        "7 lines a record whose field count differs from the #fields header (24) "
        "(line 9, 29, 49, 69, 89, ...)"
    )
    assert out.matched == 100 - 7


@pytest.mark.parametrize(
    ("name", "data", "why"),
    [
        (
            "dns.json",
            b.zeek_json("dns", [b.Q(T0, W, "api.deepseek.com")]) + b'{"query": "api.deepseek.com", "ts": \n',
            "not a JSON object",
        ),
        (
            "access.log",
            b.squid([b.Q(T0, W, "api.deepseek.com")]) + b"garbage api.deepseek.com\n",
            "fewer than 7 fields",
        ),
        (
            "dns.log",
            b.windows_dns([b.Q(T0, W, "api.deepseek.com")])
            + b"12/1/2025 8:00:00 AM 0E84 PACKET (3)api(8)deepseek(3)com(0)\n",
            "unknown layout",
        ),
    ],
)
def test_malformed_lines_per_format(
    tmp_path: Path, rules: list[HostRule], catalog: Catalog, name: str, data: bytes, why: str
) -> None:
    out = _read(tmp_path, name, data, rules, catalog)
    (skip,) = out.skipped
    assert skip.reason == "malformed" and why in skip.detail
    assert out.matched == 1


def test_record_before_the_zeek_header(tmp_path: Path, rules: list[HostRule], catalog: Catalog) -> None:
    body = b"\n".join(b.zeek_tsv("dns", [b.Q(T0, W, "api.deepseek.com")], close=False).split(b"\n")[8:])
    out = _read(tmp_path, "dns.log", body, rules, catalog, options=EgressOptions(format="zeek-dns"))
    assert [s.detail for s in out.skipped] == ["1 line a record before the #fields header (line 1)"]


CSV = b.csv_log([b.Q(T0 + i, W, "api.deepseek.com", "jdoe") for i in range(20)])
COLUMNS = "Timestamp, Source IP, Source User, Destination Host, Action, Rule"


@pytest.mark.parametrize(
    ("opts", "message"),
    [
        (
            None,
            "a generic CSV needs a column mapping: say which column holds the host (host_column; also "
            f"client_column, user_column, time_column). The columns are: {COLUMNS}",
        ),
        (
            EgressOptions(host_column="Destination"),
            f"no host column 'Destination'; the columns are: {COLUMNS}",
        ),
        (
            EgressOptions(host_column="Destination Host", client_column="src"),
            f"no client column 'src'; the columns are: {COLUMNS}",
        ),
        (
            EgressOptions(host_column="Timestamp"),
            "the host column 'Timestamp' holds no host names (first values: '2025-12-01t08:00:00z'",
        ),
        (EgressOptions(host_column="Action"), "the host column 'Action' holds no host names"),
    ],
)
def test_wrong_csv_mapping_is_a_clear_error(
    tmp_path: Path, rules: list[HostRule], catalog: Catalog, opts: EgressOptions | None, message: str
) -> None:
    with pytest.raises(TargetError) as err:
        _read(tmp_path, "fw.csv", CSV, rules, catalog, options=opts)
    assert message in str(err.value)


def test_wrong_json_mapping_is_a_clear_error(tmp_path: Path, rules: list[HostRule], catalog: Catalog) -> None:
    data = b.json_log([b.Q(T0, W, "api.deepseek.com", "jdoe")])
    with pytest.raises(TargetError, match=r"needs a key mapping.*The keys are: time, src, user, dest_host"):
        _read(tmp_path, "ev.jsonl", data, rules, catalog)
    with pytest.raises(TargetError, match=r"no host key 'host'; the keys are: time, src, user, dest_host"):
        _read(tmp_path, "ev.jsonl", data, rules, catalog, options=EgressOptions(host_column="host"))


def test_wrong_zeek_override(tmp_path: Path, rules: list[HostRule], catalog: Catalog) -> None:
    with pytest.raises(
        TargetError, match=r"zeek-dns: no client column 'orig_name'; the columns are: ts, uid"
    ):
        _read(
            tmp_path,
            "dns.log",
            b.zeek_tsv("dns", [b.Q(T0, W, "x.org")]),
            rules,
            catalog,
            options=EgressOptions(client_column="orig_name"),
        )


def test_short_csv_rows_are_counted(tmp_path: Path, rules: list[HostRule], catalog: Catalog) -> None:
    data = CSV + b"2025-12-01T09:00:00Z,10.0.0.9,api.deepseek.com\n"
    opts = EgressOptions(host_column="Destination Host", client_column="Source IP")
    out = _read(tmp_path, "fw.csv", data, rules, catalog, options=opts)
    assert [s.detail for s in out.skipped] == ["1 line a row with fewer fields than the header (6) (line 22)"]
    assert out.matched == 20


@pytest.mark.parametrize("data", [b"", b"hello\nworld\n", b"\x00\x01\x02" * 100])
def test_not_a_log_is_a_target_error(
    tmp_path: Path, rules: list[HostRule], catalog: Catalog, data: bytes
) -> None:
    with pytest.raises(TargetError, match="not a network log tierguard reads"):
        _read(tmp_path, "dns.log", data, rules, catalog)


def test_missing_file(tmp_path: Path, rules: list[HostRule], catalog: Catalog) -> None:
    with pytest.raises(TargetError, match="cannot open"):
        read_egress(tmp_path / "nope.log", rules=rules, catalog=catalog)


def test_unknown_forced_format(tmp_path: Path, rules: list[HostRule], catalog: Catalog) -> None:
    with pytest.raises(TargetError, match="unknown log format 'bind'"):
        _read(tmp_path, "q.log", b"x\n", rules, catalog, options=EgressOptions(format="bind"))


@pytest.mark.parametrize("pack", [b.gz, b.zst], ids=["gzip", "zstd"])
def test_decompression_bomb_stays_bounded(
    tmp_path: Path, rules: list[HostRule], catalog: Catalog, pack: object
) -> None:
    """128 MiB of NULs (a few hundred kB compressed) after a real record: read in bounded steps, the
    giant line is a counted skip, memory stays near the buffer size."""
    import tracemalloc

    head = b.squid([b.Q(T0, W, "api.deepseek.com", "jdoe")])
    bomb = pack(head + b"\0" * (128 << 20) + b"\n" + head)  # type: ignore[operator]
    assert len(bomb) < 2 << 20
    tracemalloc.start()
    try:
        out = _read(tmp_path, "access.log.x", bomb, rules, catalog, options=EgressOptions(format="squid"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 48 << 20, peak
    assert out.matched == 2 and [s.reason for s in out.skipped] == ["too-large"]
