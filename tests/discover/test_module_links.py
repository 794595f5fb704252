"""A provider reached through a name another module of the code base defines (issue 15 item 8, accuracy
benchmark misses "provider reached through a helper"): the file that imports and uses a constant, helper or
class whose definition holds a provider host, request signature or env key uses that provider. The shapes
are cut from litellm 1.110.2 (bigmodel, tencent), qianfan 0.4.12 and dashscope 2.0.2. Links follow names,
never whole modules: importing a logger from the module that also holds the host, a typing-only import
and a re-export are not uses."""

from __future__ import annotations

import pytest

from tierguard.catalog import Catalog, load_catalog
from tierguard.discover.interface import DiscoverOutput

from .conftest import scan


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def _strong(out: DiscoverOutput, path: str) -> set[tuple[str, str, str, str]]:
    """(kind, value, strength, producer) of the A/B evidence in ``path``."""
    return {
        (e.kind, e.value, e.strength, e.refs.get("producer", ""))
        for e in out.evidence
        if e.location.path == path and e.strength in ("A", "B")
    }


# litellm/llms/bigmodel/common_utils.py (1.110.2), cut down
BIGMODEL_UTILS = """import re
from typing import Final, Literal

from litellm.secret_managers.main import get_secret_str

BIGMODEL_API_BASE: Final = "https://open.bigmodel.cn"
_BUSINESS_CODE_IN_ERROR: Final = re.compile(r"code")


def get_bigmodel_api_key(api_key: str | None) -> str | None:
    return api_key or get_secret_str("BIGMODEL_API_KEY")


def get_bigmodel_url(api_base: str | None, endpoint: Literal["chat", "responses"]) -> str:
    resolved_base: Final = api_base or get_secret_str("BIGMODEL_API_BASE") or BIGMODEL_API_BASE
    return resolved_base + "/api/paas/v4"


def bigmodel_business_error(code: object) -> None:
    return None
"""

# litellm/llms/bigmodel/chat/transformation.py: the host only through the helper
BIGMODEL_CHAT = """from collections.abc import Mapping

from litellm.llms.zai.chat.transformation import ZAIChatConfig

from ..common_utils import get_bigmodel_api_key, get_bigmodel_url


class BigModelChatConfig(ZAIChatConfig):
    def get_openai_compatible_provider_info(self, api_base, api_key):
        return get_bigmodel_url(api_base, "chat"), get_bigmodel_api_key(api_key)
"""

# the constant imported and used directly (a module is read only when it holds a catalog keyword: here the
# helper's name ``get_bigmodel_api_key``; a file naming nothing of the provider is not parsed at all)
BIGMODEL_MESSAGES = """from ..common_utils import BIGMODEL_API_BASE, get_bigmodel_api_key


def base(api_base=None):
    return api_base or BIGMODEL_API_BASE
"""

# a module that imports only a name without provider evidence from the same helper module
BIGMODEL_ERRORS = """from ..common_utils import bigmodel_business_error


def check(code):
    return bigmodel_business_error(code)
"""

ROOT = "litellm/llms/bigmodel"


def test_a_helper_returning_the_providers_host_links_its_callers(cat: Catalog) -> None:
    out = scan(
        {
            f"{ROOT}/common_utils.py": BIGMODEL_UTILS,
            f"{ROOT}/chat/transformation.py": BIGMODEL_CHAT,
            f"{ROOT}/messages/transformation.py": BIGMODEL_MESSAGES,
            f"{ROOT}/errors.py": BIGMODEL_ERRORS,
        },
        cat,
    )
    chat = _strong(out, f"{ROOT}/chat/transformation.py")
    # through helpers: B (the name's own statement does not hold the literal)
    assert ("endpoint", "open.bigmodel.cn", "B", "zhipu") in chat
    assert ("env-key", "BIGMODEL_API_KEY", "A", "zhipu") in chat  # get_bigmodel_api_key holds the key
    # the constant itself: A, at the line that uses it
    (msg,) = [
        e
        for e in out.evidence
        if e.location.path == f"{ROOT}/messages/transformation.py" and e.strength == "A"
    ]
    assert (msg.kind, msg.value, msg.refs["producer"], msg.location.line) == (
        "endpoint",
        "open.bigmodel.cn",
        "zhipu",
        5,
    )
    assert msg.attributes["context"] == "via import of BIGMODEL_API_BASE"
    assert msg.attributes["defined_at"] == f"{ROOT}/common_utils.py:6"
    # a name of the same module that holds no provider evidence is not a link
    assert _strong(out, f"{ROOT}/errors.py") == set()
    assert not [e for e in out.evidence if e.kind == "py-module"]  # internal records never leave discover


