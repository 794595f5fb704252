"""Identify code/config evidence: ``identify_evidence(evidence, catalog) -> list[Asset]``.

A pure, deterministic function of its inputs: the same evidence (in any order) and catalog give the same
assets in the same order, each with the same provenance and evidence. Nothing is read from disk.

Contract (what each evidence kind becomes; see /work/helpers/refs.md for the detector side):

- ``endpoint`` -> the ``ai-service`` of the operator's product (``catalog.endpoint_service``: every path and
  regional host of one product is one service, ``api.deepseek.com`` and ``api.deepseek.com/anthropic`` are
  the ``DeepSeek API``; a host under another jurisdiction than its operator's is ``<product> (<CC>)``; a host
  the catalog does not know keeps the host as name), use_mode ``hosted-api``; ``service_operator`` and
  ``service_jurisdiction`` from the endpoint entry; the operator is also the producer unless the host is a
  multi-model host whose ``serves`` list does not include the operator (SiliconFlow, Bedrock, Azure). The
  OpenAI/Anthropic SDK pointed at a PRC ``base_url`` is classified by this host evidence, never by the SDK:
  the SDK itself stays an OpenAI/Anthropic dependency.
- ``sdk-import`` / ``package-dependency`` -> ``sdk-dependency`` ``<ecosystem>:<package>``, use_mode
  ``dependency``, producer = the package's provider. Umbrella SDKs (``requires_module``, e.g. the
  tencentcloud SDK) count only when an import of that module (``hunyuan``) is in the same evidence set;
  otherwise the dependency is dropped.
- ``env-key`` -> ``ai-service`` of the key's provider (named by the producer's ``service``), ``hosted-api``,
  operator and jurisdiction = the provider's.
- ``framework-class`` -> for hosted classes the ``ai-service`` of the class's provider; every class with a
  default model (``FastEmbedEmbeddings`` -> ``BAAI/bge-small-en-v1.5``) also yields that ``ai-model``
  (self-hosted for local classes) unless attributes["model"] says the code passed its own model.
- ``model-ref`` / ``router-prefix`` -> ``ai-model`` named by its canonical name
  (``catalog.canonical_model``: ``deepseek-reasoner`` and ``us.deepseek.r1-v1:0`` are
  ``deepseek-ai/DeepSeek-R1``; unknown names their normalised form); producers from the model family (a
  family with lineage defaults, e.g. ``DeepSeek-R1-Distill-Llama``, gets the trainer (role ``trainer``) plus
  each base producer (role ``base-producer``) and lineage edges); use_mode from attributes["use_mode"]
  (router prefixes imply ``hosted-api``). A router prefix sets the service operator from the router entry
  (Bedrock ``us.deepseek.r1-v1:0``: model producer DeepSeek CN, service Amazon US) and adds the operator's
  ``ai-service``. Without a router prefix, attributes["endpoint"] = host (a same-file endpoint) pairs the
  model with that endpoint's operator, unless the host serves only its operator's models and the model is
  another producer's (``claude-*`` next to ``api.deepseek.com`` is not served by DeepSeek).
- ``mention`` -> whatever its refs/value point at (model, host, package, env key, class), keeping its
  strength C: mentions are inventoried but never strong. Free-text mentions never match context-only
  families (``glm``, ``yi``, ``spark`` ...).

Every asset carries one :class:`IdentMethod` per distinct observation (CycloneDX technique names:
``manifest-analysis`` for declared dependencies, ``filename`` for model IDs read from file names,
``source-code-analysis`` otherwise; confidence 0.9 / 0.7 / 0.3 for strength A / B / C), and all evidence
merged per asset id (kind, canonical name, parent: never the use mode), sorted by location. Each evidence
item is also a :class:`Usage` (location, use mode, the service it goes through with operator and
jurisdiction, strength, name as written); the other names an asset was written as are its ``aliases``
(not an SDK's import names). ``use_mode`` is the strongest usage's; the provenance names a service operator
only when every usage with one goes through the same operator (the usages carry theirs). An SDK's version is
its locked version(s) from lock-file evidence. Assets are sorted by kind and name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from tierguard.catalog.loader import (
    Catalog,
    EndpointEntry,
    ModelFamilyEntry,
    ModelMatch,
    PackageEntry,
    ProducerEntry,
)
from tierguard.model import (
    STRENGTH_ORDER,
    Asset,
    AssetDetails,
    AssetKind,
    Evidence,
    IdentMethod,
    LineageEdge,
    ModelDetails,
    ProducerRef,
    Provenance,
    SdkDetails,
    ServiceDetails,
    Usage,
    UseMode,
    summary_use_mode,
)

CONFIDENCE: dict[str, float] = {"A": 0.9, "B": 0.7, "C": 0.3}
_USE_MODES: frozenset[str] = frozenset({"hosted-api", "self-hosted", "unknown"})
_KIND_ORDER: dict[str, int] = {"ai-service": 0, "ai-model": 1, "sdk-dependency": 2}
_ECOSYSTEMS = ("pypi", "npm", "go", "maven")

Role = Literal["producer", "trainer", "base-producer", "operator", "manufacturer", "packager"]
Technique = Literal["source-code-analysis", "manifest-analysis", "filename"]


@dataclass(slots=True)
class _Spec:
    """One asset contribution derived from one evidence item."""

    kind: AssetKind
    name: str  # the canonical name: the asset's identity (with the kind)
    use_mode: UseMode
    producers: list[ProducerRef] = field(default_factory=list)
    operator: ProducerRef | None = None
    jurisdiction: str | None = None
    service: str | None = None  # the service (asset name) the use goes through
    written: str = ""  # the name as written, when it differs from the canonical name
    alias: bool = True  # whether ``written`` is another name of this asset (not for an SDK's import names)
    lineage: list[LineageEdge] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class _Builder:
    kind: AssetKind
    name: str
    producers: dict[tuple[str, str], ProducerRef] = field(default_factory=dict)
    operators: dict[str, tuple[ProducerRef, str | None]] = field(default_factory=dict)
    lineage: dict[tuple[str, str, str], LineageEdge] = field(default_factory=dict)
    methods: dict[tuple[str, str], float] = field(default_factory=dict)
    evidence: dict[tuple[str, int, int], Evidence] = field(default_factory=dict)
    usages: dict[tuple[str, int, int, str, str], Usage] = field(default_factory=dict)
    aliases: dict[str, None] = field(default_factory=dict)
    versions: dict[str, None] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)

    def add(self, spec: _Spec, ev: Evidence) -> None:
        for p in spec.producers:
            self.producers.setdefault((p.id, p.role), p)
        if spec.operator is not None:
            self.operators.setdefault(spec.operator.id, (spec.operator, spec.jurisdiction))
        for e in spec.lineage:
            self.lineage.setdefault((e.relation, e.base, e.base_producer.id if e.base_producer else ""), e)
        for k, v in spec.attributes.items():
            self.attributes.setdefault(k, v)
        if spec.kind == "sdk-dependency" and ev.attributes.get("version"):
            self.versions[ev.attributes["version"]] = None  # a locked version (lock files)
        key = (_technique(ev), f"{ev.kind}:{ev.value}")
        self.methods[key] = max(self.methods.get(key, 0.0), CONFIDENCE[ev.strength])
        if spec.alias:
            self.aliases[spec.written or ev.value] = None
        loc = (ev.id, ev.location.line or 0, ev.location.column or 0)
        self.evidence.setdefault(loc, ev)
        self.usages.setdefault(
            (*loc, spec.use_mode, spec.service or ""),
            Usage(
                location=ev.location,
                use_mode=spec.use_mode,
                strength=ev.strength,
                as_written=spec.written or ev.value,
                service=spec.service,
                operator=spec.operator.id if spec.operator is not None else None,
                service_jurisdiction=spec.jurisdiction if spec.operator is not None else None,
                evidence=ev.id,
                excerpt=ev.excerpt,
            ),
        )

    def _version(self) -> dict[str, str]:
        """The locked version(s) of a package: one, or every distinct one in order (``1.2.0, 1.4.1``)."""
        return {"version": ", ".join(sorted(self.versions))} if self.versions else {}

    def build(self) -> Asset:
        methods = tuple(
            IdentMethod(technique=t, confidence=c, value=v)  # type: ignore[arg-type]
            for (t, v), c in sorted(self.methods.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        evidence = tuple(sorted(self.evidence.values(), key=_location_key))
        usages = tuple(sorted(self.usages.values(), key=_usage_key))
        # one operator for every usage: the asset's; several (DeepSeek API here, Bedrock there): the usages
        # carry them and the asset names none
        operator, jurisdiction = (
            next(iter(self.operators.values())) if len(self.operators) == 1 else (None, None)
        )
        prov = Provenance(
            producers=tuple(self.producers.values()),
            service_operator=operator,
            service_jurisdiction=jurisdiction,
            lineage=tuple(self.lineage.values()),
            methods=methods,
        )
        low = self.name.lower()
        aliases = sorted({a for a in self.aliases if a.lower() != low}, key=str.lower)
        return Asset(
            kind=self.kind,
            name=self.name,
            use_mode=summary_use_mode(usages),
            provenance=prov,
            evidence=evidence,
            usages=usages,
            aliases=tuple(aliases),
            details=_details(self.kind, {**self.attributes, **self._version()}, self.name),
        )


def _details(kind: AssetKind, attrs: dict[str, str], name: str) -> AssetDetails | None:
    """The typed details of an asset from what its evidence contributed (first contribution wins)."""
    if kind == "ai-service":
        return ServiceDetails(
            operator=attrs.get("operator"),
            host=attrs.get("host"),
            endpoint=attrs.get("catalog_endpoint"),
            router=attrs.get("router"),
        )
    if kind == "sdk-dependency":
        return SdkDetails(
            ecosystem=attrs.get("ecosystem", ""),
            package=attrs.get("package", ""),
            version=attrs.get("version"),
            package_kind=attrs.get("package_kind"),
        )
    if kind == "ai-model":
        return ModelDetails(
            family=attrs.get("family"),
            canonical_id=name if "/" in name else None,
            default_model=attrs.get("default_model") == "true",
            via_class=attrs.get("via_class"),
            matched_via=attrs.get("matched_via"),
            router=attrs.get("router"),
        )
    return None


def identify_evidence(evidence: Sequence[Evidence], catalog: Catalog) -> list[Asset]:
    """Group code/config evidence into assets with provenance (see the module docstring for the contract)."""
    ordered = sorted(evidence, key=_evidence_key)
    modules = [ev.value for ev in ordered if ev.kind == "sdk-import"]
    modules += [ev.attributes["module"] for ev in ordered if "module" in ev.attributes]
    builders: dict[tuple[str, str], _Builder] = {}
    for ev in ordered:
        for spec in _specs(ev, catalog, modules):
            key = (spec.kind, spec.name.lower())
            b = builders.get(key)
            if b is None:
                b = builders[key] = _Builder(spec.kind, spec.name)
            b.add(spec, ev)
    assets = [b.build() for b in builders.values()]
    assets.sort(key=lambda a: (_KIND_ORDER.get(a.kind, 9), a.name.lower(), a.use_mode, a.id))
    return assets


# -- per-kind rules --------------------------------------------------------------------------------------


def _specs(ev: Evidence, catalog: Catalog, modules: Sequence[str]) -> list[_Spec]:
    kind = ev.kind
    if kind == "endpoint":
        return _endpoint(ev, catalog)
    if kind in ("sdk-import", "package-dependency"):
        return _package(ev, catalog, modules)
    if kind == "env-key":
        return _env_key(ev, catalog)
    if kind == "framework-class":
        return _framework_class(ev, catalog)
    if kind in ("model-ref", "router-prefix"):
        return _model(ev, catalog, in_model_context=True)
    if kind == "mention":
        return _mention(ev, catalog, modules)
    return []


def _pref(p: ProducerEntry, role: Role = "producer") -> ProducerRef:
    return ProducerRef(id=p.id, name=p.name, jurisdiction=p.jurisdiction, role=role)


def _split_host(value: str) -> tuple[str, str]:
    v = value.strip()
    if "://" not in v:
        v = "//" + v
    try:
        parts = urlsplit(v)
        return (parts.hostname or "").lower(), parts.path
    except ValueError:
        return "", ""


def _endpoint_entry(ev: Evidence, catalog: Catalog) -> tuple[str, EndpointEntry | None]:
    """The observed host and its catalog entry. The evidence value (the host actually seen) is tried first;
    refs["endpoint"] (the catalog key, possibly a wildcard such as ``*.openai.azure.com``) is a fallback."""
    host, path = _split_host(ev.value)
    path = ev.refs.get("path_prefix") or ev.attributes.get("path") or path
    entry = catalog.match_host(host, path) if host else None
    if entry is None and "endpoint" in ev.refs:
        ref_host, _ = _split_host(ev.refs["endpoint"])
        if ref_host and "*" not in ref_host:
            entry = catalog.match_host(ref_host, path)
            host = host or ref_host
        elif ref_host:  # a wildcard key: take the entry by its key
            for e in catalog.endpoints:
                if e.host.lower() == ref_host and e.path_prefix == ev.refs.get("path_prefix", ""):
                    entry = e
                    break
    return host, entry


def _service_spec(
    name: str,
    operator: ProducerEntry,
    jurisdiction: str,
    *,
    as_producer: bool,
    attrs: dict[str, str],
    written: str = "",
) -> _Spec:
    producers = [_pref(operator)] if as_producer else []
    return _Spec(
        kind="ai-service",
        name=name,
        use_mode="hosted-api",
        producers=producers,
        operator=_pref(operator, "operator"),
        jurisdiction=jurisdiction,
        service=name,
        written=written,
        attributes={"operator": operator.id, **attrs},
    )


def _endpoint(ev: Evidence, catalog: Catalog) -> list[_Spec]:
    host, entry = _endpoint_entry(ev, catalog)
    if entry is not None:
        op = catalog.producer(entry.operator)
        return [
            _service_spec(
                catalog.endpoint_service(entry),
                op,
                entry.jurisdiction,
                as_producer=not entry.serves or entry.operator in entry.serves,
                attrs={"host": host, "catalog_endpoint": entry.host + entry.path_prefix},
                written=host + entry.path_prefix,
            )
        ]
    pid = ev.refs.get("producer")
    if host and pid in catalog.producers:
        op = catalog.producers[pid]
        name = catalog.service_name(pid)
        return [
            _service_spec(name, op, op.jurisdiction, as_producer=True, attrs={"host": host}, written=host)
        ]
    if host:
        return [_Spec(kind="ai-service", name=host, use_mode="hosted-api", attributes={"host": host})]
    return []


def _package_entry(ev: Evidence, catalog: Catalog) -> PackageEntry | None:
    ref = ev.refs.get("package")
    if ref and ":" in ref:
        eco, _, name = ref.partition(":")
        entry = catalog.match_package(eco, name)
        if entry is not None:
            return entry
    if ev.kind == "sdk-import":
        return catalog.match_import(ev.value)
    value = ev.value.strip()
    eco_hint = ev.attributes.get("ecosystem")
    head, sep, tail = value.partition(":")
    if sep and head in _ECOSYSTEMS:
        eco_hint, value = head, tail
    for eco in (eco_hint,) if eco_hint else _ECOSYSTEMS:
        if eco is None:
            continue
        entry = catalog.match_package(eco, value)
        if entry is not None:
            return entry
    return None


def _package(ev: Evidence, catalog: Catalog, modules: Sequence[str]) -> list[_Spec]:
    entry = _package_entry(ev, catalog)
    if entry is None:
        return []
    if not catalog.package_counts(entry, [*modules, ev.value]):
        return []
    prod = catalog.producer(entry.producer)
    return [
        _Spec(
            kind="sdk-dependency",
            name=f"{entry.ecosystem}:{entry.name}",
            use_mode="dependency",
            producers=[_pref(prod)],
            alias=False,
            attributes={"ecosystem": entry.ecosystem, "package": entry.name, "package_kind": entry.kind},
        )
    ]


def _provider_service(pid: str, catalog: Catalog, attrs: dict[str, str]) -> _Spec:
    prod = catalog.producer(pid)
    return _service_spec(catalog.service_name(pid), prod, prod.jurisdiction, as_producer=True, attrs=attrs)


def _env_key(ev: Evidence, catalog: Catalog) -> list[_Spec]:
    entry = catalog.match_env_key(ev.refs.get("env_key") or ev.value)
    if entry is None:
        return []
    return [_provider_service(entry.producer, catalog, {})]


def _framework_class(ev: Evidence, catalog: Catalog) -> list[_Spec]:
    entry = catalog.match_class(ev.refs.get("class") or ev.value)
    if entry is None:
        return []
    out: list[_Spec] = []
    if entry.use_mode == "hosted-api":
        out.append(_provider_service(entry.producer, catalog, {}))
    if entry.default_model and not ev.attributes.get("model"):
        m = catalog.match_model(entry.default_model)
        fam = m.family if m is not None else None
        main = m.producer if m is not None else catalog.producer(entry.producer)
        spec = _model_spec(
            catalog.canonical_model(entry.default_model, m), fam, main, entry.use_mode, catalog
        )
        spec.written = entry.default_model
        spec.attributes.update({"default_model": "true", "via_class": entry.name})
        if entry.use_mode == "hosted-api":
            prod = catalog.producer(entry.producer)
            spec.operator = _pref(prod, "operator")
            spec.jurisdiction = prod.jurisdiction
            spec.service = catalog.service_name(prod.id)
        out.append(spec)
    return out


def _model_spec(
    name: str, fam: ModelFamilyEntry | None, main: ProducerEntry | None, use_mode: UseMode, catalog: Catalog
) -> _Spec:
    producers: list[ProducerRef] = []
    lineage: list[LineageEdge] = []
    if main is not None:
        producers.append(_pref(main, "trainer" if fam is not None and fam.lineage else "producer"))
    if fam is not None:
        for ld in fam.lineage:
            base = _pref(catalog.producer(ld.base_producer), "base-producer")
            producers.append(base)
            edge = LineageEdge(relation=ld.relation, base=ld.base, base_producer=base, source="catalog")
            lineage.append(edge)
    attrs = {"family": fam.id} if fam is not None else {}
    return _Spec(
        kind="ai-model", name=name, use_mode=use_mode, producers=producers, lineage=lineage, attributes=attrs
    )


def _model(ev: Evidence, catalog: Catalog, *, in_model_context: bool) -> list[_Spec]:
    value = ev.value.strip().strip("\"'")
    router_key = ev.refs.get("router", "")
    router_name = router_key.partition(":")[0] or None
    m: ModelMatch | None = catalog.match_model(value, in_model_context=in_model_context, router=router_name)
    fam = catalog.family(ev.refs["family"]) if "family" in ev.refs else None
    if fam is None and m is not None:
        fam = m.family
    main: ProducerEntry | None = None
    if fam is not None:
        main = catalog.producer(fam.producer)
    elif m is not None:
        main = m.producer
    elif ev.refs.get("producer") in catalog.producers:
        main = catalog.producers[ev.refs["producer"]]

    routers = m.routers if m is not None else ()
    if not routers and router_key:
        r = catalog.router_prefix(router_key)
        routers = (r,) if r is not None else ()
    if m is None and main is None and not routers:
        return []

    use = ev.attributes.get("use_mode", "unknown")
    use_mode: UseMode = use if use in _USE_MODES else "unknown"  # type: ignore[assignment]
    if use_mode == "unknown" and (routers or ev.kind == "router-prefix"):
        use_mode = "hosted-api"

    out: list[_Spec] = []
    op_entry: ProducerEntry | None = None
    op_juris: str | None = None
    service: str | None = None
    for r in routers:
        if r.operator is not None:
            op_entry = catalog.producer(r.operator)
            op_juris = r.jurisdiction or op_entry.jurisdiction
            service = _router_service(catalog, op_entry, op_juris)
            break
    paired = ev.attributes.get("endpoint") if not routers else None  # a router prefix is more specific
    if paired:
        host, path = _split_host(paired)
        ep = catalog.match_host(host, path)
        if ep is not None and _can_serve(ep, main):
            op_entry, op_juris = catalog.producer(ep.operator), ep.jurisdiction
            service = catalog.endpoint_service(ep)

    bare_prefix_only = m is None and routers and value.lower() == routers[0].prefix.lower()
    # an organisation or path prefix with no model after it ("BAAI/", "BAAI/...") names no model: never an
    # asset of its own (a fragment); the reference it came from stays in the evidence
    fragment = value.rstrip(".").endswith("/")
    if not bare_prefix_only and not fragment and (m is not None or main is not None):
        spec = _model_spec(catalog.canonical_model(value, m), fam, main, use_mode, catalog)
        spec.written = value
        if m is not None:
            spec.attributes["matched_via"] = m.via
        if routers:
            spec.attributes["router"] = f"{routers[0].router}:{routers[0].prefix}"
        if op_entry is not None and use_mode == "hosted-api":
            spec.operator = _pref(op_entry, "operator")
            spec.jurisdiction = op_juris
            spec.service = service
        out.append(spec)
    if routers and op_entry is not None and use_mode == "hosted-api" and not paired:
        out.append(
            _service_spec(
                service or catalog.service_name(op_entry.id),
                op_entry,
                op_juris or op_entry.jurisdiction,
                as_producer=True,
                attrs={"router": routers[0].router},
                written=value,
            )
        )
        out[-1].alias = False  # a model id is not a name of the service it is sent to
    return out


def _router_service(catalog: Catalog, op: ProducerEntry, jurisdiction: str | None) -> str:
    """The service a router prefix reaches: the operator's product, with the jurisdiction when the router
    entry places it elsewhere than the operator's home."""
    name = catalog.service_name(op.id)
    return name if not jurisdiction or jurisdiction == op.jurisdiction else f"{name} ({jurisdiction})"


