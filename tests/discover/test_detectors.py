"""(input, expected) tables per detector: positives and negatives, over the fixed test catalog."""

from __future__ import annotations

import json

import pytest

from tierguard.catalog import Catalog

from .conftest import prc_integrations, scan

# (path, content, [(detector, kind, value, strength, producer, use_mode or None)])
POSITIVES: list[tuple[str, str, list[tuple[str, str, str, str, str, str | None]]]] = [
    # --- python
    (
        "a.py",
        "import dashscope\ndashscope.api_key = key\n",
        [("python", "sdk-import", "dashscope", "A", "alibaba", "hosted-api")],
    ),
    (
        "a.py",
        "from zai import ZhipuAiClient\nclient = ZhipuAiClient()\n",
        [("python", "sdk-import", "zai", "A", "zhipu", None)],
    ),
    (
        "a.py",
        "import os, zhipuai\nc = zhipuai.ZhipuAI()\n",
        [("python", "sdk-import", "zhipuai", "A", "zhipu", None)],
    ),
    (
        "a.py",
        'from openai import OpenAI\nc = OpenAI(base_url="https://api.deepseek.com/v1")\n',
        [
            ("python", "sdk-import", "openai", "A", "openai", None),
            ("python", "endpoint", "api.deepseek.com", "A", "deepseek", "hosted-api"),
        ],
    ),
    (
        "a.py",
        'import anthropic\nc = anthropic.Anthropic(base_url="https://api.deepseek.com/anthropic")\n',
        [("python", "endpoint", "api.deepseek.com", "A", "deepseek", "hosted-api")],
    ),
    (
        "a.py",
        'key = os.environ["DASHSCOPE_API_KEY"]\n',
        [("python", "env-key", "DASHSCOPE_API_KEY", "A", "alibaba", None)],
    ),
    (
        "a.py",
        'm = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-7B-Instruct")\n',
        [("python", "model-ref", "Qwen/Qwen2.5-7B-Instruct", "B", "alibaba", "self-hosted")],
    ),
    (
        "a.py",
        'llm = ChatOpenAI(model="deepseek-chat", base_url="https://api.deepseek.com")\n',
        [("python", "model-ref", "deepseek-chat", "B", "deepseek", "hosted-api")],
    ),
    ("a.py", "chat = ChatTongyi()\n", [("python", "framework-class", "ChatTongyi", "A", "alibaba", None)]),
    (
        "a.py",
        'r = brt.converse(modelId="us.deepseek.r1-v1:0")\n',
        [("python", "model-ref", "us.deepseek.r1-v1:0", "B", "deepseek", "hosted-api")],
    ),
    (
        "a.py",
        'completion(model="deepseek/deepseek-chat")\n',
        [("python", "model-ref", "deepseek/deepseek-chat", "B", "deepseek", "hosted-api")],
    ),
    (
        "a.py",
        'c = ZhipuAI()\nc.create(model="glm-4-plus")\n',
        [("python", "model-ref", "glm-4-plus", "B", "zhipu", None)],
    ),
    # --- javascript / typescript
    (
        "a.ts",
        'import { createDeepSeek } from "@ai-sdk/deepseek";\n',
        [("javascript", "sdk-import", "@ai-sdk/deepseek", "A", "deepseek", None)],
    ),
    (
        "a.js",
        'const d = require("dashscope");\n',
        [("javascript", "sdk-import", "dashscope", "A", "alibaba", None)],
    ),
    (
        "a.ts",
        'new OpenAI({ baseURL: "https://dashscope.aliyuncs.com/compatible-mode/v1" })\n',
        [("javascript", "endpoint", "dashscope.aliyuncs.com", "A", "alibaba", "hosted-api")],
    ),
    (
        "a.ts",
        'create({ model: "qwen-max" })\n',
        [("javascript", "model-ref", "qwen-max", "B", "alibaba", None)],
    ),
    (
        "a.js",
        "const k = process.env.MOONSHOT_API_KEY;\n",
        [("javascript", "env-key", "MOONSHOT_API_KEY", "A", "moonshot", None)],
    ),
    # --- go
    (
        "main.go",
        'import (\n\t"fmt"\n\tdeepseek "github.com/cohesion-org/deepseek-go"\n)\n',
        [("go", "sdk-import", "github.com/cohesion-org/deepseek-go", "A", "deepseek", None)],
    ),
    (
        "main.go",
        'cfg.BaseURL = "https://api.moonshot.cn/v1"\n',
        [("go", "endpoint", "api.moonshot.cn", "A", "moonshot", None)],
    ),
    (
        "main.go",
        'req := Req{Model: "moonshot-v1-8k"}\n',
        [("go", "model-ref", "moonshot-v1-8k", "B", "moonshot", None)],
    ),
    # --- java
    (
        "A.java",
        "import com.alibaba.dashscope.aigc.generation.Generation;\n",
        [("java", "sdk-import", "com.alibaba.dashscope.aigc.generation.Generation", "A", "alibaba", None)],
    ),
    ("A.java", 'p.model("qwen-plus").build();\n', [("java", "model-ref", "qwen-plus", "B", "alibaba", None)]),
    # --- shell
    (
        "s.sh",
        "ollama pull qwen2.5:7b\n",
        [("shell", "model-ref", "qwen2.5:7b", "B", "alibaba", "self-hosted")],
    ),
    (
        "s.sh",
        "ollama run deepseek-r1:8b\n",
        [("shell", "model-ref", "deepseek-r1:8b", "B", "deepseek", "self-hosted")],
    ),
    (
        "s.sh",
        "vllm serve deepseek-ai/DeepSeek-R1 --tp 8\n",
        [("shell", "model-ref", "deepseek-ai/DeepSeek-R1", "B", "deepseek", "self-hosted")],
    ),
    (
        "s.sh",
        "huggingface-cli download BAAI/bge-m3\n",
        [("shell", "model-ref", "BAAI/bge-m3", "B", "baai", "self-hosted")],
    ),
    (
        "s.sh",
        "pip install -U zhipuai==2.1\n",
        [("shell", "package-dependency", "zhipuai", "A", "zhipu", None)],
    ),
    (
        "s.sh",
        "curl https://api.deepseek.com/chat/completions\n",
        [("shell", "endpoint", "api.deepseek.com", "A", "deepseek", None)],
    ),
    # --- Dockerfile
    (
        "Dockerfile",
        "FROM python:3.12\nRUN pip install dashscope\n",
        [("dockerfile", "package-dependency", "dashscope", "A", "alibaba", None)],
    ),
    (
        "Dockerfile",
        "ENV DEEPSEEK_API_KEY=changeme\n",
        [("dockerfile", "env-key", "DEEPSEEK_API_KEY", "A", "deepseek", None)],
    ),
    (
        "Dockerfile",
        'FROM vllm/vllm-openai\nCMD ["--model", "deepseek-reasoner"]\n',
        [("dockerfile", "model-ref", "deepseek-reasoner", "B", "deepseek", "self-hosted")],
    ),
    # --- compose / k8s / helm
    (
        "docker-compose.yml",
        "services:\n  a:\n    environment:\n      DASHSCOPE_API_KEY: x\n",
        [("yaml-config", "env-key", "DASHSCOPE_API_KEY", "A", "alibaba", None)],
    ),
    (
        "k8s.yaml",
        "env:\n  - name: CHAT_MODEL\n    value: qwen-plus\n",
        [("yaml-config", "model-ref", "qwen-plus", "B", "alibaba", None)],
    ),
    (
        "values.yaml",
        'baseUrl: "https://open.bigmodel.cn/api/paas/v4"\n',
        [("yaml-config", "endpoint", "open.bigmodel.cn", "A", "zhipu", "hosted-api")],
    ),
    # --- json / toml / .env
    (
        "cfg.json",
        '{"model": "deepseek-chat"}\n',
        [("json-config", "model-ref", "deepseek-chat", "B", "deepseek", None)],
    ),
    (
        "cfg.toml",
        'model = "qwen2.5-72b-instruct"\n',
        [("toml-config", "model-ref", "qwen2.5-72b-instruct", "B", "alibaba", None)],
    ),
    (".env", "MOONSHOT_API_KEY=sk-x\n", [("dotenv", "env-key", "MOONSHOT_API_KEY", "A", "moonshot", None)]),
    (
        ".env.example",
        "ROUTER_MODEL=kimi-k2-instruct\n",
        [("dotenv", "model-ref", "kimi-k2-instruct", "B", "moonshot", None)],
    ),
    # --- Modelfile
    (
        "Modelfile",
        "FROM qwen2.5:14b\n",
        [("modelfile", "model-ref", "qwen2.5:14b", "B", "alibaba", "self-hosted")],
    ),
    (
        "Modelfile",
        "FROM ./DeepSeek-R1-Distill-Llama-8B-Q4_K_M.gguf\n",
        [
            (
                "modelfile",
                "model-ref",
                "./DeepSeek-R1-Distill-Llama-8B-Q4_K_M.gguf",
                "B",
                "deepseek",
                "self-hosted",
            )
        ],
    ),
    # --- manifests
    (
        "requirements.txt",
        "dashscope>=1.2\n# zhipuai\n",
        [("manifest", "package-dependency", "dashscope", "A", "alibaba", None)],
    ),
    (
        "requirements-dev.txt",
        "zai_sdk==0.1\n",
        [("manifest", "package-dependency", "zai-sdk", "A", "zhipu", None)],
    ),
    (
        "pyproject.toml",
        '[project]\nname="x"\ndependencies=["langchain-deepseek>=0.1"]\n',
        [("manifest", "package-dependency", "langchain-deepseek", "A", "deepseek", None)],
    ),
    (
        "pyproject.toml",
        '[tool.poetry.dependencies]\npython="^3.11"\ndashscope="^1"\n',
        [("manifest", "package-dependency", "dashscope", "A", "alibaba", None)],
    ),
    (
        "poetry.lock",
        '[[package]]\nname = "zhipuai"\nversion = "2"\n',
        [("manifest", "package-dependency", "zhipuai", "A", "zhipu", None)],
    ),
    (
        "uv.lock",
        'version = 1\n[[package]]\nname = "dashscope"\n',
        [("manifest", "package-dependency", "dashscope", "A", "alibaba", None)],
    ),
    (
        "Pipfile.lock",
        '{"default": {"dashscope": {"version": "==1"}}}',
        [("manifest", "package-dependency", "dashscope", "A", "alibaba", None)],
    ),
    (
        "package.json",
        '{"dependencies": {"@ai-sdk/deepseek": "^0.1"}}',
        [("manifest", "package-dependency", "@ai-sdk/deepseek", "A", "deepseek", None)],
    ),
    (
        "package-lock.json",
        '{"packages": {"node_modules/dashscope": {"version": "1"}}}',
        [("manifest", "package-dependency", "dashscope", "A", "alibaba", None)],
    ),
    (
        "pnpm-lock.yaml",
        "packages:\n  '@ai-sdk/deepseek@0.1.6':\n    resolution: {}\n",
        [("manifest", "package-dependency", "@ai-sdk/deepseek", "A", "deepseek", None)],
    ),
    (
        "go.mod",
        "module x\nrequire github.com/cohesion-org/deepseek-go v1.2.3\n",
        [("manifest", "package-dependency", "github.com/cohesion-org/deepseek-go", "A", "deepseek", None)],
    ),
    # --- docs and cassettes: mentions only
    (
        "README.md",
        "Set DEEPSEEK_API_KEY to use https://api.deepseek.com\n",
        [
            ("docs", "mention", "api.deepseek.com", "C", "deepseek", None),
            ("docs", "mention", "DEEPSEEK_API_KEY", "C", "deepseek", None),
        ],
    ),
    (
        "tests/cassettes/chat.yaml",
        "interactions:\n- request:\n    uri: https://api.deepseek.com/v1/chat\n",
        [("yaml-config", "mention", "api.deepseek.com", "C", "deepseek", None)],
    ),
]


