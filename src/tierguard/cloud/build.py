"""Deployments -> assets, with the catalog.

Each deployment is one :class:`Evidence` (detector ``cloud``, kind ``cloud-deployment``) and one
:class:`Usage` (use mode ``hosted-api``, host = the account/subscription/project) on two assets:

- the ``ai-model`` named by its canonical name (``catalog.match_model`` + ``catalog.canonical_model``:
  Bedrock ``us.deepseek.r1-v1:0`` -> ``deepseek-ai/DeepSeek-R1``; ``Qwen/Qwen2.5-7B-Instruct`` itself; a
  name the catalog does not know in its normalised form, producer from the record's provider field where it
  has one, else unknown), with the producers of its family (trainer and base producers for distills); a
  customised model (Bedrock custom model) is its own asset with a ``finetune`` lineage edge to its base and
  the base's producers as ``base-producer``;
- the ``ai-service`` of the cloud service, named as the code scan names it, through the catalog's endpoint
  for the service's host in the deployment's region (``bedrock-runtime.<region>.amazonaws.com`` -> ``Amazon
  Bedrock``, ``runtime.sagemaker.<region>.amazonaws.com`` -> ``Amazon SageMaker``,
  ``*.services.ai.azure.com`` -> ``Azure OpenAI / Azure AI Foundry``, ``<region>-aiplatform.googleapis.com``
  -> ``Google Gemini / Vertex AI API``): operator and jurisdiction come from that endpoint entry, so an AWS
  China region (``.amazonaws.com.cn``) or an Azure China account resolves to its own, CN, entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from tierguard.catalog.loader import Catalog, EndpointEntry, ModelMatch, ProducerEntry
from tierguard.cloud.jsonio import clean
from tierguard.cloud.records import Deployment, ServiceKey
from tierguard.model import (
    Asset,
    Evidence,
    IdentMethod,
    LineageEdge,
    Location,
    ModelDetails,
    ProducerRef,
    Provenance,
    ServiceDetails,
    Usage,
    summary_use_mode,
)

_HOSTS: dict[ServiceKey, tuple[str, str | None, str]] = {
    # service: (host in the region, host in a China region, the region used when the record has none)
    "bedrock": ("bedrock-runtime.{r}.amazonaws.com", "bedrock-runtime.{r}.amazonaws.com.cn", "us-east-1"),
    "sagemaker": (
        "runtime.sagemaker.{r}.amazonaws.com",
        "runtime.sagemaker.{r}.amazonaws.com.cn",
        "us-east-1",
    ),
    "azure": ("account.services.ai.azure.com", "account.openai.azure.cn", ""),
    "vertex": ("{r}-aiplatform.googleapis.com", None, "us-central1"),
}
_OPERATOR: dict[ServiceKey, tuple[str, str]] = {
    # when the catalog has no endpoint for the host: (operator id, service name)
    "bedrock": ("amazon", "Amazon Bedrock"),
    "sagemaker": ("amazon", "Amazon SageMaker"),
    "azure": ("microsoft", "Azure OpenAI / Azure AI Foundry"),
    "vertex": ("google", "Google Gemini / Vertex AI API"),
}
CLOUD_OF: dict[ServiceKey, str] = {"bedrock": "aws", "sagemaker": "aws", "azure": "azure", "vertex": "gcp"}
_REGION = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
_CONFIDENCE = {"A": 0.9, "B": 0.7, "C": 0.3}


@dataclass(frozen=True, slots=True)
class _Service:
    name: str
    operator: ProducerEntry
    jurisdiction: str
    endpoint: EndpointEntry | None

    @property
    def operator_ref(self) -> ProducerRef:
        return ProducerRef(
            id=self.operator.id, name=self.operator.name, jurisdiction=self.jurisdiction, role="operator"
        )


@dataclass(slots=True)
class _ModelRef:
    name: str
    written: str
    producers: list[ProducerRef] = field(default_factory=list)
    lineage: list[LineageEdge] = field(default_factory=list)
    family: str | None = None
    matched_via: str | None = None
    router: str | None = None


@dataclass(slots=True)
class _Builder:
    kind: str
    name: str
    producers: dict[tuple[str, str], ProducerRef] = field(default_factory=dict)
    lineage: dict[tuple[str, str], LineageEdge] = field(default_factory=dict)
    operators: dict[str, tuple[ProducerRef, str]] = field(default_factory=dict)
    methods: dict[tuple[str, str], float] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)
    usages: list[Usage] = field(default_factory=list)
    aliases: dict[str, None] = field(default_factory=dict)
    regions: dict[str, None] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)
    endpoint: str | None = None


class AssetBuilder:
    """Turns deployments into assets (see the module docstring). Catalog lookups are memoised per run."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._services: dict[tuple[str, str, bool], _Service] = {}
        self._by_name: dict[str, ProducerEntry] = {}
        for p in catalog.producers.values():
            for key in (p.id, p.name, p.name.split(" (", 1)[0], *p.aliases):
                self._by_name.setdefault(key.strip().lower(), p)
        self._models: dict[str, _Builder] = {}
        self._service_assets: dict[str, _Builder] = {}
        self.evidence: list[Evidence] = []

    def add(self, dep: Deployment) -> None:
        svc = self.service(dep)
        model = self.model(dep)
        ev = self._evidence(dep, svc, model)
        self.evidence.append(ev)
        usage = Usage(
            location=ev.location,
            use_mode="hosted-api",
            strength=dep.strength,
            as_written=model.written,
            service=svc.name,
            operator=svc.operator.id,
            service_jurisdiction=svc.jurisdiction,
            evidence=ev.id,
            excerpt=ev.excerpt,
            host=dep.account,
        )
        mb = self._models.get(model.name.lower())
        if mb is None:
            mb = self._models[model.name.lower()] = _Builder("ai-model", model.name)
            mb.details.update(
                {
                    k: v
                    for k, v in (
                        ("family", model.family),
                        ("matched_via", model.matched_via),
                        ("router", model.router),
                    )
                    if v
                }
            )
        for p in model.producers:
            mb.producers.setdefault((p.id, p.role), p)
        for e in model.lineage:
            mb.lineage.setdefault((e.relation, e.base), e)
        if model.written.lower() != model.name.lower():
            mb.aliases[model.written] = None
        sb = self._service_assets.get(svc.name.lower())
        if sb is None:
            sb = self._service_assets[svc.name.lower()] = _Builder("ai-service", svc.name)
            ep = svc.endpoint
            if ep is None or not ep.serves or ep.operator in ep.serves:
                op = svc.operator
                sb.producers[(op.id, "producer")] = ProducerRef(
                    id=op.id, name=op.name, jurisdiction=op.jurisdiction
                )
            sb.endpoint = ep.host + ep.path_prefix if ep is not None else None
        technique = "manifest-analysis" if dep.strength == "A" else "other"
        # the model: by the id it was read as; the service: by the inventory format (not one per model)
        for b, seen in ((mb, f"cloud-deployment:{model.written}"), (sb, f"cloud-inventory:{dep.fmt}")):
            b.operators.setdefault(svc.operator.id, (svc.operator_ref, svc.jurisdiction))
            key = (technique, seen)
            b.methods[key] = max(b.methods.get(key, 0.0), _CONFIDENCE[dep.strength])
            b.evidence.append(ev)
            b.usages.append(usage)
            if dep.region:
                b.regions[dep.region] = None

    def assets(self) -> list[Asset]:
        out = [_model_asset(b) for b in self._models.values()]
        out += [_service_asset(b) for b in self._service_assets.values()]
        out.sort(key=lambda a: (a.kind != "ai-service", a.name.lower(), a.id))
        return out

    # -- lookups ---------------------------------------------------------------------------------------
    def producer_named(self, name: str | None) -> ProducerEntry | None:
        """The catalog producer a provider/publisher name denotes (``DeepSeek``, ``Mistral AI``, ``Qwen``)."""
        if not name:
            return None
        return self._by_name.get(name.strip().lower())

    def service(self, dep: Deployment) -> _Service:
        region = dep.region.lower() if dep.region and _REGION.match(dep.region.lower()) else ""
        key = (dep.service, region, dep.china)
        got = self._services.get(key)
        if got is None:
            got = self._services[key] = self._resolve_service(dep.service, region, dep.china)
        return got

    def _resolve_service(self, service: ServiceKey, region: str, china: bool) -> _Service:
        plain, cn, default = _HOSTS[service]
        template = cn if china and cn is not None else plain
        host = template.format(r=region or default)
        entry = self.catalog.match_host(host)
        if entry is not None:
            op = self.catalog.producer(entry.operator)
            return _Service(self.catalog.endpoint_service(entry), op, entry.jurisdiction, entry)
        pid, name = _OPERATOR[service]
        op = self.catalog.producer(pid)
        if china:  # a China region the catalog has no entry for: operated under PRC law, never "US"
            return _Service(f"{name} (CN)", op, "CN", None)
        return _Service(name, op, op.jurisdiction, None)

    def model(self, dep: Deployment) -> _ModelRef:
        cat = self.catalog
        if dep.base is not None:
            return self._customised(dep)
        tries: list[tuple[str, bool, str | None]] = [(dep.written, True, dep.router)]
        tries += [(a, False, None) for a in dep.alternates]
        for cand, in_context, router in tries:
            m = cat.match_model(cand, in_model_context=in_context, router=router)
            if m is not None:
                ref = _ModelRef(cat.canonical_model(cand, m), cand, family=m.family.id if m.family else None)
                ref.matched_via = m.via
                if m.routers:
                    ref.router = f"{m.routers[0].router}:{m.routers[0].prefix}"
                self._producers(ref, m)
                return ref
        ref = _ModelRef(cat.canonical_model(dep.written, None), dep.written)
        hint = self.producer_named(dep.producer_hint)
        if hint is not None:
            ref.producers.append(_pref(hint))
            ref.matched_via = "provider field"
        return ref

    def _customised(self, dep: Deployment) -> _ModelRef:
        """A model customised from a base (Bedrock custom model): its own asset, lineage to the base."""
        cat = self.catalog
        assert dep.base is not None
        # its own name, lower case: never an alias of a catalog model (a custom model named "deepseek-r1" is
        # not DeepSeek-R1)
        ref = _ModelRef(dep.written.strip().lower(), dep.written, matched_via="base model")
        m = cat.match_model(dep.base, in_model_context=True, router=dep.router)
        base_name = cat.canonical_model(dep.base, m)
        base: ProducerRef | None = None
        if m is not None:
            self._producers(ref, m)
            ref.producers = [p.model_copy(update={"role": "base-producer"}) for p in ref.producers]
            base = ref.producers[0] if ref.producers else None
            ref.family = m.family.id if m.family else None
        ref.lineage.insert(
            0,
            LineageEdge(
                relation="finetune",
                base=base_name,
                base_producer=base,
                source="cloud: base model of the custom model",
            ),
        )
        return ref

    def _producers(self, ref: _ModelRef, m: ModelMatch) -> None:
        fam = m.family
        main = self.catalog.producer(fam.producer) if fam is not None else m.producer
        ref.producers.append(_pref(main, "trainer" if fam is not None and fam.lineage else "producer"))
        for ld in fam.lineage if fam is not None else ():
            bp = _pref(self.catalog.producer(ld.base_producer), "base-producer")
            ref.producers.append(bp)
            ref.lineage.append(
                LineageEdge(relation=ld.relation, base=ld.base, base_producer=bp, source="catalog")
            )

    def _evidence(self, dep: Deployment, svc: _Service, model: _ModelRef) -> Evidence:
        where = ", ".join(x for x in (dep.region, dep.account) if x)
        extra = "; ".join(f"{k}={v}" for k, v in dep.details if k not in ("arn",))
        excerpt = clean(
            f"{svc.name} {dep.what} {dep.resource} ({where or 'region unknown'}): "
            f"model {model.written}" + (f"; {extra}" if extra else "")
        )
        refs = {"operator": svc.operator.id, "service": svc.name}
        if model.producers:
            refs["producer"] = model.producers[0].id
        if model.family:
            refs["family"] = model.family
        attrs = {
            "cloud": CLOUD_OF[dep.service],
            "service": dep.service,
            "format": dep.fmt,
            "what": dep.what,
            "resource": dep.resource,
            "use_mode": "hosted-api",
        }
        attrs.update({k: v for k, v in (("account", dep.account), ("region", dep.region)) if v})
        for k, v in dep.details:
            attrs.setdefault(k, clean(v, 512))
        return Evidence(
            detector="cloud",
            kind="cloud-deployment",
            value=f"{model.written} at {dep.resource}",
            strength=dep.strength,
            location=Location(path=dep.path, line=dep.line),
            excerpt=excerpt,
            refs=refs,
            attributes=attrs,
        )


