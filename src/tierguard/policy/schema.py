"""The policy pack format: packs, frameworks (named, dated country tables), rules, example cases.

Rules are data written against provenance attributes (kind, use mode, producer ids, jurisdictions, lineage,
evidence strength, inspection outcomes); the engine contains no producer or country names.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from tierguard.errors import PolicyError
from tierguard.model import (
    AssetKind,
    InspectionStatus,
    InstrumentStatus,
    Severity,
    Strength,
    UseMode,
    Verdict,
)
from tierguard.policy.yamlsrc import load_yaml, raise_validation, read_text

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_JUR = re.compile(r"^[A-Z]{2}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")

Sector = Literal["government", "critical-infrastructure", "general"]
GovLevel = Literal["national", "state"]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _check_date(v: str) -> str:
    if not _DATE.match(v):
        raise ValueError("must be an ISO date YYYY-MM-DD (or YYYY-MM, YYYY)")
    return v


def _coerce_str(v: Any) -> Any:
    # YAML turns 2025-01-13 into a date; keep dates as ISO text
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return v


def _jurs(v: tuple[str, ...]) -> tuple[str, ...]:
    for j in v:
        if not _JUR.match(j):
            raise ValueError(f"{j!r} is not an ISO 3166-1 alpha-2 code in upper case")
    return v


Jurs = Annotated[tuple[str, ...], AfterValidator(_jurs)]
DateStr = Annotated[str, BeforeValidator(_coerce_str), AfterValidator(_check_date)]


class TierCondition(_Strict):
    """The context country's tier under a named framework, e.g. ai-diffusion-2025 tier 1."""

    framework: str
    tiers: tuple[str, ...] = Field(min_length=1)


