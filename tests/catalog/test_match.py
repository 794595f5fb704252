"""Lookup tables: match_model, match_host, match_import, match_package, match_env_key, traps."""

from __future__ import annotations

import pytest

from tierguard.catalog import Catalog

# (reference, in_model_context, expected family id or None, expected producer id or None)
MODEL_CASES: list[tuple[str, bool, str | None, str | None]] = [
    # DeepSeek API IDs, HF IDs, Ollama tags
    ("deepseek-chat", True, "deepseek-v3", "deepseek"),
    ("deepseek-reasoner", True, "deepseek-r1", "deepseek"),
    ("deepseek-v4-pro", True, "deepseek-v4", "deepseek"),
    ("deepseek-ai/DeepSeek-V3-0324", True, "deepseek-v3", "deepseek"),
    ("deepseek-ai/DeepSeek-R1-Distill-Llama-8B", True, "deepseek-r1-distill-llama-8b", "deepseek"),
    ("deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", True, "deepseek-r1-distill-qwen", "deepseek"),
    ("unsloth/DeepSeek-R1-Distill-Llama-70B-GGUF", True, "deepseek-r1-distill-llama-70b", "deepseek"),
    ("deepseek-ai/Janus-Pro-7B", True, "deepseek-other", "deepseek"),
    ("deepseek-coder-v2:16b", True, "deepseek-coder", "deepseek"),
    ("deepseek-r1:14b", True, "deepseek-r1-distill-qwen", "deepseek"),
    ("deepseek-r1:671b", True, "deepseek-r1", "deepseek"),
    # Alibaba
    ("qwen-turbo", True, "qwen-api", "alibaba"),
    ("qwen-plus", True, "qwen-api", "alibaba"),
    ("qwen-max", True, "qwen-api", "alibaba"),
    ("qwen-long", True, "qwen-api", "alibaba"),
    ("qwen3-max", True, "qwen-api", "alibaba"),
    ("qwq-32b", True, "qwq", "alibaba"),
    ("Qwen/Qwen2.5-7B-Instruct", True, "qwen", "alibaba"),
    ("qwen2.5-coder:7b", True, "qwen", "alibaba"),
    ("Alibaba-NLP/gte-large-en-v1.5", True, "gte", "alibaba"),
    # Zhipu, Moonshot, MiniMax, Baidu, ByteDance, Tencent, iFlytek, 01.AI, StepFun, SenseTime
    ("glm-4-plus", True, "glm", "zhipu"),
    ("glm-zero-preview", True, "glm", "zhipu"),
    ("zai-org/GLM-4.5-Air", True, "glm", "zhipu"),
    ("THUDM/chatglm3-6b", True, "chatglm", "zhipu"),
    ("glm4:9b", True, "glm", "zhipu"),
    ("moonshot-v1-8k", True, "moonshot-v1", "moonshot"),
    ("kimi-k2-0905-preview", True, "kimi", "moonshot"),
    ("moonshotai/Kimi-K2-Instruct", True, "kimi", "moonshot"),
    ("abab6.5-chat", True, "minimax", "minimax"),
    ("MiniMax-M2", True, "minimax", "minimax"),
    ("ernie-4.0-8k", True, "ernie", "baidu"),
    ("doubao-1.5-pro-32k", True, "doubao", "bytedance"),
    ("Doubao-pro-32k", True, "doubao", "bytedance"),
    ("hunyuan-turbos-latest", True, "hunyuan", "tencent"),
    ("Spark-Lite", True, "spark", "iflytek"),
    ("generalv3.5", True, "spark", "iflytek"),
    ("yi-34b-chat-0205", True, "yi", "01ai"),
    ("yi-large", True, "yi", "01ai"),
    ("step-1-8k", True, "step", "stepfun"),
    ("SenseChat-5", True, "sensenova", "sensetime"),
    ("minicpm-v:8b", True, "minicpm", "modelbest"),
    ("internlm2:7b", True, "internlm", "shanghai-ai-lab"),
    ("BAAI/bge-m3", True, "bge", "baai"),
    ("bge-m3:latest", True, "bge", "baai"),
    ("someone/bge-large-zh-v1.5", True, "bge", "baai"),
    ("XiaomiMiMo/MiMo-7B-RL", True, "mimo", "xiaomi"),
    ("stepfun-ai/Step-Audio-2-mini", True, "step", "stepfun"),
    ("inclusionAI/Ling-lite", True, "ling", "ant-group"),
    ("Kwaipilot/KAT-Dev", True, "kwaipilot", "kuaishou"),
    # router prefixes
    ("deepseek/deepseek-chat", True, "deepseek-v3", "deepseek"),
    ("us.deepseek.r1-v1:0", True, "deepseek-r1", "deepseek"),
    ("apac.qwen.qwen3-32b-v1:0", True, "qwen", "alibaba"),
    ("eu.moonshotai.kimi-k2-thinking", True, "kimi", "moonshot"),
    ("minimax.minimax-m2", True, "minimax", "minimax"),
    ("openrouter/deepseek/deepseek-r1", True, "deepseek-r1", "deepseek"),
    ("bedrock/us.anthropic.claude-3-5-sonnet-20241022-v2:0", True, "claude", "anthropic"),
    # non-PRC
    ("gpt-4o", True, "gpt", "openai"),
    ("openai/gpt-oss-20b", True, "gpt", "openai"),
    ("o3-mini", True, "openai-o-series", "openai"),
    ("claude-sonnet-4-5", True, "claude", "anthropic"),
    ("gemini-2.5-pro", True, "gemini", "google"),
    ("gemma3:27b", True, "gemma", "google"),
    ("google/gemma-3-27b-it", True, "gemma", "google"),
    ("llama3.1:8b", True, "llama", "meta"),
    ("meta-llama/Llama-3.3-70B-Instruct", True, "llama", "meta"),
    ("mistral-large-latest", True, "mistral", "mistral"),
    ("mixtral:8x7b", True, "mistral", "mistral"),
    ("command-r-plus", True, "cohere-command", "cohere"),
    ("grok-4", True, "grok", "xai"),
    ("tiiuae/falcon-7b", True, "falcon", "tii"),
    ("jamba-1.5-large", True, "jamba", "ai21"),
    ("microsoft/phi-4", True, "phi", "microsoft"),
    ("nvidia/Llama-3.1-Nemotron-70B-Instruct-HF", True, "nemotron", "nvidia"),
    ("ibm-granite/granite-3.3-8b-instruct", True, "granite", "ibm"),
    ("inceptionai/jais-13b", True, "jais", "g42"),
    ("swiss-ai/Apertus-8B-Instruct-2509", True, "apertus", "swiss-ai"),
    ("perplexity-ai/r1-1776", True, "r1-1776", "perplexity"),
    ("sonar-pro", True, "sonar", "perplexity"),
    # free text: distinctive names still match, short/common ones never do
    ("deepseek-reasoner", False, "deepseek-r1", "deepseek"),
    ("kimi-k2", False, "kimi", "moonshot"),
    ("glm-4-plus", False, None, None),
    ("yi-large", False, None, None),
    ("llama-index", False, None, None),
    ("o3", False, None, None),
]

