"""Validators for the official output schemas, shared by the report, equipment and end-to-end tests.

SARIF 2.1.0: vendored in tests/schemas (see its README). CycloneDX 1.6: the schema files that ship inside
cyclonedx-python-lib (a test dependency), with their local $refs resolved without any network.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

SCHEMAS = Path(__file__).resolve().parent / "schemas"


def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text("utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def cyclonedx_validator() -> jsonschema.protocols.Validator:
    res = pytest.importorskip(
        "cyclonedx.schema._res", reason="cyclonedx-python-lib (test dependency) is not installed"
    )
    from referencing import Registry, Resource

    base = Path(res.__file__).parent
    main = json.loads((base / "bom-1.6.SNAPSHOT.schema.json").read_text("utf-8"))
    registry: Registry[Any] = Registry()
    for name in ("spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json"):
        doc = json.loads((base / name).read_text("utf-8"))
        resource = Resource.from_contents(doc)
        # the main schema refers to siblings by relative name; register both spellings
        registry = registry.with_resource(doc["$id"], resource)
        registry = registry.with_resource(f"http://cyclonedx.org/schema/{name}", resource)
    cls = jsonschema.validators.validator_for(main)
    return cls(main, registry=registry, format_checker=cls.FORMAT_CHECKER)


def schema_errors(validator: jsonschema.protocols.Validator, doc: Any) -> list[str]:
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    return [f"{list(e.path)}: {e.message}" for e in errors[:5]]
