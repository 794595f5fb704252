"""Done when (issue 13 item 2): the Bedrock, SageMaker, Azure and Vertex samples in examples/cloud become
assets with their producer and their operator's jurisdiction, named as the code scan names them."""

from __future__ import annotations

import pytest

from tierguard.catalog import Catalog
from tierguard.cloud import CloudOutput, sniff_dir

from .conftest import EXAMPLES, asset, producers, read

ACCOUNT = "123456789012"
SUBSCRIPTION = "3f2a9c1e-8b7d-4e21-9c55-1a2b3c4d5e6f"
PROJECT = "481516234200"


@pytest.fixture(scope="module")
def out(catalog: Catalog) -> CloudOutput:
    return read(EXAMPLES, catalog)


def _line(rel: str, line: int) -> str:
    return (EXAMPLES / rel).read_text("utf-8").splitlines()[line - 1]


def test_directory_is_one_inventory() -> None:
    assert sniff_dir(EXAMPLES)


def test_nothing_skipped(out: CloudOutput) -> None:
    assert out.skipped == []
    assert out.deployments == 7


def test_bedrock_inference_profile_deepseek(out: CloudOutput) -> None:
    r1 = asset(out, "ai-model", "deepseek-ai/DeepSeek-R1")
    assert producers(r1) == {("deepseek", "CN", "producer")}
    [u] = [u for u in r1.usages if u.service == "Amazon Bedrock"]
    assert (u.use_mode, u.operator, u.service_jurisdiction, u.host) == ("hosted-api", "amazon", "US", ACCOUNT)
    assert u.strength == "A"
    assert u.as_written == "deepseek.r1-v1:0"
    assert u.location.path == "exports/aws/bedrock-list-inference-profiles.json"
    assert "application-inference-profile/4vq0rgj5xk2m" in _line(
        "aws/bedrock-list-inference-profiles.json", u.location.line or 0
    )
    assert "us-east-1" in u.excerpt and "application-inference-profile/4vq0rgj5xk2m" in u.excerpt


def test_system_defined_profile_is_not_a_use(out: CloudOutput) -> None:
    """``us.deepseek.r1-v1:0`` as a SYSTEM_DEFINED profile is listed in every account of the region: noted,
    never a usage (else every AWS account would 'use' DeepSeek)."""
    r1 = asset(out, "ai-model", "deepseek-ai/DeepSeek-R1")
    assert not [u for u in r1.usages if "inference-profile/us.deepseek" in u.excerpt]
    assert any("system-defined" in n and "us.deepseek.r1-v1:0" in n for n in out.notes)


def test_azure_foundry_deepseek(out: CloudOutput) -> None:
    r1 = asset(out, "ai-model", "deepseek-ai/DeepSeek-R1")
    [u] = [u for u in r1.usages if u.service == "Azure OpenAI / Azure AI Foundry"]
    assert (u.operator, u.service_jurisdiction, u.host, u.strength) == ("microsoft", "US", SUBSCRIPTION, "A")
    assert u.as_written == "DeepSeek-R1"
    assert "eastus2" in u.excerpt and "accounts/contoso-ai-foundry/deployments/DeepSeek-R1" in u.excerpt
    assert "deployments/DeepSeek-R1" in _line(
        "azure/az-cognitiveservices-account-deployment-list.json", u.location.line or 0
    )
    # two operators (Amazon, Microsoft): each usage carries its own; the asset names none
    assert r1.provenance.service_operator is None


def test_sagemaker_qwen(out: CloudOutput) -> None:
    qwen = asset(out, "ai-model", "Qwen/Qwen2.5-7B-Instruct")
    assert producers(qwen) == {("alibaba", "CN", "producer")}
    [u] = qwen.usages
    assert (u.service, u.operator, u.service_jurisdiction, u.host) == (
        "Amazon SageMaker",
        "amazon",
        "US",
        ACCOUNT,
    )
    assert (u.as_written, u.strength, u.use_mode) == ("Qwen/Qwen2.5-7B-Instruct", "A", "hosted-api")
    assert "HF_MODEL_ID" in _line(
        "aws/sagemaker-describe-model-qwen25-7b-instruct.json", u.location.line or 0
    )
    assert "endpoint/qwen25-7b-chat" in u.excerpt and "us-east-1" in u.excerpt
    assert qwen.provenance.service_operator is not None
    assert qwen.provenance.service_operator.jurisdiction == "US"


