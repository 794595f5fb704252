"""Rules the identify stage can raise as findings: the single source of their metadata (SARIF, HTML, docs)."""

from __future__ import annotations

from tierguard.model import RuleInfo

RULE_CONTRADICTION = "TG-ID-001"

RULES: dict[str, RuleInfo] = {
    RULE_CONTRADICTION: RuleInfo(
        id=RULE_CONTRADICTION,
        name="ModelIdentityContradiction",
        short="Model identity contradiction: a self-reported base or name disagrees with the tensor layout "
        "or tokenizer",
        help=(
            "The model card, config or GGUF metadata names one base model or family, but the tensor-name "
            "signature or the tokenizer read from the file headers points to another. Self-reported metadata "
            "is copied from model cards and can be wrong or deliberately misleading (a renamed PRC-produced "
            "model). Trust the structural evidence, find where the artifact came from, and review its "
            "provenance before relying on it."
        ),
        severity="medium",
        source="identify",
    ),
}
