"""The console's device view, for usages found in device inventories and network logs (``Usage.host``):
a fleet roll-up, then per device (and user) which apps and services are denied or under review, under which
rules, since when.

    Devices and users: 3 devices with usages; 2 with a deny, 1 with review only
      LAPTOP-17 (alice)   DENY    DeepSeek (app)             2026-11-02 .. 2026-11-30  US-TX-2025-DEEPSEEK
                          REVIEW  Kimi (app)                 2026-11-20 .. 2026-11-20  OAI-2025-T1-APP
      10.0.4.12           DENY    DeepSeek app and web chat  x14  2026-11-29 .. 2026-11-30  ...

Allowed usages are not listed (the JSON and CSV have them). At most :data:`MAX_DEVICES` devices are listed;
``--format csv`` gives every row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console
from rich.text import Text

from tierguard.model import VERDICT_ORDER, ScanResult
from tierguard.report._common import asset_index, safe_text
from tierguard.report.console_decisions import STYLE

MAX_DEVICES = 40


@dataclass
class _Line:
    verdict: str  # the label: deny, review, waived (deny) ...
    asset: str
    rules: tuple[str, ...]
    rank: int = 0  # VERDICT_ORDER of the worst usage here
    count: int = 0
    first: str = ""
    last: str = ""
    users: set[str] = field(default_factory=set)


def devices(result: ScanResult) -> dict[str, dict[str, _Line]]:
    """device -> asset name -> what was seen there (non-allowed usages only)."""
    assets = asset_index(result)
    out: dict[str, dict[str, _Line]] = {}
    for d in result.decisions:
        a = assets.get(d.asset_id)
        if a is None:
            continue
        for u in a.usages:
            if not u.host:
                continue
            g = d.usage_verdict(u)
            verdict = g.verdict if g is not None else d.verdict
            if verdict == "allow" and d.waived_by is None:
                continue
            label = f"waived ({verdict})" if d.waived_by is not None else verdict
            rules = tuple(dict.fromkeys(m.rule_id for m in d.matches))
            line = out.setdefault(u.host, {}).setdefault(a.name, _Line(label, a.name, rules, -1))
            if VERDICT_ORDER[verdict] > line.rank:
                line.verdict, line.rank = label, VERDICT_ORDER[verdict]
            line.count += u.count
            if u.first_seen and (not line.first or u.first_seen < line.first):
                line.first = u.first_seen
            if u.last_seen and u.last_seen > line.last:
                line.last = u.last_seen
            if u.user:
                line.users.add(u.user)
    return out


def print_devices(result: ScanResult, console: Console) -> None:
    seen = devices(result)
    if not seen:
        return
    worst = {h: max(ln.rank for ln in lines.values()) for h, lines in seen.items()}
    n_deny = sum(1 for v in worst.values() if v == VERDICT_ORDER["deny"])
    head = Text("Devices and users", style="bold")
    head.append(
        f": {len(seen)} devices with usages to act on; {n_deny} with a deny, {len(seen) - n_deny} review only"
    )
    console.print(head, overflow="fold")
    ordered = sorted(seen.items(), key=lambda kv: (-worst[kv[0]], kv[0]))
    for host, lines in ordered[:MAX_DEVICES]:
        users = sorted({u for ln in lines.values() for u in ln.users})
        label = safe_text(host) + (f" ({safe_text(', '.join(users))})" if users else "")
        first = True
        for ln in sorted(lines.values(), key=lambda x: (-x.rank, x.asset)):
            t = Text(f"  {label if first else '':<28}  ")
            t.append(f"{ln.verdict.upper():<7}", style=STYLE.get(ln.verdict, "cyan"))  # waived: cyan
            t.append(f"  {safe_text(ln.asset)}")
            if ln.count > 1:
                t.append(f"  x{ln.count}")
            if ln.first or ln.last:
                t.append(f"  {ln.first or '?'} .. {ln.last or '?'}")
            if ln.rules:
                t.append(f"  {', '.join(ln.rules)}", style="dim")
            console.print(t, overflow="fold")
            first = False
    if len(ordered) > MAX_DEVICES:
        console.print(
            Text(
                f"  ... {len(ordered) - MAX_DEVICES} more devices: --format csv lists every one", style="dim"
            )
        )
    console.print()
