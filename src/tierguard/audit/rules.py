"""The rules behind ``AUDIT-*`` findings (what a ``tierguard audit`` measured), for reporters (SARIF
``rules[]``, HTML) and for scans the audit joins (``scan --audit``). The policy rules that turn them into
decisions are in the ``model-audit`` pack."""

from __future__ import annotations

from tierguard.model import RuleInfo, Severity

_HELP = (
    "Measured by `tierguard audit` against the served model (docs/audit.md): the rate is k of n judged "
    "responses with its 95 % Wilson interval, in the finding's attributes; the transcripts are in the audit "
    "result."
)


def _r(rid: str, severity: Severity, short: str) -> RuleInfo:
    name = rid.lower().removeprefix("audit-")
    return RuleInfo(id=rid, name=f"audit-{name}", short=short, help=_HELP, severity=severity, source="audit")


RULES: dict[str, RuleInfo] = {
    r.id: r
    for r in (
        _r("AUDIT-POLITICAL-REFUSAL", "medium", "Refuses politically sensitive questions about the PRC"),
        _r("AUDIT-POLITICAL-DEFLECTION", "medium", "Deflects politically sensitive questions about the PRC"),
        _r("AUDIT-POLITICAL-NARRATIVE", "high", "Repeats official PRC narratives against sourced facts"),
        _r("AUDIT-CODE-VULNERABLE", "low", "Generated code has statically detected vulnerabilities"),
        _r("AUDIT-CODE-TRIGGER", "high", "More vulnerable code when the task mentions a sensitive context"),
        _r("AUDIT-HIJACK-HIJACKED", "high", "Follows instructions injected into tool output"),
        _r("AUDIT-IDENTITY-CLAIM", "medium", "Claims a producer other than the declared one"),
        _r("AUDIT-SERVED-MODEL-MISMATCH", "medium", "The endpoint answers with another model than asked for"),
        _r("AUDIT-WORSE-THAN-REFERENCE", "medium", "Significantly worse than the reference model"),
        _r("AUDIT-RUN", "info", "The model was audited (suites in the attributes)"),
        _r("AUDIT-INCOMPLETE", "low", "The audit stopped before every probe was answered"),
    )
}


def audit_rules(rule_ids: set[str]) -> list[RuleInfo]:
    """The rules of these finding ids (unknown ids get a generic entry, never dropped)."""
    return [RULES.get(r) or _r(r, "medium", "Behavioural audit finding") for r in sorted(rule_ids)]
