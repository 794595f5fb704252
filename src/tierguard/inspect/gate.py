"""The inspect view's exit code, shared by ``tierguard inspect`` and ``python -m tierguard.inspect``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from tierguard.model import SEVERITY_ORDER, Finding, Inspection

FAIL_ON = ("info", "low", "medium", "high", "critical", "never")


class Outcome(Protocol):
    """What the gate reads: a ScanResult, or the inspect stage's own output."""

    @property
    def findings(self) -> Sequence[Finding]: ...

    @property
    def inspections(self) -> Sequence[Inspection]: ...


def exit_code(result: Outcome, fail_on: str = "high", fail_on_incomplete: bool = True) -> int:
    """1 when a finding is at/above ``fail_on`` or (``fail_on_incomplete``) an artifact was not fully
    inspected; else 0."""
    if fail_on != "never":
        threshold = SEVERITY_ORDER[fail_on]
        if any(SEVERITY_ORDER[f.severity] >= threshold for f in result.findings):
            return 1
    if fail_on_incomplete and any(i.status in ("incomplete", "not-inspected") for i in result.inspections):
        return 1
    return 0
