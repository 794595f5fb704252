"""The result model: frozen, typed records that flow through the pipeline.

target -> Evidence (discover) -> Asset + Provenance (identify) -> Finding (inspect) -> Decision (policy)
-> ScanResult (report/store/serve).

Records are msgspec Structs (frozen, keyword-only, unknown fields rejected when decoded). msgspec was chosen
over pydantic for the records by measurement (bench/records/README.md): defining these classes with pydantic
cost ~0.14 s of every process start, more than a whole picklescan run; msgspec costs a few milliseconds and
encodes/decodes faster. Files a user writes (catalog, packs, waivers, configs) are still validated with
pydantic where line-precise error messages matter.

Immutability: sequences are tuples; the few string maps are :class:`StrMap` (a dict that refuses mutation);
per-kind asset details are typed Structs (:class:`ModelDetails`, :class:`ServiceDetails`,
:class:`SdkDetails`, :class:`DeviceDetails`).

Identity: every record with an ``id`` derives it from identity fields only (never line numbers, absolute
paths or timestamps), so baselines, waivers and golden files stay stable across machines and edits. The id
is recomputed whenever a record is built or decoded; an ``id`` read from a file is never trusted.

size: every record of the published JSON schema lives here (report/schema/scan-result-*.json is generated
from this one module), so the schema reads top to bottom in one place.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, TypeVar

import msgspec
from msgspec.structs import force_setattr, replace

SCHEMA_VERSION = "3.1.0"
MAX_DRIVERS = 20  # usages a decision names (the rest are counted in its notes)

Strength = Literal["A", "B", "C"]
"""A: strong (PRC host literal, SDK import or dependency, provider env key); B: model reference in a model
context; C: mention (docs, enums, price lists, test cassettes). C never yields deny."""

STRENGTH_ORDER: dict[str, int] = {"A": 3, "B": 2, "C": 1}

AssetKind = Literal[
    "ai-model",  # a model, referenced by name or present as an artifact
    "ai-service",  # a hosted AI API endpoint the code talks to
    "ai-app",  # an installed AI app or browser extension (a provider's consumer app) on a device
    "sdk-dependency",  # an AI provider SDK or integration package declared or imported
    "hardware-device",  # a physical/virtual device in a host inventory
    "operating-system",
    "system-software",
]

UseMode = Literal["hosted-api", "consumer-app", "self-hosted", "dependency", "unknown"]
"""hosted-api: code calls a provider's API; consumer-app: a person uses the provider's app, web chat or
browser extension (installed on a device, or seen in network egress); self-hosted: weights run on own
hardware; dependency: a package is declared or imported."""
USE_MODE_ORDER: dict[str, int] = {
    "hosted-api": 4,
    "consumer-app": 3,
    "self-hosted": 2,
    "dependency": 1,
    "unknown": 0,
}
"""Tie-break when an asset's usages of one strength differ in use mode (the summary ``Asset.use_mode``)."""
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


class StrMap(dict[str, str]):
    """A string-to-string map that refuses mutation (so a frozen record stays frozen all the way down).
    Encodes as a JSON object. Build a changed copy with ``StrMap({**m, "k": "v"})``."""

    __slots__ = ()

    def _immutable(self, *args: object, **kwargs: object) -> Any:
        raise TypeError("StrMap is immutable; build a new one")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _immutable

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items())))

    def __copy__(self) -> StrMap:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> StrMap:
        return self


EMPTY = StrMap()


def _freeze(value: Mapping[str, str] | None) -> StrMap:
    if isinstance(value, StrMap):
        return value
    return StrMap(value) if value else EMPTY


R = TypeVar("R", bound="Record")


