"""Inspect: static, never-executing safety inspection of artifacts.

Entry point: ``tierguard.inspect.engine.inspect_target(resolver, *, on_file=None) -> InspectOutput``.
Every artifact gets an Inspection whose status is clean / findings / incomplete / not-inspected; an
artifact that could not be read completely is never "clean".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from tierguard.model import Finding, Inspection, Skipped
from tierguard.targets.interface import Resolver


@dataclass(slots=True)
class InspectOutput:
    inspections: list[Inspection] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


class InspectStage(Protocol):
    """Inspect every model artifact and model config ``resolver`` holds (``inspect_target``). ``on_file``
    sees each path inspected; ``kinds`` maps (path, member) to the format an earlier stage already sniffed."""

    def __call__(
        self,
        resolver: Resolver,
        *,
        on_file: Callable[[str], None] | None = None,
        kinds: Mapping[tuple[str, str | None], str] | None = None,
    ) -> InspectOutput: ...
