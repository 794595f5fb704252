"""SPDX 3.0.1 JSON-LD with the AI profile, built as plain dicts (a pure function of the result, like
:mod:`tierguard.report.cyclonedx`, whose property helpers it shares). Mapping (docs/spdx.md):

- one ``CreationInfo`` (blank node ``_:creationinfo``): created = scan start, createdBy the ``SoftwareAgent``
  tierguard, createdUsing the ``Tool`` tierguard <version>;
- ``SpdxDocument`` (profiles core, software, ai) whose root is a ``software_Sbom`` (type ``analyzed``), whose
  root is the scanned target (a ``software_Package``);
- ``ai-model`` -> ``ai_AIPackage`` (primaryPurpose ``model``): producers are ``originatedBy`` (every producer:
  trainer and base producers), ``suppliedBy`` is the service operator for a hosted model, else the first
  producer; ``ai_typeOfModel`` from the artifact's architecture where known; ``ai_autonomyType``
  ``noAssertion`` (static analysis cannot know); provenance (producers with jurisdictions, lineage, service,
  use mode, identification methods) in ``comment``; HF purl, hash, version where known;
- ``sdk-dependency`` -> ``software_Package`` (``library``, purl); ``ai-service`` -> ``software_Package``
  (``other``, a hosted service: SPDX 3.0 has no service class) supplied by its operator; devices, OS and
  system software -> ``software_Package`` (``device``, ``operatingSystem``, ``application``);
- every producer and operator -> one ``Organization`` (its jurisdiction in ``comment`` and as a
  ``tierguard:jurisdiction`` property);
- Relationships: target ``dependsOn`` each top-level asset (``completeness: incomplete`` when coverage is
  incomplete), parent ``contains`` child, a derived model ``descendantOf`` its lineage base (the relation,
  e.g. ``distill``, in the relationship's comment; a base not among the assets is an ``ai_AIPackage`` of its
  own);
- Annotations (type ``review``): one per decision on its asset (verdict, each rule with its citation URL and
  instrument status; the same ``tierguard:*`` properties as CycloneDX in an
  ``extension_CdxPropertiesExtension``), one per inspection finding, and one (type ``other``) on the
  target with the context warning, coverage, skipped units and notes.

Identifiers are IRIs ``urn:tierguard:spdx:<uuid>#<asset id>``: the uuid is derived like the CycloneDX serial
(target, start, tool and catalog version), the fragment from the asset's stable id.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from tierguard.model import (
    Asset,
    Decision,
    Finding,
    ModelDetails,
    ProducerRef,
    ScanResult,
    SdkDetails,
    ServiceDetails,
    stable_id,
    status_label,
)
from tierguard.report._common import (
    citation_text,
    context_warning,
    decision_index,
    display_location,
    iso_utc,
    json_text,
    safe_text,
)
from tierguard.report.coverage import coverage
from tierguard.report.cyclonedx import (
    _decision_props,
    _metadata_properties,
    _producer_props,
    purl_for,
)

SPEC_VERSION = "3.0.1"
CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
CREATION_INFO = "_:creationinfo"
_PURPOSE = {
    "ai-model": "model",
    "sdk-dependency": "library",
    "ai-service": "other",
    "ai-app": "application",
    "hardware-device": "device",
    "operating-system": "operatingSystem",
    "system-software": "application",
}
_HASH_ALGS = {"sha256": "sha256", "sha-256": "sha256", "sha512": "sha512", "sha1": "sha1", "md5": "md5"}
_HF_LINK = "https://huggingface.co/"

__all__ = ["render", "document", "SPEC_VERSION", "CONTEXT"]


def render(result: ScanResult) -> str:
    return json_text(document(result))


def document(result: ScanResult) -> dict[str, Any]:
    """The SPDX 3.0.1 JSON-LD document as a dict (mapping in the module docstring)."""
    return _Builder(result).build()


class _Builder:
    """Collects the graph's elements; ids are IRIs in one document namespace."""

    def __init__(self, result: ScanResult) -> None:
        self.result = result
        seed = "|".join([result.target, result.started, result.tool_version, result.catalog_version])
        self.ns = f"urn:tierguard:spdx:{uuid.uuid5(uuid.NAMESPACE_URL, 'tierguard:' + seed)}#"
        self.graph: list[dict[str, Any]] = []
        self.elements: list[str] = []  # every element of the collections (not the document or the sbom)
        self.orgs: dict[str, str] = {}  # producer id -> element id
        self.packages: dict[str, str] = {}  # asset id -> element id
        self.by_name: dict[str, str] = {}  # asset name -> element id (parents, lineage bases)

    # ---- ids and plain elements -------------------------------------------------------------------

    def iri(self, local: str) -> str:
        return self.ns + local

    def add(self, element: dict[str, Any], *, collect: bool = True) -> str:
        element.setdefault("creationInfo", CREATION_INFO)
        self.graph.append(element)
        if collect:
            self.elements.append(element["spdxId"])
        return str(element["spdxId"])

    def org(self, p: ProducerRef) -> str:
        """The Organization of a producer or operator (one per catalog id)."""
        known = self.orgs.get(p.id)
        if known is not None:
            return known
        jur = p.jurisdiction or "XX"
        eid = self.add(
            {
                "type": "Organization",
                "spdxId": self.iri(stable_id("org", p.id)),
                "name": safe_text(p.name),
                "comment": f"jurisdiction (ISO 3166-1 alpha-2, XX = unknown): {jur}; tierguard catalog id: "
                f"{safe_text(p.id)}",
                "extension": [_cdx([("tierguard:jurisdiction", jur), ("tierguard:producer-id", p.id)])],
            }
        )
        self.orgs[p.id] = eid
        return eid

    # ---- the document ------------------------------------------------------------------------------

    def build(self) -> dict[str, Any]:
        r = self.result
        agent = self.iri("tierguard-agent")
        tool = self.iri("tierguard-tool")
        created = iso_utc(r.started) or iso_utc(r.finished) or _now()
        self.graph.append(
            {
                "type": "CreationInfo",
                "@id": CREATION_INFO,
                "specVersion": SPEC_VERSION,
                "created": created,
                "createdBy": [agent],
                "createdUsing": [tool],
                "comment": f"tierguard {r.command}: {', '.join(r.stages) or 'no stages'}",
            }
        )
        self.add({"type": "SoftwareAgent", "spdxId": agent, "name": "tierguard"})
        self.add({"type": "Tool", "spdxId": tool, "name": f"tierguard {r.tool_version or 'unknown'}"})
        target = self.add(
            {
                "type": "software_Package",
                "spdxId": self.iri("target"),
                "name": safe_text(r.target or "target"),
                "software_primaryPurpose": "other",
                "comment": "the scanned target",
            }
        )
        self._assets()
        self._relationships(target)
        self._annotations(target)
        sbom = self.iri("sbom")
        self.graph.append(
            {
                "type": "software_Sbom",
                "spdxId": sbom,
                "creationInfo": CREATION_INFO,
                "name": f"AI bill of materials of {safe_text(r.target or 'target')}",
                "software_sbomType": ["analyzed"],
                "profileConformance": ["core", "software", "ai"],
                "rootElement": [target],
                "element": list(self.elements),
            }
        )
        self.graph.append(
            {
                "type": "SpdxDocument",
                "spdxId": self.iri("document"),
                "creationInfo": CREATION_INFO,
                "name": f"tierguard {r.command} of {safe_text(r.target or 'target')}",
                "comment": f"catalog {r.catalog_version}; result schema {r.schema_version}",
                "profileConformance": ["core", "software", "ai"],
                "rootElement": [sbom],
                "element": [sbom, *self.elements],
            }
        )
        return {"@context": CONTEXT, "@graph": self.graph}

    # ---- assets ------------------------------------------------------------------------------------

    def _assets(self) -> None:
        for a in self.result.assets:
            if a.id in self.packages:
                continue
            eid = self.add(self._package(a))
            self.packages[a.id] = eid
            self.by_name.setdefault(a.name, eid)

    def _package(self, a: Asset) -> dict[str, Any]:
        prov = a.provenance
        sdk = a.details if isinstance(a.details, SdkDetails) else None
        p: dict[str, Any] = {
            "type": "ai_AIPackage" if a.kind == "ai-model" else "software_Package",
            "spdxId": self.iri(a.id),
            "name": safe_text((sdk.package if sdk is not None else "") or a.name),
            "software_primaryPurpose": _PURPOSE.get(a.kind, "other"),
            "comment": _provenance_text(a),
        }
        producers = [self.org(x) for x in prov.producers]
        if producers:
            p["originatedBy"] = producers
        supplier = prov.service_operator or (prov.producers[0] if prov.producers else None)
        if supplier is not None:
            p["suppliedBy"] = self.org(supplier)
        if a.version:
            p["software_packageVersion"] = safe_text(a.version)
        purl = purl_for(a) if a.kind in ("ai-model", "sdk-dependency") else None
        if purl:
            p["software_packageUrl"] = purl
            p["externalIdentifier"] = [
                {"type": "ExternalIdentifier", "externalIdentifierType": "packageUrl", "identifier": purl}
            ]
            if purl.startswith("pkg:huggingface/"):
                repo = purl.removeprefix("pkg:huggingface/").split("@", 1)[0]
                p["software_downloadLocation"] = _HF_LINK + repo
        hashes = _hashes(a)
        if hashes:
            p["verifiedUsing"] = hashes
        if a.kind == "ai-model":
            p.update(_ai_fields(a))
        elif isinstance(a.details, ServiceDetails) and a.details.host:
            p["software_homePage"] = _endpoint(a.details.host)
            p["description"] = "hosted AI service (an endpoint the code talks to)"
        props: list[tuple[str, str]] = [("tierguard:asset-kind", a.kind), ("tierguard:use-mode", a.use_mode)]
        props += [(x["name"], x["value"]) for x in _producer_props(a)]
        p["extension"] = [_cdx(props)]
        return p

    # ---- relationships -----------------------------------------------------------------------------

    def relationship(self, src: str, kind: str, to: list[str], **extra: Any) -> None:
        rid = self.iri(stable_id("rel", src, kind, *to))
        self.add(
            {"type": "Relationship", "spdxId": rid, "from": src, "relationshipType": kind, "to": to, **extra}
        )

    def _relationships(self, target: str) -> None:
        complete = coverage(self.result).complete
        top: list[str] = []
        children: dict[str, list[str]] = {}
        for a in self.result.assets:
            eid = self.packages[a.id]
            parent = self._parent(a) if a.parent else None
            if parent is None or parent == eid:
                if eid not in top:
                    top.append(eid)
            elif eid not in children.setdefault(parent, []):
                children[parent].append(eid)
        if top:
            extra = {} if complete else {"completeness": "incomplete"}
            self.relationship(target, "dependsOn", top, **extra)
        for parent, kids in children.items():
            self.relationship(parent, "contains", kids)
        for a in self.result.assets:
            for e in a.provenance.lineage:
                base = self._lineage_base(e.base, e.base_producer)
                note = f"lineage: {e.relation} of {safe_text(e.base)}"
                note += f" (asserted by {safe_text(e.source)})" if e.source else ""
                self.relationship(self.packages[a.id], "descendantOf", [base], comment=note)

    def _parent(self, a: Asset) -> str | None:
        """The element of an asset's parent: an asset by id or name, else a synthesised package."""
        assert a.parent is not None
        known = self.packages.get(a.parent) or self.by_name.get(a.parent)
        if known is not None:
            return known
        eid = self.iri(stable_id("parent", a.parent))
        if eid not in self.elements:
            device = a.kind in ("hardware-device", "operating-system", "system-software")
            self.add(
                {
                    "type": "software_Package",
                    "spdxId": eid,
                    "name": safe_text(a.parent),
                    "software_primaryPurpose": "device" if device else "library",
                    "comment": "synthesised: the parent of discovered assets",
                }
            )
        return eid

    def _lineage_base(self, name: str, producer: ProducerRef | None) -> str:
        known = self.by_name.get(name)
        if known is not None:
            return known
        base: dict[str, Any] = {
            "type": "ai_AIPackage",
            "spdxId": self.iri(stable_id("base", name)),
            "name": safe_text(name),
            "software_primaryPurpose": "model",
            "comment": "a base model in the lineage of a discovered model (not itself found in the target)",
        }
        if producer is not None:
            base["originatedBy"] = [self.org(producer)]
            base["suppliedBy"] = self.org(producer)
        eid = self.add(base)
        self.by_name[name] = eid
        return eid

    # ---- annotations -------------------------------------------------------------------------------

    def annotation(self, subject: str, kind: str, statement: str, props: list[tuple[str, str]]) -> None:
        aid = self.iri(stable_id("ann", subject, statement))
        ann: dict[str, Any] = {
            "type": "Annotation",
            "spdxId": aid,
            "annotationType": kind,
            "subject": subject,
            "statement": statement,
        }
        if props:
            ann["extension"] = [_cdx(props)]
        self.add(ann)

    def _annotations(self, target: str) -> None:
        r = self.result
        decisions = decision_index(r)
        for a in r.assets:
            d = decisions.get(a.id)
            if d is not None:
                props = [(x["name"], x["value"]) for x in _decision_props(d)]
                self.annotation(self.packages[a.id], "review", _verdict_text(a, d, r), props)
        for f in r.findings:
            subject = self.packages.get(f.asset_id or "", target)
            self.annotation(subject, "review", _finding_text(f), [("tierguard:finding", f.rule_id)])
        lines = [w for w in [context_warning(r)] if w is not None]
        lines.append("context: " + (_context_text(r) or "none given"))
        cov = coverage(r)
        lines.append(
            f"coverage: {'complete' if cov.complete else 'incomplete'}; {len(r.skipped)} unit(s) skipped, "
            f"{len(cov.gating)} gap(s) that gate"
        )
        lines += [f"note: {n}" for n in r.notes if n != context_warning(r)]
        props = [(x["name"], x["value"]) for x in _metadata_properties(r)]
        self.annotation(target, "other", "\n".join(safe_text(x, keep_newlines=True) for x in lines), props)


