"""The record shapes of src/tierguard/model.py (as of commit ab6d836) as stdlib frozen, slotted dataclasses.

Encoding: a hand-written recursive to-dict (tuples -> lists, computed ``id`` added) then ``json.dumps``.
Decoding: ``json.loads`` then a hand-written validating from-dict: converters compiled once per class from
its type hints (on first decode) check every type, Literal and range, reject unknown keys and missing
required fields, and rebuild tuples. A read ``id`` of Evidence/Asset/Finding is ignored (recomputed).
Dataclasses do not validate on construction (types are checked by mypy).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeVar

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

record = dataclass(frozen=True, slots=True, kw_only=True)


class Range:
    """``Annotated`` metadata: inclusive numeric bounds checked on decode."""

    def __init__(self, ge: float, le: float) -> None:
        self.ge, self.le = ge, le


def stable_id(prefix: str, *parts: object) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(str(p).encode("utf-8", "surrogateescape"))
        h.update(b"\x1f")
    return f"{prefix}-{h.hexdigest()[:16]}"


@record
class Location:
    path: str
    line: int | None = None
    column: int | None = None
    member: str | None = None


@record
class Evidence:
    detector: str
    kind: str
    value: str
    strength: Strength
    location: Location
    excerpt: str = ""
    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        loc = self.location
        return stable_id("ev", self.detector, self.kind, self.value, loc.path, loc.member or "")


@record
class ProducerRef:
    id: str
    name: str
    jurisdiction: str
    role: Role = "producer"


@record
class LineageEdge:
    relation: LineageRelation
    base: str
    base_producer: ProducerRef | None = None
    source: str = ""


@record
class IdentMethod:
    technique: Technique
    confidence: Annotated[float, Range(0.0, 1.0)]
    value: str = ""


@record
class Provenance:
    producers: tuple[ProducerRef, ...] = ()
    service_operator: ProducerRef | None = None
    service_jurisdiction: str | None = None
    lineage: tuple[LineageEdge, ...] = ()
    methods: tuple[IdentMethod, ...] = ()


@record
class Asset:
    kind: AssetKind
    name: str
    use_mode: UseMode = "unknown"
    provenance: Provenance = Provenance()
    evidence: tuple[Evidence, ...] = ()
    parent: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return stable_id("as", self.kind, self.name.lower(), self.use_mode, self.parent or "")


@record
class Finding:
    rule_id: str
    severity: Severity
    message: str
    location: Location
    asset_id: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        loc = self.location
        subject = self.attributes.get("subject", self.message)
        return stable_id("fi", self.rule_id, loc.path, loc.member or "", subject)


@record
class Inspection:
    location: Location
    format: str
    status: InspectionStatus
    reason: str = ""
    bytes_read: int = 0


@record
class Citation:
    instrument: str
    date: str
    url: str
    verify: bool = False


@record
class RuleMatch:
    pack: str
    pack_version: str
    rule_id: str
    verdict: Verdict
    severity: Severity
    reason: str
    citation: Citation


@record
class Waiver:
    id: str
    justification: str
    owner: str
    approval: str
    expires: str
    asset_id: str | None = None
    rule_id: str | None = None


@record
class Decision:
    asset_id: str
    verdict: Verdict
    matches: tuple[RuleMatch, ...] = ()
    waived_by: Waiver | None = None
    notes: tuple[str, ...] = ()


@record
class Skipped:
    path: str
    reason: str
    detail: str = ""


@record
class Context:
    country: str | None = None
    state: str | None = None
    sector: Literal["government", "critical-infrastructure", "general"] = "general"
    use: Literal["hosted-api", "self-hosted", "any"] = "any"
    device_class: str | None = None
    data_sensitivity: str | None = None
    date: str | None = None
    profile: str | None = None


@record
class PackRef:
    id: str
    version: str


@record
class RuleInfo:
    id: str
    name: str
    short: str
    help: str = ""
    severity: Severity = "medium"
    help_uri: str | None = None
    citations: tuple[Citation, ...] = ()
    source: Literal["policy", "inspect", "identify", "equipment"] = "policy"


@record
class ScanResult:
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
    stats: dict[str, int] = field(default_factory=dict)


_COMPUTED_ID = (Evidence, Asset, Finding)
_NAMES: dict[type, tuple[str, ...]] = {}


def to_dict(obj: Any) -> Any:
    """Records -> dicts (computed ``id`` added), tuples -> lists, dicts copied; scalars as they are."""
    cls = type(obj)
    if cls is tuple:
        return [to_dict(x) for x in obj]
    if cls is dict:
        return {k: to_dict(v) for k, v in obj.items()}
    if cls in (str, int, float, bool) or obj is None:
        return obj
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in dataclasses.fields(obj))
    out = {n: to_dict(getattr(obj, n)) for n in names}
    if cls in _COMPUTED_ID:
        out["id"] = obj.id
    return out


def encode(result: ScanResult) -> bytes:
    return json.dumps(to_dict(result), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class DecodeError(ValueError):
    pass


Conv = Callable[[Any], Any]
T = TypeVar("T")
_FROM: dict[type, Conv] = {}


def _scalar(want: type) -> Conv:
    def conv(v: Any) -> Any:
        if type(v) is not want:
            raise DecodeError(f"expected {want.__name__}, got {type(v).__name__}")
        return v

    return conv


def _float(v: Any) -> float:
    if type(v) not in (int, float):
        raise DecodeError(f"expected float, got {type(v).__name__}")
    return float(v)


def _converter(tp: Any) -> Conv:
    """A checking converter for one annotation (the subset of typing the records use)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp in (str, int, bool):
        return _scalar(tp)
    if tp is float:
        return _float
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _record_converter(tp)
    if origin is Literal:
        allowed = frozenset(args)

        def lit(v: Any) -> Any:
            if type(v) is not str or v not in allowed:
                raise DecodeError(f"{v!r} not one of {sorted(allowed)}")
            return v

        return lit
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in args if a is not type(None)]
        if len(inner) != 1 or len(args) != 2:
            raise TypeError(f"unsupported union {tp}")
        sub = _converter(inner[0])
        return lambda v: None if v is None else sub(v)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = _converter(args[0])

        def tup(v: Any) -> tuple[Any, ...]:
            if type(v) is not list:
                raise DecodeError(f"expected array, got {type(v).__name__}")
            return tuple([item(x) for x in v])

        return tup
    if origin is dict and args[0] is str:
        val = _converter(args[1])

        def dct(v: Any) -> dict[str, Any]:
            if type(v) is not dict:
                raise DecodeError(f"expected object, got {type(v).__name__}")
            return {k: val(x) for k, x in v.items()}  # JSON keys are always str

        return dct
    if origin is Annotated:
        base = _converter(args[0])
        bounds = [m for m in tp.__metadata__ if isinstance(m, Range)]

        def ann(v: Any) -> Any:
            out = base(v)
            for b in bounds:
                if not b.ge <= out <= b.le:
                    raise DecodeError(f"{out} outside [{b.ge}, {b.le}]")
            return out

        return ann
    raise TypeError(f"unsupported annotation {tp}")


def _record_converter(cls: type) -> Conv:
    conv = _FROM.get(cls)
    if conv is not None:
        return conv
    fields: dict[str, Conv] = {}
    required: set[str] = set()

    def from_dict(v: Any) -> Any:
        if type(v) is not dict:
            raise DecodeError(f"{cls.__name__}: expected object, got {type(v).__name__}")
        kw = {}
        for k, x in v.items():
            c = fields.get(k)
            if c is None:
                if k == "id" and cls in _COMPUTED_ID:
                    continue  # recomputed, never trusted
                raise DecodeError(f"{cls.__name__}: unknown field {k!r}")
            kw[k] = c(x)
        if not required.issubset(kw):
            raise DecodeError(f"{cls.__name__}: missing {sorted(required - kw.keys())}")
        return cls(**kw)

    _FROM[cls] = from_dict  # before the fields: records nest
    hints = typing.get_type_hints(cls, include_extras=True)
    for f in dataclasses.fields(cls):
        fields[f.name] = _converter(hints[f.name])
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            required.add(f.name)
    return from_dict


def decode(data: bytes) -> ScanResult:
    out: ScanResult = _record_converter(ScanResult)(json.loads(data))
    return out