def _can_serve(ep: EndpointEntry, producer: ProducerEntry | None) -> bool:
    """Whether a same-file endpoint plausibly serves this model: a single-provider host (``serves`` empty)
    serves only its operator's models; multi-model hosts serve anything (their lists are not exhaustive)."""
    if producer is None or ep.serves:
        return True
    return producer.id == ep.operator


def _mention(ev: Evidence, catalog: Catalog, modules: Sequence[str]) -> list[_Spec]:
    refs = ev.refs
    if "endpoint" in refs:
        return _endpoint(ev, catalog)
    if "package" in refs:
        return _package(ev, catalog, modules)
    if "env_key" in refs:
        return _env_key(ev, catalog)
    if "class" in refs:
        return _framework_class(ev, catalog)
    if "family" in refs or "router" in refs:
        return _model(ev, catalog, in_model_context=True)
    host, _ = _split_host(ev.value)
    if host and "." in host and catalog.match_host(host) is not None:
        return _endpoint(ev, catalog)
    if catalog.match_env_key(ev.value) is not None:
        return _env_key(ev, catalog)
    if catalog.match_class(ev.value) is not None:
        return _framework_class(ev, catalog)
    return _model(ev, catalog, in_model_context=False)


# -- ordering helpers -------------------------------------------------------------------------------------


def _technique(ev: Evidence) -> Technique:
    if ev.kind == "package-dependency":
        return "manifest-analysis"
    ctx = ev.attributes.get("context", "").lower()
    if ev.kind == "model-ref" and ("file name" in ctx or "filename" in ctx):
        return "filename"
    return "source-code-analysis"


def _location_key(ev: Evidence) -> tuple[str, str, int, int, str, str, str]:
    loc = ev.location
    return (loc.path, loc.member or "", loc.line or 0, loc.column or 0, ev.kind, ev.value, ev.detector)


def _usage_key(u: Usage) -> tuple[str, str, int, int, str, str]:
    loc = u.location
    return (loc.path, loc.member or "", loc.line or 0, loc.column or 0, u.use_mode, u.as_written)


def _evidence_key(ev: Evidence) -> tuple[int, tuple[str, str, int, int, str, str, str], str]:
    return (-STRENGTH_ORDER[ev.strength], _location_key(ev), ev.excerpt)
