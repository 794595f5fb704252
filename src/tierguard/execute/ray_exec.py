"""The Ray executor: one Ray task per target, on a local Ray (the machine's CPUs, or ``workers``) or on the
cluster at ``address`` (``ray start --head`` on one node, ``ray start --address HEAD:6379`` on the others).

A task takes the job as msgpack bytes and returns the :class:`JobOutcome` as msgpack bytes (the ScanResult
inside is msgpack too): the worker needs only ``tierguard`` installed, never the driver's objects, and the
driver records what comes back. Ray retries a task once (``max_retries=1`` for a dead worker,
``retry_exceptions=True`` for an exception); after that the error is the target's recorded error. Paths are
opened by the worker: on a cluster they must exist on every node (a shared filesystem or the same checkout
at the same path). ``ray`` is an optional extra (``pip install "tierguard[ray]"``).
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterable
from typing import Any

import msgspec

from tierguard.execute.executors import MAX_ATTEMPTS, ExecuteError, Notify, _quiet
from tierguard.execute.job import JobOutcome, TargetJob, one_line, run_job


def _task(job_bytes: bytes) -> bytes:
    """The Ray task body (runs on a worker)."""
    job = msgspec.msgpack.decode(job_bytes, type=TargetJob)
    return msgspec.msgpack.encode(run_job(job))


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ExecuteError(
            "--executor ray needs Ray: pip install 'tierguard[ray]' (or use --executor process)"
        ) from None
    return ray


def _reachable(address: str, timeout: float = 5.0) -> None:
    """Ray retries an unreachable cluster for minutes: check its port answers first (``auto`` and
    addresses without a port are left to Ray)."""
    import socket

    hostport = address.removeprefix("ray://").rsplit("/", 1)[0]
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit() or not host:
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise ExecuteError(f"cannot start Ray at {address}: {exc.strerror or exc}") from None


def _start(ray: Any, address: str | None, workers: int | None) -> bool:
    """Connect to ``address`` or start a local Ray; True when this call started it (and must stop it)."""
    if ray.is_initialized():
        return False
    if address:
        _reachable(address)
    kwargs: dict[str, Any] = {"logging_level": logging.ERROR, "log_to_driver": False}
    try:
        if address:
            ray.init(address=address, **kwargs)
        else:
            ray.init(num_cpus=workers, include_dashboard=False, **kwargs)
    except Exception as exc:  # ConnectionError, RuntimeError, ValueError ...: one line, exit 2
        where = f"at {address}" if address else "locally"
        raise ExecuteError(f"cannot start Ray {where}: {one_line(exc)}") from None
    return True


def run_ray(
    jobs: Iterable[TargetJob],
    *,
    workers: int | None = None,
    address: str | None = None,
    notify: Notify = _quiet,
) -> Generator[JobOutcome, None, None]:
    """Yield outcomes as Ray tasks finish; at most 2 x (cluster CPUs) tasks in flight."""
    ray = _import_ray()
    started = _start(ray, address, workers)
    try:
        task = ray.remote(num_cpus=1, max_retries=MAX_ATTEMPTS - 1, retry_exceptions=True)(_task)
        capacity = 2 * max(1, int(ray.cluster_resources().get("CPU", 1)))
        source = iter(jobs)
        inflight: dict[Any, TargetJob] = {}
        while True:
            while len(inflight) < capacity:
                job = next(source, None)
                if job is None:
                    break
                notify("start", job, 1)
                inflight[task.remote(msgspec.msgpack.encode(job))] = job
            if not inflight:
                return
            ready, _ = ray.wait(list(inflight), num_returns=1)
            for ref in ready:
                job = inflight.pop(ref)
                yield _outcome(ray, ref, job)
    finally:
        if started:
            ray.shutdown()


def _outcome(ray: Any, ref: Any, job: TargetJob) -> JobOutcome:
    try:
        raw = ray.get(ref)
    except ray.exceptions.RayTaskError as exc:  # the task raised on its last attempt
        cause = exc.cause if isinstance(getattr(exc, "cause", None), BaseException) else exc
        return JobOutcome(name=job.name, ok=False, error=one_line(cause), attempts=MAX_ATTEMPTS)
    except ray.exceptions.RayError as exc:  # the worker died on its last attempt, the node was lost ...
        msg = f"Ray task failed: {type(exc).__name__}"
        return JobOutcome(name=job.name, ok=False, error=msg, attempts=MAX_ATTEMPTS)
    out = msgspec.msgpack.decode(raw, type=JobOutcome)
    return out
