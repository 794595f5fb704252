"""Which cloud AI export a file is, by content (its first bytes): the JSON the AWS CLI, ``az`` and ``gcloud``
print, or the REST responses they wrap. The file name never decides.

Formats (what :func:`sniff` returns):

- ``aws-bedrock-models``: ``aws bedrock list-custom-models`` / ``list-imported-models`` /
  ``list-foundation-models`` (``{"modelSummaries": [...]}``; each record is told apart by its ARN), or one
  ``get-imported-model`` / ``get-custom-model`` object (``modelArn`` with ``modelName``).
- ``aws-bedrock-inference-profiles``: ``list-inference-profiles`` (``inferenceProfileSummaries``) or one
  ``get-inference-profile`` object.
- ``aws-bedrock-provisioned``: ``list-provisioned-model-throughputs`` (``provisionedModelSummaries``) or one
  ``get-provisioned-model-throughput`` object.
- ``aws-sagemaker-endpoints``: ``aws sagemaker list-endpoints`` (``Endpoints``).
- ``aws-sagemaker-endpoint``: ``describe-endpoint``; ``aws-sagemaker-endpoint-config``:
  ``describe-endpoint-config``; ``aws-sagemaker-model``: ``describe-model``.
- ``azure-deployments``: ``az cognitiveservices account deployment list`` (or ``show``, or the REST
  ``{"value": [...]}``); ``azure-accounts``: ``az cognitiveservices account list`` (location, kind, endpoint).
- ``gcp-vertex-endpoints``: ``gcloud ai endpoints list --format=json`` (or ``describe``, or REST
  ``{"endpoints": [...]}``); ``gcp-vertex-models``: ``gcloud ai models list`` (or ``describe``, REST
  ``{"models": [...]}``).
- ``tierguard-aws-collect``: what ``tierguard cloud aws`` could not collect (calls refused, regions without
  the service), written beside the responses it collected.
"""

from __future__ import annotations

import re

HEAD = 64 * 1024

FORMATS = (
    "aws-bedrock-models",
    "aws-bedrock-inference-profiles",
    "aws-bedrock-provisioned",
    "aws-sagemaker-endpoints",
    "aws-sagemaker-endpoint",
    "aws-sagemaker-endpoint-config",
    "aws-sagemaker-model",
    "azure-deployments",
    "azure-accounts",
    "gcp-vertex-endpoints",
    "gcp-vertex-models",
    "tierguard-aws-collect",
)


def _key(name: str) -> re.Pattern[bytes]:
    """A JSON object key (a quoted name followed by a colon, so the name as a string value does not count)."""
    return re.compile(rb'"' + name.encode() + rb'"\s*:')


_KEY_RULES: tuple[tuple[str, tuple[re.Pattern[bytes], ...], bytes | None], ...] = (
    # (format, keys that must all be present, a marker one record carries; None: none needed)
    ("tierguard-aws-collect", (_key("tierguardAwsCollect"),), None),
    ("aws-bedrock-inference-profiles", (_key("inferenceProfileSummaries"),), b":bedrock:"),
    (
        "aws-bedrock-inference-profiles",
        (_key("inferenceProfileArn"), _key("inferenceProfileId")),
        b":bedrock:",
    ),
    ("aws-bedrock-provisioned", (_key("provisionedModelSummaries"),), b":bedrock:"),
    ("aws-bedrock-provisioned", (_key("provisionedModelArn"), _key("foundationModelArn")), b":bedrock:"),
    ("aws-bedrock-models", (_key("modelSummaries"),), b":bedrock:"),
    ("aws-bedrock-models", (_key("modelArn"), _key("modelName")), b":bedrock:"),
    (
        "aws-sagemaker-endpoint-config",
        (_key("EndpointConfigArn"), _key("ProductionVariants")),
        b":sagemaker:",
    ),
    ("aws-sagemaker-endpoint", (_key("EndpointName"), _key("EndpointArn"), _key("EndpointConfigName")), None),
    ("aws-sagemaker-endpoints", (_key("Endpoints"),), b":sagemaker:"),
    ("aws-sagemaker-model", (_key("ModelName"), _key("ModelArn")), b":sagemaker:"),
)
# an empty list export (no records, so no ARN marker): the list key opening an empty array
_EMPTY = re.compile(
    rb'^\{\s*"(?:modelSummaries|inferenceProfileSummaries|provisionedModelSummaries|Endpoints)"\s*:\s*\[\s*\]'
)
_EMPTY_FORMAT = {
    b"modelSummaries": "aws-bedrock-models",
    b"inferenceProfileSummaries": "aws-bedrock-inference-profiles",
    b"provisionedModelSummaries": "aws-bedrock-provisioned",
    b"Endpoints": "aws-sagemaker-endpoints",
}
# the resource type (az prints keys sorted, so ``type`` ends each record) or the resource id (``id`` early)
_AZURE_DEPLOYMENT = re.compile(
    rb'"type"\s*:\s*"Microsoft\.CognitiveServices/accounts/deployments"'
    rb'|"id"\s*:\s*"/subscriptions/[^"/]+/resourceGroups/[^"/]+/providers/Microsoft\.CognitiveServices/'
    rb'accounts/[^"/]+/deployments/[^"/]+"',
    re.I,
)
_AZURE_ACCOUNT = re.compile(
    rb'"type"\s*:\s*"Microsoft\.CognitiveServices/accounts"'
    rb'|"id"\s*:\s*"/subscriptions/[^"/]+/resourceGroups/[^"/]+/providers/Microsoft\.CognitiveServices/'
    rb'accounts/[^"/]+"',
    re.I,
)
_GCP = re.compile(rb'"name"\s*:\s*"projects/[^"/]+/locations/[^"/]+/(endpoints|models)/[^"]+"')


def sniff(head: bytes, name: str = "") -> str | None:
    """The format id (one of :data:`FORMATS`) of a cloud AI export from its first bytes, or None."""
    data = head[:HEAD].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not data.startswith((b"{", b"[")):
        return None
    for fmt, keys, marker in _KEY_RULES:
        if (marker is None or marker in data) and all(k.search(data) for k in keys):
            return fmt
    empty = _EMPTY.match(data)
    if empty is not None:
        return _EMPTY_FORMAT[empty.group(0).split(b'"')[1]]
    if _AZURE_DEPLOYMENT.search(data):
        return "azure-deployments"
    if _AZURE_ACCOUNT.search(data):
        return "azure-accounts"
    m = _GCP.search(data)
    if m is not None:
        return "gcp-vertex-endpoints" if m.group(1) == b"endpoints" else "gcp-vertex-models"
    return None
