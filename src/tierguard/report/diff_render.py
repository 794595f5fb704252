"""Renderers of a :class:`~tierguard.report.diff.ScanDiff`: ``table`` (rich console, or plain text), ``json``
(versioned, with a JSON Schema shipped in ``report/schema/scan-diff-<version>.json``), and the lookup of
the SARIF and HTML renderers (:mod:`tierguard.report.diff_sarif`, :mod:`tierguard.report.diff_html`).

Every string from a scanned target (names, paths, messages) goes through ``safe_text``/``display_path`` and
into rich ``Text`` objects: control characters are shown escaped and markup is never parsed. JSON paths use
the lossless path encoding of docs/formats.md, like the result's JSON.
"""

from __future__ import annotations

import importlib
import io
import json
from collections.abc import Callable
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tierguard.report._common import display_location, display_path, json_path, no_surrogates, safe_text
from tierguard.report.diff import DIFF_SCHEMA_VERSION, DiffSide, ScanDiff
from tierguard.report.json_report import packaged_schema, schema_file_text

DIFF_FORMATS = ("table", "json", "sarif", "html")
SCHEMA_FILENAME = f"scan-diff-{DIFF_SCHEMA_VERSION}.json"
SCHEMA_ID = f"urn:tierguard:schema:scan-diff:{DIFF_SCHEMA_VERSION}"
_PATH_KEYS = frozenset({"path", "member", "target"})
_STYLE = {"deny": "bold red", "review": "yellow", "allow": "green", None: "dim"}
_MARK = {"new": "NEW", "resolved": "GONE", "changed": "CHANGED", "worse": "WORSE", "better": "BETTER"}
_MARK_STYLE = {"new": "bold", "resolved": "dim", "changed": "cyan", "worse": "bold red", "better": "green"}


# ---------------------------------------------------------------------------------------------------------
# JSON


def _encode(value: Any, key: str = "") -> Any:
    if isinstance(value, str):
        return json_path(value) if key in _PATH_KEYS else no_surrogates(value)
    if isinstance(value, dict):
        return {no_surrogates(k): _encode(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def document(d: ScanDiff) -> dict[str, Any]:
    """The JSON document as Python data (paths in the path encoding)."""
    data: dict[str, Any] = _encode(d.model_dump())
    return data


def render_json(d: ScanDiff) -> str:
    return json.dumps(document(d), indent=2, ensure_ascii=False) + "\n"


def schema_document() -> dict[str, Any]:
    """A fresh JSON Schema (draft 2020-12) of the serialised ScanDiff."""
    body = ScanDiff.model_json_schema()
    doc: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": f"tierguard scan diff {DIFF_SCHEMA_VERSION}",
    }
    doc.update({k: v for k, v in body.items() if k != "title"})
    return doc


def schema_text() -> str:
    return schema_file_text(schema_document())


def load_schema() -> dict[str, Any]:
    return packaged_schema(SCHEMA_FILENAME)


# ---------------------------------------------------------------------------------------------------------
# Table


def _side_text(label: str, s: DiffSide) -> Text:
    t = Text(f"{label}: ", style="bold")
    t.append(safe_text(s.label) + "  " if s.label else "")
    t.append(display_path(s.target))
    if s.started:
        t.append(f"  {s.started}", style="dim")
    t.append(f"  worst {s.worst_verdict}", style=_STYLE[s.worst_verdict])
    t.append(f", {s.assets} assets, {s.findings} findings", style="dim")
    return t


def mark(change: str) -> Text:
    return Text(_MARK[change], style=_MARK_STYLE[change])


def verdict_text(v: str | None) -> Text:
    return Text(v or "-", style=_STYLE.get(v, "dim"))


def simple_table(title: str, columns: tuple[str, ...]) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for c in columns:
        table.add_column(c, overflow="fold")
    return table


def print_diff(d: ScanDiff, console: Console) -> None:  # size: one section per kind of change, in order
    console.print(_side_text("old", d.old))
    console.print(_side_text("new", d.new))
    for note in d.notes:
        console.print(Text(f"note: {safe_text(note)}", style="yellow"))
    if d.empty:
        console.print(Text("No changes.", style="green"))
    if d.regressions:
        console.print()
        th = d.thresholds
        head = f"Regressions ({len(d.regressions)}; fail-on {th.fail_on}, findings {th.fail_on_severity})"
        console.print(Text(head, style="bold red"))
        for r in d.regressions:
            console.print(Text("  ") + Text(f"[{r.kind}] ", style="bold") + Text(safe_text(r.message)))
    if d.decisions:
        t = simple_table("Decisions", ("", "asset", "kind", "old", "new", "rules"))
        for c in d.decisions:
            rules = ", ".join(c.rules_new or c.rules_old)
            row = (
                Text(safe_text(c.asset_name)),
                Text(c.asset_kind),
                verdict_text(c.old),
                verdict_text(c.new),
            )
            t.add_row(mark(c.change), *row, Text(safe_text(rules), style="dim"))
        console.print(t)
    if d.assets:
        t = simple_table("Assets", ("", "asset", "kind", "verdict", "what moved"))
        for a in d.assets:
            moved = Text()
            for f in a.fields:
                moved.append(f"{f.field}: ", style="bold")
                moved.append(f"{safe_text(f.old)} -> {safe_text(f.new)}\n")
            moved.rstrip()
            t.add_row(mark(a.change), Text(safe_text(a.name)), Text(a.kind), verdict_text(a.verdict), moved)
        console.print(t)
    if d.usages:
        t = simple_table("Usages", ("", "asset", "where", "use", "verdict"))
        for u in d.usages:
            use = u.use_mode + (f" via {u.service}" if u.service else "")
            name = Text(safe_text(u.asset_name))
            if u.change == "new" and u.existing_asset:
                name.append(" (existing asset)", style="dim")
            where = Text(display_location(u.location))
            t.add_row(mark(u.change), name, where, Text(safe_text(use)), verdict_text(u.verdict))
        console.print(t)
    if d.findings:
        t = simple_table("Findings", ("", "severity", "rule", "where", "message"))
        for fc in d.findings:
            where = Text(display_location(fc.location))
            row = (Text(fc.severity), Text(fc.rule_id), where, Text(safe_text(fc.message)))
            t.add_row(mark(fc.change), *row)
        console.print(t)
    counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in d.summary.items() if v)
    console.print(Text(f"Summary: {counts or 'no changes'}", style="bold"))


def render_table(d: ScanDiff) -> str:
    """The table report as plain text (no colour), for ``--format table --output FILE``."""
    buf = io.StringIO()
    print_diff(d, Console(file=buf, width=140, color_system=None, force_terminal=False))
    return buf.getvalue()


_RENDERERS = {"table": ("diff_render", "render_table"), "json": ("diff_render", "render_json")}
_RENDERERS |= {"sarif": ("diff_sarif", "render"), "html": ("diff_html", "render")}


def renderer(fmt: str) -> Callable[[ScanDiff], str]:
    """The renderer of ``fmt`` (one of :data:`DIFF_FORMATS`), its module imported on first use."""
    module, name = _RENDERERS[fmt]
    fn: Callable[[ScanDiff], str] = getattr(importlib.import_module(f"tierguard.report.{module}"), name)
    return fn
