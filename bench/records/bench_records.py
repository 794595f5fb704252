"""Record-library benchmark: the result model's shapes in pydantic v2 (eager / defer_build), msgspec and
stdlib dataclasses, each measured in fresh processes.

    python bench/records/bench_records.py [--runs 9] [--evidence 10000] [--assets 2000]

The shapes are copies of src/tierguard/model.py (rec_pydantic.py, rec_msgspec.py, rec_dataclasses.py).
Every measurement runs in a new child process of the running interpreter; rounds are interleaved (every
variant once per round, the order rotated each round) after one untimed warm-up per variant, with a shared
bytecode cache (``PYTHONPYCACHEPREFIX``; ``PYTHONDONTWRITEBYTECODE`` removed) so each library starts as
after a normal install. Two children per variant and round:

- ``import``: only imports the variant module (library + class definitions) and exits; the parent times
  the whole process (wall), the child reports its import time and peak RSS;
- ``full``: import, then "first use" (build and JSON-encode a one-record ScanResult: what a one-file
  ``tierguard inspect`` pays on top of the import, including pydantic's deferred schema builds), then a
  ScanResult of N evidence / M assets (each asset holds N/M of the evidence, plus findings, inspections,
  decisions with rule matches and citations, skipped, rules), encoded to JSON bytes, decoded and validated
  back (checked equal to the original), peak RSS.

Before timing, one child per variant dumps the big result; the JSON documents are checked equal across
variants (same shapes, same field names and values), and each variant is probed for frozen records and
rejection of unknown fields, bad literals and out-of-range values on decode.

The ``tierguard.model`` row imports the real module of whichever tierguard the interpreter finds (import only,
for reference): run with ``PYTHONPATH=<tree>/src`` or ``--python <venv>/bin/python`` to pick a tree.
"""

from __future__ import annotations

import os
import sys
import time

MYPY = False
if MYPY:  # the child path imports nothing beyond os/sys/time before it starts timing
    import argparse
    from typing import Any

VARIANTS: dict[str, tuple[str, dict[str, str]]] = {
    "none (interpreter only)": ("", {}),
    "library only: pydantic.main": ("pydantic.main", {}),
    "library only: msgspec": ("msgspec", {}),
    "library only: dataclasses + json": ("rec_stdlib_only", {}),
    "pydantic v2, eager": ("rec_pydantic", {"TG_BENCH_DEFER": "0"}),
    "pydantic v2, defer_build": ("rec_pydantic", {"TG_BENCH_DEFER": "1"}),
    "msgspec Struct": ("rec_msgspec", {}),
    "dataclasses (slots)": ("rec_dataclasses", {}),
    "tierguard.model (installed tree)": ("tierguard.model", {}),
}
FULL = ("pydantic v2, eager", "pydantic v2, defer_build", "msgspec Struct", "dataclasses (slots)")


# ---------------------------------------------------------------- child side


