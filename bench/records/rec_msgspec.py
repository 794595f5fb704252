"""The record shapes of src/tierguard/model.py (as of commit ab6d836) as msgspec Structs.

frozen=True, forbid_unknown_fields=True, kw_only=True (model.py has defaulted fields before required ones).
The computed ``id`` of Evidence, Asset and Finding is a field set in ``__post_init__`` (msgspec encodes
fields, not properties; ``__post_init__`` also runs on decode, so an ``id`` read from JSON is recomputed,
never trusted). msgspec does not validate on construction, only on decode (types are checked by mypy).
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal

import msgspec
from msgspec.structs import force_setattr

SCHEMA_VERSION = "1.0.0"
Strength = Literal["A", "B", "C"]
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


def stable_id(prefix: str, *parts: object) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(str(p).encode("utf-8", "surrogateescape"))
        h.update(b"\x1f")
    return f"{prefix}-{h.hexdigest()[:16]}"


class Record(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Options other than kw_only are inherited; kw_only applies per class, so every record repeats it."""

    pass


class Location(Record, frozen=True, kw_only=True):
    path: str
    line: int | None = None
    column: int | None = None
    member: str | None = None


class Evidence(Record, frozen=True, kw_only=True):
    detector: str
    kind: str
    value: str
    strength: Strength
    location: Location
    excerpt: str = ""
    refs: dict[str, str] = msgspec.field(default_factory=dict)
    attributes: dict[str, str] = msgspec.field(default_factory=dict)
    id: str = ""

    def __post_init__(self) -> None:
        loc = self.location
        force_setattr(
            self, "id", stable_id("ev", self.detector, self.kind, self.value, loc.path, loc.member or "")
        )


class ProducerRef(Record, frozen=True, kw_only=True):
    id: str
    name: str
    jurisdiction: str
    role: Role = "producer"


class LineageEdge(Record, frozen=True, kw_only=True):
    relation: LineageRelation
    base: str
    base_producer: ProducerRef | None = None
    source: str = ""


class IdentMethod(Record, frozen=True, kw_only=True):
    technique: Technique
    confidence: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
    value: str = ""


class Provenance(Record, frozen=True, kw_only=True):
    producers: tuple[ProducerRef, ...] = ()
    service_operator: ProducerRef | None = None
    service_jurisdiction: str | None = None
    lineage: tuple[LineageEdge, ...] = ()
    methods: tuple[IdentMethod, ...] = ()


class Asset(Record, frozen=True, kw_only=True):
    kind: AssetKind
    name: str
    use_mode: UseMode = "unknown"
    provenance: Provenance = Provenance()
    evidence: tuple[Evidence, ...] = ()
    parent: str | None = None
    attributes: dict[str, str] = msgspec.field(default_factory=dict)
    id: str = ""

    def __post_init__(self) -> None:
        force_setattr(
            self, "id", stable_id("as", self.kind, self.name.lower(), self.use_mode, self.parent or "")
        )


class Finding(Record, frozen=True, kw_only=True):
    rule_id: str
    severity: Severity
    message: str
    location: Location
    asset_id: str | None = None
    attributes: dict[str, str] = msgspec.field(default_factory=dict)
    id: str = ""

    def __post_init__(self) -> None:
        loc = self.location
        subject = self.attributes.get("subject", self.message)
        force_setattr(self, "id", stable_id("fi", self.rule_id, loc.path, loc.member or "", subject))


class Inspection(Record, frozen=True, kw_only=True):
    location: Location
    format: str
    status: InspectionStatus
    reason: str = ""
    bytes_read: int = 0


class Citation(Record, frozen=True, kw_only=True):
    instrument: str
    date: str
    url: str
    verify: bool = False


class RuleMatch(Record, frozen=True, kw_only=True):
    pack: str
    pack_version: str
    rule_id: str
    verdict: Verdict
    severity: Severity
    reason: str
    citation: Citation


class Waiver(Record, frozen=True, kw_only=True):
    id: str
    justification: str
    owner: str
    approval: str
    expires: str
    asset_id: str | None = None
    rule_id: str | None = None


class Decision(Record, frozen=True, kw_only=True):
    asset_id: str
    verdict: Verdict
    matches: tuple[RuleMatch, ...] = ()
    waived_by: Waiver | None = None
    notes: tuple[str, ...] = ()


class Skipped(Record, frozen=True, kw_only=True):
    path: str
    reason: str
    detail: str = ""


class Context(Record, frozen=True, kw_only=True):
    country: str | None = None
    state: str | None = None
    sector: Literal["government", "critical-infrastructure", "general"] = "general"
    use: Literal["hosted-api", "self-hosted", "any"] = "any"
    device_class: str | None = None
    data_sensitivity: str | None = None
    date: str | None = None
    profile: str | None = None


class PackRef(Record, frozen=True, kw_only=True):
    id: str
    version: str


class RuleInfo(Record, frozen=True, kw_only=True):
    id: str
    name: str
    short: str
    help: str = ""
    severity: Severity = "medium"
    help_uri: str | None = None
    citations: tuple[Citation, ...] = ()
    source: Literal["policy", "inspect", "identify", "equipment"] = "policy"


class ScanResult(Record, frozen=True, kw_only=True):
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
    stats: dict[str, int] = msgspec.field(default_factory=dict)


_ENCODER = msgspec.json.Encoder()
_DECODER: msgspec.json.Decoder[ScanResult] | None = None


def encode(result: ScanResult) -> bytes:
    return _ENCODER.encode(result)


def decode(data: bytes) -> ScanResult:
    global _DECODER
    if _DECODER is None:  # built on first use, like pydantic's deferred schemas
        _DECODER = msgspec.json.Decoder(ScanResult)
    return _DECODER.decode(data)