# free-text words and generic names that must never be attributed (the catalog's traps)
FREE_TEXT_TRAPS = [
    "spark",
    "glm",
    "yi",
    "step",
    "ark",
    "ernie",
    "moonshot",
    "minimax",
    "sonar",
    "o1",
    "o3",
    "phi",
]


@pytest.mark.parametrize(("ref", "ctx", "family", "producer"), MODEL_CASES)
def test_match_model(catalog: Catalog, ref: str, ctx: bool, family: str | None, producer: str | None) -> None:
    m = catalog.match_model(ref, in_model_context=ctx)
    if family is None:
        assert m is None, m
        return
    assert m is not None
    assert m.family is not None and m.family.id == family
    assert m.producer.id == producer


@pytest.mark.parametrize("word", FREE_TEXT_TRAPS)
def test_free_text_traps_not_matched(catalog: Catalog, word: str) -> None:
    assert catalog.match_model(word, in_model_context=False) is None
    assert catalog.match_model(word.capitalize(), in_model_context=False) is None
    assert catalog.match_host(word) is None
    assert catalog.match_import(word) is None
    assert catalog.match_env_key(word) is None


def test_generic_embedding_name_not_matched(catalog: Catalog) -> None:
    assert catalog.match_model("text-embedding-v2") is None
    assert catalog.match_model("text-embedding-v2", in_model_context=False) is None
    assert catalog.trap("text-embedding-v2") is not None


def test_every_catalog_trap_is_not_matched(catalog: Catalog) -> None:
    assert catalog.traps
    for trap in catalog.traps:
        eco, sep, name = trap.term.partition(":")
        if sep and eco in ("pypi", "npm"):
            assert catalog.match_package(eco, name) is None, trap.term
        else:
            assert catalog.match_model(trap.term, in_model_context=False) is None, trap.term
            assert catalog.match_host(trap.term) is None, trap.term


