"""The console's decisions view: grouped by verdict, then asset; one header line per asset, one line per
usage, every rule once in a legend at the end.

    DENY (3)
      DENY  deepseek-ai/DeepSeek-R1  model  DeepSeek (CN)  via DeepSeek API (CN), Amazon Bedrock (US)
            as-6921e1918115257b
          also written: deepseek-reasoner, us.deepseek.r1-v1:0
          services/web/src/chat.ts:14     hosted-api  deny    B  DeepSeek API (CN)  model: "deepseek-re...
          deploy/terraform/bedrock.tf:10  hosted-api  review  B  Amazon Bedrock (US)  model_id = ...
          ... 9 more usages: tierguard explain as-6921e1918115257b --result FILE
          rules: OAI-2025-T1-API (deny, proposal)

Mention-only assets (every usage is strength C: docs, comments, tests; they never deny) are one count line
unless ``show_mentions``. Every string from the target goes through ``safe_text``/``display_location`` into
a rich ``Text``, so markup is never parsed and control characters stay visible.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from tierguard.model import (
    STRENGTH_ORDER,
    VERDICT_ORDER,
    Asset,
    Decision,
    Location,
    RuleMatch,
    ScanResult,
    Usage,
    status_label,
)
from tierguard.report._common import asset_index, asset_locations, display_location, safe_text, verdict_label

STYLE = {"deny": "bold red", "review": "yellow", "allow": "green"}
MAX_USAGES = 3  # usage lines per denied asset (drivers first; the rest counted, `explain` lists them all)
MAX_AT = 3  # locations on the one "at" line of an asset under review
MAX_ALIASES = 4
EXCERPT = 60
_KIND = {"ai-model": "model", "ai-service": "service", "sdk-dependency": "sdk", "ai-app": "app"}
STATUS_LEGEND = (
    "Status: statute, regulation, executive-order, directive bind where in force; proposal, bill, guidance"
    " and regulator-action (addressed to the provider) do not; rescinded is historical; tool-default is"
    " tierguard's own safety rule. --binding-only evaluates the binding ones only."
)


def _with_status(m: RuleMatch, verdict: bool = True) -> str:
    """``ID (deny, statute)``: the instrument's status beside the verdict (``ID (statute)`` without it)."""
    parts: list[str] = [m.verdict] if verdict else []
    if m.citation.status:
        parts.append(m.citation.status)
    return f"{m.rule_id} ({', '.join(parts)})" if parts else m.rule_id


def verdict_style(label: str) -> str:
    base = label.split(" ", 1)[0]
    return "cyan" if base == "waived" else STYLE.get(base, "")


def mention_only(asset: Asset) -> bool:
    """Every usage (or, without usages, all evidence) is a mention (strength C)."""
    if asset.usages:
        return all(u.strength == "C" for u in asset.usages)
    return asset.strength == "C" and asset.kind in ("ai-model", "ai-service", "sdk-dependency")


def print_decisions(result: ScanResult, console: Console, *, show_mentions: bool = False) -> None:
    """Deny, review, allow (waived after unwaived within each), each asset with its usages; the legend of
    every rule cited; the mention-only count line."""
    if not result.decisions:
        return
    assets = asset_index(result)
    rows = [(d, assets.get(d.asset_id)) for d in result.decisions]
    hidden = [(d, a) for d, a in rows if a is not None and not show_mentions and mention_only(a)]
    shown = [(d, a) for d, a in rows if (d, a) not in hidden]
    shown.sort(key=lambda r: (-VERDICT_ORDER[r[0].verdict], r[0].waived_by is not None, _name_key(r[1])))
    console.print(Text("Decisions", style="bold"))
    for verdict in ("deny", "review", "allow"):
        group = [r for r in shown if r[0].verdict == verdict]
        if not group:
            continue
        console.print(Text(f"{verdict.upper()} ({len(group)})", style=STYLE[verdict]))
        for d, a in group:
            _print_asset(d, a, console)
    if hidden:
        counts: dict[str, int] = {}
        for d, _ in hidden:
            counts[d.verdict] = counts.get(d.verdict, 0) + 1
        by = ", ".join(f"{v} {n}" for v, n in sorted(counts.items(), key=lambda kv: -VERDICT_ORDER[kv[0]]))
        console.print(
            Text(
                f"{len(hidden)} mention-only assets not listed ({by}): named only in docs, comments or tests "
                "(strength C, never deny); --show-mentions lists them",
                style="dim",
            ),
            overflow="fold",
        )
    _print_legend([d for d, _ in shown], console)


