"""The live, read-only AWS path: moto for the calls it implements (SageMaker, Bedrock custom models, STS),
botocore's Stubber with the response shapes of the AWS API reference for the rest (Bedrock imported models,
inference profiles, provisioned throughputs, foundation models; botocore validates every stubbed response
against the service model). The collected directory is read by the same reader as exported JSON."""

from __future__ import annotations

import ast
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")
from botocore.stub import Stubber  # noqa: E402

from tierguard.catalog import Catalog  # noqa: E402
from tierguard.cloud.live_aws import (  # noqa: E402
    READ_ONLY_PREFIXES,
    ReadOnlyViolation,
    _snake,
    collect_aws,
    guard,
)

from .conftest import asset, producers, read  # noqa: E402

REGION = "us-east-1"
ACCOUNT = "123456789012"
ARN_BASE = f"arn:aws:bedrock:{REGION}:{ACCOUNT}"
TGI = (
    "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.4.0-tgi2.3.1-gpu-py311"
)


def _sagemaker_qwen() -> None:
    sm = boto3.client("sagemaker", region_name=REGION)
    env = {"HF_MODEL_ID": "Qwen/Qwen2.5-7B-Instruct", "SM_NUM_GPUS": "1"}
    sm.create_model(
        ModelName="qwen25-7b-tgi",
        PrimaryContainer={"Image": TGI, "Environment": env},
        ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/sm",
    )
    variant = {"VariantName": "AllTraffic", "ModelName": "qwen25-7b-tgi", "InitialInstanceCount": 1}
    sm.create_endpoint_config(
        EndpointConfigName="qwen-cfg", ProductionVariants=[{**variant, "InstanceType": "ml.g4dn.xlarge"}]
    )
    sm.create_endpoint(EndpointName="qwen-chat", EndpointConfigName="qwen-cfg")


def test_moto_account(tmp_path: Path, catalog: Catalog, aws_env: None) -> None:
    with moto.mock_aws():
        _sagemaker_qwen()
        boto3.client("bedrock", region_name=REGION).create_model_customization_job(
            jobName="ft",
            customModelName="claims-triage",
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/br",
            baseModelIdentifier="meta.llama3-1-8b-instruct-v1:0",
            trainingDataConfig={"s3Uri": "s3://b/train.jsonl"},
            outputDataConfig={"s3Uri": "s3://b/out/"},
            hyperParameters={"epochCount": "1"},
        )
        got = collect_aws(tmp_path / "aws-live", regions=[REGION])
    assert got.account == ACCOUNT
    assert got.calls and all(c.split(":")[1].startswith(READ_ONLY_PREFIXES) for c in got.calls)
    assert {
        "sagemaker:ListEndpoints",
        "sagemaker:DescribeEndpoint",
        "sagemaker:DescribeEndpointConfig",
        "sagemaker:DescribeModel",
        "bedrock:ListCustomModels",
        "sts:GetCallerIdentity",
    } <= set(got.calls)
    out = read(tmp_path / "aws-live", catalog)
    qwen = asset(out, "ai-model", "Qwen/Qwen2.5-7B-Instruct")
    assert producers(qwen) == {("alibaba", "CN", "producer")}
    [u] = qwen.usages
    assert (u.service, u.service_jurisdiction, u.host) == ("Amazon SageMaker", "US", ACCOUNT)
    assert "endpoint/qwen-chat" in u.excerpt
    custom = asset(out, "ai-model", "claims-triage")
    assert producers(custom) == {("meta", "US", "base-producer")}
    # what moto does not implement was recorded as a gap, and reaches the result as skipped (never silent)
    gaps = {s.path for s in out.skipped}
    assert "aws:bedrock:us-east-1:ListImportedModels" in gaps
    assert all(s.reason == "unreadable" for s in out.skipped)
    assert any("collected live from AWS 123456789012" in n for n in out.notes)


