"""Exports are recognised by content: every sample by its shape, never a file that only mentions a key."""

from __future__ import annotations

import json

import pytest

from tierguard.cloud import sniff

from .conftest import EXAMPLES

EXPECTED = {
    "aws/bedrock-get-imported-model.json": "aws-bedrock-models",
    "aws/bedrock-list-custom-models.json": "aws-bedrock-models",
    "aws/bedrock-list-foundation-models.json": "aws-bedrock-models",
    "aws/bedrock-list-imported-models.json": "aws-bedrock-models",
    "aws/bedrock-list-inference-profiles.json": "aws-bedrock-inference-profiles",
    "aws/sagemaker-describe-endpoint-config-qwen25-7b-chat.json": "aws-sagemaker-endpoint-config",
    "aws/sagemaker-describe-endpoint-qwen25-7b-chat.json": "aws-sagemaker-endpoint",
    "aws/sagemaker-describe-model-qwen25-7b-instruct.json": "aws-sagemaker-model",
    "aws/sagemaker-list-endpoints.json": "aws-sagemaker-endpoints",
    "azure/az-cognitiveservices-account-deployment-list.json": "azure-deployments",
    "azure/az-cognitiveservices-account-list.json": "azure-accounts",
    "gcp/gcloud-ai-endpoints-list.json": "gcp-vertex-endpoints",
    "gcp/gcloud-ai-models-list.json": "gcp-vertex-models",
}


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_samples(rel: str) -> None:
    assert sniff((EXAMPLES / rel).read_bytes()) == EXPECTED[rel]


def test_every_sample_is_listed() -> None:
    assert {p.relative_to(EXAMPLES).as_posix() for p in EXAMPLES.rglob("*.json")} == set(EXPECTED)


@pytest.mark.parametrize(
    "data, fmt",
    [
        ({"modelSummaries": []}, "aws-bedrock-models"),
        ({"inferenceProfileSummaries": []}, "aws-bedrock-inference-profiles"),
        ({"provisionedModelSummaries": []}, "aws-bedrock-provisioned"),
        ({"Endpoints": [], "NextToken": None}, "aws-sagemaker-endpoints"),
        ({"value": [{"type": "Microsoft.CognitiveServices/accounts/deployments"}]}, "azure-deployments"),
        ({"endpoints": [{"name": "projects/p/locations/europe-west4/endpoints/1"}]}, "gcp-vertex-endpoints"),
        ({"name": "projects/p/locations/us-central1/models/m@2"}, "gcp-vertex-models"),
        ({"tierguardAwsCollect": {}}, "tierguard-aws-collect"),
    ],
)
def test_shapes(data: object, fmt: str) -> None:
    assert sniff(json.dumps(data).encode()) == fmt


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"not json at all",
        b'{"name": "my-package", "dependencies": {"boto3": "1.34"}}',
        # the key names as string values, not keys
        b'{"doc": "modelSummaries", "example": "arn:aws:bedrock:us-east-1::foundation-model/x"}',
        b'{"modelSummaries": [{"modelArn": "arn:aws:s3:::bucket"}]}',  # not a Bedrock ARN
        b'{"ModelName": "m", "ModelArn": "arn:aws:iam::1:role/x"}',  # not SageMaker
        b'[{"name": "projects/p/locations/l/datasets/1"}]',
        b'{"type": "Microsoft.Storage/storageAccounts"}',
    ],
)
def test_not_exports(head: bytes) -> None:
    assert sniff(head) is None


def test_name_never_decides() -> None:
    assert sniff(b'{"a": 1}', "bedrock-list-imported-models.json") is None
    data = (EXAMPLES / "aws/sagemaker-list-endpoints.json").read_bytes()
    assert sniff(data, "notes.txt") == "aws-sagemaker-endpoints"