class Scope(_Strict):
    """Conditions on the deployment context. Every given condition must hold; an empty scope always holds."""

    countries: Jurs = ()
    tier: TierCondition | None = None
    states: tuple[str, ...] = ()
    government_level: tuple[GovLevel, ...] = ()  # national: context has no state; state: it has one
    sectors: tuple[Sector, ...] = ()
    # device classes and networks: the rule applies when the context's device class or its network is
    # listed (either brings the rule into play; see docs/policy.md "Apps and egress")
    device_classes: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()
    data_sensitivity: tuple[str, ...] = ()
    use_modes: tuple[Literal["hosted-api", "self-hosted"], ...] = ()
    no_context: bool = False  # applies only when no deployment country is given (the fail-closed default)

    @property
    def jurisdictional(self) -> bool:
        """The rule needs the deployment country (directly, by state or by tier) to apply."""
        return bool(self.countries or self.states or self.tier is not None)

    @field_validator("states")
    @classmethod
    def _states(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for s in v:
            if not re.match(r"^[A-Z]{2}-[A-Z0-9]{1,3}$", s):
                raise ValueError(f"{s!r} is not an ISO 3166-2 code like US-TX")
        return v


class Match(_Strict):
    """Conditions on an asset. Every given condition must hold (lists: any member)."""

    kinds: tuple[AssetKind, ...] = ()
    use_modes: tuple[UseMode, ...] = ()
    producer_ids: tuple[str, ...] = ()
    producer_jurisdictions: Jurs = ()
    service_jurisdictions: Jurs = ()
    not_service_jurisdictions: Jurs = ()
    service_unknown: bool = False  # the asset's service operator/jurisdiction was not identified
    lineage_jurisdictions: Jurs = ()
    # the framework that exported a model file (ONNX/TFLite producer, graph naming), not who trained it
    framework_jurisdictions: Jurs = ()
    any_jurisdictions: Jurs = ()
    min_strength: Strength | None = None
    finding_severity: Severity | None = None  # some linked finding at or above this severity
    inspection_status: tuple[InspectionStatus, ...] = ()
    # findings linked to the asset by rule id (any of them), e.g. AUDIT-CODE-TRIGGER from ``tierguard audit``;
    # ``audited``: whether the asset carries any AUDIT-* finding (false: a model nobody has audited)
    finding_rules: tuple[str, ...] = ()
    audited: bool | None = None
    # installed apps the app catalog marks non-AI (RedNote, Lemon8, brokers: named by device-ban orders) match
    # only rules that say so; AI rules never treat them as AI
    non_ai_apps: bool = False

    @field_validator("producer_ids")
    @classmethod
    def _ids(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for s in v:
            if not _SLUG.match(s):
                raise ValueError(f"{s!r} is not a producer id (lowercase slug)")
        return v

    @model_validator(mode="after")
    def _not_empty(self) -> Match:
        names = [n for n in type(self).model_fields if n not in ("non_ai_apps", "audited")]
        if not any(getattr(self, name) for name in names) and self.audited is None:
            raise ValueError("a match needs at least one condition")
        return self


class Rule(_Strict):
    id: str
    title: str
    verdict: Verdict
    severity: Severity
    instrument: str
    status: InstrumentStatus  # what kind of instrument: required, shown beside every verdict
    date: DateStr
    url: str
    verify: bool = False
    effective: DateStr | None = None
    sunset: DateStr | None = None
    before_effective: Verdict | None = None  # verdict before ``effective`` (None: rule not applicable yet)
    verdict_by_use_mode: dict[UseMode, Verdict] = Field(default_factory=dict)
    scope: Scope = Scope()
    match: tuple[Match, ...] = Field(min_length=1)  # any of these
    reason: str
    note: str = ""

    @field_validator("match", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, dict) else v

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError("rule ids use letters, digits, '.', '_' and '-'")
        return v

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not (v.startswith("https://") or v.startswith("http://") or v.startswith("docs/")):
            raise ValueError("must be an http(s) URL or a docs/ path")
        return v


class Framework(_Strict):
    """A named, dated country table, e.g. the January 2025 AI-diffusion tiers."""

    id: str
    title: str
    instrument: str
    date: DateStr
    url: str
    verify: bool = False
    status: str = ""
    rescinded: DateStr | None = None
    tiers: dict[str, tuple[str, ...]]
    default_tier: str
    verify_tiers: tuple[str, ...] = ()  # tiers whose membership rests on an unverified source

    @field_validator("tiers")
    @classmethod
    def _tiers(cls, v: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        seen: dict[str, str] = {}
        for tier, codes in v.items():
            _jurs(tuple(codes))
            for c in codes:
                if c in seen:
                    raise ValueError(f"{c} is in tier {seen[c]} and tier {tier}")
                seen[c] = tier
        return v

    def tier_of(self, country: str) -> str:
        for tier, codes in self.tiers.items():
            if country in codes:
                return tier
        return self.default_tier


class ExampleProducer(_Strict):
    id: str
    jurisdiction: str


class ExampleAsset(_Strict):
    """A compact asset description for a pack's own test cases."""

    kind: AssetKind
    name: str
    use_mode: UseMode = "unknown"
    producers: tuple[ExampleProducer, ...] = ()
    service_jurisdiction: str | None = None
    lineage: tuple[ExampleProducer, ...] = ()  # base producers
    framework_jurisdiction: str | None = None  # of the framework that exported a model file
    strength: Strength = "A"
    findings: tuple[Severity, ...] = ()
    inspection: InspectionStatus | None = None
    finding_rules: tuple[str, ...] = ()  # rule ids of linked findings (AUDIT-CODE-TRIGGER ...), severity high
    # seen on a device or in egress: the asset gets one usage with this host and user (an installed app, a
    # client that reached a service), as the inventory and network-log readers record them
    host: str | None = None
    user: str | None = None
    ai: bool = True  # False: an installed non-AI app (the app catalog's ``ai: false``)


class Example(_Strict):
    name: str
    asset: ExampleAsset
    context: dict[str, str] = Field(default_factory=dict)
    date: DateStr | None = None
    expect: Verdict
    rules: tuple[str, ...] = ()  # rule ids expected among the matches

    @field_validator("context", mode="before")
    @classmethod
    def _ctx(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {k: _coerce_str(x) for k, x in v.items()}
        return v


class Pack(_Strict):
    id: str
    version: str
    title: str
    description: str
    date: DateStr
    frameworks: tuple[Framework, ...] = ()
    requires_frameworks: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()
    examples: tuple[Example, ...] = ()
    source: str = Field(default="", exclude=True)

    @field_validator("version", mode="before")
    @classmethod
    def _v(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int | float) else v

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _SLUG.match(v.replace(".", "-")):
            raise ValueError("pack ids are lowercase slugs")
        return v

    @model_validator(mode="after")
    def _unique(self) -> Pack:
        seen: set[str] = set()
        for r in self.rules:
            if r.id in seen:
                raise ValueError(f"duplicate rule id {r.id}")
            seen.add(r.id)
        return self

    def referenced_frameworks(self) -> set[str]:
        out = set(self.requires_frameworks)
        out |= {r.scope.tier.framework for r in self.rules if r.scope.tier is not None}
        return out


def parse_pack(text: str, source: str) -> Pack:
    data, lines = load_yaml(text, source)
    if not isinstance(data, dict):
        raise PolicyError(f"{source}:1: invalid pack: the top level must be a mapping")
    try:
        pack = Pack.model_validate({**data, "source": source})
    except ValidationError as exc:
        raise raise_validation(exc, source, lines, "pack") from None
    # rule ids that examples name must exist
    ids = {r.id for r in pack.rules}
    for i, ex in enumerate(pack.examples):
        for rid in ex.rules:
            if rid not in ids:
                line = lines.get(("examples", i, "rules"), "?")
                raise PolicyError(
                    f"{source}:{line}: invalid pack: field examples[{i}].rules: unknown rule {rid}"
                )
    return pack


def load_pack_file(path: Path) -> Pack:
    return parse_pack(read_text(path, "pack"), str(path))