@pytest.mark.parametrize(
    ("path", "content", "expected"), POSITIVES, ids=[f"{p}:{c[:30]}" for p, c, _ in POSITIVES]
)
def test_positive(tcat: Catalog, path: str, content: str, expected: list[tuple[str, ...]]) -> None:
    out = scan({path: content}, tcat)
    got = {(e.detector, e.kind, e.value, e.strength, e.refs.get("producer", "")): e for e in out.evidence}
    for det, kind, value, strength, producer, use_mode in expected:
        ev = got.get((det, kind, value, strength, producer))
        assert ev is not None, f"missing {(det, kind, value, strength, producer)} in {list(got)}"
        assert ev.location.path == path and ev.location.line is not None and ev.location.line >= 1
        assert ev.excerpt and len(ev.excerpt) <= 200
        if use_mode is not None:
            assert ev.attributes["use_mode"] == use_mode


NEGATIVES: list[tuple[str, str]] = [
    ("a.py", "import requests\nrequests.get('https://example.com/deepseek')\n"),
    ("a.py", "# talk about deepseek in a comment only\nx = 1\n"),
    ("a.py", 'url = "https://api.deepseek.com.evil.example/v1"\n'),
    ("a.py", "model = sm.GLM(y, X)\n"),
    ("a.py", 'step = 0.5\nark = "noah"\nernie = "sesame street"\n'),
    ("a.py", "yi = compute()\nmodel.step()\n"),
    ("a.ts", 'import glm from "glm";\n'),
    ("a.js", 'const spark = require("spark");\n'),
    ("requirements.txt", "minimax==0.1\nPyGLM\npyspark\nsparkai\nark-sdk\n"),
    ("package.json", '{"dependencies": {"glm": "^0.0.1"}}'),
    ("s.sh", "spark-submit --class Main app.jar\nyi=1\n"),
    ("Dockerfile", "FROM apache/spark:3.5.0\nENV SPARK_HOME=/opt/spark\n"),
    ("cfg.json", '{"name": "moonshot", "step": 1}'),
    ("Modelfile", "PARAMETER temperature 1\n"),
    (".env", "SPARK_MASTER=local\nMODEL=glm\n"),
]