@pytest.mark.parametrize(
    ("eco", "name"), [("pypi", "minimax"), ("pypi", "ark-sdk"), ("pypi", "sparkai"), ("npm", "glm")]
)
def test_trap_packages_are_not_prc_packages(catalog: Catalog, eco: str, name: str) -> None:
    assert catalog.match_package(eco, name) is None
    assert catalog.trap(f"{eco}:{name}") is not None


def test_model_router_context(catalog: Catalog) -> None:
    # without a router, an HF organisation wins: Qwen/... is a Hugging Face ID (self-hostable weights)
    m = catalog.match_model("qwen/qwen3-235b-a22b")
    assert m is not None and m.via == "hf-id" and m.router is None
    # passed to OpenRouter, the same string is an OpenRouter slug served by OpenRouter (US)
    m = catalog.match_model("qwen/qwen3-235b-a22b", router="openrouter")
    assert m is not None and m.router is not None
    assert (m.router.router, m.router.operator, m.producer.id) == ("openrouter", "openrouter", "alibaba")
    # LiteLLM deepseek/ goes to DeepSeek itself (CN)
    m = catalog.match_model("deepseek/deepseek-reasoner", router="litellm")
    assert m is not None and m.router is not None and m.router.jurisdiction == "CN"
    # nested passthrough keeps the whole chain, outermost first
    m = catalog.match_model("bedrock/us.deepseek.r1-v1:0")
    assert m is not None
    assert [r.prefix for r in m.routers] == ["bedrock/", "us.deepseek."]
    assert m.producer.id == "deepseek" and m.router is not None and m.router.operator == "amazon"
    # an unknown model behind a PRC router prefix still names the producer
    m = catalog.match_model("deepseek.some-future-model-v1:0")
    assert m is not None and m.family is None and m.producer.id == "deepseek"


HOST_CASES: list[tuple[str, str, str | None, str | None, str]] = [
    # host, path, operator, jurisdiction, expected path_prefix
    ("api.deepseek.com", "/v1/chat/completions", "deepseek", "CN", ""),
    ("API.DEEPSEEK.COM.", "", "deepseek", "CN", ""),
    ("api.deepseek.com", "/anthropic/v1/messages", "deepseek", "CN", "/anthropic"),
    ("api.deepseek.com", "/anthropicx", "deepseek", "CN", ""),
    ("open.bigmodel.cn", "/api/anthropic", "zhipu", "CN", "/api/anthropic"),
    ("api.z.ai", "/api/paas/v4", "zhipu", "CN", ""),
    ("api.minimaxi.com", "/anthropic", "minimax", "CN", "/anthropic"),
    ("api.moonshot.cn", "/anthropic/v1", "moonshot", "CN", "/anthropic"),
    ("dashscope-intl.aliyuncs.com", "/compatible-mode/v1", "alibaba", "CN", ""),
    ("my-ws.cn-beijing.maas.aliyuncs.com", "", "alibaba", "CN", ""),
    ("ark.ap-southeast.bytepluses.com", "/api/v3", "bytedance", "CN", ""),
    ("spark-api.cn-huabei-1.xf-yun.com", "", "iflytek", "CN", ""),
    ("ws-api.xfyun.cn", "", "iflytek", "CN", ""),
    ("api.siliconflow.cn", "/v1", "siliconflow", "CN", ""),
    ("api.sensenova.cn", "", "sensetime", "HK", ""),
    ("api.openai.com", "/v1", "openai", "US", ""),
    ("contoso.openai.azure.com", "", "microsoft", "US", ""),
    ("proj.services.ai.azure.com", "", "microsoft", "US", ""),
    ("bedrock-runtime.us-east-1.amazonaws.com", "", "amazon", "US", ""),
    ("us-central1-aiplatform.googleapis.com", "", "google", "US", ""),
    ("api.mistral.ai", "", "mistral", "FR", ""),
    ("api.cohere.com", "", "cohere", "CA", ""),
    ("api.ai21.com", "", "ai21", "IL", ""),
    ("openrouter.ai", "/api/v1/chat/completions", "openrouter", "US", "/api"),
    ("router.huggingface.co", "/v1", "huggingface", "US", ""),
    # not AI endpoints / lookalikes
    ("api.deepseek.com.evil.example", "", None, None, ""),
    ("notapi.deepseek.com", "", None, None, ""),
    ("maas.aliyuncs.com", "", None, None, ""),
    ("s3.us-east-1.amazonaws.com", "", None, None, ""),
    ("spark.apache.org", "", None, None, ""),
    ("openrouter.ai", "/docs", None, None, ""),
]


