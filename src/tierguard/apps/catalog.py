"""The app catalog (``apps/data/apps.yaml``): consumer AI apps and the PRC apps the device-ban instruments
name, each with its producer, the service it talks to and the identifiers an inventory shows. Validated with
pydantic (a bad file is a ``CatalogError`` naming the entry); loaded once and passed explicitly.

Matching is by exact identifier first (Android package, iOS/macOS bundle id, browser and VS Code extension
id, package name), then by whole display name (case-insensitive; a trailing version or architecture is
ignored; an ambiguous name needs one of its publishers)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tierguard.catalog import Catalog, load_catalog
from tierguard.errors import CatalogError

Platform = Literal["windows", "macos", "linux", "android", "ios", "extension"]
ALL_PLATFORMS: tuple[Platform, ...] = ("windows", "macos", "linux", "android", "ios", "extension")
IdKind = Literal["android", "ios", "macos", "chrome", "edge", "firefox", "safari", "vscode", "package"]
Ecosystem = Literal["npm", "pypi", "homebrew", "deb", "rpm", "snap", "flatpak", "winget"]


class _Sourced(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    sources: tuple[str, ...] = Field(min_length=1)
    verify: bool = False  # not confirmed from a primary source (store listing, vendor page or docs)
    notes: str = ""


class Ident(_Sourced):
    id: str = Field(min_length=3, max_length=200)


class HostEntry(_Sourced):
    host: str = Field(min_length=3, max_length=253, pattern=r"^(\*\.)?[a-z0-9.-]+$")


class PackageIdent(_Sourced):
    ecosystem: Ecosystem
    name: str = Field(min_length=1, max_length=214)


class NameEntry(_Sourced):
    name: str = Field(min_length=2, max_length=120)
    platforms: tuple[Platform, ...] = ALL_PLATFORMS
    publishers: tuple[str, ...] = ()
    ambiguous: bool = False  # an ordinary word or another product's name: needs one of ``publishers``

    @model_validator(mode="after")
    def _publishers_for_ambiguous(self) -> NameEntry:
        if self.ambiguous and not self.publishers:
            raise ValueError(f"name {self.name!r} is ambiguous but lists no publishers")
        return self


class ProducerExtra(_Sourced):
    id: str
    name: str
    jurisdiction: str = Field(pattern=r"^[A-Z]{2}$")


class AppEntry(_Sourced):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    ai: bool = True  # False: a non-AI app an instrument names (RedNote, Lemon8, brokers)
    producer: str
    operator: str | None = None  # who runs the service the app talks to (default: the producer)
    service: str
    hosts: tuple[HostEntry, ...] = ()
    android: tuple[Ident, ...] = ()
    ios: tuple[Ident, ...] = ()
    macos: tuple[Ident, ...] = ()
    chrome: tuple[Ident, ...] = ()
    edge: tuple[Ident, ...] = ()
    firefox: tuple[Ident, ...] = ()
    safari: tuple[Ident, ...] = ()
    vscode: tuple[Ident, ...] = ()
    packages: tuple[PackageIdent, ...] = ()
    names: tuple[NameEntry, ...] = ()


class AppCatalogFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    version: str
    date: str
    producers: tuple[ProducerExtra, ...] = ()
    apps: tuple[AppEntry, ...] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Org:
    """A producer or operator resolved against the main catalog (or the app catalog's own producers)."""

    id: str
    name: str
    jurisdiction: str


@dataclass(frozen=True, slots=True)
class App:
    """One catalog app, its producer and operator resolved."""

    entry: AppEntry
    producer: Org
    operator: Org

    @property
    def id(self) -> str:
        return self.entry.id

    @property
    def asset_name(self) -> str:
        return f"{self.entry.name} (app)"


@dataclass(frozen=True, slots=True)
class AppHost:
    """A web or app host of a catalog app, for the egress matcher. ``host`` is exact, or ``*.suffix`` for one
    or more labels before the suffix."""

    host: str
    app_id: str
    service: str
    operator: str  # producer id of the operator
    jurisdiction: str  # the operator's jurisdiction
    verify: bool = False


@dataclass(frozen=True, slots=True)
class Match:
    app: App
    as_written: str  # the identifier or name as the inventory wrote it
    matched_by: str  # android-package, bundle-id, chrome-extension ..., name, name+publisher
    verify: bool  # the identifier that matched is marked verify in the catalog


_SUFFIX = re.compile(
    r"(\s+v?\d+(\.\d+)*([-_.+ ]?\w+)?|\s*\((x64|x86|64-bit|32-bit|arm64|user|machine)\)|\.app|\.exe)+$", re.I
)
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=1 << 16)
def norm_name(text: str) -> str:
    """A display name's matching key: case-folded, inner space collapsed, a trailing version, architecture,
    ``.app`` or ``.exe`` removed (``DeepSeek 1.2.0 (x64)`` -> ``deepseek``, ``Kimi.app`` -> ``kimi``)."""
    t = _SPACE.sub(" ", text.strip())
    stripped = _SUFFIX.sub("", t)
    return (stripped or t).casefold()