# ---- text and small parts ---------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cdx(props: list[tuple[str, str]]) -> dict[str, Any]:
    """The ``tierguard:*`` properties of an element, as SPDX 3's CycloneDX-properties extension."""
    return {
        "type": "extension_CdxPropertiesExtension",
        "extension_cdxProperty": [
            {"type": "extension_CdxPropertyEntry", "extension_cdxPropName": k, "extension_cdxPropValue": v}
            for k, v in props
        ],
    }


def _ai_fields(a: Asset) -> dict[str, Any]:
    d = a.details if isinstance(a.details, ModelDetails) else None
    out: dict[str, Any] = {"ai_autonomyType": "noAssertion"}
    kinds = [x for x in (d.architecture, d.structure) if x] if d is not None else []
    if kinds:
        out["ai_typeOfModel"] = [safe_text(x) for x in dict.fromkeys(kinds)]
    uses = sorted({_usage_text(u.use_mode, u.service, u.service_jurisdiction) for u in a.usages})
    if uses:
        out["ai_informationAboutApplication"] = "used as: " + "; ".join(uses)
    if d is not None and d.parameters:
        out["ai_hyperparameter"] = [
            {"type": "DictionaryEntry", "key": "parameters", "value": safe_text(d.parameters)}
        ]
    return out


