"""``run_estate``: scan every target of an estate on an executor and record each result through the store as
it arrives. Only this driver writes to the store; workers return results.

**Runs and resume.** Every record of a run carries the revision ``<estate revision>@<run start, UTC>``
(e.g. ``3f9a0c1b2d4e5f60@20261202T133000Z``): the estate file's hash (see :mod:`tierguard.execute.estate`)
plus the run that wrote it. With ``resume`` (the default) a run looks at the estate's newest record: if it
belongs to a run of the *same* estate revision that did not reach every target (interrupted: killed, a store
that went away), this run continues it, skipping the targets that run recorded ok
(``store.recorded_targets``) and scanning the rest, recorded errors included. Otherwise (the last run was
complete, or the file or the tool changed) it is a new run that scans everything. So resuming never skips a
target in a fresh run: a daily re-scan of an unchanged estate scans every target again.

**Failures.** A target that cannot be scanned (missing, unreadable, a scanner crash after one retry, a dead
worker) is a recorded error (``store.record_error``) and the run goes on. A store that cannot be written
(read-only, locked, gone) stops the run with :class:`StoreError` (nothing can be recorded); what was
recorded stays, and the next run resumes after it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

import msgspec

from tierguard.execute.estate import Estate, EstateTarget
from tierguard.execute.job import JobOutcome, TargetJob
from tierguard.execute.rollup import Rollup, TargetSummary, summarise

if TYPE_CHECKING:
    from tierguard.store.interface import ScanRef, Store

ExecutorName = Literal["serial", "process", "ray"]
EXECUTORS: tuple[ExecutorName, ...] = ("serial", "process", "ray")
EventKind = Literal["start", "retry", "ok", "error", "skipped"]
SCAN_PAGE = 200


class EstateEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A progress event: a target submitted (``start``), resubmitted (``retry``), done (``ok``/``error``)
    or skipped (resumed run). ``done`` counts finished targets (skipped included) of ``total``."""

    kind: EventKind
    target: str
    done: int
    total: int
    detail: str = ""


Progress = Callable[[EstateEvent], None]


class EstateRun(msgspec.Struct, kw_only=True):
    """The outcome of one run: its identity, timing and the roll-up (summaries only, no results)."""

    estate: str
    revision: str  # the estate file's revision
    run: str  # the revision recorded with every scan of this run: <revision>@<run start>
    resumed: bool
    executor: ExecutorName
    workers: int
    started: str
    finished: str = ""
    elapsed_s: float = 0.0
    rollup: Rollup = msgspec.field(default_factory=Rollup)

    @property
    def errors(self) -> int:
        return len(self.rollup.errors())


def make_job(estate: Estate, target: EstateTarget) -> TargetJob:
    return TargetJob(
        name=target.name,
        path=estate.target_path(target),
        context=estate.context_for(target),
        owner=target.owner,
        packs=estate.packs(),
        waivers=estate.waivers_path(),
        include_ignored=target.include_ignored,
    )


def run_estate(
    estate: Estate,
    *,
    store: Store,
    executor: ExecutorName | None = None,
    workers: int | None = None,
    ray_address: str | None = None,
    resume: bool = True,
    progress: Progress | None = None,
    job_hook: Callable[[TargetJob], TargetJob] | None = None,
) -> EstateRun:
    """Scan and record every target of ``estate``. ``executor`` None: ``process`` for more than one target,
    else ``serial``. ``job_hook`` may replace a job before it runs (fault injection in tests and drills)."""
    from tierguard.execute.executors import default_workers

    chosen: ExecutorName = executor or ("process" if len(estate.targets) > 1 else "serial")
    n = workers or default_workers()
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    run_rev, done_ok = _plan(store, estate, resume, started)
    run = EstateRun(
        estate=estate.name,
        revision=estate.revision,
        run=run_rev,
        resumed=bool(done_ok),
        executor=chosen,
        workers=n if chosen != "serial" else 1,
        started=started.isoformat(timespec="seconds"),
    )
    total = len(estate.targets)
    state = _State(run, total, progress)
    owners = {t.name: t.owner for t in estate.targets}
    for target in estate.targets:  # resumed: the targets the interrupted run recorded ok
        if target.name in done_ok:
            state.skip(store, target, done_ok[target.name])

    def jobs() -> Iterator[TargetJob]:
        for target in estate.targets:
            if target.name not in done_ok:
                job = make_job(estate, target)
                yield job_hook(job) if job_hook is not None else job

    def notify(kind: str, job: TargetJob, attempt: int) -> None:
        state.emit("retry" if kind == "retry" else "start", job.name, f"attempt {attempt}")

    with closing(_outcomes(chosen, jobs(), n, ray_address, notify)) as outcomes:
        for outcome in outcomes:
            state.record(store, outcome, owners.get(outcome.name), run_rev)
    run.finished = datetime.now(UTC).isoformat(timespec="seconds")
    run.elapsed_s = round(time.perf_counter() - t0, 3)
    return run


def _outcomes(
    executor: ExecutorName,
    jobs: Iterator[TargetJob],
    workers: int,
    address: str | None,
    notify: Callable[[str, TargetJob, int], None],
) -> Generator[JobOutcome, None, None]:
    from tierguard.execute import executors

    if executor == "serial":
        return executors.run_serial(jobs, notify=notify)
    if executor == "process":
        return executors.run_process(jobs, workers=workers, notify=notify)
    from tierguard.execute.ray_exec import run_ray

    return run_ray(jobs, workers=workers, address=address, notify=notify)


