"""Infrastructure as code and MCP configs (issue 15 item 3): Terraform/OpenTofu (python-hcl2),
CloudFormation/SAM (YAML with intrinsic tags, JSON), Bicep, Kubernetes/KServe/Helm and MCP client configs.
Each detector has an (input, expected) table and false-positive traps taken from real file shapes; scanned
with the packaged catalog through the registry (so the keyword prefilter applies)."""

from __future__ import annotations

import pytest

from tierguard.catalog import Catalog, load_catalog
from tierguard.discover.interface import DiscoverOutput
from tierguard.identify.code import identify_evidence

from .conftest import scan


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def _models(out: DiscoverOutput) -> set[tuple[str, str, str, int | None]]:
    """(path, value, use_mode, line) of every B model reference."""
    return {
        (e.location.path, e.value, e.attributes.get("use_mode", ""), e.location.line)
        for e in out.evidence
        if e.kind == "model-ref" and e.strength == "B"
    }


def _strong_prc(out: DiscoverOutput) -> list[tuple[str, str]]:
    prc = {"deepseek", "alibaba", "zhipu", "moonshot", "minimax", "baai", "bytedance", "tencent", "baidu"}
    return [
        (e.kind, e.value) for e in out.evidence if e.strength in ("A", "B") and e.refs.get("producer") in prc
    ]


# ---- Terraform -----------------------------------------------------------------------------------------

TF_ISSUE_MISS = """\
resource "aws_bedrock_inference_profile" "reasoner" {
  name        = "reasoner"
  description = "cross-region reasoning profile"
  model_source {
    copy_from = "arn:aws:bedrock:us-east-1:123456789012:foundation-model/us.deepseek.r1-v1:0"
  }
}
"""

TF_CASES = [
    (TF_ISSUE_MISS, {("us.deepseek.r1-v1:0", "hosted-api", 5)}),
    (
        'resource "aws_bedrock_custom_model" "ft" {\n  custom_model_name = "ft"\n'
        '  base_model_identifier = "arn:aws:bedrock:us-west-2::foundation-model/deepseek.r1-v1:0"\n}\n',
        {("deepseek.r1-v1:0", "hosted-api", 3)},
    ),
    (
        'resource "aws_bedrock_provisioned_model_throughput" "pt" {\n  model_units = 1\n'
        '  model_arn = "arn:aws:bedrock:us-east-1::foundation-model/qwen.qwen3-32b-v1:0"\n}\n',
        {("qwen.qwen3-32b-v1:0", "hosted-api", 3)},
    ),
    (
        'resource "aws_bedrockagent_agent" "a" {\n  agent_name = "a"\n'
        '  foundation_model = "moonshotai.kimi-k2-thinking"\n}\n',
        {("moonshotai.kimi-k2-thinking", "hosted-api", 3)},
    ),
    (
        'resource "aws_sagemaker_model" "m" {\n  primary_container {\n'
        '    image = "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.1"\n'
        '    environment = {\n      HF_MODEL_ID = "Qwen/Qwen2.5-7B-Instruct"\n    }\n  }\n}\n',
        {("Qwen/Qwen2.5-7B-Instruct", "self-hosted", 5)},
    ),
    (
        'resource "azurerm_cognitive_deployment" "r1" {\n  name = "r1"\n'
        "  cognitive_account_id = azurerm_cognitive_account.f.id\n"
        '  model {\n    format  = "DeepSeek"\n    name    = "DeepSeek-R1"\n    version = "1"\n  }\n'
        '  sku {\n    name = "GlobalStandard"\n  }\n}\n',
        {("DeepSeek-R1", "hosted-api", 6)},
    ),
    (
        'resource "google_vertex_ai_endpoint_with_model_garden_deployment" "q" {\n'
        '  publisher_model_name = "publishers/qwen/models/qwen3@qwen3-32b"\n  location = "us-central1"\n}\n',
        {("qwen/qwen3", "hosted-api", 2)},
    ),
    (
        'variable "chat_model_id" {\n  type    = string\n  default = "us.deepseek.r1-v1:0"\n}\n',
        {("us.deepseek.r1-v1:0", "hosted-api", 3)},
    ),
]


@pytest.mark.parametrize(("src", "expected"), TF_CASES)
def test_terraform_table(cat: Catalog, src: str, expected: set[tuple[str, str, int]]) -> None:
    out = scan({"infra/main.tf": src}, cat)
    assert {(v, u, ln) for _, v, u, ln in _models(out)} == expected
    assert all(e.attributes.get("read_as") == "hcl" for e in out.evidence)