def _usage_text(mode: str, service: str | None, jurisdiction: str | None) -> str:
    via = f" via {safe_text(service)} ({jurisdiction or '?'})" if service else ""
    return mode + via


def _provenance_text(a: Asset) -> str:
    """Provenance in one readable paragraph: producers with roles and jurisdictions, lineage, service."""
    prov = a.provenance
    parts = [f"tierguard {a.kind}; use mode {a.use_mode}; evidence strength {a.strength}"]
    if prov.producers:
        parts.append(
            "producers: "
            + ", ".join(f"{safe_text(p.name)} ({p.jurisdiction}, {p.role})" for p in prov.producers)
        )
    if prov.service_operator is not None:
        jur = prov.service_jurisdiction or prov.service_operator.jurisdiction
        parts.append(f"service operator: {safe_text(prov.service_operator.name)} ({jur})")
    elif prov.service_jurisdiction:
        parts.append(f"service jurisdiction: {prov.service_jurisdiction}")
    for e in prov.lineage:
        by = (
            f" by {safe_text(e.base_producer.name)} ({e.base_producer.jurisdiction})"
            if e.base_producer
            else ""
        )
        parts.append(f"lineage: {e.relation} of {safe_text(e.base)}{by}")
    if prov.methods:
        parts.append(
            "identified by: "
            + ", ".join(dict.fromkeys(f"{m.technique} ({m.confidence:.2f})" for m in prov.methods))
        )
    if a.aliases:
        parts.append("also written as: " + ", ".join(safe_text(x) for x in a.aliases[:20]))
    return "; ".join(parts)


