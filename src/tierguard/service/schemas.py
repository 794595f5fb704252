"""The API's response records and their JSON Schemas in the OpenAPI document.

Answers are msgspec records (the store's rows, the result model, the diff model); FastAPI knows pydantic
only, so the routes name their answer by component name (:func:`ref_response`) and :func:`openapi` adds
msgspec's schemas of those records under ``components/schemas``. One source of truth: the records.
"""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from tierguard.model import ScanResult
from tierguard.service.explain import Explanation
from tierguard.service.jobs import Job
from tierguard.store.interface import (
    AssetRow,
    BreakdownRow,
    DecisionRow,
    FindingRow,
    Page,
    ScanRef,
    TargetRow,
    TrendPoint,
)


class ScanDetail(msgspec.Struct, frozen=True, kw_only=True):
    scan: ScanRef
    result: ScanResult | None = None  # None for a recorded error, or with full=false


class ExplainPage(msgspec.Struct, frozen=True, kw_only=True):
    items: tuple[Explanation, ...]


class Breakdown(msgspec.Struct, frozen=True, kw_only=True):
    """``GET /api/v1/breakdown``: assets per producer, jurisdiction (the first producer's) or kind within the
    filters, most denies first (then reviews, then assets); exact counts at any size."""

    by: str
    items: tuple[BreakdownRow, ...]  # ``key`` None: assets with no producer (or jurisdiction)
    limit: int
    more: bool = False  # more groups than ``limit`` exist


def response_types() -> dict[str, Any]:
    from tierguard.report.diff_model import ScanDiff

    return {
        "Page_TargetRow_": Page[TargetRow],
        "Page_ScanRef_": Page[ScanRef],
        "Page_AssetRow_": Page[AssetRow],
        "Page_DecisionRow_": Page[DecisionRow],
        "Page_FindingRow_": Page[FindingRow],
        "TrendPoints": list[TrendPoint],
        "ScanDetail": ScanDetail,
        "ScanDiff": ScanDiff,
        "ExplainPage": ExplainPage,
        "Breakdown": Breakdown,
        "Job": Job,
    }


def ref_response(name: str, status: int = 200) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "description": "OK" if status == 200 else "Accepted",
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
        }
    }


def openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document plus the records' schemas (built once)."""
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    types = response_types()
    names = list(types)
    schemas, components = msgspec.json.schema_components(
        [types[n] for n in names], ref_template="#/components/schemas/{name}"
    )
    comp = doc.setdefault("components", {}).setdefault("schemas", {})
    comp.update(components)
    for name, schema in zip(names, schemas, strict=True):
        if schema.get("$ref") != f"#/components/schemas/{name}":
            comp[name] = schema
    doc["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    doc["security"] = [{"bearer": []}]
    app.openapi_schema = doc
    return doc
