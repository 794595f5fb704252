"""Services and model families the accuracy benchmark found missing from the catalog (issue 15, "Misses"
cause 2), each scanned from the real file shape with the packaged catalog: Tencent TokenHub (LiteLLM's
``tencent/`` provider), Alibaba Cloud PAI-EAS (LangChain's ``PaiEasChatEndpoint``) and BAAI's Aquila family
(in Qianfan's model-to-endpoint map). LiteLLM's ``TENCENT_API_KEY`` is deliberately not an env key: the name
is not specific to an AI service, and an env key is strength A on its own. Then (issue 15 item 8): the zhipuai
SDK's request headers, LiteLLM's ``BIGMODEL_API_KEY`` and Clarifai-routed ids (``clarifai/openbmb...``)."""

from __future__ import annotations

import pytest

from tierguard.catalog import Catalog, load_catalog

from .conftest import scan


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


# litellm/llms/tencent/chat/transformation.py (1.110.2)
TOKENHUB_CHAT = """from typing import Final

from litellm.secret_managers.main import get_secret_str


class TencentChatConfig:
    def _get_openai_compatible_provider_info(
        self, api_base: str | None, api_key: str | None
    ) -> tuple[str | None, str | None]:
        api_base = api_base or get_secret_str("TENCENT_API_BASE") or "https://tokenhub-intl.tencentcloudmaas.com/v1"
        dynamic_api_key: Final = api_key or get_secret_str("TENCENT_API_KEY")
        return api_base, dynamic_api_key
"""


def test_tencent_tokenhub_host_is_a_tencent_service(cat: Catalog) -> None:
    out = scan({"litellm/llms/tencent/chat/transformation.py": TOKENHUB_CHAT}, cat)
    strong = [(e.kind, e.value, e.refs.get("operator") or e.refs.get("producer")) for e in out.evidence]
    assert ("endpoint", "tokenhub-intl.tencentcloudmaas.com", "tencent") in strong
    ep = cat.match_host("tokenhub-intl.tencentcloudmaas.com")
    assert ep is not None and ep.jurisdiction == "CN" and "deepseek" in ep.serves


def test_generic_tencent_api_key_alone_is_not_tokenhub_evidence(cat: Catalog) -> None:
    src = 'import os\n\nMAPS_KEY = os.environ["TENCENT_API_KEY"]  # Tencent Location Service\n'
    out = scan({"geo/maps.py": src}, cat)
    assert not [e for e in out.evidence if e.strength in ("A", "B")]


# langchain_community/chat_models/pai_eas_endpoint.py (0.4.2) and a user of it
PAI_EAS_USE = """from langchain_community.chat_models import PaiEasChatEndpoint

chat = PaiEasChatEndpoint(
    eas_service_url="http://1234567890.cn-hangzhou.pai-eas.aliyuncs.com/api/predict/qwen_chat",
    eas_service_token=TOKEN,
)
"""


def test_pai_eas_class_and_host_are_alibaba_cloud(cat: Catalog) -> None:
    out = scan({"app/chat.py": PAI_EAS_USE}, cat)
    got = {
        (e.kind, e.value, e.strength, e.refs.get("producer") or e.refs.get("operator")) for e in out.evidence
    }
    assert ("framework-class", "PaiEasChatEndpoint", "A", "alibaba") in got
    hosts = [e for e in out.evidence if e.kind == "endpoint"]
    assert [(e.refs["endpoint"], e.refs["producer"], e.strength) for e in hosts] == [
        ("*.pai-eas.aliyuncs.com", "alibaba", "A")
    ]


# qianfan/resources/llm/chat_completion.py (0.4.12.3): the model-to-endpoint map
QIANFAN_MAP = """from qianfan.resources.typing import QfLLMInfo


class ChatCompletion(BaseResource):
    @classmethod
    def _local_models_preset(cls) -> Dict[str, QfLLMInfo]:
        info_map = {
            "ERNIE-Bot": QfLLMInfo(
                endpoint="/chat/completions",
                required_keys={"messages"},
            ),
            "AquilaChat-7B": QfLLMInfo(
                endpoint="/chat/aquilachat_7b",
                required_keys={"messages"},
            ),
        }
        return info_map
"""


def test_aquila_model_in_a_model_map_is_baai(cat: Catalog) -> None:
    out = scan({"qianfan/resources/llm/chat_completion.py": QIANFAN_MAP}, cat)
    aquila = [e for e in out.evidence if e.value == "AquilaChat-7B"]
    assert aquila and {(e.strength, e.refs.get("producer"), e.refs.get("family")) for e in aquila} == {
        ("B", "baai", "aquila")
    }
    assert cat.match_model("BAAI/Aquila2-34B") is not None


# zhipuai/core/_http_client.py (2.1.5): the SDK's default headers
ZHIPU_HEADERS = """class HttpClient:
    @property
    def _default_headers(self):
        return {
            "Accept": "application/json",
            "ZhipuAI-SDK-Ver": self._version,
            "source_type": "zhipu-sdk-python",
            "x-request-sdk": "zhipu-sdk-python",
        }
"""


def test_the_zhipu_sdk_request_headers_are_the_zhipu_api(cat: Catalog) -> None:
    out = scan({"zhipuai/core/_http_client.py": ZHIPU_HEADERS}, cat)
    got = {(e.kind, e.value, e.strength, e.attributes.get("signature")) for e in out.evidence}
    assert ("endpoint", "open.bigmodel.cn", "A", "ZhipuAI-SDK-Ver") in got
    assert ("endpoint", "open.bigmodel.cn", "A", "x-request-sdk") in got
    # the header name alone is not distinctive
    out = scan({"app/http.py": 'HEADERS = {"x-request-sdk": "my-sdk-java"}\n'}, cat)
    assert [e for e in out.evidence if e.strength != "C"] == []


def test_litellms_bigmodel_key_is_zhipus_and_its_helper_name_is_not_the_key(cat: Catalog) -> None:
    out = scan({"a.py": 'key = get_secret_str("BIGMODEL_API_KEY")\nk = get_bigmodel_api_key(None)\n'}, cat)
    keys = [(e.kind, e.value, e.strength, e.refs.get("producer"), e.location.line) for e in out.evidence]
    assert keys == [("env-key", "BIGMODEL_API_KEY", "A", "zhipu", 1)]


# litellm/constants.py (1.110.2): provider model lists, Clarifai ids among them
CLARIFAI_MODELS = """clarifai_models: Final[set] = set(
    [
        "clarifai/openai.chat-completion.gpt-4o",
        "clarifai/openbmb.miniCPM.MiniCPM3-4B",
        "clarifai/qwen.qwenLM.Qwen3-14B",
    ]
)
"""


def test_clarifai_routed_ids_name_the_producer_and_clarifai_as_operator(cat: Catalog) -> None:
    out = scan({"litellm/constants.py": CLARIFAI_MODELS}, cat)
    refs = {e.value: (e.strength, e.refs.get("producer"), e.refs.get("router")) for e in out.evidence}
    assert refs["clarifai/openbmb.miniCPM.MiniCPM3-4B"] == ("B", "modelbest", "litellm:clarifai/")
    assert refs["clarifai/qwen.qwenLM.Qwen3-14B"] == ("B", "alibaba", "litellm:clarifai/")
    m = cat.match_model("clarifai/openbmb.miniCPM.MiniCPM3-4B")
    assert m is not None and m.router is not None and m.router.operator == "clarifai"
    # Bedrock ids with the same first label keep Amazon as operator
    m = cat.match_model("meta.llama3-70b-instruct-v1:0")
    assert m is not None and m.router is not None and m.router.operator == "amazon"
