"""Benchmark: tierguard's network-log reader vs ripgrep on a generated Zeek DNS log, plain and gzip, one run.

What is generated (in a temporary directory, or --dir): a Zeek TSV ``dns.log`` of --size bytes (default 2 GB)
with a realistic mix: 3,000 clients of uneven activity, ~300 popular domains with CDN/hashed subdomains,
reverse lookups, internal names, A/AAAA/HTTPS/PTR/TXT queries, NOERROR/NXDOMAIN/SERVFAIL, and a small share
(--share, default 0.5 %) of queries to catalog hosts, plus near misses that must not match
(``notdeepseek.com``, ``deepseek.com.evil.example``, ``api-deepseek.com``). Its gzip (``dns.log.gz``, level 6,
as logrotate writes it) is made next to it.

What both tools count: the lines whose ``query`` field is a catalog host or a subdomain the rules cover.
tierguard's rules are ``rules_from_catalog``; ``hosts.txt`` for ripgrep holds, for every exact rule host
``h``, the string ``<TAB>h<TAB>`` (the whole field) and for every ``*.s`` rule ``.s<TAB>`` (a subdomain at
the end of the field). Only the query field holds host names in the generated log (answers are addresses),
so a line ripgrep counts is a line whose query matches and vice versa; the rules with a ``*`` inside a label
(``ark.*.bytepluses.com``, ``*-aiplatform.googleapis.com``) cannot be written as fixed strings, so the
generator draws no hosts for them and checks that no noise host matches any rule. tierguard's ``matched``
must equal ``rg -c`` (checked; the run fails otherwise). ripgrep is case-sensitive with -F; DNS names are
not, and tierguard matches them without case, so ``rg -i`` (the same semantics) is timed too; the generated
names are lower case so all three counts agree.

Each command runs in its own child process (tierguard's includes the interpreter start, imports and the
catalog load); wall time is measured around it and peak memory is the child's (and its children's) maximum
resident set. The page cache is warmed first; rounds are interleaved. Not a test: run by hand, figures go to
bench/egress/README.md.

    python bench/egress/bench_egress.py [--size 2G] [--rounds 3] [--dir DIR] [--keep] [--no-gzip]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _words(text: str) -> list[str]:
    return text.split()


FIELDS = _words(
    "ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto trans_id rtt query qclass qclass_name qtype "
    "qtype_name rcode rcode_name AA TC RD RA Z answers TTLs rejected"
)
TYPES = _words(
    "time string addr port addr port enum count interval string count string count string count string bool "
    "bool bool bool count vector[string] vector[interval] bool"
)
POPULAR = _words("""
google.com googleapis.com gstatic.com googlevideo.com youtube.com ytimg.com doubleclick.net
googleusercontent.com google-analytics.com googletagmanager.com microsoft.com microsoftonline.com office.com
office365.com outlook.com live.com windows.net windowsupdate.com msftconnecttest.com azureedge.net
azurewebsites.net bing.com skype.com teams.microsoft.com sharepoint.com onedrive.com apple.com icloud.com
mzstatic.com apple-dns.net aaplimg.com amazon.com amazonaws.com cloudfront.net awsstatic.com akamai.net
akamaiedge.net akamaihd.net edgekey.net edgesuite.net cloudflare.com cloudflare-dns.com fastly.net
fastly-insights.com github.com githubusercontent.com githubassets.com gitlab.com atlassian.net
atlassian.com slack.com slack-edge.com zoom.us zoom.com salesforce.com force.com okta.com oktacdn.com
duosecurity.com crowdstrike.com sentinelone.net zscaler.net digicert.com letsencrypt.org sectigo.com
pypi.org pythonhosted.org npmjs.org npmjs.com docker.io docker.com ubuntu.com canonical.com debian.org
redhat.com fedoraproject.org mozilla.org mozilla.net firefox.com adobe.com adobe.io typekit.net
dropbox.com box.com wikipedia.org wikimedia.org reddit.com redditmedia.com twitter.com x.com twimg.com
facebook.com fbcdn.net instagram.com whatsapp.net linkedin.com licdn.com stackoverflow.com sstatic.net
nytimes.com bbc.co.uk cnn.com reuters.com bloomberg.com weather.com accuweather.com espn.com
spotify.com scdn.co netflix.com nflxvideo.net hulu.com twitch.tv zendesk.com intercom.io hubspot.com
segment.io mixpanel.com newrelic.com datadoghq.com sentry.io splunkcloud.com elastic.co pagerduty.com
statuspage.io gov.uk service.gov.uk usa.gov irs.gov ssa.gov nih.gov cdc.gov nasa.gov noaa.gov
texas.gov ny.gov ca.gov""")
LABELS = _words("www api cdn static img login auth mail m app assets edge update telemetry s3 ws")
TRAPS = [
    "notdeepseek.com",
    "deepseek.com.evil.example",
    "api-deepseek.com",
    "deepseekcom.example",
    "moonshot.cn.example",
    "myopenai.com",
    "api.deepseek.co",
    "chat-deepseek.net",
]
START = 1764547200.0  # 2025-12-01T00:00:00Z


# ---- data -------------------------------------------------------------------------------------------------


def fixed_string_rules() -> tuple[list[str], list[str], list[str]]:
    """(hosts.txt lines, catalog hosts to draw from, pattern rules left out)."""
    from tierguard.catalog import load_catalog
    from tierguard.egress import rules_from_catalog

    patterns, lines, hosts = [], set(), set()
    for r in rules_from_catalog(load_catalog()):
        h = r.host
        if h.startswith("*.") and "*" not in h[2:]:
            lines.add(f".{h[2:]}\t")
            hosts.update(f"{lab}{i}.{h[2:]}" for lab in ("x", "eu-", "chat") for i in range(3))
        elif "*" in h or h.startswith("."):
            patterns.append(h)
        else:
            lines.add(f"\t{h}\t")
            hosts.add(h)
    return sorted(lines), sorted(hosts), patterns


def _noise_host(rnd: random.Random) -> str:
    roll = rnd.random()
    if roll < 0.45:
        return f"{rnd.choice(LABELS)}.{rnd.choice(POPULAR)}"
    if roll < 0.65:
        return rnd.choice(POPULAR)
    if roll < 0.8:
        return f"e{rnd.randint(1, 99999)}.a.{rnd.choice(('akamaiedge.net', 'cloudfront.net', 'fastly.net'))}"
    if roll < 0.88:
        return f"{rnd.randint(1, 254)}.{rnd.randint(0, 255)}.20.10.in-addr.arpa"
    if roll < 0.95:
        return f"{rnd.choice(('wpad', 'fs01', 'print', 'dc01', 'intranet'))}.corp.example.gov"
    return f"r{rnd.randint(1, 9)}---sn-{rnd.getrandbits(32):08x}.googlevideo.com"


def _pools(seed: int, catalog_hosts: list[str]) -> tuple[list[str], list[str]]:
    from tierguard.catalog import load_catalog
    from tierguard.egress import HostMatcher, rules_from_catalog

    rnd = random.Random(seed)
    matcher = HostMatcher(rules_from_catalog(load_catalog()))
    noise = [_noise_host(rnd) for _ in range(200_000)] + TRAPS * 50
    bad = [h for h in set(noise) if matcher.match(h) is not None]
    if bad:
        raise SystemExit(f"noise hosts that match a rule: {bad[:5]}")
    missing = [h for h in catalog_hosts if matcher.match(h) is None]
    if missing:
        raise SystemExit(f"catalog hosts no rule matches: {missing[:5]}")
    return noise, catalog_hosts


def generate(path: Path, size: int, share: float, seed: int = 7) -> int:
    """Write the Zeek dns.log; returns the number of catalog-host lines written."""
    _lines, catalog_hosts, _patterns = fixed_string_rules()
    noise, cat = _pools(seed, catalog_hosts)
    rnd = random.Random(seed)
    clients = [f"10.{20 + i // 4000}.{(i // 250) % 16}.{i % 250 + 1}" for i in range(3000)]
    weights = [1.0 / (i + 1) ** 0.8 for i in range(len(clients))]
    qtypes = [("1", "A")] * 6 + [("28", "AAAA")] * 3 + [("65", "HTTPS"), ("12", "PTR"), ("16", "TXT")]
    rcodes = [("0", "NOERROR")] * 18 + [("3", "NXDOMAIN")] * 2 + [("2", "SERVFAIL")]
    header = (
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n"
        "#open\t2025-12-01-00-00-00\n#fields\t" + "\t".join(FIELDS) + "\n#types\t" + "\t".join(TYPES) + "\n"
    )
    written, hits, ts = 0, 0, START
    with open(path, "w", encoding="ascii", newline="\n") as out:
        out.write(header)
        written += len(header)
        batch = 20_000
        while written < size:
            cl = rnd.choices(clients, weights, k=batch)
            lines = []
            for i in range(batch):
                if rnd.random() < share:
                    q = rnd.choice(cat)
                    hits += 1
                else:
                    q = rnd.choice(noise)
                ts += 0.0125
                qc, qt = rnd.choice(qtypes)
                rc, rn = rnd.choice(rcodes)
                if rn == "NOERROR":
                    ans = f"104.{rnd.randint(16, 31)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}"
                    ans2 = f"{ans},104.18.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}"
                    answers, ttls = (ans2, "300.000000,300.000000") if i % 3 == 0 else (ans, "60.000000")
                else:
                    answers, ttls = "-", "-"
                uid, port, tid = rnd.getrandbits(64), rnd.randint(1024, 65535), rnd.randint(1, 65535)
                lines.append(
                    f"{ts:.6f}\tC{uid:016x}x\t{cl[i]}\t{port}\t10.20.0.53\t53\tudp\t{tid}"
                    f"\t0.{rnd.randint(100, 99999):06d}\t{q}\t1\tC_INTERNET\t{qc}"
                    f"\t{qt}\t{rc}\t{rn}\tF\tF\tT\tT\t0\t{answers}\t{ttls}\tF\n"
                )
            chunk = "".join(lines)
            out.write(chunk)
            written += len(chunk)
        out.write("#close\t2025-12-02-00-00-00\n")
    return hits


# ---- runs -------------------------------------------------------------------------------------------------

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from tierguard.catalog import load_catalog
from tierguard.egress import read_egress, rules_from_catalog
catalog = load_catalog()
rules = rules_from_catalog(catalog)
t1 = time.perf_counter()
out = read_egress(Path(sys.argv[1]), rules=rules, catalog=catalog)
t2 = time.perf_counter()
print(json.dumps({"matched": out.matched, "lines": out.lines, "setup": t1 - t0, "read": t2 - t1,
                  "usages": sum(len(a.usages) for a in out.assets), "engine": out.engine,
                  "skipped": len(out.skipped)}))
"""


