"""Identify: Evidence -> Asset with Provenance (producer, jurisdictions, lineage, methods + confidence).

Two entry points, both pure functions of their inputs and the explicitly passed Catalog:
- ``tierguard.identify.code.identify_evidence(evidence, catalog) -> list[Asset]``: groups code/config
  evidence (endpoints, SDKs, env keys, classes, model references) into assets.
- ``tierguard.identify.artifacts.identify_artifacts(resolver, catalog) -> ArtifactOutput``: finds model
  artifacts by content and identifies them from headers only (issue: model artifacts).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tierguard.model import Asset, Evidence, Finding, Skipped


@dataclass(slots=True)
class ArtifactOutput:
    assets: list[Asset] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # e.g. identification contradictions
    skipped: list[Skipped] = field(default_factory=list)
