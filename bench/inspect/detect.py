"""Detection and false alarms side by side (issue 11 item 7): tierguard, picklescan, modelscan, fickling and
modelaudit on four labelled sets, in one run.

    python bench/inspect/detect.py --peers-venv /tmp/peers-venv [--fuzz-cases 2000] [--fuzz-seed S]
        [--corpus ../shared/corpus/picklescan] [--timeout 60] [--json out.json] [--keep]

Sets (written under a temporary directory, deleted afterwards unless --keep):

1. ``corpus``: the shared picklescan corpus, labelled by its LABELS.tsv (malicious / safe / uninspectable);
2. ``hard``: the built hard cases of issue 11, from the test builders (tests/formats/test_zip_views.py,
   tests/inspect/test_gate.py, tests/inspect/test_pickle_streams.py, tests/formats/test_zip_bombs.py,
   tests/formats/test_safetensors.py): malicious, or uninspectable where "not clean" is the right answer;
3. ``fuzz``: N cases of the seeded mutation fuzzer (tests/fuzz, the generator bench/inspect/fuzz.py runs);
   a malicious seed whose protected bytes survived the mutation is labelled malicious, every other case is
   only scored for errors and timeouts;
4. ``benign``: tests/inspect/test_gate.py's benign set (scikit-learn/joblib models when installed, numpy
   object arrays, NLTK-like and torch-like pickles, plain pickles) and the fuzzer's benign seeds (PyTorch
   zip, safetensors, GGUF, plain pickles): a malicious verdict is a false alarm.

Every tool runs through its own command-line entry point (``picklescan -p F``, ``modelscan -p F -r json``,
``fickling --check-safety``, ``modelaudit scan --no-cache -f json``), called in a long-lived worker process
of its own virtual environment (``sys.argv`` set, ``SystemExit`` caught, its output sent to /dev/null), so
that interpreter start-up is paid once per tool and set, not per file; tierguard runs
``Scanner().scan(path, Context(), options=INSPECT_VIEW)`` and its default gate
(``tierguard.inspect.gate.exit_code``: ``--fail-on high``, incomplete fails). A file over ``--timeout``
seconds kills the worker (verdict ``timeout``; a new worker takes the next file). modelaudit runs with
``PROMPTFOO_DISABLE_TELEMETRY=1`` and ``NO_ANALYTICS=1``.

Verdicts: ``malicious`` (the tool's default gate fails on a finding: tierguard a high or critical finding,
picklescan / fickling / modelaudit exit 1, modelscan an issue in its report), ``incomplete`` (tierguard: an
artifact it could not fully inspect, which its gate fails), ``clean``, ``error`` (an error exit or no file
scanned), ``timeout``. Prints a markdown report.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pickle
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "picklescan"
TOOLS = ["tierguard", "picklescan", "modelscan", "fickling", "modelaudit"]
SETS = ["corpus", "hard", "fuzz", "benign"]

# ------------------------------------------------------------------ the worker (runs in each tool's venv)

WORKER = r"""
import json, os, sys, time, tempfile, traceback
tool = sys.argv[1]
out = os.fdopen(os.dup(1), "w", buffering=1)
null = os.open(os.devnull, os.O_WRONLY)
os.dup2(null, 1); os.dup2(null, 2)
tmp = tempfile.mkdtemp(prefix="tg-detect-w-")
rep = os.path.join(tmp, "report.json")
if tool == "tierguard":
    from pathlib import Path
    from tierguard.model import Context
    from tierguard.scanner import INSPECT_VIEW, Scanner
    from tierguard.inspect.gate import exit_code
    SEV = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
elif tool == "picklescan":
    from picklescan.cli import main as entry
elif tool == "modelscan":
    from modelscan.cli import main as entry
elif tool == "fickling":
    from fickling.__main__ import main as entry
elif tool == "modelaudit":
    from modelaudit.cli import main as entry

def cli(argv):
    sys.argv = argv
    try:
        code = entry()
    except SystemExit as e:
        code = e.code
    return 0 if code is None else code if isinstance(code, int) else 2