# qianfan 0.4.12: consts -> config (a class reading the constants) -> package __init__ re-export -> iam
QIANFAN = {
    "qianfan/consts.py": """class DefaultValue:
    BaseURL: str = "https://aip.baidubce.com"
    ConsoleAPIBaseURL: str = "https://qianfan.baidubce.com"
    RetryCount: int = 3


class Consts:
    ModelAPIPrefix = "/rpc/2.0/ai_custom/v1/wenxinworkshop"
""",
    "qianfan/config.py": """from qianfan.consts import DefaultValue


class GlobalConfig:
    BASE_URL: str = DefaultValue.BaseURL


def get_config() -> GlobalConfig:
    return GlobalConfig()
""",
    "qianfan/__init__.py": """from qianfan.config import get_config
from qianfan.version import VERSION

__all__ = ["get_config", "VERSION"]
""",
    "qianfan/resources/auth/iam.py": """from qianfan import get_config


def sign(request):
    expiration = get_config().IAM_SIGN_EXPIRATION_SEC
    return request, expiration
""",
    "qianfan/errors.py": """class QianfanError(Exception):
    pass
""",
    "qianfan/resources/llm/rerank.py": """import qianfan.errors as errors
from qianfan.consts import DefaultValue


def retries():
    if not DefaultValue.RetryCount:
        raise errors.QianfanError("qianfan")
""",
}


def test_a_class_reading_the_constants_and_a_package_re_export_carry_the_link(cat: Catalog) -> None:
    out = scan(QIANFAN, cat)
    assert ("endpoint", "aip.baidubce.com", "A", "baidu") in _strong(out, "qianfan/config.py")
    # iam.py reaches the host through the package's re-export of config.get_config (a helper: B)
    assert ("endpoint", "aip.baidubce.com", "B", "baidu") in _strong(out, "qianfan/resources/auth/iam.py")
    assert ("endpoint", "aip.baidubce.com", "A", "baidu") in _strong(out, "qianfan/resources/llm/rerank.py")
    # the package __init__ only re-exports: not a use
    assert _strong(out, "qianfan/__init__.py") == set()


# dashscope 2.0.2: a module-level if/else assigns the base URL; the package re-exports it; a resource reads
# it as an attribute of the package
DASHSCOPE = {
    "dashscope/common/env.py": """import os

api_region = os.environ.get("DASHSCOPE_REGION")
if api_region:
    base_http_api_url = f"https://{api_region}.maas.aliyuncs.com/api/v1"
else:
    base_http_api_url = os.environ.get(
        "DASHSCOPE_HTTP_BASE_URL",
        "https://dashscope.aliyuncs.com/api/v1",
    )
""",
    "dashscope/common/logging.py": """import logging

logger = logging.getLogger("dashscope")
""",
    "dashscope/__init__.py": """from dashscope.common.env import base_http_api_url
from dashscope.common.logging import logger

__all__ = ["base_http_api_url", "logger"]
""",
    "dashscope/models.py": """from dashscope.common.utils import join_url
import dashscope


class Models:
    @classmethod
    def get(cls, name):
        from http import HTTPStatus

        url = join_url(dashscope.base_http_api_url, "models")
        return url, HTTPStatus.OK
""",
    "dashscope/api_entities/aio_session.py": """import aiohttp

from dashscope.common.logging import logger


def close():
    logger.debug("closing the session")
""",
}


