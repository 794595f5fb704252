"""Fixtures of the estate tests: small real targets (copies of demo services) and estate files."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "estate"

# name -> demo directory; "assistant" calls DeepSeek's API (deny for a UK government context)
SERVICES = {
    "assistant": "services/assistant",
    "web": "services/web",
    "gateway": "services/gateway",
    "analytics": "services/analytics",
}

EstateWriter = Callable[..., Path]


@pytest.fixture
def targets(tmp_path: Path) -> Path:
    """Copies of four demo services under ``tmp_path/targets`` (tests may delete or damage them)."""
    root = tmp_path / "targets"
    for name, rel in SERVICES.items():
        shutil.copytree(DEMO / rel, root / name)
    return root


def estate_toml(
    names: list[str], *, name: str = "test-estate", extra: str = "", paths: dict[str, str] | None = None
) -> str:
    out = f'[estate]\nname = "{name}"\nprofile = "uk-gov"\n{extra}\n'
    for n in names:
        path = (paths or {}).get(n, f"targets/{n}")
        out += f'\n[[estate.targets]]\nname = "{n}"\npath = "{path}"\nowner = "{n}-team@example.com"\n'
    return out


@pytest.fixture
def write_estate(tmp_path: Path, targets: Path) -> EstateWriter:
    """Write an estate file over the copied services (paths relative to the file) and return its path."""

    def write(names: list[str] | None = None, **kw: object) -> Path:
        path = tmp_path / "tierguard.toml"
        path.write_text(estate_toml(list(names or SERVICES), **kw))  # type: ignore[arg-type]
        return path

    return write
