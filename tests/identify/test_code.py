"""identify_evidence: evidence -> assets with provenance (producer, operator, jurisdictions, lineage)."""

from __future__ import annotations

from tierguard.catalog import Catalog
from tierguard.identify.code import identify_evidence
from tierguard.model import Asset, Evidence, Location


def ev(
    kind: str,
    value: str,
    strength: str = "A",
    path: str = "app.py",
    line: int = 1,
    refs: dict[str, str] | None = None,
    **attributes: str,
) -> Evidence:
    return Evidence(
        detector="test",
        kind=kind,
        value=value,
        strength=strength,  # type: ignore[arg-type]
        location=Location(path=path, line=line),
        refs=refs or {},
        attributes=attributes,
    )


def one(assets: list[Asset], kind: str, name: str) -> Asset:
    """The one asset of ``kind`` named ``name`` (its canonical name or a name it was written as)."""
    low = name.lower()
    found = [a for a in assets if a.kind == kind and low in {a.name.lower(), *(x.lower() for x in a.aliases)}]
    assert len(found) == 1, [(a.kind, a.name, a.aliases) for a in assets]
    return found[0]


def producers(a: Asset) -> set[tuple[str, str, str]]:
    return {(p.id, p.jurisdiction, p.role) for p in a.provenance.producers}


def test_openai_sdk_with_deepseek_base_url_is_classified_by_host(catalog: Catalog) -> None:
    assets = identify_evidence(
        [
            ev("sdk-import", "openai", refs={"package": "pypi:openai"}),
            ev(
                "endpoint",
                "api.deepseek.com",
                line=4,
                refs={"endpoint": "api.deepseek.com"},
                context="base_url",
            ),
            ev("model-ref", "deepseek-chat", "B", line=6, use_mode="hosted-api", endpoint="api.deepseek.com"),
        ],
        catalog,
    )
    svc = one(assets, "ai-service", "api.deepseek.com")
    assert svc.use_mode == "hosted-api"
    assert svc.provenance.service_operator is not None
    assert svc.provenance.service_operator.id == "deepseek"
    assert svc.provenance.service_jurisdiction == "CN"
    assert producers(svc) == {("deepseek", "CN", "producer")}
    # the SDK stays an OpenAI (US) dependency; the PRC classification comes from the host
    sdk = one(assets, "sdk-dependency", "pypi:openai")
    assert sdk.use_mode == "dependency"
    assert producers(sdk) == {("openai", "US", "producer")}
    model = one(assets, "ai-model", "deepseek-chat")
    assert producers(model) == {("deepseek", "CN", "producer")}
    assert model.provenance.service_jurisdiction == "CN"
    assert model.details.family == "deepseek-v3"
    assert svc.strength == "A"
    assert svc.provenance.methods[0].technique == "source-code-analysis"
    assert svc.provenance.methods[0].confidence == 0.9


def test_anthropic_compatible_path_prefix(catalog: Catalog) -> None:
    assets = identify_evidence(
        [ev("endpoint", "https://open.bigmodel.cn/api/anthropic", refs={"path_prefix": "/api/anthropic"})],
        catalog,
    )
    svc = one(assets, "ai-service", "open.bigmodel.cn/api/anthropic")
    assert svc.provenance.service_operator is not None
    assert svc.provenance.service_operator.id == "zhipu"
    assert svc.provenance.service_jurisdiction == "CN"


def test_bedrock_cross_region_deepseek_is_prc_model_on_us_service(catalog: Catalog) -> None:
    assets = identify_evidence(
        [ev("router-prefix", "us.deepseek.r1-v1:0", "B", refs={"router": "bedrock:us.deepseek."})], catalog
    )
    model = one(assets, "ai-model", "us.deepseek.r1-v1:0")
    assert model.use_mode == "hosted-api"
    assert producers(model) == {("deepseek", "CN", "producer")}
    assert model.provenance.service_operator is not None
    assert model.provenance.service_operator.id == "amazon"
    assert model.provenance.service_jurisdiction == "US"
    assert model.provenance.jurisdictions == frozenset({"CN", "US"})
    assert model.details.family == "deepseek-r1"
    svc = one(assets, "ai-service", "Amazon Bedrock")
    assert svc.provenance.service_jurisdiction == "US"
    assert producers(svc) == {("amazon", "US", "producer")}


