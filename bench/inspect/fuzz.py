"""The inspect stage's seeded mutation fuzzer, big runs (the CI-sized run is tests/fuzz/test_fuzz_ci.py).

    python bench/inspect/fuzz.py --cases 50000 --seed 20261202 [--workers 2] [--bomb-mib 256] [--json F]
    python bench/inspect/fuzz.py --seed 20261202 --case 1234 [--write case.bin]     # replay one case

Seeds, mutations and the oracle: tests/fuzz (seeds.py defines "malicious bytes intact"). Every case runs
``Scanner().scan(path, Context(), options=INSPECT_VIEW)`` in a worker process; a case over 60 s is stopped
(SIGALRM) and counted as a timeout. Prints a markdown table of counts by mutation kind and every failing
case with the command that replays it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.fuzz import harness as H  # noqa: E402
from tests.fuzz.seeds import CORPUS, Seed, all_seeds  # noqa: E402

HARD_LIMIT = 60
_SEEDS: list[Seed] = []
_ARGS: dict[str, Any] = {}


class _HardTimeout(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _HardTimeout(f"stopped after {HARD_LIMIT} s")


def _init(corpus: str | None, run_seed: str, bomb_size: int) -> None:
    _SEEDS.extend(all_seeds(Path(corpus) if corpus else None))
    _ARGS.update(run_seed=run_seed, bomb_size=bomb_size)
    signal.signal(signal.SIGALRM, _alarm)


def _work(indices: Sequence[int]) -> list[H.Outcome]:
    out = []
    with tempfile.TemporaryDirectory(prefix="tg-fuzz-") as tmp:
        for i in indices:
            case = H.make_case(_ARGS["run_seed"], i, _SEEDS, _ARGS["bomb_size"])
            signal.alarm(HARD_LIMIT)
            try:
                o = H.run_case(case, Path(tmp))
            except _HardTimeout as exc:
                m, s = case.mutant, case.seed
                o = H.Outcome(i, s.name, s.kind, m.kind, m.detail, m.intact, s.malicious, float(HARD_LIMIT),
                              crash=str(exc))  # fmt: skip
            finally:
                signal.alarm(0)
            out.append(o)
    return out


def _failing(o: H.Outcome) -> bool:
    return bool(o.crash or o.errors or o.timeout or o.false_clean or o.gate_pass)


def replay(args: argparse.Namespace) -> int:
    from tierguard.model import Context
    from tierguard.scanner import INSPECT_VIEW, Scanner

    seeds = all_seeds(None if args.no_corpus else Path(args.corpus))
    case = H.make_case(args.seed, args.case, seeds, args.bomb_mib * H.M.MiB)
    print(f"case {args.case} of seed {args.seed}: {case.label}; intact={case.mutant.intact}")
    print(f"protected ranges of the seed: {case.seed.protected}; malicious={case.seed.malicious}")
    with tempfile.TemporaryDirectory(prefix="tg-fuzz-") as tmp:
        path = Path(tmp) / (case.mutant.name or case.seed.name)
        path.write_bytes(case.mutant.data)
        if args.write:
            Path(args.write).write_bytes(case.mutant.data)
        result = Scanner().scan(path, Context(), options=INSPECT_VIEW)
    for ins in result.inspections:
        print(f"  {ins.status:14} {ins.location.path}!{ins.location.member or ''} {ins.reason[:160]}")
    for f in result.findings:
        print(f"  {f.rule_id} {f.severity}: {f.message[:140]}")
    o = H.run_case(case, Path(tempfile.mkdtemp(prefix="tg-fuzz-")))
    print(o.replay(args.seed))
    return 1 if _failing(o) else 0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=50_000)
    ap.add_argument("--seed", default="20261202")
    ap.add_argument("--start", type=int, default=0, help="first case index")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--bomb-mib", type=int, default=256, help="bomb size (MiB of zeros or opcodes)")
    ap.add_argument("--corpus", default=str(CORPUS))
    ap.add_argument("--no-corpus", action="store_true")
    ap.add_argument("--case", type=int, help="replay one case and show its result")
    ap.add_argument("--write", help="with --case: also write the mutated file here")
    ap.add_argument("--json", help="write every outcome here")
    args = ap.parse_args(argv)
    if args.case is not None:
        return replay(args)
    corpus = None if args.no_corpus or not (Path(args.corpus) / "LABELS.tsv").is_file() else args.corpus
    n_seeds = len(all_seeds(Path(corpus) if corpus else None))
    chunks = [list(range(i, min(i + 200, args.start + args.cases))) for i in range(args.start, args.start +
              args.cases, 200)]  # fmt: skip
    t = time.perf_counter()
    outcomes: list[H.Outcome] = []
    with ProcessPoolExecutor(args.workers, initializer=_init,
                             initargs=(corpus, args.seed, args.bomb_mib * H.M.MiB)) as pool:  # fmt: skip
        for got in pool.map(_work, chunks):
            outcomes.extend(got)
    wall = time.perf_counter() - t
    print(f"{len(outcomes)} cases, run seed {args.seed}, {n_seeds} seeds (corpus: {corpus or 'absent'}), "
          f"bombs {args.bomb_mib} MiB, {args.workers} workers, {wall:.0f} s wall; slowest case "
          f"{max(o.seconds for o in outcomes):.2f} s\n")  # fmt: skip
    print(H.table(outcomes))
    bad = [o for o in outcomes if _failing(o)]
    for o in bad[:200]:
        print(o.replay(args.seed))
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(o) for o in outcomes]))
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
