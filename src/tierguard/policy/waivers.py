"""Waivers: a versioned YAML or TOML file of accepted exceptions, each with a justification, an owner, an
approval reference and an expiry. Waived decisions stay visible (``Decision.waived_by``, verdict kept);
expired and unused waivers are reported.

Format (YAML; TOML uses ``version = 1`` and ``[[waivers]]``)::

    version: 1
    waivers:
      - id: W-2026-001
        asset_id: as-0123456789abcdef      # and/or rule_id: OAI-2025-T1-SELF
        justification: Air-gapped evaluation cluster, no production data
        owner: ml-platform@example.org
        approval: CHG-4711
        expires: 2026-12-31
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from tierguard.errors import PolicyError
from tierguard.model import Context, Decision, Waiver
from tierguard.policy.engine import evaluation_day, parse_day, waiver_expired
from tierguard.policy.yamlsrc import Loc, load_toml, load_yaml, raise_validation, read_text

SUPPORTED_VERSIONS = (1,)


def _iso(v: Any) -> Any:
    return v.isoformat() if isinstance(v, dt.date) else v


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    justification: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    approval: str = Field(min_length=1)
    expires: Annotated[str, BeforeValidator(_iso)]
    asset_id: str | None = None
    rule_id: str | None = None

    @model_validator(mode="after")
    def _target(self) -> _Entry:
        if self.asset_id is None and self.rule_id is None:
            raise ValueError("a waiver needs asset_id, rule_id or both")
        try:
            parse_day(self.expires)
        except PolicyError:
            raise ValueError(f"expires {self.expires!r} is not an ISO date YYYY-MM-DD") from None
        return self


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    waivers: tuple[_Entry, ...] = ()


def parse_waivers(text: str, source: str, *, toml: bool = False) -> list[Waiver]:
    lines: dict[Loc, int]
    if toml:
        data, lines = load_toml(text, source), {}
    else:
        data, lines = load_yaml(text, source)
    if not isinstance(data, dict):
        raise PolicyError(f"{source}:1: invalid waivers file: the top level must be a mapping with version")
    try:
        parsed = _File.model_validate(data)
    except ValidationError as exc:
        raise raise_validation(exc, source, lines, "waivers file") from None
    seen: set[str] = set()
    out: list[Waiver] = []
    for e in parsed.waivers:
        if e.id in seen:
            raise PolicyError(f"{source}: duplicate waiver id {e.id}")
        seen.add(e.id)
        out.append(Waiver(**e.model_dump()))
    return out


def load_waivers(path: Path) -> list[Waiver]:
    text = read_text(path, "waivers")
    return parse_waivers(text, str(path), toml=path.suffix.lower() == ".toml")


@dataclass(slots=True)
class WaiverReport:
    applied: list[tuple[Waiver, list[str]]] = field(default_factory=list)  # waiver, asset ids it waived
    expired: list[Waiver] = field(default_factory=list)
    unused: list[Waiver] = field(default_factory=list)

    def notes(self) -> list[str]:
        out = [f"waiver {w.id} expired on {w.expires} (owner {w.owner}): not applied" for w in self.expired]
        out += [f"waiver {w.id} is unused: it matched no decision (owner {w.owner})" for w in self.unused]
        return out


def waiver_report(
    decisions: Sequence[Decision],
    waivers: Sequence[Waiver],
    context: Context | None = None,
    *,
    today: dt.date | None = None,
) -> WaiverReport:
    """Which waivers were applied (to which assets), which have expired and which matched nothing."""
    day = evaluation_day(context or Context(), today)
    used: dict[str, list[str]] = {}
    for d in decisions:
        if d.waived_by is not None:
            used.setdefault(d.waived_by.id, []).append(d.asset_id)
    rep = WaiverReport()
    for w in waivers:
        if waiver_expired(w, day):
            rep.expired.append(w)
        elif w.id in used:
            rep.applied.append((w, used[w.id]))
        else:
            rep.unused.append(w)
    return rep