class Record(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, omit_defaults=False):
    """Base of every record: immutable, keyword-only, unknown fields rejected when decoded.

    The ``model_*`` methods keep the small API the rest of the code uses (copy with changes, dump to JSON
    types, validate from JSON types or bytes, JSON Schema)."""

    _maps: ClassVar[tuple[str, ...]] = ()  # string-map fields, frozen into StrMap on construction and decode

    def __post_init__(self) -> None:
        for name in self._maps:
            value = getattr(self, name)
            if not isinstance(value, StrMap):
                force_setattr(self, name, _freeze(value))

    def model_copy(self: R, *, update: Mapping[str, Any] | None = None) -> R:
        return replace(self, **(update or {}))

    def model_dump(self, *, mode: str = "json", exclude_none: bool = False) -> dict[str, Any]:
        """JSON types (``mode`` is accepted for compatibility; the dump is always JSON-ready)."""
        out: dict[str, Any] = msgspec.to_builtins(self)
        if exclude_none:
            out = {k: v for k, v in out.items() if v is not None}
        return out

    def model_dump_json(self, *, indent: int | None = None) -> str:
        raw = msgspec.json.encode(self)
        if indent:
            raw = msgspec.json.format(raw, indent=indent)
        return raw.decode("utf-8")

    @classmethod
    def model_validate(cls: type[R], obj: Any) -> R:
        """Build from JSON types (dicts, lists, str ...); raises :class:`msgspec.ValidationError`."""
        return msgspec.convert(obj, cls)

    @classmethod
    def model_validate_json(cls: type[R], data: str | bytes) -> R:
        return msgspec.json.decode(data, type=cls)

    @classmethod
    def model_json_schema(cls, *, mode: str = "serialization") -> dict[str, Any]:
        schema: dict[str, Any] = msgspec.json.schema(cls)
        return schema


ValidationError = msgspec.ValidationError
RecordError = msgspec.MsgspecError
"""Base of every error raised when decoding or validating a record (invalid JSON, wrong types)."""


class Location(Record, frozen=True, kw_only=True):
    """Where something was seen. ``path`` is relative to the target root, POSIX separators.

    ``member`` names a path inside a container (wheel, zip, image layer) when ``path`` is the container;
    nested containers are joined with ``!`` (``b.tar!c.pkl``).
    """

    path: str
    line: int | None = None
    column: int | None = None
    member: str | None = None

    def display(self) -> str:
        s = self.path if self.member is None else f"{self.path}!{self.member}"
        return s if self.line is None else f"{s}:{self.line}"


class Evidence(Record, frozen=True, kw_only=True):
    """One observation made by a detector. ``kind`` says what was seen; ``value`` is the normalised match.

    kinds: endpoint, sdk-import, package-dependency, env-key, framework-class, model-ref, router-prefix,
    mention, model-artifact, tokenizer, device, os, package, installed-app (app inventories), egress
    (network logs).
    ``refs`` link the observation to catalog entries, e.g. {"producer": "deepseek", "endpoint": "..."}.
    """

    _maps: ClassVar[tuple[str, ...]] = ("refs", "attributes")

    detector: str
    kind: str
    value: str
    strength: Strength
    location: Location
    excerpt: str = ""
    refs: Mapping[str, str] = EMPTY
    attributes: Mapping[str, str] = EMPTY
    id: str = ""

    def __post_init__(self) -> None:
        Record.__post_init__(self)
        loc = self.location
        force_setattr(
            self, "id", stable_id("ev", self.detector, self.kind, self.value, loc.path, loc.member or "")
        )


class ProducerRef(Record, frozen=True, kw_only=True):
    """An organisation in a provenance record, with its role for this asset."""

    id: str
    name: str
    jurisdiction: str  # ISO 3166-1 alpha-2, upper case; "XX" when unknown
    role: Literal["producer", "trainer", "base-producer", "operator", "manufacturer", "packager"] = "producer"


class LineageEdge(Record, frozen=True, kw_only=True):
    relation: LineageRelation
    base: str  # the base model's canonical name, e.g. "meta-llama/Llama-3.3-70B-Instruct"
    base_producer: ProducerRef | None = None
    source: str = ""  # which method asserted the edge (card, gguf metadata, catalog ...)


class IdentMethod(Record, frozen=True, kw_only=True):
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
    confidence: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
    value: str = ""  # what the method looked at / concluded


class Provenance(Record, frozen=True, kw_only=True):
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


# ---- per-kind asset details -------------------------------------------------------------------------


