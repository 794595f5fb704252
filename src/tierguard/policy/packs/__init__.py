"""Shipped policy packs (YAML files beside this module) and the loader for packs by id or by file path."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from tierguard.errors import PolicyError
from tierguard.policy.schema import Framework, Pack, load_pack_file, parse_pack

__all__ = ["Framework", "Pack", "load_packs", "shipped_pack_ids", "load_pack"]

NO_CONTEXT_PACK = "no-context"
"""Added by :func:`load_packs` whenever a selected pack has a rule scoped by country, state or tier: with no
deployment country those rules cannot apply, and its rule keeps PRC-linked assets from reading as allowed."""


def _shipped_files() -> dict[str, resources.abc.Traversable]:
    base = resources.files(__package__ or "tierguard.policy.packs")
    return {p.name[: -len(".yaml")]: p for p in base.iterdir() if p.name.endswith(".yaml")}


def shipped_pack_ids() -> list[str]:
    return sorted(_shipped_files())


def _load_shipped(pack_id: str) -> Pack:
    files = _shipped_files()
    if pack_id not in files:
        raise PolicyError(f"unknown policy pack {pack_id!r}; shipped packs: {', '.join(sorted(files))}")
    trav = files[pack_id]
    pack = parse_pack(trav.read_text(encoding="utf-8"), f"tierguard/policy/packs/{pack_id}.yaml")
    if pack.id != pack_id:
        raise PolicyError(f"{pack.source}: pack id {pack.id!r} does not match its file name")
    return pack


def load_pack(selector: str) -> Pack:
    """One pack: a shipped pack id, or a path to a YAML pack file."""
    if selector.endswith((".yaml", ".yml")) or "/" in selector or "\\" in selector:
        path = Path(selector)
        if not path.is_file():
            raise PolicyError(f"policy pack file not found: {selector}")
        return load_pack_file(path)
    return _load_shipped(selector)


def load_packs(selectors: Sequence[str] | None = None) -> list[Pack]:
    """Packs by id or path (None or empty: every shipped pack). Tier frameworks that rules refer to are added
    from the shipped packs when no selected pack defines them, and the ``no-context`` pack when a selected
    pack has jurisdiction-scoped rules. Rule ids must be unique across packs."""
    ids = list(selectors) if selectors else shipped_pack_ids()
    packs: list[Pack] = []
    seen: set[str] = set()
    for sel in ids:
        p = load_pack(sel)
        if p.id in seen:
            continue
        seen.add(p.id)
        packs.append(p)
    defined = {fw.id for p in packs for fw in p.frameworks}
    needed = set().union(*(p.referenced_frameworks() for p in packs)) if packs else set()
    for fw_id in sorted(needed - defined):
        provider = _framework_provider(fw_id)
        if provider is None:
            raise PolicyError(f"tier framework {fw_id!r} is referenced but no pack defines it")
        if provider.id not in seen:
            seen.add(provider.id)
            packs.append(provider)
    if NO_CONTEXT_PACK not in seen and any(r.scope.jurisdictional for p in packs for r in p.rules):
        packs.append(_load_shipped(NO_CONTEXT_PACK))  # fail closed when the scan has no deployment country
    owner: dict[str, str] = {}
    for p in packs:
        for r in p.rules:
            if r.id in owner:
                raise PolicyError(f"{p.source}: rule id {r.id} is also defined by pack {owner[r.id]}")
            owner[r.id] = p.id
    return packs


def _framework_provider(fw_id: str) -> Pack | None:
    for pid in shipped_pack_ids():
        p = _load_shipped(pid)
        if any(fw.id == fw_id for fw in p.frameworks):
            return p
    return None
