"""HTML of a :class:`~tierguard.report.diff.ScanDiff`: one self-contained file (inline CSS, no scripts, no
external assets), rendered by jinja2 with the HTML report's environment (autoescaping, every value made
visible by ``finalize``, ``path``/``location`` filters, links only for http(s) URLs)."""

from __future__ import annotations

from importlib import resources

from tierguard.report.diff import ScanDiff
from tierguard.report.html import _environment


def render(d: ScanDiff) -> str:
    text = resources.files("tierguard.report").joinpath("templates", "diff.html.j2").read_text("utf-8")
    rules = {r.id: r for r in d.rules}
    return _environment().from_string(text).render(d=d, rules=rules, summary=d.summary.items())
