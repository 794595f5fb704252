"""Azure AI Foundry / Azure OpenAI exports -> deployments.

Read (Azure REST API reference, Cognitive Services account management; ``az`` prints the same resources,
a list command as a bare array):

- ``Deployments - List`` (``az cognitiveservices account deployment list -g RG -n ACCOUNT``): each
  deployment's ``id`` (subscription, resource group, account), ``name``, ``sku.name``,
  ``properties.model.format`` (the model's publisher: ``OpenAI``, ``DeepSeek``, ``Meta`` ...),
  ``properties.model.name`` (``DeepSeek-R1``, ``gpt-4o``) and ``.version``, ``properties.provisioningState``;
- ``Accounts - List`` (``az cognitiveservices account list``): ``id``, ``kind``, ``location``,
  ``properties.endpoint``: the region of each account's deployments (an account in a ``china*`` region is
  Azure operated by 21Vianet, under PRC law).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tierguard.cloud.jsonio import Document, obj, text
from tierguard.cloud.records import Deployment, Issues, page_records

_DEPLOYMENT_ID = re.compile(
    r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.CognitiveServices/accounts/([^/]+)"
    r"(?:/deployments/([^/]+))?$",
    re.I,
)


@dataclass(slots=True)
class _Account:
    location: str | None
    kind: str | None
    endpoint: str | None


@dataclass(slots=True)
class _Deployment:
    resource: str
    subscription: str
    group: str
    account: str
    name: str
    model: str
    fmt: str | None
    version: str | None
    sku: str | None
    state: str | None
    path: str
    line: int


@dataclass(slots=True)
class AzureState:
    accounts: dict[str, _Account] = field(default_factory=dict)  # lower-cased account resource id
    deployments: list[_Deployment] = field(default_factory=list)

    def add(self, fmt: str, doc: Document, path: str, issues: Issues) -> None:
        records = page_records(doc.data, "value", "nextLink", path, fmt, issues)
        if records is None:
            return
        for i, rec in enumerate(records):
            if not isinstance(rec, dict):
                issues.bad(path, 1, fmt, f"item {i} is not an object")
            elif fmt == "azure-accounts":
                self._account(rec, doc, path, fmt, issues)
            else:
                self._deployment(rec, doc, path, fmt, issues)

    def _account(self, rec: dict[str, Any], doc: Document, path: str, fmt: str, issues: Issues) -> None:
        rid = text(rec.get("id"))
        m = _DEPLOYMENT_ID.match(rid or "")
        if rid is None or m is None or m.group(4):
            issues.bad(path, doc.line_of(rid), fmt, "id is missing or not a Cognitive Services account id")
            return
        props = obj(rec.get("properties"))
        self.accounts[rid.lower()] = _Account(
            text(rec.get("location"), 64), text(rec.get("kind"), 64), text(props.get("endpoint"), 512)
        )

    def _deployment(self, rec: dict[str, Any], doc: Document, path: str, fmt: str, issues: Issues) -> None:
        rid = text(rec.get("id"))
        line = doc.line_of(rid)
        m = _DEPLOYMENT_ID.match(rid or "")
        model = obj(obj(rec.get("properties")).get("model"))
        name = text(model.get("name"), 256)
        if rid is None or m is None or not m.group(4):
            issues.bad(path, line, fmt, "id is missing or not a Cognitive Services deployment id")
            return
        if name is None:
            issues.bad(path, line, fmt, f"deployment {m.group(4)}: properties.model.name is missing")
            return
        self.deployments.append(
            _Deployment(
                resource=rid,
                subscription=m.group(1),
                group=m.group(2),
                account=m.group(3),
                name=m.group(4),
                model=name,
                fmt=text(model.get("format"), 128),
                version=text(model.get("version"), 64),
                sku=text(obj(rec.get("sku")).get("name"), 64),
                state=text(obj(rec.get("properties")).get("provisioningState"), 64),
                path=path,
                line=line,
            )
        )

    def deployments_out(self, issues: Issues) -> list[Deployment]:
        out = []
        for d in self.deployments:
            account_id = d.resource.lower().rsplit("/deployments/", 1)[0]
            acct = self.accounts.get(account_id)
            region = acct.location if acct is not None else None
            details = [("deployment", d.name), ("account", d.account), ("resource_group", d.group)]
            details += [
                (k, v)
                for k, v in (
                    ("format", d.fmt),
                    ("version", d.version),
                    ("sku", d.sku),
                    ("state", d.state),
                    ("kind", acct.kind if acct else None),
                )
                if v
            ]
            out.append(
                Deployment(
                    service="azure",
                    written=d.model,
                    resource=d.resource,
                    what="deployment",
                    path=d.path,
                    line=d.line,
                    fmt="azure-deployments",
                    account=d.subscription,
                    region=region,
                    china=bool(region and region.lower().startswith("china")),
                    producer_hint=d.fmt,
                    host_hint=acct.endpoint if acct else None,
                    details=tuple(details),
                )
            )
        if self.deployments and not self.accounts:
            issues.notes.append(
                "cloud: Azure deployments without an account export (az cognitiveservices account list): "
                "their regions are unknown, so an account in Azure China (21Vianet) cannot be told apart"
            )
        return out
