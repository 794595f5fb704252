"""Real-shaped network logs for the egress tests, built in the test (no fixture files).

Layouts follow the products' documentation:
- Zeek TSV/JSON dns.log, ssl.log, http.log: the header and fields of Zeek 6/7 (docs.zeek.org, "Log Files",
  base/protocols/{dns,ssl,http}/main.zeek ``Info`` records).
- Squid native access.log: ``time elapsed remotehost code/status bytes method URL rfc931 peerstatus/peerhost
  type`` (wiki.squid-cache.org/Features/LogFormat).
- Route 53 Resolver query logs (docs.aws.amazon.com/Route53/latest/DeveloperGuide/
  resolver-query-logs-format.html).
- Windows Server DNS debug log (the "DNS Server log file creation at" preamble, the "Message logging key"
  and ``PACKET`` lines; learn.microsoft.com, DNS debug logging).
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import msgspec


def _words(text: str) -> list[str]:
    return text.split()


ZEEK_FIELDS = {
    "dns": _words(
        "ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto trans_id rtt query qclass qclass_name qtype "
        "qtype_name rcode rcode_name AA TC RD RA Z answers TTLs rejected"
    ),
    "ssl": _words(
        "ts uid id.orig_h id.orig_p id.resp_h id.resp_p version cipher curve server_name resumed last_alert "
        "next_protocol established ssl_history cert_chain_fps client_cert_chain_fps sni_matches_cert"
    ),
    "http": _words(
        "ts uid id.orig_h id.orig_p id.resp_h id.resp_p trans_depth method host uri referrer version "
        "user_agent origin request_body_len response_body_len status_code status_msg info_code info_msg tags "
        "username password proxied orig_fuids orig_filenames orig_mime_types resp_fuids resp_filenames "
        "resp_mime_types"
    ),
}
ZEEK_TYPES = {
    "dns": _words(
        "time string addr port addr port enum count interval string count string count string count string "
        "bool bool bool bool count vector[string] vector[interval] bool"
    ),
    "ssl": _words(
        "time string addr port addr port string string string string bool string string bool string "
        "vector[string] vector[string] bool"
    ),
    "http": _words(
        "time string addr port addr port count string string string string string string string count count "
        "count string count string set[enum] string string set[string] vector[string] vector[string] "
        "vector[string] vector[string] vector[string] vector[string]"
    ),
}


@dataclass(frozen=True)
class Q:
    """One observation: when, from which client (and user), to which host."""

    ts: float
    client: str
    host: str
    user: str | None = None


def _zeek_values(kind: str, q: Q, i: int) -> dict[str, str]:
    base = {
        "ts": f"{q.ts:.6f}",
        "uid": f"C{i:05d}aZk3MEr7fGx",
        "id.orig_h": q.client,
        "id.orig_p": str(49152 + i % 16000),
        "id.resp_h": "10.20.0.53" if kind == "dns" else "104.18.26.90",
        "id.resp_p": "53" if kind == "dns" else "443" if kind == "ssl" else "80",
    }
    if kind == "dns":
        base.update(
            proto="udp", trans_id=str(4000 + i), rtt="0.021773", query=q.host, qclass="1",
            qclass_name="C_INTERNET", qtype="1", qtype_name="A", rcode="0", rcode_name="NOERROR", AA="F",
            TC="F", RD="T", RA="T", Z="0", answers="104.18.26.90,104.18.27.90", TTLs="300.000000,300.000000",
            rejected="F",
        )  # fmt: skip
    elif kind == "ssl":
        base.update(
            version="TLSv13", cipher="TLS_AES_128_GCM_SHA256", curve="x25519", server_name=q.host,
            resumed="F", last_alert="-", next_protocol="h2", established="T", ssl_history="CsiI",
            cert_chain_fps="(empty)", client_cert_chain_fps="(empty)", sni_matches_cert="T",
        )  # fmt: skip
    else:
        base.update(
            trans_depth="1", method="GET", host=q.host, uri="/", referrer="-", version="1.1",
            user_agent="Mozilla/5.0", origin="-", request_body_len="0", response_body_len="1024",
            status_code="301", status_msg="Moved Permanently", info_code="-", info_msg="-", tags="(empty)",
            username=q.user or "-", password="-", proxied="-", orig_fuids="-", orig_filenames="-",
            orig_mime_types="-", resp_fuids="FmTQ1b3", resp_filenames="-", resp_mime_types="text/html",
        )  # fmt: skip
    return base


def zeek_header(kind: str, fields: Sequence[str] | None = None) -> str:
    f = list(fields or ZEEK_FIELDS[kind])
    types = ZEEK_TYPES[kind] if fields is None else ["string"] * len(f)
    return (
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
        f"#path\t{kind}\n#open\t2025-12-01-08-00-00\n"
        + "#fields\t"
        + "\t".join(f)
        + "\n#types\t"
        + "\t".join(types)
        + "\n"
    )


def zeek_tsv(kind: str, qs: Iterable[Q], *, close: bool = True) -> bytes:
    out = [zeek_header(kind)]
    for i, q in enumerate(qs):
        v = _zeek_values(kind, q, i)
        out.append("\t".join(v[f] for f in ZEEK_FIELDS[kind]) + "\n")
    if close:
        out.append("#close\t2025-12-01-09-00-00\n")
    return "".join(out).encode()


def zeek_json(kind: str, qs: Iterable[Q], *, iso_ts: bool = False) -> bytes:
    lines = []
    for i, q in enumerate(qs):
        v: dict[str, object] = dict(_zeek_values(kind, q, i))
        v = {k: x for k, x in v.items() if x not in ("-", "(empty)")}
        v["ts"] = _iso(q.ts) if iso_ts else q.ts
        v["id.orig_p"] = int(str(v["id.orig_p"]))
        if kind == "dns":
            v["answers"] = ["104.18.26.90", "104.18.27.90"]
        lines.append(msgspec.json.encode(v))
    return b"\n".join(lines) + b"\n"


def _iso(ts: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def squid(qs: Iterable[Q]) -> bytes:
    out = []
    for i, q in enumerate(qs):
        if i % 2:
            method, url, code = "CONNECT", f"{q.host}:443", "TCP_TUNNEL/200"
        else:
            method, url, code = "GET", f"http://{q.host}/", "TCP_MISS/301"
        out.append(
            f"{q.ts:.3f} {245 + i:6d} {q.client} {code} 6512 {method} {url} {q.user or '-'} "
            "HIER_DIRECT/104.18.26.90 -\n"
        )
    return "".join(out).encode()


def route53(qs: Iterable[Q], *, instance: bool = True) -> bytes:
    lines = []
    for i, q in enumerate(qs):
        rec: dict[str, object] = {
            "version": "1.100000",
            "account_id": "111122223333",
            "region": "us-east-1",
            "vpc_id": "vpc-0a1b2c3d4e5f6a7b8",
            "query_timestamp": _iso(q.ts)[:19] + "Z",
            "query_name": q.host + ".",
            "query_type": "A",
            "query_class": "IN",
            "rcode": "NOERROR",
            "answers": [{"Rdata": "104.18.26.90", "Type": "A", "Class": "IN"}],
            "srcaddr": q.client,
            "srcport": str(40000 + i),
            "transport": "UDP",
            "srcids": {"instance": f"i-0{q.client.replace('.', '')}"} if instance else {},
        }
        lines.append(msgspec.json.encode(rec))
    return b"\n".join(lines) + b"\n"


WINDOWS_PREAMBLE = """DNS Server log file creation at 12/1/2025 8:00:00 AM
Log file wrap at 12/1/2025 8:00:00 AM