def test_terraform_issue_miss_becomes_a_hosted_bedrock_asset(cat: Catalog) -> None:
    """The issue's miss: copy_from = "arn:...:foundation-model/us.deepseek.r1-v1:0" in a .tf file. It is a
    DeepSeek model (producer CN) served by Amazon Bedrock (operator US), through a Bedrock service asset."""
    out = scan({"infra/main.tf": TF_ISSUE_MISS}, cat)
    assets = identify_evidence(out.evidence, cat)
    model = next(a for a in assets if a.kind == "ai-model")
    assert model.use_mode == "hosted-api"
    assert {p.id for p in model.provenance.producers} == {"deepseek"}
    assert model.provenance.service_operator is not None
    assert model.provenance.service_operator.id == "amazon"
    assert any(a.kind == "ai-service" and a.provenance.service_operator.id == "amazon" for a in assets)  # type: ignore[union-attr]


def test_terraform_azure_deployment_names_microsoft_as_operator(cat: Catalog) -> None:
    out = scan({"main.tf": TF_CASES[5][0]}, cat)
    model = next(a for a in identify_evidence(out.evidence, cat) if a.kind == "ai-model")
    assert model.provenance.service_operator is not None
    assert model.provenance.service_operator.id == "microsoft"


def test_terraform_json_and_tfvars(cat: Catalog) -> None:
    tfjson = (
        '{"resource": {"aws_bedrockagent_agent": {"a": {"agent_name": "a",\n'
        '  "foundation_model": "deepseek.v3-v1:0"}}}}\n'
    )
    tfvars = 'region = "eu-west-1"\nbedrock_model_id = "eu.deepseek.r1-v1:0"\n'
    out = scan({"main.tf.json": tfjson, "prod.tfvars": tfvars}, cat)
    assert {(p, v) for p, v, _, _ in _models(out)} == {
        ("main.tf.json", "deepseek.v3-v1:0"),
        ("prod.tfvars", "eu.deepseek.r1-v1:0"),
    }
    assert not [e for e in out.evidence if e.detector == "json-config"]  # one detector per .tf.json


def test_terraform_provider_endpoint_is_found(cat: Catalog) -> None:
    src = 'provider "openai" {\n  base_url = "https://api.deepseek.com/v1"\n  api_key = var.key\n}\n'
    out = scan({"providers.tf": src}, cat)
    assert ("endpoint", "api.deepseek.com") in _strong_prc(out)


def test_terraform_malformed_is_read_as_text_and_says_so(cat: Catalog) -> None:
    """An HCL file that does not parse is still read by the text pass (never a silent miss, never a
    'malformed' skip while the text pass ran); every evidence says how the file was read."""
    src = 'resource "aws_bedrockagent_agent" "a" {\n  base = "https://api.deepseek.com"\n'
    src += "  foundation_model = \n"
    out = scan({"broken.tf": src}, cat)
    assert ("endpoint", "api.deepseek.com") in _strong_prc(out)
    assert all(e.attributes["read_as"].startswith("text (HCL not parsed") for e in out.evidence)
    assert not out.skipped


def test_terraform_traps(cat: Catalog) -> None:
    """Real shapes that name a PRC model without using it: a commented-out resource, a description, a
    resource label and a tag, an unrelated Bedrock logging config; a variable reference is not resolved."""
    src = """\
# resource "aws_bedrockagent_agent" "old" {
#   foundation_model = "deepseek.r1-v1:0"
# }
variable "region" {
  description = "Region; DeepSeek-R1 is only offered in us-east-1 and us-west-2"
  default     = "us-east-1"
}
resource "aws_bedrock_model_invocation_logging_configuration" "deepseek_logs" {
  logging_config {
    text_data_delivery_enabled = true
  }
}
resource "aws_bedrockagent_agent" "qwen_helper" {
  agent_name       = "qwen-helper"
  foundation_model = var.model_id
  tags = { team = "deepseek-evaluation" }
}
"""
    out = scan({"main.tf": src}, cat)
    assert _strong_prc(out) == []


def test_terraform_prefilter_skips_files_without_keywords(cat: Catalog) -> None:
    out = scan({"vpc.tf": 'resource "aws_vpc" "main" {\n  cidr_block = "10.0.0.0/16"\n}\n'}, cat)
    assert out.files_parsed == 0


# ---- CloudFormation / SAM ------------------------------------------------------------------------------

