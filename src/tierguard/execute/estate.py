"""The estate file: a ``tierguard.toml`` outside the targets (``--config``) listing what an organisation
answers for. Validated with msgspec (unknown keys rejected), so a typo'd key is one clear error naming the
file, the entry and the key, never a silently ignored setting.

::

    [estate]
    name = "acme"                     # required; names the estate in the store
    profile = "uk-gov"                # optional: default context profile (built-in or [estate.profiles.*])
    packs = []                        # optional: policy pack ids or files (default: every shipped pack)
    waivers = "waivers.yaml"          # optional: relative to this file
    fail_on = "deny"                  # optional: allow | review | deny | never
    [estate.context]                  # optional: default context of every target
    country = "GB"
    [estate.profiles.plant]           # optional: named profiles the targets can use
    country = "DE"
    sector = "critical-infrastructure"

    [[estate.targets]]
    name = "payments"                 # required, unique
    path = "../payments"              # required: whatever `tierguard scan` accepts; relative to this file
    owner = "payments-team@example.com"
    profile = "plant"                 # optional: this target's profile
    context = { sector = "general" }  # optional: this target's context (wins over the profile)
    include_ignored = false           # optional: also scan files .gitignore excludes

The context of a target, lowest layer first: the estate's profile, ``[estate.context]``, the target's
profile, the target's ``context``. A target's own ``tierguard.toml`` is never read (the scanned target is
untrusted: see :mod:`tierguard.policy.context`).

The file may also hold ``[serve]`` (``tierguard serve``'s settings, read by :mod:`tierguard.service`); any
other top-level table is an error.

**Revision.** sha256 of the ``[estate]`` table (canonical JSON, keys sorted) and the tierguard version, 16
hex digits: changing what is scanned or how (a target added, a context changed) or upgrading tierguard
starts a new revision, so a resumed run never mixes results made under two configurations; comments,
layout and ``[serve]`` do not count. :mod:`tierguard.execute.runner` tells runs of one revision apart.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, Literal

import msgspec

from tierguard import __version__
from tierguard.errors import PolicyError, TierguardError
from tierguard.formats.source import read_capped
from tierguard.model import Context

MAX_ESTATE_FILE = 16 * 1024 * 1024  # bytes: ~100k targets; anything larger is not an estate file
MAX_TARGETS = 100_000
MAX_NAME = 200

FailOn = Literal["allow", "review", "deny", "never"]


class EstateError(TierguardError):
    """The estate file cannot be read or is invalid (one line naming the file, the entry and the key)."""


class ContextSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Context keys of the estate file (checked further by :func:`policy.context.validate_context_values`)."""

    country: str | None = None
    state: str | None = None
    sector: str | None = None
    use: str | None = None
    device_class: str | None = None
    network: str | None = None
    data_sensitivity: str | None = None
    date: str | None = None

    def values(self) -> dict[str, str]:
        return {k: v for k, v in msgspec.structs.asdict(self).items() if v is not None}


