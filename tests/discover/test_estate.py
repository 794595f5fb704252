"""End to end over examples/estate: specific evidence per file type; gitignored files and traps absent."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tierguard.catalog import Catalog, load_catalog
from tierguard.discover.engine import run_detectors
from tierguard.discover.interface import DiscoverOutput
from tierguard.discover.registry import DETECTORS
from tierguard.targets.open import open_target

from .conftest import PRC

ESTATE = Path(__file__).resolve().parents[2] / "examples" / "estate"

# (file, detector, kind, value, strength, producer)
EXPECTED = [
    ("services/assistant/app.py", "python", "endpoint", "api.deepseek.com", "A", "deepseek"),
    ("services/assistant/app.py", "python", "model-ref", "deepseek-chat", "B", "deepseek"),
    ("services/assistant/app.py", "python", "model-ref", "gpt-4o-mini", "B", "openai"),
    ("services/assistant/app.py", "python", "env-key", "DEEPSEEK_API_KEY", "A", "deepseek"),
    ("services/assistant/translate.py", "python", "sdk-import", "dashscope", "A", "alibaba"),
    ("services/assistant/translate.py", "python", "framework-class", "ChatTongyi", "A", "alibaba"),
    ("services/assistant/zhipu_tools.py", "python", "sdk-import", "zai", "A", "zhipu"),
    ("services/assistant/embeddings.py", "python", "model-ref", "BAAI/bge-m3", "B", "baai"),
    (
        "services/assistant/embeddings.py",
        "python",
        "framework-class",
        "HuggingFaceBgeEmbeddings",
        "A",
        "baai",
    ),
    ("services/assistant/bedrock.py", "python", "model-ref", "us.deepseek.r1-v1:0", "B", "deepseek"),
    ("services/assistant/escalation.py", "python", "endpoint", "api.anthropic.com", "A", "anthropic"),
    ("services/assistant/requirements.txt", "manifest", "package-dependency", "zai-sdk", "A", "zhipu"),
    (
        "services/assistant/pyproject.toml",
        "manifest",
        "package-dependency",
        "langchain-deepseek",
        "A",
        "deepseek",
    ),
    ("services/assistant/Dockerfile", "dockerfile", "package-dependency", "dashscope", "A", "alibaba"),
    ("services/assistant/Dockerfile", "dockerfile", "endpoint", "api.deepseek.com", "A", "deepseek"),
    ("services/analytics/poetry.lock", "manifest", "package-dependency", "openai", "A", "openai"),
    ("services/web/package.json", "manifest", "package-dependency", "@ai-sdk/deepseek", "A", "deepseek"),
    ("services/web/package-lock.json", "manifest", "package-dependency", "@ai-sdk/deepseek", "A", "deepseek"),
    ("services/web/src/chat.ts", "javascript", "endpoint", "api.deepseek.com", "A", "deepseek"),
    ("services/web/src/chat.ts", "javascript", "model-ref", "deepseek-reasoner", "B", "deepseek"),
    (
        "services/gateway/go.mod",
        "manifest",
        "package-dependency",
        "github.com/cohesion-org/deepseek-go",
        "A",
        "deepseek",
    ),
    ("services/gateway/main.go", "go", "endpoint", "api.moonshot.cn", "A", "moonshot"),
    ("services/gateway/main.go", "go", "env-key", "MOONSHOT_API_KEY", "A", "moonshot"),
    ("services/gateway/main.go", "go", "model-ref", "moonshot-v1-8k", "B", "moonshot"),
    (
        "services/billing/src/main/java/com/northwind/billing/InvoiceSummarizer.java",
        "java",
        "sdk-import",
        "com.alibaba.dashscope.aigc.generation.Generation",
        "A",
        "alibaba",
    ),
    (
        "services/billing/pom.xml",
        "jvm-manifest",
        "package-dependency",
        "com.alibaba:dashscope-sdk-java",
        "A",
        "alibaba",
    ),
    ("services/admin/pnpm-lock.yaml", "manifest", "package-dependency", "dashscope", "A", "alibaba"),
    ("deploy/docker-compose.yml", "yaml-config", "model-ref", "qwen2.5:7b", "B", "alibaba"),
    ("deploy/docker-compose.yml", "yaml-config", "model-ref", "llama3.1:8b", "B", "meta"),
    ("deploy/ollama/Dockerfile", "dockerfile", "model-ref", "deepseek-r1:14b", "B", "deepseek"),
    ("deploy/ollama/Modelfile", "modelfile", "model-ref", "qwen2.5:7b", "B", "alibaba"),
    (
        "deploy/k8s/reasoner-deployment.yaml",
        "yaml-config",
        "model-ref",
        "deepseek-ai/DeepSeek-R1-Distill-Llama-70B",
        "B",
        "deepseek",
    ),
    ("deploy/helm/assistant/values.yaml", "yaml-config", "endpoint", "api.deepseek.com", "A", "deepseek"),
    ("deploy/terraform/bedrock.tf", "terraform", "model-ref", "us.deepseek.r1-v1:0", "B", "deepseek"),
    ("deploy/azure/foundry.bicep", "bicep", "model-ref", "DeepSeek-R1", "B", "deepseek"),
    (".mcp.json", "json-config", "env-key", "DEEPSEEK_API_KEY", "A", "deepseek"),
    (".mcp.json", "json-config", "endpoint", "api.deepseek.com", "A", "deepseek"),
    ("deploy/config/models.json", "json-config", "endpoint", "dashscope-intl.aliyuncs.com", "A", "alibaba"),
    ("deploy/config/router.toml", "toml-config", "model-ref", "deepseek/deepseek-reasoner", "B", "deepseek"),
    (".env.example", "dotenv", "env-key", "MOONSHOT_API_KEY", "A", "moonshot"),
    ("scripts/setup_models.sh", "shell", "endpoint", "open.bigmodel.cn", "A", "zhipu"),
    ("scripts/setup_models.sh", "shell", "package-dependency", "zhipuai", "A", "zhipu"),
    ("scripts/setup_models.sh", "shell", "model-ref", "BAAI/bge-reranker-v2-m3", "B", "baai"),
    (
        "notebooks/distill_eval.ipynb",
        "notebook",
        "model-ref",
        "deepseek-ai/DeepSeek-R1-Distill-Llama-8B",
        "B",
        "deepseek",
    ),
    ("notebooks/distill_eval.ipynb", "notebook", "model-ref", "deepseek-r1:8b", "B", "deepseek"),
    ("tools/Pipfile.lock", "manifest", "package-dependency", "anthropic", "A", "anthropic"),
    ("tools/uv.lock", "manifest", "package-dependency", "zhipuai", "A", "zhipu"),
    ("docs/ai-providers.md", "docs", "mention", "api.deepseek.com", "C", "deepseek"),
    ("services/web/src/providers.ts", "javascript", "mention", "deepseek-chat", "C", "deepseek"),
    ("tests/cassettes/test_summarize.yaml", "yaml-config", "mention", "api.deepseek.com", "C", "deepseek"),
]


@pytest.fixture(scope="module")
def estate(tcat: Catalog) -> DiscoverOutput:
    return run_detectors(open_target(ESTATE), DETECTORS, tcat)


def _key(e: object) -> tuple[str, ...]:
    return (e.location.path, e.detector, e.kind, e.value, e.strength, e.refs.get("producer", ""))  # type: ignore[attr-defined]


@pytest.mark.parametrize("expected", EXPECTED, ids=[f"{x[0]}:{x[3]}" for x in EXPECTED])
def test_expected_evidence(estate: DiscoverOutput, expected: tuple[str, ...]) -> None:
    assert expected in {_key(e) for e in estate.evidence}


def test_use_modes(estate: DiscoverOutput) -> None:
    modes = {(e.location.path, e.value): e.attributes.get("use_mode") for e in estate.evidence}
    assert modes[("deploy/ollama/Modelfile", "qwen2.5:7b")] == "self-hosted"
    assert (
        modes[("deploy/k8s/reasoner-deployment.yaml", "deepseek-ai/DeepSeek-R1-Distill-Llama-70B")]
        == "self-hosted"
    )
    assert modes[("services/assistant/bedrock.py", "us.deepseek.r1-v1:0")] == "hosted-api"
    assert modes[("services/assistant/app.py", "deepseek-chat")] == "hosted-api"


def test_gitignored_files_are_absent_by_default(tcat: Catalog, tmp_path: Path) -> None:
    # A copy outside any git working tree: the estate's .gitignore decides. (Inside this repository git
    # tracks these two files, and tracked files are always scanned: tests/targets/test_git.py.)
    copy = tmp_path / "estate"
    shutil.copytree(ESTATE, copy)
    estate = run_detectors(open_target(copy), DETECTORS, tcat)
    paths = {e.location.path for e in estate.evidence}
    assert not any(p.startswith("scratch/") or p.endswith(".local.env") for p in paths)
    assert {(s.path, s.reason) for s in estate.skipped} >= {
        ("scratch/", "gitignored"),
        ("deploy/prod.local.env", "gitignored"),
    }
    everything = run_detectors(open_target(copy, include_ignored=True), DETECTORS, tcat)
    extra = {_key(e) for e in everything.evidence} - {_key(e) for e in estate.evidence}
    assert ("scratch/try_moonshot.py", "python", "endpoint", "api.moonshot.cn", "A", "moonshot") in extra


def test_traps_are_absent(estate: DiscoverOutput) -> None:
    for e in estate.evidence:
        assert not e.location.path.startswith("services/analytics/") or e.refs.get("producer") not in PRC, e
        if e.location.path.startswith(("docs/", "tests/cassettes/", "services/web/src/providers.ts")):
            assert (e.kind, e.strength) == ("mention", "C"), e
    values = {e.value.lower() for e in estate.evidence}
    assert not values & {"minimax", "glm", "pyspark", "spark", "pyglm"}


def test_every_supported_file_type_has_a_positive(estate: DiscoverOutput) -> None:
    detectors = {e.detector for e in estate.evidence if e.strength in ("A", "B")}
    assert detectors == {d.name for d in DETECTORS} - {"docs"}


def test_packaged_catalog_finds_the_deepseek_integration() -> None:
    out = run_detectors(open_target(ESTATE), DETECTORS, load_catalog())
    keys = {_key(e)[:5] for e in out.evidence}
    assert ("services/assistant/app.py", "python", "endpoint", "api.deepseek.com", "A") in keys
    assert ("services/assistant/app.py", "python", "env-key", "DEEPSEEK_API_KEY", "A") in keys