class ModelDetails(Record, frozen=True, kw_only=True, omit_defaults=True, tag="model", tag_field="type"):
    """An AI model. Code references fill ``family`` (catalog family) and how the model was named; artifacts
    on disk fill the artifact fields (``path``, ``format``, ``status`` ...)."""

    family: str | None = None  # catalog model-family id
    canonical_id: str | None = None  # canonical model id where the catalog knows it
    parameters: str | None = None  # parameter count where known ("70B")
    default_model: bool = False  # the model a framework class uses when code names none
    via_class: str | None = None  # that framework class
    matched_via: str | None = None  # how the name was matched (alias, router prefix ...)
    router: str | None = None  # "router:prefix" when named through a router prefix
    # artifact identification (model files on disk / in archives)
    path: str | None = None  # display location of the artifact unit (``a.zip!b/model.gguf``)
    format: str | None = None  # safetensors, gguf, pytorch-zip, onnx ...
    status: Literal["complete", "incomplete", "format-only"] | None = None
    reason: str = ""  # why identification is incomplete
    identified: bool = True  # False: an artifact with findings but no identification
    bytes_read: int = 0
    files: int = 0
    locations: int = 1  # places the same identified artifact was found
    sha256: str | None = None
    hf_repo: str | None = None
    hf_revision: str | None = None
    architecture: str | None = None
    structure: str | None = None  # architecture family shown by the tensor layout
    tokenizer_family: str | None = None
    # the framework that exported the file (ONNX producer_name, graph naming, TFLite converter): a lineage /
    # framework signal, never the model's producer (who trained the weights is in provenance.producers)
    framework: str | None = None  # e.g. "PaddlePaddle"
    framework_producer: str | None = None  # catalog producer id of the framework's organisation ("baidu")
    framework_jurisdiction: str | None = None  # that organisation's jurisdiction ("CN")
    notes: str = ""


class ServiceDetails(Record, frozen=True, kw_only=True, omit_defaults=True, tag="service", tag_field="type"):
    """A hosted AI service the code talks to."""

    operator: str | None = None  # catalog producer id of the operator
    host: str | None = None  # the host the code names
    endpoint: str | None = None  # the catalog endpoint matched (host + path prefix)
    region: str | None = None
    router: str | None = None  # the router a model id named this service through (bedrock, litellm ...)


class SdkDetails(Record, frozen=True, kw_only=True, omit_defaults=True, tag="sdk", tag_field="type"):
    """An AI SDK or integration package."""

    ecosystem: str  # pypi, npm, go, maven
    package: str
    version: str | None = None
    package_kind: str | None = None  # sdk, integration, ...


class DeviceDetails(Record, frozen=True, kw_only=True, omit_defaults=True, tag="device", tag_field="type"):
    """A hardware device, operating system or system package in a host inventory. ``ids`` holds the
    source's own identifiers (PCI/USB vendor and device ids, DMI strings, CPU ids, MAC ...)."""

    _maps: ClassVar[tuple[str, ...]] = ("ids",)

    host: str
    bus: str = ""
    source: str = ""  # probe, osquery, inventory, snmp
    site: str | None = None
    count: int = 1
    prc: Literal["yes", "no", "ambiguous", "unknown"] = "unknown"
    producer: str | None = None
    jurisdiction: str | None = None
    ids: Mapping[str, str] = EMPTY


AssetDetails = ModelDetails | ServiceDetails | SdkDetails | DeviceDetails


class Usage(Record, frozen=True, kw_only=True, omit_defaults=True):
    """One place an asset is used, and how: the location, the use mode there, the service the use goes
    through (its name, operator and the operator's jurisdiction) and the strength of the evidence.

    An asset (one canonical model, one service, one package) holds every usage; the policy engine evaluates
    each distinct (use mode, service jurisdiction, strength) among them, so a model used through a PRC API
    in one file and self-hosted in another is judged on both."""

    location: Location
    use_mode: UseMode
    strength: Strength
    as_written: str = ""  # the name as the code wrote it (an alias of the asset's canonical name)
    service: str | None = None  # the service asset's name (``DeepSeek API``, ``Amazon Bedrock``)
    operator: str | None = None  # catalog producer id of the service operator
    service_jurisdiction: str | None = None
    evidence: str = ""  # the id of the evidence record
    excerpt: str = ""
    # who and when, for usages found in inventories and logs (an app on a device, egress from a client)
    host: str | None = None  # the device or client: host name, or IP address when that is all a log has
    user: str | None = None  # the device owner or the user the log names
    count: int = 1  # observations folded into this usage (log lines, inventory rows)
    first_seen: str | None = None  # ISO 8601, UTC where the source says so
    last_seen: str | None = None

    @property
    def group_key(self) -> tuple[UseMode, str | None, Strength]:
        """What rules tell usages apart by: (use mode, service jurisdiction when a service operator is known,
        strength). The policy engine judges one group per key; :meth:`Decision.usage_verdict` finds it."""
        return (
            self.use_mode,
            self.service_jurisdiction if self.operator is not None else None,
            self.strength,
        )

    def display(self) -> str:
        """``path:line  use-mode [via service]``."""
        via = f" via {self.service}" if self.service else ""
        who = f" on {self.host}" if self.host else ""
        who += f" by {self.user}" if self.user else ""
        return f"{self.location.display()}  {self.use_mode}{via}{who}"