def _pref(p: ProducerEntry, role: str = "producer") -> ProducerRef:
    return ProducerRef(id=p.id, name=p.name, jurisdiction=p.jurisdiction, role=role)  # type: ignore[arg-type]


def _methods(b: _Builder) -> tuple[IdentMethod, ...]:
    return tuple(
        IdentMethod(technique=t, confidence=c, value=v)  # type: ignore[arg-type]
        for (t, v), c in sorted(b.methods.items(), key=lambda kv: (-kv[1], kv[0]))
    )


def _provenance(b: _Builder, producers: Iterable[ProducerRef]) -> Provenance:
    operator, jurisdiction = next(iter(b.operators.values())) if len(b.operators) == 1 else (None, None)
    return Provenance(
        producers=tuple(producers),
        service_operator=operator,
        service_jurisdiction=jurisdiction,
        lineage=tuple(b.lineage.values()),
        methods=_methods(b),
    )


def _sorted_usages(b: _Builder) -> tuple[Usage, ...]:
    return tuple(sorted(b.usages, key=lambda u: (u.location.path, u.location.line or 0, u.as_written)))


def _model_asset(b: _Builder) -> Asset:
    usages = _sorted_usages(b)
    d = b.details
    details = ModelDetails(
        family=d.get("family"),
        canonical_id=b.name if "/" in b.name else None,
        matched_via=d.get("matched_via"),
        router=d.get("router"),
    )
    return Asset(
        kind="ai-model",
        name=b.name,
        use_mode=summary_use_mode(usages),
        provenance=_provenance(b, b.producers.values()),
        evidence=tuple(sorted(b.evidence, key=lambda e: (e.location.path, e.location.line or 0))),
        usages=usages,
        aliases=tuple(sorted(b.aliases, key=str.lower)),
        details=details,
    )


def _service_asset(b: _Builder) -> Asset:
    usages = _sorted_usages(b)
    ops = list(b.operators.values())
    details = ServiceDetails(
        operator=ops[0][0].id if ops else None,
        endpoint=b.endpoint,
        region=next(iter(b.regions)) if len(b.regions) == 1 else None,
    )
    return Asset(
        kind="ai-service",
        name=b.name,
        use_mode=summary_use_mode(usages),
        provenance=_provenance(b, b.producers.values()),
        evidence=tuple(sorted(b.evidence, key=lambda e: (e.location.path, e.location.line or 0))),
        usages=usages,
        details=details,
    )
