"""Many targets: the estate file, the runner, and its executors (serial, process pool, Ray).

``load_estate(path)`` reads and validates a ``tierguard.toml`` estate file; ``run_estate(estate, store=...)``
scans every target on an executor and records each result through the store as it arrives (only the driver
writes); ``scan_target(path, context, ...)`` scans one path the way ``tierguard scan`` does (the CLI and the
service can reuse it). See docs/estate.md.
"""

from tierguard.execute.estate import Estate, EstateError, EstateTarget, load_estate
from tierguard.execute.executors import ExecuteError
from tierguard.execute.job import JobOutcome, TargetJob, scan_target
from tierguard.execute.rollup import ProducerRow, Rollup, TargetSummary
from tierguard.execute.runner import EXECUTORS, EstateEvent, EstateRun, ExecutorName, make_job, run_estate

__all__ = [
    "EXECUTORS",
    "Estate",
    "EstateError",
    "EstateEvent",
    "EstateRun",
    "EstateTarget",
    "ExecuteError",
    "ExecutorName",
    "JobOutcome",
    "ProducerRow",
    "Rollup",
    "TargetJob",
    "TargetSummary",
    "load_estate",
    "make_job",
    "run_estate",
    "scan_target",
]
