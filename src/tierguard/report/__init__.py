"""Report stage: console, JSON, SARIF, CycloneDX, HTML, CSV.

Every reporter is a pure function of :class:`tierguard.model.ScanResult`; none imports the engine.
``FORMATS`` maps a format name to its ``render``, a :data:`tierguard.report.interface.Reporter`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from tierguard.report.interface import Reporter


class _Formats(Mapping[str, Reporter]):
    """Format name -> ``render``; a reporter module is imported on first use (``--format json`` never
    imports jinja2 for HTML)."""

    _MODULES = {
        "json": "json_report",
        "sarif": "sarif",
        "cyclonedx": "cyclonedx",
        "html": "html",
        "table": "console",
        "csv": "csv_report",
        "spdx": "spdx",
    }

    def __getitem__(self, name: str) -> Reporter:
        module = self._MODULES[name]
        render: Reporter = importlib.import_module(f"tierguard.report.{module}").render
        return render

    def __iter__(self) -> Iterator[str]:
        return iter(self._MODULES)

    def __len__(self) -> int:
        return len(self._MODULES)


FORMATS: Mapping[str, Reporter] = _Formats()

__all__ = ["FORMATS", "Reporter"]
