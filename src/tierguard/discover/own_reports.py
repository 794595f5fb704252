"""tierguard's own reports inside a scanned tree (a committed ``baseline.json``, a SARIF file kept for code
scanning, an SBOM): their excerpts quote the uses they report (``api.deepseek.com``), so scanning them as
text would turn every report into new strength-A uses, and ``--baseline baseline.json`` inside the target
would fail on an unchanged tree. Such a file is skipped with reason ``tierguard-report`` (counted in coverage,
listed in every format), never silently.

Recognition is by the document's opening, as tierguard writes it, not by its name: a result or diff document
starts with its version keys in tierguard's field order, a SARIF log names the ``tierguard`` driver as its
first run's tool, a CycloneDX BOM lists ``tierguard`` as its first tool component. A config file that merely
mentions tierguard is scanned as usual.
"""

from __future__ import annotations

import re

SNIFF = 4096  # the opening that is looked at

_OPENINGS: tuple[tuple[str, re.Pattern[bytes]], ...] = (
    (
        "a tierguard result",
        re.compile(
            rb'\A\s*\{\s*"schema_version"\s*:\s*"\d+\.\d+\.\d+"\s*,\s*"tool_version"\s*:\s*"[^"\\]{1,64}"\s*,'
            rb'\s*"catalog_version"\s*:'
        ),
    ),
    (
        "a tierguard diff",
        re.compile(rb'\A\s*\{\s*"diff_schema_version"\s*:\s*"\d+\.\d+\.\d+"\s*,\s*"old"\s*:\s*\{'),
    ),
    (
        "a tierguard SARIF log",
        re.compile(
            rb'\A\s*\{\s*"\$schema"\s*:\s*"[^"\\]{0,200}sarif[^"\\]{0,200}"\s*,\s*"version"\s*:\s*"2\.1\.0"\s*,'
            rb'\s*"runs"\s*:\s*\[\s*\{\s*"tool"\s*:\s*\{\s*"driver"\s*:\s*\{\s*"name"\s*:\s*"tierguard"'
        ),
    ),
    (
        "a tierguard CycloneDX BOM",
        re.compile(
            rb'\A\s*\{\s*"\$schema"\s*:\s*"[^"\\]{0,200}cyclonedx[^"\\]{0,200}"\s*,\s*"bomFormat"\s*:\s*"CycloneDX"'
            rb'[^\[\]]{0,600}"tools"\s*:\s*\{\s*"components"\s*:\s*\[\s*\{[^{}\[\]]{0,400}"name"\s*:\s*"tierguard"'
        ),
    ),
)


def own_report(data: bytes) -> str | None:
    """What kind of tierguard report ``data`` opens as, or None."""
    head = data[:SNIFF]
    if head.lstrip()[:1] != b"{":
        return None
    for what, pattern in _OPENINGS:
        if pattern.match(head):
            return what
    return None
