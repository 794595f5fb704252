"""Identify: Evidence -> Asset with Provenance (producer, jurisdictions, lineage, methods + confidence).

Two entry points, both pure functions of their inputs and the explicitly passed Catalog:
- ``tierguard.identify.code.identify_evidence(evidence, catalog) -> list[Asset]``: groups code/config
  evidence (endpoints, SDKs, env keys, classes, model references) into assets.
- ``tierguard.identify.artifacts.identify_artifacts(resolver, catalog) -> ArtifactOutput``: finds model
  artifacts by content and identifies them from headers only (issue: model artifacts).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from tierguard.catalog.loader import Catalog
from tierguard.model import Asset, Evidence, Finding, Skipped
from tierguard.targets.interface import FileRef, Resolver


@dataclass(slots=True)
class ArtifactOutput:
    assets: list[Asset] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # e.g. identification contradictions
    skipped: list[Skipped] = field(default_factory=list)


class IdentifyStage(Protocol):
    """Code/config evidence -> assets with provenance (``identify_evidence``); pure, no I/O."""

    def __call__(self, evidence: Sequence[Evidence], catalog: Catalog) -> list[Asset]: ...


class ArtifactIdentifyStage(Protocol):
    """The target's model artifacts, found by content and identified from headers only
    (``identify_artifacts``); ``on_file`` sees every file considered."""

    def __call__(
        self,
        resolver: Resolver,
        catalog: Catalog,
        *,
        on_file: Callable[[FileRef], None] | None = None,
        kinds: Mapping[tuple[str, str | None], str] | None = None,
    ) -> ArtifactOutput: ...
