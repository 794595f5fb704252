"""Coverage: what a scan could not read, counted by reason, and which of it fails the incomplete gate.

A pure function of :class:`ScanResult` (its ``skipped`` units and ``inspections``); every reporter shows
it and ``tierguard scan --fail-on-incomplete`` (the default) exits 1 when :attr:`Coverage.gating` is not
empty. The rule (documented in README "Exit codes" and docs/formats.md "Coverage"):

A gap **gates** when content that may be a model artifact, a model config or a container was not fully
read, because an artifact that could not be inspected must never pass as clean:

1. an inspection whose status is ``incomplete`` or ``not-inspected`` -- except ``not-inspected`` for a
   file named as source or text (:data:`TEXT_SUFFIXES`), whose head could not be read at all;
2. a skipped unit with an artifact-stage reason (:data:`ARTIFACT_REASONS`: ``incomplete``,
   ``nested-archive``, ``hf-cache-corrupted``);
3. a skipped unit with a read-failure reason (:data:`READ_REASONS`: ``permission-denied``,
   ``unreadable``, ``malformed``, ``too-large``, ``truncated``) -- unless it is a file named as source or
   text: a directory that could not be listed (path ending in ``/`` or ``.``) always gates.

Everything else is counted and shown but does not gate: scope exclusions by design (``gitignored``,
``vendored``, ``minified``, ``binary`` for text detectors, symlinks not followed, special files) and gaps in
source text (``non-utf8``, ``detector-error: ...``, and the read-failure reasons on source/text files).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from tierguard.model import ScanResult

ARTIFACT_REASONS = frozenset({"incomplete", "nested-archive", "hf-cache-corrupted"})
READ_REASONS = frozenset({"permission-denied", "unreadable", "malformed", "too-large", "truncated"})
TEXT_SUFFIXES = (
    ".py", ".pyi", ".ipynb", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".go", ".java", ".kt", ".kts",
    ".rs", ".rb", ".php", ".c", ".h", ".cc", ".cpp", ".hpp", ".cs", ".swift", ".scala", ".sh", ".bash",
    ".zsh", ".ps1", ".md", ".rst", ".txt", ".toml", ".yaml", ".yml", ".cfg", ".ini", ".env", ".lock",
    ".mod", ".sum", ".html", ".htm", ".css", ".xml", ".csv", ".sql", ".tf", ".gradle", ".properties",
)  # fmt: skip
"""File names treated as source or text: an unread one is a gap in discovery, not in artifact safety.
``.json`` is deliberately absent (model configs, tokenizers, safetensors indexes are JSON)."""
TEXT_NAMES = frozenset(
    {"dockerfile", "modelfile", "makefile", "requirements.txt", "pipfile", "gemfile", ".gitignore"}
)
MAX_GATING_LISTED = 100


def _unit_name(path: str) -> str:
    """The last component of a unit path (a container member's own name for ``a.zip!b/c.py``)."""
    return path.rsplit("!", 1)[-1].rsplit("/", 1)[-1].lower()


def is_text_name(path: str) -> bool:
    """True for a file named as source or text (see :data:`TEXT_SUFFIXES`); never for a directory."""
    if not path or path.endswith("/") or path == ".":
        return False
    name = _unit_name(path)
    return name in TEXT_NAMES or name.endswith(TEXT_SUFFIXES) or name.startswith(".env")


@dataclass(frozen=True, slots=True)
class Coverage:
    """Counts of what was not (fully) read. ``skipped``: skipped entries per reason; ``inspections``:
    inspections per status (every status, zeros kept); ``gating``: distinct unit paths that fail
    ``--fail-on-incomplete``, sorted."""

    skipped: tuple[tuple[str, int], ...]
    inspections: tuple[tuple[str, int], ...]
    gating: tuple[str, ...]

    @property
    def not_fully_inspected(self) -> int:
        counts = dict(self.inspections)
        return counts.get("incomplete", 0) + counts.get("not-inspected", 0)

    @property
    def complete(self) -> bool:
        """True when nothing was skipped and every artifact was fully inspected."""
        return not self.skipped and self.not_fully_inspected == 0

    def summary(self) -> str:
        """One line for people: what was skipped by reason, what was not fully inspected, what gates."""
        if self.complete:
            return "complete (nothing skipped, every artifact fully inspected)"
        skipped = sum(n for _, n in self.skipped)
        parts = (
            [f"{skipped} skipped (" + ", ".join(f"{r} {n}" for r, n in self.skipped) + ")"] if skipped else []
        )
        if self.not_fully_inspected:
            parts.append(f"{self.not_fully_inspected} artifact(s) not fully inspected")
        if self.gating:
            parts.append(f"{len(self.gating)} unit(s) may be unread artifacts (fail --fail-on-incomplete)")
        return "; ".join(parts)

    def as_dict(self) -> dict[str, object]:
        """The JSON form (key ``coverage`` in the JSON report; see docs/formats.md)."""
        return {
            "complete": self.complete,
            "skipped_by_reason": dict(self.skipped),
            "inspections_by_status": dict(self.inspections),
            "gating_count": len(self.gating),
            "gating_units": list(self.gating[:MAX_GATING_LISTED]),
        }


def _gates_skip(path: str, reason: str) -> bool:
    if reason in ARTIFACT_REASONS:
        return True
    return reason in READ_REASONS and not is_text_name(path)


def coverage(result: ScanResult) -> Coverage:
    """The coverage summary of ``result`` (see the module docstring for what gates)."""
    skipped = Counter(s.reason for s in result.skipped)
    statuses = Counter(i.status for i in result.inspections)
    gating: set[str] = set()
    for s in result.skipped:
        if _gates_skip(s.path, s.reason):
            gating.add(s.path)
    for i in result.inspections:
        if i.status not in ("incomplete", "not-inspected"):
            continue
        where = i.location.path if i.location.member is None else f"{i.location.path}!{i.location.member}"
        if i.status == "not-inspected" and is_text_name(where):
            continue
        gating.add(where)
    return Coverage(
        skipped=tuple(sorted(skipped.items(), key=lambda kv: (-kv[1], kv[0]))),
        inspections=tuple(
            (st, statuses.get(st, 0)) for st in ("clean", "findings", "incomplete", "not-inspected")
        ),
        gating=tuple(sorted(gating)),
    )
