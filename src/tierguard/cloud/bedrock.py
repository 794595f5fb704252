"""Amazon Bedrock exports -> deployments.

Read (AWS API reference, Amazon Bedrock; field names as the AWS CLI prints them):

- ``ListCustomModels`` ``modelSummaries[]``: ``modelArn``, ``modelName``, ``baseModelArn``,
  ``customizationType``, ``modelStatus`` -> a *custom model* (a fine-tune of ``baseModelArn``'s model);
- ``ListImportedModels`` ``modelSummaries[]`` / ``GetImportedModel``: ``modelArn``, ``modelName``,
  ``modelArchitecture``, ``modelDataSource.s3DataSource.s3Uri`` -> an *imported model* (weights the account
  brought; its identity is the name the user chose or its S3 path, so the match is strength B);
- ``ListFoundationModels`` ``modelSummaries[]``: ``modelId``, ``providerName`` -> no deployment (the region's
  offer, not the account's use): the provider of a model id named elsewhere;
- ``ListInferenceProfiles`` ``inferenceProfileSummaries[]``: ``type`` ``APPLICATION`` (created by the
  account: a deployment of each model in ``models[].modelArn``) or ``SYSTEM_DEFINED`` (Bedrock's cross-region
  profiles such as ``us.deepseek.r1-v1:0``, listed in every account of the region: counted in a note, not a
  use);
- ``ListProvisionedModelThroughputs`` ``provisionedModelSummaries[]``: ``provisionedModelArn``,
  ``modelArn``, ``foundationModelArn``, ``status`` -> a deployment of the model it serves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tierguard.cloud.jsonio import Document, arr, obj, text
from tierguard.cloud.records import Arn, Deployment, Issues, capped, parse_arn, path_names

_LIST_KEYS = {
    "aws-bedrock-models": "modelSummaries",
    "aws-bedrock-inference-profiles": "inferenceProfileSummaries",
    "aws-bedrock-provisioned": "provisionedModelSummaries",
}


@dataclass(slots=True)
class _Model:
    arn: Arn
    arn_text: str
    kind: str  # custom-model, imported-model, foundation-model
    name: str
    path: str
    line: int
    base_arn: str | None = None
    architecture: str | None = None
    data_uri: str | None = None
    status: str | None = None
    customization: str | None = None


@dataclass(slots=True)
class _Use:
    """An inference profile or a provisioned throughput: a deployment of the models it names."""

    arn: Arn
    arn_text: str
    name: str
    what: str
    models: list[str]
    path: str
    line: int
    fmt: str
    base_arn: str | None = None
    status: str | None = None


def model_id(arn: str) -> str | None:
    """The model id in a Bedrock model ARN: ``foundation-model/deepseek.r1-v1:0`` -> ``deepseek.r1-v1:0``;
    ``custom-model/meta.llama3-1-8b-instruct-v1:0:128k/abc123`` -> ``meta.llama3-1-8b-instruct-v1:0:128k``
    (the base the custom model was made from); ``inference-profile/us.deepseek.r1-v1:0`` -> the profile id."""
    a = parse_arn(arn)
    if a is None:
        return None
    kind, _, rest = a.resource.partition("/")
    if kind == "custom-model" and "/" in rest:
        rest = rest.rsplit("/", 1)[0]
    if rest.count(":") == 2:  # a context-window variant (``...-v1:0:128k``) names the same model
        rest = rest.rsplit(":", 1)[0]
    return rest or None


@dataclass(slots=True)
class BedrockState:
    models: dict[str, _Model] = field(default_factory=dict)
    providers: dict[str, str] = field(default_factory=dict)  # foundation model id -> providerName
    uses: list[_Use] = field(default_factory=list)
    system_profiles: list[str] = field(default_factory=list)

    def add(self, fmt: str, doc: Document, path: str, issues: Issues) -> None:
        data = doc.data
        key = _LIST_KEYS[fmt]
        if isinstance(data, dict) and key in data:
            records = data[key]
            if not isinstance(records, list):
                issues.bad(path, doc.line_of(key), fmt, f"{key} is not an array")
                return
            _next_token(data, path, fmt, issues)
        elif isinstance(data, dict):
            records = [data]  # one get-* object
        else:
            issues.bad(path, 1, fmt, "not a JSON object")
            return
        for i, rec in enumerate(capped(records, path, issues)):
            if not isinstance(rec, dict):
                issues.bad(path, 1, fmt, f"{key}[{i}] is not an object")
            elif fmt == "aws-bedrock-models":
                self._model(rec, doc, path, fmt, issues)
            elif fmt == "aws-bedrock-inference-profiles":
                self._profile(rec, doc, path, fmt, issues)
            else:
                self._provisioned(rec, doc, path, fmt, issues)

    def _model(self, rec: dict[str, Any], doc: Document, path: str, fmt: str, issues: Issues) -> None:
        arn_text = text(rec.get("modelArn"))
        line = doc.line_of(arn_text or text(rec.get("modelId")))
        arn = parse_arn(arn_text)
        if arn is None or arn_text is None or arn.service != "bedrock":
            issues.bad(path, line, fmt, "modelArn is missing or not a Bedrock ARN")
            return
        kind = arn.resource.partition("/")[0]
        if kind == "foundation-model":
            mid = text(rec.get("modelId")) or model_id(arn_text)
            provider = text(rec.get("providerName"))
            if mid and provider:
                self.providers[mid.lower()] = provider
            return
        name = text(rec.get("modelName"), 256)
        if kind not in ("custom-model", "imported-model") or name is None:
            issues.bad(path, line, fmt, f"not a custom or imported model ARN, or no modelName: {arn_text}")
            return
        got = _Model(arn, arn_text, kind, name, path, line)
        got.base_arn = text(rec.get("baseModelArn"))
        got.architecture = text(rec.get("modelArchitecture"), 128)
        got.data_uri = text(obj(obj(rec.get("modelDataSource")).get("s3DataSource")).get("s3Uri"))
        got.status = text(rec.get("modelStatus"), 64)
        got.customization = text(rec.get("customizationType"), 64)
        prev = self.models.get(arn_text)
        if prev is not None:  # the list and a get-* of the same model: keep the richer record
            for f in ("base_arn", "architecture", "data_uri", "status", "customization"):
                if getattr(got, f) is None:
                    setattr(got, f, getattr(prev, f))
        self.models[arn_text] = got

    def _profile(self, rec: dict[str, Any], doc: Document, path: str, fmt: str, issues: Issues) -> None:
        arn_text = text(rec.get("inferenceProfileArn"))
        line = doc.line_of(arn_text)
        arn = parse_arn(arn_text)
        if arn is None or arn_text is None:
            issues.bad(path, line, fmt, "inferenceProfileArn is missing or not an ARN")
            return
        kind = text(rec.get("type"), 64) or (
            "APPLICATION" if arn.resource.startswith("application-inference-profile/") else "SYSTEM_DEFINED"
        )
        name = text(rec.get("inferenceProfileName"), 256) or text(rec.get("inferenceProfileId"), 256) or ""
        if kind.upper() != "APPLICATION":
            self.system_profiles.append(text(rec.get("inferenceProfileId"), 256) or arn_text)
            return
        models = [m for m in (text(obj(x).get("modelArn")) for x in arr(rec.get("models"))) if m]
        if not models:
            issues.bad(path, line, fmt, f"application inference profile {name!r} names no model")
            return
        what = "application inference profile"
        status = text(rec.get("status"), 64)
        self.uses.append(_Use(arn, arn_text, name, what, models, path, line, fmt, status=status))

    def _provisioned(self, rec: dict[str, Any], doc: Document, path: str, fmt: str, issues: Issues) -> None:
        arn_text = text(rec.get("provisionedModelArn"))
        line = doc.line_of(arn_text)
        arn = parse_arn(arn_text)
        model = text(rec.get("modelArn")) or text(rec.get("desiredModelArn"))
        if arn is None or arn_text is None or model is None:
            issues.bad(path, line, fmt, "provisionedModelArn or modelArn is missing or not an ARN")
            return
        name = text(rec.get("provisionedModelName"), 256) or ""
        base = text(rec.get("foundationModelArn"))
        status = text(rec.get("status"), 64)
        what = "provisioned throughput"
        self.uses.append(_Use(arn, arn_text, name, what, [model], path, line, fmt, base, status))

    def deployments(self, issues: Issues) -> list[Deployment]:
        out = [self._held(m) for m in self.models.values()]
        for use in self.uses:
            out += self._served(use)
        if self.system_profiles:
            shown = ", ".join(sorted(set(self.system_profiles))[:8])
            issues.notes.append(
                f"cloud: {len(self.system_profiles)} system-defined Bedrock inference profiles ({shown}"
                f"{' ...' if len(set(self.system_profiles)) > 8 else ''}) are offered in every account of "
                "their region: listed, not counted as this account's use"
            )
        if self.providers:
            issues.notes.append(
                f"cloud: {len(self.providers)} Bedrock foundation models offered (list-foundation-models): "
                "used to name providers, not counted as this account's use"
            )
        return out

    def _held(self, m: _Model) -> Deployment:
        """A custom or imported model in the account."""
        details = [("arn", m.arn_text)]
        details += [(k, v) for k, v in (("status", m.status), ("architecture", m.architecture)) if v]
        details += [(k, v) for k, v in (("customization", m.customization), ("model_data", m.data_uri)) if v]
        if m.kind == "custom-model":
            base = model_id(m.base_arn) if m.base_arn else model_id(m.arn_text)
            if m.base_arn:
                details.append(("base_model_arn", m.base_arn))
            return self._deployment(m, m.name, "custom model", "A", base=base, details=details)
        alternates = path_names(m.data_uri)
        return self._deployment(m, m.name, "imported model", "B", alternates=alternates, details=details)

    def _deployment(
        self,
        m: _Model,
        written: str,
        what: str,
        strength: str,
        *,
        base: str | None = None,
        alternates: tuple[str, ...] = (),
        details: list[tuple[str, str]],
    ) -> Deployment:
        return Deployment(
            service="bedrock",
            written=written,
            resource=m.arn_text,
            what=what,
            path=m.path,
            line=m.line,
            fmt="aws-bedrock-models",
            strength="A" if strength == "A" else "B",
            account=m.arn.account or None,
            region=m.arn.region or None,
            china=m.arn.china,
            router="bedrock" if base else None,
            base=base,
            alternates=alternates,
            details=tuple(details),
        )

    def _served(self, use: _Use) -> list[Deployment]:
        out: list[Deployment] = []
        seen: set[str] = set()
        regions = sorted({a.region for a in (parse_arn(m) for m in use.models) if a is not None and a.region})
        for model_arn in use.models:
            held = self.models.get(model_arn)
            custom = model_arn.split(":", 5)[-1].startswith("custom-model/")
            if held is not None:
                written: str | None = held.name
            elif custom:  # a custom model not in the export: named by its id, never by its base's
                written = "bedrock-custom-model/" + model_arn.rsplit("/", 1)[-1]
            else:
                written = model_id(model_arn)
            if written is None or written.lower() in seen:
                continue
            seen.add(written.lower())
            details = [("arn", use.arn_text), ("name", use.name)]
            details += [(k, v) for k, v in (("regions", ", ".join(regions)), ("status", use.status)) if v]
            details.append(("model_arn", model_arn))
            base: str | None = None
            if held is not None and held.kind == "custom-model":
                base = model_id(held.base_arn or held.arn_text)
            elif custom:
                base = model_id(use.base_arn) if use.base_arn else model_id(model_arn)
            out.append(
                Deployment(
                    service="bedrock",
                    written=written,
                    resource=use.arn_text,
                    what=use.what,
                    path=use.path,
                    line=use.line,
                    fmt=use.fmt,
                    strength="B" if held is not None and held.kind == "imported-model" else "A",
                    account=use.arn.account or None,
                    region=use.arn.region or None,
                    china=use.arn.china,
                    router="bedrock",
                    base=base,
                    producer_hint=self.providers.get(written.lower()),
                    alternates=path_names(held.data_uri) if held is not None else (),
                    details=tuple(details),
                )
            )
        return out


def _next_token(data: dict[str, Any], path: str, fmt: str, issues: Issues) -> None:
    token = data.get("nextToken") or data.get("NextToken")
    if token:
        issues.skip(
            path, "incomplete", f"{fmt}: the export ends with a nextToken: later pages were not exported"
        )