def summary_use_mode(usages: tuple[Usage, ...], default: UseMode = "unknown") -> UseMode:
    """The use mode an asset is listed under: that of its strongest usage (hosted-api > self-hosted >
    dependency > unknown among equals). Decisions never rely on it: they evaluate every usage."""
    best: Usage | None = None
    for u in usages:
        if best is None or (STRENGTH_ORDER[u.strength], USE_MODE_ORDER[u.use_mode]) > (
            STRENGTH_ORDER[best.strength],
            USE_MODE_ORDER[best.use_mode],
        ):
            best = u
    return best.use_mode if best is not None else default


class Asset(Record, frozen=True, kw_only=True):
    """Something the organisation relies on: one canonical model, one service (operator product), one
    package, one device. Identity is (kind, canonical name, parent): never the use mode, so every way the
    same thing is used lands on one asset. ``usages`` say where and how (use mode, service); ``aliases`` the
    other names it was written as; ``use_mode`` summarises the usages (see :func:`summary_use_mode`);
    ``evidence`` keeps every observation; ``details`` are typed per kind."""

    kind: AssetKind
    name: str
    use_mode: UseMode = "unknown"
    provenance: Provenance = Provenance()
    evidence: tuple[Evidence, ...] = ()
    usages: tuple[Usage, ...] = ()
    aliases: tuple[str, ...] = ()
    parent: str | None = None  # e.g. the package that ships a bundled model, or the host of a device
    details: AssetDetails | None = None
    id: str = ""

    def __post_init__(self) -> None:
        force_setattr(self, "id", stable_id("as", self.kind, self.name.lower(), self.parent or ""))

    @property
    def strength(self) -> Strength:
        """The strongest evidence for this asset (C when there is none)."""
        best = "C"
        for ev in self.evidence:
            if STRENGTH_ORDER[ev.strength] > STRENGTH_ORDER[best]:
                best = ev.strength
        return best  # type: ignore[return-value]

    def detail_items(self) -> tuple[tuple[str, str], ...]:
        """The details that are set, flattened to sorted (name, text) pairs (``ids.<key>`` for device ids),
        for reporters that list properties."""
        if self.details is None:
            return ()
        out: list[tuple[str, str]] = []
        for k, v in msgspec.to_builtins(self.details).items():
            if k == "type":
                continue
            if isinstance(v, dict):
                out += [(f"{k}.{kk}", str(vv)) for kk, vv in v.items()]
            else:
                out.append((k, str(v).lower() if isinstance(v, bool) else str(v)))
        return tuple(sorted(out))

    @property
    def version(self) -> str | None:
        """The version of an SDK package or of an inventoried OS/package, where known."""
        d = self.details
        if isinstance(d, SdkDetails):
            return d.version
        if isinstance(d, DeviceDetails):
            return d.ids.get("version") or None
        return None

    @property
    def artifact_path(self) -> str | None:
        """Where a model artifact sits (display form), for model assets identified from files."""
        d = self.details
        return d.path if isinstance(d, ModelDetails) else None


class Finding(Record, frozen=True, kw_only=True):
    """A safety finding from the inspect stage (or a contradiction from identify). ``subject`` is what the
    finding is about (the import, member or key) and part of its identity; ``attributes`` carry detail
    (offset, stream, opcode ...)."""

    _maps: ClassVar[tuple[str, ...]] = ("attributes",)

    rule_id: str
    severity: Severity
    message: str
    location: Location
    subject: str = ""
    asset_id: str | None = None
    attributes: Mapping[str, str] = EMPTY
    id: str = ""

    def __post_init__(self) -> None:
        Record.__post_init__(self)
        loc = self.location
        force_setattr(
            self,
            "id",
            stable_id("fi", self.rule_id, loc.path, loc.member or "", self.subject or self.message),
        )


class Inspection(Record, frozen=True, kw_only=True):
    """The outcome of inspecting one artifact. ``incomplete``/``not-inspected`` are never "clean"."""

    location: Location
    format: str
    status: InspectionStatus
    reason: str = ""
    bytes_read: int = 0


