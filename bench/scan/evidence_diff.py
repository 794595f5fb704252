"""Evidence equivalence check for speed work: is the discovery evidence of a scan identical to a baseline?

Runs ``tierguard scan TARGET --no-artifacts --no-inspect --format json`` in a child process for each target
(default: the bench/scan corpus, i.e. the base interpreter's site-packages, the venv's site-packages,
``examples/estate``, ``tests/discover/data`` and the unpacked bench/accuracy packages when cached) and
keeps, per evidence record, (detector, kind, value, path, member, line, strength, excerpt, refs,
attributes), plus the skipped entries (path, reason, detail) and the counters ``files_seen``,
``files_parsed`` and ``bytes_read``. ``save`` writes them to a file; ``check`` scans again and prints every
difference (exit 1 when there is one). Not a test: run by hand before and after a speed change.

    python bench/scan/evidence_diff.py save /tmp/evidence-base.json [TARGET ...]
    python bench/scan/evidence_diff.py check /tmp/evidence-base.json

With other people's uncommitted changes in the working tree, compare trees instead (``--src TREE``: that
tree's ``src/tierguard`` shadows the installed package; use a directory of your own, other sessions use
``/tmp/tg-*``)::

    T=$(mktemp -d); mkdir $T/base $T/new
    git archive BASE src | tar -x -C $T/base; git archive HEAD src | tar -x -C $T/new
    python bench/scan/evidence_diff.py compare $T/base --src $T/new    # both trees scan the targets now
    python bench/scan/evidence_diff.py compare $T/base --src $T/new --no-hyperscan
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import sysconfig
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# the bench/scan corpus: the site-packages of the base interpreter (outside a venv: the running one's)
CORPUS = sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_exec_prefix})["purelib"]
# the bench/accuracy packages (real provider SDKs and adaptors, unpacked whole) when that bench has run
ACCURACY_SRC = Path(os.environ.get("TIERGUARD_BENCH_CACHE", "~/.cache/tierguard-bench/accuracy")).expanduser()
DEFAULT_TARGETS = [
    *dict.fromkeys([CORPUS, sysconfig.get_paths()["purelib"]]),  # and the venv's, when running in one
    str(ROOT / "examples" / "estate"),
    str(ROOT / "tests" / "discover" / "data"),
    *([str(ACCURACY_SRC / "src")] if (ACCURACY_SRC / "src").is_dir() else []),
]
COUNTERS = ("files_seen", "files_parsed", "bytes_read")


def _key(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def scan(target: str, src: Path | None = None, no_hyperscan: bool = False) -> dict[str, Any]:
    """The comparable part of a discovery scan of ``target`` (by the package in ``src``/src if given)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "scan.json"
        cmd = [
            sys.executable,
            "-m",
            "tierguard",
            "scan",
            target,
            "--no-artifacts",
            "--no-inspect",
            "--no-progress",
            "--fail-on",
            "never",
            "--no-fail-on-incomplete",
            "--format",
            "json",
            "--output",
            str(out),
        ]
        env = {k: v for k, v in os.environ.items() if k != "TIERGUARD_NO_HYPERSCAN"}
        if no_hyperscan:  # the Aho-Corasick prefilter of machines without Hyperscan
            env["TIERGUARD_NO_HYPERSCAN"] = "1"
        if src is not None:  # that tree's package shadows the installed one
            env["PYTHONPATH"] = os.pathsep.join(p for p in (str(src / "src"), env.get("PYTHONPATH", "")) if p)
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        result = json.loads(out.read_text())
    evidence = sorted(
        _key(
            [
                e["detector"],
                e["kind"],
                e["value"],
                e["location"]["path"],
                e["location"]["member"],
                e["location"]["line"],
                e["strength"],
                e["excerpt"],
                e["refs"],
                e["attributes"],
            ]
        )
        for e in result["evidence"]
    )
    skipped = sorted(_key([s["path"], s["reason"], s.get("detail", "")]) for s in result["skipped"])
    return {
        "evidence": evidence,
        "skipped": skipped,
        "counters": {k: result["stats"][k] for k in COUNTERS},
    }


def _diff(name: str, base: list[str], now: list[str]) -> int:
    b, n = Counter(base), Counter(now)
    gone, new = b - n, n - b
    for line in sorted(gone.elements())[:40]:
        print(f"  - {name}: {line}")
    for line in sorted(new.elements())[:40]:
        print(f"  + {name}: {line}")
    return sum(gone.values()) + sum(new.values())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("action", choices=["save", "check", "compare"])
    ap.add_argument("baseline", type=Path, help="save/check: the baseline file; compare: the base tree")
    ap.add_argument("targets", nargs="*")
    ap.add_argument(
        "--src", type=Path, help="a source tree (with src/tierguard) to run instead of the installed one"
    )
    ap.add_argument("--no-hyperscan", action="store_true", help="scan with the Aho-Corasick prefilter")
    args = ap.parse_args()
    if args.action == "save":
        targets = args.targets or DEFAULT_TARGETS
        data = {t: scan(t, args.src, args.no_hyperscan) for t in targets}
        args.baseline.write_text(json.dumps(data))
        for t, d in data.items():
            print(f"{t}: {len(d['evidence'])} evidence, {len(d['skipped'])} skipped, {d['counters']}")
        return 0
    if args.action == "compare":  # both trees scan the targets now (targets edited meanwhile are no issue)
        targets = args.targets or DEFAULT_TARGETS
        base: dict[str, Any] = {t: scan(t, args.baseline) for t in targets}
    else:
        base = json.loads(args.baseline.read_text())
        targets = args.targets or list(base)
    differences = 0
    for t in targets:
        now = scan(t, args.src, args.no_hyperscan)
        d = _diff("evidence", base[t]["evidence"], now["evidence"])
        d += _diff("skipped", base[t]["skipped"], now["skipped"])
        if now["counters"] != base[t]["counters"]:
            print(f"  counters: {base[t]['counters']} -> {now['counters']}")
            d += 1
        print(
            f"{t}: {len(now['evidence'])} evidence, {len(now['skipped'])} skipped: "
            f"{'identical' if d == 0 else f'{d} differences'}"
        )
        differences += d
    return 1 if differences else 0


if __name__ == "__main__":
    raise SystemExit(main())
