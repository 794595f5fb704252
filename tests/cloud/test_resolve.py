"""How deployments resolve: the model a container or record names, the jurisdiction of the region's
operator (AWS China and Azure China are not US), and names that must not be taken for catalog models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tierguard.catalog import Catalog

from .conftest import asset, producers, read, write

FM_LLAMA = "arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-1-8b-instruct-v1:0:128k"


def sm_model(
    name: str, arn_prefix: str = "arn:aws:sagemaker:us-east-1:123456789012", **container: Any
) -> dict[str, Any]:
    return {
        "ModelName": name,
        "PrimaryContainer": {
            "Image": "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0",
            **container,
        },
        "ModelArn": f"{arn_prefix}:model/{name}",
    }


def test_aws_china_region_is_cn(tmp_path: Path, catalog: Catalog) -> None:
    """A SageMaker endpoint in cn-north-1 runs in AWS China (Sinnet/NWCD, PRC law): jurisdiction CN."""
    m = sm_model(
        "q",
        "arn:aws-cn:sagemaker:cn-north-1:123456789012",
        Environment={"HF_MODEL_ID": "Qwen/Qwen2.5-7B-Instruct"},
    )
    out = read(write(tmp_path / "m.json", m), catalog)
    [u] = asset(out, "ai-model", "Qwen/Qwen2.5-7B-Instruct").usages
    assert (u.service, u.service_jurisdiction, u.operator) == ("Amazon SageMaker (CN)", "CN", "amazon")


def test_bedrock_in_china_without_catalog_entry_is_cn(tmp_path: Path, catalog: Catalog) -> None:
    arn = "arn:aws-cn:bedrock:cn-northwest-1:123456789012:imported-model/abcdefabcdef"
    out = read(
        write(
            tmp_path / "m.json", {"modelSummaries": [{"modelArn": arn, "modelName": "Qwen2.5-7B-Instruct"}]}
        ),
        catalog,
    )
    [u] = asset(out, "ai-model", "qwen2.5-7b-instruct").usages
    assert (u.service, u.service_jurisdiction) == ("Amazon Bedrock (CN)", "CN")


def test_azure_china_account_is_cn(tmp_path: Path, catalog: Catalog) -> None:
    sub = "/subscriptions/s/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts/a"
    write(
        tmp_path / "x/acc.json",
        [
            {
                "id": sub,
                "location": "chinanorth3",
                "kind": "OpenAI",
                "type": "Microsoft.CognitiveServices/accounts",
            }
        ],
    )
    write(
        tmp_path / "x/dep.json",
        [
            {
                "id": f"{sub}/deployments/d",
                "name": "d",
                "properties": {"model": {"format": "DeepSeek", "name": "DeepSeek-R1"}},
                "type": "Microsoft.CognitiveServices/accounts/deployments",
            }
        ],
    )
    out = read(tmp_path / "x", catalog)
    [u] = asset(out, "ai-model", "deepseek-ai/DeepSeek-R1").usages
    assert (u.service, u.service_jurisdiction) == ("Azure OpenAI / Azure AI Foundry (CN)", "CN")


def test_sagemaker_model_from_s3_path(tmp_path: Path, catalog: Catalog) -> None:
    """No model id in the environment (``HF_MODEL_ID`` is a local path): the S3 path names it, strength B."""
    m = sm_model(
        "prod-llm-7",
        Environment={"HF_MODEL_ID": "/opt/ml/model"},
        ModelDataUrl="s3://ml-artifacts/models/DeepSeek-R1-Distill-Qwen-7B/model.tar.gz",
    )
    out = read(write(tmp_path / "m.json", m), catalog)
    d = asset(out, "ai-model", "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B")
    assert producers(d) == {("deepseek", "CN", "trainer"), ("alibaba", "CN", "base-producer")}
    [u] = d.usages
    assert (u.strength, u.as_written) == ("B", "DeepSeek-R1-Distill-Qwen-7B")


def test_djl_option_model_id(tmp_path: Path, catalog: Catalog) -> None:
    m = sm_model(
        "m",
        Environment={
            "OPTION_MODEL_ID": "deepseek-ai/DeepSeek-R1-Distill-Llama-70B",
            "OPTION_TENSOR_PARALLEL_DEGREE": "8",
        },
    )
    out = read(write(tmp_path / "m.json", m), catalog)
    assert asset(out, "ai-model", "deepseek-ai/DeepSeek-R1-Distill-Llama-70B").usages[0].strength == "A"


def test_unknown_model_is_still_an_asset(tmp_path: Path, catalog: Catalog) -> None:
    m = sm_model("in-house", Environment={"HF_MODEL_ID": "acme/InHouse-7B"})
    out = read(write(tmp_path / "m.json", m), catalog)
    a = asset(out, "ai-model", "acme/inhouse-7b")
    assert a.provenance.producers == ()
    assert a.usages[0].service == "Amazon SageMaker"


def test_model_without_any_name_uses_the_resource_name(tmp_path: Path, catalog: Catalog) -> None:
    out = read(write(tmp_path / "m.json", sm_model("Fraud-Scorer-v3")), catalog)
    a = asset(out, "ai-model", "fraud-scorer-v3")
    assert a.usages[0].strength == "B" and "no endpoint in the export" in a.usages[0].excerpt


def test_custom_model_named_like_a_catalog_model_is_not_that_model(tmp_path: Path, catalog: Catalog) -> None:
    """A fine-tune of Llama its owner called ``deepseek-r1`` is not DeepSeek-R1: its own asset, Meta base."""
    arn = (
        "arn:aws:bedrock:us-east-1:123456789012:custom-model/meta.llama3-1-8b-instruct-v1:0:128k/ab12cd34ef56"
    )
    base = "arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-1-8b-instruct-v1:0:128k"
    rec = {
        "modelArn": arn,
        "modelName": "deepseek-r1",
        "baseModelArn": base,
        "customizationType": "FINE_TUNING",
    }
    out = read(write(tmp_path / "m.json", {"modelSummaries": [rec]}), catalog)
    assert [a.name for a in out.assets if a.kind == "ai-model"] == ["deepseek-r1"]
    assert producers(out.assets[-1]) == {("meta", "US", "base-producer")}


def test_provisioned_throughput_of_a_custom_model(tmp_path: Path, catalog: Catalog) -> None:
    arn = (
        "arn:aws:bedrock:us-east-1:123456789012:custom-model/meta.llama3-1-8b-instruct-v1:0:128k/ab12cd34ef56"
    )
    pt = {
        "provisionedModelName": "triage-pt",
        "provisionedModelArn": "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/x1y2z3a4b5c6",
        "modelArn": arn,
        "desiredModelArn": arn,
        "foundationModelArn": FM_LLAMA,
        "modelUnits": 1,
        "desiredModelUnits": 1,
        "status": "InService",
        "creationTime": "2025-01-21T00:00:00Z",
        "lastModifiedTime": "2025-01-21T00:00:00Z",
    }
    write(tmp_path / "x/pt.json", {"provisionedModelSummaries": [pt]})
    write(
        tmp_path / "x/cm.json",
        {
            "modelSummaries": [
                {"modelArn": arn, "modelName": "claims-triage", "baseModelArn": pt["foundationModelArn"]}
            ]
        },
    )
    out = read(tmp_path / "x", catalog)
    cm = asset(out, "ai-model", "claims-triage")
    assert sorted(u.excerpt.split(" ")[2] for u in cm.usages) == ["custom", "provisioned"]
    assert producers(cm) == {("meta", "US", "base-producer")}


def test_provider_field_names_the_producer_of_an_unknown_model(tmp_path: Path, catalog: Catalog) -> None:
    sub = "/subscriptions/s/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts/a"
    write(
        tmp_path / "dep.json",
        [
            {
                "id": f"{sub}/deployments/d",
                "name": "d",
                "properties": {"model": {"format": "DeepSeek", "name": "DeepSeek-Future-9"}},
                "type": "Microsoft.CognitiveServices/accounts/deployments",
            }
        ],
    )
    out = read(tmp_path / "dep.json", catalog)
    a = asset(out, "ai-model", "deepseek-future-9")
    assert producers(a) == {("deepseek", "CN", "producer")}


def test_vertex_model_garden_source(tmp_path: Path, catalog: Catalog) -> None:
    """No container model id: the Model Garden source names the publisher's model (strength A)."""
    m = {
        "name": "projects/1/locations/europe-west4/models/m1",
        "displayName": "my-chat",
        "baseModelSource": {"modelGardenSource": {"publicModelName": "publishers/qwen/models/qwen2.5"}},
    }
    out = read(write(tmp_path / "m.json", [m]), catalog)
    [a] = [a for a in out.assets if a.kind == "ai-model"]
    assert producers(a) == {("alibaba", "CN", "producer")}
    assert a.usages[0].strength == "A" and "europe-west4" in a.usages[0].excerpt