@pytest.mark.parametrize(("host", "path", "operator", "jurisdiction", "prefix"), HOST_CASES)
def test_match_host(
    catalog: Catalog, host: str, path: str, operator: str | None, jurisdiction: str | None, prefix: str
) -> None:
    e = catalog.match_host(host, path)
    if operator is None:
        assert e is None, e
        return
    assert e is not None
    assert (e.operator, e.jurisdiction, e.path_prefix) == (operator, jurisdiction, prefix)


IMPORT_CASES: list[tuple[str, str | None]] = [
    ("dashscope", "pypi:dashscope"),
    ("dashscope.aigc.generation", "pypi:dashscope"),
    ("zai", "pypi:zai-sdk"),
    ("zaixyz", None),
    ("zhipuai", "pypi:zhipuai"),
    ("volcenginesdkarkruntime", "pypi:volcengine-python-sdk"),
    ("volcengine.maas.v2", "pypi:volcengine"),
    ("volcengine.tos", None),
    ("tencentcloud.hunyuan.v20230901", "pypi:tencentcloud-sdk-python-hunyuan"),
    ("tencentcloud.common.credential", None),
    ("tencentcloud.asr.v20190614", "pypi:tencentcloud-sdk-python-asr"),
    ("tencentcloud.tts.v20190823.tts_client", "pypi:tencentcloud-sdk-python-tts"),
    ("tencentcloud.lkeap.v20240522", "pypi:tencentcloud-sdk-python-lkeap"),
    ("tencentcloud.cvm.v20170312", None),
    ("sensenova", "pypi:sensenova"),
    ("xfyunsdkspark.oral_client", "pypi:xfyunsdkspark"),
    ("byteplussdkarkruntime", "pypi:byteplussdk-arkruntime"),
    ("tencentcloud-sdk-nodejs-asr", "npm:tencentcloud-sdk-nodejs-asr"),
    ("tencentcloud-sdk-nodejs/tencentcloud/services/hunyuan", "npm:tencentcloud-sdk-nodejs"),
    ("tencentcloud-sdk-nodejs/tencentcloud/services/cvm", None),
    (
        "github.com/volcengine/volcengine-go-sdk/service/arkruntime",
        "go:github.com/volcengine/volcengine-go-sdk",
    ),
    ("github.com/volcengine/volcengine-go-sdk/service/vpc", None),
    ("github.com/baidubce/bce-qianfan-sdk/go/qianfan", "go:github.com/baidubce/bce-qianfan-sdk/go/qianfan"),
    (
        "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/hunyuan/v20230901",
        "go:github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/hunyuan",
    ),
    ("github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common", None),
    ("github.com/coze-dev/coze-go", "go:github.com/coze-dev/coze-go"),
    ("com.alibaba.dashscope.aigc.generation.Generation", "maven:com.alibaba:dashscope-sdk-java"),
    ("com.alibaba.fastjson.JSON", None),
    ("com.baidubce.qianfan.Qianfan", "maven:com.baidubce:qianfan"),
    (
        "com.tencentcloudapi.hunyuan.v20230901.HunyuanClient",
        "maven:com.tencentcloudapi:tencentcloud-sdk-java-hunyuan",
    ),
    ("com.tencentcloudapi.common.Credential", None),
    ("com.zhipu.oapi.ClientV4", "maven:cn.bigmodel.openapi:oapi-java-sdk"),
    ("ai.z.openapi.ZaiClient", "maven:ai.z.openapi:zai-sdk"),
    ("com.volcengine.ark.runtime.service.ArkService", "maven:com.volcengine:volcengine-java-sdk-ark-runtime"),
    ("com.volcengine.ecs.EcsApi", None),
    ("com.coze.openapi.service.service.CozeAPI", "maven:com.coze:coze-api"),
    ("sparkai.llm.llm", "pypi:spark-ai-python"),
    ("llama_index.llms.deepseek", "pypi:llama-index-llms-deepseek"),
    ("llama_index.llms.openai", "pypi:llama-index-llms-openai"),
    ("llama_index.core", None),
    ("langchain_deepseek", "pypi:langchain-deepseek"),
    ("paddle", "pypi:paddlepaddle"),
    ("mindspore.nn", "pypi:mindspore"),
    ("google.genai", "pypi:google-genai"),
    ("google.cloud.storage", None),
    ("anthropic", "pypi:anthropic"),
    ("@ai-sdk/deepseek", "npm:@ai-sdk/deepseek"),
    ("@langchain/baidu-qianfan", "npm:@langchain/baidu-qianfan"),
    ("@anthropic-ai/sdk", "npm:@anthropic-ai/sdk"),
    ("zhipu-ai-provider", "npm:zhipu-ai-provider"),
    ("minimax", None),
    ("ark", None),
    ("glm", None),
    ("numpy", None),
]


