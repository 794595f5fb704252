"""Canonical identity: every reference to one model is one asset with usages; services are operator products.

Trap shapes are the demo estate's fragments before this change: `deepseek-chat (hosted-api)` beside
`deepseek-chat (unknown)`, `BAAI/bge-m3` twice, `api.deepseek.com` + `api.deepseek.com/anthropic` + `DeepSeek
API` as three services, `us.deepseek.r1-v1` beside `us.deepseek.r1-v1:0`, `deepseek-r1-distill-llama-70b`
beside `deepseek-ai/DeepSeek-R1-Distill-Llama-70B`.
"""

from __future__ import annotations

import pytest

from tierguard.catalog import Catalog
from tierguard.identify.code import identify_evidence
from tierguard.model import Asset, Evidence, Location


def ev(
    kind: str, value: str, strength: str = "B", path: str = "app.py", line: int = 1, **attrs: str
) -> Evidence:
    refs = {k[4:]: v for k, v in attrs.items() if k.startswith("ref_")}
    attributes = {k: v for k, v in attrs.items() if not k.startswith("ref_")}
    return Evidence(
        detector="test",
        kind=kind,
        value=value,
        strength=strength,  # type: ignore[arg-type]
        location=Location(path=path, line=line),
        refs=refs,
        attributes=attributes,
    )


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("deepseek-chat", "deepseek-ai/DeepSeek-V3"),
        ("deepseek-reasoner", "deepseek-ai/DeepSeek-R1"),
        ("DeepSeek-R1", "deepseek-ai/DeepSeek-R1"),
        ("deepseek/deepseek-reasoner", "deepseek-ai/DeepSeek-R1"),  # LiteLLM prefix
        ("openrouter/deepseek/deepseek-chat:free", "deepseek-ai/DeepSeek-V3"),  # OpenRouter tier tag
        ("us.deepseek.r1-v1:0", "deepseek-ai/DeepSeek-R1"),  # Bedrock cross-region id with version
        ("us.deepseek.r1-v1", "deepseek-ai/DeepSeek-R1"),
        ("deepseek-r1:8b", "deepseek-ai/DeepSeek-R1-0528-Qwen3-8B"),  # Ollama tag = a distill
        ("deepseek-r1:70b", "deepseek-ai/DeepSeek-R1-Distill-Llama-70B"),
        ("deepseek-r1:14b", "deepseek-ai/DeepSeek-R1-Distill-Qwen-14B"),
        ("deepseek-r1:latest", "deepseek-ai/DeepSeek-R1-0528-Qwen3-8B"),
        ("deepseek-r1-distill-llama-70b", "deepseek-ai/DeepSeek-R1-Distill-Llama-70B"),  # Groq-style API id
        (
            "DEEPSEEK-AI/deepseek-r1-distill-llama-70b",
            "deepseek-ai/DeepSeek-R1-Distill-Llama-70B",
        ),  # any casing
        ("qwen2.5:7b", "Qwen/Qwen2.5-7B-Instruct"),
        ("BAAI/bge-m3", "BAAI/bge-m3"),
        ("bge-m3", "BAAI/bge-m3"),
        # not canonicalised: several models share the family, or the tag is unknown
        ("qwen-max", "qwen-max"),
        ("qwen-plus", "qwen-plus"),
        ("deepseek-r1:999b", "deepseek-r1:999b"),  # an unknown Ollama tag is never the family default
        ("qwen2.5", "qwen2.5"),
        ("GPT-4o", "gpt-4o"),
    ],
)
def test_canonical_names(catalog: Catalog, written: str, canonical: str) -> None:
    assert catalog.canonical_model(written, catalog.match_model(written)) == canonical


def _one(assets: list[Asset], kind: str) -> Asset:
    found = [a for a in assets if a.kind == kind]
    assert len(found) == 1, [(a.kind, a.name) for a in assets]
    return found[0]


