"""When a Python import of a PRC SDK or integration is a use (issue 15 item 8, accuracy benchmark "False
alarms" cause 2 and the lead's labelling decision): a package's own modules importing each other are the
package, not a use of it; an import whose names the file never uses (re-export, ``__all__``, lazy-import
function, ``if TYPE_CHECKING:``) is a mention. The shapes are cut from dashscope 2.0.2, zhipuai 2.1.5,
qianfan 0.4.12 and the llama-index integrations in bench/accuracy. A project folder that merely shares the
SDK's name, examples and tests of the SDK, and every real use stay strength A (a false clean is worse than a
false alarm)."""

from __future__ import annotations

import pytest

from tierguard.catalog import Catalog, load_catalog
from tierguard.discover.interface import DiscoverOutput

from .conftest import scan


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def _imports(out: DiscoverOutput) -> dict[str, tuple[str, str]]:
    """module -> (strength, context) of the SDK import observations (one per module in these fixtures)."""
    return {
        e.value: (e.strength, e.attributes.get("context", ""))
        for e in out.evidence
        if e.kind == "sdk-import" or e.attributes.get("as") == "sdk-import"
    }


# dashscope/common/logging.py (2.0.2)
DASHSCOPE_LOGGING = """# Copyright (c) Alibaba, Inc. and its affiliates.
import logging
import os

from dashscope.common.constants import DASHSCOPE_LOGGING_LEVEL_ENV

logger = logging.getLogger('dashscope')


def enable_logging():
    level = os.environ.get(DASHSCOPE_LOGGING_LEVEL_ENV, None)
    if level is not None:
        logger.setLevel(level)
"""

# llama_index/llms/deepseek/__init__.py (0.4.1)
LLAMA_INIT = """from llama_index.llms.deepseek.base import DeepSeek

__all__ = ["DeepSeek"]
"""

# zhipuai/core/_base_compat.py (2.1.5): a self-import of a type
ZHIPU_COMPAT = """from __future__ import annotations

import pydantic

from zhipuai.core._base_type import StrBytesIntFloat


def _coerce(value: StrBytesIntFloat) -> str:
    return str(value)
"""


@pytest.mark.parametrize(
    ("path", "text", "module"),
    [
        ("dashscope/common/logging.py", DASHSCOPE_LOGGING, "dashscope.common.constants"),
        ("llama_index/llms/deepseek/__init__.py", LLAMA_INIT, "llama_index.llms.deepseek.base"),
        ("zhipuai/core/_base_compat.py", ZHIPU_COMPAT, "zhipuai.core._base_type"),
        # the same files under an install or source root, or an unpacked sdist
        (
            "lib/python3.11/site-packages/dashscope/common/logging.py",
            DASHSCOPE_LOGGING,
            "dashscope.common.constants",
        ),
        ("src/dashscope/common/logging.py", DASHSCOPE_LOGGING, "dashscope.common.constants"),
        ("dashscope-2.0.2/dashscope/common/logging.py", DASHSCOPE_LOGGING, "dashscope.common.constants"),
    ],
)
def test_a_package_importing_its_own_modules_is_a_mention(
    cat: Catalog, path: str, text: str, module: str
) -> None:
    out = scan({path: text}, cat)
    assert _imports(out) == {module: ("C", "own-package import")}


# a project wrapper whose folder shares the SDK's name: an absolute import of the SDK, used
WRAPPER = """import dashscope


def ask(prompt: str) -> str:
    return dashscope.Generation.call(model="qwen-plus", prompt=prompt).output.text
"""


@pytest.mark.parametrize(
    "path",
    ["app/dashscope/client.py", "examples/legacy_1x/generation/basic.py", "tests/test_dashscope.py"],
)
def test_a_project_folder_examples_and_tests_named_after_the_sdk_still_use_it(
    cat: Catalog, path: str
) -> None:
    out = scan({path: WRAPPER}, cat)
    assert _imports(out) == {"dashscope": ("A", "import")}


@pytest.mark.parametrize(
    ("text", "context"),
    [
        # re-export only (zhipuai/__init__.py, llama-index __init__ files outside their own package)
        (
            "from zhipuai import ZhipuAI\n\n__all__ = ['ZhipuAI']\n",
            "imported, not used (re-export or lazy import)",
        ),
        # a lazy-import function (langchain_community/llms/__init__.py shape)
        (
            "def _import_zhipuai():\n    import zhipuai\n\n    return zhipuai\n",
            "imported, not used (re-export or lazy import)",
        ),
        # typing only
        (
            "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from zhipuai import ZhipuAI\n\n\n"
            "def f(client: 'ZhipuAI') -> None:\n    client.close()\n",
            "imported for type checking only",
        ),
    ],
)
def test_an_import_the_file_does_not_use_is_a_mention(cat: Catalog, text: str, context: str) -> None:
    out = scan({"app/llm.py": text}, cat)
    assert {k: v for k, v in _imports(out).items() if k == "zhipuai"} == {"zhipuai": ("C", context)}


@pytest.mark.parametrize(
    "text",
    [
        "from zhipuai import ZhipuAI\nclient = ZhipuAI(api_key=key)\n",  # instantiated
        "from zhipuai import ZhipuAI\n\n\nclass Mine(ZhipuAI):\n    pass\n",  # subclassed
        "from zhipuai import ZhipuAI\nregister(client_cls=ZhipuAI)\n",  # passed
        "import zhipuai\nzhipuai.api_key = key\n",  # configured through an attribute
        "import zhipuai as z\nc = z.ZhipuAI()\n",  # through an alias
        "from zhipuai import *\nc = ZhipuAI()\n",  # a star import binds everything
        # a multi-line import, the class called in a function
        "from zhipuai import (\n    ZhipuAI,\n)\n\n\ndef make():\n    return ZhipuAI(api_key=key)\n",
        "def make():\n    from zhipuai import ZhipuAI\n\n    return ZhipuAI()\n",  # a lazy import that calls
        # an annotation of a parameter (the client is injected)
        "from zhipuai import ZhipuAI\n\n\ndef f(client: ZhipuAI) -> None:\n    client.close()\n",
    ],
)
def test_an_import_the_file_uses_stays_a(cat: Catalog, text: str) -> None:
    out = scan({"app/llm.py": text}, cat)
    assert _imports(out)["zhipuai"] == ("A", "import")


def test_a_name_used_after_a_type_checking_block_is_a_use(cat: Catalog) -> None:
    """litellm's modules put ``if TYPE_CHECKING:`` imports right above the code: a use below the block is
    not inside it."""
    text = (
        "from typing import TYPE_CHECKING\n\nimport zhipuai\n\nif TYPE_CHECKING:\n    from x import Logging\n"
        "\n\ndef f():\n    return zhipuai.ZhipuAI()\n"
    )
    out = scan({"app/llm.py": text}, cat)
    assert _imports(out)["zhipuai"] == ("A", "import")


def test_a_notebook_import_used_in_a_later_cell_stays_a(cat: Catalog) -> None:
    import json

    def nb(*cells: str) -> str:
        return json.dumps({"cells": [{"cell_type": "code", "source": src} for src in cells]})

    out = scan({"eval.ipynb": nb("import zhipuai\nimport os\n", "client = zhipuai.ZhipuAI()\n")}, cat)
    assert _imports(out)["zhipuai"] == ("A", "import")
    out = scan({"eval.ipynb": nb("import zhipuai\n", "print('hello')\n")}, cat)
    assert _imports(out)["zhipuai"] == ("C", "imported, not used (re-export or lazy import)")