def _rss_mb() -> float:
    """Peak RSS of this process image (VmHWM; ru_maxrss would include the parent's peak before exec)."""
    with open("/proc/self/status", "rb") as f:
        for line in f:
            if line.startswith(b"VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def build(m: Any, n_ev: int, n_as: int) -> Any:
    """A deterministic ScanResult with ``n_ev`` evidence and ``n_as`` assets, keyword construction only."""
    strengths = ("A", "B", "C")
    evidence = tuple(
        m.Evidence(
            detector="python-imports" if i % 3 else "endpoint-literal",
            kind="sdk-import" if i % 3 else "endpoint",
            value=f"api.provider{i % 97}.example/v1/chat",
            strength=strengths[i % 3],
            location=m.Location(path=f"src/pkg{i % 50}/module_{i}.py", line=i % 400 + 1, column=5),
            excerpt=f"client = OpenAI(base_url='https://api.provider{i % 97}.example/v1')",
            refs={"producer": f"producer{i % 40}", "endpoint": f"ep{i % 97}"},
        )
        for i in range(n_ev)
    )
    per = max(1, n_ev // max(1, n_as))
    assets = []
    for j in range(n_as):
        producer = m.ProducerRef(id=f"producer{j % 40}", name=f"Producer {j % 40}", jurisdiction="CN")
        lineage: tuple[Any, ...] = ()
        if j % 4 == 0:
            base = m.ProducerRef(id="meta", name="Meta", jurisdiction="US", role="base-producer")
            lineage = (
                m.LineageEdge(relation="distill", base="meta-llama/Llama-3.3-70B", base_producer=base),
            )
        prov = m.Provenance(
            producers=(producer,),
            service_jurisdiction="CN" if j % 2 else None,
            lineage=lineage,
            methods=(m.IdentMethod(technique="source-code-analysis", confidence=0.9, value="host literal"),),
        )
        assets.append(
            m.Asset(
                kind="ai-service" if j % 2 else "ai-model",
                name=f"provider{j % 97}/model-{j}",
                use_mode="hosted-api" if j % 2 else "self-hosted",
                provenance=prov,
                evidence=evidence[j * per : (j + 1) * per],
            )
        )
    loc = m.Location(path="models/model.pt", member="archive/data.pkl")
    findings = tuple(
        m.Finding(
            rule_id="TG-PKL-001",
            severity="critical",
            message=f"pickle imports os.system ({k})",
            location=loc,
            attributes={"subject": f"os.system#{k}"},
        )
        for k in range(max(1, n_as // 4))
    )
    inspections = tuple(
        m.Inspection(
            location=m.Location(path=f"models/m{k}.pt"), format="pytorch-zip", status="clean", bytes_read=4096
        )
        for k in range(max(1, n_as // 4))
    )
    cit = m.Citation(instrument="Example Act 2025", date="2025-03-01", url="https://example.org/act")
    waiver = m.Waiver(id="w1", justification="pilot", owner="sec", approval="CAB-1", expires="2027-01-01")
    decisions = tuple(
        m.Decision(
            asset_id=a.id,
            verdict="deny",
            matches=(
                m.RuleMatch(
                    pack="uk-gov",
                    pack_version="1.0",
                    rule_id="R1",
                    verdict="deny",
                    severity="high",
                    reason="PRC-origin hosted API",
                    citation=cit,
                ),
            ),
            waived_by=waiver if k % 10 == 0 else None,
        )
        for k, a in enumerate(assets)
    )
    return m.ScanResult(
        tool_version="0.0.0",
        catalog_version="2026.11",
        packs=tuple(m.PackRef(id=f"pack{k}", version="1.0") for k in range(6)),
        target="/srv/estate",
        context=m.Context(country="GB", sector="government"),
        started="2026-11-24T10:00:00Z",
        finished="2026-11-24T10:00:02Z",
        evidence=evidence,
        assets=tuple(assets),
        findings=findings,
        inspections=inspections,
        decisions=decisions,
        skipped=tuple(
            m.Skipped(path=f"vendor/x{k}.min.js", reason="minified") for k in range(max(1, n_as // 10))
        ),
        rules=tuple(m.RuleInfo(id=f"R{k}", name=f"rule {k}", short="s", citations=(cit,)) for k in range(30)),
        notes=("note",),
        stats={"files": n_ev * 4, "evidence": n_ev},
    )


def _probe(m: Any, doc: bytes) -> dict[str, str]:
    """Frozen records; unknown field / bad literal / out-of-range value rejected on decode."""
    import json

    out: dict[str, str] = {}
    ev = m.Evidence(detector="d", kind="k", value="v", strength="A", location=m.Location(path="p"))
    try:
        ev.value = "x"
        out["frozen"] = "no"
    except Exception:  # noqa: BLE001 - pydantic ValidationError, AttributeError, FrozenInstanceError
        out["frozen"] = "yes"
    base = json.loads(doc)

    def rejects(mutate: Any) -> str:
        d = json.loads(json.dumps(base))
        mutate(d)
        try:
            m.decode(json.dumps(d).encode())
        except Exception:  # noqa: BLE001 - each library's own validation error
            return "rejected"
        return "ACCEPTED"

    out["unknown field"] = rejects(lambda d: d["assets"][0]["provenance"].__setitem__("surprise", 1))
    out["bad literal"] = rejects(lambda d: d["evidence"][0].__setitem__("strength", "Z"))
    out["confidence 1.5"] = rejects(
        lambda d: d["assets"][0]["provenance"]["methods"][0].__setitem__("confidence", 1.5)
    )
    out["line as str"] = rejects(lambda d: d["evidence"][0]["location"].__setitem__("line", "7"))
    return out


def child(argv: list[str]) -> None:
    mode, module = argv[0], argv[1]
    t0 = time.perf_counter()
    m = __import__(module, fromlist=["_"]) if module else None
    t_import = time.perf_counter() - t0
    res: dict[str, Any] = {"import_s": t_import, "rss_import_mb": _rss_mb()}
    if mode in ("full", "dump") and m is not None:
        n_ev, n_as = int(argv[2]), int(argv[3])
        t0 = time.perf_counter()
        small = m.encode(build(m, 1, 1))
        res["first_use_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        big = build(m, n_ev, n_as)
        res["build_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        doc = m.encode(big)
        res["encode_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        back = m.decode(doc)
        res["decode_s"] = time.perf_counter() - t0
        res["rss_peak_mb"] = _rss_mb()
        res["json_mb"] = len(doc) / 1e6
        if back != big or m.encode(back) != doc or not small:
            raise SystemExit(f"{module}: decoded result differs from the original")
        if mode == "dump":
            with open(argv[4], "wb") as f:
                f.write(doc)
            for k, v in _probe(m, doc).items():
                res[f"probe:{k}"] = v
    print("RESULT\t" + "\t".join(f"{k}={v}" for k, v in res.items()))


# ---------------------------------------------------------------- parent side


def run_child(python: str, env: dict[str, str], args: list[str]) -> tuple[float, dict[str, str]]:
    import subprocess

    t0 = time.perf_counter()
    p = subprocess.run(
        [python, os.path.abspath(__file__), "--child", *args], env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"child {args} failed ({p.returncode}):\n{p.stderr[-3000:]}")
    line = next(x for x in p.stdout.splitlines() if x.startswith("RESULT\t"))
    return wall, dict(kv.split("=", 1) for kv in line.split("\t")[1:])


def main() -> None:
    import shutil
    import tempfile

    tmp = tempfile.mkdtemp(prefix="tg-bench-records-")
    try:
        _main(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _main(tmp: str) -> None:
    import argparse
    import json

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=9, help="interleaved rounds (best and median reported)")
    ap.add_argument("--evidence", type=int, default=10_000)
    ap.add_argument("--assets", type=int, default=2_000)
    ap.add_argument("--python", default=sys.executable, help="interpreter for the children")
    a = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = os.path.join(tmp, "pycache")
    envs = {name: {**env, **extra} for name, (_, extra) in VARIANTS.items()}
    sizes = [str(a.evidence), str(a.assets)]

    # shapes and behaviour check (also the warm-up of the full path)
    docs: dict[str, Any] = {}
    probes: dict[str, dict[str, str]] = {}
    for name in FULL:
        out = os.path.join(tmp, f"{len(docs)}.json")
        _, r = run_child(a.python, envs[name], ["dump", VARIANTS[name][0], *sizes, out])
        with open(out, "rb") as f:
            docs[name] = json.load(f)
        os.unlink(out)
        probes[name] = {k[6:]: v for k, v in r.items() if k.startswith("probe:")}
    ref = docs[FULL[0]]
    for name, d in docs.items():
        if d != ref:
            raise SystemExit(f"JSON of {name} differs from {FULL[0]}")
    print(f"same JSON document from every variant ({len(json.dumps(ref)) / 1e6:.1f} MB)")

    for name, (module, _) in VARIANTS.items():  # warm-up of the import path
        run_child(a.python, envs[name], ["import", module])

    samples: dict[str, dict[str, list[float]]] = {n: {} for n in VARIANTS}
    names = list(VARIANTS)
    for rnd in range(a.runs):
        order = names[rnd % len(names) :] + names[: rnd % len(names)]
        for name in order:
            module = VARIANTS[name][0]
            wall, r = run_child(a.python, envs[name], ["import", module])
            s = samples[name]
            s.setdefault("process_s", []).append(wall)
            s.setdefault("import_s", []).append(float(r["import_s"]))
            s.setdefault("rss_import_mb", []).append(float(r["rss_import_mb"]))
            if name in FULL:
                wall, r = run_child(a.python, envs[name], ["full", module, *sizes])
                for k in ("first_use_s", "build_s", "encode_s", "decode_s", "rss_peak_mb", "json_mb"):
                    s.setdefault(k, []).append(float(r[k]))
                s.setdefault("full_process_s", []).append(wall)
        print(f"round {rnd + 1}/{a.runs} done", file=sys.stderr)
    report(a, samples, probes)


def _fmt(vals: list[float] | None, ms: bool = True) -> str:
    import statistics

    if not vals:
        return ""
    b = min(vals)
    med = statistics.median(vals)
    if ms:
        return f"{b * 1000:.0f} / {med * 1000:.0f}"
    return f"{b:.0f} / {med:.0f}"


def report(a: argparse.Namespace, samples: dict[str, dict[str, list[float]]], probes: dict[str, Any]) -> None:
    import importlib.metadata as md
    import platform
    import statistics

    vers = []
    for dist in ("pydantic", "pydantic_core", "msgspec"):
        try:
            vers.append(f"{dist} {md.version(dist)}")
        except md.PackageNotFoundError:
            vers.append(f"{dist} missing")
    print(
        f"\nPython {platform.python_version()}, {', '.join(vers)}, {os.cpu_count()} cores, {a.runs} rounds; "
        f"ScanResult of {a.evidence:,} evidence / {a.assets:,} assets; cells are best / median\n"
    )
    print("| variant | process s (import only), ms | import + classes, ms | RSS after import, MB |")
    print("|---|---|---|---|")
    for name in VARIANTS:
        s = samples[name]
        print(
            f"| {name} | {_fmt(s['process_s'])} | {_fmt(s['import_s'])} | "
            f"{_fmt(s['rss_import_mb'], ms=False)} |"
        )
    print(
        "\n| variant | first use (1-record result + JSON), ms | build, ms | encode, ms "
        "| decode + validate, ms | whole process, ms | peak RSS, MB | JSON MB |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name in FULL:
        s = samples[name]
        print(
            f"| {name} | {_fmt(s['first_use_s'])} | {_fmt(s['build_s'])} | {_fmt(s['encode_s'])} | "
            f"{_fmt(s['decode_s'])} | {_fmt(s['full_process_s'])} | {_fmt(s['rss_peak_mb'], ms=False)} | "
            f"{statistics.median(s['json_mb']):.1f} |"
        )
    keys = list(next(iter(probes.values())))
    print("\n| variant | " + " | ".join(keys) + " |")
    print("|---|" + "---|" * len(keys))
    for name, p in probes.items():
        print(f"| {name} | " + " | ".join(p[k] for k in keys) + " |")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        main()
