"""``Requires-Dist`` in Python core metadata is a declared dependency (issue 15, accuracy benchmark "Misses"
cause 4: llama-index-llms-{dashscope,zhipuai} and llama-index-embeddings-dashscope declare the PRC SDK only
in their sdist's PKG-INFO). Headers only: the long description after the first blank line is a README."""

from __future__ import annotations

import pytest

from tierguard.catalog import Catalog, load_catalog
from tierguard.discover.interface import DiscoverOutput

from .conftest import scan

# llama-index-llms-zhipuai 0.6.0 PKG-INFO (sdist), header block and the start of the description
PKG_INFO = """Metadata-Version: 2.5
Name: llama-index-llms-zhipuai
Version: 0.6.0
Summary: llama-index llms zhipuai integration
Author: nightosong
License-Expression: MIT
License-File: LICENSE
Requires-Python: <4.0,>=3.10
Requires-Dist: llama-index-core<0.15,>=0.13.0
Requires-Dist: sniffio
Requires-Dist: zhipuai<3,>=2.1.5.20230904
Description-Content-Type: text/markdown

# LlamaIndex Llms Integration: ZhipuAI

### Installation

```bash
%pip install llama-index-llms-zhipuai
pip install dashscope
```
Requires-Dist: qianfan
"""

# a wheel's METADATA: the older parenthesised form, an extra with its marker, CRLF line ends
METADATA = (
    "Metadata-Version: 2.1\r\nName: some-router\r\nVersion: 1.0\r\n"
    "Requires-Dist: httpx (>=0.23.0)\r\n"
    "Requires-Dist: dashscope (>=1.10.0) ; extra == 'qwen'\r\n"
    "Provides-Extra: qwen\r\n\r\nText naming zhipuai.\r\n"
)


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def _deps(out: DiscoverOutput) -> list[tuple[str, int | None, str, str, dict[str, str]]]:
    return sorted(
        (e.location.path, e.location.line, e.value, e.strength, dict(e.attributes))
        for e in out.evidence
        if e.kind == "package-dependency"
    )


def test_sdist_pkg_info_requires_dist_is_a_dependency(cat: Catalog) -> None:
    out = scan({"llama-index-llms-zhipuai-0.6.0/PKG-INFO": PKG_INFO}, cat)
    deps = _deps(out)
    assert [(p, line, v, s) for p, line, v, s, _a in deps] == [
        ("llama-index-llms-zhipuai-0.6.0/PKG-INFO", 11, "zhipuai", "A")
    ]
    assert deps[0][4]["context"] == "PKG-INFO"
    assert deps[0][4]["spec"] == "<3,>=2.1.5.20230904"
    # the README after the headers is not a declaration
    assert not [e for e in out.evidence if e.refs.get("package") in ("pypi:dashscope", "pypi:qianfan")]


def test_wheel_metadata_keeps_the_extra_and_marker(cat: Catalog) -> None:
    out = scan({"some_router-1.0.dist-info/METADATA": METADATA}, cat)
    deps = _deps(out)
    assert [(v, s, line) for _p, line, v, s, _a in deps] == [("dashscope", "A", 5)]
    attrs = deps[0][4]
    assert (attrs["extra"], attrs["marker"], attrs["spec"]) == ("qwen", "extra == 'qwen'", "(>=1.10.0)")


def test_a_metadata_file_outside_dist_info_is_not_read_as_core_metadata(cat: Catalog) -> None:
    assert not _deps(scan({"docs/METADATA": METADATA}, cat))