class EstateTarget(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One ``[[estate.targets]]`` entry; ``path`` as written (:meth:`Estate.target_path` resolves it)."""

    name: str
    path: str
    owner: str | None = None
    profile: str | None = None
    context: ContextSpec | None = None
    include_ignored: bool = False


class EstateSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: str
    targets: tuple[EstateTarget, ...] = ()
    profile: str | None = None
    context: ContextSpec | None = None
    profiles: dict[str, ContextSpec] = {}
    packs: tuple[str, ...] = ()
    waivers: str | None = None
    fail_on: FailOn | None = None


class _File(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    estate: EstateSpec
    serve: dict[str, Any] | None = None  # ``tierguard serve``'s table (service/settings.py checks it)


class Estate(msgspec.Struct, frozen=True, kw_only=True):
    """A validated estate file: ``spec`` as written, ``base`` the file's directory, ``revision`` its hash."""

    source: str  # the file, as given
    base: str  # absolute directory relative paths resolve against
    revision: str
    spec: EstateSpec

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def targets(self) -> tuple[EstateTarget, ...]:
        return self.spec.targets

    def target_path(self, target: EstateTarget) -> str:
        """The path to scan: relative paths against the file's directory; image references and absolute
        paths as written (``docker://...``, ``oci:...``, ``docker-archive:...`` are never joined)."""
        p = target.path
        if _is_reference(p) or Path(p).is_absolute():
            return p
        return str(Path(self.base) / p)

    def waivers_path(self) -> str | None:
        w = self.spec.waivers
        if w is None:
            return None
        return w if Path(w).is_absolute() else str(Path(self.base) / w)

    def packs(self) -> tuple[str, ...]:
        """Pack ids as written; pack files (``*.yaml``) relative to the file's directory."""
        out = []
        for p in self.spec.packs:
            rel = p.endswith((".yaml", ".yml")) and not Path(p).is_absolute()
            out.append(str(Path(self.base) / p) if rel else p)
        return tuple(out)

    def context_for(self, target: EstateTarget) -> Context:
        """The target's context (layers in the module docstring); raises :class:`EstateError`."""
        return _context(self, target)


_REF = re.compile(r"^(docker|oci|oci-archive|docker-archive|docker-daemon|containers-storage|dir):")


def _is_reference(p: str) -> bool:
    return _REF.match(p) is not None


def revision_of(estate_table: Any) -> str:
    """The estate revision: sha256 of the ``[estate]`` table (canonical JSON: sorted keys, so comments,
    layout and other tables such as ``[serve]`` do not count) and the tierguard version, 16 hex digits."""
    h = hashlib.sha256(msgspec.json.encode(estate_table, order="sorted"))
    h.update(b"\x1ftierguard " + __version__.encode())
    return h.hexdigest()[:16]


def load_estate(path: Path) -> Estate:
    """Read and validate an estate file; every problem is one :class:`EstateError` line naming the file."""
    src = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_ESTATE_FILE:
            raise EstateError(f"{src}: estate file too large ({size} bytes; at most {MAX_ESTATE_FILE})")
        data = read_capped(path, MAX_ESTATE_FILE)
    except FileNotFoundError:
        raise EstateError(f"estate file not found: {src}") from None
    except IsADirectoryError:
        raise EstateError(f"{src}: is a directory, not an estate file") from None
    except OSError as exc:
        raise EstateError(f"{src}: cannot read estate file: {exc.strerror or exc}") from None
    if data is None:  # grew since the stat
        raise EstateError(f"{src}: estate file too large (more than {MAX_ESTATE_FILE} bytes)")
    return parse_estate(data, src, path.resolve().parent)


def parse_estate(data: bytes, source: str, base: Path) -> Estate:
    import tomllib

    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise EstateError(f"{source}: estate file is not UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise EstateError(f"{source}: invalid TOML: {exc}") from None
    if "estate" not in raw:
        keys = ", ".join(sorted(raw)) or "nothing"
        raise EstateError(f"{source}: no [estate] table (found {keys}); see docs/estate.md")
    try:
        spec = msgspec.convert(raw, _File, strict=True).estate
    except msgspec.ValidationError as exc:
        raise EstateError(f"{source}: {_explain(str(exc), raw)}") from None
    estate = Estate(source=source, base=str(base), revision=revision_of(raw["estate"]), spec=spec)
    _check(estate)
    return estate


_AT = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<loc>[^`]*)`)?$", re.S)
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<key>[^`]*)`$")
_MISSING = re.compile(r"^Object missing required field `(?P<key>[^`]*)`$")
_INDEX = re.compile(r"^\.estate\.targets\[(?P<i>\d+)\]")


def _explain(message: str, raw: dict[str, Any]) -> str:
    """msgspec's message in the file's words: the entry (by index and name) and the key."""
    m = _AT.match(message.strip())
    msg, loc = (m.group("msg"), m.group("loc") or "") if m else (message, "")
    where = loc.lstrip(".") or "top level"
    entry = _INDEX.match(loc)
    if entry is not None:
        i = int(entry.group("i"))
        targets = raw.get("estate", {}).get("targets", [])
        name = targets[i].get("name") if i < len(targets) and isinstance(targets[i], dict) else None
        label = f"estate.targets[{i}]" + (f" (name {name!r})" if isinstance(name, str) else "")
        where = label + loc[entry.end() :]
    unknown, missing = _UNKNOWN.match(msg), _MISSING.match(msg)
    if unknown is not None:
        return f"{where}: unknown key {unknown.group('key')!r}"
    if missing is not None:
        return f"{where}: missing required key {missing.group('key')!r}"
    return f"{where}: {msg}"


def _check(estate: Estate) -> None:
    """What the schema cannot say: names present, unique and short; paths non-empty; profiles known;
    contexts valid (every target's context is built once here, so a bad one fails before any scan)."""
    src, spec = estate.source, estate.spec
    if not spec.name.strip() or len(spec.name) > MAX_NAME:
        raise EstateError(f"{src}: estate.name must be 1 to {MAX_NAME} characters")
    if not spec.targets:
        raise EstateError(f"{src}: the estate lists no targets ([[estate.targets]])")
    if len(spec.targets) > MAX_TARGETS:
        raise EstateError(f"{src}: {len(spec.targets)} targets (at most {MAX_TARGETS})")
    seen: set[str] = set()
    for i, t in enumerate(spec.targets):
        label = f"estate.targets[{i}] (name {t.name!r})"
        if not t.name.strip() or len(t.name) > MAX_NAME or any(ord(c) < 32 for c in t.name):
            raise EstateError(f"{src}: {label}: name must be 1 to {MAX_NAME} printable characters")
        if t.name in seen:
            raise EstateError(f"{src}: {label}: duplicate target name")
        seen.add(t.name)
        if not t.path.strip() or "\x00" in t.path:
            raise EstateError(f"{src}: {label}: path is empty")
        try:
            estate.context_for(t)
        except PolicyError as exc:
            raise EstateError(f"{src}: {label}: {exc}") from None


def _context(estate: Estate, target: EstateTarget) -> Context:
    from tierguard.policy.context import BUILTIN_PROFILES, build_context, validate_context_values

    spec = estate.spec

    def profile_values(name: str) -> dict[str, str]:
        if name in spec.profiles:
            return spec.profiles[name].values()
        if name in BUILTIN_PROFILES:
            return dict(BUILTIN_PROFILES[name])
        known = ", ".join(sorted({*BUILTIN_PROFILES, *spec.profiles}))
        raise PolicyError(f"unknown profile {name!r}; known profiles: {known}")

    values: dict[str, str] = {}
    if spec.profile:
        values.update(validate_context_values(profile_values(spec.profile), f"profile {spec.profile}"))
    if spec.context is not None:
        values.update(validate_context_values(spec.context.values(), "estate.context"))
    if target.profile:
        values.update(validate_context_values(profile_values(target.profile), f"profile {target.profile}"))
    if target.context is not None:
        values.update(validate_context_values(target.context.values(), "context"))
    return build_context(values, "context", target.profile or spec.profile)
