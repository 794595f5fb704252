"""Scans started over the API run targets of the server's estate file (``--config``) through
:mod:`tierguard.execute`: the target is looked up by name (a request never names a path), scanned in a
worker process (a crash or a memory blow-up of one scan cannot take the server down; a failed attempt is
retried once, as in ``tierguard estate scan``), and recorded by the server, which is the only writer.

Recorded with the estate's name and the revision ``api:<estate revision>@<time>``, so a later
``tierguard estate scan`` never takes an API scan for part of an interrupted run to resume.
"""

from __future__ import annotations

from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from tierguard.errors import TierguardError
from tierguard.execute import load_estate, make_job
from tierguard.execute.job import one_line
from tierguard.store.interface import Store


class ScanJobError(TierguardError):
    """A target started over the API could not be scanned (recorded as an error in the store)."""


class EstateRunner:
    def __init__(self, config: Path, store: Store) -> None:
        self.estate = load_estate(config)
        self.store = store
        self.names = frozenset(t.name for t in self.estate.targets)

    def run(self, name: str) -> int:
        """Scan and record the target ``name``; the recorded scan's id (raises ScanJobError after recording
        the error)."""
        from tierguard.execute.executors import run_process

        estate = self.estate
        target = next(t for t in estate.targets if t.name == name)
        revision = f"api:{estate.revision}@{datetime.now(UTC).strftime('%Y%m%dT%H%M%S.%fZ')}"
        job = make_job(estate, target)
        error = "the worker returned no result"
        try:
            with closing(run_process(iter([job]), workers=1)) as outcomes:
                for outcome in outcomes:
                    if outcome.ok:
                        ref = self.store.record(
                            outcome.decode(),
                            target=name,
                            owner=target.owner,
                            estate=estate.name,
                            revision=revision,
                        )
                        return ref.id
                    error = outcome.error
        except TierguardError:
            raise
        except Exception as exc:  # the executor itself failed: still a recorded error, one line
            error = one_line(exc)
        self.store.record_error(name, error, owner=target.owner, estate=estate.name, revision=revision)
        raise ScanJobError(f"{name}: {error}")
