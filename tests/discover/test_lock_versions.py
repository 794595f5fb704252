"""SDK versions from lock files (issue 15 item 7): the locked version reaches the sdk-dependency asset (and
CycloneDX's component version); a version range from a manifest never does; two locked versions are both
kept. Lock files shaped like the real ones (uv, poetry, Pipfile.lock, npm v3, pnpm v9, go.mod)."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest

from tierguard.catalog import Catalog, load_catalog
from tierguard.discover.engine import run_detectors
from tierguard.discover.registry import DETECTORS
from tierguard.identify.code import identify_evidence
from tierguard.model import ScanResult
from tierguard.report import FORMATS
from tierguard.targets.memory import MemoryResolver


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _versions(files: Mapping[str, str], catalog: Catalog) -> dict[str, str | None]:
    out = run_detectors(MemoryResolver(files), DETECTORS, catalog)  # type: ignore[arg-type]
    return {a.name: a.version for a in identify_evidence(out.evidence, catalog) if a.kind == "sdk-dependency"}


UV_LOCK = """version = 1
requires-python = ">=3.11"

[[package]]
name = "zhipuai"
version = "2.1.5.20250825"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "openai"
version = "1.54.0"
source = { registry = "https://pypi.org/simple" }
"""
POETRY_LOCK = """[[package]]
name = "dashscope"
version = "1.20.11"
description = "dashscope client sdk library"
optional = false
python-versions = ">=3.8.0"
"""
PIPFILE_LOCK = json.dumps(
    {
        "_meta": {"hash": {"sha256": "x"}},
        "default": {"dashscope": {"hashes": [], "version": "==1.19.2"}},
        "develop": {},
    }
)
PACKAGE_LOCK = json.dumps(
    {
        "name": "web",
        "lockfileVersion": 3,
        "packages": {
            "": {"dependencies": {"@ai-sdk/deepseek": "^0.1.6"}},
            "node_modules/@ai-sdk/deepseek": {"version": "0.1.6"},
            "node_modules/x/node_modules/@ai-sdk/deepseek": {"version": "0.0.9"},
        },
    }
)
PNPM_LOCK = """lockfileVersion: '9.0'

importers:

  .:
    dependencies:
      dashscope:
        specifier: ^1.0.0
        version: 1.0.2

packages:

  dashscope@1.0.2:
    resolution: {integrity: sha512-x}
"""


@pytest.mark.parametrize(
    ("files", "name", "version"),
    [
        ({"uv.lock": UV_LOCK}, "pypi:zhipuai", "2.1.5.20250825"),
        ({"poetry.lock": POETRY_LOCK}, "pypi:dashscope", "1.20.11"),
        ({"Pipfile.lock": PIPFILE_LOCK}, "pypi:dashscope", "1.19.2"),
        ({"package-lock.json": PACKAGE_LOCK}, "npm:@ai-sdk/deepseek", "0.1.6"),  # the top-level install
        ({"pnpm-lock.yaml": PNPM_LOCK}, "npm:dashscope", "1.0.2"),
        (
            {"go.mod": "module x\n\nrequire github.com/cohesion-org/deepseek-go v1.2.3\n"},
            "go:github.com/cohesion-org/deepseek-go",
            "v1.2.3",
        ),
        ({"requirements.txt": "dashscope>=1.19\n"}, "pypi:dashscope", None),  # a range is no locked version
    ],
)
def test_locked_versions(catalog: Catalog, files: dict[str, str], name: str, version: str | None) -> None:
    assert _versions(files, catalog)[name] == version


def test_two_locked_versions_are_both_kept(catalog: Catalog) -> None:
    files = {"a/uv.lock": UV_LOCK, "b/uv.lock": UV_LOCK.replace("2.1.5.20250825", "2.0.1")}
    assert _versions(files, catalog)["pypi:zhipuai"] == "2.0.1, 2.1.5.20250825"


def test_cyclonedx_component_version_is_the_locked_one(catalog: Catalog) -> None:
    out = run_detectors(MemoryResolver({"uv.lock": UV_LOCK}), DETECTORS, catalog)  # type: ignore[arg-type]
    assets = identify_evidence(out.evidence, catalog)
    bom = json.loads(
        FORMATS["cyclonedx"](
            ScanResult(tool_version="t", catalog_version="c", target="x", assets=tuple(assets))
        )
    )
    comp = next(c for c in bom["components"] if c["name"] == "zhipuai")
    assert comp["version"] == "2.1.5.20250825" and comp["purl"] == "pkg:pypi/zhipuai@2.1.5.20250825"
