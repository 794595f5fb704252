"""Report stage: console, JSON, SARIF, CycloneDX, HTML.

Every reporter is a pure function of :class:`tierguard.model.ScanResult`; none imports the engine.
``FORMATS`` maps a format name to ``render(result) -> str``.
"""

from __future__ import annotations

from collections.abc import Callable

from tierguard.model import ScanResult
from tierguard.report import console, cyclonedx, html, json_report, sarif

FORMATS: dict[str, Callable[[ScanResult], str]] = {
    "json": json_report.render,
    "sarif": sarif.render,
    "cyclonedx": cyclonedx.render,
    "html": html.render,
    "table": console.render,
}

__all__ = ["FORMATS"]
