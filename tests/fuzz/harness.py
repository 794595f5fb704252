"""The fuzz run: deterministic cases, one scan each through the inspect view, the oracle, a summary.

Case ``i`` of run seed ``S`` draws from ``random.Random(f"{S}/{i}")`` alone, so any case replays on its own:
``python bench/inspect/fuzz.py --seed S --case i``.

Oracle, per case:
* ``crash``: an exception escaped ``Scanner().scan(path, Context(), options=INSPECT_VIEW)``;
* ``error``: the stage caught one (an ``inspector error`` inspection): fail-closed, but a bug;
* ``timeout``: the scan took more than ``TIME_LIMIT`` seconds;
* for a malicious seed whose protected bytes survived the mutation (``intact``, seeds.py):
  ``false_clean``: no inspection of the case is anything but ``clean`` (or there is none); ``gate_pass``: the
  default gate (``tierguard.inspect.gate.exit_code``) returns 0.
"""

from __future__ import annotations

import random
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.fuzz import mutations as M
from tests.fuzz.seeds import Seed

TIME_LIMIT = 10.0
KIND_WEIGHTS = {"generic": 50, "zip": 25, "tar": 12, "tar-eof": 4, "stack": 8, "bomb": 1}


@dataclass(frozen=True)
class Case:
    index: int
    seed: Seed
    mutant: M.Mutant

    @property
    def label(self) -> str:
        return f"{self.seed.name} [{self.seed.kind}] {self.mutant.kind}: {self.mutant.detail}"


@dataclass
class Outcome:
    index: int
    seed: str
    seed_kind: str
    kind: str
    detail: str
    intact: bool
    malicious: bool
    seconds: float
    statuses: list[str] = field(default_factory=list)
    gate: int = -1
    crash: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def false_clean(self) -> bool:
        return self.malicious and self.intact and not self.crash and all(s == "clean" for s in self.statuses)

    @property
    def gate_pass(self) -> bool:
        return self.malicious and self.intact and not self.crash and self.gate == 0

    @property
    def timeout(self) -> bool:
        return self.seconds > TIME_LIMIT

    def replay(self, run_seed: int | str) -> str:
        crash = f", crash {self.crash}" if self.crash else ""
        errors = f", errors {self.errors}" if self.errors else ""
        return (
            f"case {self.index} (replay: python bench/inspect/fuzz.py --seed {run_seed} --case {self.index}):"
            f" {self.seed} [{self.seed_kind}] {self.kind}: {self.detail}; statuses {self.statuses},"
            f" gate {self.gate}{crash}{errors}"
        )


def make_case(run_seed: int | str, index: int, seeds: Sequence[Seed], bomb_size: int) -> Case:
    rng = random.Random(f"{run_seed}/{index}")
    while True:
        group = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
        fit = [s for s in seeds if _applies(group, s)]
        if not fit:
            continue
        seed = fit[rng.randrange(len(fit))]
        mutant: M.Mutant | None
        if group == "generic":
            mutant = M.GENERIC[rng.choice(sorted(M.GENERIC))](rng, seed)
        elif group == "bomb":
            mutant = M.bomb(rng, seed, bomb_size)
        else:
            mutant = M.STRUCTURAL[group](rng, seed)
        if mutant is not None:
            return Case(index, seed, mutant)


def _applies(group: str, seed: Seed) -> bool:
    if group in ("zip", "tar", "tar-eof"):
        return group.split("-")[0] in seed.container
    if group in ("stack", "bomb"):
        return seed.raw_pickle and (group == "stack" or seed.malicious)
    return True


def cases(
    run_seed: int | str, indices: Iterable[int], seeds: Sequence[Seed], bomb_size: int
) -> Iterable[Case]:
    for i in indices:
        yield make_case(run_seed, i, seeds, bomb_size)


def run_case(case: Case, workdir: Path, keep: Path | None = None) -> Outcome:
    from tierguard.inspect.gate import exit_code
    from tierguard.model import Context
    from tierguard.scanner import INSPECT_VIEW, Scanner

    m, s = case.mutant, case.seed
    out = Outcome(case.index, s.name, s.kind, m.kind, m.detail, m.intact, s.malicious, 0.0)
    d = workdir / f"c{case.index}"
    d.mkdir(parents=True, exist_ok=True)
    path = d / (m.name or s.name)
    path.write_bytes(m.data)
    t = time.perf_counter()
    try:
        result = Scanner().scan(path, Context(), options=INSPECT_VIEW)
    except Exception as exc:  # noqa: BLE001 - the oracle records it
        out.crash = f"{exc!r} at {traceback.format_exc(limit=-1).strip().splitlines()[-2].strip()}"
    else:
        out.statuses = [i.status for i in result.inspections]
        out.errors = [i.reason[:200] for i in result.inspections if i.reason.startswith("inspector error")]
        out.gate = exit_code(result)
    finally:
        out.seconds = time.perf_counter() - t
        if keep is not None:
            keep.write_bytes(m.data)
        path.unlink(missing_ok=True)
        d.rmdir()
    return out


def run(
    run_seed: int | str, n: int, seeds: Sequence[Seed], *, bomb_size: int = 16 * M.MiB, start: int = 0
) -> list[Outcome]:
    with tempfile.TemporaryDirectory(prefix="tg-fuzz-") as tmp:
        return [run_case(c, Path(tmp)) for c in cases(run_seed, range(start, start + n), seeds, bomb_size)]


def summary(outcomes: Sequence[Outcome]) -> dict[str, Counter[str]]:
    """Counts by mutation kind: cases, intact malicious cases, crashes, caught errors, timeouts, false cleans,
    default-gate passes."""
    out: dict[str, Counter[str]] = {}
    for o in outcomes:
        for key in (o.kind, "all"):
            c = out.setdefault(key, Counter())
            c["cases"] += 1
            c["intact malicious"] += o.malicious and o.intact
            c["crashes"] += bool(o.crash)
            c["caught errors"] += bool(o.errors)
            c["timeouts"] += o.timeout
            c["false clean"] += o.false_clean
            c["gate pass"] += o.gate_pass
            c["clean, payload broken"] += (
                o.malicious and not o.intact and bool(o.statuses) and all(x == "clean" for x in o.statuses)
            )
    return out


COLUMNS = (
    "cases", "intact malicious", "crashes", "caught errors", "timeouts", "false clean", "gate pass",
    "clean, payload broken",
)  # fmt: skip


def table(outcomes: Sequence[Outcome]) -> str:
    s = summary(outcomes)
    rows = ["| mutation | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for k in sorted(s, key=lambda k: (k == "all", k)):
        rows.append(f"| {k} | " + " | ".join(str(s[k][c]) for c in COLUMNS) + " |")
    return "\n".join(rows)