@pytest.mark.parametrize(("module", "expected"), IMPORT_CASES)
def test_match_import(catalog: Catalog, module: str, expected: str | None) -> None:
    p = catalog.match_import(module)
    assert (f"{p.ecosystem}:{p.name}" if p else None) == expected


def test_match_package_normalises_and_ignores_extras(catalog: Catalog) -> None:
    p = catalog.match_package("pypi", "Volcengine_Python_SDK[ark]")
    assert p is not None and p.name == "volcengine-python-sdk" and p.producer == "bytedance"
    p = catalog.match_package("pypi", "LangChain.DeepSeek")
    assert p is not None and p.producer == "deepseek"
    assert catalog.match_package("npm", "dashscope") is not None
    assert catalog.match_package("npm", "langchain-deepseek") is None


def test_umbrella_sdk_counts_only_with_module(catalog: Catalog) -> None:
    p = catalog.match_package("pypi", "tencentcloud-sdk-python")
    assert p is not None and p.required_modules == ("hunyuan", "asr", "tts", "lkeap")
    assert not catalog.package_counts(p, ["tencentcloud.cvm.v20170312", "tencentcloud.common"])
    assert catalog.package_counts(p, ["tencentcloud.hunyuan.v20230901"])
    assert catalog.package_counts(p, ["tencentcloud.asr.v20190614"])
    assert catalog.package_counts(p, ["tencentcloud.tts.v20190823"])
    # one name (the older form) is still accepted
    volc = catalog.match_package("pypi", "volcengine")
    assert volc is not None and volc.requires_module == "maas" and volc.required_modules == ("maas",)
    # Go and Maven umbrellas
    go = catalog.match_package("go", "github.com/volcengine/volcengine-go-sdk")
    assert go is not None and catalog.package_counts(
        go, ["github.com/volcengine/volcengine-go-sdk/service/arkruntime"]
    )
    assert not catalog.package_counts(go, ["github.com/volcengine/volcengine-go-sdk/service/vpc"])
    jv = catalog.match_package("maven", "com.tencentcloudapi:tencentcloud-sdk-java")
    assert jv is not None and not catalog.package_counts(jv, ["com.tencentcloudapi.cvm.v20170312"])
    dedicated = catalog.match_package("pypi", "tencentcloud-sdk-python-hunyuan")
    assert dedicated is not None and catalog.package_counts(dedicated, [])


@pytest.mark.parametrize(
    ("key", "producer"),
    [
        ("DEEPSEEK_API_KEY", "deepseek"),
        ("dashscope_api_key", "alibaba"),
        ("QIANFAN_SK", "baidu"),
        ("ARK_API_KEY", "bytedance"),
        ("HUNYUAN_SECRET_ID", "tencent"),
        ("SENSENOVA_API_KEY", "sensetime"),
        ("OPENAI_API_KEY", "openai"),
        ("AZURE_OPENAI_API_KEY", "microsoft"),
        ("OPENROUTER_API_KEY", "openrouter"),
    ],
)
def test_match_env_key(catalog: Catalog, key: str, producer: str) -> None:
    e = catalog.match_env_key(key)
    assert e is not None and e.producer == producer


def test_match_class(catalog: Catalog) -> None:
    c = catalog.match_class("ChatDeepSeek")
    assert c is not None and c.producer == "deepseek" and c.use_mode == "hosted-api"
    c = catalog.match_class("FastEmbedEmbeddings")
    assert c is not None and c.use_mode == "self-hosted" and c.producer == "baai"
    c = catalog.match_class("ChatIflytekXinghuo")
    assert c is not None and c.producer == "iflytek" and c.language == "javascript"
    assert catalog.match_class("chatdeepseek") is None  # class names are case-sensitive


def test_search(catalog: Catalog) -> None:
    hits = catalog.search("bigmodel")
    assert ("endpoints", catalog.match_host("open.bigmodel.cn")) in hits
    sections = {s for s, _ in catalog.search("deepseek")}
    assert {
        "producers",
        "endpoints",
        "packages",
        "classes",
        "router_prefixes",
        "env_keys",
        "models",
    } <= sections
    assert catalog.search("no-such-thing-xyz") == []


def test_host_literals_for_prefilters(catalog: Catalog) -> None:
    lits = catalog.host_literals()
    assert "api.deepseek.com" in lits
    assert "bedrock-runtime" in lits
    assert "aiplatform.googleapis.com" in lits
    assert "maas.aliyuncs.com" in lits
    assert not any("*" in x for x in lits)
