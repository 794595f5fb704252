"""Hosts of a provider that are not its API: documentation, forum, console, pricing, status and home pages.

A URL on such a host (``https://bbs.xfyun.cn/...``, ``https://console.xfyun.cn/services``) is a mention,
not a service the code talks to, even when a wildcard endpoint (``*.xfyun.cn``) covers it. The rule is data
(``catalog/data/sites.yaml``, section ``non_api_hosts``): a first DNS label (``bbs``, ``docs``, ``status``)
that names a non-API site on any provider domain, or an exact host, each with its sources. An exact endpoint
entry in the catalog always wins over it (an API that happens to live on ``platform.``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class NonApiHostEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    sources: tuple[str, ...] = Field(min_length=1)
    notes: str = ""
    label: str = ""  # a first DNS label naming a non-API site on any domain ("bbs", "docs", "status")
    host: str = ""  # or one exact host ("console.xfyun.cn")
    kind: Literal["docs", "forum", "console", "pricing", "status", "homepage", "account", "blog", "product"]

    @model_validator(mode="after")
    def _one_of(self) -> NonApiHostEntry:
        if bool(self.label) == bool(self.host):
            raise ValueError("a non-API host entry names exactly one of 'label' or 'host'")
        return self


class NonApiHosts:
    """Lookup over the entries: exact host first, then the host's first label."""

    def __init__(self, entries: list[NonApiHostEntry]) -> None:
        self._hosts = {e.host.lower(): e for e in entries if e.host}
        self._labels = {e.label.lower(): e for e in entries if e.label}

    def match(self, host: str) -> NonApiHostEntry | None:
        h = host.lower().rstrip(".")
        hit = self._hosts.get(h)
        if hit is None and h.count(".") >= 2:  # a label only counts on a subdomain (docs.x.cn, not docs.cn)
            hit = self._labels.get(h.split(".", 1)[0])
        return hit