CFN_YAML = """\
AWSTemplateFormatVersion: "2010-09-09"
Description: Agent on Bedrock (DeepSeek-R1 was evaluated and rejected)
Parameters:
  ModelId:
    Type: String
    Default: us.deepseek.r1-v1:0
  Stage:
    Type: String
    Default: qwen-test
Resources:
  Agent:
    Type: AWS::Bedrock::Agent
    Properties:
      AgentName: !Sub "${AWS::StackName}-agent"
      FoundationModel: !Sub "arn:aws:bedrock:${AWS::Region}::foundation-model/qwen.qwen3-32b-v1:0"
      AgentResourceRoleArn: !GetAtt Role.Arn
  Profile:
    Type: AWS::Bedrock::ApplicationInferenceProfile
    Properties:
      InferenceProfileName: p
      ModelSource:
        CopyFrom: !Ref ModelId
  Model:
    Type: AWS::SageMaker::Model
    Properties:
      PrimaryContainer:
        Image: 763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.1
        Environment:
          HF_MODEL_ID: deepseek-ai/DeepSeek-R1-Distill-Qwen-7B
"""


def test_cloudformation_yaml_table(cat: Catalog) -> None:
    out = scan({"template.yaml": CFN_YAML}, cat)
    assert {(v, u, ln) for _, v, u, ln in _models(out)} == {
        ("us.deepseek.r1-v1:0", "hosted-api", 6),
        ("qwen.qwen3-32b-v1:0", "hosted-api", 15),
        ("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "self-hosted", 29),
    }
    # the description is prose, the Stage default is not a model position
    assert not [e for e in out.evidence if e.strength != "C" and e.location.line in (2, 9)]


def test_cloudformation_json(cat: Catalog) -> None:
    src = (
        '{\n  "AWSTemplateFormatVersion": "2010-09-09",\n  "Resources": {\n    "Agent": {\n'
        '      "Type": "AWS::Bedrock::Agent",\n      "Properties": {\n'
        '        "FoundationModel": {"Fn::Sub":\n'
        '          "arn:aws:bedrock:${AWS::Region}::foundation-model/deepseek.r1-v1:0"}\n'
        "      }\n    }\n  }\n}\n"
    )
    out = scan({"stack.json": src}, cat)
    assert {(v, u, ln) for _, v, u, ln in _models(out)} == {("deepseek.r1-v1:0", "hosted-api", 8)}


def test_cloudformation_alias_bomb_is_bounded(cat: Catalog) -> None:
    """Aliases are visited once: a billion-laughs template composes and walks in bounded time."""
    lines = ["AWSTemplateFormatVersion: '2010-09-09'", "a0: &a0 [deepseek, deepseek]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 30)]
    lines += ["Resources:", "  X:", "    Type: AWS::Bedrock::Agent", "    Properties:", "      P: *a29"]
    out = scan({"bomb.yaml": "\n".join(lines) + "\n"}, cat)
    assert _strong_prc(out) == []


# ---- Bicep ---------------------------------------------------------------------------------------------

BICEP = """\
param location string = resourceGroup().location
param chatModel string = 'DeepSeek-V3-0324'
// resource old 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01' = { model: { name: 'Qwen3' } }
resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: 'foundry'
  location: location
  kind: 'AIServices'
  properties: { customSubDomainName: 'foundry-deepseek' }
}
resource r1 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01' = {
  parent: account
  name: 'deepseek-r1'
  sku: { name: 'GlobalStandard', capacity: 1 }
  properties: {
    model: {
      format: 'DeepSeek'
      name: 'DeepSeek-R1'
      version: '1'
    }
  }
}
"""


def test_bicep_table_and_traps(cat: Catalog) -> None:
    out = scan({"main.bicep": BICEP}, cat)
    assert {(v, u, ln) for _, v, u, ln in _models(out)} == {
        ("DeepSeek-V3-0324", "unknown", 2),
        ("DeepSeek-R1", "hosted-api", 17),
    }
    # the commented-out deployment, the subdomain and the deployment name are not uses
    assert not [e for e in out.evidence if e.strength != "C" and e.location.line in (3, 8, 12)]
    model = next(
        a for a in identify_evidence(out.evidence, cat) if a.kind == "ai-model" and a.use_mode == "hosted-api"
    )
    assert model.provenance.service_operator is not None
    assert model.provenance.service_operator.id == "microsoft"


# ---- Kubernetes / KServe / Helm ------------------------------------------------------------------------

K8S = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: qwen-chat
spec:
  predictor:
    model:
      modelFormat:
        name: huggingface
      args:
        - --model_id=Qwen/Qwen2.5-0.5B-Instruct
      storageUri: hf://Qwen/Qwen2.5-7B-Instruct
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: llm
spec:
  template:
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.8.0
          command: ["vllm", "serve", "deepseek-ai/DeepSeek-R1-Distill-Llama-8B"]
        - name: tgi
          image: ghcr.io/huggingface/text-generation-inference:3.0
          env:
            - name: HF_MODEL_ID
              value: zai-org/GLM-4-9B-0414
"""


def test_kubernetes_table(cat: Catalog) -> None:
    out = scan({"deploy/llm.yaml": K8S}, cat)
    assert {(v, u, ln) for _, v, u, ln in _models(out)} == {
        ("Qwen/Qwen2.5-0.5B-Instruct", "self-hosted", 11),
        ("Qwen/Qwen2.5-7B-Instruct", "self-hosted", 12),
        ("deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "self-hosted", 24),
        ("zai-org/GLM-4-9B-0414", "self-hosted", 29),
    }


def test_kubernetes_traps(cat: Catalog) -> None:
    """Apache Spark on Kubernetes (spark, step, yi as ordinary words) and an unrelated image."""
    src = """\
apiVersion: sparkoperator.k8s.io/v1beta2
kind: SparkApplication
metadata:
  name: spark-pi
spec:
  image: apache/spark:3.5.0
  mainClass: org.apache.spark.examples.SparkPi
  arguments: ["--step", "yi", "--model", "glm"]
  driver:
    env:
      - name: SPARK_MODEL_DIR
        value: /models/glm
"""
    out = scan({"k8s/spark.yaml": src}, cat)
    assert _strong_prc(out) == []


def test_helm_values_model_keys(cat: Catalog) -> None:
    src = "servingEngineSpec:\n  modelSpec:\n    - name: qwen\n      repository: vllm/vllm-openai\n"
    src += "      modelURL: Qwen/Qwen3-8B\n      replicaCount: 1\n"
    out = scan({"charts/stack/values.yaml": src}, cat)
    assert ("Qwen/Qwen3-8B", 5) in {(v, ln) for _, v, _, ln in _models(out)}


# ---- MCP client configurations -------------------------------------------------------------------------

MCP = """\
{
  "mcpServers": {
    "deepseek": {
      "command": "npx",
      "args": ["-y", "deepseek-mcp-server"],
      "env": {
        "DEEPSEEK_API_KEY": "sk-...",
        "DEEPSEEK_MODEL": "deepseek-reasoner"
      }
    },
    "qwen": {
      "url": "https://dashscope.aliyuncs.com/api/v1/mcps/WebSearch/sse"
    },
    "github": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"] }
  }
}
"""


@pytest.mark.parametrize("path", ["mcp.json", ".mcp.json", "claude_desktop_config.json", ".cursor/mcp.json"])
def test_mcp_table(cat: Catalog, path: str) -> None:
    out = scan({path: MCP}, cat)
    strong = {
        (e.kind, e.value, e.location.line, e.attributes.get("mcp_server"))
        for e in out.evidence
        if e.strength != "C"
    }
    assert strong == {
        ("env-key", "DEEPSEEK_API_KEY", 7, "deepseek"),
        ("model-ref", "deepseek-reasoner", 8, "deepseek"),
        ("endpoint", "dashscope.aliyuncs.com", 12, "qwen"),
    }
    for e in out.evidence:
        if e.strength != "C":
            assert e.excerpt.startswith(f'mcp server "{e.attributes["mcp_server"]}": ')
    ref = next(e for e in out.evidence if e.kind == "model-ref")
    assert ref.attributes["use_mode"] == "hosted-api"


def test_mcp_vscode_jsonc_and_server_name_trap(cat: Catalog) -> None:
    """VS Code's mcp.json allows comments and trailing commas; a server named "qwen" is a name, not a
    model."""
    src = """\
{
  // servers for this workspace
  "servers": {
    "qwen": {
      "type": "stdio",
      "command": "uvx",
      "args": ["some-search-server"],
      "env": { "DASHSCOPE_API_KEY": "${input:key}", },
    },
  },
}
"""
    out = scan({".vscode/mcp.json": src}, cat)
    strong = {(e.kind, e.value, e.attributes.get("mcp_server")) for e in out.evidence if e.strength != "C"}
    assert strong == {("env-key", "DASHSCOPE_API_KEY", "qwen")}


def test_mcp_non_prc_servers_give_no_prc_evidence(cat: Catalog) -> None:
    src = (
        '{"mcpServers": {"github": {"command": "npx",\n'
        '  "args": ["-y", "@modelcontextprotocol/server-github"],\n'
        '  "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "x"}},\n'
        ' "openai": {"command": "uvx", "args": ["openai-mcp"],\n'
        '  "env": {"OPENAI_API_KEY": "k", "OPENAI_MODEL": "gpt-4o"}}}}\n'
    )
    out = scan({"claude_desktop_config.json": src}, cat)
    assert _strong_prc(out) == []