def test_a_package_attribute_set_in_a_module_level_if_links_its_readers(cat: Catalog) -> None:
    out = scan(DASHSCOPE, cat)
    assert ("endpoint", "dashscope.aliyuncs.com", "A", "alibaba") in _strong(out, "dashscope/models.py")
    # the logger comes from a module of the same package with no provider evidence
    assert _strong(out, "dashscope/api_entities/aio_session.py") == set()


# zhipuai 2.1.5: the API resource base class holds the client only as a typing-only import
ZHIPU = {
    "zhipuai/_client.py": """import os


class ZhipuAI:
    def __init__(self, api_key=None, base_url=None):
        self.api_key = api_key or os.environ.get("ZHIPUAI_API_KEY")
        self.base_url = base_url or "https://open.bigmodel.cn/api/paas/v4"
""",
    "zhipuai/core/_base_api.py": """from __future__ import annotations
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._client import ZhipuAI


class BaseAPI:
    _client: ZhipuAI

    def __init__(self, client: ZhipuAI) -> None:
        self._client = client
""",
}


def test_a_typing_only_import_of_the_client_is_not_a_link(cat: Catalog) -> None:
    out = scan(ZHIPU, cat)
    assert _strong(out, "zhipuai/core/_base_api.py") == set()
    assert ("endpoint", "open.bigmodel.cn", "A", "zhipu") in _strong(out, "zhipuai/_client.py")


def test_user_code_importing_its_own_config_constant_uses_the_provider(cat: Catalog) -> None:
    """The issue's example: one module defines the provider's base URL, another imports it (here a script
    beside its config module, resolved from the script's own directory)."""
    files = {
        "service/settings.py": 'DEEPSEEK_BASE = "https://api.deepseek.com"\nTIMEOUT = 30\n',
        "service/main.py": (
            "from openai import OpenAI\n\nfrom settings import DEEPSEEK_BASE, TIMEOUT\n\n"
            "client = OpenAI(base_url=DEEPSEEK_BASE, timeout=TIMEOUT)\n"
        ),
        "service/health.py": "from settings import TIMEOUT\n\n\ndef wait():\n    return TIMEOUT\n",
    }
    out = scan(files, cat)
    assert ("endpoint", "api.deepseek.com", "A", "deepseek") in _strong(out, "service/main.py")
    assert _strong(out, "service/health.py") == set()


def test_a_name_holding_several_providers_links_each_of_them_at_b(cat: Catalog) -> None:
    """Which entry of a map of hosts is used is decided at run time: the importer is linked to every
    provider the name holds, none of them as strong evidence, instead of to whichever comes first."""
    files = {
        "gateway/hosts.py": (
            'BASES = {\n    "deepseek": "https://api.deepseek.com",\n    "openai": "https://api.openai.com/v1",\n}\n'
        ),
        "gateway/client.py": (
            "from openai import OpenAI\n\nfrom .hosts import BASES\n\n\n"
            "def client(provider):\n    return OpenAI(base_url=BASES[provider])\n"
        ),
    }
    out = scan(files, cat)
    linked = {t for t in _strong(out, "gateway/client.py") if t[0] == "endpoint"}
    assert linked == {
        ("endpoint", "api.deepseek.com", "B", "deepseek"),
        ("endpoint", "api.openai.com", "B", "openai"),
    }


def test_the_pass_stops_at_its_byte_bound_and_keeps_the_rest(
    cat: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tierguard.discover.detectors import pylinks

    files = {f"{ROOT}/common_utils.py": BIGMODEL_UTILS, f"{ROOT}/chat/transformation.py": BIGMODEL_CHAT}
    monkeypatch.setattr(pylinks, "MAX_BYTES", 10)
    out = scan(files, cat)
    assert _strong(out, f"{ROOT}/chat/transformation.py") == set()  # the links it would add are missing
    assert ("endpoint", "open.bigmodel.cn", "A", "zhipu") in _strong(out, f"{ROOT}/common_utils.py")
    assert not [e for e in out.evidence if e.kind == "py-module"]