def test_bedrock_model_ref_without_router_ref_still_routes(catalog: Catalog) -> None:
    assets = identify_evidence([ev("model-ref", "qwen.qwen3-32b-v1:0", "B")], catalog)
    model = one(assets, "ai-model", "qwen.qwen3-32b-v1:0")
    assert producers(model) == {("alibaba", "CN", "producer")}
    assert model.use_mode == "hosted-api"
    assert model.provenance.service_operator is not None
    assert model.provenance.service_operator.id == "amazon"


def test_r1_distill_llama_has_deepseek_trainer_and_meta_base(catalog: Catalog) -> None:
    assets = identify_evidence(
        [
            ev(
                "model-ref",
                "deepseek-ai/DeepSeek-R1-Distill-Llama-70B",
                "B",
                use_mode="self-hosted",
                context="from_pretrained",
            )
        ],
        catalog,
    )
    model = one(assets, "ai-model", "deepseek-ai/DeepSeek-R1-Distill-Llama-70B")
    assert model.use_mode == "self-hosted"
    assert producers(model) == {("deepseek", "CN", "trainer"), ("meta", "US", "base-producer")}
    (edge,) = model.provenance.lineage
    assert edge.relation == "distill"
    assert edge.base == "meta-llama/Llama-3.3-70B-Instruct"
    assert edge.base_producer is not None and edge.base_producer.id == "meta"
    assert model.provenance.service_operator is None
    assert model.provenance.jurisdictions == frozenset({"CN", "US"})


def test_r1_distill_qwen_and_ollama_tag_lineage(catalog: Catalog) -> None:
    assets = identify_evidence(
        [
            ev("model-ref", "deepseek-r1:32b", "B", path="Modelfile", use_mode="self-hosted"),
            ev("model-ref", "deepseek-r1:70b", "B", path="Modelfile", line=2, use_mode="self-hosted"),
        ],
        catalog,
    )
    qwen = one(assets, "ai-model", "deepseek-r1:32b")
    assert producers(qwen) == {("deepseek", "CN", "trainer"), ("alibaba", "CN", "base-producer")}
    llama = one(assets, "ai-model", "deepseek-r1:70b")
    assert ("meta", "US", "base-producer") in producers(llama)


def test_env_key_only_usage(catalog: Catalog) -> None:
    assets = identify_evidence([ev("env-key", "MOONSHOT_API_KEY", path=".env.example")], catalog)
    (svc,) = assets
    assert svc.kind == "ai-service"
    assert svc.name == "Moonshot (Kimi) API"
    assert svc.use_mode == "hosted-api"
    assert svc.provenance.service_operator is not None
    assert svc.provenance.service_operator.id == "moonshot"
    assert svc.provenance.service_jurisdiction == "CN"


def test_env_key_and_class_merge_into_one_service(catalog: Catalog) -> None:
    assets = identify_evidence(
        [
            ev("env-key", "DEEPSEEK_API_KEY", path=".env"),
            ev("framework-class", "ChatDeepSeek", path="chain.py", line=3),
        ],
        catalog,
    )
    (svc,) = assets
    assert svc.name == "DeepSeek API"
    assert [e.kind for e in svc.evidence] == ["env-key", "framework-class"]
    assert {m.value for m in svc.provenance.methods} == {
        "env-key:DEEPSEEK_API_KEY",
        "framework-class:ChatDeepSeek",
    }


