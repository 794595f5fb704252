"""The deployment context: CLI overrides > the chosen profile > --config file, with named profiles (from
--config or built in).

Security: the scanned target is untrusted. Its own ``tierguard.toml`` is ignored entirely -- ``[context]``
and ``[profiles.*]`` too, not only ``packs``, ``waivers`` and ``fail_on`` -- with a note, unless
``trust_target_config=True``: a repository could otherwise declare ``country = "CN"`` (or any context no
rule covers) and allow itself. ``--config FILE`` and the flags are the normal way to give the context; with
none, the policy stage fails closed (see ``policy.explain.no_context_note`` and the ``no-context`` pack).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tierguard.errors import PolicyError
from tierguard.model import Context
from tierguard.policy.yamlsrc import load_toml, read_text

CONFIG_NAME = "tierguard.toml"

_ISO_CODES = (
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV "
    "BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES "
    "ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE "
    "IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY "
    "MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU "
    "NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM "
    "SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE "
    "VG VI VN VU WF WS YE YT ZA ZM ZW "
)
ISO_3166_ALPHA2 = frozenset(_ISO_CODES.split())
SECTORS = ("government", "critical-infrastructure", "general")
USES = ("hosted-api", "self-hosted", "any")
FAIL_ON = ("allow", "review", "deny", "never")
CONTEXT_KEYS = ("country", "state", "sector", "use", "device_class", "network", "data_sensitivity", "date")
_STATE = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")

BUILTIN_PROFILES: dict[str, dict[str, str]] = {
    "uk-gov": {"country": "GB", "sector": "government"},
    "texas-agency": {
        "country": "US",
        "state": "US-TX",
        "sector": "government",
        "device_class": "state-issued",
    },
    "kansas-agency": {
        "country": "US",
        "state": "US-KS",
        "sector": "government",
        "device_class": "state-issued",
    },
    "au-commonwealth": {
        "country": "AU",
        "sector": "government",
        "device_class": "non-corporate-commonwealth",
    },
    "tier2-private": {"country": "SG", "sector": "general"},
    "eu-critical-infra": {"country": "DE", "sector": "critical-infrastructure"},
}


@dataclass(slots=True)
class ResolvedConfig:
    context: Context
    packs: list[str] = field(default_factory=list)
    waivers: Path | None = None
    fail_on: str | None = None
    notes: list[str] = field(default_factory=list)


def validate_context_values(values: Mapping[str, Any], source: str) -> dict[str, str]:
    """Check and normalise context values; unknown keys and bad codes raise PolicyError naming ``source``."""
    out: dict[str, str] = {}
    for key, raw in values.items():
        if key == "profile":
            continue
        if key not in CONTEXT_KEYS:
            raise PolicyError(f"{source}: unknown context field {key!r} (known: {', '.join(CONTEXT_KEYS)})")
        if raw is None:
            continue
        if isinstance(raw, dt.date):
            raw = raw.isoformat()
        if not isinstance(raw, str):
            raise PolicyError(f"{source}: field {key}: expected a string, got {type(raw).__name__}")
        v = raw.strip()
        if key == "country":
            v = v.upper()
            if v not in ISO_3166_ALPHA2:
                raise PolicyError(
                    f"{source}: field country: {raw!r} is not an ISO 3166-1 alpha-2 code (e.g. GB)"
                )
        elif key == "state":
            v = v.upper()
            if not _STATE.match(v):
                raise PolicyError(f"{source}: field state: {raw!r} is not an ISO 3166-2 code like US-TX")
            if v[:2] not in ISO_3166_ALPHA2:
                raise PolicyError(f"{source}: field state: {raw!r} names no ISO 3166-1 country")
        elif key == "sector":
            if v not in SECTORS:
                raise PolicyError(f"{source}: field sector: {raw!r} is not one of {', '.join(SECTORS)}")
        elif key == "use":
            if v not in USES:
                raise PolicyError(f"{source}: field use: {raw!r} is not one of {', '.join(USES)}")
        elif key == "date":
            try:
                dt.date.fromisoformat(v)
            except ValueError:
                raise PolicyError(f"{source}: field date: {raw!r} is not an ISO date YYYY-MM-DD") from None
        out[key] = v
    if "state" in out and "country" in out and out["state"][:2] != out["country"]:
        raise PolicyError(f"{source}: state {out['state']} is not in country {out['country']}")
    return out


def build_context(values: Mapping[str, Any], source: str = "context", profile: str | None = None) -> Context:
    v = validate_context_values(values, source)
    if "state" in v and "country" not in v:
        v["country"] = v["state"][:2]
    return Context.model_validate({**v, "profile": profile})


CONFIG_KEYS = ("context", "profiles", "profile", "packs", "waivers", "fail_on")


def _read_config(path: Path, what: str) -> dict[str, Any]:
    """A tierguard.toml; an unknown top-level key (a typo such as ``contxt``) is an error, never ignored."""
    data = load_toml(read_text(path, what), str(path))
    unknown = sorted(k for k in data if k not in CONFIG_KEYS)
    if unknown:
        raise PolicyError(f"{path}: unknown field(s) {', '.join(unknown)} (known: {', '.join(CONFIG_KEYS)})")
    return data


def _table(data: Mapping[str, Any], key: str, source: str) -> dict[str, Any]:
    t = data.get(key, {})
    if not isinstance(t, dict):
        raise PolicyError(f"{source}: [{key}] must be a table")
    return t


def _profiles(data: Mapping[str, Any], source: str) -> dict[str, dict[str, Any]]:
    profs = _table(data, "profiles", source)
    for name, body in profs.items():
        if not isinstance(body, dict):
            raise PolicyError(f"{source}: [profiles.{name}] must be a table")
    return profs


def resolve_context(
    *,
    root: Path | None,
    config: Path | None,
    profile: str | None,
    overrides: Mapping[str, str | None],
    trust_target_config: bool = False,
) -> ResolvedConfig:
    """Layers, lowest first: the target's ``[context]`` (only with ``trust_target_config``), --config
    ``[context]``, the chosen profile (--config profiles, then trusted target profiles, then built-in), CLI
    overrides. Packs, waivers and fail_on come from --config, and from the target only when trusted. An
    untrusted target's ``tierguard.toml`` is not even parsed; a note says it was ignored."""
    notes: list[str] = []
    values: dict[str, Any] = {}
    packs: list[str] = []
    waivers: Path | None = None
    fail_on: str | None = None
    profile_sources: list[tuple[str, dict[str, dict[str, Any]]]] = []
    config_profile: str | None = None

    target_cfg = root / CONFIG_NAME if root is not None else None
    if target_cfg is not None and target_cfg.is_file() and not trust_target_config:
        notes.append(
            f"ignored the scanned target's {CONFIG_NAME} entirely: its context, profiles, packs, waivers and"
            " thresholds are never taken from the repository being scanned (give the context with --country,"
            " --state, --profile or --config FILE, or pass --trust-target-config)"
        )
    elif target_cfg is not None and target_cfg.is_file():
        src = str(target_cfg)
        data = _read_config(target_cfg, "target config")
        values.update(validate_context_values(_table(data, "context", src), f"{src} [context]"))
        profile_sources.append((src, _profiles(data, src)))
        p, w, f = _policy_keys(data, src, target_cfg.parent)
        packs, waivers, fail_on = p or packs, w or waivers, f or fail_on
        used = ", ".join(k for k in CONFIG_KEYS if k in data) or "empty"
        notes.append(f"trusted the scanned target's {CONFIG_NAME} (--trust-target-config): {used}")

    if config is not None:
        if not config.is_file():
            raise PolicyError(f"--config file not found: {config}")
        src = str(config)
        data = _read_config(config, "config")
        values.update(validate_context_values(_table(data, "context", src), f"{src} [context]"))
        profile_sources.insert(0, (src, _profiles(data, src)))
        p, w, f = _policy_keys(data, src, config.parent)
        packs, waivers, fail_on = p or packs, w or waivers, f or fail_on
        cp = data.get("profile")
        if cp is not None and not isinstance(cp, str):
            raise PolicyError(f"{src}: field profile: expected a string")
        config_profile = cp

    chosen = profile or config_profile
    if chosen:
        body: dict[str, Any] | None = None
        for src, profs in profile_sources:
            if chosen in profs:
                body = profs[chosen]
                values.update(validate_context_values(body, f"{src} [profiles.{chosen}]"))
                break
        if body is None:
            if chosen not in BUILTIN_PROFILES:
                known = sorted({*BUILTIN_PROFILES, *(n for _, ps in profile_sources for n in ps)})
                raise PolicyError(f"unknown profile {chosen!r}; known profiles: {', '.join(known)}")
            values.update(BUILTIN_PROFILES[chosen])

    cli = {k: v for k, v in overrides.items() if v is not None}
    values.update(validate_context_values(cli, "command line"))
    context = build_context(values, "context", chosen)
    return ResolvedConfig(context=context, packs=packs, waivers=waivers, fail_on=fail_on, notes=notes)


def _policy_keys(data: Mapping[str, Any], src: str, base: Path) -> tuple[list[str], Path | None, str | None]:
    packs = data.get("packs", [])
    if not isinstance(packs, list) or not all(isinstance(p, str) for p in packs):
        raise PolicyError(f"{src}: field packs: expected a list of pack ids or paths")
    waivers = data.get("waivers")
    if waivers is not None and not isinstance(waivers, str):
        raise PolicyError(f"{src}: field waivers: expected a path")
    fail_on = data.get("fail_on")
    if fail_on is not None and fail_on not in FAIL_ON:
        raise PolicyError(f"{src}: field fail_on: {fail_on!r} is not one of {', '.join(FAIL_ON)}")
    resolved = [
        str(base / p) if p.endswith((".yaml", ".yml")) and not Path(p).is_absolute() else p for p in packs
    ]
    return resolved, (base / waivers) if waivers else None, fail_on
