"""Benchmark: evaluate 100,000 assets against every shipped pack in several contexts.

Run: python bench/policy/bench_evaluate.py [N]
"""

from __future__ import annotations

import random
import sys
import time

from tierguard.model import Asset, Evidence, Finding, LineageEdge, Location, ProducerRef, Provenance
from tierguard.policy.context import BUILTIN_PROFILES, build_context
from tierguard.policy.engine import evaluate
from tierguard.policy.packs import load_packs

PRODUCERS = [
    ("deepseek", "CN"),
    ("alibaba", "CN"),
    ("zhipu", "CN"),
    ("moonshot", "CN"),
    ("openai", "US"),
    ("anthropic", "US"),
    ("meta", "US"),
    ("mistral", "FR"),
    ("hk-lab", "HK"),
    ("sber", "RU"),
]
EQUIPMENT = [("huawei", "CN"), ("hikvision", "CN"), ("ymtc", "CN"), ("dell", "US"), ("sophgo", "CN")]


def make_assets(n: int, seed: int = 7) -> tuple[list[Asset], list[Finding]]:
    rnd = random.Random(seed)
    assets: list[Asset] = []
    findings: list[Finding] = []
    for i in range(n):
        path = f"src/mod{i % 5000}/file{i}.py"
        ev = Evidence(
            detector="bench",
            kind="model-ref",
            value=f"m{i}",
            strength=rnd.choice("AABC"),
            location=Location(path=path, line=1),
        )
        if i % 10 == 9:
            pid, jur = rnd.choice(EQUIPMENT)
            a = Asset(
                kind="hardware-device",
                name=f"dev-{i}",
                provenance=Provenance(
                    producers=(ProducerRef(id=pid, name=pid, jurisdiction=jur, role="manufacturer"),)
                ),
                evidence=(ev,),
            )
        else:
            pid, jur = rnd.choice(PRODUCERS)
            mode = rnd.choice(["hosted-api", "self-hosted", "unknown"])
            kind = "ai-service" if mode == "hosted-api" else "ai-model"
            lineage = ()
            if i % 7 == 0:
                bp, bj = rnd.choice(PRODUCERS)
                lineage = (
                    LineageEdge(
                        relation="finetune",
                        base="b",
                        base_producer=ProducerRef(id=bp, name=bp, jurisdiction=bj),
                    ),
                )
            a = Asset(
                kind=kind,
                name=f"model-{i}",
                use_mode=mode,
                evidence=(ev,),
                provenance=Provenance(
                    producers=(ProducerRef(id=pid, name=pid, jurisdiction=jur),),
                    service_jurisdiction=jur if mode == "hosted-api" else None,
                    lineage=lineage,
                ),
            )
        assets.append(a)
        if i % 500 == 0:
            findings.append(
                Finding(
                    rule_id="PICKLE",
                    severity="critical",
                    message="x",
                    location=Location(path=path),
                    asset_id=a.id,
                )
            )
    return assets, findings


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    packs = load_packs(None)
    n_rules = sum(len(p.rules) for p in packs)
    t0 = time.perf_counter()
    assets, findings = make_assets(n)
    print(f"built {n} assets in {time.perf_counter() - t0:.2f} s; {len(packs)} packs, {n_rules} rules")
    for name in ("uk-gov", "texas-agency", "kansas-agency", "tier2-private"):
        ctx = build_context(BUILTIN_PROFILES[name], profile=name)
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            decisions = evaluate(assets, findings, [], ctx, packs)
            best = min(best, time.perf_counter() - t)
        counts = {v: sum(d.verdict == v for d in decisions) for v in ("allow", "review", "deny")}
        print(f"{name:15s} evaluate {n} assets: best of 3 {best:.3f} s  {counts}")


if __name__ == "__main__":
    main()
