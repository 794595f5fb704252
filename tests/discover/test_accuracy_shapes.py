"""Real file shapes behind the accuracy benchmark's remaining misses and false alarms (issue 15 item 8):
model ids as a model field's default and as keys of a model-info map (B), and the mentions that must stay
C: price/capability tables and prose under a YAML ``description:`` key. (Catalog additions for the same
misses: ``test_catalog_additions.py``.)"""

from __future__ import annotations

import json

import pytest

from tierguard.catalog import Catalog, load_catalog
from tierguard.discover.interface import DiscoverOutput

from .conftest import scan


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def _by_value(out: DiscoverOutput) -> dict[str, set[tuple[str, str]]]:
    """value -> {(strength, producer)} of every observation."""
    got: dict[str, set[tuple[str, str]]] = {}
    for e in out.evidence:
        got.setdefault(e.value, set()).add((e.strength, e.refs.get("producer", "")))
    return got


# langchain_community/llms/chatglm3.py and chat_models/yuan2.py (0.4.2)
CHATGLM3 = '''class ChatGLM3(LLM):
    """ChatGLM3 LLM service."""

    model_name: str = Field(default="chatglm3-6b", alias="model")
    endpoint_url: str = DEFAULT_ENDPOINT_URL
'''
YUAN2 = '''class ChatYuan2(BaseChatModel):
    model_name: str = Field(default="yuan2", alias="model")
    """Model name to use."""
'''


@pytest.mark.parametrize(
    ("text", "model", "producer"),
    [
        (CHATGLM3, "chatglm3-6b", "zhipu"),
        (YUAN2, "yuan2", "inspur"),
        ("class Cfg(BaseModel):\n    model: str = 'deepseek-chat'\n", "deepseek-chat", "deepseek"),
        ("@dataclass\nclass Cfg:\n    llm_model: str = field(default='qwen-max')\n", "qwen-max", "alibaba"),
    ],
)
def test_a_model_fields_default_is_a_model_reference(
    cat: Catalog, text: str, model: str, producer: str
) -> None:
    out = scan({"app/llm.py": text}, cat)
    assert _by_value(out)[model] == {("B", producer)}


def test_a_default_of_a_field_that_is_not_a_model_stays_a_mention(cat: Catalog) -> None:
    out = scan({"app/llm.py": "class Cfg(BaseModel):\n    title: str = Field(default='qwen-max')\n"}, cat)
    assert _by_value(out)["qwen-max"] == {("C", "alibaba")}


# qianfan/resources/llm/embedding.py and rerank.py (0.4.12.3): a model -> endpoint map built in a method
QIANFAN_EMBEDDING = """from qianfan.resources.typing import QfLLMInfo


class Embedding(BaseResource):
    def _local_models(self) -> Dict[str, QfLLMInfo]:
        return {
            "Embedding-V1": QfLLMInfo(
                endpoint="/embeddings/embedding-v1",
                required_keys={"input"},
            ),
            "bge-large-en": QfLLMInfo(
                endpoint="/embeddings/bge_large_en",
                required_keys={"input"},
            ),
        }
"""
QIANFAN_RERANK = """class Reranker(BaseResource):
    def _local_models(self):
        return {
            "bce-reranker-base_v1": QfLLMInfo(
                endpoint="/reranker/bce_reranker_base",
            ),
        }
"""


def test_keys_of_a_model_info_map_are_model_references(cat: Catalog) -> None:
    out = scan({"qianfan/resources/llm/embedding.py": QIANFAN_EMBEDDING}, cat)
    assert _by_value(out)["bge-large-en"] == {("B", "baai")}
    out = scan({"qianfan/resources/llm/rerank.py": QIANFAN_RERANK}, cat)
    assert _by_value(out)["bce-reranker-base_v1"] == {("B", "netease-youdao")}


def test_a_map_whose_values_are_not_model_infos_is_not_a_model_map(cat: Catalog) -> None:
    out = scan({"app/prices.py": 'PRICES = {\n    "qwen-max": Decimal("0.02"),\n}\n'}, cat)
    assert _by_value(out)["qwen-max"] == {("C", "alibaba")}


# litellm/model_prices_and_context_window_backup.json (1.110.2), cut down
PRICE_TABLE = {
    "gradient_ai/deepseek-r1-distill-llama-70b": {
        "input_cost_per_token": 9.9e-07,
        "litellm_provider": "gradient_ai",
        "output_cost_per_token": 9.9e-07,
        "max_output_tokens": 8000,
    },
    "deepseek/deepseek-pro-latest": {"alias_of": "deepseek/deepseek-v4-pro"},
    "tencent/deepseek-v4-pro": {
        "input_cost_per_token": 1.74e-06,
        "litellm_provider": "tencent",
        "max_input_tokens": 1000000,
        "source": "https://tokenhub-intl.tencentcloudmaas.com/v1",
    },
}

# a LiteLLM proxy config with custom prices still selects its models
PROXY_CONFIG = """model_list:
  - model_name: chat
    litellm_params:
      model: deepseek/deepseek-chat
      input_cost_per_token: 0.00000027
      output_cost_per_token: 0.0000011
      max_output_tokens: 8000
"""


def test_a_price_table_is_mentions_whole(cat: Catalog) -> None:
    out = scan(
        {"litellm/model_prices_and_context_window_backup.json": json.dumps(PRICE_TABLE, indent=4)}, cat
    )
    assert out.evidence and {e.strength for e in out.evidence} == {"C"}
    assert {e.attributes.get("context") for e in out.evidence if e.attributes.get("as")} >= {
        "price/capability table"
    }


def test_a_proxy_config_with_prices_keeps_its_model(cat: Catalog) -> None:
    out = scan({"config.yaml": PROXY_CONFIG}, cat)
    assert ("B", "deepseek") in _by_value(out)["deepseek/deepseek-chat"]


# bench/accuracy/traps/openapi/openapi.yaml: prose in a folded description block
OPENAPI = """components:
  schemas:
    Provider:
      type: string
      description: >
        Upstream provider the gateway forwards to. Values name providers the
        gateway knows about (OpenAI, Anthropic, DeepSeek, Qwen/DashScope,
        Moonshot/Kimi, Zhipu GLM, MiniMax); see https://api.deepseek.com for one.
      enum: [openai, anthropic, deepseek, dashscope]
"""

# a CI job's script block is commands, not prose
CI = """deploy:
  description: smoke test
  script: |
    curl https://api.deepseek.com/chat/completions -d @body.json
"""


def test_prose_under_a_yaml_description_key_is_a_mention_and_a_script_block_is_not(cat: Catalog) -> None:
    out = scan({"openapi/openapi.yaml": OPENAPI}, cat)
    assert [e for e in out.evidence if e.strength != "C"] == []
    out = scan({".gitlab-ci.yml": CI}, cat)
    assert ("A", "deepseek") in _by_value(out)["api.deepseek.com"]
