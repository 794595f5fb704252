"""The records of a scan diff (:func:`tierguard.report.diff.diff` builds them; see that module for identity,
matching and regressions). Published as JSON with the schema ``report/schema/scan-diff-<version>.json``."""

from __future__ import annotations

from typing import Literal

from tierguard.model import Location, Record, RuleInfo, Severity, Strength, UseMode, Verdict

DIFF_SCHEMA_VERSION = "1.0.0"
FAIL_ON_VERDICTS = ("allow", "review", "deny", "never")
FAIL_ON_SEVERITIES = ("info", "low", "medium", "high", "critical", "never")
MAX_FIELD_TEXT = 400  # characters of an old/new value shown for a changed asset field

ItemChange = Literal["new", "resolved"]
AssetChangeKind = Literal["new", "resolved", "changed"]
DecisionMove = Literal["new", "resolved", "worse", "better"]
RegressionKind = Literal["decision", "verdict", "usage", "finding"]


class DiffSide(Record, frozen=True, kw_only=True):
    """One of the two scans compared: where it came from (``label``: a file, ``scan 12``), its headline."""

    label: str = ""
    target: str
    command: str = "scan"
    started: str = ""
    finished: str = ""
    tool_version: str = ""
    catalog_version: str = ""
    schema_version: str = ""
    worst_verdict: Verdict = "allow"
    assets: int = 0
    decisions: int = 0
    findings: int = 0


class FieldChange(Record, frozen=True, kw_only=True):
    """One field of a changed asset: ``provenance``, ``use_mode`` or ``details`` (old and new as text)."""

    field: Literal["provenance", "use_mode", "details"]
    old: str
    new: str


class AssetChange(Record, frozen=True, kw_only=True):
    change: AssetChangeKind
    asset_id: str
    kind: str
    name: str
    verdict: Verdict | None = None  # effective verdict on the side the asset is on (new side if on both)
    fields: tuple[FieldChange, ...] = ()


class UsageChange(Record, frozen=True, kw_only=True):
    """A usage that appeared or went away. ``location`` is the side it is on (its line there);
    ``existing_asset``: the asset is on both sides (a new usage of something already used)."""

    change: ItemChange
    key: str
    asset_id: str
    asset_name: str
    asset_kind: str
    location: Location
    use_mode: UseMode
    strength: Strength
    service: str | None = None
    service_jurisdiction: str | None = None
    as_written: str = ""
    verdict: Verdict | None = None  # the effective verdict of its usage group on that side
    rules: tuple[str, ...] = ()  # the rules that matched its usage group on that side
    existing_asset: bool = False


class DecisionChange(Record, frozen=True, kw_only=True):
    change: DecisionMove
    asset_id: str
    asset_name: str
    asset_kind: str
    old: Verdict | None = None  # effective verdicts (a waived decision is allow)
    new: Verdict | None = None
    rules_old: tuple[str, ...] = ()
    rules_new: tuple[str, ...] = ()


class FindingChange(Record, frozen=True, kw_only=True):
    change: ItemChange
    finding_id: str
    rule_id: str
    severity: Severity
    message: str
    location: Location
    asset_id: str | None = None


class Regression(Record, frozen=True, kw_only=True):
    """One reason a gate fails: ``ref`` is the asset id (decision, verdict), usage key or finding id;
    ``level`` the verdict or severity that put it at or above the threshold."""

    kind: RegressionKind
    ref: str
    level: str
    message: str


class Thresholds(Record, frozen=True, kw_only=True):
    fail_on: Literal["allow", "review", "deny", "never"] = "review"
    fail_on_severity: Literal["info", "low", "medium", "high", "critical", "never"] = "high"


class DiffSummary(Record, frozen=True, kw_only=True):
    assets_new: int = 0
    assets_resolved: int = 0
    assets_changed: int = 0
    usages_new: int = 0
    usages_resolved: int = 0
    decisions_new: int = 0
    decisions_resolved: int = 0
    decisions_worse: int = 0
    decisions_better: int = 0
    findings_new: int = 0
    findings_resolved: int = 0
    regressions: int = 0

    def items(self) -> list[tuple[str, int]]:
        return [(name, getattr(self, name)) for name in self.__struct_fields__]


class ScanDiff(Record, frozen=True, kw_only=True):
    """Two scans compared. Lists are in a stable order (by kind of change, then name/path)."""

    diff_schema_version: str = DIFF_SCHEMA_VERSION
    old: DiffSide
    new: DiffSide
    thresholds: Thresholds = Thresholds()
    summary: DiffSummary = DiffSummary()
    assets: tuple[AssetChange, ...] = ()
    usages: tuple[UsageChange, ...] = ()
    decisions: tuple[DecisionChange, ...] = ()
    findings: tuple[FindingChange, ...] = ()
    regressions: tuple[Regression, ...] = ()
    rules: tuple[RuleInfo, ...] = ()  # the rules the changes name (new side first), for SARIF and HTML
    notes: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """Nothing moved (notes aside)."""
        return not (self.assets or self.usages or self.decisions or self.findings)