def test_vertex_vllm_arguments(tmp_path: Path, catalog: Catalog) -> None:
    m = {
        "name": "projects/1/locations/us-central1/models/m2",
        "displayName": "x",
        "containerSpec": {
            "imageUri": "us-docker.pkg.dev/x/vllm",
            "args": ["--model", "moonshotai/Kimi-K2-Instruct"],
        },
    }
    out = read(write(tmp_path / "m.json", [m]), catalog)
    [a] = [a for a in out.assets if a.kind == "ai-model"]
    assert producers(a) == {("moonshot", "CN", "producer")}


def test_provisioned_throughput_of_a_custom_model_not_in_the_export(tmp_path: Path, catalog: Catalog) -> None:
    """Named by the custom model's own id, with its base as lineage: never merged into the base model."""
    arn = "arn:aws:bedrock:us-east-1:123456789012:custom-model/deepseek.r1-v1:0/zz99yy88xx77"
    pt = {
        "provisionedModelName": "pt",
        "provisionedModelArn": "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/a1b2c3d4e5f6",
        "modelArn": arn,
        "foundationModelArn": "arn:aws:bedrock:us-east-1::foundation-model/deepseek.r1-v1:0",
        "status": "InService",
    }
    out = read(write(tmp_path / "pt.json", {"provisionedModelSummaries": [pt]}), catalog)
    [m] = [a for a in out.assets if a.kind == "ai-model"]
    assert m.name == "bedrock-custom-model/zz99yy88xx77"
    assert producers(m) == {("deepseek", "CN", "base-producer")}
    assert [e.base for e in m.provenance.lineage] == ["deepseek-ai/DeepSeek-R1"]