class AppCatalog:
    """The validated app catalog with its lookup tables."""

    def __init__(self, data: AppCatalogFile, main: Catalog) -> None:
        self.version = data.version
        self.date = data.date
        extra = {p.id: Org(p.id, p.name, p.jurisdiction) for p in data.producers}
        self.apps: dict[str, App] = {}
        for e in data.apps:
            if e.id in self.apps:
                raise CatalogError(f"apps.yaml: app {e.id!r} defined twice")
            self.apps[e.id] = App(
                e, _org(e.producer, main, extra, e.id), _org(e.operator or e.producer, main, extra, e.id)
            )
        self._ids: dict[tuple[IdKind, str], tuple[App, Ident | PackageIdent]] = {}
        self._names: dict[str, list[tuple[App, NameEntry]]] = {}
        for app in self.apps.values():
            self._index(app)

    def _index(self, app: App) -> None:
        e = app.entry
        kinds: tuple[tuple[IdKind, tuple[Ident, ...]], ...] = (
            ("android", e.android),
            ("ios", e.ios),
            ("macos", e.macos),
            ("chrome", e.chrome),
            ("edge", e.edge),
            ("firefox", e.firefox),
            ("safari", e.safari),
            ("vscode", e.vscode),
        )
        for kind, idents in kinds:
            for ident in idents:
                self._put((kind, ident.id.casefold()), app, ident)
        for pkg in e.packages:
            self._put(("package", f"{pkg.ecosystem}:{pkg.name.casefold()}"), app, pkg)
        for ne in e.names:
            self._names.setdefault(norm_name(ne.name), []).append((app, ne))

    def _put(self, key: tuple[IdKind, str], app: App, ident: Ident | PackageIdent) -> None:
        other = self._ids.get(key)
        if other is not None and other[0].id != app.id:
            raise CatalogError(f"apps.yaml: {key[0]} id {key[1]!r} belongs to {other[0].id!r} and {app.id!r}")
        self._ids[key] = (app, ident)

    # ---- matching ---------------------------------------------------------------------------------------

    def by_id(self, kind: IdKind, value: str) -> Match | None:
        """An exact identifier of ``kind`` (case-insensitive)."""
        hit = self._ids.get((kind, value.strip().casefold()))
        if hit is None:
            return None
        app, ident = hit
        return Match(app, value.strip(), _ID_LABEL[kind], ident.verify)

    def by_package(self, ecosystem: Ecosystem, name: str) -> Match | None:
        hit = self._ids.get(("package", f"{ecosystem}:{name.strip().casefold()}"))
        if hit is None:
            return None
        return Match(hit[0], name.strip(), f"{ecosystem}-package", hit[1].verify)

    def by_name(self, name: str, platform: Platform | None, publisher: str = "") -> Match | None:
        """A whole display name on ``platform`` (None: any). An ambiguous name needs one of its publishers in
        ``publisher``; a listed publisher that differs from a non-empty ``publisher`` is no match."""
        cands = self._names.get(norm_name(name))
        if not cands:
            return None
        pub = publisher.casefold()
        for app, ne in cands:
            if platform is not None and platform not in ne.platforms:
                continue
            pub_ok = bool(pub) and any(p.casefold() in pub for p in ne.publishers)
            if ne.ambiguous and not pub_ok:
                continue
            if ne.publishers and pub and not pub_ok:
                continue
            return Match(app, name.strip(), "name+publisher" if pub_ok else "name", ne.verify)
        return None

    def hosts(self) -> list[AppHost]:
        """Every web/app host of every app, for the egress matcher."""
        return [
            AppHost(h.host, a.id, a.entry.service, a.operator.id, a.operator.jurisdiction, h.verify)
            for a in self.apps.values()
            for h in a.entry.hosts
        ]


_ID_LABEL: dict[IdKind, str] = {
    "android": "android-package",
    "ios": "ios-bundle-id",
    "macos": "macos-bundle-id",
    "chrome": "chrome-extension",
    "edge": "edge-extension",
    "firefox": "firefox-addon",
    "safari": "safari-extension",
    "vscode": "vscode-extension",
    "package": "package",
}


def _org(pid: str, main: Catalog, extra: dict[str, Org], where: str) -> Org:
    if pid in extra:
        return extra[pid]
    p = main.producers.get(pid)
    if p is None:
        raise CatalogError(f"apps.yaml: app {where!r}: producer {pid!r} is in neither catalog")
    return Org(p.id, p.name, p.jurisdiction)


def _read(path: Path | None) -> tuple[Any, str]:
    if path is not None:
        return path.read_text(encoding="utf-8"), str(path)
    res = resources.files("tierguard.apps") / "data" / "apps.yaml"
    return res.read_text(encoding="utf-8"), "apps.yaml"


def load_app_catalog(path: Path | None = None, *, main: Catalog | None = None) -> AppCatalog:
    """Load and validate the app catalog (the packaged ``apps.yaml`` by default). ``main`` is the main catalog
    producers are resolved against (loaded when not given)."""
    try:
        text, name = _read(path)
        data = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"app catalog: cannot read {path or 'apps.yaml'}: {exc}") from exc
    try:
        parsed = AppCatalogFile.model_validate(data)
    except ValidationError as exc:
        raise CatalogError(f"app catalog: invalid {name}: {exc}") from exc
    return AppCatalog(parsed, main if main is not None else load_catalog())


def iter_idents(app: AppEntry) -> Iterable[tuple[str, Ident | PackageIdent | NameEntry | HostEntry]]:
    """(kind, entry) for every identifier, name and host of an app (for checks and docs)."""
    for kind in ("android", "ios", "macos", "chrome", "edge", "firefox", "safari", "vscode"):
        for ident in getattr(app, kind):
            yield kind, ident
    for pkg in app.packages:
        yield "package", pkg
    for ne in app.names:
        yield "name", ne
    for h in app.hosts:
        yield "host", h