@pytest.mark.parametrize(("path", "content"), NEGATIVES, ids=[f"{p}:{c[:30]}" for p, c in NEGATIVES])
def test_negative(tcat: Catalog, path: str, content: str) -> None:
    out = scan({path: content}, tcat)
    assert prc_integrations(out) == []


def test_notebook_cells_and_shell_escapes(tcat: Catalog) -> None:
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": "# uses deepseek-chat\n"},
            {
                "cell_type": "code",
                "source": ["x = 1\n", "!pip install dashscope\n", "!ollama pull qwen2.5:7b\n"],
            },
            {"cell_type": "code", "source": ["import zhipuai\n", "client = zhipuai.ZhipuAI()\n"]},
        ]
    }
    out = scan({"eval.ipynb": json.dumps(nb)}, tcat)
    got = {(e.kind, e.value, e.strength, e.attributes.get("cell"), e.location.line) for e in out.evidence}
    assert ("package-dependency", "dashscope", "A", "1", 2) in got
    assert ("model-ref", "qwen2.5:7b", "B", "1", 3) in got
    assert ("sdk-import", "zhipuai", "A", "2", 1) in got
    assert ("mention", "deepseek-chat", "C", "0", 1) in got
    assert all(e.strength == "C" for e in out.evidence if e.attributes.get("cell") == "0")