Message logging key (for packets - other items use a subset of these fields):
\tField #  Information         Values
\t-------  -----------         ------
\t   1     Date
\t   2     Time
\t   3     Thread ID
\t   4     Context
\t   5     Internal packet identifier
\t   6     UDP/TCP indicator
\t   7     Send/Receive indicator
\t   8     Remote IP
\t   9     Xid (hex)
\t  10     Query/Response      R = Response
\t                             blank = Query
\t  11     Opcode              Q = Standard Query
\t  12     [ Flags (hex)
\t  13     Flags (char codes)  A = Authoritative Answer
\t  14     ResponseCode ]
\t  15     Question Type
\t  16     Question Name

"""


def windows_name(host: str) -> str:
    return "".join(f"({len(x)}){x}" for x in host.split(".")) + "(0)"


def windows_dns(qs: Iterable[Q], *, responses: bool = True) -> bytes:
    import datetime as dt

    out = [WINDOWS_PREAMBLE]
    for i, q in enumerate(qs):
        t = dt.datetime.fromtimestamp(q.ts, dt.UTC)
        stamp = f"{t.month}/{t.day}/{t.year} {t.strftime('%I').lstrip('0')}:{t.strftime('%M:%S %p')}"
        name = windows_name(q.host)
        xid = f"{i + 10:04x}"
        pkt = f"{stamp} 0E84 PACKET  000000C2D4BE5F50 UDP"
        out.append(f"{pkt} Rcv {q.client:<15} {xid}   Q [0001   D   NOERROR] A      {name}\n")
        if responses:
            out.append(f"{pkt} Snd {q.client:<15} {xid} R Q [8081   DR  NOERROR] A      {name}\n")
    return "".join(out).encode()


def csv_log(qs: Iterable[Q], *, delimiter: str = ",") -> bytes:
    d = delimiter
    out = [d.join(["Timestamp", "Source IP", "Source User", "Destination Host", "Action", "Rule"]) + "\n"]
    for q in qs:
        row = [_iso(q.ts)[:19] + "Z", q.client, q.user or "", q.host, "allow", "web-default"]
        out.append(d.join(row) + "\n")
    return "".join(out).encode()


def json_log(qs: Iterable[Q]) -> bytes:
    lines = [
        msgspec.json.encode({"time": q.ts, "src": {"ip": q.client}, "user": q.user, "dest_host": q.host})
        for q in qs
    ]
    return b"\n".join(lines) + b"\n"


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def zst(data: bytes) -> bytes:
    try:
        from compression import zstd  # type: ignore[import-not-found]
    except ImportError:
        from backports import zstd  # type: ignore[no-redef]
    return bytes(zstd.compress(data))
