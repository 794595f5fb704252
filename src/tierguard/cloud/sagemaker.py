"""Amazon SageMaker exports -> deployments.

Read (AWS API reference, Amazon SageMaker; field names as the AWS CLI prints them):

- ``ListEndpoints`` ``Endpoints[]``: ``EndpointName``, ``EndpointArn``, ``EndpointStatus``;
- ``DescribeEndpoint``: ``EndpointName``, ``EndpointArn``, ``EndpointConfigName``, ``EndpointStatus``;
- ``DescribeEndpointConfig``: ``EndpointConfigName``, ``EndpointConfigArn``, ``ProductionVariants[]``
  (``VariantName``, ``ModelName``, ``InstanceType``);
- ``DescribeModel``: ``ModelName``, ``ModelArn``, ``PrimaryContainer`` / ``Containers[]`` (``Image``,
  ``ModelDataUrl``, ``ModelDataSource.S3DataSource.S3Uri``, ``ModelPackageName``, ``Environment``).

The model a container serves is named by its environment (``HF_MODEL_ID`` for the Hugging Face TGI/TEI and
DJL LMI containers, ``OPTION_MODEL_ID`` for DJL, ``MODEL_ID`` and other ``*_MODEL_ID`` keys): strength A.
Without one (weights in S3), the S3 path and then the SageMaker model's own name are tried: strength B.
An endpoint is joined to its models through its endpoint config (``describe-endpoint`` names it; without
one, a config of the same name, the SageMaker Python SDK's default, is used and the excerpt says so). A
model no endpoint in the export serves is still listed (it can serve batch transforms); an endpoint whose
models are not in the export is skipped as ``incomplete`` (what it serves is unknown).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tierguard.cloud.jsonio import Document, arr, obj, text
from tierguard.cloud.records import (
    Deployment,
    Issues,
    capped,
    looks_like_model_id,
    parse_arn,
    path_names,
)

# environment keys naming the model a serving container loads, most specific first
_ENV_KEYS = ("HF_MODEL_ID", "OPTION_MODEL_ID", "MODEL_ID", "HUGGING_FACE_HUB_MODEL_ID", "HF_MODEL")


@dataclass(slots=True)
class _Endpoint:
    name: str
    arn: str
    path: str
    line: int
    config: str | None = None
    status: str | None = None


@dataclass(slots=True)
class _Config:
    name: str
    variants: list[tuple[str, str | None, str | None]]  # (variant, model name, instance type)
    path: str
    line: int


@dataclass(slots=True)
class _Container:
    model_id: str | None  # from the environment
    key: str | None  # the environment key that named it
    image: str | None
    data: tuple[str, ...]  # model data URIs and the model package
    line: int = 0  # where the model id is written


@dataclass(slots=True)
class _Model:
    name: str
    arn: str
    containers: list[_Container]
    path: str
    line: int


@dataclass(slots=True)
class SageMakerState:
    endpoints: dict[str, _Endpoint] = field(default_factory=dict)
    configs: dict[str, _Config] = field(default_factory=dict)
    models: dict[str, _Model] = field(default_factory=dict)

    def add(self, fmt: str, doc: Document, path: str, issues: Issues) -> None:
        data = doc.data
        if not isinstance(data, dict):
            issues.bad(path, 1, fmt, "not a JSON object")
            return
        if fmt == "aws-sagemaker-endpoints":
            records = data.get("Endpoints")
            if not isinstance(records, list):
                issues.bad(path, 1, fmt, "Endpoints is not an array")
                return
            if data.get("NextToken"):
                issues.skip(
                    path, "incomplete", f"{fmt}: the export ends with a NextToken: later pages missing"
                )
            for i, rec in enumerate(capped(records, path, issues)):
                if not isinstance(rec, dict):
                    issues.bad(path, 1, fmt, f"Endpoints[{i}] is not an object")
                else:
                    self._endpoint(rec, doc, path, fmt, issues)
        elif fmt == "aws-sagemaker-endpoint":
            self._endpoint(data, doc, path, fmt, issues)
        elif fmt == "aws-sagemaker-endpoint-config":
            self._config(data, doc, path, fmt, issues)
        else:
            self._model(data, doc, path, fmt, issues)

    def _endpoint(self, rec: dict[str, Any], doc: Document, path: str, fmt: str, issues: Issues) -> None:
        name, arn = text(rec.get("EndpointName"), 256), text(rec.get("EndpointArn"))
        line = doc.line_of(arn or name)
        if name is None or parse_arn(arn) is None or arn is None:
            issues.bad(path, line, fmt, "EndpointName or EndpointArn is missing or not an ARN")
            return
        prev = self.endpoints.get(name)
        got = _Endpoint(name, arn, path, line, text(rec.get("EndpointConfigName"), 256))
        got.status = text(rec.get("EndpointStatus"), 64)
        if prev is not None and fmt == "aws-sagemaker-endpoints":
            return  # describe-endpoint (which names the config) was read first: keep it
        self.endpoints[name] = got

    def _config(self, rec: dict[str, Any], doc: Document, path: str, fmt: str, issues: Issues) -> None:
        name = text(rec.get("EndpointConfigName"), 256)
        line = doc.line_of(text(rec.get("EndpointConfigArn")) or name)
        variants = rec.get("ProductionVariants")
        if name is None or not isinstance(variants, list):
            issues.bad(path, line, fmt, "EndpointConfigName or ProductionVariants is missing")
            return
        out = []
        for v in variants[:1000]:
            v = obj(v)
            out.append(
                (
                    text(v.get("VariantName"), 256) or "",
                    text(v.get("ModelName"), 256),
                    text(v.get("InstanceType"), 64),
                )
            )
        self.configs[name] = _Config(name, out, path, line)

    def _model(self, rec: dict[str, Any], doc: Document, path: str, fmt: str, issues: Issues) -> None:
        name, arn = text(rec.get("ModelName"), 256), text(rec.get("ModelArn"))
        line = doc.line_of(arn or name)
        if name is None or arn is None or parse_arn(arn) is None:
            issues.bad(path, line, fmt, "ModelName or ModelArn is missing or not an ARN")
            return
        raw = [rec["PrimaryContainer"]] if isinstance(rec.get("PrimaryContainer"), dict) else []
        raw += [c for c in arr(rec.get("Containers"))[:100] if isinstance(c, dict)]
        if not raw:
            issues.bad(path, line, fmt, f"model {name!r} has no PrimaryContainer or Containers")
            return
        containers = [_container(c) for c in raw]
        for c in containers:
            c.line = doc.first_line(c.model_id, line)
        self.models[name] = _Model(name, arn, containers, path, line)

    def deployments(self, issues: Issues) -> list[Deployment]:
        served: dict[str, list[tuple[_Endpoint, str, str | None, bool]]] = {}
        for ep in self.endpoints.values():
            config = self.configs.get(ep.config) if ep.config else None
            assumed = False
            if config is None and ep.config is None and ep.name in self.configs:
                config, assumed = self.configs[ep.name], True
            if config is None:
                why = f"config {ep.config!r} not in the export" if ep.config else "no describe-endpoint"
                issues.skip(
                    ep.path,
                    "incomplete",
                    f"SageMaker endpoint {ep.name}: {why}; the model it serves "
                    "is unknown (export describe-endpoint, describe-endpoint-config, describe-model)",
                )
                continue
            names = [(variant, model, itype) for variant, model, itype in config.variants if model]
            if not names:
                issues.skip(
                    ep.path,
                    "incomplete",
                    f"SageMaker endpoint {ep.name}: its variants name no model "
                    "(inference components are not read)",
                )
            for variant, model, itype in names:
                if model is None:
                    continue
                if model not in self.models:
                    issues.skip(
                        ep.path,
                        "incomplete",
                        f"SageMaker endpoint {ep.name}: model {model!r} has no "
                        "describe-model export; what it serves is unknown",
                    )
                    continue
                served.setdefault(model, []).append((ep, variant, itype, assumed))
        out: list[Deployment] = []
        for m in self.models.values():
            uses: list[tuple[_Endpoint, str, str | None, bool] | None] = [*served.get(m.name, [])] or [None]
            for use in uses:
                out += _model_deployments(m, use)
        return out


def _container(c: dict[str, Any]) -> _Container:
    env = {str(k).upper(): v for k, v in list(obj(c.get("Environment")).items())[:500]}
    model_id: str | None = None
    key: str | None = None
    keys = list(_ENV_KEYS) + sorted(k for k in env if k.endswith(("_MODEL_ID", "_MODEL_NAME")))
    for k in keys:
        v = text(env.get(k), 256)
        if v and looks_like_model_id(v):
            model_id, key = v, k
            break
    data = [
        text(c.get("ModelDataUrl")),
        text(obj(obj(c.get("ModelDataSource")).get("S3DataSource")).get("S3Uri")),
    ]
    data += [text(env.get(k)) for k in keys if (text(env.get(k)) or "").startswith("s3://")]
    pkg = text(c.get("ModelPackageName"))
    if pkg:
        data.append(pkg.split(":", 5)[-1].replace("model-package/", "s3://package/"))
    return _Container(model_id, key, text(c.get("Image"), 512), tuple(d for d in data if d))


def _model_deployments(m: _Model, use: tuple[_Endpoint, str, str | None, bool] | None) -> list[Deployment]:
    out: list[Deployment] = []
    seen: set[str] = set()
    for c in m.containers:
        alternates = tuple(n for d in c.data for n in path_names(d))
        written, strength = (c.model_id, "A") if c.model_id else (m.name, "B")
        if written.lower() in seen:
            continue
        seen.add(written.lower())
        details = [("model_name", m.name), ("model_arn", m.arn)]
        details += [(k, v) for k, v in (("env", c.key), ("image", c.image)) if v]
        details += [("model_data", d) for d in c.data[:2]]
        if use is not None:
            ep, variant, itype, assumed = use
            resource, what = ep.arn, "endpoint"
            details = [("endpoint", ep.name), ("variant", variant), *details]
            details += [(k, v) for k, v in (("instance_type", itype), ("status", ep.status)) if v]
            if assumed:
                details.append(("config", "assumed: the endpoint config of the same name"))
        else:
            resource, what = m.arn, "model (no endpoint in the export)"
        arn = parse_arn(resource)
        out.append(
            Deployment(
                service="sagemaker",
                written=written,
                resource=resource,
                what=what,
                path=m.path,  # where the model id is written (describe-model)
                line=c.line or m.line,
                fmt="aws-sagemaker-model",
                strength="A" if strength == "A" else "B",
                account=arn.account if arn is not None and arn.account else None,
                region=arn.region if arn is not None and arn.region else None,
                china=arn.china if arn is not None else False,
                alternates=alternates,
                details=tuple(details),
            )
        )
    return out