@pytest.mark.parametrize(
    ("path", "content"),
    [
        ("nb.ipynb", "{ not json dashscope"),
        ("nb.ipynb", '{"cells": 3, "x": "dashscope"}'),
        ("package.json", '{"dependencies": {"dashscope": '),
        ("Pipfile.lock", '{"default": dashscope'),
        ("pyproject.toml", '[project\ndependencies = ["dashscope"'),
        ("poetry.lock", '[[package]\nname = "dashscope'),
        ("uv.lock", 'name = = "dashscope"'),
    ],
)
def test_malformed_structured_files_are_skipped(tcat: Catalog, path: str, content: str) -> None:
    out = scan({path: content, "ok.py": "import dashscope\n"}, tcat)
    assert [(s.path, s.reason) for s in out.skipped] == [(path, "malformed")]
    assert [(e.location.path, e.value) for e in out.evidence] == [("ok.py", "dashscope")]


def test_umbrella_sdk_needs_its_module(tcat: Catalog) -> None:
    out = scan({"a.py": "from tencentcloud.cvm.v20170312 import cvm_client\n"}, tcat)
    assert out.evidence == []
    src = "from tencentcloud.hunyuan.v20230901 import hunyuan_client\nhunyuan_client.X()\n"
    out = scan({"b.py": src}, tcat)
    assert [(e.kind, e.value) for e in out.evidence] == [("sdk-import", "tencentcloud.hunyuan.v20230901")]


def test_endpoint_pairs_with_model_ref(tcat: Catalog) -> None:
    src = 'c = OpenAI(base_url="https://api.deepseek.com")\nc.create(model="deepseek-chat")\n'
    out = scan({"a.py": src}, tcat)
    (mr,) = [e for e in out.evidence if e.kind == "model-ref"]
    assert mr.attributes["endpoint"] == "api.deepseek.com"
    assert mr.attributes["use_mode"] == "hosted-api"


def test_anthropic_compatible_path_prefix(tcat: Catalog) -> None:
    out = scan({"values.yaml": "ANTHROPIC_BASE_URL: https://api.deepseek.com/anthropic\n"}, tcat)
    (ep,) = [e for e in out.evidence if e.kind == "endpoint"]
    assert ep.refs == {"endpoint": "api.deepseek.com", "producer": "deepseek", "path_prefix": "/anthropic"}


def test_bedrock_deepseek_is_prc_model_on_us_host(tcat: Catalog) -> None:
    out = scan({"a.py": 'client.invoke_model(modelId="deepseek.r1-v1:0")\n'}, tcat)
    (mr,) = out.evidence
    assert mr.refs["router"] == "bedrock:deepseek." and mr.refs["producer"] == "deepseek"
    assert mr.attributes["use_mode"] == "hosted-api" and mr.attributes["operator"] == "amazon"
