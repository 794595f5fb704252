"""Decisions over usages: an asset is judged on every distinct (use mode, service jurisdiction, strength)
among its usages; the worst wins, and the decision names the usages that drove it. The failure paths come
first: merging usages must never hide a strong one behind a weak one (a false allow)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tierguard.catalog import load_catalog
from tierguard.model import (
    Asset,
    Context,
    Location,
    ModelDetails,
    ProducerRef,
    Provenance,
    Strength,
    Usage,
    UseMode,
)
from tierguard.policy.engine import evaluate, usage_groups
from tierguard.policy.packs import Pack
from tierguard.scanner import Scanner, ScanOptions

TODAY = dt.date(2026, 11, 22)
UK_GOV = Context(country="GB", sector="government")


def usage(path: str, mode: UseMode, strength: Strength, juris: str | None = None, line: int = 1) -> Usage:
    return Usage(
        location=Location(path=path, line=line),
        use_mode=mode,
        strength=strength,
        operator={"CN": "deepseek", "US": "amazon"}.get(juris or ""),
        service_jurisdiction=juris,
    )


def r1(*usages: Usage) -> Asset:
    return Asset(
        kind="ai-model",
        name="deepseek-ai/DeepSeek-R1",
        use_mode="unknown",  # a stale summary must not matter: decisions read the usages
        provenance=Provenance(producers=(ProducerRef(id="deepseek", name="DeepSeek", jurisdiction="CN"),)),
        usages=usages,
    )


def test_a_strong_prc_api_usage_is_not_hidden_by_mentions(packs: list[Pack]) -> None:
    mentions = [usage(f"docs/{i}.md", "unknown", "C") for i in range(30)]
    asset = r1(*mentions, usage("app/chat.py", "hosted-api", "B", "CN", line=7))
    (d,) = evaluate([asset], [], [], UK_GOV, packs, today=TODAY)
    assert d.verdict == "deny"
    assert d.driven_by == (Location(path="app/chat.py", line=7),)
    assert "OAI-2025-T1-API" in {m.rule_id for m in d.matches}
    verdicts = {(g.use_mode, g.service_jurisdiction, g.strength): g.verdict for g in d.by_usage}
    assert verdicts[("hosted-api", "CN", "B")] == "deny"
    assert verdicts[("unknown", None, "C")] == "review"
    assert sum(g.usages for g in d.by_usage) == 31


def test_the_same_model_through_a_us_host_is_judged_apart(packs: list[Pack]) -> None:
    bedrock_only = r1(usage("infra/bedrock.tf", "hosted-api", "B", "US"))
    both = r1(
        usage("infra/bedrock.tf", "hosted-api", "B", "US"), usage("app/chat.py", "hosted-api", "B", "CN")
    )
    d_us, d_both = evaluate([bedrock_only, both], [], [], UK_GOV, packs, today=TODAY)
    assert d_us.verdict == "review" and "OAI-2025-T1-3PHOST" in {m.rule_id for m in d_us.matches}
    assert d_both.verdict == "deny"
    assert [loc.path for loc in d_both.driven_by] == ["app/chat.py"]  # Bedrock did not drive the deny
    assert {g.verdict for g in d_both.by_usage} == {"deny", "review"}


def test_a_mention_alone_never_denies_even_of_a_denied_api(packs: list[Pack]) -> None:
    (d,) = evaluate([r1(usage("README.md", "hosted-api", "C", "CN"))], [], [], UK_GOV, packs, today=TODAY)
    assert d.verdict == "review" and any("capped" in n for n in d.notes)


def test_drivers_are_capped_and_counted(packs: list[Pack]) -> None:
    many = [usage(f"svc/{i:03}.py", "hosted-api", "A", "CN") for i in range(25)]
    (d,) = evaluate([r1(*many)], [], [], UK_GOV, packs, today=TODAY)
    assert len(d.driven_by) == 20 and any("25 usages" in n for n in d.notes)


def test_usage_groups_key_on_mode_jurisdiction_and_strength() -> None:
    a = r1(
        usage("a.py", "hosted-api", "B", "CN"),
        usage("b.py", "hosted-api", "B", "CN"),
        usage("c.py", "hosted-api", "B", "US"),
        usage("d.md", "unknown", "C"),
    )
    assert {k: len(v) for k, v in usage_groups(a).items()} == {
        ("hosted-api", "CN", 2): 2,
        ("hosted-api", "US", 2): 1,
        ("unknown", None, 1): 1,
    }


def test_model_on_disk_and_named_in_code_is_one_asset_and_keeps_its_weights_usage(
    tmp_path: Path, packs: list[Pack]
) -> None:
    """A GGUF of a DeepSeek distill on disk and a README mention of the same model: one asset whose
    self-hosted weights usage (strength A) still drives the decision; the mention does not weaken it."""
    from tests.artifacts.builders import gguf_bytes

    (tmp_path / "README.md").write_text("We evaluated deepseek-ai/DeepSeek-R1-Distill-Llama-8B last year.\n")
    models = tmp_path / "models"
    models.mkdir()
    (models / "r1-8b.gguf").write_bytes(
        gguf_bytes({"general.architecture": "llama", "general.name": "DeepSeek-R1-Distill-Llama-8B"})
    )
    result = Scanner(load_catalog(), packs).scan(tmp_path, UK_GOV, options=ScanOptions())
    named = [a for a in result.assets if a.name == "deepseek-ai/DeepSeek-R1-Distill-Llama-8B"]
    assert len(named) == 1, [(a.name, a.kind) for a in result.assets]
    asset = named[0]
    assert {(u.use_mode, u.strength) for u in asset.usages} >= {("self-hosted", "A"), ("unknown", "C")}
    assert isinstance(asset.details, ModelDetails) and asset.details.format == "gguf"
    d = next(d for d in result.decisions if d.asset_id == asset.id)
    weights = next(g for g in d.by_usage if g.use_mode == "self-hosted")
    assert weights.strength == "A" and d.verdict == weights.verdict != "allow"
