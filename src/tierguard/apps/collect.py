"""From inventory rows to assets: every reader turns a row into an ``Item`` (device, user, identifiers,
names); the ``Collector`` matches it against the app catalog, folds repeated rows of one installed item on one
device into one usage (count, first and last seen), records what it could not use, and builds one asset
per catalog app with one evidence record per usage."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from tierguard.apps.catalog import App, AppCatalog, Ecosystem, IdKind, Match, Platform
from tierguard.apps.types import AppOptions, AppOutput
from tierguard.model import Asset, Evidence, IdentMethod, Location, ProducerRef, Provenance, Skipped, Usage

MAX_EXCERPT = 300
_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def clean(text: str, limit: int = MAX_EXCERPT) -> str:
    """Bounded, one line, no control or bidirectional-override characters."""
    return _CTRL.sub(" ", text.replace("\r", " ").replace("\n", " ").replace("\t", " "))[:limit].strip()


@dataclass(slots=True)
class Item:
    """One installed item as a reader saw it."""

    line: int
    excerpt: str | Callable[[], str]  # the row as text (a callable: built only when the row matches)
    source: str  # osquery table or export kind ("programs", "intune", "jamf-computers" ...)
    host: str | None = None
    user: str | None = None  # the user the item belongs to (a per-user install path)
    owner: str | None = None  # the device's user (MDM primary user, osquery logged-in user decoration)
    platform: Platform | None = None
    ids: list[tuple[IdKind, str]] = field(default_factory=list)
    packages: list[tuple[Ecosystem, str]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    publisher: str = ""
    version: str = ""
    seen: str | None = None  # ISO 8601 time of the observation, where the source has one
    count: int = 1  # devices an aggregate row stands for (Intune AppInvAggregate)
    path: str | None = None  # where the item was seen when not the collector's file (local host)


@dataclass(slots=True)
class _Use:
    match: Match
    host: str | None
    user: str | None
    line: int
    excerpt: str
    source: str
    platform: str
    version: str
    path: str
    count: int = 0
    first: str | None = None
    last: str | None = None


class Collector:
    """Accumulates the matches of one input file."""

    def __init__(self, catalog: AppCatalog, options: AppOptions, display: str, fmt: str) -> None:
        self.cat = catalog
        self.opts = options
        self.path = display
        self.format = fmt
        self.uses: dict[tuple[str, str, str], _Use] = {}
        self.skipped: list[Skipped] = []
        self.skipped_over = 0
        self.notes: list[str] = []
        self.devices: dict[str, tuple[str | None, int]] = {}  # host -> (user, line first seen)
        self.conflicts: set[tuple[str, str]] = set()
        self.rows = 0
        self.extra: Counter[str] = Counter()
        self._cleaned: dict[str, str] = {}

    # ---- bookkeeping ------------------------------------------------------------------------------------

    def skip(self, reason: str, line: int | None, detail: str) -> None:
        if len(self.skipped) >= self.opts.max_skipped:
            self.skipped_over += 1
            return
        where = self.path if line is None else f"{self.path}:{line}"
        self.skipped.append(Skipped(path=where, reason=reason, detail=clean(detail, 500)))

    def device(self, host: str | None, user: str | None, line: int) -> None:
        """Record a device; a second, different user for the same device is a conflict (the first is kept)."""
        if not host:
            return
        known = self.devices.get(host)
        if known is None:
            self.devices[host] = (user, line)
            return
        if user and known[0] is None:
            self.devices[host] = (user, known[1])
        elif user and known[0] and user.casefold() != known[0].casefold():
            key = (host, user.casefold())
            if key not in self.conflicts:
                self.conflicts.add(key)
                self.skip(
                    "conflicting-row",
                    line,
                    f"device {host!r}: user {user!r} differs from {known[0]!r} (line {known[1]}); "
                    f"kept {known[0]!r}",
                )

    def _short(self, text: str | None) -> str | None:
        """A host or user name, cleaned once per distinct value (they repeat on every row of a device)."""
        if not text:
            return None
        done = self._cleaned.get(text)
        if done is None:
            if len(self._cleaned) > 100_000:
                self._cleaned.clear()
            done = self._cleaned[text] = clean(text, 255)
        return done or None

    # ---- matching ---------------------------------------------------------------------------------------

    def match(self, it: Item) -> Match | None:
        for kind, value in it.ids:
            if value:
                m = self.cat.by_id(kind, value)
                if m is not None:
                    return m
        for eco, name in it.packages:
            if name:
                m = self.cat.by_package(eco, name)
                if m is not None:
                    return m
        for name in it.names:
            if name:
                m = self.cat.by_name(name, it.platform, it.publisher)
                if m is not None:
                    return m
        return None

    def add(self, it: Item) -> None:
        """Count a row, record its device, and fold it into a usage when it names a catalog app."""
        self.rows += 1
        host = self._short(it.host)
        owner = self._short(it.owner)
        self.device(host, owner, it.line)
        m = self.match(it)
        if m is None or (not m.app.entry.ai and not self.opts.include_non_ai):
            return
        user = clean(it.user, 255) if it.user else None
        if user is None and host:
            user = self.devices[host][0]  # the device's first-seen user (a conflicting one is recorded)
        key = (m.app.id, host or "", m.as_written.casefold())
        use = self.uses.get(key)
        if use is None:
            use = _Use(
                m,
                host,
                user,
                it.line,
                clean(it.excerpt() if callable(it.excerpt) else it.excerpt),
                it.source,
                it.platform or "",
                clean(it.version, 60),
                it.path or self.path,
            )
            self.uses[key] = use
        use.count += max(1, it.count)
        if it.seen:
            use.first = it.seen if use.first is None or it.seen < use.first else use.first
            use.last = it.seen if use.last is None or it.seen > use.last else use.last

    # ---- output -----------------------------------------------------------------------------------------

    def finish(self) -> AppOutput:
        by_app: dict[str, list[_Use]] = {}
        for use in self.uses.values():
            by_app.setdefault(use.match.app.id, []).append(use)
        assets = []
        evidence: list[Evidence] = []
        for app_id in sorted(by_app):
            uses = sorted(by_app[app_id], key=lambda u: (u.host or "", u.match.as_written.casefold()))
            asset = self._asset(uses[0].match.app, uses)
            assets.append(asset)
            evidence.extend(asset.evidence)
        notes = list(self.notes)
        if self.skipped_over:
            notes.append(
                f"{self.skipped_over} further skipped rows not listed (max_skipped={self.opts.max_skipped})"
            )
        return AppOutput(
            assets=tuple(assets),
            evidence=tuple(evidence),
            skipped=tuple(self.skipped),
            notes=tuple(notes),
            devices=len(self.devices),
            rows=self.rows,
            format=self.format,
            extra=dict(self.extra),
        )

    def _asset(self, app: App, uses: list[_Use]) -> Asset:
        op = app.operator
        evs: list[Evidence] = []
        usages: list[Usage] = []
        for u in uses:
            ev = self._evidence(app, u)
            evs.append(ev)
            usages.append(
                Usage(
                    location=ev.location,
                    use_mode="consumer-app",
                    strength="A",
                    as_written=u.match.as_written,
                    service=app.entry.service,
                    operator=op.id,
                    service_jurisdiction=op.jurisdiction,
                    evidence=ev.id,
                    excerpt=u.excerpt,
                    host=u.host,
                    user=u.user,
                    count=u.count,
                    first_seen=u.first,
                    last_seen=u.last,
                )
            )
        aliases = sorted({u.match.as_written for u in uses} - {app.entry.name})
        return Asset(
            kind="ai-app",
            name=app.asset_name,
            use_mode="consumer-app",
            provenance=Provenance(
                producers=(
                    ProducerRef(
                        id=app.producer.id, name=app.producer.name, jurisdiction=app.producer.jurisdiction
                    ),
                ),
                service_operator=ProducerRef(
                    id=op.id, name=op.name, jurisdiction=op.jurisdiction, role="operator"
                ),
                service_jurisdiction=op.jurisdiction,
                methods=(
                    IdentMethod(
                        technique="manifest-analysis",
                        confidence=0.95,
                        value=f"installed-app inventory ({self.format})",
                    ),
                ),
            ),
            evidence=tuple(evs),
            usages=tuple(usages),
            aliases=tuple(aliases),
        )

    def _evidence(self, app: App, u: _Use) -> Evidence:
        attrs = {
            "source": u.source,
            "matched_by": u.match.matched_by,
            "ai": "true" if app.entry.ai else "false",
            "count": str(u.count),
        }
        for k, v in (
            ("host", u.host),
            ("user", u.user),
            ("platform", u.platform),
            ("version", u.version),
            ("first_seen", u.first),
            ("last_seen", u.last),
        ):
            if v:
                attrs[k] = v
        if u.match.verify or app.entry.verify:
            attrs["verify"] = "true"
        where = f" on {u.host}" if u.host else ""
        return Evidence(
            detector="apps",
            kind="installed-app",
            value=f"{u.match.as_written}{where}",
            strength="A",
            location=Location(path=u.path, line=u.line or None),
            excerpt=u.excerpt,
            refs={"app": app.id, "producer": app.producer.id, "operator": app.operator.id},
            attributes=attrs,
        )