def _name_key(a: Asset | None) -> tuple[str, str]:
    return (a.kind, a.name.lower()) if a is not None else ("", "")


def short_name(name: str) -> str:
    """``DeepSeek (Hangzhou DeepSeek Artificial Intelligence)`` -> ``DeepSeek``; an organisation known by its
    acronym keeps that (``Beijing Academy of Artificial Intelligence (BAAI)`` -> ``BAAI``)."""
    head, _, rest = name.partition(" (")
    inner = rest.rstrip(")")
    if inner.isupper() and " " not in inner and len(head) > 24:
        return inner
    return head


def _producers(a: Asset) -> str:
    prov = a.provenance
    if not prov.producers:
        return "producer unknown"
    main = [p for p in prov.producers if p.role != "base-producer"] or list(prov.producers[:1])
    text = ", ".join(f"{short_name(p.name)} ({p.jurisdiction})" for p in main)
    edges = [
        f"{e.relation} of {e.base}"
        + (
            f" ({short_name(e.base_producer.name)}, {e.base_producer.jurisdiction})"
            if e.base_producer
            else ""
        )
        for e in prov.lineage
    ]
    bases = [p for p in prov.producers if p.role == "base-producer" and p not in main]
    if edges:
        text += "; " + ", ".join(edges)
    elif bases:
        text += "; base " + ", ".join(f"{short_name(p.name)} ({p.jurisdiction})" for p in bases)
    return text


def _services(a: Asset) -> str:
    """The services the asset's usages go through, ``via DeepSeek API (CN), Amazon Bedrock (US)``."""
    seen: dict[str, None] = {}
    for u in a.usages:
        if u.service and a.kind != "ai-service":
            seen[f"{u.service} ({u.service_jurisdiction or '?'})"] = None
    if not seen and a.provenance.service_operator is not None and a.kind != "ai-service":
        op = a.provenance.service_operator
        seen[f"{short_name(op.name)} ({a.provenance.service_jurisdiction or op.jurisdiction})"] = None
    return "via " + ", ".join(seen) if seen else ""


def _print_asset(d: Decision, a: Asset | None, console: Console) -> None:
    label = verdict_label(d)
    head = Text("  ")
    head.append(label.upper(), style=verdict_style(label))
    if a is None:
        head.append(f"  {d.asset_id}")
        console.print(head, overflow="fold")
        return
    head.append("  ")
    head.append(safe_text(a.name), style="bold")
    parts = [_KIND.get(a.kind, a.kind), _producers(a), _services(a), a.id]
    head.append("  " + "  ".join(p for p in parts if p))
    console.print(head, overflow="fold")
    if a.aliases and d.verdict == "deny":  # under review: on the asset's one "at" line
        more = len(a.aliases) - MAX_ALIASES
        names = ", ".join(safe_text(x) for x in a.aliases[:MAX_ALIASES]) + (f" (+{more})" if more > 0 else "")
        console.print(Text(f"      also written: {names}", style="dim"), overflow="fold")
    if d.waived_by is not None:
        w = d.waived_by
        console.print(
            Text(
                f"      waived by {w.id} (owner {w.owner}, expires {w.expires}): {safe_text(w.justification)}"
            ),
            overflow="fold",
        )
    if d.verdict == "deny":
        _print_usages(d, a, console)
        rules = ", ".join(_with_status(m) for m in d.matches)
        if rules:
            console.print(Text(f"      rules: {rules}"), overflow="fold")
    elif d.verdict == "review":
        _print_at(d, a, console)
    if d.verdict != "allow":
        for n in d.notes:
            console.print(Text(f"      note: {safe_text(n)}", style="dim"), overflow="fold")