class _State:
    """The run's counters and roll-up; records each outcome and tells ``progress``."""

    def __init__(self, run: EstateRun, total: int, progress: Progress | None) -> None:
        self.run, self.total, self.progress, self.done = run, total, progress, 0

    def emit(self, kind: EventKind, target: str, detail: str = "") -> None:
        if self.progress is not None:
            event = EstateEvent(kind=kind, target=target, done=self.done, total=self.total, detail=detail)
            self.progress(event)

    def record(self, store: Store, outcome: JobOutcome, owner: str | None, rev: str) -> None:
        estate = self.run.estate
        if outcome.ok:
            result = outcome.decode()
            ref = store.record(result, target=outcome.name, owner=owner, estate=estate, revision=rev)
            summary = summarise(outcome.name, owner, result, ref.id)
            summary = msgspec.structs.replace(summary, attempts=outcome.attempts)
            self.run.rollup.add(summary, result)
            del result
            self.done += 1
            self.emit("ok", outcome.name, summary.worst_verdict or "")
            return
        ref = store.record_error(outcome.name, outcome.error, owner=owner, estate=estate, revision=rev)
        summary = TargetSummary(
            name=outcome.name,
            status="error",
            owner=owner,
            scan_id=ref.id,
            error=outcome.error,
            attempts=outcome.attempts,
        )
        self.run.rollup.add(summary, None)
        self.done += 1
        self.emit("error", outcome.name, outcome.error)

    def skip(self, store: Store, target: EstateTarget, ref: ScanRef) -> None:
        """A target the resumed run recorded ok: its recorded result goes into the roll-up."""
        result = store.load(ref.id)
        summary = summarise(target.name, target.owner, result, ref.id)
        self.run.rollup.add(msgspec.structs.replace(summary, status="skipped"), result)
        self.done += 1
        self.emit("skipped", target.name)


def _plan(store: Store, estate: Estate, resume: bool, started: datetime) -> tuple[str, dict[str, ScanRef]]:
    """This run's recorded revision, and the targets to skip (name -> its ok record) when it resumes an
    interrupted run of the same estate revision (see the module docstring)."""
    fresh = f"{estate.revision}@{started.strftime('%Y%m%dT%H%M%S.%fZ')}"
    if not resume:
        return fresh, {}
    newest = store.scans(estate=estate.name, limit=1).items
    if not newest or not (newest[0].revision or "").startswith(estate.revision + "@"):
        return fresh, {}
    last = newest[0].revision or ""
    recorded: dict[str, ScanRef] = {}  # target -> newest record of that run (ok or error)
    offset = 0
    while True:
        page = store.scans(estate=estate.name, offset=offset, limit=SCAN_PAGE)
        for ref in page.items:
            if ref.revision == last:
                recorded.setdefault(ref.target, ref)
        if not page.items or offset + len(page.items) >= page.total or page.items[-1].revision != last:
            break
        offset += len(page.items)
    names = {t.name for t in estate.targets}
    if names <= recorded.keys():
        return fresh, {}  # the last run reached every target: this is a new run
    ok = store.recorded_targets(estate.name, last)
    skip = {n: r for n, r in recorded.items() if n in ok and n in names and r.status == "ok"}
    return last, skip


def run_document(run: EstateRun) -> dict[str, object]:
    """The JSON form of a run (``tierguard estate scan --format json``): the run, each target, producers
    (denies first) and verdict counts. Versioned by ``schema``."""
    roll = run.rollup
    return {
        "schema": "tierguard-estate-run/1",
        "estate": run.estate,
        "revision": run.revision,
        "run": run.run,
        "resumed": run.resumed,
        "executor": run.executor,
        "workers": run.workers,
        "started": run.started,
        "finished": run.finished,
        "elapsed_s": run.elapsed_s,
        "targets": msgspec.to_builtins(roll.targets),
        "producers": msgspec.to_builtins(roll.producer_rows()),
        "targets_by_verdict": dict(sorted(roll.verdicts.items())),
        "decisions_by_verdict": dict(sorted(roll.decisions.items())),
        "errors": run.errors,
    }


def exit_reasons(run: EstateRun, fail_on: str, *, fail_on_error: bool, fail_on_incomplete: bool) -> list[str]:
    """Why ``tierguard estate scan`` exits 1 (empty: exit 0). A target that could not be scanned fails the
    run unless ``fail_on_error`` is off: a security tool does not pass what it could not look at."""
    from tierguard.model import VERDICT_ORDER

    out: list[str] = []
    targets = run.rollup.targets
    if fail_on != "never":
        hit = [
            t.name
            for t in targets
            if t.worst_verdict and VERDICT_ORDER[t.worst_verdict] >= VERDICT_ORDER[fail_on]
        ]
        if hit:
            out.append(f"{len(hit)} target(s) with a decision at or above {fail_on}")
    errors = [t.name for t in targets if t.status == "error"]
    if errors and fail_on_error:
        out.append(f"{len(errors)} target(s) could not be scanned: {', '.join(errors[:5])}")
    gaps = [t.name for t in targets if t.gaps]
    if gaps and fail_on_incomplete:
        out.append(
            f"{len(gaps)} target(s) hold units that may be model artifacts and could not be fully read"
        )
    return out
