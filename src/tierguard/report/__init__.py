"""Report stage: console, JSON, SARIF, CycloneDX, HTML.

Every reporter is a pure function of :class:`tierguard.model.ScanResult`; none imports the engine.
``FORMATS`` maps a format name to ``render(result) -> str``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping

from tierguard.model import ScanResult

Renderer = Callable[[ScanResult], str]


class _Formats(Mapping[str, Renderer]):
    """Format name -> ``render``; a reporter module is imported on first use (``--format json`` never
    imports jinja2 for HTML)."""

    _MODULES = {
        "json": "json_report",
        "sarif": "sarif",
        "cyclonedx": "cyclonedx",
        "html": "html",
        "table": "console",
    }

    def __getitem__(self, name: str) -> Renderer:
        module = self._MODULES[name]
        render: Renderer = importlib.import_module(f"tierguard.report.{module}").render
        return render

    def __iter__(self) -> Iterator[str]:
        return iter(self._MODULES)

    def __len__(self) -> int:
        return len(self._MODULES)


FORMATS: Mapping[str, Renderer] = _Formats()

__all__ = ["FORMATS"]
