"""Format detection by content, plain and compressed."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.egress import builders as b
from tierguard.egress import sniff

QS = [b.Q(1764576000.0 + i, "10.20.1.42", h, "jdoe") for i, h in enumerate(["chat.deepseek.com", "pypi.org"])]

CASES: list[tuple[str, bytes, str]] = [
    ("dns.log", b.zeek_tsv("dns", QS), "zeek-dns"),
    ("ssl.log", b.zeek_tsv("ssl", QS), "zeek-ssl"),
    ("http.log", b.zeek_tsv("http", QS), "zeek-http"),
    ("dns.json", b.zeek_json("dns", QS), "zeek-dns-json"),
    ("ssl.json", b.zeek_json("ssl", QS), "zeek-ssl-json"),
    ("http.json", b.zeek_json("http", QS), "zeek-http-json"),
    ("access.log", b.squid(QS), "squid"),
    ("resolver.log", b.route53(QS), "route53"),
    ("dns.log", b.windows_dns(QS), "windows-dns"),
    ("export.csv", b.csv_log(QS), "csv"),
    ("export.csv", b.csv_log(QS, delimiter=";"), "csv"),
    ("events.jsonl", b.json_log(QS), "json"),
]


@pytest.mark.parametrize(("name", "data", "fmt"), CASES, ids=[f"{c[2]}:{c[0]}" for c in CASES])
@pytest.mark.parametrize("pack", [lambda d: d, b.gz, b.zst], ids=["plain", "gzip", "zstd"])
def test_sniff_by_content(name: str, data: bytes, fmt: str, pack: Callable[[bytes], bytes]) -> None:
    suffix = {b.gz: ".gz", b.zst: ".zst"}.get(pack, "")  # type: ignore[call-overload]
    assert sniff(pack(data)[:65536], name + suffix) == fmt


def test_zeek_kind_from_fields_without_path() -> None:
    data = b.zeek_tsv("dns", QS).replace(b"#path\tdns\n", b"")
    assert sniff(data, "x.log") == "zeek-dns"
    conn = b.zeek_tsv("dns", QS).replace(b"#path\tdns", b"#path\tconn")
    assert sniff(conn, "conn.log") is None  # a Zeek log without hosts


def test_name_is_never_needed_for_known_formats() -> None:
    assert sniff(b.zeek_tsv("dns", QS), "blob.bin") == "zeek-dns"
    assert sniff(b.route53(QS), "000000.part") == "route53"
    assert sniff(b.squid(QS), "x") == "squid"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"", "dns.log"),
        (b"\n\n", "dns.log"),
        (b"hello world, this is prose\n", "notes.bin"),
        (b.csv_log(QS), "table.dat"),  # a generic CSV is claimed only with a data-file name
        (b.json_log(QS), "config.bin"),
        (b"import os\nprint('a,b')\n", "script.py"),
        (b"\x1f\x8b\x08\x00garbage", "x.log.gz"),  # corrupt gzip: nothing to sniff
        (b"PK\x03\x04" + b"\x00" * 40, "a.zip"),
        (b'{"name": "x", "version": "1.0"}\n', "package.bin"),
    ],
)
def test_not_a_log(data: bytes, name: str) -> None:
    assert sniff(data, name) is None


def test_utf16_csv_with_bom() -> None:
    data = b.csv_log(QS).decode().encode("utf-16")
    assert sniff(data, "export.csv") == "csv"