def test_guard_refuses_what_is_not_read_only(aws_env: None) -> None:
    with moto.mock_aws():
        calls: list[str] = []
        sm = guard(boto3.client("sagemaker", region_name=REGION), "sagemaker", calls)
        with pytest.raises(ReadOnlyViolation):
            sm.create_model(
                ModelName="x",
                PrimaryContainer={"Image": TGI},
                ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/x",
            )
        with pytest.raises(ReadOnlyViolation):
            sm.delete_endpoint(EndpointName="qwen-chat")
        assert boto3.client("sagemaker", region_name=REGION).list_models()["Models"] == []  # nothing was sent
        sm.list_models()
        assert calls == ["sagemaker:CreateModel", "sagemaker:DeleteEndpoint", "sagemaker:ListModels"]


def test_source_names_only_read_only_operations() -> None:
    """Every AWS operation the collector names is List*/Describe*/Get* (the guard checks at run time)."""
    from tierguard.cloud import live_aws

    tree = ast.parse(Path(live_aws.__file__).read_text("utf-8"))
    ops = {
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and n.value[:1].isupper()
        and n.value.isalnum()
        and any(
            n.value.startswith(p)
            for p in ("List", "Describe", "Get", "Create", "Delete", "Update", "Put", "Invoke")
        )
    }
    assert ops and all(o.startswith(READ_ONLY_PREFIXES) for o in ops), ops


# -- recorded response shapes (AWS API reference) through botocore's Stubber --------------------------------

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
IMPORTED = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:imported-model/"


