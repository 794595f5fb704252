"""HTML report: one self-contained file (inline CSS and SVG, no scripts, no external assets) for audits.

Rendered with jinja2 with autoescaping on: excerpts and names come from scanned content and are hostile
text. Links are only emitted for http(s) URLs from citations and rules. Every printed value also goes
through ``finalize`` (:func:`_visible`): control characters other than newline and tab, bidi overrides,
zero-width characters and undecodable bytes become visible escapes; paths use the ``path``/``location``
filters (``display_path``: newlines escaped too).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from tierguard.model import Asset, Decision, ScanResult
from tierguard.report._common import (
    context_warning,
    counts_by_jurisdiction,
    counts_by_verdict,
    decision_index,
    display_location,
    display_path,
    not_inspected,
    operator_text,
    packs_text,
    producers_text,
    safe_text,
    skipped_reasons,
    summary_by_producer,
    verdict_label,
)
from tierguard.report.coverage import coverage

_BAR_COLOURS = {
    "deny": "#b3261e",
    "review": "#b26a00",
    "waived": "#00639b",
    "allow": "#2e7d32",
    "undecided": "#757575",
}


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: int
    width: int
    colour: str


@dataclass(frozen=True)
class Chart:
    title: str
    height: int
    bars: tuple[Bar, ...]


def _chart(title: str, items: list[tuple[str, int]], colours: dict[str, str] | None = None) -> Chart:
    top = max((v for _, v in items), default=0) or 1
    bars = tuple(
        Bar(
            label=label,
            value=v,
            y=10 + i * 28,
            width=max(int(round(300 * v / top)), 2 if v else 0),
            colour=(colours or {}).get(label, "#c62828" if label == "CN" else "#455a64"),
        )
        for i, (label, v) in enumerate(items)
    )
    return Chart(title=title, height=20 + 28 * len(items), bars=bars)


def _safe_url(url: str | None) -> str | None:
    if url and (url.startswith("https://") or url.startswith("http://")):
        return url
    return None


def _visible(value: Any) -> Any:
    if isinstance(value, Markup):  # a fragment built and escaped in Python (html_audit)
        return value
    return safe_text(value, keep_newlines=True) if isinstance(value, str) else value


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        autoescape=True,
        finalize=_visible,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["safe_url"] = _safe_url
    env.filters["path"] = display_path
    env.filters["location"] = display_location
    return env


def _template() -> jinja2.Template:
    text = resources.files("tierguard.report").joinpath("templates", "report.html.j2").read_text("utf-8")
    return _environment().from_string(text)


def _asset_row(a: Asset, decisions: dict[str, Decision]) -> dict[str, Any]:
    d = decisions.get(a.id)
    return {
        "asset": a,
        "decision": d,
        "verdict": verdict_label(d),
        "verdict_class": (
            "waived" if d is not None and d.waived_by is not None else (d.verdict if d else "undecided")
        ),
        "producers": producers_text(a),
        "operator": operator_text(a),
    }


def context(result: ScanResult) -> dict[str, Any]:
    """The template context (exposed for tests and alternative templates)."""
    decisions = decision_index(result)
    order = {"deny": 0, "review": 1, "allow": 2}
    decided = sorted(
        (a for a in result.assets if a.id in decisions),
        key=lambda a: (order[decisions[a.id].verdict], decisions[a.id].waived_by is not None, a.kind, a.name),
    )
    verdict_counts = counts_by_verdict(result)
    return {
        "r": result,
        "worst": result.worst_verdict(),
        "verdict_counts": verdict_counts,
        "groups": summary_by_producer(result),
        "chart_jurisdiction": _chart("Assets by producer jurisdiction", counts_by_jurisdiction(result)),
        "chart_verdict": _chart("Assets by decision", [(k, v) for k, v in verdict_counts], _BAR_COLOURS),
        "decided": [_asset_row(a, decisions) for a in decided],
        "assets": [_asset_row(a, decisions) for a in result.assets],
        "asset_names": {a.id: a.name for a in result.assets},
        "waived": [d for d in result.decisions if d.waived_by is not None],
        "skipped_reasons": skipped_reasons(result),
        "not_inspected": not_inspected(result),
        "coverage": coverage(result),
        "gaps": [i for i in result.inspections if i.status in ("incomplete", "not-inspected")],
        "packs": packs_text(result),
        "ctx": [(k, v) for k, v in result.context.model_dump().items() if v is not None],
        "context_warning": context_warning(result),
        "audit_html": _audit_html(result),
    }


def _audit_html(result: ScanResult) -> str:
    """``tierguard audit``'s section (per-topic bars, tests, transcripts), escaped in html_audit."""
    if result.audit is None:
        return ""
    from tierguard.report.html_audit import render_audit

    return render_audit(result.audit)


def render(result: ScanResult) -> str:
    return _template().render(**context(result))
