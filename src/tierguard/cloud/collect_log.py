"""The record ``tierguard cloud aws`` writes beside the responses it collected: the calls made and what it
could not collect (a call refused, a page limit reached), so the gaps reach the result as ``Skipped``
entries through the same reader as every export::

    {"tierguardAwsCollect": {"version": 1, "account": "123456789012", "regions": ["us-east-1"],
      "calls": [{"service": "bedrock", "region": "us-east-1", "operation": "ListImportedModels", "count": 1}],
      "errors": [{"service": "sagemaker", "region": "us-east-1", "operation": "ListEndpoints",
                  "reason": "permission-denied", "detail": "AccessDeniedException: ..."}],
      "notes": ["bedrock is not offered in ap-east-2"]}}
"""

from __future__ import annotations

from tierguard.cloud.jsonio import Document, arr, clean, obj, text
from tierguard.cloud.records import Issues

FORMAT = "tierguard-aws-collect"
REASONS = frozenset({"permission-denied", "unreadable", "incomplete"})


def read_collect_log(doc: Document, display: str, issues: Issues) -> None:
    body = obj(obj(doc.data).get("tierguardAwsCollect"))
    if not body:
        issues.bad(display, 1, FORMAT, "tierguardAwsCollect is not an object")
        return
    calls = [obj(c) for c in arr(body.get("calls"))[:10_000]]
    n = sum(c.get("count", 1) for c in calls if isinstance(c.get("count", 1), int))
    regions = ", ".join(r for r in arr(body.get("regions"))[:50] if isinstance(r, str))
    account = text(body.get("account"), 64) or "account unknown"
    issues.notes.append(
        f"cloud: collected live from AWS {account} ({regions or 'no region'}): {n} read-only calls"
    )
    for e in arr(body.get("errors"))[:10_000]:
        e = obj(e)
        where = ":".join(clean(text(e.get(k), 64) or "?", 64) for k in ("service", "region", "operation"))
        reason = text(e.get("reason"), 64) or "unreadable"
        issues.skip(
            f"aws:{where}", reason if reason in REASONS else "unreadable", text(e.get("detail"), 500) or ""
        )
    for note in arr(body.get("notes"))[:1000]:
        if isinstance(note, str):
            issues.notes.append(f"cloud: {clean(note, 500)}")
