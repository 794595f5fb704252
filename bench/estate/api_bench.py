"""API benchmark (issue 14 item 7, the API half): p50/p99 of the list endpoints (first and deep pages, with
and without filters), breakdown, diff, explain and the dashboard's overview over real HTTP to
``tierguard serve`` (uvicorn) on loopback, with a store of 100,000 assets in the latest scans.

    python bench/estate/api_bench.py                                  # SQLite, defaults below
    python bench/estate/api_bench.py --backend postgresql             # a throwaway PostgreSQL (tests/pg.py)
    python bench/estate/api_bench.py --targets 500 --assets 200 --repeat 300 --big 10000

1. The store is filled the way bench/estate/store_bench.py does (its ``synthesize``: ``--targets`` targets x
   2 ok scans x ``--assets`` assets, copies of the demo's real rows with names, producers, jurisdictions and
   verdicts varied; the defaults give 100,000 assets in the latest scan of each target, 200,000 rows).
2. Two real scans of the demo (examples/estate before/after adding a DeepSeek call) are recorded as target
   ``northwind`` (diff of a real target), and two synthetic results of ``--big`` assets each (the demo's
   assets renamed, 5 % changed between the two) as target ``big`` (diff of a large target).
3. ``python -m tierguard serve`` starts on a free loopback port with a read token; one keep-alive httpx client
   sends each request ``--repeat`` times after 5 warm-up requests, one at a time. Reported: the first
   (cold) request, then p50, p99 and max in milliseconds, end to end (HTTP, auth, query, JSON encoding), and
   the size of the answer. Diff and explain load whole results; the server keeps recently loaded results in
   memory (service/cache.py), so their repeated requests are cache hits and "first" is the cold cost.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "src"), str(ROOT), str(Path(__file__).parent)]

import httpx  # noqa: E402
import msgspec  # noqa: E402
from store_bench import demo_result, synthesize  # noqa: E402

from tierguard.model import Asset, Context, ScanResult  # noqa: E402
from tierguard.store import open_store  # noqa: E402
from tierguard.store.sql import SqlStore  # noqa: E402

TOKEN = "bench-read-token-0123456789abcdef"
NEW_CALL = """from openai import OpenAI

client = OpenAI(base_url="https://api.deepseek.com", api_key="x")
reply = client.chat.completions.create(model="deepseek-coder", messages=[])
"""

ENDPOINTS: list[tuple[str, str, dict[str, Any]]] = [
    ("assets (latest, page 1)", "/api/v1/assets", {}),
    ("assets limit=500", "/api/v1/assets", {"limit": 500}),
    ("assets offset=50000", "/api/v1/assets", {"offset": 50_000}),
    ("assets offset=100000", "/api/v1/assets", {"offset": 100_000}),
    ("assets verdict=deny", "/api/v1/assets", {"verdict": "deny"}),
    ("assets jurisdiction=CN&verdict=deny", "/api/v1/assets", {"jurisdiction": "CN", "verdict": "deny"}),
    ("assets producer=deepseek", "/api/v1/assets", {"producer": "deepseek"}),
    ("assets q=qwen", "/api/v1/assets", {"q": "qwen"}),
    ("assets rule_id=RULE-3", "/api/v1/assets", {"rule_id": "RULE-3"}),
    ("assets target=repo-0042", "/api/v1/assets", {"target": "repo-0042"}),
    ("assets verdict=deny offset=20000", "/api/v1/assets", {"verdict": "deny", "offset": 20_000}),
    ("assets jurisdiction=CN offset=40000", "/api/v1/assets", {"jurisdiction": "CN", "offset": 40_000}),
    ("assets producer=deepseek offset=20000", "/api/v1/assets", {"producer": "deepseek", "offset": 20_000}),
    ("assets q=qwen offset=15000", "/api/v1/assets", {"q": "qwen", "offset": 15_000}),
    ("assets rule_id=RULE-3 offset=7000", "/api/v1/assets", {"rule_id": "RULE-3", "offset": 7_000}),
    ("decisions (latest, page 1)", "/api/v1/decisions", {}),
    ("decisions verdict=deny", "/api/v1/decisions", {"verdict": "deny"}),
    ("decisions offset=50000", "/api/v1/decisions", {"offset": 50_000}),
    ("decisions verdict=deny offset=20000", "/api/v1/decisions", {"verdict": "deny", "offset": 20_000}),
    ("findings", "/api/v1/findings", {}),
    ("scans page 1", "/api/v1/scans", {}),
    ("scans target=repo-0042", "/api/v1/scans", {"target": "repo-0042"}),
    ("targets page 1", "/api/v1/targets", {}),
    ("trend", "/api/v1/trend", {}),
    ("breakdown by=producer", "/api/v1/breakdown", {"by": "producer"}),
    ("breakdown by=jurisdiction", "/api/v1/breakdown", {"by": "jurisdiction"}),
    ("breakdown by=kind verdict=deny", "/api/v1/breakdown", {"by": "kind", "verdict": "deny"}),
    ("breakdown by=producer jurisdiction=CN", "/api/v1/breakdown", {"by": "producer", "jurisdiction": "CN"}),
    ("dashboard overview /", "/", {}),
    ("dashboard overview /?target=repo-0042", "/", {"target": "repo-0042"}),
    ("dashboard /assets?verdict=deny", "/assets", {"verdict": "deny"}),
    ("diff northwind (demo, 46 assets)", "/api/v1/diff", {"target": "northwind"}),
    ("diff big", "/api/v1/diff", {"target": "big"}),
    ("explain deepseek-coder", "/api/v1/explain", {"asset": "deepseek-coder", "target": "northwind"}),
]


def demo_pair() -> tuple[ScanResult, ScanResult]:
    from tierguard.catalog import load_catalog
    from tierguard.policy.packs import load_packs
    from tierguard.scanner import Scanner

    tree = Path(tempfile.mkdtemp(prefix="tg-api-bench-demo-")) / "estate"
    shutil.copytree(ROOT / "examples" / "estate", tree)
    scanner = Scanner(load_catalog(), load_packs())
    before = scanner.scan(tree, Context(country="US"), display_name="northwind")
    (tree / "services" / "assistant" / "new_agent.py").write_text(NEW_CALL)
    after = scanner.scan(tree, Context(country="US"), display_name="northwind")
    shutil.rmtree(tree.parent, ignore_errors=True)
    return before, after


def big_result(demo: ScanResult, n: int, variant: int) -> ScanResult:
    """``n`` assets: the demo's assets renamed ``<name> #i``; variant 1 renames 5 % of them (new/resolved)."""
    assets: list[Asset] = []
    decisions = []
    by_id = {d.asset_id: d for d in demo.decisions}
    i = 0
    while len(assets) < n:
        for a in demo.assets:
            if len(assets) >= n:
                break
            tag = f"#{i}" if not (variant and i % 20 == 0) else f"#{i}-v{variant}"
            renamed = Asset.model_validate({**msgspec.to_builtins(a), "name": f"{a.name} {tag}", "id": ""})
            assets.append(renamed)
            d = by_id.get(a.id)
            if d is not None:
                decisions.append(msgspec.structs.replace(d, asset_id=renamed.id))
        i += 1
    return msgspec.structs.replace(demo, target="big", assets=tuple(assets), decisions=tuple(decisions))


