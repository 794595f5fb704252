"""Live, read-only AWS inventory: Bedrock and SageMaker responses collected with boto3 and written as the AWS
CLI prints them, so :func:`tierguard.cloud.read_cloud` reads them exactly like exported JSON.

Only ``List*``, ``Describe*`` and ``Get*`` operations are called. This is enforced on every client: a
``before-parameter-build`` hook records each operation's name before any request is built and raises
:class:`ReadOnlyViolation` for any other (so a programming error cannot mutate an account). The calls, per
region (IAM actions in docs/cloud.md):

- ``sts:GetCallerIdentity`` (the account, for the notes; needs no permission);
- ``bedrock:ListCustomModels``, ``ListImportedModels`` then ``GetImportedModel`` for each (its S3 source),
  ``ListInferenceProfiles`` (``typeEquals=APPLICATION``: the profiles the account created),
  ``ListProvisionedModelThroughputs``, ``ListFoundationModels`` (provider names);
- ``sagemaker:ListEndpoints``, then ``DescribeEndpoint``, ``DescribeEndpointConfig`` and ``DescribeModel``
  for what each endpoint serves.

Paginated operations are followed to the end (boto3 paginators) up to ``max_pages`` pages; a refused call
(``AccessDenied``...) or a page limit reached is written to ``tierguard-collect.json`` and becomes a
``Skipped`` entry (``permission-denied`` / ``incomplete``) in the result; a service not offered in a region
is a note. boto3 is an optional dependency (``pip install 'tierguard[aws]'``); credentials are boto3's
business (profiles, environment, instance roles): tierguard never reads or stores them.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from tierguard.errors import TargetError, TierguardError

READ_ONLY_PREFIXES = ("List", "Describe", "Get")
MAX_PAGES = 100  # pages followed per list operation
MAX_DESCRIBE = 1_000  # describe/get calls per kind and region
COLLECT_LOG = "tierguard-collect.json"
_DENIED = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException",
     "AuthorizationError", "ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId",
     "UnrecognizedClientException"}
)  # fmt: skip
_NOT_OFFERED = frozenset({"UnknownOperationException"})  # an API not offered in the region
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")

ClientFactory = Callable[[str, str | None], Any]
"""(service, region) -> a boto3 client (tests pass moto or botocore Stubber clients)."""


class ReadOnlyViolation(TierguardError):
    """An operation that is not List*/Describe*/Get* was about to be called."""


@dataclass(slots=True)
class CollectResult:
    out_dir: Path
    account: str | None = None
    regions: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)  # "service:Operation", in call order
    errors: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files: int = 0


def _boto3() -> Any:
    try:
        return importlib.import_module("boto3")
    except ImportError:
        raise TierguardError(
            "tierguard cloud aws needs boto3: pip install 'tierguard[aws]' (or read exported JSON with "
            "tierguard scan DIR)"
        ) from None


def guard(client: Any, service: str, calls: list[str]) -> Any:
    """Make ``client`` read-only: every operation is recorded in ``calls`` and refused unless it is
    ``List*``, ``Describe*`` or ``Get*``. Returns the client."""

    def check(model: Any = None, **_: Any) -> None:
        name = str(getattr(model, "name", ""))
        calls.append(f"{service}:{name}")
        if not name.startswith(READ_ONLY_PREFIXES):
            raise ReadOnlyViolation(f"refused {service}:{name}: tierguard only calls List*, Describe*, Get*")

    client.meta.events.register_first("before-parameter-build", check)
    return client


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


@dataclass(slots=True)
class _Collector:
    out_dir: Path
    factory: ClientFactory
    result: CollectResult
    max_pages: int = MAX_PAGES
    max_describe: int = MAX_DESCRIBE
    offered: Callable[[str, str], bool] = lambda service, region: True
    _clients: dict[tuple[str, str | None], Any] = field(default_factory=dict)
    _names: set[str] = field(default_factory=set)

    def client(self, service: str, region: str | None) -> Any:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = guard(self.factory(service, region), service, self.result.calls)
        return self._clients[key]

    def write(self, region: str, name: str, body: dict[str, Any]) -> None:
        base = _SAFE.sub("_", name)[:120]
        fname, n = base, 1
        while f"{region}/{fname}" in self._names:
            n += 1
            fname = f"{base}-{n}"
        self._names.add(f"{region}/{fname}")
        path = self.out_dir / _SAFE.sub("_", region) / f"{fname}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        body = {k: v for k, v in body.items() if k != "ResponseMetadata"}
        path.write_text(json.dumps(body, indent=2, default=_jsonable, ensure_ascii=False) + "\n", "utf-8")
        self.result.files += 1

    def error(self, service: str, region: str, op: str, reason: str, detail: str) -> None:
        self.result.errors.append(
            {"service": service, "region": region, "operation": op, "reason": reason, "detail": detail[:500]}
        )

    def call(self, service: str, region: str, op: str, **kwargs: Any) -> dict[str, Any] | None:
        """One call; None when it failed (recorded). Raises _NotOffered when the service is not offered."""
        client = self.client(service, region)
        try:
            got: dict[str, Any] = getattr(client, _snake(op))(**kwargs)
            return got
        except ReadOnlyViolation:
            raise
        except Exception as exc:  # botocore errors: classified, recorded, never a crash
            self._failed(service, region, op, exc)
            return None

    def pages(self, service: str, region: str, op: str, key: str, **kwargs: Any) -> list[Any] | None:
        """Every item of a list operation, followed across pages (a boto3 paginator, else the ``nextToken`` /
        ``NextToken`` the response carries) up to ``max_pages``; None when a call failed (recorded)."""
        client = self.client(service, region)
        method = _snake(op)
        items: list[Any] = []
        try:
            if client.can_paginate(method):
                pages: Iterator[dict[str, Any]] = iter(client.get_paginator(method).paginate(**kwargs))
            else:
                pages = self._token_pages(client, method, kwargs)
            for i, page in enumerate(pages):
                items += page.get(key) or []
                if i + 1 >= self.max_pages and _token(page)[1]:
                    self.error(service, region, op, "incomplete", f"stopped after {self.max_pages} pages")
                    break
        except ReadOnlyViolation:
            raise
        except Exception as exc:
            self._failed(service, region, op, exc)
            return None
        return items

    def _token_pages(self, client: Any, method: str, kwargs: dict[str, Any]) -> Iterator[dict[str, Any]]:
        args = dict(kwargs)
        while True:
            page: dict[str, Any] = getattr(client, method)(**args)
            yield page
            name, token = _token(page)
            if not token:
                return
            args[name] = token

    def _failed(self, service: str, region: str, op: str, exc: Exception) -> None:
        response = getattr(exc, "response", None)
        code = str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""
        kind = type(exc).__name__
        if code in _NOT_OFFERED:
            raise _NotOffered(f"{service}: {op} is not offered in {region} ({code})")
        if kind in ("EndpointConnectionError", "UnknownEndpointError") and not self.offered(service, region):
            # unreachable where botocore's endpoint data does not list the service: not offered there (where
            # it is listed, an unreachable endpoint is a gap, recorded below)
            raise _NotOffered(f"{service} is not offered in {region} ({kind})")
        if kind in ("NoCredentialsError", "PartialCredentialsError", "ProfileNotFound", "NoRegionError"):
            raise TierguardError(f"AWS: {exc}") from None
        reason = "permission-denied" if code in _DENIED else "unreadable"
        self.error(service, region, op, reason, f"{code or kind}: {exc}")


class _NotOffered(Exception):
    pass


def _token(page: dict[str, Any]) -> tuple[str, str]:
    """The next-page token a response carries, with its name (``nextToken`` or ``NextToken``)."""
    for name in ("nextToken", "NextToken"):
        value = page.get(name)
        if isinstance(value, str) and value:
            return name, value
    return "", ""


def _offered_by(regions_of: Callable[[str, str], list[str]] | None) -> Callable[[str, str], bool]:
    """Whether botocore's endpoint data lists ``service`` in ``region`` (any partition). Without that data
    (a client factory given) every region counts as offered, so a failure is recorded, never skipped."""

    def offered(service: str, region: str) -> bool:
        if regions_of is None:
            return True
        for partition in ("aws", "aws-cn", "aws-us-gov"):
            try:
                if region in regions_of(service, partition):
                    return True
            except Exception:  # an unknown partition in this botocore
                continue
        return False

    return offered


def _snake(op: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", op).lower()


def _bedrock(c: _Collector, region: str) -> None:
    for op, key, name, kwargs in (
        ("ListCustomModels", "modelSummaries", "bedrock-list-custom-models", {}),
        ("ListImportedModels", "modelSummaries", "bedrock-list-imported-models", {}),
        ("ListInferenceProfiles", "inferenceProfileSummaries", "bedrock-list-inference-profiles",
         {"typeEquals": "APPLICATION"}),
        ("ListProvisionedModelThroughputs", "provisionedModelSummaries",
         "bedrock-list-provisioned-model-throughputs", {}),
        ("ListFoundationModels", "modelSummaries", "bedrock-list-foundation-models", {}),
    ):  # fmt: skip
        items = c.pages("bedrock", region, op, key, **kwargs)
        if items is None:
            continue
        c.write(region, name, {key: items})
        if op == "ListImportedModels":
            for m in _limited(c, "bedrock", region, "GetImportedModel", items):
                arn = m.get("modelArn") if isinstance(m, dict) else None
                got = c.call("bedrock", region, "GetImportedModel", modelIdentifier=arn) if arn else None
                if got is not None:
                    c.write(region, "bedrock-get-imported-model", got)


def _sagemaker(c: _Collector, region: str) -> None:
    endpoints = c.pages("sagemaker", region, "ListEndpoints", "Endpoints")
    if endpoints is None:
        return
    c.write(region, "sagemaker-list-endpoints", {"Endpoints": endpoints})
    configs: dict[str, None] = {}
    for ep in _limited(c, "sagemaker", region, "DescribeEndpoint", endpoints):
        name = ep.get("EndpointName") if isinstance(ep, dict) else None
        got = c.call("sagemaker", region, "DescribeEndpoint", EndpointName=name) if name else None
        if got is not None:
            c.write(region, f"sagemaker-describe-endpoint-{name}", got)
            if isinstance(got.get("EndpointConfigName"), str):
                configs[got["EndpointConfigName"]] = None
    models: dict[str, None] = {}
    for cfg in _limited(c, "sagemaker", region, "DescribeEndpointConfig", list(configs)):
        got = c.call("sagemaker", region, "DescribeEndpointConfig", EndpointConfigName=cfg)
        if got is not None:
            c.write(region, f"sagemaker-describe-endpoint-config-{cfg}", got)
            for v in got.get("ProductionVariants") or []:
                if isinstance(v, dict) and isinstance(v.get("ModelName"), str):
                    models[v["ModelName"]] = None
    for model in _limited(c, "sagemaker", region, "DescribeModel", list(models)):
        got = c.call("sagemaker", region, "DescribeModel", ModelName=model)
        if got is not None:
            c.write(region, f"sagemaker-describe-model-{model}", got)


def _limited(c: _Collector, service: str, region: str, op: str, items: list[Any]) -> Iterator[Any]:
    if len(items) > c.max_describe:
        c.error(
            service, region, op, "incomplete", f"{len(items) - c.max_describe} past {c.max_describe} not read"
        )
    yield from items[: c.max_describe]


def collect_aws(
    out_dir: Path,
    *,
    profile: str | None = None,
    regions: list[str] | tuple[str, ...] = (),
    client_factory: ClientFactory | None = None,
    max_pages: int = MAX_PAGES,
    max_describe: int = MAX_DESCRIBE,
    offered: Callable[[str, str], bool] | None = None,
) -> CollectResult:
    """Collect the Bedrock and SageMaker inventory of ``regions`` (default: the profile's region) into
    ``out_dir`` (see the module docstring). Raises TierguardError when boto3, credentials or a region are
    missing; every per-call failure is recorded, never raised."""
    factory = client_factory
    default_region: str | None = None
    session_regions: Callable[[str, str], list[str]] | None = None
    if factory is None:
        boto3 = _boto3()
        try:
            session = boto3.Session(profile_name=profile)
        except Exception as exc:  # ProfileNotFound ...
            raise TierguardError(f"AWS: {exc}") from None
        default_region = session.region_name
        session_regions = session.get_available_regions

        def session_client(service: str, region: str | None) -> Any:
            return session.client(service, region_name=region)

        factory = session_client

    wanted = list(dict.fromkeys(regions)) or ([default_region] if default_region else [])
    is_offered = offered if offered is not None else _offered_by(session_regions)
    if not wanted:
        raise TargetError("AWS: no region: give --region (or set one in the profile / AWS_REGION)")
    result = CollectResult(out_dir=out_dir, regions=wanted)
    c = _Collector(out_dir, factory, result, max_pages, max_describe, is_offered)
    ident = c.call("sts", wanted[0], "GetCallerIdentity")
    result.account = ident.get("Account") if ident else None
    for region in wanted:
        for run in (_bedrock, _sagemaker):
            try:
                run(c, region)
            except _NotOffered as exc:
                result.notes.append(str(exc))
    _write_log(c)
    return result


def _write_log(c: _Collector) -> None:
    counts: dict[str, int] = {}
    for call in c.result.calls:
        counts[call] = counts.get(call, 0) + 1
    body = {
        "tierguardAwsCollect": {
            "version": 1,
            "account": c.result.account,
            "regions": c.result.regions,
            "calls": [
                {"service": k.split(":")[0], "operation": k.split(":")[1], "count": n}
                for k, n in counts.items()
            ],
            "errors": c.result.errors,
            "notes": c.result.notes,
        }
    }
    c.out_dir.mkdir(parents=True, exist_ok=True)
    (c.out_dir / COLLECT_LOG).write_text(json.dumps(body, indent=2) + "\n", "utf-8")