def one(p):
    if os.path.exists(rep):
        os.remove(rep)
    if tool == "tierguard":
        r = Scanner().scan(Path(p), Context(), options=INSPECT_VIEW)
        worst = max((SEV[f.severity] for f in r.findings), default=-1)
        st = {i.status for i in r.inspections}
        v = "malicious" if worst >= 3 else "incomplete" if st & {"incomplete", "not-inspected"} else "clean"
        return v, exit_code(r), ",".join(sorted({f.rule_id for f in r.findings}))
    if tool == "picklescan":
        c = cli(["picklescan", "-p", p])
        return {0: "clean", 1: "malicious"}.get(c, "error"), c, ""
    if tool == "fickling":
        c = cli(["fickling", "--check-safety", "--json-output", rep, p])
        return {0: "clean", 1: "malicious"}.get(c, "error"), c, ""
    if tool == "modelscan":
        c = cli(["modelscan", "-p", p, "-r", "json", "-o", rep])
        try:
            with open(rep) as fh:
                doc = json.load(fh)
        except (OSError, ValueError):
            return "error", c, "no report"
        if doc.get("issues"):
            return "malicious", c, ""
        if doc.get("errors") or not doc.get("summary", {}).get("scanned", {}).get("total_scanned"):
            return "error", c, "errors or nothing scanned"
        return "clean", c, ""
    c = cli(["modelaudit", "scan", "--no-cache", "-f", "json", "-o", rep, p])
    sev = ""
    try:
        with open(rep) as fh:
            doc = json.load(fh)
        sevs = {i.get("severity") for i in doc.get("issues", [])}
        sev = next((s for s in ("critical", "warning", "info", "debug") if s in sevs), "")
    except (OSError, ValueError):
        pass
    return {0: "clean", 1: "malicious"}.get(c, "error"), c, sev

for line in sys.stdin:
    p = line.rstrip("\n")
    t = time.perf_counter()
    try:
        v, c, d = one(p)
    except BaseException as e:
        v, c, d = "error", -1, "raised " + repr(e)[:120]
    out.write(json.dumps({"verdict": v, "code": c, "detail": d, "seconds": time.perf_counter() - t}) + "\n")