def test_non_prc_providers_are_inventoried_with_us_jurisdiction(catalog: Catalog) -> None:
    assets = identify_evidence(
        [
            ev("sdk-import", "anthropic"),
            ev("package-dependency", "openai", path="requirements.txt", ecosystem="pypi"),
            ev("endpoint", "api.openai.com"),
            ev("env-key", "ANTHROPIC_API_KEY", path=".env"),
            ev("model-ref", "claude-sonnet-4-5", "B", use_mode="hosted-api"),
            ev("model-ref", "gpt-4o", "B", use_mode="hosted-api", endpoint="api.openai.com"),
        ],
        catalog,
    )
    assert producers(one(assets, "sdk-dependency", "pypi:anthropic")) == {("anthropic", "US", "producer")}
    dep = one(assets, "sdk-dependency", "pypi:openai")
    assert dep.provenance.methods[0].technique == "manifest-analysis"
    api = one(assets, "ai-service", "api.openai.com")
    assert api.provenance.service_jurisdiction == "US"
    assert one(assets, "ai-service", "Anthropic API").provenance.service_jurisdiction == "US"
    assert producers(one(assets, "ai-model", "claude-sonnet-4-5")) == {("anthropic", "US", "producer")}
    gpt = one(assets, "ai-model", "gpt-4o")
    assert gpt.provenance.service_operator is not None and gpt.provenance.service_operator.id == "openai"
    for a in assets:
        assert "CN" not in a.provenance.jurisdictions


def test_azure_openai_wildcard_host(catalog: Catalog) -> None:
    (svc,) = identify_evidence([ev("endpoint", "contoso.openai.azure.com")], catalog)
    assert svc.provenance.service_operator is not None
    assert svc.provenance.service_operator.id == "microsoft"
    assert svc.provenance.producers == ()  # multi-model host: the model is identified separately


def test_litellm_prefix_gives_service_and_model(catalog: Catalog) -> None:
    assets = identify_evidence(
        [ev("router-prefix", "dashscope/qwen-max", "B", refs={"router": "litellm:dashscope/"})], catalog
    )
    model = one(assets, "ai-model", "dashscope/qwen-max")
    assert producers(model) == {("alibaba", "CN", "producer")}
    assert model.provenance.service_jurisdiction == "CN"
    one(assets, "ai-service", "Alibaba Cloud Model Studio (DashScope)")


def test_openrouter_slug_is_us_service_for_prc_model(catalog: Catalog) -> None:
    assets = identify_evidence(
        [ev("router-prefix", "qwen/qwen3-235b-a22b", "B", refs={"router": "openrouter:qwen/"})], catalog
    )
    model = one(assets, "ai-model", "qwen/qwen3-235b-a22b")
    assert producers(model) == {("alibaba", "CN", "producer")}
    assert model.provenance.service_operator is not None
    assert model.provenance.service_operator.id == "openrouter"
    assert model.provenance.service_jurisdiction == "US"


def test_fastembed_default_model_is_baai(catalog: Catalog) -> None:
    assets = identify_evidence([ev("framework-class", "FastEmbedEmbeddings")], catalog)
    (model,) = assets  # local class: no service
    assert model.kind == "ai-model"
    assert model.name == "BAAI/bge-small-en-v1.5"
    assert model.use_mode == "self-hosted"
    assert producers(model) == {("baai", "CN", "producer")}
    assert model.details.default_model is True


def test_class_with_explicit_model_has_no_default_model(catalog: Catalog) -> None:
    assets = identify_evidence(
        [ev("framework-class", "HuggingFaceBgeEmbeddings", model="custom/model")], catalog
    )
    assert assets == []


def test_hosted_class_default_model(catalog: Catalog) -> None:
    assets = identify_evidence([ev("framework-class", "ChatTongyi")], catalog)
    model = one(assets, "ai-model", "qwen-turbo")
    assert model.use_mode == "hosted-api"
    assert model.provenance.service_jurisdiction == "CN"
    one(assets, "ai-service", "Alibaba Cloud Model Studio (DashScope)")


def test_tencentcloud_umbrella_counts_only_with_hunyuan(catalog: Catalog) -> None:
    dep = ev("package-dependency", "tencentcloud-sdk-python", path="requirements.txt", ecosystem="pypi")
    assert identify_evidence([dep, ev("sdk-import", "tencentcloud.cvm.v20170312")], catalog) == []
    assets = identify_evidence([dep, ev("sdk-import", "tencentcloud.hunyuan.v20230901")], catalog)
    names = {a.name for a in assets}
    assert names == {"pypi:tencentcloud-sdk-python", "pypi:tencentcloud-sdk-python-hunyuan"}
    for a in assets:
        assert producers(a) == {("tencent", "CN", "producer")}


