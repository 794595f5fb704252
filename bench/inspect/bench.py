"""Inspection benchmark: tierguard vs picklescan, modelscan and fickling in one run.

    python bench/inspect/bench.py --peers-venv /tmp/peers-venv [--corpus ../shared/corpus/picklescan]
        [--torch-gb 2] [--joblib-gb 1] [--keep]

Generates two large benign checkpoints under a temporary directory (deleted afterwards unless --keep):
a PyTorch zip (data.pkl referencing torch._utils._rebuild_tensor_v2 + many stored tensor members, written
without torch) and a joblib-like pickle with large numpy arrays (raw BINBYTES). Every tool is run once per
file as a child process; wall time and peak RSS (``/usr/bin/time -v``, else getrusage of a wrapper) are
measured. Prints a markdown report (detection table per corpus file + large-file table).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parents[2]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "picklescan"
CHUNK = 8 * 1024 * 1024


# ------------------------------------------------------------------ generators (never need torch)


def torch_data_pkl(n: int, numel: int) -> bytes:
    out = bytearray(b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01(")
    for i in range(n):
        key = f"model.layers.{i}.weight".encode()
        sk = str(i).encode()
        out += b"X" + struct.pack("<I", len(key)) + key
        out += b"ctorch._utils\n_rebuild_tensor_v2\nq\x02("
        out += b"(X\x07\x00\x00\x00storagectorch\nFloatStorage\nq\x03"
        out += b"X" + struct.pack("<I", len(sk)) + sk + b"X\x03\x00\x00\x00cpuJ" + struct.pack("<i", numel)
        out += b"tq\x04QK\x00J" + struct.pack("<i", numel)
        out += b"\x85K\x01\x85\x89ccollections\nOrderedDict\n)Rtq\x05R"
    out += b"u."
    return bytes(out)


def make_torch_zip(path: Path, total_bytes: int, n_tensors: int) -> None:
    per = total_bytes // n_tensors
    zero = b"\x00" * min(per, CHUNK)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as z:
        z.writestr("archive/data.pkl", torch_data_pkl(n_tensors, per // 4))
        z.writestr("archive/byteorder", b"little")
        for i in range(n_tensors):
            with z.open(f"archive/data/{i}", "w", force_zip64=True) as fh:
                left = per
                while left > 0:
                    fh.write(zero[: min(left, len(zero))])
                    left -= len(zero)
        z.writestr("archive/version", b"3\n")


def make_joblib_like(path: Path, total_bytes: int, n_arrays: int) -> None:
    """A protocol-3 pickle of a list of numpy arrays (numpy.core.multiarray._reconstruct + BINBYTES)."""
    per = total_bytes // n_arrays
    zero = b"\x00" * CHUNK
    with path.open("wb") as fh:
        fh.write(b"\x80\x03]q\x00(")
        for _ in range(n_arrays):
            fh.write(b"cnumpy.core.multiarray\n_reconstruct\nq\x01cnumpy\nndarray\nq\x02K\x00\x85C\x01b\x87R(K\x01")
            fh.write(b"J" + struct.pack("<i", per // 4))
            fh.write(b"\x85cnumpy\ndtype\nX\x02\x00\x00\x00f4\x89\x88\x87R")
            fh.write(b"(K\x03X\x01\x00\x00\x00<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89")
            fh.write(b"B" + struct.pack("<I", per))
            left = per
            while left > 0:
                fh.write(zero[: min(left, CHUNK)])
                left -= CHUNK
            fh.write(b"tb")
        fh.write(b"e.")


# ------------------------------------------------------------------ running tools


def timed(cmd: list[str], timeout: int = 3600) -> tuple[int, float, int, str]:
    """(exit code, wall seconds, peak RSS KiB, stdout)."""
    if Path("/usr/bin/time").exists():
        full = ["/usr/bin/time", "-v", *cmd]
    else:
        full = [sys.executable, "-c", _WRAP, *cmd]
    t0 = time.perf_counter()
    try:
        p = subprocess.run(full, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return 124, time.perf_counter() - t0, 0, ""
    wall = time.perf_counter() - t0
    rss = 0
    for line in p.stderr.splitlines():
        if "Maximum resident set size" in line or line.startswith("MAXRSS "):
            rss = int(line.rsplit(" ", 1)[-1])
    return p.returncode, wall, rss, p.stdout


_WRAP = (
    "import resource,subprocess,sys;p=subprocess.run(sys.argv[1:]);"
    "print('MAXRSS', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr);"
    "sys.exit(p.returncode)"
)


def run_tierguard(f: Path, lean: bool = False) -> tuple[str, float, int]:
    if lean:
        cmd = [sys.executable, "-m", "tierguard.inspect", str(f)]
    else:
        cmd = [sys.executable, "-m", "tierguard", "inspect", str(f), "--format", "json"]
    code, wall, rss, out = timed(cmd)
    try:
        doc = json.loads(out)
    except ValueError:
        return f"error({code})", wall, rss
    sev = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
    worst = max((sev[x["severity"]] for x in doc["findings"]), default=-1)
    statuses = {i["status"] for i in doc["inspections"]}
    if worst >= 3:
        return "malicious", wall, rss
    if statuses & {"incomplete", "not-inspected"}:
        return "incomplete", wall, rss
    return "clean", wall, rss


def run_picklescan(venv: Path, f: Path) -> tuple[str, float, int]:
    code, wall, rss, _ = timed([str(venv / "bin" / "picklescan"), "-p", str(f)])
    return {0: "clean", 1: "malicious"}.get(code, f"error({code})"), wall, rss


def run_modelscan(venv: Path, f: Path) -> tuple[str, float, int]:
    with tempfile.TemporaryDirectory() as td:
        rep = Path(td) / "ms.json"
        cmd = [str(venv / "bin" / "modelscan"), "-p", str(f), "-r", "json", "-o", str(rep)]
        code, wall, rss, _ = timed(cmd)
        try:
            doc = json.loads(rep.read_text())
        except (OSError, ValueError):
            return f"error({code})", wall, rss
    if doc.get("issues"):
        return "malicious", wall, rss
    if doc.get("errors") or not doc.get("summary", {}).get("scanned", {}).get("total_scanned"):
        return "error/skipped", wall, rss
    return "clean", wall, rss


def run_fickling(venv: Path, f: Path) -> tuple[str, float, int]:
    with tempfile.TemporaryDirectory() as td:
        rep = Path(td) / "fk.json"
        cmd = [str(venv / "bin" / "fickling"), "--check-safety", "--json-output", str(rep), str(f)]
        code, wall, rss, _ = timed(cmd)
    return {0: "clean", 1: "malicious"}.get(code, f"error({code})"), wall, rss


_ENGINE = {
    "tierguard": (
        "from pathlib import Path; from tierguard.inspect.engine import inspect_target; "
        "from tierguard.targets.open import open_target",
        "inspect_target(open_target(Path(P)))",
    ),
    "picklescan": ("from picklescan.scanner import scan_file_path", "scan_file_path(P)"),
    "modelscan": ("from modelscan.modelscan import ModelScan", "ModelScan().scan(P)"),
    "fickling": ("import fickling", "fickling.is_likely_safe(P)"),
}


def engine_time(python: str, tool: str, f: Path) -> float | None:
    """Seconds spent in the tool's scan call only (imports and interpreter start excluded)."""
    imp, call = _ENGINE[tool]
    code = (
        f"import sys, time\n{imp}\nP = sys.argv[1]\nt = time.perf_counter()\n"
        f"try:\n    {call}\nexcept Exception:\n    pass\nprint(time.perf_counter() - t)"
    )
    try:
        p = subprocess.run([python, "-c", code, str(f)], capture_output=True, text=True, timeout=3600)
        return float(p.stdout.strip().splitlines()[-1])
    except (subprocess.TimeoutExpired, ValueError, IndexError):
        return None


