"""JSON report: the ScanResult itself, validated by a versioned JSON Schema shipped with the package.

The schema file ``schema/scan-result-<SCHEMA_VERSION>.json`` is generated from the model
(:func:`schema_document`) and committed; a test keeps the two in sync. Changes are recorded in
``schema/CHANGELOG.md``.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from tierguard.model import SCHEMA_VERSION, ScanResult

SCHEMA_FILENAME = f"scan-result-{SCHEMA_VERSION}.json"
SCHEMA_ID = f"urn:tierguard:schema:scan-result:{SCHEMA_VERSION}"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def render(result: ScanResult) -> str:
    return result.model_dump_json(indent=2) + "\n"


def schema_document() -> dict[str, Any]:
    """A fresh JSON Schema (draft 2020-12) of the serialised ScanResult."""
    body = ScanResult.model_json_schema(mode="serialization")
    doc: dict[str, Any] = {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": SCHEMA_ID,
        "title": f"tierguard scan result {SCHEMA_VERSION}",
    }
    doc.update({k: v for k, v in body.items() if k != "title"})
    return doc


def schema_text() -> str:
    """The canonical text of :func:`schema_document` as committed in ``schema/``."""
    return json.dumps(schema_document(), indent=2, ensure_ascii=False) + "\n"


def load_schema() -> dict[str, Any]:
    """The committed schema for the current SCHEMA_VERSION."""
    text = resources.files("tierguard.report").joinpath("schema", SCHEMA_FILENAME).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data