InstrumentStatus = Literal[
    "proposal",
    "bill",
    "executive-order",
    "directive",
    "statute",
    "regulation",
    "guidance",
    "regulator-action",
    "rescinded",
    "tool-default",
]
"""What kind of instrument a policy rule rests on. Binding where in force: statute, regulation,
executive-order, directive (agency notices and memos). Not binding: proposal, bill, guidance,
regulator-action (a regulator's action addressed to a provider, e.g. a delisting request), rescinded.
tool-default: tierguard's own safety rules (fail closed without a context, unsafe artifacts)."""
BINDING_STATUSES: frozenset[str] = frozenset({"statute", "regulation", "executive-order", "directive"})
STATUS_LABELS: dict[str, str] = {
    "proposal": "proposal, not binding",
    "bill": "bill, not law",
    "executive-order": "executive order, binding",
    "directive": "directive, binding",
    "statute": "statute, binding",
    "regulation": "regulation, binding",
    "guidance": "guidance, not binding",
    "regulator-action": "regulator action, not binding on users",
    "rescinded": "rescinded, historical",
    "tool-default": "tierguard default",
}


def status_label(status: str | None) -> str:
    """``statute, binding``, ``proposal, not binding`` ... for reports (``status unknown`` for None)."""
    return STATUS_LABELS.get(status or "", f"status {status or 'unknown'}")


class Citation(Record, frozen=True, kw_only=True):
    instrument: str
    date: str  # ISO date (YYYY-MM-DD, or YYYY-MM where only the month is known)
    url: str
    verify: bool = False  # True when the source is secondary and unverified
    status: InstrumentStatus | None = None  # the instrument's status (None: not a policy rule's citation)
    effective: str | None = None  # in force from (ISO date); None: from ``date`` or not known
    sunset: str | None = None  # no longer in force after (ISO date)


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


class UsageVerdict(Record, frozen=True, kw_only=True):
    """The verdict on one group of an asset's usages that rules cannot tell apart: the same use mode, service
    jurisdiction and evidence strength (``DeepSeek-R1`` through the DeepSeek API: deny; through Amazon
    Bedrock: review; named in a README: review)."""

    use_mode: UseMode
    service_jurisdiction: str | None = None
    strength: Strength
    verdict: Verdict
    rules: tuple[str, ...] = ()  # ids of the rules that matched this group
    usages: int = 0  # how many usages are in the group
    locations: tuple[Location, ...] = ()  # the first MAX_DRIVERS of them


class Decision(Record, frozen=True, kw_only=True):
    """The verdict on one asset: the worst over its usage groups (``by_usage``). ``driven_by`` names the
    usages that gave it (their locations, at most :data:`MAX_DRIVERS`; empty for assets without usages,
    e.g. devices)."""

    asset_id: str
    verdict: Verdict
    matches: tuple[RuleMatch, ...] = ()
    waived_by: Waiver | None = None
    notes: tuple[str, ...] = ()
    driven_by: tuple[Location, ...] = ()
    by_usage: tuple[UsageVerdict, ...] = ()

    def usage_verdict(self, usage: Usage) -> UsageVerdict | None:
        """The verdict of the group ``usage`` was judged in (None for a decision without usage groups)."""
        key = usage.group_key
        return next(
            (g for g in self.by_usage if (g.use_mode, g.service_jurisdiction, g.strength) == key), None
        )

    @property
    def effective_verdict(self) -> Verdict:
        return "allow" if self.waived_by is not None else self.verdict


class Skipped(Record, frozen=True, kw_only=True):
    """A unit that was not (fully) read, with a machine-readable reason code and a human detail."""

    path: str
    reason: str  # e.g. unreadable, permission-denied, symlink-loop, binary, too-large, vendored, minified,
    # malformed, not-found, gitignored, timeout, incomplete, nested-archive
    detail: str = ""


class Context(Record, frozen=True, kw_only=True):
    """The deployment context decisions are made for."""

    country: str | None = None  # ISO 3166-1 alpha-2
    state: str | None = None  # ISO 3166-2, e.g. US-TX
    sector: Literal["government", "critical-infrastructure", "general"] = "general"
    use: Literal["hosted-api", "self-hosted", "any"] = "any"
    device_class: str | None = None
    data_sensitivity: str | None = None
    date: str | None = None  # evaluation date, ISO; None = today
    profile: str | None = None
    network: str | None = None  # class of the network egress logs come from (e.g. dod-network)
    binding_only: bool = False  # evaluate only instruments binding and in force (--binding-only)


