"""Inspect: static, never-executing safety inspection of artifacts.

Entry point: ``tierguard.inspect.engine.inspect_target(resolver, *, on_file=None) -> InspectOutput``.
Every artifact gets an Inspection whose status is clean / findings / incomplete / not-inspected; an
artifact that could not be read completely is never "clean".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tierguard.model import Finding, Inspection, Skipped


@dataclass(slots=True)
class InspectOutput:
    inspections: list[Inspection] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
