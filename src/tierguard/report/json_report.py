"""JSON report: the ScanResult itself, validated by a versioned JSON Schema shipped with the package.

The schema file ``schema/scan-result-<SCHEMA_VERSION>.json`` is generated from the model
(:func:`schema_document`) and committed; a test keeps the two in sync. Changes are recorded in
``schema/CHANGELOG.md``.

Paths (every ``path``, ``member`` and ``target`` string) are written in the lossless "path encoding" of
docs/formats.md (``%`` -> ``%25``, each byte that is not valid UTF-8 -> ``%XX``), so the document is always
valid UTF-8 and :func:`load` gives back the exact original names; other text with undecodable bytes shows
them as ``\\xNN``. The derived ``coverage`` summary (report/coverage.py) is added under ``coverage``.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

import msgspec

from tierguard.model import SCHEMA_VERSION, ScanResult
from tierguard.report._common import json_path, json_path_decode, no_surrogates
from tierguard.report.coverage import coverage

SCHEMA_FILENAME = f"scan-result-{SCHEMA_VERSION}.json"
SCHEMA_ID = f"urn:tierguard:schema:scan-result:{SCHEMA_VERSION}"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


PATH_KEYS = frozenset({"path", "member", "target"})
"""Keys whose string values are paths, written in the path encoding (anywhere in the document)."""
_ENCODED_PATH = re.compile(
    rb'"(?:path|member|target)"\s*:\s*"(?:[^"\\]|\\.)*%|"gating_units"\s*:\s*\[[^\]]*%'
)
"""A path value (or a gating unit) holding an escape of the path encoding."""


def _encode(value: Any, key: str = "") -> Any:
    if isinstance(value, str):
        return json_path(value) if key in PATH_KEYS else no_surrogates(value)
    if isinstance(value, dict):
        return {no_surrogates(k): _encode(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if key == "gating_units":
            return [json_path(v) for v in value]
        return [_encode(v) for v in value]
    return value


def _decode(value: Any, key: str = "") -> Any:
    if isinstance(value, str):
        return json_path_decode(value) if key in PATH_KEYS else value
    if isinstance(value, dict):
        return {k: _decode(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def document(result: ScanResult) -> dict[str, Any]:
    """The JSON document as Python data: the result with paths encoded, plus ``coverage``."""
    data: dict[str, Any] = result.model_dump(mode="json")
    if _needs_encoding(result):
        data = _encode(data)
    data["coverage"] = _encode(coverage(result).as_dict())
    return data


def _needs_encoding(result: ScanResult) -> bool:
    """Whether the walk of :func:`_encode` changes anything: a string that is not valid UTF-8 (a lone
    surrogate: msgspec refuses to encode it) or a '%' in a path value. Most results have neither, and the walk
    is most of the time a document takes (the store records one per scan)."""
    try:
        raw = msgspec.json.encode(result)
    except UnicodeEncodeError:
        return True
    return _ENCODED_PATH.search(raw) is not None


def render(result: ScanResult) -> str:
    return json.dumps(document(result), indent=2, ensure_ascii=False) + "\n"


def load(text: str | bytes) -> ScanResult:
    """A ScanResult from :func:`render`'s output: paths decoded to the exact original names; the derived
    ``coverage`` is dropped (it is recomputed from ``skipped`` and ``inspections``)."""
    try:
        data = msgspec.json.decode(text)
    except msgspec.DecodeError as exc:
        raise ValueError(str(exc)) from None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    data.pop("coverage", None)
    # the path encoding writes every escape as '%XX': a document with no '%' in a path value has nothing to
    # decode (the walk over every string is most of the time a load takes; the store and service load often)
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    encoded = _ENCODED_PATH.search(raw) is not None
    return ScanResult.model_validate(_decode(data) if encoded else data)


def schema_document() -> dict[str, Any]:
    """A fresh JSON Schema (draft 2020-12) of the serialised ScanResult."""
    body = ScanResult.model_json_schema(mode="serialization")
    doc: dict[str, Any] = {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": SCHEMA_ID,
        "title": f"tierguard scan result {SCHEMA_VERSION}",
    }
    doc.update({k: v for k, v in body.items() if k != "title"})
    defs = doc.get("$defs", {})
    if "ScanResult" in defs:  # the derived summary the reporter adds (not a record field)
        defs["ScanResult"].setdefault("properties", {})["coverage"] = COVERAGE_SCHEMA
    return doc


_COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
COVERAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Derived by the JSON reporter from skipped and inspections (report/coverage.py): "
    "counts per skipped reason and per inspection status, and the units that fail --fail-on-incomplete "
    "(path-encoded, at most 100 listed). Ignored when a result is read back.",
    "properties": {
        "complete": {"type": "boolean"},
        "skipped_by_reason": _COUNTS,
        "inspections_by_status": _COUNTS,
        "gating_count": {"type": "integer", "minimum": 0},
        "gating_units": {"type": "array", "items": {"type": "string"}, "maxItems": 100},
    },
    "required": ["complete", "skipped_by_reason", "inspections_by_status", "gating_count", "gating_units"],
    "additionalProperties": False,
}


def schema_text() -> str:
    """The canonical text of :func:`schema_document` as committed in ``schema/``."""
    return schema_file_text(schema_document())


def load_schema() -> dict[str, Any]:
    """The committed schema for the current SCHEMA_VERSION."""
    return packaged_schema(SCHEMA_FILENAME)


def schema_file_text(doc: dict[str, Any]) -> str:
    """How a schema is committed in ``report/schema/`` (the result's and the diff's)."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def packaged_schema(filename: str) -> dict[str, Any]:
    """A schema committed in ``report/schema/``."""
    text = resources.files("tierguard.report").joinpath("schema", filename).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data
