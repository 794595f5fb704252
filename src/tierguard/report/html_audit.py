"""The audit section of the HTML report: per-topic bars (CSS widths, no script) with the 95 % Wilson interval
as a whisker, the significance tests, and the transcripts. Every text that came from a probe file, an
endpoint or a model is escaped; numbers are formatted here. Nothing the model wrote is rendered as markup.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup
from markupsafe import escape as _escape

from tierguard.model import Audit, AuditRate
from tierguard.report._common import safe_text

MAX_TRANSCRIPTS = 500
CSS = """
.abar { position: relative; height: .9rem; background: #eee; width: 16rem; display: inline-block; }
.abar .fill { position: absolute; left: 0; top: 0; bottom: 0; background: #b3261e; }
.abar .fill.good { background: #146c2e; }
.abar .ci { position: absolute; top: .4rem; height: 2px; background: #1c1b1f; }
table.audit td { white-space: nowrap; }
"""
def escape(text: str) -> Markup:
    """Control and bidi characters made visible (as everywhere in the report), then HTML-escaped."""
    return _escape(safe_text(text, keep_newlines=True))


GOOD = frozenset({"honest", "resisted", "clean-code", "no-claim"})


def _bar(r: AuditRate) -> str:
    fill = "fill good" if r.label in GOOD else "fill"
    lo, hi = 100 * r.low, 100 * r.high
    return (
        f'<span class="abar" title="{100 * r.rate:.0f}% (95% CI {lo:.0f}-{hi:.0f}%)">'
        f'<span class="{fill}" style="width:{100 * r.rate:.1f}%"></span>'
        f'<span class="ci" style="left:{lo:.1f}%;width:{max(hi - lo, 0.5):.1f}%"></span></span>'
    )


def _rows(rates: Sequence[AuditRate]) -> str:
    out = []
    for r in rates:
        out.append(
            f"<tr><td>{escape(r.model)}</td><td>{escape(r.suite)}</td><td>{escape(r.topic)}</td>"
            f"<td>{escape(r.lang)}</td><td>{escape(r.variant)}</td><td>{escape(r.label)}</td>"
            f"<td>{_bar(r)} {100 * r.rate:.0f}%</td><td>{r.k}/{r.n}</td>"
            f"<td>{100 * r.low:.0f}-{100 * r.high:.0f}%</td></tr>"
        )
    return "".join(out)


def render_audit(audit: Audit) -> Markup:
    """The ``<section id="audit">`` of the report."""
    head = (
        f"<p>Model <strong>{escape(audit.model)}</strong> at <code>{escape(audit.endpoint)}</code>; served "
        f"model(s): {escape(', '.join(audit.served_models) or 'not reported')}; {audit.requests} requests, "
        f"{audit.cached} cached, {audit.prompt_tokens + audit.completion_tokens} tokens; temperature "
        f"{audit.temperature:g}, top_p {audit.top_p:g}, max_tokens {audit.max_tokens}, seed {audit.seed}; "
        f"suites {escape(', '.join(audit.suites))}.</p>"
    )
    if audit.stopped:
        head += f'<p class="banner" role="alert"><strong>Incomplete.</strong> {escape(audit.stopped)}</p>'
    by_topic = [r for r in audit.rates if r.lang == "*" and r.variant == "*"]
    by_other = [r for r in audit.rates if r.topic == "*" and (r.lang != "*" or r.variant != "*")]
    th = "<tr><th>model</th><th>suite</th><th>topic</th><th>lang</th><th>variant</th><th>label</th>"
    th += "<th>rate</th><th>k/n</th><th>95% CI</th></tr>"
    tests = "".join(
        f"<tr><td>{escape(c.suite)}</td><td>{escape(c.label)}</td>"
        f"<td>{escape(c.a)} {100 * c.rate_a:.0f}%</td>"
        f"<td>{escape(c.b)} {100 * c.rate_b:.0f}%</td><td>{escape(c.test)}</td><td>{c.n}</td>"
        f"<td>{c.p_value:.3g}</td><td>{'significant' if c.significant else 'not significant'}</td></tr>"
        for c in audit.comparisons
    )
    shown = audit.transcripts[:MAX_TRANSCRIPTS]
    trans = "".join(
        f"<details><summary><code>{escape(t.suite)}/{escape(t.probe_id)}</code> {escape(t.model)}: "
        f"{escape(t.label or t.status)}{' (cached)' if t.cached else ''}</summary>"
        f"<p class='small'>{escape('; '.join(t.reasons))}{escape(t.error)}</p>"
        f"<pre>{escape(t.prompt)}</pre><pre>{escape(t.response)}</pre></details>"
        for t in shown
    )
    more = len(audit.transcripts) - len(shown)
    if more > 0:
        trans += f"<p class='muted'>{more} more transcripts in the JSON report.</p>"
    return Markup(
        f'<section id="audit"><style>{CSS}</style><h2>Behavioural audit</h2>{head}'
        f'<h3>Per topic</h3><table class="audit">{th}{_rows(by_topic)}</table>'
        f'<h3>Per language and variant</h3><table class="audit">{th}{_rows(by_other)}</table>'
        f"<h3>Significance tests</h3><table><tr><th>suite</th><th>label</th><th>a</th><th>b</th><th>test</th>"
        f"<th>n</th><th>p</th><th></th></tr>{tests}</table>"
        f"<h3>Transcripts</h3>{trans}</section>"
    )
