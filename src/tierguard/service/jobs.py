"""Scans started over the API: one background worker thread runs them one at a time, in submission order.

A job names a target configured in the server's estate file, never a path. Jobs live in memory (the recorded
scan is what lasts: it is in the store); the newest ``keep`` jobs are kept.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Literal

import msgspec

from tierguard.errors import TierguardError

JobStatus = Literal["queued", "running", "done", "error"]
TargetRunner = Callable[[str], int]
"""Scans the configured target of that name, records it, returns the recorded scan's id (raises
TierguardError with one line when the target cannot be scanned; that error is recorded by the runner)."""

log = logging.getLogger("tierguard.service")


class Job(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    target: str
    status: JobStatus
    submitted: str
    started: str | None = None
    finished: str | None = None
    scan_id: int | None = None  # the recorded scan (status done)
    error: str | None = None  # one line (status error)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Jobs:
    def __init__(self, runner: TargetRunner, *, keep: int = 100) -> None:
        self._runner = runner
        self._keep = keep
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tierguard-scan")

    def submit(self, target: str) -> Job:
        job = Job(id=uuid.uuid4().hex, target=target, status="queued", submitted=_now())
        self._put(job)
        self._pool.submit(self._run, job.id)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def _put(self, job: Job) -> None:
        with self._lock:
            self._jobs[job.id] = job
            self._jobs.move_to_end(job.id)
            while len(self._jobs) > self._keep:
                oldest = next(iter(self._jobs))
                if self._jobs[oldest].status in ("queued", "running"):
                    break  # never forget a job that has not finished
                self._jobs.popitem(last=False)

    def _update(self, job_id: str, **changes: object) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                self._jobs[job_id] = msgspec.structs.replace(job, **changes)

    def _run(self, job_id: str) -> None:
        job = self.get(job_id)
        if job is None:
            return
        self._update(job_id, status="running", started=_now())
        try:
            scan_id = self._runner(job.target)
        except TierguardError as exc:
            self._update(job_id, status="error", finished=_now(), error=str(exc).splitlines()[0][:500])
        except Exception as exc:  # a bug in a scan must not kill the worker thread
            log.exception("scan job %s (%s) failed", job_id, job.target)
            self._update(
                job_id, status="error", finished=_now(), error=f"internal error: {type(exc).__name__}"
            )
        else:
            self._update(job_id, status="done", finished=_now(), scan_id=scan_id)

    def wait(self, timeout: float | None = None) -> None:
        """Wait until every submitted job has finished (tests, shutdown)."""
        done = threading.Event()
        self._pool.submit(done.set)
        done.wait(timeout)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
