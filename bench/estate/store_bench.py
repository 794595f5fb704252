"""Store benchmark (issue 14 item 7, the store half): record throughput and list-query latency, on SQLite and
on PostgreSQL (a throwaway server from Debian's binaries, tests/pg.py).

    python bench/estate/store_bench.py                      # both backends, defaults below
    python bench/estate/store_bench.py --backend sqlite --records 50 --targets 500 --assets 200 --repeat 50

1. **Record**: the demo estate (examples/estate) is scanned once with the real Scanner, then recorded
   ``--records`` times through ``Store.record`` (one transaction each: scan row, compressed JSON document,
   asset/usage/decision/rule/finding rows). Reported: scans/s and assets/s.
2. **Lists at scale**: a store is filled with ``--targets`` targets x 2 ok scans x ``--assets`` assets (the
   defaults give 200,000 asset rows, 100,000 of them in the latest scan of each target, which is what an
   unfiltered listing covers), with decisions, rules and two usages per asset. The rows are copies of the
   demo's real rows with names, producers, jurisdictions and verdicts varied, bulk-inserted into the store's
   own tables (recording 2,000 scans one by one would measure the same inserts more slowly). Then each list
   query of the Store interface is timed ``--repeat`` times: p50 and p99 in milliseconds, counts included
   (every listing computes its total).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from sqlalchemy import insert, update  # noqa: E402

from tierguard.catalog import load_catalog  # noqa: E402
from tierguard.model import Context, ScanResult  # noqa: E402
from tierguard.policy.packs import load_packs  # noqa: E402
from tierguard.scanner import Scanner  # noqa: E402
from tierguard.store import AssetFilter, open_store, rows  # noqa: E402
from tierguard.store.sql import SqlStore  # noqa: E402
from tierguard.store.tables import (  # noqa: E402
    AssetTable,
    DecisionRuleTable,
    DecisionTable,
    ScanTable,
    TargetTable,
    UsageTable,
)

PRODUCERS = [("deepseek", "CN"), ("alibaba", "CN"), ("openai", "US"), ("mistral", "FR"), ("meta", "US")]
VERDICTS = ["allow", "allow", "review", "deny"]


def demo_result() -> ScanResult:
    return Scanner(load_catalog(), load_packs()).scan(
        ROOT / "examples" / "estate", Context(country="US"), display_name="examples/estate"
    )


def bench_record(url: str, result: ScanResult, n: int) -> dict[str, float]:
    store = open_store(url)
    store.record(result)  # warm-up (first insert, statement caches)
    t0 = time.perf_counter()
    for _ in range(n):
        store.record(result)
    wall = time.perf_counter() - t0
    store.close()
    return {"scans_s": n / wall, "assets_s": n * len(result.assets) / wall, "ms_per_scan": 1000 * wall / n}


def _scan_values(tid: int, doc: bytes, i: int, per_scan: int) -> dict[str, Any]:
    return {
        "assets": per_scan,  # the headline counts record() keeps (the unfiltered listing's total)
        "denies": per_scan // 4,
        "reviews": per_scan // 4,
        "target_id": tid,
        "status": "ok",
        "error": "",
        "command": "scan",
        "started": f"2026-01-{1 + i % 28:02d}T00:00:00+00:00",
        "finished": f"2026-01-{1 + i % 28:02d}T00:01:00+00:00",
        "recorded": "2026-01-01T00:02:00+00:00",
        "worst_verdict": "deny",
        "schema_version": "3.0.0",
        "codec": rows.CODEC,
        "document": doc,
    }


def synthesize(store: SqlStore, result: ScanResult, targets: int, per_scan: int) -> int:
    """Fill ``store`` with targets x 2 scans x per_scan assets; the number of asset rows."""
    template = rows.asset_rows(0, result)
    doc = rows.encode_document(result)
    total = 0
    with store._write() as conn:  # one bulk load; the bench owns this store
        for t in range(targets):
            tid = conn.execute(insert(TargetTable).values(name=f"repo-{t:04d}", owner=f"team-{t % 17}"))
            target_id = int(tid.inserted_primary_key[0])  # type: ignore[index]
            for s in range(2):
                res = conn.execute(insert(ScanTable).values(**_scan_values(target_id, doc, t + s, per_scan)))
                scan_id = int(res.inserted_primary_key[0])  # type: ignore[index]
                assets, usages, decisions, rules_ = [], [], [], []
                for k in range(per_scan):
                    base = template[k % len(template)]
                    producer, jur = PRODUCERS[(t + k) % len(PRODUCERS)]
                    verdict = VERDICTS[(t * 7 + k) % len(VERDICTS)]
                    aid = f"as-{t:04d}{k:05d}{s}"
                    name = f"{base['name']} {k}"
                    assets.append(
                        {**base, "scan_id": scan_id, "asset_id": aid, "name": name, "producer": producer,
                         "jurisdiction": jur, "verdict": verdict, "usages": 2}
                    )  # fmt: skip
                    decisions.append(
                        {"scan_id": scan_id, "asset_id": aid, "asset_name": name, "verdict": verdict,
                         "rules": f"RULE-{k % 13}", "waived": False}
                    )  # fmt: skip
                    rules_.append({"scan_id": scan_id, "asset_id": aid, "rule_id": f"RULE-{k % 13}"})
                    for line in (1, 2):
                        usages.append(
                            {"scan_id": scan_id, "asset_id": aid, "path": f"src/m{k}.py", "line": line,
                             "use_mode": base["use_mode"], "strength": "A", "service": None,
                             "service_jurisdiction": jur, "host": None, "user": None}
                        )  # fmt: skip
                for table, batch in (
                    (AssetTable, assets),
                    (UsageTable, usages),
                    (DecisionTable, decisions),
                    (DecisionRuleTable, rules_),
                ):
                    conn.execute(insert(table), batch)
                decided = sum(1 for a in assets if a["verdict"])  # what record() keeps (schema 0002)
                conn.execute(update(ScanTable).where(ScanTable.id == scan_id).values(decided=decided))
                total += len(assets)
                for col in (TargetTable.last_scan_id, TargetTable.last_ok_scan_id):
                    conn.execute(
                        update(TargetTable).where(TargetTable.id == target_id).values({col: scan_id})
                    )
    # what a store that grew gradually has: planner statistics and (PostgreSQL) a visibility map, which
    # autovacuum keeps
    if store._sqlite:
        with store._engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        with store._engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    return total


def queries(store: SqlStore) -> dict[str, Callable[[], object]]:
    return {
        "assets (latest, page 1)": lambda: store.assets(),
        "assets offset 50,000": lambda: store.assets(offset=50_000),
        "assets verdict=deny": lambda: store.assets(AssetFilter(verdict="deny")),
        "assets jurisdiction=CN": lambda: store.assets(AssetFilter(jurisdiction="CN")),
        "assets producer=deepseek": lambda: store.assets(AssetFilter(producer="deepseek")),
        "assets kind+verdict": lambda: store.assets(AssetFilter(kind="ai-service", verdict="deny")),
        "assets query='qwen'": lambda: store.assets(AssetFilter(query="qwen")),
        "assets rule_id=RULE-3": lambda: store.assets(AssetFilter(rule_id="RULE-3")),
        "assets target=repo-0042": lambda: store.assets(AssetFilter(target="repo-0042")),
        "assets scan=7": lambda: store.assets(AssetFilter(scan=7)),
        "decisions verdict=deny": lambda: store.decisions(AssetFilter(verdict="deny")),
        "decisions jurisdiction=CN": lambda: store.decisions(AssetFilter(jurisdiction="CN")),
        "findings (none)": lambda: store.findings(),
        "scans page 1": lambda: store.scans(),
        "targets page 1": lambda: store.targets(),
        "trend (500 points)": lambda: store.trend(),
        "resolve latest": lambda: store.resolve("latest"),
        "breakdown by producer": lambda: store.breakdown("producer"),
        "breakdown by jurisdiction, CN": lambda: store.breakdown(
            "jurisdiction", AssetFilter(jurisdiction="CN")
        ),
    }


def bench_lists(url: str, result: ScanResult, targets: int, per_scan: int, repeat: int) -> dict[str, Any]:
    store = open_store(url)
    assert isinstance(store, SqlStore)
    t0 = time.perf_counter()
    n = synthesize(store, result, targets, per_scan)
    load_s = time.perf_counter() - t0
    out: dict[str, Any] = {"asset_rows": n, "latest_assets": store.assets().total, "load_s": load_s}
    with store._engine.connect() as conn:  # counted row by row, not from the scans' headline counts
        counted = conn.exec_driver_sql(
            "SELECT count(*) FROM assets WHERE scan_id IN (SELECT last_ok_scan_id FROM targets)"
        ).scalar_one()
    if not out["latest_assets"] == counted == targets * per_scan:
        raise SystemExit(f"synthesized store is inconsistent: {out['latest_assets']} vs {counted}")
    for name, q in queries(store).items():
        q()  # warm
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            q()
            times.append(1000 * (time.perf_counter() - t))
        times.sort()
        out[name] = (statistics.median(times), times[min(len(times) - 1, int(0.99 * len(times)))])
    store.close()
    return out


def run(backend: str, url: str, result: ScanResult, args: argparse.Namespace) -> None:
    rec = bench_record(url, result, args.records)
    print(f"\n## {backend}")
    print(
        f"record: {rec['scans_s']:.1f} scans/s, {rec['assets_s']:.0f} assets/s "
        f"({rec['ms_per_scan']:.1f} ms per scan of {len(result.assets)} assets, "
        f"{sum(len(a.usages) for a in result.assets)} usages, {len(result.decisions)} decisions)"
    )
    lists = bench_lists(args.list_url or url, result, args.targets, args.assets, args.repeat)
    print(
        f"lists: {lists['asset_rows']:,} asset rows ({lists['latest_assets']:,} in the latest scans), "
        f"bulk load {lists['load_s']:.1f} s"
    )
    print("| query | p50 ms | p99 ms |\n|---|---:|---:|")
    for name, value in lists.items():
        if isinstance(value, tuple):
            print(f"| {name} | {value[0]:.1f} | {value[1]:.1f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--records", type=int, default=50)
    ap.add_argument("--targets", type=int, default=500)
    ap.add_argument("--assets", type=int, default=200, help="assets per scan (2 scans per target)")
    ap.add_argument("--repeat", type=int, default=50)
    ap.add_argument("--list-url", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    result = demo_result()
    tmp = Path(tempfile.mkdtemp(prefix="tg-store-bench-"))
    try:
        if args.backend in ("sqlite", "both"):
            run(
                "SQLite",
                f"sqlite:///{tmp / 'rec.db'}",
                result,
                _with_list_url(args, f"sqlite:///{tmp / 'l.db'}"),
            )
        if args.backend in ("postgresql", "both"):
            from tests.pg import PgServer, find_bindir

            bindir = find_bindir()
            if bindir is None:
                print("\n## PostgreSQL: skipped (no initdb/pg_ctl)")
                return
            server = PgServer(bindir, durable=True)  # fsync on, PostgreSQL's defaults
            try:
                server.start()
                run(
                    "PostgreSQL",
                    server.create_database(),
                    result,
                    _with_list_url(args, server.create_database()),
                )
            finally:
                server.cleanup()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _with_list_url(args: argparse.Namespace, url: str) -> argparse.Namespace:
    return argparse.Namespace(**{**vars(args), "list_url": url})


if __name__ == "__main__":
    main()