def run(cmd: list[str], shell: bool = False) -> dict[str, object]:
    """Run a child; wall time, its peak RSS (with its children's), and stdout."""
    t0 = time.perf_counter()
    p = subprocess.Popen(
        cmd if not shell else ["bash", "-c", cmd[0]], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert p.stdout is not None and p.stderr is not None
    stdout = p.stdout.read()
    stderr = p.stderr.read()
    _pid, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode not in (0, 1):  # rg exits 1 when nothing matched
        raise SystemExit(f"{cmd}: exit {p.returncode}: {stderr.decode(errors='replace')[-500:]}")
    return {"wall": wall, "maxrss_mb": ru.ru_maxrss / 1024, "stdout": stdout.decode().strip()}


def rg_binary() -> str:
    rg = shutil.which("rg")
    if rg is None:
        raise SystemExit("ripgrep not found: pip install ripgrep (provides rg)")
    return rg


def commands(d: Path, gz: bool) -> dict[str, tuple[list[str], bool]]:
    rg = rg_binary()
    hosts = str(d / "hosts.txt")
    log, logz = str(d / "dns.log"), str(d / "dns.log.gz")
    cmds: dict[str, tuple[list[str], bool]] = {
        "rg -F": ([rg, "-c", "-F", "-f", hosts, log], False),
        "rg -F -i": ([rg, "-c", "-F", "-i", "-f", hosts, log], False),
        "tierguard": ([sys.executable, "-c", CHILD, log], False),
    }
    if gz:
        cmds["zcat | rg -F"] = ([f"zcat {logz} | {rg} -c -F -f {hosts}"], True)
        cmds["zcat | rg -F -i"] = ([f"zcat {logz} | {rg} -c -F -i -f {hosts}"], True)
        cmds["tierguard (gzip)"] = ([sys.executable, "-c", CHILD, logz], False)
    return cmds


def count_of(name: str, stdout: str) -> int:
    return int(json.loads(stdout)["matched"]) if name.startswith("tierguard") else int(stdout or 0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="2G", help="log size: bytes, or with K/M/G (default 2G)")
    ap.add_argument("--share", type=float, default=0.005, help="share of lines querying catalog hosts")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dir", type=Path, help="work directory (default: a temporary one, removed after)")
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    ap.add_argument("--no-gzip", action="store_true", help="skip the gzip comparison")
    ap.add_argument("--json", type=Path, help="write the raw results here")
    args = ap.parse_args()
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    size = (
        int(float(args.size[:-1]) * mult[args.size[-1].upper()])
        if args.size[-1].isalpha()
        else int(args.size)
    )
    d = args.dir or Path(tempfile.mkdtemp(prefix="tg-egress-"))
    d.mkdir(parents=True, exist_ok=True)
    try:
        bench(d, size, args)
    finally:
        if not args.keep and args.dir is None:
            shutil.rmtree(d, ignore_errors=True)


def bench(d: Path, size: int, args: argparse.Namespace) -> None:
    lines, _hosts, patterns = fixed_string_rules()
    (d / "hosts.txt").write_text("".join(x + "\n" for x in lines), encoding="ascii")
    log = d / "dns.log"
    t = time.perf_counter()
    if not log.exists() or log.stat().st_size < size:
        hits = generate(log, size, args.share)
        print(f"generated {log} ({log.stat().st_size / 1e9:.2f} GB, {hits:,} catalog queries) "
              f"in {time.perf_counter() - t:.0f} s")  # fmt: skip
    gz = not args.no_gzip
    if gz and not (d / "dns.log.gz").exists():
        t = time.perf_counter()
        with open(log, "rb") as src, gzip.open(d / "dns.log.gz", "wb", compresslevel=6) as dst:
            shutil.copyfileobj(src, dst, 8 << 20)
        print(f"gzip: {(d / 'dns.log.gz').stat().st_size / 1e6:.0f} MB in {time.perf_counter() - t:.0f} s")
    print(f"hosts.txt: {len(lines)} fixed strings; rules left out (a '*' inside): {', '.join(patterns)}")
    cmds = commands(d, gz)
    subprocess.run(["cat", str(log)], stdout=subprocess.DEVNULL, check=True)  # warm the page cache
    results: dict[str, list[dict[str, object]]] = {k: [] for k in cmds}
    for rnd in range(args.rounds):
        for name, (cmd, shell) in cmds.items():
            r = run(cmd, shell)
            results[name].append(r)
            print(
                f"round {rnd + 1} {name:18s} {r['wall']:7.2f} s {r['maxrss_mb']:7.0f} MB  {r['stdout'][:160]}"
            )
    report(results, log.stat().st_size)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


def report(results: dict[str, list[dict[str, object]]], size: int) -> None:
    counts = {name: {count_of(name, str(r["stdout"])) for r in rs} for name, rs in results.items()}
    print(f"\nmatch counts: {counts}")
    agree = len({c for cs in counts.values() for c in cs}) == 1
    print("counts agree" if agree else "COUNTS DIFFER")
    med = {name: statistics.median(float(r["wall"]) for r in rs) for name, rs in results.items()}  # type: ignore[arg-type]
    best = {name: min(float(r["wall"]) for r in rs) for name, rs in results.items()}  # type: ignore[arg-type]
    rss = {name: max(float(r["maxrss_mb"]) for r in rs) for name, rs in results.items()}  # type: ignore[arg-type]
    print("\n| command | median wall (s) | best (s) | GB/s (median) | peak RSS (MB) |\n|---|---|---|---|---|")
    for name in results:
        gbs = size / 1e9 / med[name]
        print(f"| {name} | {med[name]:.2f} | {best[name]:.2f} | {gbs:.2f} | {rss[name]:.0f} |")
    pairs = [("tierguard", "rg -F"), ("tierguard", "rg -F -i"),
             ("tierguard (gzip)", "zcat | rg -F"), ("tierguard (gzip)", "zcat | rg -F -i")]  # fmt: skip
    for a, b in pairs:
        if a in med and b in med:
            print(f"ratio {a} / {b}: {med[a] / med[b]:.2f}x (median), {best[a] / best[b]:.2f}x (best)")
    for name in ("tierguard", "tierguard (gzip)"):
        if name in results:
            inner = [json.loads(str(r["stdout"])) for r in results[name]]
            print(f"{name}: setup {statistics.median(i['setup'] for i in inner):.2f} s, read "
                  f"{statistics.median(i['read'] for i in inner):.2f} s, {inner[0]['usages']} usages, "
                  f"lines {inner[0]['lines']:,}, engine {inner[0]['engine']}")  # fmt: skip
    if not agree:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