def _verdict_text(a: Asset, d: Decision, r: ScanResult) -> str:
    head = f"tierguard verdict on {safe_text(a.name)}: {d.verdict}"
    if d.waived_by is not None:
        w = d.waived_by
        head += f" (waived by {safe_text(w.id)}, owner {safe_text(w.owner)}, expires {w.expires})"
    head += f"; context: {_context_text(r) or 'none given'}"
    lines = [head]
    for m in d.matches:
        lines.append(
            f"rule {m.rule_id} ({m.pack}@{m.pack_version}): {m.verdict}, {m.severity}: "
            f"{safe_text(m.reason.strip())}; {status_label(m.citation.status)}; {citation_text(m.citation)}"
        )
    for g in d.by_usage:
        lines.append(
            f"usage {g.use_mode}, service jurisdiction {g.service_jurisdiction or '-'}, "
            f"strength {g.strength}: {g.verdict} "
            f"({g.usages} usage(s); at {', '.join(display_location(x) for x in g.locations[:5]) or '-'})"
        )
    lines += [f"note: {safe_text(n)}" for n in d.notes]
    return "\n".join(lines)


def _finding_text(f: Finding) -> str:
    return (
        f"inspection finding {f.rule_id} ({f.severity}) at {display_location(f.location)}: "
        f"{safe_text(f.message)}"
    )


def _context_text(r: ScanResult) -> str:
    return ", ".join(f"{k}={v}" for k, v in r.context.model_dump().items() if v not in (None, False, ""))


def _hashes(a: Asset) -> list[dict[str, Any]]:
    out = []
    for k, v in a.detail_items():
        alg = _HASH_ALGS.get(k.lower())
        if alg and len(v) >= 32 and all(c in "0123456789abcdefABCDEF" for c in v):
            out.append({"type": "Hash", "algorithm": alg, "hashValue": v.lower()})
    return out


def _endpoint(host: str) -> str:
    h = host.strip()
    return h if "://" in h else "https://" + h
