"""The result model: frozen, typed records that flow through the pipeline.

target -> Evidence (discover) -> Asset + Provenance (identify) -> Finding (inspect) -> Decision (policy)
-> ScanResult (report/store/serve).

Identity: every record with an ``id`` derives it from identity fields only (never line numbers, absolute
paths or timestamps), so baselines, waivers and golden files stay stable across machines and edits.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

SCHEMA_VERSION = "1.0.0"

Strength = Literal["A", "B", "C"]
"""A: strong (PRC host literal, SDK import or dependency, provider env key); B: model reference in a model
context; C: mention (docs, enums, price lists, test cassettes). C never yields deny."""

STRENGTH_ORDER: dict[str, int] = {"A": 3, "B": 2, "C": 1}

AssetKind = Literal[
    "ai-model",  # a model, referenced by name or present as an artifact
    "ai-service",  # a hosted AI API endpoint the code talks to
    "sdk-dependency",  # an AI provider SDK or integration package declared or imported
    "hardware-device",  # a physical/virtual device in a host inventory
    "operating-system",
    "system-software",
]

UseMode = Literal["hosted-api", "self-hosted", "dependency", "unknown"]
Severity = Literal["info", "low", "medium", "high", "critical"]
SEVERITY_ORDER: dict[str, int] = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
Verdict = Literal["allow", "review", "deny"]
VERDICT_ORDER: dict[str, int] = {"allow": 0, "review": 1, "deny": 2}
LineageRelation = Literal["finetune", "quantized", "merge", "adapter", "distill", "unknown"]
InspectionStatus = Literal["clean", "findings", "incomplete", "not-inspected"]


def stable_id(prefix: str, *parts: object) -> str:
    """A short, stable identifier from identity fields: ``prefix-<16 hex>``."""
    h = hashlib.sha256()
    for p in parts:
        h.update(str(p).encode("utf-8", "surrogateescape"))
        h.update(b"\x1f")
    return f"{prefix}-{h.hexdigest()[:16]}"


class Record(BaseModel):
    """Base of every record: immutable, strict about unknown fields except computed ``id``."""

    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)


class Location(Record):
    """Where something was seen. ``path`` is relative to the target root, POSIX separators.

    ``member`` names a path inside a container (wheel, zip, image layer) when ``path`` is the container.
    """

    path: str
    line: int | None = None
    column: int | None = None
    member: str | None = None

    def display(self) -> str:
        s = self.path if self.member is None else f"{self.path}!{self.member}"
        return s if self.line is None else f"{s}:{self.line}"


class Evidence(Record):
    """One observation made by a detector. ``kind`` says what was seen; ``value`` is the normalised match.

    kinds: endpoint, sdk-import, package-dependency, env-key, framework-class, model-ref, router-prefix,
    mention, model-artifact, tokenizer, device, os, package.
    ``refs`` link the observation to catalog entries, e.g. {"producer": "deepseek", "endpoint": "..."}.
    """

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
    """An organisation in a provenance record, with its role for this asset."""

    id: str
    name: str
    jurisdiction: str  # ISO 3166-1 alpha-2, upper case; "XX" when unknown
    role: Literal["producer", "trainer", "base-producer", "operator", "manufacturer", "packager"] = "producer"


class LineageEdge(Record):
    relation: LineageRelation
    base: str  # the base model's canonical name, e.g. "meta-llama/Llama-3.3-70B-Instruct"
    base_producer: ProducerRef | None = None
    source: str = ""  # which method asserted the edge (card, gguf metadata, catalog ...)


class IdentMethod(Record):
    """How an identification was made; technique names follow CycloneDX 1.6 evidence techniques."""

    technique: Literal[
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
    confidence: float = Field(ge=0.0, le=1.0)
    value: str = ""  # what the method looked at / concluded


class Provenance(Record):
    producers: tuple[ProducerRef, ...] = ()
    service_operator: ProducerRef | None = None
    service_jurisdiction: str | None = None  # where the endpoint's operator is subject to law
    lineage: tuple[LineageEdge, ...] = ()
    methods: tuple[IdentMethod, ...] = ()

    @property
    def jurisdictions(self) -> frozenset[str]:
        """Every jurisdiction reachable from this provenance: producers, lineage bases, operator."""
        out = {p.jurisdiction for p in self.producers}
        out |= {e.base_producer.jurisdiction for e in self.lineage if e.base_producer is not None}
        if self.service_jurisdiction:
            out.add(self.service_jurisdiction)
        return frozenset(out)


class Asset(Record):
    """Something the organisation relies on. One asset per (kind, name, use_mode, parent); every place it was
    seen is in ``evidence``."""

    kind: AssetKind
    name: str
    use_mode: UseMode = "unknown"
    provenance: Provenance = Provenance()
    evidence: tuple[Evidence, ...] = ()
    parent: str | None = None  # e.g. the package that ships a bundled model, or the host of a device
    attributes: dict[str, str] = Field(default_factory=dict)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def id(self) -> str:
        return stable_id("as", self.kind, self.name.lower(), self.use_mode, self.parent or "")

    @property
    def strength(self) -> Strength:
        """The strongest evidence for this asset (C when there is none)."""
        best = "C"
        for ev in self.evidence:
            if STRENGTH_ORDER[ev.strength] > STRENGTH_ORDER[best]:
                best = ev.strength
        return best  # type: ignore[return-value]


class Finding(Record):
    """A safety finding from the inspect stage (or a contradiction from identify)."""

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
        return stable_id(
            "fi", self.rule_id, loc.path, loc.member or "", self.attributes.get("subject", self.message)
        )


class Inspection(Record):
    """The outcome of inspecting one artifact. ``incomplete``/``not-inspected`` are never "clean"."""

    location: Location
    format: str
    status: InspectionStatus
    reason: str = ""
    bytes_read: int = 0


class Citation(Record):
    instrument: str
    date: str  # ISO date (YYYY-MM-DD, or YYYY-MM where only the month is known)
    url: str
    verify: bool = False  # True when the source is secondary and unverified


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

    @property
    def effective_verdict(self) -> Verdict:
        return "allow" if self.waived_by is not None else self.verdict


class Skipped(Record):
    """A unit that was not (fully) read, with a machine-readable reason code and a human detail."""

    path: str
    reason: str  # e.g. unreadable, permission-denied, symlink-loop, binary, too-large, vendored, minified,
    # malformed, not-found, gitignored, timeout
    detail: str = ""


class Context(Record):
    """The deployment context decisions are made for."""

    country: str | None = None  # ISO 3166-1 alpha-2
    state: str | None = None  # ISO 3166-2, e.g. US-TX
    sector: Literal["government", "critical-infrastructure", "general"] = "general"
    use: Literal["hosted-api", "self-hosted", "any"] = "any"
    device_class: str | None = None
    data_sensitivity: str | None = None
    date: str | None = None  # evaluation date, ISO; None = today
    profile: str | None = None


class PackRef(Record):
    id: str
    version: str


class RuleInfo(Record):
    """Metadata of a rule (policy or inspection) for reporters: SARIF rules[], HTML, console."""

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

    def asset(self, asset_id: str) -> Asset | None:
        for a in self.assets:
            if a.id == asset_id:
                return a
        return None

    def worst_verdict(self) -> Verdict:
        worst: Verdict = "allow"
        for d in self.decisions:
            v = d.effective_verdict
            if VERDICT_ORDER[v] > VERDICT_ORDER[worst]:
                worst = v
        return worst
