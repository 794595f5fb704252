"""One-file process start-up: ``tierguard inspect FILE`` (CLI and lean entry) vs picklescan on the 400-tensor
2 GB PyTorch zip of bench/inspect, many interleaved runs (best and median), shared bytecode cache, one
untimed warm-up per command.

    python bench/records/bench_startup.py --peers-venv /tmp/peers-venv \\
        --tierguard HEAD=/tmp/tg-venv-head --tierguard worktree=/tmp/venv [--runs 21]

Each ``--tierguard LABEL=VENV`` adds that venv's ``tierguard inspect FILE --format json`` and
``python -m tierguard.inspect FILE``. The file is generated sparse under /tmp and deleted at the end.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any


def _generator() -> object:
    """bench/inspect/bench.py, loaded by path (its PyTorch-zip generator only)."""
    path = Path(__file__).resolve().parent.parent / "inspect" / "bench.py"
    spec = importlib.util.spec_from_file_location("tg_bench_inspect", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.make_torch_zip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--peers-venv", type=Path, default=Path("/tmp/peers-venv"))
    ap.add_argument("--tierguard", action="append", default=[], metavar="LABEL=VENV")
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("--tensors", type=int, default=400)
    ap.add_argument("--gb", type=float, default=2.0)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tg-bench-startup-", dir="/tmp"))
    try:
        f = tmp / f"torch_{a.gb:g}gb_{a.tensors}t.pt"
        make_torch_zip: Any = _generator()
        make_torch_zip(f, int(a.gb * 2**30), a.tensors)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
        cmds: dict[str, list[str]] = {
            "picklescan -p FILE": [str(a.peers_venv / "bin" / "picklescan"), "-p", str(f)],
            "bare venv python -c pass": [str(a.peers_venv / "bin" / "python"), "-c", "pass"],
        }
        for spec in a.tierguard:
            label, venv = spec.split("=", 1)
            cmds[f"tierguard {label}: tierguard inspect FILE --format json"] = [
                f"{venv}/bin/tierguard", "inspect", str(f), "--format", "json"
            ]  # fmt: skip
            cmds[f"tierguard {label}: python -m tierguard.inspect FILE"] = [
                f"{venv}/bin/python", "-m", "tierguard.inspect", str(f)
            ]  # fmt: skip
        codes = {k: subprocess.run(c, env=env, capture_output=True).returncode for k, c in cmds.items()}
        times: dict[str, list[float]] = {k: [] for k in cmds}
        names = list(cmds)
        for r in range(a.runs):
            for k in names[r % len(names) :] + names[: r % len(names)]:
                t0 = time.perf_counter()
                subprocess.run(cmds[k], env=env, capture_output=True)
                times[k].append(time.perf_counter() - t0)
        print(f"{a.runs} interleaved runs on {f.name}, {os.cpu_count()} cores\n")
        print("| command | exit | wall s, best | wall s, median |")
        print("|---|---|---|---|")
        for k, v in times.items():
            print(f"| {k} | {codes[k]} | {min(v):.3f} | {statistics.median(v):.3f} |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
