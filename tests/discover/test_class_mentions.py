"""Class names in lazy-import registries, re-exports and ``if TYPE_CHECKING:`` blocks are mentions, not
uses (issue 15, accuracy benchmark "False alarms" cause 1: 20 (file, provider) pairs in langchain-community's
``chat_models/``, ``llms/`` and ``embeddings/__init__.py``). The shapes below are cut from those files. A
class the file calls, instantiates, subclasses, passes to a call or reaches through an alias stays A."""

from __future__ import annotations

import pytest

from tierguard.catalog import Catalog, load_catalog
from tierguard.discover.interface import DiscoverOutput

from .conftest import scan


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def _classes(out: DiscoverOutput) -> dict[tuple[str, int | None], tuple[str, str]]:
    """(class, line) -> (strength, context) of every framework-class observation."""
    return {
        (e.value, e.location.line): (e.strength, e.attributes.get("context", ""))
        for e in out.evidence
        if e.kind == "framework-class" or e.attributes.get("as") == "framework-class"
    }


# langchain_community/chat_models/__init__.py (0.4.2): imports under TYPE_CHECKING, a name -> module map
# and a module ``__getattr__`` that imports on first access.
CHAT_MODELS_INIT = '''"""**Chat Models** are a variation on language models."""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langchain_community.chat_models.baichuan import (
        ChatBaichuan,
    )
    from langchain_community.chat_models.tongyi import (
        ChatTongyi,
    )
    from langchain_community.chat_models.zhipuai import ChatZhipuAI

__all__ = [
    "ChatBaichuan",
    "ChatTongyi",
    "ChatZhipuAI",
]

_module_lookup = {
    "ChatBaichuan": "langchain_community.chat_models.baichuan",
    "ChatTongyi": "langchain_community.chat_models.tongyi",
    "ChatZhipuAI": "langchain_community.chat_models.zhipuai",
}


def __getattr__(name: str) -> Any:
    if name in _module_lookup:
        module = importlib.import_module(_module_lookup[name])
        return getattr(module, name)
    raise AttributeError(f"module {__name__} has no attribute {name}")
'''

# langchain_community/llms/__init__.py (0.4.2): one ``_import_*`` function per class, an if/elif
# ``__getattr__`` and a ``get_type_to_cls_dict`` registry.
LLMS_INIT = '''"""**LLM** classes provide access to the large language model (**LLM**) APIs and services."""

from typing import Any, Callable, Dict, Type

from langchain_core.language_models.llms import BaseLLM


def _import_tongyi() -> Type[BaseLLM]:
    from langchain_community.llms.tongyi import Tongyi

    return Tongyi


def _import_sparkllm() -> Type[BaseLLM]:
    from langchain_community.llms.sparkllm import SparkLLM

    return SparkLLM


def __getattr__(name: str) -> Any:
    if name == "Tongyi":
        return _import_tongyi()
    elif name == "SparkLLM":
        return _import_sparkllm()
    else:
        raise AttributeError(f"Could not find: {name}")


__all__ = [
    "SparkLLM",
    "Tongyi",
]


def get_type_to_cls_dict() -> Dict[str, Callable[[], Type[BaseLLM]]]:
    return {
        "tongyi": _import_tongyi,
        "SparkLLM": _import_sparkllm,
    }
'''

# llama_index/llms/deepseek/__init__.py shape, with a catalog class: a re-export and ``__all__``.
REEXPORT_INIT = """from langchain_community.chat_models.moonshot import MoonshotChat
from langchain_community.llms.tongyi import Tongyi as TongyiLLM

__all__ = ["MoonshotChat", "TongyiLLM"]
"""


def test_type_checking_imports_and_lookup_maps_are_mentions(cat: Catalog) -> None:
    got = _classes(scan({"langchain_community/chat_models/__init__.py": CHAT_MODELS_INIT}, cat))
    assert got[("ChatBaichuan", 8)] == ("C", "class imported for type checking only")
    assert got[("ChatTongyi", 11)] == ("C", "class imported for type checking only")
    assert got[("ChatZhipuAI", 13)] == ("C", "class imported for type checking only")
    assert {s for s, _c in got.values()} == {"C"}


def test_lazy_import_functions_and_registries_are_mentions(cat: Catalog) -> None:
    out = scan({"langchain_community/llms/__init__.py": LLMS_INIT}, cat)
    got = _classes(out)
    assert got[("Tongyi", 9)] == ("C", "class imported, not used (re-export or lazy import)")
    assert got[("SparkLLM", 15)] == ("C", "class imported, not used (re-export or lazy import)")
    assert not [e for e in out.evidence if e.strength in ("A", "B")]


def test_reexports_are_mentions(cat: Catalog) -> None:
    got = _classes(scan({"pkg/__init__.py": REEXPORT_INIT}, cat))
    assert got[("MoonshotChat", 1)] == ("C", "class imported, not used (re-export or lazy import)")
    assert got[("Tongyi", 2)] == ("C", "class imported, not used (re-export or lazy import)")


USES = {
    # instantiated after a multi-line import
    "a.py": (
        "from langchain_community.chat_models import (\n    ChatTongyi,\n)\n\n"
        "llm = ChatTongyi(model='qwen')\n"
    ),
    # passed to a constructor
    "b.py": "from langchain_community.llms import Tongyi\n\nchain = Factory(llm_cls=Tongyi, retries=2)\n",
    # subclassed
    "c.py": (
        "from langchain_community.chat_models import MoonshotChat\n\n\nclass Kimi(MoonshotChat):\n    pass\n"
    ),
    # a classmethod called
    "d.py": "from langchain_community.llms import SparkLLM\n\nllm = SparkLLM.from_params({})\n",
    # through an alias
    "e.py": "from langchain_community.llms import Tongyi as T\n\nllm = T()\n",
    # imported under TYPE_CHECKING for the annotation, instantiated at run time from a lazy import
    "f.py": (
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
        "    from langchain_community.llms import Tongyi\n\n\n"
        "def make() -> 'Tongyi':\n    from langchain_community.llms import Tongyi\n\n"
        "    return Tongyi(model_name='qwen-max')\n"
    ),
}


def test_real_uses_stay_strong(cat: Catalog) -> None:
    def strength(path: str, name: str, line: int) -> str:
        return _classes(scan({path: USES[path]}, cat))[(name, line)][0]

    # the import line of a class the file uses is A, and so is the use itself
    assert strength("a.py", "ChatTongyi", 2) == strength("a.py", "ChatTongyi", 5) == "A"
    assert strength("b.py", "Tongyi", 1) == strength("b.py", "Tongyi", 3) == "A"
    assert strength("c.py", "MoonshotChat", 1) == strength("c.py", "MoonshotChat", 4) == "A"
    assert strength("d.py", "SparkLLM", 1) == "A"
    assert strength("e.py", "Tongyi", 1) == "A"
    f = _classes(scan({"f.py": USES["f.py"]}, cat))
    assert f[("Tongyi", 4)] == ("C", "class imported for type checking only")
    assert f[("Tongyi", 8)][0] == f[("Tongyi", 10)][0] == "A"


def test_type_checks_and_annotations_are_not_uses(cat: Catalog) -> None:
    src = (
        "from langchain_community.llms import Tongyi\n\n\n"
        "def is_qwen(llm: Tongyi) -> bool:\n    return isinstance(llm, Tongyi)\n"
    )
    got = _classes(scan({"g.py": src}, cat))
    assert {s for s, _c in got.values()} == {"C"}
