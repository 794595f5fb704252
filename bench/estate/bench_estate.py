"""Estate wall time: serial vs process pool vs Ray over a generated estate, and the driver's peak memory
against the number of targets.

    python bench/estate/bench_estate.py                         # 500 targets: serial, process x2, ray x2
    python bench/estate/bench_estate.py --targets 500 --memory 100,250,500 --rounds 1
    python bench/estate/bench_estate.py --executors process --workers 2 --json out.json

The estate is generated into a temporary directory (``--dir`` keeps it; never commit it): copies and
variants of real sdists from PyPI (the pinned, sha256-checked packages of bench/accuracy/corpus.toml,
fetched with pip into that benchmark's cache on first use, never installed or imported) and of the demo
services under examples/estate. Each variant adds one small file (a config naming a model, or nothing),
so the targets differ as a real estate's repositories do. Each measurement runs in a fresh process
(``--one``) recording into a fresh SQLite store: wall time of ``run_estate`` (catalog and pack loading in
the workers included, interpreter start excluded) and the driver's peak RSS (``ru_maxrss`` of that process
only: the process pool's and Ray's workers are other processes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DEMO = ROOT / "examples" / "estate"
SDISTS = (  # small real packages of bench/accuracy/corpus.toml (openai/anthropic/langchain are large)
    "llama-index-llms-dashscope",
    "llama-index-embeddings-dashscope",
    "llama-index-llms-zhipuai",
    "llama-index-llms-qianfan",
    "llama-index-llms-deepseek",
    "llama-index-llms-yi",
    "llama-index-llms-minimax",
    "llama-index-llms-siliconflow",
    "llama-index-llms-openai",
    "dashscope",
    "qianfan",
)
DEMO_DIRS = (
    "services/assistant",
    "services/web",
    "services/gateway",
    "services/billing",
    "services/analytics",
    "deploy",
)
VARIANTS = (
    None,
    ("config/models.yaml", "model: deepseek-chat\nbase_url: https://api.deepseek.com/v1\n"),
    ("config/models.yaml", "model: gpt-4o-mini\n"),
    ("settings.py", 'MODEL = "qwen-max"\nDASHSCOPE_API_KEY = "env"\n'),
)


def sources(cache: Path) -> list[Path]:
    """The unpacked sdists (fetched once into the accuracy benchmark's cache) and the demo services."""
    sys.path.insert(0, str(ROOT / "bench" / "accuracy"))
    import run as accuracy  # bench/accuracy/run.py: load_corpus, fetch (pip download + sha256 + unpack)

    corpus = {p.name: p for p in accuracy.load_corpus(ROOT / "bench" / "accuracy" / "corpus.toml")}
    out = [accuracy.fetch(corpus[name], cache) for name in SDISTS]
    return out + [DEMO / d for d in DEMO_DIRS]


def generate(dest: Path, n: int, srcs: list[Path]) -> Path:
    """``n`` targets under ``dest/targets`` and ``dest/tierguard.toml`` listing them."""
    targets = dest / "targets"
    targets.mkdir(parents=True, exist_ok=True)
    lines = ['[estate]\nname = "bench"\nprofile = "uk-gov"\n']
    for i in range(n):
        src = srcs[i % len(srcs)]
        name = f"t{i:04d}-{src.name}"
        dst = targets / name
        if not dst.exists():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".unpacked"))
            variant = VARIANTS[(i // len(srcs)) % len(VARIANTS)]
            if variant is not None:
                (dst / variant[0]).parent.mkdir(parents=True, exist_ok=True)
                (dst / variant[0]).write_text(variant[1])
        lines.append(
            f'[[estate.targets]]\nname = "{name}"\npath = "targets/{name}"\nowner = "team-{i % 17}"\n'
        )
    path = dest / f"tierguard-{n}.toml"
    path.write_text("\n".join(lines))
    return path


def one(args: argparse.Namespace) -> None:
    """One measurement in this (fresh) process; prints a JSON line."""
    from tierguard.execute import load_estate, run_estate
    from tierguard.store import open_store

    estate = load_estate(Path(args.estate))
    store = open_store(f"sqlite:///{args.store}")
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    run = run_estate(estate, store=store, executor=args.executor, workers=args.workers, resume=False)
    elapsed = time.perf_counter() - t0
    store.close()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assets = sum(t.assets for t in run.rollup.targets)
    out = {
        "executor": args.executor,
        "workers": run.workers,
        "targets": len(run.rollup.targets),
        "errors": run.errors,
        "assets": assets,
        "elapsed_s": round(elapsed, 2),
        "driver_peak_rss_mb": round(rss_mb, 1),
        # the 1-minute load average before and after: other work on the machine takes CPUs from the
        # workers (a speed-up is only meaningful when this stays well under the CPU count)
        "load_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    print(json.dumps(out))


def _burn(n: int) -> float:
    t = time.process_time()
    s = 0
    for i in range(n):
        s += i * i
    return time.process_time() - t


def cores_available(workers: int) -> float:
    """How many of ``workers`` CPUs this benchmark gets right now: ``workers`` busy loops of ~1 s each
    (CPU time) against their wall time. 2.0 on an idle 2-core machine; other people's work lowers it."""
    import multiprocessing as mp

    with mp.get_context("forkserver").Pool(workers) as pool:
        pool.map(_burn, [1000] * workers)  # workers started
        t0 = time.perf_counter()
        cpu = sum(pool.map(_burn, [25_000_000] * workers))
        wall = time.perf_counter() - t0
    return round(cpu / wall, 2)


def measure(estate: Path, executor: str, workers: int, tmp: Path) -> dict[str, Any]:
    store = tmp / f"store-{executor}-{time.monotonic_ns()}.db"
    cmd = [sys.executable, __file__, "--one", "--estate", str(estate), "--store", str(store)]
    cmd += ["--executor", executor, "--workers", str(workers)]
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    before = cores_available(workers)
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{executor}: exit {done.returncode}\n{done.stderr[-2000:]}")
    store.unlink(missing_ok=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["cores_available_before"] = before
    result["cores_available_after"] = cores_available(workers)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--estate", help=argparse.SUPPRESS)
    ap.add_argument("--store", help=argparse.SUPPRESS)
    ap.add_argument("--executor", default="process", help=argparse.SUPPRESS)
    ap.add_argument("--targets", type=int, default=500)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--executors", default="serial,process,ray")
    ap.add_argument("--memory", default="", help="target counts for the driver-memory series (process)")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--dir", type=Path, help="generate here and keep it (default: a temporary directory)")
    default_cache = os.environ.get("TIERGUARD_BENCH_CACHE", "~/.cache/tierguard-bench/accuracy")
    ap.add_argument("--cache", type=Path, default=Path(default_cache).expanduser())
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if args.one:
        one(args)
        return 0
    tmp = args.dir or Path(tempfile.mkdtemp(prefix="tg-estate-bench-"))
    try:
        srcs = sources(args.cache)
        rows: list[dict[str, Any]] = []
        estate = generate(tmp, args.targets, srcs)
        for _ in range(args.rounds):
            for executor in args.executors.split(","):
                row = measure(estate, executor, args.workers, tmp)
                rows.append(row)
                print(json.dumps(row), flush=True)
        for n in [int(x) for x in args.memory.split(",") if x]:
            row = {**measure(generate(tmp, n, srcs), "process", args.workers, tmp), "series": "memory"}
            rows.append(row)
            print(json.dumps(row), flush=True)
        meta = {"python": platform.python_version(), "cpus": os.cpu_count(), "rows": rows}
        if args.json:
            args.json.write_text(json.dumps(meta, indent=2))
    finally:
        if args.dir is None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