def test_every_reference_to_one_model_is_one_asset_with_usages(catalog: Catalog) -> None:
    assets = identify_evidence(
        [
            ev(
                "model-ref",
                "deepseek-reasoner",
                path="web/chat.ts",
                line=14,
                use_mode="hosted-api",
                endpoint="api.deepseek.com",
            ),
            ev(
                "model-ref",
                "us.deepseek.r1-v1:0",
                path="infra/bedrock.tf",
                line=10,
                ref_router="bedrock:us.deepseek.",
            ),
            ev(
                "model-ref",
                "deepseek/deepseek-reasoner",
                path="router.toml",
                line=5,
                ref_router="litellm:deepseek/",
            ),
            ev("mention", "DeepSeek-R1", "C", path="README.md", line=3),
        ],
        catalog,
    )
    models = [a for a in assets if a.kind == "ai-model"]
    assert [m.name for m in models] == ["deepseek-ai/DeepSeek-R1"]
    r1 = models[0]
    assert set(r1.aliases) == {
        "deepseek-reasoner",
        "us.deepseek.r1-v1:0",
        "deepseek/deepseek-reasoner",
        "DeepSeek-R1",
    }
    by_path = {u.location.path: u for u in r1.usages}
    assert (by_path["web/chat.ts"].use_mode, by_path["web/chat.ts"].service) == ("hosted-api", "DeepSeek API")
    assert by_path["web/chat.ts"].service_jurisdiction == "CN"
    assert (by_path["infra/bedrock.tf"].service, by_path["infra/bedrock.tf"].service_jurisdiction) == (
        "Amazon Bedrock",
        "US",
    )
    assert by_path["router.toml"].service == "DeepSeek API"
    assert (by_path["README.md"].use_mode, by_path["README.md"].strength) == ("unknown", "C")
    assert r1.use_mode == "hosted-api"  # the summary: the strongest usage's mode
    assert r1.provenance.service_operator is None  # two operators: the usages carry them
    assert r1.details is not None and r1.details.canonical_id == "deepseek-ai/DeepSeek-R1"  # type: ignore[union-attr]
    # the same model id in two use modes is still one asset (was `deepseek-chat (hosted-api)` + `(unknown)`)
    v3 = identify_evidence(
        [
            ev("model-ref", "deepseek-chat", path="a.py", use_mode="hosted-api"),
            ev("model-ref", "deepseek-chat", path="b.py"),
        ],
        catalog,
    )
    assert [(a.name, len(a.usages)) for a in v3] == [("deepseek-ai/DeepSeek-V3", 2)]


def test_every_path_host_and_key_of_one_api_is_one_service(catalog: Catalog) -> None:
    assets = identify_evidence(
        [
            ev("endpoint", "api.deepseek.com", "A", path="a.py"),
            ev(
                "endpoint",
                "https://api.deepseek.com/anthropic",
                "A",
                path="b.py",
                ref_path_prefix="/anthropic",
            ),
            ev("env-key", "DEEPSEEK_API_KEY", "A", path=".env"),
        ],
        catalog,
    )
    svc = _one(assets, "ai-service")
    assert svc.name == "DeepSeek API"
    assert {"api.deepseek.com", "api.deepseek.com/anthropic", "DEEPSEEK_API_KEY"} <= set(svc.aliases)
    assert {u.location.path for u in svc.usages} == {"a.py", "b.py", ".env"}
    assert svc.provenance.service_operator is not None and svc.provenance.service_jurisdiction == "CN"


def test_unknown_names_group_by_normalised_name_never_fragments(catalog: Catalog) -> None:
    assets = identify_evidence(
        [
            ev("model-ref", "GPT-4o-mini", path="a.py", use_mode="hosted-api"),
            ev("model-ref", "gpt-4o-mini", path="b.py"),
            ev("model-ref", "BAAI/", path="c.py"),  # an organisation prefix alone: no asset
        ],
        catalog,
    )
    assert [(a.name, len(a.usages)) for a in assets if a.kind == "ai-model"] == [("gpt-4o-mini", 2)]


def test_a_service_whose_host_is_in_another_jurisdiction_is_its_own_service(catalog: Catalog) -> None:
    deepseek = next(e for e in catalog.endpoints if e.host == "api.deepseek.com" and not e.path_prefix)
    assert catalog.endpoint_service(deepseek) == "DeepSeek API"
    elsewhere = deepseek.model_copy(update={"jurisdiction": "SG"})  # a regional host under another law
    assert catalog.endpoint_service(elsewhere) == "DeepSeek API (SG)"


def test_a_package_declared_in_several_manifests_is_one_asset_with_its_locked_versions(
    catalog: Catalog,
) -> None:
    assets = identify_evidence(
        [
            ev("package-dependency", "zhipuai", "A", path="requirements.txt", ref_package="pypi:zhipuai"),
            ev(
                "package-dependency",
                "zhipuai",
                "A",
                path="uv.lock",
                ref_package="pypi:zhipuai",
                version="2.1.5",
            ),
            ev("sdk-import", "zhipuai", "A", path="app.py"),
        ],
        catalog,
    )
    (sdk,) = assets
    assert sdk.name == "pypi:zhipuai" and len(sdk.usages) == 3
    assert sdk.version == "2.1.5"
    assert sdk.aliases == ()  # an import name is a usage, not another name of the package
