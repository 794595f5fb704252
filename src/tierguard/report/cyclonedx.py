"""CycloneDX 1.6 JSON ML-BOM, built as plain dicts (cyclonedx-python-lib cannot emit modelCard).

Mapping (see docs/formats.md):
- ``ai-model`` -> component ``machine-learning-model`` (bom-ref = asset id), ``manufacturer`` = first
  producer with ``address.country``, further producers as ``tierguard:producer`` properties,
  ``supplier`` = service operator, ``pedigree.ancestors`` = lineage edges, ``evidence.identity`` =
  identification methods, ``evidence.occurrences`` = where it was seen, ``hashes`` from attributes,
  a ``modelCard`` with the use mode.
- ``sdk-dependency`` -> ``library`` with a purl (pkg:pypi / pkg:npm); ``hardware-device`` -> ``device``;
  ``operating-system`` -> ``operating-system``; ``system-software`` -> ``application``.
- ``ai-service`` -> ``services[]`` with endpoints, provider (with country), ``x-trust-boundary``,
  ``trustZone`` and ``data`` classification from the context.
- ``asset.parent`` -> the child is nested in its parent's ``components`` (a parent not in the result is
  a synthesised component) and listed in ``dependencies``.
- Decisions are ``tierguard:*`` properties; inspection findings are ``vulnerabilities`` affecting the asset;
  skipped units, incomplete inspections and notes are BOM-level properties.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from tierguard.model import (
    Asset,
    Decision,
    Location,
    ModelDetails,
    ProducerRef,
    ScanResult,
    SdkDetails,
    ServiceDetails,
    stable_id,
)
from tierguard.report._common import (
    asset_index,
    citation_text,
    context_warning,
    decision_index,
    display_location,
    display_path,
    iso_utc,
    json_text,
    packs_text,
    safe_text,
    uri_path,
)
from tierguard.report.coverage import coverage

SPEC_VERSION = "1.6"
_HASH_ALGS = {
    "md5": "MD5",
    "sha1": "SHA-1",
    "sha-1": "SHA-1",
    "sha256": "SHA-256",
    "sha-256": "SHA-256",
    "sha384": "SHA-384",
    "sha-384": "SHA-384",
    "sha512": "SHA-512",
    "sha-512": "SHA-512",
    "sha3-256": "SHA3-256",
    "sha3-384": "SHA3-384",
    "sha3-512": "SHA3-512",
    "blake2b-256": "BLAKE2b-256",
    "blake2b-384": "BLAKE2b-384",
    "blake2b-512": "BLAKE2b-512",
    "blake3": "BLAKE3",
}
_HEX = re.compile(r"^[0-9a-fA-F]{32,128}$")
_COMPONENT_TYPE = {
    "ai-model": "machine-learning-model",
    "sdk-dependency": "library",
    "hardware-device": "device",
    "operating-system": "operating-system",
    "system-software": "application",
}
_VULN_SEVERITY = {"critical": "critical", "high": "high", "medium": "medium", "low": "low", "info": "info"}

__all__ = ["render", "bom", "purl_for"]


def render(result: ScanResult) -> str:
    return json_text(bom(result))


def bom(result: ScanResult) -> dict[str, Any]:
    """The CycloneDX 1.6 BOM as a dict (mapping in the module docstring)."""
    by_id, order, services = _components(result)
    tree = _nest(result, by_id)
    top = list(tree.synthesised.values()) + [by_id[i] for i in order if i not in tree.nested]
    vulnerabilities = _vulnerabilities(result, set(by_id) | {s["bom-ref"] for s in services})
    doc: dict[str, Any] = {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": _serial(result),
        "version": 1,
        "metadata": _metadata(result),
        "components": top,
    }
    if services:
        doc["services"] = services
    all_refs = [i for i in order] + [s["bom-ref"] for s in services] + list(tree.synthesised)
    deps = [{"ref": "target", "dependsOn": [r for r in all_refs if r not in tree.nested]}]
    deps += [{"ref": ref, "dependsOn": kids} for ref, kids in tree.dependencies.items()]
    doc["dependencies"] = deps
    if vulnerabilities:
        doc["vulnerabilities"] = vulnerabilities
    props = [_prop("tierguard:note", n) for n in result.notes]
    if props:
        doc["properties"] = props
    return doc


def _components(
    result: ScanResult,
) -> tuple[dict[str, dict[str, Any]], list[str], list[dict[str, Any]]]:
    """Components by asset id (first asset of an id wins), their order, and the services."""
    decisions = decision_index(result)
    by_id: dict[str, dict[str, Any]] = {}
    services: list[dict[str, Any]] = []
    order: list[str] = []
    for a in result.assets:
        if a.kind == "ai-service":
            services.append(_service(a, decisions.get(a.id), result))
        elif a.id not in by_id:
            by_id[a.id] = _component(a, decisions.get(a.id))
            order.append(a.id)
    return by_id, order, services


@dataclass(frozen=True, slots=True)
class _Tree:
    """Parent links: parent ref -> child ids, the children nested in their parent, synthesised parents."""

    dependencies: dict[str, list[str]]
    nested: set[str]
    synthesised: dict[str, dict[str, Any]]


def _nest(result: ScanResult, by_id: dict[str, dict[str, Any]]) -> _Tree:
    """Nest each child under its parent component (an existing asset or a synthesised one), in place,
    unless that would make a cycle; every link is also a dependency."""
    names = {a.name: a.id for a in result.assets if a.kind != "ai-service"}
    assets = asset_index(result)
    tree = _Tree({}, set(), {})
    for a in result.assets:
        if not a.parent:
            continue
        parent_ref = a.parent if a.parent in by_id else names.get(a.parent)
        if parent_ref is None or parent_ref == a.id:
            parent_ref = stable_id("parent", a.parent)
            if parent_ref not in tree.synthesised:
                tree.synthesised[parent_ref] = _synth_parent(a)
        kids = tree.dependencies.setdefault(parent_ref, [])
        if a.id not in kids:
            kids.append(a.id)
        if a.id in by_id and not _is_ancestor(a.id, parent_ref, assets, by_id, names):
            tree.nested.add(a.id)
            parent = by_id.get(parent_ref) or tree.synthesised[parent_ref]
            parent.setdefault("components", []).append(by_id[a.id])
    return tree


def _vulnerabilities(result: ScanResult, known_refs: set[str]) -> list[dict[str, Any]]:
    """One vulnerability per inspection finding, affecting its asset when that asset is in the BOM."""
    out = []
    for f in result.findings:
        v: dict[str, Any] = {
            "bom-ref": f.id,
            "id": f.rule_id,
            "source": {"name": "tierguard"},
            "ratings": [{"severity": _VULN_SEVERITY[f.severity], "method": "other"}],
            "description": f.message,
            "properties": [
                _prop("tierguard:location", display_location(f.location)),
                *[
                    _prop(f"tierguard:finding:{k}", v)
                    for k, v in sorted({"subject": f.subject, **f.attributes}.items())
                ],
            ],
        }
        if f.asset_id and f.asset_id in known_refs:
            v["affects"] = [{"ref": f.asset_id}]
        out.append(v)
    return out


def _metadata(result: ScanResult) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "tools": {
            "components": [
                {"type": "application", "name": "tierguard", "version": result.tool_version or "unknown"}
            ]
        },
        "component": {"type": "application", "bom-ref": "target", "name": result.target or "target"},
        "properties": _metadata_properties(result),
    }
    ts = iso_utc(result.started)
    if ts:
        metadata = {"timestamp": ts, **metadata}
    return metadata


def _is_ancestor(
    child: str, parent_ref: str, assets: dict[str, Asset], by_id: dict[str, Any], names: dict[str, str]
) -> bool:
    """True when ``child`` is (transitively) a parent of ``parent_ref``: nesting would create a cycle."""
    seen: set[str] = set()
    cur: str | None = parent_ref
    while cur is not None and cur not in seen:
        if cur == child:
            return True
        seen.add(cur)
        a = assets.get(cur)
        if a is None or not a.parent:
            return False
        cur = a.parent if a.parent in by_id else names.get(a.parent)
    return cur is not None


def _serial(result: ScanResult) -> str:
    seed = "|".join([result.target, result.started, result.tool_version, result.catalog_version])
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'tierguard:' + seed)}"


def _prop(name: str, value: str) -> dict[str, str]:
    return {"name": name, "value": value}


def _org(p: ProducerRef) -> dict[str, Any]:
    out: dict[str, Any] = {"name": p.name}
    if p.jurisdiction and p.jurisdiction != "XX":
        out["address"] = {"country": p.jurisdiction}
    return out


def _producer_props(a: Asset) -> list[dict[str, str]]:
    props = [
        _prop("tierguard:producer", f"{p.id}|{p.name}|{p.jurisdiction}|{p.role}")
        for p in a.provenance.producers
    ]
    props += [_prop("tierguard:jurisdiction", j) for j in sorted(a.provenance.jurisdictions)]
    if a.provenance.service_jurisdiction:
        props.append(_prop("tierguard:service-jurisdiction", a.provenance.service_jurisdiction))
    return props


def _decision_props(d: Decision | None) -> list[dict[str, str]]:
    if d is None:
        return [_prop("tierguard:verdict", "undecided")]
    props = [_prop("tierguard:verdict", d.verdict), _prop("tierguard:effective-verdict", d.effective_verdict)]
    for m in d.matches:
        props.append(
            _prop(
                "tierguard:rule",
                f"{m.rule_id}|{m.verdict}|{m.citation.status or 'unspecified'}|{m.pack}@{m.pack_version}|"
                f"{citation_text(m.citation)}",
            )
        )
    if d.waived_by is not None:
        w = d.waived_by
        props.append(
            _prop("tierguard:waiver", f"{w.id}|{w.owner}|{w.approval}|expires {w.expires}|{w.justification}")
        )
    props += [_prop("tierguard:decision-note", n) for n in d.notes]
    for g in d.by_usage:  # the verdict per way of use: "hosted-api|CN|B|deny|3 usages|OAI-2025-T1-API"
        juris = g.service_jurisdiction or "-"
        props.append(
            _prop(
                "tierguard:usage-verdict",
                f"{g.use_mode}|{juris}|{g.strength}|{g.verdict}|{g.usages} usages|{','.join(g.rules)}",
            )
        )
    return props


def _occurrences(a: Asset) -> list[dict[str, Any]]:
    """Where the asset is used: one occurrence per usage (use mode, service, strength, name as written), or
    per evidence location for assets without usages; one per (location, line)."""
    places: list[tuple[Location, str]] = []
    for u in a.usages:
        via = f" via {u.service} ({u.service_jurisdiction or '?'})" if u.service else ""
        written = f", as {safe_text(u.as_written)}" if u.as_written and u.as_written != a.name else ""
        places.append((u.location, f"{u.use_mode}{via}, strength {u.strength}{written}"))
    if not a.usages:
        places += [
            (ev.location, f"{ev.detector}: {ev.kind} {safe_text(ev.value)} (strength {ev.strength})")
            for ev in a.evidence
        ]
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, int | None]] = set()
    for location, context in places:
        loc = _occurrence(location)
        if (loc, location.line) in seen:
            continue
        seen.add((loc, location.line))
        occ: dict[str, Any] = {"location": loc}
        if location.line is not None and location.line >= 0:
            occ["line"] = location.line
        occ["additionalContext"] = context
        out.append(occ)
    return out


def _occurrence(loc: Location) -> str:
    """An occurrence's location as a relative URI reference (percent-encoded, see uri_path); a container
    member follows its container after ``!`` (a literal ``!`` in a name is ``%21``)."""
    return uri_path(loc.path) + (f"!{uri_path(loc.member)}" if loc.member else "")


def _evidence(a: Asset) -> dict[str, Any] | None:
    ev: dict[str, Any] = {}
    methods = [
        {"technique": m.technique, "confidence": m.confidence, **({"value": m.value} if m.value else {})}
        for m in a.provenance.methods
    ]
    if methods:
        ev["identity"] = [
            {
                "field": "name",
                "confidence": max(m.confidence for m in a.provenance.methods),
                "concludedValue": a.name,
                "methods": methods,
            }
        ]
    occ = _occurrences(a)
    if occ:
        ev["occurrences"] = occ
    return ev or None


def _hashes(a: Asset) -> list[dict[str, str]]:
    out = []
    for k, v in a.detail_items():
        alg = _HASH_ALGS.get(k.lower())
        if alg and _HEX.match(v):
            out.append({"alg": alg, "content": v.lower()})
    return out


_HF_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[\w.-]{1,96}$")


def hf_purl(a: Asset) -> str | None:
    """``pkg:huggingface/ORG/NAME[@REVISION]`` for a model known by its Hugging Face id: the HF cache repo of
    an artifact, or a reference the catalog matched as an HF id (``org/name``). Purl type per the purl-spec
    ``huggingface`` definition (namespace = user or organisation, version = commit hash)."""
    d = a.details if isinstance(a.details, ModelDetails) else None
    if a.kind != "ai-model" or d is None:
        return None
    repo = d.hf_repo
    if repo is None and d.matched_via in ("hf-id", "hf-org") and _HF_ID.match(a.name):
        repo = a.name
    if repo is None or not _HF_ID.match(repo):
        return None
    org, name = repo.split("/", 1)
    suffix = f"@{_pct(d.hf_revision.lower())}" if d.hf_revision else ""
    return f"pkg:huggingface/{_pct(org)}/{_pct(name)}{suffix}"


def purl_for(a: Asset) -> str | None:
    """A package URL: SDK dependencies (pypi, npm, ...) from their details or evidence refs, models known
    by a Hugging Face id (:func:`hf_purl`)."""
    if a.kind == "ai-model":
        return hf_purl(a)
    sdk = a.details if isinstance(a.details, SdkDetails) else None
    eco = sdk.ecosystem if sdk is not None else ""
    name = sdk.package if sdk is not None else ""
    if not (eco and name):
        for ev in a.evidence:
            ref = ev.refs.get("package", "")
            if ":" in ref:
                eco, name = ref.split(":", 1)
                break
    if not (eco and name):
        return None
    eco = eco.lower()
    version = (sdk.version if sdk is not None else None) or ""
    suffix = f"@{_pct(version)}" if version else ""
    if eco == "pypi":
        return f"pkg:pypi/{re.sub(r'[-_.]+', '-', name).lower()}{suffix}"
    if eco == "npm":
        if name.startswith("@") and "/" in name:
            scope, pkg = name.split("/", 1)
            return f"pkg:npm/%40{_pct(scope[1:])}/{_pct(pkg)}{suffix}"
        return f"pkg:npm/{_pct(name)}{suffix}"
    if eco in ("cargo", "gem", "nuget", "golang", "maven"):
        return f"pkg:{eco}/{'/'.join(_pct(p) for p in name.split('/'))}{suffix}"
    return None


def _pct(s: str) -> str:
    from urllib.parse import quote

    return quote(s, safe="-._~+")


def _component(a: Asset, d: Decision | None) -> dict[str, Any]:
    sdk = a.details if isinstance(a.details, SdkDetails) else None
    name = sdk.package if sdk is not None else a.name
    c: dict[str, Any] = {"type": _COMPONENT_TYPE[a.kind], "bom-ref": a.id, "name": name or a.name}
    prov = a.provenance
    if prov.producers:
        c["manufacturer"] = _org(prov.producers[0])
    if prov.service_operator is not None:
        c["supplier"] = _org(prov.service_operator)
    version = a.version
    if version:
        c["version"] = version
    hashes = _hashes(a)
    if hashes:
        c["hashes"] = hashes
    if a.kind in ("sdk-dependency", "ai-model"):
        purl = purl_for(a)
        if purl:
            c["purl"] = purl
    if prov.lineage:
        ancestors = []
        for e in prov.lineage:
            anc: dict[str, Any] = {
                "type": "machine-learning-model",
                "name": e.base,
                "properties": [_prop("tierguard:lineage:relation", e.relation)],
            }
            if e.base_producer is not None:
                anc["manufacturer"] = _org(e.base_producer)
                anc["properties"].append(
                    _prop(
                        "tierguard:lineage:base-producer",
                        f"{e.base_producer.id}|{e.base_producer.name}|{e.base_producer.jurisdiction}",
                    )
                )
            if e.source:
                anc["properties"].append(_prop("tierguard:lineage:source", e.source))
            ancestors.append(anc)
        c["pedigree"] = {"ancestors": ancestors}
    evidence = _evidence(a)
    if evidence:
        c["evidence"] = evidence
    if a.kind == "ai-model":
        c["modelCard"] = {
            "properties": [
                _prop("tierguard:use-mode", a.use_mode),
                *[_prop("tierguard:lineage", f"{e.relation} of {e.base}") for e in prov.lineage],
            ]
        }
    props = [_prop("tierguard:asset-kind", a.kind), _prop("tierguard:use-mode", a.use_mode)]
    props += [_prop("tierguard:alias", x) for x in a.aliases]
    props += _producer_props(a)
    props += _decision_props(d)
    props += [
        _prop(f"tierguard:attr:{k}", v)
        for k, v in a.detail_items()
        if k.lower() not in _HASH_ALGS and k not in ("version", "ids.version")
    ]
    if a.parent:
        props.append(_prop("tierguard:parent", a.parent))
    c["properties"] = props
    return c


def _synth_parent(child: Asset) -> dict[str, Any]:
    kind = "device" if child.kind in ("hardware-device", "operating-system", "system-software") else "library"
    assert child.parent is not None
    return {
        "type": kind,
        "bom-ref": stable_id("parent", child.parent),
        "name": child.parent,
        "properties": [_prop("tierguard:synthesised", "parent of discovered assets")],
    }


def _service(a: Asset, d: Decision | None, result: ScanResult) -> dict[str, Any]:
    prov = a.provenance
    s: dict[str, Any] = {"bom-ref": a.id, "name": a.name}
    operator = prov.service_operator or (prov.producers[0] if prov.producers else None)
    if operator is not None:
        org = _org(operator)
        if prov.service_jurisdiction and prov.service_jurisdiction != "XX":
            org["address"] = {"country": prov.service_jurisdiction}
        s["provider"] = org
    endpoints = sorted(
        {_endpoint(ev.value) for ev in a.evidence if ev.kind == "endpoint"}
        | ({_endpoint(a.details.host)} if isinstance(a.details, ServiceDetails) and a.details.host else set())
    )
    if endpoints:
        s["endpoints"] = endpoints
    s["authenticated"] = True
    s["x-trust-boundary"] = True
    jur = prov.service_jurisdiction or (operator.jurisdiction if operator else "XX")
    s["trustZone"] = f"external:{jur}"
    s["data"] = [{"flow": "outbound", "classification": result.context.data_sensitivity or "unclassified"}]
    props = [_prop("tierguard:asset-kind", a.kind), _prop("tierguard:use-mode", a.use_mode)]
    props += [_prop("tierguard:alias", x) for x in a.aliases]
    props += _producer_props(a)
    props += _decision_props(d)
    props += [_prop(f"tierguard:attr:{k}", v) for k, v in a.detail_items()]
    props += [_prop("tierguard:occurrence", display_location(ev.location)) for ev in a.evidence]
    s["properties"] = props
    return s


def _endpoint(value: str) -> str:
    v = value.strip()
    if "://" in v:
        return v
    return "https://" + v


def _metadata_properties(result: ScanResult) -> list[dict[str, str]]:
    warning = context_warning(result)
    props = [_prop("tierguard:no-deployment-context", warning)] if warning is not None else []
    props += [
        _prop("tierguard:schema-version", result.schema_version),
        _prop("tierguard:catalog-version", result.catalog_version),
        _prop("tierguard:packs", packs_text(result)),
    ]
    props += [_prop(f"tierguard:context:{k}", str(v)) for k, v in result.context.model_dump().items() if v]
    cov = coverage(result)
    props.append(_prop("tierguard:coverage:complete", str(cov.complete).lower()))
    props += [_prop(f"tierguard:coverage:skipped:{reason}", str(n)) for reason, n in cov.skipped]
    props += [_prop(f"tierguard:coverage:inspections:{status}", str(n)) for status, n in cov.inspections]
    props.append(_prop("tierguard:coverage:gating", str(len(cov.gating))))
    props += [
        _prop(
            "tierguard:skipped",
            f"{s.reason}|{display_path(s.path)}" + (f"|{safe_text(s.detail)}" if s.detail else ""),
        )
        for s in result.skipped
    ]
    props += [
        _prop(
            "tierguard:inspection",
            f"{i.status}|{display_location(i.location)}|{i.format}|{safe_text(i.reason)}",
        )
        for i in result.inspections
        if i.status in ("incomplete", "not-inspected")
    ]
    return props
