"""The record shapes of src/tierguard/model.py (as of commit ab6d836) in pydantic v2.

A copy, not an import: the benchmark must measure the record library, not the rest of tierguard, and must
keep working while model.py is migrated. ``TG_BENCH_DEFER=1`` in the environment selects
``defer_build=True`` (what model.py uses today); otherwise every schema is built at class definition.
Defaults such as ``Provenance()`` and ``Context()`` are kept as in model.py: instantiating them at class
definition builds those schemas even with ``defer_build``.
"""

from __future__ import annotations

import hashlib
import os
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

SCHEMA_VERSION = "1.0.0"
Strength = Literal["A", "B", "C"]
STRENGTH_ORDER: dict[str, int] = {"A": 3, "B": 2, "C": 1}
AssetKind = Literal[
    "ai-model", "ai-service", "sdk-dependency", "hardware-device", "operating-system", "system-software"
]
UseMode = Literal["hosted-api", "self-hosted", "dependency", "unknown"]
Severity = Literal["info", "low", "medium", "high", "critical"]
Verdict = Literal["allow", "review", "deny"]
LineageRelation = Literal["finetune", "quantized", "merge", "adapter", "distill", "unknown"]
InspectionStatus = Literal["clean", "findings", "incomplete", "not-inspected"]
Technique = Literal[
    "source-code-analysis",
    "binary-analysis",
    "manifest-analysis",
    "ast-fingerprint",
    "hash-comparison",
    "instrumentation",
    "dynamic-analysis",
    "filename",
    "attestation",
    "other",
]
Role = Literal["producer", "trainer", "base-producer", "operator", "manufacturer", "packager"]

_DEFER = os.environ.get("TG_BENCH_DEFER") == "1"


def stable_id(prefix: str, *parts: object) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(str(p).encode("utf-8", "surrogateescape"))
        h.update(b"\x1f")
    return f"{prefix}-{h.hexdigest()[:16]}"


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=_DEFER)


class Location(Record):
    path: str
    line: int | None = None
    column: int | None = None
    member: str | None = None


class Evidence(Record):
    detector: str
    kind: str
    value: str
    strength: Strength
    location: Location
    excerpt: str = ""
    refs: dict[str, str] = Field(default_factory=dict)
    attributes: dict[str, str] = Field(default_factory=dict)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def id(self) -> str:
        loc = self.location
        return stable_id("ev", self.detector, self.kind, self.value, loc.path, loc.member or "")


class ProducerRef(Record):
    id: str
    name: str
    jurisdiction: str
    role: Role = "producer"


class LineageEdge(Record):
    relation: LineageRelation
    base: str
    base_producer: ProducerRef | None = None
    source: str = ""


class IdentMethod(Record):
    technique: Technique
    confidence: float = Field(ge=0.0, le=1.0)
    value: str = ""


class Provenance(Record):
    producers: tuple[ProducerRef, ...] = ()
    service_operator: ProducerRef | None = None
    service_jurisdiction: str | None = None
    lineage: tuple[LineageEdge, ...] = ()
    methods: tuple[IdentMethod, ...] = ()


class Asset(Record):
    kind: AssetKind
    name: str
    use_mode: UseMode = "unknown"
    provenance: Provenance = Provenance()
    evidence: tuple[Evidence, ...] = ()
    parent: str | None = None
    attributes: dict[str, str] = Field(default_factory=dict)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def id(self) -> str:
        return stable_id("as", self.kind, self.name.lower(), self.use_mode, self.parent or "")


class Finding(Record):
    rule_id: str
    severity: Severity
    message: str
    location: Location
    asset_id: str | None = None
    attributes: dict[str, str] = Field(default_factory=dict)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def id(self) -> str:
        loc = self.location
        subject = self.attributes.get("subject", self.message)
        return stable_id("fi", self.rule_id, loc.path, loc.member or "", subject)


class Inspection(Record):
    location: Location
    format: str
    status: InspectionStatus
    reason: str = ""
    bytes_read: int = 0


class Citation(Record):
    instrument: str
    date: str
    url: str
    verify: bool = False


class RuleMatch(Record):
    pack: str
    pack_version: str
    rule_id: str
    verdict: Verdict
    severity: Severity
    reason: str
    citation: Citation


class Waiver(Record):
    id: str
    justification: str
    owner: str
    approval: str
    expires: str
    asset_id: str | None = None
    rule_id: str | None = None


class Decision(Record):
    asset_id: str
    verdict: Verdict
    matches: tuple[RuleMatch, ...] = ()
    waived_by: Waiver | None = None
    notes: tuple[str, ...] = ()


class Skipped(Record):
    path: str
    reason: str
    detail: str = ""


class Context(Record):
    country: str | None = None
    state: str | None = None
    sector: Literal["government", "critical-infrastructure", "general"] = "general"
    use: Literal["hosted-api", "self-hosted", "any"] = "any"
    device_class: str | None = None
    data_sensitivity: str | None = None
    date: str | None = None
    profile: str | None = None


class PackRef(Record):
    id: str
    version: str


class RuleInfo(Record):
    id: str
    name: str
    short: str
    help: str = ""
    severity: Severity = "medium"
    help_uri: str | None = None
    citations: tuple[Citation, ...] = ()
    source: Literal["policy", "inspect", "identify", "equipment"] = "policy"


class ScanResult(Record):
    schema_version: str = SCHEMA_VERSION
    tool_version: str
    catalog_version: str
    packs: tuple[PackRef, ...] = ()
    target: str
    context: Context = Context()
    started: str = ""
    finished: str = ""
    evidence: tuple[Evidence, ...] = ()
    assets: tuple[Asset, ...] = ()
    findings: tuple[Finding, ...] = ()
    inspections: tuple[Inspection, ...] = ()
    decisions: tuple[Decision, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    rules: tuple[RuleInfo, ...] = ()
    notes: tuple[str, ...] = ()
    stats: dict[str, int] = Field(default_factory=dict)


def encode(result: ScanResult) -> bytes:
    # model_dump_json() is this call followed by a bytes -> str decode
    return ScanResult.__pydantic_serializer__.to_json(result)


def decode(data: bytes) -> ScanResult:
    return ScanResult.model_validate_json(data)