def test_bedrock_imported_distill(out: CloudOutput) -> None:
    """An imported model is named by its owner's name for it: a B match; DeepSeek CN trains, Meta US base."""
    d = asset(out, "ai-model", "deepseek-ai/DeepSeek-R1-Distill-Llama-8B")
    assert producers(d) == {("deepseek", "CN", "trainer"), ("meta", "US", "base-producer")}
    [u] = d.usages
    assert (u.service, u.strength, u.service_jurisdiction) == ("Amazon Bedrock", "B", "US")
    assert "s3://acme-ml-weights/imports/DeepSeek-R1-Distill-Llama-8B/" in u.excerpt  # get-imported-model


def test_bedrock_custom_model_lineage(out: CloudOutput) -> None:
    c = asset(out, "ai-model", "claims-triage-llama")
    assert producers(c) == {("meta", "US", "base-producer")}
    [edge] = c.provenance.lineage
    assert (edge.relation, edge.base) == ("finetune", "llama3-1-8b-instruct-v1")
    assert edge.base_producer is not None and edge.base_producer.id == "meta"


def test_vertex_llama(out: CloudOutput) -> None:
    llama = asset(out, "ai-model", "meta-llama/Llama-3.1-8B-Instruct")
    assert producers(llama) == {("meta", "US", "producer")}
    [u] = llama.usages
    assert (u.service, u.operator, u.service_jurisdiction, u.host) == (
        "Google Gemini / Vertex AI API",
        "google",
        "US",
        PROJECT,
    )
    assert "endpoints/2148173645209337856" in u.excerpt and "us-central1" in u.excerpt


def test_unknown_publisher_still_an_asset(out: CloudOutput) -> None:
    gpt = asset(out, "ai-model", "gpt-4o")
    assert producers(gpt) == {("openai", "US", "producer")}


def test_one_service_asset_per_cloud_service(out: CloudOutput) -> None:
    services = {a.name: a for a in out.assets if a.kind == "ai-service"}
    assert set(services) == {
        "Amazon Bedrock",
        "Amazon SageMaker",
        "Azure OpenAI / Azure AI Foundry",
        "Google Gemini / Vertex AI API",
    }
    for name, op in [
        ("Amazon Bedrock", "amazon"),
        ("Amazon SageMaker", "amazon"),
        ("Azure OpenAI / Azure AI Foundry", "microsoft"),
        ("Google Gemini / Vertex AI API", "google"),
    ]:
        s = services[name]
        assert s.provenance.service_operator is not None
        assert (s.provenance.service_operator.id, s.provenance.service_jurisdiction) == (op, "US")
    assert len(services["Amazon Bedrock"].usages) == 3


def test_every_usage_has_its_evidence(out: CloudOutput) -> None:
    ids = {e.id for e in out.evidence}
    assert len(ids) == len(out.evidence) == out.deployments
    for a in out.assets:
        for u in a.usages:
            assert u.evidence in ids
            assert u.excerpt and "\n" not in u.excerpt and len(u.excerpt) <= 300


def test_stable_across_runs(catalog: Catalog, out: CloudOutput) -> None:
    again = read(EXAMPLES, catalog)
    assert [a.id for a in again.assets] == [a.id for a in out.assets]
    assert [e.id for e in again.evidence] == [e.id for e in out.evidence]


def test_merges_with_code_names(catalog: Catalog, out: CloudOutput) -> None:
    """The names are the code scan's: the same canonical model and service names the code identify stage
    gives for ``us.deepseek.r1-v1:0`` (a router-prefix reference), so the Scanner merges them."""
    from tierguard.identify.code import identify_evidence
    from tierguard.model import Evidence, Location

    ev = Evidence(
        detector="t",
        kind="router-prefix",
        value="us.deepseek.r1-v1:0",
        strength="B",
        location=Location(path="app.py", line=3),
        refs={"router": "bedrock:deepseek."},
    )
    code = {(a.kind, a.name) for a in identify_evidence([ev], catalog)}
    assert ("ai-model", "deepseek-ai/DeepSeek-R1") in code and ("ai-service", "Amazon Bedrock") in code
    cloud_ids = {a.id for a in out.assets}
    assert {a.id for a in identify_evidence([ev], catalog)} <= cloud_ids