def _stubbed(service: str, responses: list[tuple[str, Any, dict[str, Any] | None]]) -> Any:
    client = boto3.client(service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    for name, body, params in responses:
        op = _snake(name)
        if isinstance(body, str):  # an error code
            stub.add_client_error(
                op, service_error_code=body, service_message="denied", expected_params=params
            )
        else:
            stub.add_response(op, body, params)
    stub.activate()
    client._tg_stub = stub  # noqa: SLF001  (kept alive, asserted at the end)
    return client


def _bedrock_responses() -> list[tuple[str, Any, dict[str, Any] | None]]:
    imported = [
        {
            "modelArn": f"{IMPORTED}a1a1a1a1a1a1",
            "modelName": "r1-distill-llama8b",
            "creationTime": NOW,
            "instructSupported": True,
            "modelArchitecture": "llama3",
        },
        {
            "modelArn": f"{IMPORTED}b2b2b2b2b2b2",
            "modelName": "qwen-coder-import",
            "creationTime": NOW,
            "modelArchitecture": "qwen2",
        },
    ]
    profile = {
        "inferenceProfileName": "support-r1",
        "inferenceProfileArn": f"{ARN_BASE}:application-inference-profile/9z8y7x6w5v4u",
        "inferenceProfileId": "9z8y7x6w5v4u",
        "status": "ACTIVE",
        "type": "APPLICATION",
        "createdAt": NOW,
        "models": [{"modelArn": f"arn:aws:bedrock:{REGION}::foundation-model/deepseek.r1-v1:0"}],
    }
    foundation = {
        "modelArn": f"arn:aws:bedrock:{REGION}::foundation-model/deepseek.r1-v1:0",
        "modelId": "deepseek.r1-v1:0",
        "modelName": "DeepSeek-R1",
        "providerName": "DeepSeek",
    }

    def get(arn: str, uri: str, name: str) -> dict[str, Any]:
        return {
            "modelArn": arn,
            "modelName": name,
            "jobName": "j",
            "jobArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-import-job/abcdefabcdef",
            "modelDataSource": {"s3DataSource": {"s3Uri": uri}},
            "creationTime": NOW,
            "modelArchitecture": "llama3",
        }

    return [
        ("ListCustomModels", {"modelSummaries": []}, {}),
        # two pages: the second asked for with the first's nextToken
        ("ListImportedModels", {"modelSummaries": imported[:1], "nextToken": "page2"}, {}),
        ("ListImportedModels", {"modelSummaries": imported[1:]}, {"nextToken": "page2"}),
        (
            "GetImportedModel",
            get(imported[0]["modelArn"], "s3://w/DeepSeek-R1-Distill-Llama-8B/", "r1-distill-llama8b"),
            {"modelIdentifier": imported[0]["modelArn"]},
        ),
        (
            "GetImportedModel",
            get(imported[1]["modelArn"], "s3://w/Qwen2.5-Coder-7B-Instruct/", "qwen-coder-import"),
            {"modelIdentifier": imported[1]["modelArn"]},
        ),
        ("ListInferenceProfiles", {"inferenceProfileSummaries": [profile]}, {"typeEquals": "APPLICATION"}),
        ("ListProvisionedModelThroughputs", "AccessDeniedException", {}),
        ("ListFoundationModels", {"modelSummaries": [foundation]}, {}),
    ]


def test_stubbed_bedrock(tmp_path: Path, catalog: Catalog) -> None:
    clients = {
        "sts": _stubbed(
            "sts",
            [
                (
                    "GetCallerIdentity",
                    {"UserId": "AIDAX", "Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/audit"},
                    {},
                )
            ],
        ),
        "bedrock": _stubbed("bedrock", _bedrock_responses()),
        "sagemaker": _stubbed("sagemaker", [("ListEndpoints", "UnknownOperationException", {})]),
    }
    got = collect_aws(tmp_path / "live", regions=[REGION], client_factory=lambda s, r: clients[s])
    for c in clients.values():
        c._tg_stub.assert_no_pending_responses()  # every recorded response was asked for: pages followed
    assert got.calls.count("bedrock:ListImportedModels") == 2
    assert all(c.split(":")[1].startswith(READ_ONLY_PREFIXES) for c in got.calls)
    assert any("ListEndpoints is not offered" in n for n in got.notes)
    written = json.loads((tmp_path / "live/us-east-1/bedrock-list-imported-models.json").read_text())
    assert [m["modelName"] for m in written["modelSummaries"]] == ["r1-distill-llama8b", "qwen-coder-import"]

    out = read(tmp_path / "live", catalog)
    # imported models: the user's names match nothing; their S3 paths do (strength B)
    distill = asset(out, "ai-model", "deepseek-ai/DeepSeek-R1-Distill-Llama-8B")
    assert (
        distill.usages[0].strength == "B" and distill.usages[0].as_written == "DeepSeek-R1-Distill-Llama-8B"
    )
    coder = [a for a in out.assets if a.kind == "ai-model" and "coder" in a.name.lower()]
    assert coder and producers(coder[0]) == {("alibaba", "CN", "producer")}
    r1 = asset(out, "ai-model", "deepseek-ai/DeepSeek-R1")
    assert [(u.service, u.service_jurisdiction, u.strength) for u in r1.usages] == [
        ("Amazon Bedrock", "US", "A")
    ]
    # the refused call is a gating gap in the result
    assert [(s.path, s.reason) for s in out.skipped] == [
        ("aws:bedrock:us-east-1:ListProvisionedModelThroughputs", "permission-denied")
    ]


def test_page_limit_is_recorded(tmp_path: Path, catalog: Catalog) -> None:
    pages = [("ListCustomModels", {"modelSummaries": [], "nextToken": f"t{i + 1}"}, None) for i in range(3)]
    bedrock = _stubbed("bedrock", pages)
    clients = {"bedrock": bedrock, "sts": _stubbed("sts", [("GetCallerIdentity", "AccessDenied", {})])}

    def factory(service: str, region: str | None) -> Any:
        if service == "sagemaker":
            return _stubbed("sagemaker", [("ListEndpoints", {"Endpoints": []}, {})])
        return clients[service]

    got = collect_aws(tmp_path / "live", regions=[REGION], client_factory=factory, max_pages=2)
    assert got.account is None
    errors = {(e["operation"], e["reason"]) for e in got.errors}
    assert ("ListCustomModels", "incomplete") in errors and (
        "GetCallerIdentity",
        "permission-denied",
    ) in errors
    out = read(tmp_path / "live", catalog)
    assert ("aws:bedrock:us-east-1:ListCustomModels", "incomplete") in {
        (s.path, s.reason) for s in out.skipped
    }


def test_no_region_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, aws_env: None) -> None:
    from tierguard.errors import TierguardError

    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    with pytest.raises(TierguardError, match="no region"):
        collect_aws(tmp_path / "x")
