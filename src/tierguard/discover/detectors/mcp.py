"""MCP client configurations: ``mcp.json``, ``.mcp.json``, ``claude_desktop_config.json``,
``.cursor/mcp.json``, ``.vscode/mcp.json`` (JSON with comments), Cline/Windsurf/Zed settings: servers
under ``mcpServers``, ``servers``, ``context_servers`` or ``mcp.servers``.

The text pass (``config.parse_json``) already finds provider env keys, base URLs and model values; here each
of its observations inside a server's entry is tied to that server (``attributes["mcp_server"]`` and the
excerpt ``mcp server "NAME": ...``), and the server's launch adds what only its structure says: the package
run by ``npx``/``bunx``/``uvx``/``pipx`` (a catalog package: package-dependency, A), ``--model`` arguments and
``*_MODEL`` env values (B; hosted-api when the server also carries a provider key or host).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from tierguard.catalog.loader import Catalog
from tierguard.model import Evidence

from ..common import MAX_EXCERPT, Collector
from ..interface import Unit
from .iac import Cloud, add_model, is_model_key, merge

_NAMES = frozenset(
    {
        "mcp.json",
        ".mcp.json",
        "claude_desktop_config.json",
        "mcp_config.json",
        "mcp_settings.json",
        "cline_mcp_settings.json",
        "mcp-servers.json",
        "mcp_servers.json",
    }
)
_JSONC = re.compile(r'"(?:[^"\\\n]|\\.)*"|//[^\n]*|/\*.*?\*/|,(?=\s*[}\]])', re.S)
_RUNNERS = {"npx": "npm", "bunx": "npm", "pnpx": "npm", "uvx": "pypi", "pipx": "pypi"}
_NPM_SPEC = re.compile(r"^(@[\w.-]+/[\w.-]+|[\w.-]+)")
_MAX_SERVERS = 500


def is_mcp_config(unit: Unit) -> bool:
    p = unit.ref.logical_path.lower()
    name = p.rsplit("/", 1)[-1]
    return name in _NAMES or '"mcpServers"' in unit.text or ('"context_servers"' in unit.text)


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        pass

    # JSON with comments and trailing commas (VS Code): blank them out, keeping every offset
    def blank(mo: re.Match[str]) -> str:
        s = mo.group(0)
        return s if s.startswith('"') else re.sub(r"[^\n]", " ", s)

    try:
        return json.loads(_JSONC.sub(blank, text))
    except ValueError:
        return None


def _servers(doc: Any) -> dict[str, Any]:
    if not isinstance(doc, dict):
        return {}
    for key in ("mcpServers", "servers", "context_servers"):
        v = doc.get(key)
        if isinstance(v, dict):
            return v
    mcp = doc.get("mcp")
    if isinstance(mcp, dict) and isinstance(mcp.get("servers"), dict):
        return mcp["servers"]  # type: ignore[no-any-return]
    v = doc.get("mcp.servers")
    return v if isinstance(v, dict) else {}


def _ranges(text: str, names: list[str]) -> list[tuple[str, int, int]]:
    """(server name, start, end) offsets of each server's entry in the text, in text order."""
    found: list[tuple[int, str]] = []
    for name in names:
        mo = re.search(r'"' + re.escape(json.dumps(name)[1:-1]) + r'"\s*:\s*\{', text)
        if mo is not None:
            found.append((text.rfind("\n", 0, mo.start()) + 1, name))
    found.sort()
    out: list[tuple[str, int, int]] = []
    for i, (start, name) in enumerate(found):
        end = found[i + 1][0] if i + 1 < len(found) else len(text)
        out.append((name, start, end))
    return out


def parse_mcp(unit: Unit, catalog: Catalog, text_ev: Sequence[Evidence]) -> list[Evidence]:
    doc = _loads(unit.text)
    servers = _servers(doc)
    if not servers:
        return list(text_ev)
    names = [n for n in list(servers)[:_MAX_SERVERS] if isinstance(servers[n], dict)]
    ranges = _ranges(unit.text, names)
    c = Collector(unit, "json-config", unit.text, extra_attrs={"document": "mcp"})
    starts = [0, *(m.end() for m in re.finditer("\n", unit.text))]
    offs = [starts[min(max((e.location.line or 1) - 1, 0), len(starts) - 1)] for e in text_ev]
    for name, start, end in ranges:
        spec = servers[name]
        n_before = len(c.out)
        api = any(
            start <= o < end and e.kind in ("env-key", "endpoint") for o, e in zip(offs, text_ev, strict=True)
        )
        cloud = Cloud("hosted-api" if api else "unknown")
        _launch(c, catalog, spec, start, end, name, cloud)
        env = spec.get("env")
        if isinstance(env, dict):
            for k, v in env.items():
                if isinstance(v, str) and is_model_key(str(k)):
                    add_model(c, catalog, v, _find(unit.text, f'"{v}"', start, end, 1), f"env {k}", cloud)
        for i in range(n_before, len(c.out)):
            c.out[i] = _tag(c.out[i], name)
    tagged = []
    for off, e in zip(offs, text_ev, strict=True):
        name = next((n for n, s, t in ranges if s <= off < t), "")
        if name and e.kind == "model-ref" and e.value.lower() == name.lower():
            # a server's own name ("qwen": {...}) names the server, not a model it calls
            attrs = {**e.attributes, "as": e.kind, "context": "mcp server name", "use_mode": "unknown"}
            e = e.model_copy(update={"kind": "mention", "strength": "C", "attributes": attrs})
        tagged.append(_tag(e, name) if name else e)
    return merge(c.out, tagged)


def _launch(
    c: Collector, catalog: Catalog, spec: dict[str, Any], start: int, end: int, name: str, cloud: Cloud
) -> None:
    command = spec.get("command")
    args = (
        [a for a in spec.get("args") or () if isinstance(a, str)]
        if isinstance(spec.get("args"), list)
        else []
    )
    words = [*(str(command).split() if isinstance(command, str) else []), *args]
    if not words:
        return
    runner = words[0].rsplit("/", 1)[-1].lower()
    eco = _RUNNERS.get(runner)
    if eco is not None:
        pkg = next((w for w in words[1:] if not w.startswith("-")), "")
        mo = _NPM_SPEC.match(pkg)
        if mo is not None:
            base = mo.group(1)
            if eco == "pypi":
                base = re.split(r"[=<>!@\[]", base, maxsplit=1)[0]
            pk = catalog.match_package(eco, base)
            if pk is not None:
                c.add(
                    "package-dependency",
                    pk.name,
                    "A",
                    _find(c.text, pkg, start, end),
                    {"package": f"{eco}:{pk.name}", "producer": pk.producer},
                    {"use_mode": "unknown", "context": f"mcp server {runner}"},
                )
    for i, w in enumerate(words):
        flag, _, val = w.partition("=")
        if flag in ("--model", "--model-id", "--model_id", "-m") and (val or i + 1 < len(words)):
            value = val or words[i + 1]
            add_model(c, catalog, value, _find(c.text, value, start, end), f"mcp server arg {flag}", cloud)


def _find(text: str, needle: str, start: int, end: int, shift: int = 0) -> int:
    i = text.find(needle, start, end)
    return start if i < 0 else i + shift


def _tag(e: Evidence, server: str) -> Evidence:
    excerpt = f'mcp server "{server}": {e.excerpt}'[:MAX_EXCERPT]
    attrs = {**e.attributes, "mcp_server": server, "document": "mcp"}
    return e.model_copy(update={"excerpt": excerpt, "attributes": attrs})
