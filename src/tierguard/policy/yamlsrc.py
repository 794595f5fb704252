"""Load YAML/TOML policy data with source lines, and turn pydantic errors into PolicyError messages that
name the file, the line and the field."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tierguard.catalog.loader import SAFE_LOADER
from tierguard.errors import PolicyError

Loc = tuple[str | int, ...]
MAX_POLICY_FILE = 4 * 1024 * 1024


def _walk(node: yaml.Node, path: Loc, out: dict[Loc, int]) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            k = key.value if isinstance(key, yaml.ScalarNode) else str(key.start_mark.line)
            out[(*path, k)] = key.start_mark.line + 1
            _walk(value, (*path, k), out)
            # the value's own line is less useful than the key's; keep the key line
            out[(*path, k)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), out)


def read_text(path: Path, what: str) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_POLICY_FILE:
            raise PolicyError(f"{path}: {what} file too large ({size} bytes)")
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read {what} file: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{path}: {what} file is not UTF-8") from exc


def load_yaml(text: str, source: str) -> tuple[Any, dict[Loc, int]]:
    """Parse ``text`` safely; return the data and a map from field path to 1-based line."""
    try:
        node = yaml.compose(text, Loader=SAFE_LOADER)
        data = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else "?"
        raise PolicyError(f"{source}:{line}: invalid YAML: {exc.problem}") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"{source}: invalid YAML: {exc}") from exc
    lines: dict[Loc, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return data, lines


def load_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: invalid TOML: {exc}") from exc


def field_name(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "(top level)"


def line_of(loc: Loc, lines: Mapping[Loc, int]) -> int | None:
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


def raise_validation(exc: ValidationError, source: str, lines: Mapping[Loc, int], what: str) -> PolicyError:
    """A PolicyError for the first error of ``exc``: ``file:line: field X: message``."""
    err = exc.errors()[0]
    loc: Loc = tuple(p for p in err["loc"] if isinstance(p, str | int))
    # pydantic adds the union member / tag names into loc for unions; drop non-data parts
    clean: list[str | int] = []
    for p in loc:
        if isinstance(p, str) and (p.startswith("function-") or p in ("list[Match]", "Match")):
            continue
        clean.append(p)
    cl = tuple(clean)
    line = line_of(cl, lines)
    where = f"{source}:{line}" if line is not None else source
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return PolicyError(f"{where}: invalid {what}: field {field_name(cl)}: {err['msg']}{more}")
