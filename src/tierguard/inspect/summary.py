"""Pure helpers for the ``tierguard inspect`` command: exit code and JSON document of an InspectOutput."""

from __future__ import annotations

import json
from typing import Any

from tierguard.inspect.interface import InspectOutput
from tierguard.inspect.rules import RULES
from tierguard.model import SCHEMA_VERSION, SEVERITY_ORDER

FAIL_ON = ("info", "low", "medium", "high", "critical", "never")


def exit_code(out: InspectOutput, fail_on: str = "high", fail_on_incomplete: bool = True) -> int:
    """1 when a finding is at/above ``fail_on`` or (``fail_on_incomplete``) an artifact was not fully
    inspected; else 0."""
    if fail_on != "never":
        threshold = SEVERITY_ORDER[fail_on]
        if any(SEVERITY_ORDER[f.severity] >= threshold for f in out.findings):
            return 1
    if fail_on_incomplete and any(i.status in ("incomplete", "not-inspected") for i in out.inspections):
        return 1
    return 0


def to_document(out: InspectOutput) -> dict[str, Any]:
    fired = sorted({f.rule_id for f in out.findings})
    return {
        "schema_version": SCHEMA_VERSION,
        "inspections": [i.model_dump(mode="json") for i in out.inspections],
        "findings": [f.model_dump(mode="json") for f in out.findings],
        "skipped": [s.model_dump(mode="json") for s in out.skipped],
        "rules": [RULES[r].model_dump(mode="json") for r in fired if r in RULES],
    }


def to_json(out: InspectOutput) -> str:
    return json.dumps(to_document(out), indent=2, sort_keys=True)