def _print_at(d: Decision, a: Asset, console: Console) -> None:
    """One line for an asset under review: where it is used, drivers first, lines of one file and use mode
    together (``at embeddings.py:3,7 self-hosted, README.md:17 unknown  rules: OAI-2025-T1-SELF``)."""
    drivers = set(d.driven_by)
    places: dict[tuple[str, str], list[str]] = {}
    ways = [(u.location, u.use_mode, u.strength) for u in a.usages]
    ways = ways or [(loc, a.use_mode, a.strength) for loc in asset_locations(a)]  # no usages: evidence
    for loc, mode, _ in sorted(ways, key=lambda w: (w[0] not in drivers, -STRENGTH_ORDER[w[2]])):
        where = loc.path if loc.member is None else f"{loc.path}!{loc.member}"
        lines = places.setdefault((where, mode), [])
        if loc.line is not None and str(loc.line) not in lines:
            lines.append(str(loc.line))
    parts = [
        f"{display_location(Location(path=p))}{':' + ','.join(ln) if ln else ''} {mode}"
        for (p, mode), ln in list(places.items())[:MAX_AT]
    ]
    more = f" (+{len(places) - MAX_AT} more)" if len(places) > MAX_AT else ""
    rules = ", ".join(dict.fromkeys(_with_status(m, verdict=False) for m in d.matches))
    text = (f"at {', '.join(parts)}{more}" if parts else "") + (f"  rules: {rules}" if rules else "")
    if a.aliases:
        extra = f" (+{len(a.aliases) - MAX_ALIASES})" if len(a.aliases) > MAX_ALIASES else ""
        text += "  as: " + ", ".join(safe_text(x) for x in a.aliases[:MAX_ALIASES]) + extra
    if text:
        console.print(Text("      " + text.strip()), overflow="fold")


def _print_usages(d: Decision, a: Asset, console: Console) -> None:
    drivers = set(d.driven_by)
    ordered = sorted(
        a.usages,
        key=lambda u: (
            u.location not in drivers,
            -STRENGTH_ORDER[u.strength],
            u.location.path,
            u.location.line or 0,
        ),
    )
    if not ordered:  # an asset without usages (a device, a hand-built result): where it was seen
        locs = list(d.driven_by) or asset_locations(a)
        for loc in locs[:MAX_USAGES]:
            console.print(Text(f"      {display_location(loc)}"), overflow="fold")
        if len(locs) > MAX_USAGES:
            console.print(Text(f"      ... {len(locs) - MAX_USAGES} more places", style="dim"))
        return
    shown: dict[tuple[object, ...], Usage] = {}  # one line per place and way (two values on one line: one)
    for u in ordered:
        shown.setdefault((u.location, u.use_mode, u.service, u.strength), u)
    lines = list(shown.values())
    width = min(40, max(len(display_location(u.location)) for u in lines[:MAX_USAGES]))
    for u in lines[:MAX_USAGES]:
        g = d.usage_verdict(u)
        line = Text(f"      {display_location(u.location):<{width}}  {u.use_mode:<12} ")
        verdict = g.verdict if g is not None else ""
        line.append(f"{verdict:<6}", style=STYLE.get(verdict, ""))
        line.append(f"  {u.strength}")
        if u.service:
            line.append(f"  {safe_text(u.service)} ({u.service_jurisdiction or '?'})")
        excerpt = safe_text(u.excerpt.strip())
        if excerpt:
            cut = excerpt if len(excerpt) <= EXCERPT else excerpt[: EXCERPT - 3] + "..."
            line.append("  " + cut, style="dim")
        console.print(line, overflow="ellipsis", no_wrap=True)
    ordered = lines
    rest = len(ordered) - MAX_USAGES
    if rest > 0:
        console.print(
            Text(f"      ... {rest} more usages: tierguard explain {a.id} --result FILE", style="dim")
        )


def _print_legend(decisions: list[Decision], console: Console) -> None:
    """Every source cited by the listed decisions, once, with the rules that cite it and their reasons."""
    rules: dict[tuple[str, str], RuleMatch] = {}
    for d in decisions:
        for m in d.matches:
            rules.setdefault((m.pack, m.rule_id), m)
    if not rules:
        return
    by_source: dict[tuple[str, str, str, bool, str], list[RuleMatch]] = {}
    for _, m in sorted(rules.items(), key=lambda kv: kv[0][1]):
        c = m.citation
        by_source.setdefault((c.instrument, c.date, c.url, c.verify, c.status or ""), []).append(m)
    console.print()
    console.print(Text("Rules cited, by source", style="bold"))
    for (instrument, date, url, verify, status), ms in by_source.items():
        label = f" [{status_label(status)}]" if status else ""
        secondary = " [secondary, verify]" if verify else ""
        src = Text(f"  {instrument} ({date}){label}{secondary}", style="bold")
        src.append(f" {url}", style="")
        console.print(src, overflow="fold")
        for m in ms:
            line = Text(f"    {m.rule_id}", style="bold")
            line.append(f" [{m.pack}@{m.pack_version}] {m.severity}: {m.reason.split(' [')[0].strip()}")
            console.print(line, overflow="fold")
    if any(status for *_, status in by_source):
        console.print(Text("  " + STATUS_LEGEND, style="dim"), overflow="fold")
