"""One target's scan as a unit of work: a small, picklable :class:`TargetJob` in, a :class:`JobOutcome` out.

The same function runs in the driver (serial), in a process-pool worker and in a Ray task. It builds the
scan the way ``tierguard scan PATH`` does (``--config`` context, packs, waivers, default options) through
:func:`scan_target`, which the CLI and the service can call too. A worker never writes to the store: it
returns the :class:`ScanResult` encoded with msgspec (MessagePack), and the driver records it.

Errors: a :class:`TierguardError` (the target does not exist, an unreadable pack, a broken image) is the
target's fault and deterministic, so it comes back as an error outcome and is not retried. Anything else (a
scanner crash, a killed worker) raises, and the executor retries the job once before recording the error.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from tierguard.errors import TierguardError
from tierguard.model import Context, ScanResult

if TYPE_CHECKING:
    from tierguard.scanner import ProgressFn, Scanner

MAX_ERROR = 500  # characters of a recorded error line


class TargetJob(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a worker needs to scan one target (no open files, no store, nothing large)."""

    name: str
    path: str  # resolved: absolute, or an image reference
    context: Context
    owner: str | None = None
    packs: tuple[str, ...] = ()  # () = every shipped pack
    waivers: str | None = None
    include_ignored: bool = False
    fault: str | None = None  # fault injection for tests and drills (``_inject_fault``); never from a file


class JobOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """What comes back: ``result`` (msgpack of a ScanResult) when ``ok``, else a one-line ``error``."""

    name: str
    ok: bool
    result: bytes = b""
    error: str = ""
    attempts: int = 1

    def decode(self) -> ScanResult:
        return msgspec.msgpack.decode(self.result, type=ScanResult)


def one_line(exc: BaseException) -> str:
    """``Type: message`` on one line, bounded (TierguardErrors are already one line: no type prefix)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if not isinstance(exc, TierguardError):
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text[:MAX_ERROR]


@functools.lru_cache(maxsize=4)
def _scanner(packs: tuple[str, ...]) -> Scanner:
    """One Scanner per process and pack selection: the catalog and packs load once per worker."""
    from tierguard.catalog import load_catalog
    from tierguard.policy.packs import load_packs
    from tierguard.scanner import Scanner

    return Scanner(load_catalog(), load_packs(list(packs) or None))


def scan_target(
    path: str,
    context: Context,
    *,
    packs: Sequence[str] = (),
    waivers: str | None = None,
    include_ignored: bool = False,
    display_name: str | None = None,
    progress: ProgressFn | None = None,
) -> ScanResult:
    """Scan one path (directory, repository, archive, environment, inventory file or image reference) as
    ``tierguard scan PATH`` would with this context, packs and waivers. Raises :class:`TierguardError`
    when the target does not exist or cannot be opened."""
    from tierguard.errors import TargetError
    from tierguard.scanner import ScanOptions

    p = Path(path)
    if not p.exists() and not p.is_symlink():
        from tierguard.targets.image import image_reference

        if image_reference(p) is None:
            raise TargetError(f"target does not exist: {path}")
    waiver_list = []
    if waivers is not None:
        from tierguard.policy.waivers import load_waivers

        waiver_list = load_waivers(Path(waivers))
    scanner = _scanner(tuple(packs))
    options = ScanOptions(include_ignored=include_ignored)
    return scanner.scan(
        p, context, waivers=waiver_list, options=options, progress=progress, display_name=display_name
    )


def run_job(job: TargetJob, attempt: int = 1) -> JobOutcome:
    """Scan ``job``'s target; a TierguardError is an error outcome, anything else raises (retried)."""
    _inject_fault(job)
    try:
        result = scan_target(
            job.path, job.context, packs=job.packs, waivers=job.waivers, include_ignored=job.include_ignored
        )
    except TierguardError as exc:
        return JobOutcome(name=job.name, ok=False, error=one_line(exc), attempts=attempt)
    return JobOutcome(name=job.name, ok=True, result=msgspec.msgpack.encode(result), attempts=attempt)


def _inject_fault(job: TargetJob) -> None:
    """Make a worker fail for real (tests, drills): ``fault="raise"`` raises; ``fault="exit"`` kills the
    process (a segfault or OOM kill as the pool sees it); ``fault="once:<file>"`` raises the first time only
    (the file marks that the first attempt happened), so a retry succeeds. No estate file can set it."""
    if job.fault is None:
        return
    if job.fault == "raise":
        raise RuntimeError(f"injected crash scanning {job.name}")
    if job.fault == "exit":
        os._exit(13)
    if job.fault.startswith("once:"):
        marker = Path(job.fault[5:])
        if not marker.exists():
            marker.write_text("first attempt failed\n")
            raise RuntimeError(f"injected crash scanning {job.name} (first attempt)")
