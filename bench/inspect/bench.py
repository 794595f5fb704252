"""Inspection benchmark: tierguard vs picklescan, modelscan and fickling in one run.

    python bench/inspect/bench.py --peers-venv /tmp/peers-venv --tierguard-venv /tmp/tg-venv
        [--corpus ../shared/corpus/picklescan] [--torch 1:2000 --torch 2:400 --torch 4:5000] [--joblib-gb 1]
        [--repeat 3] [--keep]

Generates large benign checkpoints under a temporary directory (deleted afterwards unless --keep):
PyTorch zips (data.pkl referencing torch._utils._rebuild_tensor_v2 + one stored member per tensor, written
without torch) and a joblib-like pickle with large numpy arrays (raw BINBYTES). Every tool runs as a child
process from its own virtual environment's binaries (console script / python, never a shim); wall time and
peak RSS (``/usr/bin/time -v``, else getrusage of a wrapper) are measured per file, an in-process child
times the scan call only, and the tools that take a directory also scan the whole generated set in one
process. Every child runs with the same bytecode cache (``PYTHONPYCACHEPREFIX`` in the run's temporary
directory, one untimed warm-up run per tool first), as after a normal ``pip install``, whatever
``PYTHONDONTWRITEBYTECODE`` the calling shell sets. Prints a markdown report.
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
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parents[2]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "picklescan"
CHUNK = 8 * 1024 * 1024
CHILD_ENV = dict(os.environ)  # set in main(): the shared bytecode cache
TG: dict[str, list[str]] = {  # tierguard's interpreter and CLI; --tierguard-venv replaces them
    "python": [sys.executable],
    "cli": [sys.executable, "-m", "tierguard"],
}


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
        p = subprocess.run(full, capture_output=True, text=True, timeout=timeout, env=CHILD_ENV)
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
        cmd = [*TG["python"], "-m", "tierguard.inspect", str(f)]
    else:
        cmd = [*TG["cli"], "inspect", str(f), "--format", "json"]
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
        "from pathlib import Path; from tierguard.model import Context; "
        "from tierguard.scanner import INSPECT_VIEW, Scanner; "
        # the modules the inspect view imports on first use, imported before the timed call like the peers'
        "import tierguard.targets.open, tierguard.targets.archive, tierguard.inspect.engine, "
        "tierguard.inspect.rules",
        "Scanner().scan(Path(P), Context(), options=INSPECT_VIEW)",
    ),
    "picklescan": ("from picklescan.scanner import scan_file_path", "scan_file_path(P)"),
    "modelscan": ("from modelscan.modelscan import ModelScan", "ModelScan().scan(P)"),
    "fickling": ("import fickling", "fickling.is_likely_safe(P)"),
}


def engine_time(python: str, tool: str, f: Path) -> float | None:
    """Seconds spent in the tool's scan call only (imports and interpreter start excluded); None when the
    call raised (a failed call is no time to race against)."""
    imp, call = _ENGINE[tool]
    code = (
        f"import sys, time\n{imp}\nP = sys.argv[1]\nt = time.perf_counter()\n"
        f"try:\n    {call}\nexcept Exception as e:\n    print('error', repr(e)[:80])\n    sys.exit(3)\n"
        "print(time.perf_counter() - t)"
    )
    try:
        p = subprocess.run(
            [python, "-c", code, str(f)], capture_output=True, text=True, timeout=3600, env=CHILD_ENV
        )
        return float(p.stdout.strip().splitlines()[-1])
    except (subprocess.TimeoutExpired, ValueError, IndexError):
        return None


def _ratio(ours: float, peer: float) -> str:
    return f"{peer / ours:.1f}x" if ours > 0 else "-"


def large_file_tables(
    big: list[Path], tools: dict[str, Callable[[Path], tuple[str, float, int]]], venv: Path, repeat: int
) -> list[str]:
    """Per large file and tool: verdict, best process wall time, best in-process scan-call time, peak RSS;
    then tierguard against the fastest peer (among the peers that gave a verdict) for each measure."""
    lines = ["", "| large file | size | tool | verdict | wall s (process, best) | scan s (in-process, best) "
             "| peak RSS MB |", "|---|---|---|---|---|---|---|"]  # fmt: skip
    summary = ["", "| large file | fastest peer, process s | tierguard process s (x) | lean process s (x) "
               "| fastest peer, scan s | tierguard scan s (x) | lowest peer RSS MB "
               "| tierguard / lean RSS MB |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for f in big:
        size = f"{f.stat().st_size / 2**30:.2f} GB"
        walls: dict[str, float] = {}
        scans: dict[str, float] = {}
        rsss: dict[str, int] = {}
        valid: set[str] = set()  # tools that got these benign files right (an error or a false alarm is no
        # result to race against)
        for t, fn in tools.items():
            runs = 1 if t == "fickling" else repeat
            got = [fn(f) for _ in range(runs)]
            v = got[0][0]
            wall = min(g[1] for g in got)
            rss = max(g[2] for g in got)
            base = t.split(" ")[0]
            et = None
            if t != "tierguard (lean)":
                py = TG["python"][0] if base == "tierguard" else str(venv / "bin" / "python")
                times = [x for x in (engine_time(py, base, f) for _ in range(runs)) if x is not None]
                et = min(times) if times else None
            walls[t] = wall
            rsss[t] = rss
            if v == "clean":
                valid.add(t)
            if et is not None:
                scans[t] = et
            ets = "error" if et is None and t != "tierguard (lean)" else "" if et is None else f"{et:.3f}"
            lines.append(f"| {f.name} | {size} | {t} | {v} | {wall:.2f} | {ets} | {rss / 1024:.0f} |")
            print(lines[-1], flush=True)
        peers = [t for t in tools if not t.startswith("tierguard") and t in valid]
        pw = min(peers, key=lambda t: walls[t])
        ps = min((t for t in peers if t in scans), key=lambda t: scans[t])
        pr = min(peers, key=lambda t: rsss[t])
        tw, lw, ts = walls["tierguard"], walls["tierguard (lean)"], scans["tierguard"]
        tr, lr = rsss["tierguard"] / 1024, rsss["tierguard (lean)"] / 1024
        summary.append(
            f"| {f.name} | {pw} {walls[pw]:.2f} | {tw:.2f} ({_ratio(tw, walls[pw])}) "
            f"| {lw:.2f} ({_ratio(lw, walls[pw])}) | {ps} {scans[ps]:.3f} "
            f"| {ts:.3f} ({_ratio(ts, scans[ps])}) | {pr} {rsss[pr] / 1024:.0f} | {tr:.0f} / {lr:.0f} |"
        )
    return lines + summary


def whole_set_table(folder: Path, venv: Path, repeat: int) -> list[str]:
    """Every generated large file in one process per tool (the tools that take a directory), best of
    ``repeat``; exit code shown (0 = nothing found for every tool here)."""
    cmds = {
        "tierguard": [*TG["cli"], "inspect", str(folder), "--format", "json"],
        "tierguard (lean)": [*TG["python"], "-m", "tierguard.inspect", str(folder)],
        "picklescan": [str(venv / "bin" / "picklescan"), "-p", str(folder)],
        "modelscan": [str(venv / "bin" / "modelscan"), "-p", str(folder)],
    }
    files = sorted(folder.iterdir())
    total = sum(x.stat().st_size for x in files) / 2**30
    names = ", ".join(x.name for x in files)
    lines = ["", f"Whole set in one process ({len(files)} files, {total:.1f} GB: {names}):", "",
             "| tool | command | exit | wall s (best) | peak RSS MB | x fastest peer (wall) |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    res: dict[str, tuple[int, float, int]] = {}
    for t, c in cmds.items():
        runs = [timed(c) for _ in range(repeat)]
        res[t] = (runs[0][0], min(r[1] for r in runs), max(r[2] for r in runs))
    fastest = min(res["picklescan"][1], res["modelscan"][1])
    for t, (code, wall, rss) in res.items():
        shown = " ".join(Path(x).name if i == 0 else x for i, x in enumerate(cmds[t]))
        shown = shown.replace(str(folder), "SET")
        x = _ratio(wall, fastest)
        lines.append(f"| {t} | `{shown}` | {code} | {wall:.2f} | {rss / 1024:.0f} | {x} |")
        print(lines[-1], flush=True)
    return lines


def correct(verdict: str, label: str) -> bool:
    if label == "malicious":
        return verdict == "malicious"
    if label == "safe":
        return verdict != "malicious"
    return verdict != "clean"  # uninspectable: anything but a false "clean"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--peers-venv", type=Path, default=Path("/tmp/peers-venv"))
    ap.add_argument(
        "--tierguard-venv", type=Path, default=None,
        help="run tierguard from this venv's python and console script (default: this interpreter)",
    )  # fmt: skip
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument(
        "--torch", action="append", default=None, metavar="GB:TENSORS",
        help="a generated PyTorch zip (repeatable); default 1:2000, 2:400, 4:5000",
    )  # fmt: skip
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement on large files (best kept)")
    ap.add_argument("--joblib-gb", type=float, default=1.0)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--skip-corpus", action="store_true")
    a = ap.parse_args()
    a.torch = a.torch or ["1:2000", "2:400", "4:5000"]
    venv = a.peers_venv
    if a.tierguard_venv is not None:
        TG["python"] = [str(a.tierguard_venv / "bin" / "python")]
        TG["cli"] = [str(a.tierguard_venv / "bin" / "tierguard")]
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
              f"{venv}/bin/pip install picklescan modelscan fickling typing_extensions py7zr",
              file=sys.stderr)  # fmt: skip
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="tg-bench-", dir="/tmp"))
    CHILD_ENV.pop("PYTHONDONTWRITEBYTECODE", None)
    CHILD_ENV["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    try:
        warm = tmp / "warm.pkl"
        warm.write_bytes(pickle.dumps({"a": [1, 2]}, protocol=2))
        for fn in tools.values():  # untimed: fills the shared bytecode cache for every tool
            fn(warm)
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
        if a.skip_corpus:
            lines = []
        else:
            lines.append("| **correct** | | " + " | ".join(f"{score[t]}/{len(labels)}" for t in tools) + " |")
            times = " | ".join(f"{corpus_time[t]:.1f}" for t in tools)
            lines.append(f"| corpus wall time (s, 1 process per file) | | {times} |")
        folder = tmp / "set"
        folder.mkdir()
        big = []
        for spec in a.torch:
            gb, tensors = (float(x) for x in spec.split(":"))
            tz = folder / f"torch_{gb:g}gb_{int(tensors)}t.pt"
            make_torch_zip(tz, int(gb * 2**30), int(tensors))
            big.append(tz)
        jl = folder / "big_arrays.joblib"
        make_joblib_like(jl, int(a.joblib_gb * 2**30), 8)
        big.append(jl)
        lines += large_file_tables(big, tools, venv, a.repeat)
        lines += whole_set_table(folder, venv, a.repeat)
    finally:
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"kept {tmp}", file=sys.stderr)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["make_torch_zip", "make_joblib_like", "pickle", "os"]
