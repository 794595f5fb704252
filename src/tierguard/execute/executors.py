"""Executors: run :class:`TargetJob`s and yield their :class:`JobOutcome`s as they complete.

Each executor takes the jobs as an iterator and pulls from it only as capacity frees up (at most
``2 x workers`` jobs in flight), so the driver holds a bounded number of jobs and results whatever the size
of the estate. Every job yields exactly one outcome: a job that raises is retried once (``MAX_ATTEMPTS``)
and then yields an error outcome; nothing is lost and nothing stops the run.

- ``serial``: in the driver's process, one after the other.
- ``process``: a ``concurrent.futures.ProcessPoolExecutor`` (forkserver where available, else spawn: never
  fork, which would copy the driver's store connections and threads). A worker that dies (segfault, OOM
  kill) breaks the pool: it is rebuilt and the jobs that were in flight run again one at a time, so the job
  that kills its worker twice is recorded as an error and its innocent neighbours are not.
- ``ray``: :mod:`tierguard.execute.ray_exec`.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future
from typing import TYPE_CHECKING

from tierguard.errors import TierguardError
from tierguard.execute.job import JobOutcome, TargetJob, one_line, run_job

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

MAX_ATTEMPTS = 2  # a failed job is retried once
Notify = Callable[[str, TargetJob, int], None]
"""Called with ("start" | "retry", job, attempt) as a job is submitted or resubmitted."""


class ExecuteError(TierguardError):
    """An executor cannot run at all (Ray missing or unreachable, no worker can start)."""


def _quiet(kind: str, job: TargetJob, attempt: int) -> None:
    return None


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def run_serial(jobs: Iterable[TargetJob], *, notify: Notify = _quiet) -> Generator[JobOutcome, None, None]:
    """In this process, in order. A job that raises is retried once, then is an error outcome."""
    for job in jobs:
        attempt = 1
        notify("start", job, attempt)
        while True:
            try:
                yield run_job(job, attempt)
                break
            except Exception as exc:  # the scanner crashed on this target: isolate it
                if attempt >= MAX_ATTEMPTS:
                    yield JobOutcome(name=job.name, ok=False, error=one_line(exc), attempts=attempt)
                    break
                attempt += 1
                notify("retry", job, attempt)


def _pool(workers: int) -> ProcessPoolExecutor:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context(method))


def run_process(
    jobs: Iterable[TargetJob], *, workers: int | None = None, notify: Notify = _quiet
) -> Generator[JobOutcome, None, None]:
    """On a local process pool of ``workers`` processes (default: the machine's CPUs)."""
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures.process import BrokenProcessPool

    n = workers or default_workers()
    source = iter(jobs)
    suspects: deque[tuple[TargetJob, int]] = deque()  # in flight when a worker died: rerun one at a time
    inflight: dict[Future[JobOutcome], tuple[TargetJob, int]] = {}
    pool = _pool(n)
    try:
        while True:
            _fill(pool, source, suspects, inflight, n, notify)
            if not inflight:
                return
            done, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
            broken: list[tuple[TargetJob, int, BaseException]] = []
            for fut in done:
                job, attempt = inflight.pop(fut)
                try:
                    yield fut.result()
                except BrokenProcessPool as exc:
                    broken.append((job, attempt, exc))
                except Exception as exc:  # raised inside the worker: retry once
                    out = _retry(job, attempt, exc, notify)
                    if out is None:
                        inflight[pool.submit(run_job, job, attempt + 1)] = (job, attempt + 1)
                    else:
                        yield out
            if broken:
                # every job still in flight died with the pool; rebuild it and rerun them one at a time
                broken += [(j, a, BrokenProcessPool("worker died")) for j, a in inflight.values()]
                inflight.clear()
                pool.shutdown(wait=False, cancel_futures=True)
                pool = _pool(n)
                for job, attempt, err in broken:
                    out = _retry(job, attempt, err, notify, "the worker process died")
                    if out is None:
                        suspects.append((job, attempt + 1))
                    else:
                        yield out
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _fill(
    pool: ProcessPoolExecutor,
    source: Iterator[TargetJob],
    suspects: deque[tuple[TargetJob, int]],
    inflight: dict[Future[JobOutcome], tuple[TargetJob, int]],
    workers: int,
    notify: Notify,
) -> None:
    """Submit jobs up to capacity: suspects alone (one in flight), else up to 2 x workers new jobs."""
    if suspects:
        if not inflight:
            suspect, attempt = suspects.popleft()
            inflight[pool.submit(run_job, suspect, attempt)] = (suspect, attempt)
        return
    while len(inflight) < 2 * workers:
        job = next(source, None)
        if job is None:
            return
        notify("start", job, 1)
        inflight[pool.submit(run_job, job, 1)] = (job, 1)


def _retry(
    job: TargetJob, attempt: int, exc: BaseException, notify: Notify, why: str | None = None
) -> JobOutcome | None:
    """None: run ``job`` again (``notify`` told); else the error outcome of its last attempt."""
    if attempt >= MAX_ATTEMPTS:
        return JobOutcome(name=job.name, ok=False, error=why or one_line(exc), attempts=attempt)
    notify("retry", job, attempt + 1)
    return None