def test_mentions_keep_strength_c_and_free_text_traps_do_not_match(catalog: Catalog) -> None:
    assets = identify_evidence(
        [
            ev("mention", "deepseek-reasoner", "C", path="docs/pricing.md"),
            ev("mention", "glm", "C", path="README.md"),
            ev("mention", "spark", "C", path="README.md", line=2),
            ev("mention", "moonshot", "C", path="README.md", line=3),
            ev("mention", "text-embedding-v2", "C", path="README.md", line=4),
        ],
        catalog,
    )
    (model,) = assets
    assert model.name == "deepseek-ai/DeepSeek-R1"  # the canonical model the API id names
    assert model.aliases == ("deepseek-reasoner",)
    assert model.strength == "C"
    assert model.provenance.methods[0].confidence == 0.3


def test_mention_and_real_ref_merge_strongest_wins(catalog: Catalog) -> None:
    assets = identify_evidence(
        [
            ev("mention", "deepseek-reasoner", "C", path="docs/a.md"),
            ev("model-ref", "deepseek-reasoner", "B", path="app.py"),
        ],
        catalog,
    )
    (model,) = assets
    assert model.strength == "B"
    assert len(model.evidence) == 2


def test_deterministic_regardless_of_input_order(catalog: Catalog) -> None:
    items = [
        ev("endpoint", "api.deepseek.com", path="b.py"),
        ev("env-key", "DASHSCOPE_API_KEY", path="a.env"),
        ev("model-ref", "Qwen/Qwen2.5-7B-Instruct", "B", path="c.py", use_mode="self-hosted"),
        ev("sdk-import", "zhipuai", path="d.py"),
        ev("model-ref", "us.deepseek.r1-v1:0", "B", path="e.py"),
    ]
    a = identify_evidence(items, catalog)
    b = identify_evidence(list(reversed(items)), catalog)
    assert [x.model_dump() for x in a] == [x.model_dump() for x in b]
    assert [x.kind for x in a] == sorted(
        (x.kind for x in a), key=["ai-service", "ai-model", "sdk-dependency"].index
    )


def test_unknown_evidence_is_ignored(catalog: Catalog) -> None:
    assert (
        identify_evidence([ev("sdk-import", "numpy"), ev("env-key", "HOME"), ev("device", "x")], catalog)
        == []
    )


def test_wildcard_catalog_key_in_refs_uses_observed_host(catalog: Catalog) -> None:
    (svc,) = identify_evidence(
        [
            ev(
                "endpoint",
                "contoso.openai.azure.com",
                refs={"endpoint": "*.openai.azure.com", "producer": "microsoft"},
            )
        ],
        catalog,
    )
    assert svc.name == "Azure OpenAI / Azure AI Foundry"  # the operator's product, not the tenant host
    assert svc.aliases == ("contoso.openai.azure.com",)
    assert svc.details.host == "contoso.openai.azure.com"
    assert svc.details.endpoint == "*.openai.azure.com"
    assert svc.provenance.service_jurisdiction == "US"


def test_detector_style_evidence_round_trip(catalog: Catalog) -> None:
    """Evidence shaped as the discover stage emits it (refs from ModelMatch, router of the outer prefix)."""
    m = catalog.match_model("openrouter/deepseek/deepseek-r1")
    assert m is not None and m.router is not None
    refs = {"producer": m.producer.id, "router": f"{m.router.router}:{m.router.prefix}"}
    if m.family is not None:
        refs["family"] = m.family.id
    assets = identify_evidence(
        [ev("model-ref", "openrouter/deepseek/deepseek-r1", "B", refs=refs, use_mode="hosted-api")], catalog
    )
    model = one(assets, "ai-model", "openrouter/deepseek/deepseek-r1")
    assert producers(model) == {("deepseek", "CN", "producer")}
    assert model.provenance.service_operator is not None
    assert model.provenance.service_operator.id == "openrouter"
    assert model.provenance.service_jurisdiction == "US"
    one(assets, "ai-service", "OpenRouter")


