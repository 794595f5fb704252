"""``tierguard catalog show [SECTION]`` and ``tierguard catalog search TEXT``: browse the knowledge catalog.

Only argument parsing and printing live here; lookups are :class:`tierguard.catalog.Catalog` methods.
Exit codes: 0 ok; 2 unknown section, unknown format or an unreadable catalog.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from tierguard.catalog import Catalog, load_catalog
from tierguard.catalog.loader import (
    SECTIONS,
    ClassEntry,
    EndpointEntry,
    Entry,
    EnvKeyEntry,
    ModelFamilyEntry,
    PackageEntry,
    ProducerEntry,
    RouterPrefixEntry,
    TrapEntry,
    entry_key,
)
from tierguard.errors import TierguardError

FORMATS = ("table", "json")


def _join(items: tuple[str, ...] | list[str], limit: int = 6) -> str:
    shown = list(items[:limit])
    more = len(items) - len(shown)
    return ", ".join(shown) + (f" (+{more})" if more > 0 else "")


def _producer_row(e: Entry) -> list[str]:
    assert isinstance(e, ProducerEntry)
    return [e.id, e.name, e.jurisdiction, _join(e.hf_orgs)]


def _endpoint_row(e: Entry) -> list[str]:
    assert isinstance(e, EndpointEntry)
    return [e.host + e.path_prefix, e.operator, e.jurisdiction, _join(e.serves)]


def _package_row(e: Entry) -> list[str]:
    assert isinstance(e, PackageEntry)
    kind = e.kind + (f" (only with {'/'.join(e.required_modules)})" if e.requires_module else "")
    return [f"{e.ecosystem}:{e.name}", e.producer, _join(e.imports), kind]


def _class_row(e: Entry) -> list[str]:
    assert isinstance(e, ClassEntry)
    return [e.name, e.producer, e.use_mode, e.default_model or ""]


def _router_row(e: Entry) -> list[str]:
    assert isinstance(e, RouterPrefixEntry)
    return [f"{e.router}:{e.prefix}", e.producer, e.operator or "", e.jurisdiction or ""]


def _env_row(e: Entry) -> list[str]:
    assert isinstance(e, EnvKeyEntry)
    return [e.name, e.producer]


def _model_row(e: Entry) -> list[str]:
    assert isinstance(e, ModelFamilyEntry)
    lineage = "; ".join(f"{ld.relation} {ld.base} ({ld.base_producer})" for ld in e.lineage)
    return [e.id, e.producer, _join(e.names + e.hf + e.ollama, 4), "yes" if e.context_only else "", lineage]


def _trap_row(e: Entry) -> list[str]:
    assert isinstance(e, TrapEntry)
    return [e.term, e.why]


COLUMNS: dict[str, tuple[tuple[str, ...], Callable[[Entry], list[str]]]] = {
    "producers": (("id", "name", "jurisdiction", "HF organisations"), _producer_row),
    "endpoints": (("host", "operator", "jurisdiction", "serves"), _endpoint_row),
    "packages": (("package", "producer", "imports", "kind"), _package_row),
    "classes": (("class", "producer", "use mode", "default model"), _class_row),
    "router_prefixes": (("router:prefix", "model producer", "operator", "jurisdiction"), _router_row),
    "env_keys": (("env key", "provider"), _env_row),
    "models": (("family", "producer", "names / HF / Ollama", "context only", "lineage"), _model_row),
    "traps": (("term", "why it is not a signal"), _trap_row),
}


def normalize_section(name: str) -> str:
    """``router-prefixes`` -> ``router_prefixes``; raises TierguardError for an unknown section."""
    s = name.strip().lower().replace("-", "_")
    if s not in SECTIONS:
        raise TierguardError(f"unknown catalog section {name!r}; sections: {', '.join(SECTIONS)}")
    return s


def _summary(e: Entry, section: str) -> str:
    cols, row = COLUMNS[section]
    return "  ".join(f"{c}={v}" for c, v in zip(cols[1:], row(e)[1:], strict=True) if v)


def _load(catalog_dir: Path | None) -> Catalog:
    return load_catalog(catalog_dir)


def _fail(console: Console, message: str) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(2)


def _dump(e: Entry) -> dict[str, Any]:
    return e.model_dump(mode="json")


CatalogDir = Annotated[
    Path | None, typer.Option("--catalog", help="Catalog data directory (default: the packaged catalog).")
]
Format = Annotated[str, typer.Option("--format", "-f", help="Output format: table or json.")]


def show_section(section: str | None, fmt: str, catalog_dir: Path | None) -> None:
    """Print one catalog section, or a summary of all sections (``catalog show``)."""
    err = Console(stderr=True)
    if fmt not in FORMATS:
        raise _fail(err, f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")
    try:
        name = normalize_section(section) if section is not None else None
        cat = _load(catalog_dir)
    except TierguardError as exc:
        raise _fail(err, str(exc)) from None
    if name is None:
        _print_summary(cat, fmt)
        return
    entries = cat.sections()[name]
    if fmt == "json":
        payload = {"version": cat.version, "section": name, "entries": [_dump(e) for e in entries]}
        typer.echo(json.dumps(payload, indent=2))
        return
    cols, row = COLUMNS[name]
    table = Table(title=f"{name} ({len(entries)}) - catalog {cat.version}")
    for c in cols:
        table.add_column(c, overflow="fold")
    for e in entries:
        table.add_row(*row(e))
    Console(highlight=False, soft_wrap=False).print(table)


def _print_summary(cat: Catalog, fmt: str) -> None:
    """Catalog version and date, and the number of entries per section."""
    sections = cat.sections()
    if fmt == "json":
        summary = {
            "version": cat.version,
            "date": cat.date,
            "sections": {k: len(v) for k, v in sections.items()},
        }
        typer.echo(json.dumps(summary, indent=2))
        return
    table = Table(title=f"tierguard catalog {cat.version} ({cat.date})")
    table.add_column("section")
    table.add_column("entries", justify="right")
    for k, v in sections.items():
        table.add_row(k, str(len(v)))
    Console(highlight=False, soft_wrap=False).print(table)


def search_entries(text: str, fmt: str, catalog_dir: Path | None) -> None:
    """Print the catalog entries whose fields contain ``text`` (``catalog search``)."""
    err = Console(stderr=True)
    if fmt not in FORMATS:
        raise _fail(err, f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")
    if not text.strip():
        raise _fail(err, "search text is empty")
    try:
        cat = _load(catalog_dir)
    except TierguardError as exc:
        raise _fail(err, str(exc)) from None
    hits = cat.search(text)
    if fmt == "json":
        items = [{"section": s, "key": entry_key(s, e), "entry": _dump(e)} for s, e in hits]
        typer.echo(json.dumps({"version": cat.version, "query": text, "results": items}, indent=2))
        return
    out = Console(highlight=False, soft_wrap=False)
    if not hits:
        out.print(f"no catalog entries match {text!r}")
        return
    table = Table(title=f"{len(hits)} entries matching {text!r} - catalog {cat.version}")
    for c in ("section", "key", "details"):
        table.add_column(c, overflow="fold")
    for s, e in hits:
        table.add_row(s, entry_key(s, e), _summary(e, s))
    out.print(table)


def register(app: typer.Typer) -> None:
    """Add the ``catalog`` sub-app (``show``, ``search``) to ``app``."""
    catalog_app = typer.Typer(
        name="catalog",
        help="Browse the versioned knowledge catalog (producers, endpoints, SDKs, classes, models, traps).",
        no_args_is_help=True,
    )

    @catalog_app.command("show")
    def show(
        section: Annotated[
            str | None, typer.Argument(help=f"One of: {', '.join(SECTIONS)}. Omit for a summary.")
        ] = None,
        fmt: Format = "table",
        catalog_dir: CatalogDir = None,
    ) -> None:
        """Show one catalog section, or a summary of all sections."""
        show_section(section, fmt, catalog_dir)

    @catalog_app.command("search")
    def search(
        text: Annotated[str, typer.Argument(help="Text to find in any entry (case-insensitive).")],
        fmt: Format = "table",
        catalog_dir: CatalogDir = None,
    ) -> None:
        """Find catalog entries whose fields contain TEXT."""
        search_entries(text, fmt, catalog_dir)

    app.add_typer(catalog_app, name="catalog")