def correct(verdict: str, label: str) -> bool:
    if label == "malicious":
        return verdict == "malicious"
    if label == "safe":
        return verdict != "malicious"
    return verdict != "clean"  # uninspectable: anything but a false "clean"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--peers-venv", type=Path, default=Path("/tmp/peers-venv"))
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--torch-gb", type=float, default=2.0)
    ap.add_argument("--torch-tensors", type=int, default=400)
    ap.add_argument("--joblib-gb", type=float, default=1.0)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--skip-corpus", action="store_true")
    a = ap.parse_args()
    venv = a.peers_venv
    tools = {
        "tierguard": run_tierguard,
        "tierguard (lean)": lambda f: run_tierguard(f, lean=True),
        "picklescan": lambda f: run_picklescan(venv, f),
        "modelscan": lambda f: run_modelscan(venv, f),
        "fickling": lambda f: run_fickling(venv, f),
    }
    lines: list[str] = []
    labels: list[tuple[str, str]] = []
    if (a.corpus / "LABELS.tsv").is_file():
        rows = (a.corpus / "LABELS.tsv").read_text().splitlines()[1:]
        labels = [(r.split("\t")[0], r.split("\t")[1]) for r in rows if r.strip()]
    if not (venv / "bin" / "picklescan").exists():
        print(f"peers venv not found at {venv}; create it with: python -m venv {venv} && "
              f"{venv}/bin/pip install picklescan modelscan fickling typing_extensions", file=sys.stderr)
        return 2
    score = {t: 0 for t in tools}
    corpus_time = {t: 0.0 for t in tools}
    lines.append("| file | label | " + " | ".join(tools) + " |")
    lines.append("|---|---|" + "---|" * len(tools))
    for name, label in [] if a.skip_corpus else labels:
        cells = []
        for t, fn in tools.items():
            v, wall, _ = fn(a.corpus / name)
            corpus_time[t] += wall
            ok = correct(v, label)
            score[t] += ok
            cells.append(f"{v}{'' if ok else ' ✗'}")
        lines.append(f"| {name} | {label} | " + " | ".join(cells) + " |")
        print(lines[-1], flush=True)
    lines.append("| **correct** | | " + " | ".join(f"{score[t]}/{len(labels)}" for t in tools) + " |")
    times = " | ".join(f"{corpus_time[t]:.1f}" for t in tools)
    lines.append(f"| corpus wall time (s, 1 process per file) | | {times} |")
    tmp = Path(tempfile.mkdtemp(prefix="tg-bench-", dir="/tmp"))
    try:
        big = []
        tz = tmp / "big_model.pt"
        make_torch_zip(tz, int(a.torch_gb * 2**30), a.torch_tensors)
        big.append(tz)
        jl = tmp / "big_arrays.joblib"
        make_joblib_like(jl, int(a.joblib_gb * 2**30), 8)
        big.append(jl)
        lines.append("")
        head = "| large file | size | tool | verdict | wall s (process) | scan s (in-process) | peak RSS MB |"
        lines.append(head)
        lines.append("|---|---|---|---|---|---|---|")
        for f in big:
            for t, fn in tools.items():
                v, wall, rss = fn(f)
                base = t.split(" ")[0]
                py = sys.executable if base == "tierguard" else str(venv / "bin" / "python")
                et = engine_time(py, base, f) if t != "tierguard (lean)" else None
                ets = "" if et is None else f"{et:.3f}"
                size = f"{f.stat().st_size / 2**30:.2f} GB"
                lines.append(f"| {f.name} | {size} | {t} | {v} | {wall:.2f} | {ets} | {rss / 1024:.0f} |")
                print(lines[-1], flush=True)
    finally:
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["make_torch_zip", "make_joblib_like", "pickle", "os"]