def test_same_file_endpoint_pairing_respects_single_provider_hosts(catalog: Catalog) -> None:
    assets = identify_evidence(
        [
            ev("endpoint", "api.deepseek.com"),
            ev(
                "model-ref",
                "claude-sonnet-4-5",
                "B",
                line=3,
                use_mode="hosted-api",
                endpoint="api.deepseek.com",
            ),
            ev(
                "model-ref",
                "us.deepseek.r1-v1:0",
                "B",
                line=5,
                refs={"router": "bedrock:us.deepseek."},
                use_mode="hosted-api",
                endpoint="api.deepseek.com",
            ),
            ev(
                "model-ref",
                "deepseek-r1",
                "B",
                line=7,
                use_mode="hosted-api",
                endpoint="dashscope.aliyuncs.com",
            ),
        ],
        catalog,
    )
    claude = one(assets, "ai-model", "claude-sonnet-4-5")
    assert claude.provenance.service_operator is None  # DeepSeek's API does not serve Claude
    # one canonical model, two usages through two operators: the asset names neither, each usage its own
    r1 = one(assets, "ai-model", "deepseek-ai/DeepSeek-R1")
    assert r1 is one(assets, "ai-model", "us.deepseek.r1-v1:0") is one(assets, "ai-model", "deepseek-r1")
    assert r1.provenance.service_operator is None
    by_written = {u.as_written: u for u in r1.usages}
    bedrock = by_written["us.deepseek.r1-v1:0"]
    assert (bedrock.operator, bedrock.service_jurisdiction) == ("amazon", "US")  # router beats file pairing
    assert bedrock.service == "Amazon Bedrock"
    dashscope = by_written["deepseek-r1"]
    assert (dashscope.operator, dashscope.service_jurisdiction) == ("alibaba", "CN")  # DashScope serves R1
    assert dashscope.service == "Alibaba Cloud Model Studio (DashScope)"


def test_multi_model_host_that_serves_its_operator_keeps_producer(catalog: Catalog) -> None:
    (svc,) = identify_evidence([ev("endpoint", "dashscope.aliyuncs.com")], catalog)
    assert producers(svc) == {("alibaba", "CN", "producer")}
    (sf,) = identify_evidence([ev("endpoint", "api.siliconflow.cn")], catalog)
    assert sf.provenance.producers == ()
    assert sf.provenance.service_jurisdiction == "CN"


def test_router_prefix_alone_gives_only_the_service(catalog: Catalog) -> None:
    assets = identify_evidence(
        [ev("router-prefix", "deepseek/", "B", refs={"router": "litellm:deepseek/"})], catalog
    )
    (svc,) = assets
    assert (svc.kind, svc.name) == ("ai-service", "DeepSeek API")
    assert svc.provenance.service_jurisdiction == "CN"


def test_mention_of_host_in_docs_is_a_weak_service(catalog: Catalog) -> None:
    (svc,) = identify_evidence(
        [
            ev(
                "mention",
                "api.moonshot.cn",
                "C",
                path="docs/providers.md",
                refs={"endpoint": "api.moonshot.cn"},
            )
        ],
        catalog,
    )
    assert svc.kind == "ai-service" and svc.strength == "C"
    assert svc.provenance.service_operator is not None and svc.provenance.service_operator.id == "moonshot"


def test_an_organisation_prefix_alone_is_no_model_asset(catalog: Catalog) -> None:
    """'huggingface-cli download BAAI/...' in a README gave a model asset named 'BAAI/' (a fragment);
    a full id from the same organisation still is one."""
    assets = identify_evidence(
        [
            ev("mention", "BAAI/", strength="C"),
            ev("mention", "BAAI/...", strength="C"),
            ev("model-ref", "BAAI/bge-m3", strength="B", use_mode="self-hosted"),
        ],
        catalog,
    )
    assert [a.name for a in assets if a.kind == "ai-model"] == ["BAAI/bge-m3"]