def fill(url: str, targets: int, per_scan: int, big: int) -> dict[str, Any]:
    store = open_store(url)
    assert isinstance(store, SqlStore)
    demo = demo_result()
    t0 = time.perf_counter()
    rows = synthesize(store, demo, targets, per_scan)
    before, after = demo_pair()
    store.record(before, target="northwind")
    store.record(after, target="northwind")
    t1 = time.perf_counter()
    store.record(big_result(demo, big, 0), target="big")
    store.record(big_result(demo, big, 1), target="big")
    big_s = (time.perf_counter() - t1) / 2
    info = {"rows": rows, "latest": store.assets().total, "load_s": time.perf_counter() - t0, "big_s": big_s}
    store.close()
    return info


def serve(url: str) -> tuple[subprocess.Popen[bytes], str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIERGUARD_")}
    env["TIERGUARD_READ_TOKEN"] = TOKEN
    env["PYTHONPATH"] = str(ROOT / "src")
    cmd = [sys.executable, "-m", "tierguard", "serve", "--port", str(port), "--store", url]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start")


def measure(base: str, repeat: int) -> list[tuple[str, float, float, float, float, int, int]]:
    out = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as client:
        for name, path, params in ENDPOINTS:
            t = time.perf_counter()
            client.get(path, params=params).raise_for_status()
            first = 1000 * (time.perf_counter() - t)
            for _ in range(4):
                client.get(path, params=params).raise_for_status()
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                r = client.get(path, params=params)
                times.append(1000 * (time.perf_counter() - t))
                assert r.status_code == 200, (path, r.status_code)
            times.sort()
            p99 = times[min(len(times) - 1, int(0.99 * len(times)))]
            body = r.json() if r.headers["content-type"].startswith("application/json") else None
            total = body.get("total", 0) if isinstance(body, dict) else len(body or ())
            out.append((name, first, statistics.median(times), p99, times[-1], len(r.content), total))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--targets", type=int, default=500)
    ap.add_argument("--assets", type=int, default=200, help="assets per scan (2 scans per target)")
    ap.add_argument("--big", type=int, default=10_000, help="assets in each scan of the 'big' target")
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tg-api-bench-"))
    pg = None
    try:
        if args.backend == "sqlite":
            url = f"sqlite:///{tmp / 'api.db'}"
        else:
            from tests.pg import PgServer, find_bindir

            bindir = find_bindir()
            if bindir is None:
                raise SystemExit("PostgreSQL binaries not found")
            pg = PgServer(bindir, durable=True)
            pg.start()
            url = pg.create_database()
        info = fill(url, args.targets, args.assets, args.big)
        print(
            f"store ({args.backend}): {info['rows']:,} synthetic asset rows, {info['latest']:,} in the "
            f"latest scans; filled in {info['load_s']:.1f} s; recording one {args.big:,}-asset result "
            f"{info['big_s']:.1f} s"
        )
        proc, base = serve(url)
        load0 = os.getloadavg()[0]
        try:
            rows = measure(base, args.repeat)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        load1 = os.getloadavg()[0]
        print(f"\n{args.repeat} sequential requests each over HTTP/1.1 keep-alive to uvicorn on loopback")
        print(f"load average (1 min) {load0:.1f} at the start, {load1:.1f} at the end\n")
        print("| endpoint | first ms | p50 ms | p99 ms | max ms | bytes | total |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, first, p50, p99, mx, size, total in rows:
            print(f"| {name} | {first:.1f} | {p50:.1f} | {p99:.1f} | {mx:.1f} | {size:,} | {total:,} |")
    finally:
        if pg is not None:
            pg.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
