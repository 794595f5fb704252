"""Folding matched log lines into usages: one per (service, client, user, host reached), with a count, the
first and last time and the first line; then one ``ai-service`` asset per service and one ``egress``
evidence record per usage (never per line). Memory is bounded by caps on distinct clients and usages per
service; what is beyond a cap is counted in a note, not itemised."""

from __future__ import annotations

from dataclasses import dataclass

from tierguard.catalog.loader import Catalog
from tierguard.egress.formats import Obs, Stamp, iso
from tierguard.egress.rules import HostRule
from tierguard.model import (
    Asset,
    Evidence,
    IdentMethod,
    Location,
    ProducerRef,
    Provenance,
    ServiceDetails,
    Usage,
    summary_use_mode,
)

EXCERPT = 300  # characters of a line kept as the excerpt
MAX_ALIASES = 50
CONFIDENCE = {"A": 0.9, "B": 0.7, "C": 0.3}


_ESCAPE = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))} | {0x09: "\\t"}


def excerpt(line: bytes) -> str:
    """The first :data:`EXCERPT` characters of a line, control characters (C0, DEL, C1) escaped (``\\t``,
    ``\\x1b``), bytes that are not UTF-8 as ``\\xNN``."""
    s = line[: EXCERPT * 4].decode("utf-8", "backslashreplace")[:EXCERPT].replace("\t", "\\t")
    return s if s.isprintable() else s.translate(_ESCAPE)


def _earlier(a: Stamp, b: Stamp) -> bool:
    """Whether ``a`` is before ``b`` (an epoch beats naive text; None is never earlier)."""
    if a is None:
        return False
    if b is None:
        return True
    if type(a) is type(b):
        return a < b  # type: ignore[operator]
    return isinstance(a, float)


_Key = tuple[str, str | None, str | None, str]  # (service, client, user, host reached)


@dataclass(slots=True)
class _Acc:
    rule: HostRule
    count: int
    first: Stamp
    last: Stamp
    line: int
    excerpt: str


class Aggregator:
    def __init__(self, catalog: Catalog, path: str, fmt: str, *, max_clients: int, max_usages: int) -> None:
        self.catalog = catalog
        self.path = path
        self.fmt = fmt
        self.max_clients = max_clients
        self.max_usages = max_usages
        self.usages: dict[_Key, _Acc] = {}
        self._clients: dict[str, set[str | None]] = {}
        self._per_service: dict[str, int] = {}
        self.overflow: dict[str, int] = {}  # service -> observations beyond a cap

    def add(self, rule: HostRule, obs: Obs, line_no: int, line: bytes) -> None:
        key = (rule.service, obs.client, obs.user, obs.host)
        acc = self.usages.get(key)
        if acc is None:
            clients = self._clients.setdefault(rule.service, set())
            n = self._per_service.get(rule.service, 0)
            if (obs.client not in clients and len(clients) >= self.max_clients) or n >= self.max_usages:
                self.overflow[rule.service] = self.overflow.get(rule.service, 0) + 1
                return
            clients.add(obs.client)
            self._per_service[rule.service] = n + 1
            self.usages[key] = _Acc(rule, 1, obs.ts, obs.ts, line_no, excerpt(line))
            return
        acc.count += 1
        ts = obs.ts
        if ts is not None:
            if _earlier(ts, acc.first):
                acc.first = ts
            if _earlier(acc.last, ts) or acc.last is None:
                acc.last = ts

    def notes(self) -> list[str]:
        out = []
        for service, n in sorted(self.overflow.items()):
            out.append(
                f"{self.path}: {service}: {n:,} matched lines from clients beyond the caps "
                f"({self.max_clients:,} clients, {self.max_usages:,} usages per service) "
                "are counted, not itemised"
            )
        return out

    def _producers(self, rule: HostRule) -> tuple[ProducerRef | None, ProducerRef | None]:
        p = self.catalog.producers.get(rule.operator)
        name, jur = (p.name, p.jurisdiction) if p is not None else (rule.operator, rule.jurisdiction)
        operator = ProducerRef(id=rule.operator, name=name, jurisdiction=jur, role="operator")
        producer = ProducerRef(id=rule.operator, name=name, jurisdiction=jur) if rule.as_producer else None
        return operator, producer

    def _usage(self, key: _Key, acc: _Acc) -> tuple[Usage, Evidence]:
        _service, client, user, host = key
        rule = acc.rule
        first, last = iso(acc.first), iso(acc.last)
        attrs = {"format": self.fmt, "count": str(acc.count), "rule": rule.host}
        attrs.update({k: v for k, v in (("client", client), ("user", user)) if v})
        attrs.update({k: v for k, v in (("first_seen", first), ("last_seen", last)) if v})
        who = f" from {client or '?'}" + (f" as {user}" if user else "")
        loc = Location(path=self.path, line=acc.line)
        ev = Evidence(
            detector="egress",
            kind="egress",
            value=f"{host}{who}",
            strength=rule.strength,
            location=loc,
            excerpt=acc.excerpt,
            refs={"operator": rule.operator, "service": rule.service, "endpoint": rule.host},
            attributes=attrs,
        )
        usage = Usage(
            location=loc,
            use_mode=rule.use_mode,
            strength=rule.strength,
            as_written=host,
            service=rule.service,
            operator=rule.operator,
            service_jurisdiction=rule.jurisdiction,
            evidence=ev.id,
            excerpt=acc.excerpt,
            host=client,
            user=user,
            count=acc.count,
            first_seen=first,
            last_seen=last,
        )
        return usage, ev

    def build(self) -> tuple[list[Asset], list[Evidence]]:
        by_service: dict[str, list[tuple[_Key, _Acc]]] = {}
        for key, acc in self.usages.items():
            by_service.setdefault(key[0], []).append((key, acc))
        assets: list[Asset] = []
        evidence: list[Evidence] = []
        for service in sorted(by_service, key=str.lower):
            items = sorted(by_service[service], key=lambda kv: (kv[0][1] or "", kv[0][2] or "", kv[0][3]))
            pairs = [self._usage(k, a) for k, a in items]
            usages = tuple(u for u, _ in pairs)
            evs = tuple(e for _, e in pairs)
            evidence.extend(evs)
            assets.append(self._asset(service, [a for _k, a in items], usages, evs))
        return assets, evidence

    def _asset(
        self, service: str, accs: list[_Acc], usages: tuple[Usage, ...], evs: tuple[Evidence, ...]
    ) -> Asset:
        top = max(accs, key=lambda a: (a.count, a.rule.rank))
        operator, producer = self._producers(top.rule)
        jurs = {a.rule.jurisdiction for a in accs}
        methods = sorted({(a.rule.strength, a.rule.use_mode) for a in accs}, reverse=True)
        prov = Provenance(
            producers=(producer,) if producer is not None else (),
            service_operator=operator,
            service_jurisdiction=next(iter(jurs)) if len(jurs) == 1 else None,
            methods=tuple(
                IdentMethod(technique="other", confidence=CONFIDENCE[s], value=f"egress:{self.fmt}:{m}")
                for s, m in methods
            ),
        )
        hosts = sorted({u.as_written for u in usages if u.as_written.lower() != service.lower()})
        top_host = max(usages, key=lambda u: u.count).as_written
        return Asset(
            kind="ai-service",
            name=service,
            use_mode=summary_use_mode(usages),
            provenance=prov,
            evidence=evs,
            usages=usages,
            aliases=tuple(hosts[:MAX_ALIASES]),
            details=ServiceDetails(operator=top.rule.operator, host=top_host, endpoint=top.rule.host),
        )