class PackRef(Record, frozen=True, kw_only=True):
    id: str
    version: str


class RuleInfo(Record, frozen=True, kw_only=True):
    """Metadata of a rule (policy or inspection) for reporters: SARIF rules[], HTML, console."""

    id: str
    name: str
    short: str
    help: str = ""
    severity: Severity = "medium"
    help_uri: str | None = None
    citations: tuple[Citation, ...] = ()
    source: Literal["policy", "inspect", "identify", "equipment", "audit"] = "policy"


class Stats(Record, frozen=True, kw_only=True):
    """Counters of one scan. Fields a stage did not run for stay 0."""

    files_seen: int = 0
    files_parsed: int = 0
    bytes_read: int = 0
    evidence: int = 0
    assets: int = 0
    findings: int = 0
    inspections: int = 0
    skipped: int = 0
    elapsed_ms: int = 0
    # equipment inventories
    hosts: int = 0
    hosts_with_prc: int = 0
    components: int = 0
    prc_components: int = 0
    unusable_records: int = 0

    def items(self) -> list[tuple[str, int]]:
        """(name, value) of every counter, in field order."""
        return [(name, getattr(self, name)) for name in self.__struct_fields__]


Stage = Literal["discover", "identify", "inspect", "equipment", "apps", "egress", "cloud", "audit", "policy"]


# ---- behavioural audit of a served model (tierguard audit; see tierguard.audit) ------------------------


class AuditRate(Record, frozen=True, kw_only=True):
    """``k`` of ``n`` judged responses of ``model`` had ``label`` in one slice (suite, topic, language;
    ``*`` = all), with the 95 % Wilson interval."""

    model: str
    suite: str
    topic: str = "*"
    lang: str = "*"
    variant: str = "*"  # code suites: neutral | trigger
    label: str
    k: int
    n: int
    rate: float
    low: float
    high: float


class AuditComparison(Record, frozen=True, kw_only=True):
    """A significance test between two sets of responses: the audited model against the reference model on
    the same probes (paired: McNemar), or trigger against neutral variants of the same coding tasks."""

    suite: str
    label: str
    test: str  # mcnemar, two-proportion ...
    a: str  # what ``rate_a`` is of (a model name, "trigger")
    b: str
    rate_a: float
    rate_b: float
    n: int  # pairs (paired tests) or responses in both groups
    p_value: float
    significant: bool  # p < 0.05


class AuditTranscript(Record, frozen=True, kw_only=True):
    """One probe and its answer (bounded text; kept as data, never rendered as markup)."""

    model: str
    suite: str
    probe_id: str
    topic: str = ""
    lang: str = ""
    variant: str = ""
    prompt: str = ""
    response: str = ""
    status: Literal["ok", "error", "incomplete"] = "ok"
    error: str = ""
    label: str = ""
    reasons: tuple[str, ...] = ()
    served_model: str | None = None
    cached: bool = False
    latency_ms: int = 0


class Audit(Record, frozen=True, kw_only=True):
    """What ``tierguard audit`` measured: the endpoint and model asked, the models the endpoint said it
    served, the deterministic sampling settings, the suites (``id@version``), budgets used, and whether every
    probe was answered (``complete``; ``stopped`` says why not)."""

    endpoint: str  # without credentials
    model: str
    served_models: tuple[str, ...] = ()
    reference_endpoint: str | None = None
    reference_model: str | None = None
    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 0
    seed: int = 0
    suites: tuple[str, ...] = ()
    complete: bool = True
    stopped: str = ""
    requests: int = 0
    cached: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    rates: tuple[AuditRate, ...] = ()
    comparisons: tuple[AuditComparison, ...] = ()
    transcripts: tuple[AuditTranscript, ...] = ()


class ScanResult(Record, frozen=True, kw_only=True):
    """What every command produces: ``scan`` (all stages over a target), ``inspect`` (the inspect stage),
    ``host`` (equipment), ``audit`` (a served model's behaviour: ``audit``). ``stages`` names the stages
    that ran."""

    schema_version: str = SCHEMA_VERSION
    tool_version: str
    catalog_version: str
    command: Literal["scan", "inspect", "host", "audit"] = "scan"
    stages: tuple[Stage, ...] = ()
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
    stats: Stats = Stats()
    audit: Audit | None = None

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
