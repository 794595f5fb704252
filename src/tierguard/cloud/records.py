"""What the export readers produce: one :class:`Deployment` per model deployed in a cloud account (the model
id as the service names it, the resource, account, region and where in which export it was read), plus the
skipped records and notes of the read (:class:`Issues`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from tierguard.model import Skipped, Strength

ServiceKey = Literal["bedrock", "sagemaker", "azure", "vertex"]
"""The cloud AI service a deployment lives in (its display name, operator and jurisdiction come from the
catalog: see :mod:`tierguard.cloud.build`)."""

MAX_RECORDS = 100_000  # records read from one export (the rest are counted as skipped)
_ARN = re.compile(r"^arn:(aws[\w-]*):([\w-]+):([\w-]*):(\d*):(.+)$")
_LOCAL_PATH = re.compile(r"^(?:/|\.{1,2}/|[A-Za-z]:\\|file:)")


@dataclass(frozen=True, slots=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str  # "imported-model/abc", "foundation-model/deepseek.r1-v1:0" ...

    @property
    def china(self) -> bool:
        """An AWS China partition resource (Beijing, Ningxia: operated by local companies under PRC law)."""
        return self.partition == "aws-cn" or self.region.startswith("cn-")


def parse_arn(value: object) -> Arn | None:
    """The parts of an ARN, or None when ``value`` is not one."""
    if not isinstance(value, str) or len(value) > 2048:
        return None
    m = _ARN.match(value)
    if m is None:
        return None
    return Arn(*m.groups())


def looks_like_model_id(value: str) -> bool:
    """A model id or name, not a local path, URL or placeholder."""
    v = value.strip()
    return bool(v) and len(v) <= 200 and not _LOCAL_PATH.match(v) and "://" not in v and " " not in v


@dataclass(frozen=True, slots=True)
class Deployment:
    """One model deployed (or held) in a cloud account, as one export record shows it."""

    service: ServiceKey
    written: (
        str  # the model id as the record names it (``us.deepseek.r1-v1:0``, ``Qwen/Qwen2.5-7B-Instruct``)
    )
    resource: str  # ARN / resource id of the deployment
    what: str  # the kind of record ("imported model", "application inference profile", "endpoint" ...)
    path: str  # the export's display path
    line: int
    fmt: str  # the export format id
    strength: Strength = "A"  # A: the service's own model id; B: a name the user chose
    account: str | None = None  # AWS account, Azure subscription, GCP project
    region: str | None = None
    china: bool = False  # an AWS China partition or Azure China region
    router: str | None = None  # "bedrock" for Bedrock model ids
    base: str | None = None  # the base model id of a customised model (lineage: finetune)
    producer_hint: str | None = None  # the provider/publisher the record names (Bedrock providerName ...)
    host_hint: str | None = None  # the service host when the record says (Azure account endpoint)
    # further names of the model, tried in order when ``written`` is not a catalog model (S3 path segments,
    # display names): free text, so short context-only family names never match them
    alternates: tuple[str, ...] = ()
    details: tuple[tuple[str, str], ...] = ()  # further attributes: image, model data, sku, status ...


@dataclass(slots=True)
class Issues:
    """Skipped records and notes of one read."""

    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def skip(self, path: str, reason: str, detail: str) -> None:
        self.skipped.append(Skipped(path=path, reason=reason, detail=detail[:500]))

    def bad(self, path: str, line: int, fmt: str, detail: str) -> None:
        """A record that is not the shape its export claims (counted, never dropped silently)."""
        self.skip(path, "malformed", f"{fmt} record at line {line}: {detail}")


def capped(records: list[Any], path: str, issues: Issues) -> list[Any]:
    """The first :data:`MAX_RECORDS` records of one export; the rest are one counted ``incomplete`` skip,
    never dropped silently."""
    if len(records) > MAX_RECORDS:
        issues.skip(path, "incomplete", f"{len(records) - MAX_RECORDS:,} records past {MAX_RECORDS:,}")
    return records[:MAX_RECORDS]


def page_records(
    data: Any, list_key: str, next_key: str, path: str, fmt: str, issues: Issues
) -> list[Any] | None:
    """The records of an Azure or GCP list export: a JSON array, an object holding them under ``list_key``
    (a next-page marker ``next_key`` left in it is an ``incomplete`` skip: later pages are missing), or one
    object; capped (:func:`capped`). None, with a ``malformed`` skip, when the export is neither."""
    if isinstance(data, dict):
        listed = data.get(list_key)
        records: list[Any] = listed if isinstance(listed, list) else [data]
        if data.get(next_key):
            issues.skip(path, "incomplete", f"{fmt}: the export ends with a {next_key}: later pages missing")
    elif isinstance(data, list):
        records = data
    else:
        issues.bad(path, 1, fmt, "not a JSON array or object")
        return None
    return capped(records, path, issues)


def path_names(uri: str | None) -> tuple[str, ...]:
    """Path segments of an S3/GCS URI that may name a model (``s3://b/models/DeepSeek-R1-Distill-Llama-8B/``
    -> ``DeepSeek-R1-Distill-Llama-8B``, ``models``), deepest first; tried when the record's name is not a
    catalog model."""
    if not uri or "://" not in uri:
        return ()
    parts = [p for p in uri.split("://", 1)[1].split("/")[1:] if p and len(p) <= 128]
    return tuple(reversed(parts[-6:]))