"""


class Worker:
    """One long-lived worker per tool; a file over the timeout kills it and the next file starts a new one."""

    def __init__(self, tool: str, python: str, env: dict[str, str], timeout: float) -> None:
        self.tool, self.python, self.env, self.timeout = tool, python, env, timeout
        self.proc: subprocess.Popen[str] | None = None

    def _start(self) -> subprocess.Popen[str]:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen(
                [self.python, "-c", WORKER, self.tool], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                text=True, env=self.env, cwd=tempfile.gettempdir(),
            )  # fmt: skip
        return self.proc

    def scan(self, path: Path) -> dict[str, Any]:
        p = self._start()
        assert p.stdin is not None and p.stdout is not None
        t = time.perf_counter()
        try:
            p.stdin.write(f"{path}\n")
            p.stdin.flush()
        except BrokenPipeError:
            self.close()
            return {"verdict": "error", "code": -1, "detail": "worker died", "seconds": 0.0}
        ready, _, _ = select.select([p.stdout], [], [], self.timeout)
        line = p.stdout.readline() if ready else ""
        if not line:
            self.close()
            took = time.perf_counter() - t
            what = "timeout" if not ready else "error"
            return {"verdict": what, "code": -1, "detail": f"{what} after {took:.0f} s", "seconds": took}
        got: dict[str, Any] = json.loads(line)
        return got

    def close(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


# ------------------------------------------------------------------ the sets


@dataclass
class Item:
    set: str
    name: str  # relative to the set's folder
    label: str  # malicious / safe / uninspectable / unscored
    origin: str  # builder or mutation, for the reading


def _write(folder: Path, name: str, data: bytes) -> Path:
    p = folder / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p


def corpus_set(corpus: Path) -> list[tuple[Item, Path]]:
    rows = (corpus / "LABELS.tsv").read_text().splitlines()[1:]
    out = []
    for r in rows:
        if r.strip():
            name, label, *_ = r.split("\t")
            out.append((Item("corpus", name, label, "shared corpus"), corpus / name))
    return out


def hard_set(folder: Path) -> list[tuple[Item, Path]]:  # size: one list of every hard case, by source
    from tests.formats import test_safetensors as ST
    from tests.formats import test_zip_bombs as ZB
    from tests.formats import test_zip_views as ZV
    from tests.inspect import test_gate as G
    from tests.inspect.inspect_builders import make_zip, stack_global, text_global

    cases: list[tuple[str, str, bytes, str]] = []  # name, label, bytes, origin
    evil = ZV.EVIL
    for deflate in (False, True):
        dz = "deflated" if deflate else "stored"
        torch = make_zip({"archive/data.pkl": evil, "archive/version": b"3\n"}, deflate=deflate)
        generic = make_zip({"readme.txt": b"hello", "x.pkl": evil}, deflate=deflate)
        for case in ZV.CASES:
            cases.append((f"zip/{case}-{dz}/m.pt", "malicious", ZV._tamper(torch, case), f"torch zip {case}"))
            cases.append((f"zip/{case}-{dz}/g.zip", "malicious", ZV._tamper(generic, case), f"zip {case}"))
    three = make_zip({"a.txt": b"fine", "x.pkl": evil, "b.txt": b"ok"})
    cases.append(("zip/local-only/g.zip", "malicious", ZV._drop_cd_entry(three, b"x.pkl"), "zip local-only"))
    torch = make_zip({"archive/version": b"3\n", "archive/data.pkl": evil})
    cases.append(("zip/local-only/m.pt", "malicious", ZV._drop_cd_entry(torch, b"archive/data.pkl"),
                  "torch zip local-only"))  # fmt: skip
    benign65 = b"".join(pickle.dumps([i, "x"], protocol=2) for i in range(65))
    cases.append(("streams/stack65.pkl", "malicious", benign65 + stack_global("os", "system"), "stack 65"))
    cases.append(("streams/stack1000.pkl", "malicious",
                  pickle.dumps({"a": 1}, protocol=4) * 1000 + text_global("subprocess", "check_output"),
                  "stack 1000"))  # fmt: skip
    for module, name, _reach in G.ISSUE_PAYLOADS:
        for form, build in (("sg", stack_global), ("g", text_global)):
            cases.append((f"gate/{module}.{name}.{form}.pkl", "malicious", build(module, name),
                          f"advisory {module}.{name}"))  # fmt: skip
    for module, name in G.KNOWN_GADGETS:
        cases.append((f"gate/known.{module}.{name}.pkl", "malicious", stack_global(module, name),
                      f"gadget {module}.{name}"))  # fmt: skip
    cases.append(("gate/outside-allowlist.pkl", "malicious", stack_global("mypkg.models", "Thing"),
                  "import outside the allowlist"))  # fmt: skip
    good = ST.good()
    cases.append(("safetensors/len-beyond.safetensors", "uninspectable",
                  struct.pack("<Q", len(good)) + good[8:], "safetensors header length > file"))  # fmt: skip
    for get, gname in ((b"h\x07", "BINGET"), (b"j\x07\x00\x00\x00", "LONG_BINGET"), (b"g7\n", "GET")):
        cases.append((f"streams/memo-{gname}.pkl", "uninspectable", b"\x80\x02]" + get + b"a.",
                      f"broken memo {gname}"))  # fmt: skip
    cases.append(("streams/empty.pkl", "uninspectable", b"", "empty .pkl"))
    cases.append(("streams/unknown-op.pkl", "uninspectable", b"\x80\x02]\xff.", "unknown opcode"))
    cases.append(("streams/truncated.pkl", "uninspectable", pickle.dumps(list(range(50)), protocol=2)[:-3],
                  "truncated"))  # fmt: skip
    for key, (name, build) in ZB.BOMBS.items():
        cases.append((f"bombs/{key}/{name}", "uninspectable", build(), f"bomb {key}"))
    out = []
    for name, label, data, origin in cases:
        out.append((Item("hard", name, label, origin), _write(folder, name, data)))
    return out


def fuzz_set(folder: Path, corpus: Path, n: int, seed: str, bomb_mib: int) -> list[tuple[Item, Path]]:
    from tests.fuzz import harness as H
    from tests.fuzz.seeds import all_seeds

    seeds = all_seeds(corpus if (corpus / "LABELS.tsv").is_file() else None)
    out = []
    for i in range(n):
        c = H.make_case(seed, i, seeds, bomb_mib * 1024 * 1024)
        label = "malicious" if c.seed.malicious and c.mutant.intact else "unscored"
        name = f"c{i:05d}/{c.mutant.name or c.seed.name}"
        origin = f"{c.seed.name} {c.mutant.kind}: {c.mutant.detail}"[:200]
        out.append((Item("fuzz", name, label, origin), _write(folder, name, c.mutant.data)))
    return out


def benign_set(folder: Path) -> list[tuple[Item, Path]]:
    import pytest

    from tests.fuzz.seeds import built_seeds
    from tests.inspect import test_gate as G

    files: dict[str, bytes] = {}
    with contextlib.suppress(pytest.skip.Exception):
        files.update(G._sklearn_set())
    mp = pytest.MonkeyPatch()
    try:
        fake = G._FakeModules(mp)
        files.update({**G._plain(), **G._nltk_like(fake), **G._torch_like(fake)})
        with contextlib.suppress(pytest.skip.Exception):
            files.update(G._numpy_set())
    finally:
        mp.undo()
    for s in built_seeds():
        if not s.malicious:
            files[f"seeds/{s.name}"] = s.data
    return [(Item("benign", n, "safe", n.split("/")[0]), _write(folder, n, d)) for n, d in files.items()]


# ------------------------------------------------------------------ scoring and the report


def score(items: list[Item], got: dict[str, list[dict[str, Any]]]) -> dict[str, Counter[str]]:
    """Per tool: detected (malicious verdict) and blocked (anything but clean) of the malicious files,
    not-clean of the uninspectable ones, false clean, false alarms on safe files, errors, timeouts."""
    out: dict[str, Counter[str]] = {}
    for tool, res in got.items():
        c: Counter[str] = Counter()
        for it, r in zip(items, res, strict=True):
            v = r["verdict"]
            c[f"n {it.label}"] += 1
            c["errors"] += v == "error"
            c["timeouts"] += v == "timeout"
            c["seconds"] += r["seconds"]  # type: ignore[assignment]
            if it.label == "malicious":
                c["detected"] += v == "malicious"
                c["blocked"] += v != "clean"
            if it.label == "uninspectable":
                c["not clean"] += v != "clean"
            if it.label in ("malicious", "uninspectable"):
                c["false clean"] += v == "clean"
            if it.label == "safe":
                c["false alarms"] += v == "malicious"
        out[tool] = c
    return out


def table(set_name: str, sc: dict[str, Counter[str]], wall: dict[str, float]) -> list[str]:
    head = ("| tool | detected (malicious verdict) | gate fails on malicious (not clean) | uninspectable "
            "not clean | false clean | false alarms (malicious verdict on a safe file) | errors | timeouts "
            "| wall s |")  # fmt: skip
    lines = [head, "|---|---|---|---|---|---|---|---|---|"]
    for tool, c in sc.items():
        nm, nu, ns = c["n malicious"], c["n uninspectable"], c["n safe"]
        lines.append(
            f"| {tool} | {c['detected']}/{nm} | {c['blocked']}/{nm} | {c['not clean']}/{nu} "
            f"| {c['false clean']} | {c['false alarms']}/{ns} | {c['errors']} | {c['timeouts']} "
            f"| {wall[tool]:.1f} |"
        )
    return [f"### {set_name}", "", *lines, ""]


def misses(items: list[Item], got: dict[str, list[dict[str, Any]]], limit: int = 80) -> list[str]:
    """Every scored file where some tool is wrong: the per-file grid of the reading."""
    lines = ["| set | file | label | " + " | ".join(got) + " |", "|---|---|---|" + "---|" * len(got)]
    for k, it in enumerate(items):
        vs = [got[t][k]["verdict"] for t in got]
        tg = vs[0]
        wrong = (
            (it.label == "malicious" and any(v == "malicious" for v in vs) and tg != "malicious")
            or (it.label in ("malicious", "uninspectable") and any(v == "clean" for v in vs))
            or (it.label == "safe" and any(v == "malicious" for v in vs))
        )
        if wrong:
            lines.append(f"| {it.set} | {it.name} | {it.label} | " + " | ".join(vs) + " |")
    if len(lines) > limit + 2:
        lines[limit + 2 :] = [f"| ... {len(lines) - limit - 2} more rows (--json has every verdict) | |"]
    return lines


def _critical_only(r: dict[str, Any]) -> dict[str, Any]:
    """modelaudit judged on its critical issues only (its exit code also fails on warnings)."""
    v = r["verdict"]
    if v in ("clean", "malicious"):
        v = "malicious" if r["detail"] == "critical" else "clean"
    return {**r, "verdict": v}


def run_tools(
    pairs: list[tuple[Item, Path]], workers: dict[str, Worker], progress: Callable[[str], None]
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, float]]:
    got: dict[str, list[dict[str, Any]]] = {}
    wall: dict[str, float] = {}
    for tool, w in workers.items():
        t = time.perf_counter()
        got[tool] = [w.scan(p) for _, p in pairs]
        wall[tool] = time.perf_counter() - t
        w.close()
        progress(f"  {tool}: {wall[tool]:.1f} s")
    return got, wall


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--peers-venv", type=Path, default=Path("/tmp/peers-venv"))
    ap.add_argument("--tierguard-python", default=sys.executable)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--fuzz-cases", type=int, default=2000)
    ap.add_argument("--fuzz-seed", default="detect-20261202")
    ap.add_argument("--bomb-mib", type=int, default=64, help="size of the fuzzer's bombs (MiB)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per file and tool")
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--json", type=Path, help="write every verdict here")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    env.update(PROMPTFOO_DISABLE_TELEMETRY="1", NO_ANALYTICS="1", TQDM_DISABLE="1", NO_COLOR="1")
    peer_py = str(a.peers_venv / "bin" / "python")
    tools = a.tools.split(",")
    tmp = Path(tempfile.mkdtemp(prefix="tg-detect-", dir="/tmp"))
    env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    env["HOME"] = str(tmp / "home")  # the peers' caches and config stay in the run's directory
    (tmp / "home").mkdir()
    report: list[str] = []
    dump: list[dict[str, Any]] = []

    def say(s: str) -> None:
        print(s, file=sys.stderr, flush=True)

    try:
        for set_name in a.sets.split(","):
            folder = tmp / set_name
            t = time.perf_counter()
            pairs = _build(set_name, folder, a)
            say(f"{set_name}: {len(pairs)} files built in {time.perf_counter() - t:.1f} s")
            workers = {
                tl: Worker(tl, a.tierguard_python if tl == "tierguard" else peer_py, env, a.timeout)
                for tl in tools
            }
            got, wall = run_tools(pairs, workers, say)
            if "modelaudit" in got:  # not its default gate: how much of its alarm rate is warnings
                got["modelaudit (critical only)"] = [_critical_only(r) for r in got["modelaudit"]]
                wall["modelaudit (critical only)"] = wall["modelaudit"]
            items = [it for it, _ in pairs]
            labels = Counter(it.label for it in items)
            report += table(f"{set_name} ({len(items)} files: {dict(labels)})", score(items, got), wall)
            report += [f"Files where a tool is wrong ({set_name}):", "", *misses(items, got), ""]
            for k, it in enumerate(items):
                dump.append({**asdict(it), **{t: got[t][k] for t in got}})
    finally:
        if a.keep:
            say(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if a.json:
        a.json.write_text(json.dumps(dump, indent=1))
    print("\n".join(report))
    return 0


def _build(set_name: str, folder: Path, a: argparse.Namespace) -> list[tuple[Item, Path]]:
    folder.mkdir(parents=True, exist_ok=True)
    if set_name == "corpus":
        return corpus_set(a.corpus)
    if set_name == "hard":
        return hard_set(folder)
    if set_name == "fuzz":
        return fuzz_set(folder, a.corpus, a.fuzz_cases, a.fuzz_seed, a.bomb_mib)
    if set_name == "benign":
        return benign_set(folder)
    raise SystemExit(f"unknown set {set_name!r}; sets: {', '.join(SETS)}")


if __name__ == "__main__":
    sys.exit(main())
