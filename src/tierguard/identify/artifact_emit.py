"""Model artifacts, from a unit's signals to records: the :class:`Asset` (name, producers with roles,
lineage edges, identification methods, :class:`ModelDetails` with the read status), its :class:`Evidence`,
and TG-ID-001 findings where what a model claims contradicts what its structure or tokenizer shows.

Lineage: card ``base_model``/``base_model_relation``, GGUF ``general.base_model.*``, adapter configs,
quantized GGUF, and catalog lineage defaults (distills). Producers carry roles (producer, base-producer). The
same identification in several places is one asset with every place in its evidence and details.
"""

from __future__ import annotations

import posixpath

from tierguard.catalog.loader import Catalog, ModelMatch
from tierguard.identify.artifact_files import disp
from tierguard.identify.artifact_framework import Framework
from tierguard.identify.artifact_signals import Signals, signals
from tierguard.identify.artifact_units import Unit
from tierguard.identify.data import ArchFamily, IdentData
from tierguard.identify.interface import ArtifactOutput
from tierguard.identify.rules import RULE_CONTRADICTION
from tierguard.model import (
    Asset,
    Evidence,
    Finding,
    IdentMethod,
    LineageEdge,
    Location,
    ModelDetails,
    ProducerRef,
    Provenance,
    Skipped,
    Strength,
    Usage,
)

DETECTOR = "artifacts"
# formats recognised by magic bytes whose headers carry nothing to identify (the inspect stage reads them)
_FORMAT_ONLY = frozenset({"pickle", "joblib", "numpy", "keras-h5", "tf-savedmodel", "unknown"})


def _pref(catalog: Catalog, pid: str, role: str) -> ProducerRef:
    p = catalog.producers.get(pid)
    if p is None:
        return ProducerRef(id=pid, name=pid, jurisdiction="XX", role=role)  # type: ignore[arg-type]
    return ProducerRef(id=p.id, name=p.name, jurisdiction=p.jurisdiction, role=role)  # type: ignore[arg-type]


def _add_producer(producers: list[ProducerRef], catalog: Catalog, pid: str, role: str) -> None:
    if not any(p.id == pid and p.role == role for p in producers):
        producers.append(_pref(catalog, pid, role))


def emit(unit: Unit, catalog: Catalog, data: IdentData, out: ArtifactOutput) -> None:
    """Identify ``unit`` and add its asset, evidence, findings and skipped files to ``out``."""
    sig = signals(unit, catalog, data)
    producers: list[ProducerRef] = []
    methods = list(sig.methods)
    name, self_match = _self_identity(sig, methods)
    for pid, source, conf in sig.claimed_producers:  # metadata naming the model's author (ONNX, TFLite)
        _add_producer(producers, catalog, pid, "producer")
        methods.append(
            IdentMethod(technique="manifest-analysis", confidence=conf, value=f"model producer: {source}")
        )
    if sig.hash_match is not None:
        name = sig.hash_match[0]
        _add_producer(producers, catalog, sig.hash_match[1], "producer")
    lineage = _claimed_lineage(sig, catalog, self_match, name, producers, methods)
    best_fam = _structural_family(sig, data)
    struct_producer = best_fam.producer if best_fam is not None else sig.tokenizer_producer
    if name is None and not lineage and struct_producer is not None:
        # the structure (what the headers show) when nothing self-reported names the model
        name = best_fam.id if best_fam is not None else (sig.tokenizer_family or struct_producer)
        _add_producer(producers, catalog, struct_producer, "base-producer")
        lineage.append(
            LineageEdge(
                relation="unknown",
                base=name,
                base_producer=_pref(catalog, struct_producer, "base-producer"),
                source="structure+tokenizer+config",
            )
        )
    for e in lineage:
        if e.base_producer is not None:
            _add_producer(producers, catalog, e.base_producer.id, "base-producer")
    if name is None and lineage:
        first = next((e for e in lineage if e.relation != "quantized"), lineage[0])
        name = f"{_unit_label(unit)} ({first.relation} of {first.base})"

    # contradictions: what the model claims vs what its structure/tokenizer show
    findings = _contradictions(unit, catalog, data, sig, self_match, lineage)
    if sig.framework is not None:
        sig.notes.append(_framework_summary(catalog, sig.framework, producers))
    evidence = _evidence(unit, producers)
    aliases: tuple[str, ...] = ()
    if name is not None and self_match is not None:
        # the name code references use too (``deepseek-ai/DeepSeek-R1`` in the catalog's casing): a model
        # on disk and the code that loads it by name are one asset with two usages
        canonical = catalog.canonical_model(name, self_match)
        aliases = (name,) if canonical.lower() != name.lower() else ()
        name = canonical
    asset = Asset(
        kind="ai-model",
        name=name or unit.location.display(),
        use_mode="self-hosted",
        usages=(_usage(unit, evidence),),
        aliases=aliases,
        provenance=Provenance(
            producers=tuple(producers), lineage=tuple(_dedupe(lineage)), methods=tuple(methods)
        ),
        evidence=tuple(evidence),
        parent=unit.parent,
        details=_details(unit, sig, best_fam, out, catalog),
    )
    for fnd in findings:
        out.findings.append(fnd.model_copy(update={"asset_id": asset.id}))
    out.evidence.extend(evidence)
    _merge(out, asset)


def _self_identity(sig: Signals, methods: list[IdentMethod]) -> tuple[str | None, ModelMatch | None]:
    """The first self-reported candidate the catalog knows, by confidence (recorded in ``methods``)."""
    for cand, m, source, conf in sorted(sig.self_ids, key=lambda t: -t[3]):
        if m is not None:
            methods.append(
                IdentMethod(
                    technique="manifest-analysis" if source != "hf cache repo" else "filename",
                    confidence=conf,
                    value=f"{source}: {cand}",
                )
            )
            return cand, m
    return None, None


def _claimed_lineage(
    sig: Signals,
    catalog: Catalog,
    self_match: ModelMatch | None,
    name: str | None,
    producers: list[ProducerRef],
    methods: list[IdentMethod],
) -> list[LineageEdge]:
    """Lineage from the catalog family of the self-identified model and from the unit's lineage claims;
    adds the self-identified producer to ``producers`` and each claim to ``methods``."""
    lineage: list[LineageEdge] = []
    quantized = any(rel == "quantized" for rel, _, _ in sig.lineage)
    if self_match is not None:
        _add_producer(producers, catalog, self_match.producer.id, "producer")
        if self_match.family is not None:
            lineage.extend(_family_lineage(catalog, self_match, f"catalog family {self_match.family.id}"))
        if quantized and name:
            # a quantized GGUF names the model it was converted from: that model is the base
            lineage.append(
                LineageEdge(
                    relation="quantized",
                    base=name,
                    base_producer=_pref(catalog, self_match.producer.id, "base-producer"),
                    source="gguf general.* + file_type",
                )
            )
    for rel, base, source in sig.lineage:
        if not base:
            continue
        bm = catalog.match_model(base)
        bp = _pref(catalog, bm.producer.id, "base-producer") if bm is not None else None
        if not any(e.relation == rel and e.base == base for e in lineage):
            lineage.append(LineageEdge(relation=rel, base=base, base_producer=bp, source=source))
        if bm is not None and bm.family is not None:
            # a base that is itself a distill propagates its own base
            lineage.extend(_family_lineage(catalog, bm, f"catalog family {bm.family.id} (via {base})"))
        methods.append(
            IdentMethod(technique="manifest-analysis", confidence=0.7, value=f"{source}: {rel} of {base}")
        )
    return lineage


def _family_lineage(catalog: Catalog, m: ModelMatch, source: str) -> list[LineageEdge]:
    assert m.family is not None
    return [
        LineageEdge(
            relation=d.relation,
            base=d.base,
            base_producer=_pref(catalog, d.base_producer, "base-producer"),
            source=source,
        )
        for d in m.family.lineage
    ]


def _structural_family(sig: Signals, data: IdentData) -> ArchFamily | None:
    """The best-scoring architecture family; the Llama layout is shared, so when the tokenizer belongs to
    another producer, that producer's family wins."""
    best_fam: ArchFamily | None = None
    if sig.family_scores:
        fid = max(sig.family_scores, key=lambda k: (sig.family_scores[k], k))
        best_fam = data.family(fid)
    if best_fam is not None and best_fam.id == "llama" and sig.tokenizer_producer not in (None, "meta"):
        alt = data.family(sig.tokenizer_family or "")
        best_fam = alt if alt is not None else best_fam
    return best_fam


def _short(catalog: Catalog, pid: str) -> tuple[str, str]:
    p = catalog.producers.get(pid)
    return (p.name.split(" (", 1)[0], p.jurisdiction) if p is not None else (pid, "XX")


def _framework_summary(catalog: Catalog, fw: Framework, producers: list[ProducerRef]) -> str:
    """The two conclusions said apart, e.g. "framework: PaddlePaddle (Baidu, CN); model producer: unknown"."""
    org = ""
    if fw.producer is not None:
        org_name, jur = _short(catalog, fw.producer)
        org = f" ({org_name}, {jur})"
    made = [f"{_short(catalog, p.id)[0]} ({p.jurisdiction})" for p in producers if p.role == "producer"]
    return f"framework: {fw.name}{org}; model producer: {', '.join(made) if made else 'unknown'}"


def _details(
    unit: Unit, sig: Signals, best_fam: ArchFamily | None, out: ArtifactOutput, catalog: Catalog
) -> ModelDetails:
    """The unit's details and read status; each file not read completely is also a Skipped in ``out``."""
    statuses = [f for f in unit.files if f.status != "complete"]
    status = "incomplete" if statuses else "complete"
    if not statuses and unit.weights() and all(f.format in _FORMAT_ONLY for f in unit.weights()):
        status = "format-only"  # no header reader for the format: recognised, not identified
    reason = ""
    if statuses:
        reason = "; ".join(f"{disp(f.ref)}: {f.reason}" for f in statuses)[:1000]
        for f in statuses:
            out.skipped.append(Skipped(path=disp(f.ref), reason="incomplete", detail=f.reason[:500]))
    return ModelDetails(
        path=unit.location.display(),
        format=_unit_format(unit),
        status=status,  # type: ignore[arg-type]
        reason=reason,
        bytes_read=sum(f.bytes_read for f in unit.files),
        files=len(unit.files),
        sha256=unit.sha256 or None,
        hf_repo=unit.hf_repo or None,
        hf_revision=unit.hf_revision or None,
        architecture=best_fam.id if best_fam is not None else None,
        structure=sig.structure_family or None,
        tokenizer_family=sig.tokenizer_family or None,
        framework=sig.framework.name if sig.framework is not None else None,
        framework_producer=sig.framework.producer if sig.framework is not None else None,
        framework_jurisdiction=_framework_jurisdiction(catalog, sig.framework),
        notes="; ".join(sig.notes),
    )


def _framework_jurisdiction(catalog: Catalog, fw: Framework | None) -> str | None:
    if fw is None or fw.producer is None:
        return None
    p = catalog.producers.get(fw.producer)
    return p.jurisdiction if p is not None else None


def _evidence(unit: Unit, producers: list[ProducerRef]) -> list[Evidence]:
    evidence: list[Evidence] = []
    for f in unit.files:
        kind = "tokenizer" if f.role == "tokenizer" else "model-artifact"
        ev = Evidence(
            detector=DETECTOR,
            kind=kind,
            value=f.format if f.role != "tokenizer" else f.metadata.get("kind", "tokenizer"),
            strength="A" if f.role == "weights" else "B",
            location=Location(path=f.ref.path, member=f.ref.member),
            refs={"producer": producers[0].id} if producers else {},
            attributes={
                "use_mode": "self-hosted",
                "role": f.role,
                "format": f.format,
                "status": f.status,
                "bytes_read": str(f.bytes_read),
            },
        )
        evidence.append(ev)
    return evidence


def _usage(unit: Unit, evidence: list[Evidence]) -> Usage:
    """The artifact's own usage: present on disk, so self-hosted, as strong as its strongest file (weights A,
    a tokenizer or config alone B)."""
    strength: Strength = "A" if any(e.strength == "A" for e in evidence) else "B"
    return Usage(
        location=unit.location,
        use_mode="self-hosted",
        strength=strength,
        evidence=evidence[0].id if evidence else "",
    )


def _dedupe(edges: list[LineageEdge]) -> list[LineageEdge]:
    seen: set[tuple[str, str]] = set()
    outl: list[LineageEdge] = []
    for e in edges:
        if (e.relation, e.base.lower()) in seen:
            continue
        seen.add((e.relation, e.base.lower()))
        outl.append(e)
    return outl


def _merge(out: ArtifactOutput, asset: Asset) -> None:
    for i, a in enumerate(out.assets):
        if a.id == asset.id:
            # the same identification in several places: one asset, every place in evidence and details
            old, new = a.details, asset.details
            assert isinstance(old, ModelDetails) and isinstance(new, ModelDetails)
            upd: dict[str, object] = {
                "locations": old.locations + 1,
                "bytes_read": old.bytes_read + new.bytes_read,
                "files": old.files + new.files,
            }
            if new.status != "complete":
                upd["status"] = new.status
                upd["reason"] = (old.reason + "; " + new.reason).strip("; ")
            out.assets[i] = a.model_copy(
                update={
                    "evidence": a.evidence + asset.evidence,
                    "usages": a.usages + asset.usages,
                    "details": old.model_copy(update=upd),
                }
            )
            return
    out.assets.append(asset)


def _contradictions(
    unit: Unit,
    catalog: Catalog,
    data: IdentData,
    sig: Signals,
    self_match: ModelMatch | None,
    lineage: list[LineageEdge],
) -> list[Finding]:
    observed, what = _observed(sig, data)
    if not observed:
        return []
    out: list[Finding] = []
    for claim, _pid, ok in _claims(catalog, self_match, lineage):
        if observed & ok:
            continue
        out.append(
            Finding(
                rule_id=RULE_CONTRADICTION,
                severity="medium",
                message=f"{claim} contradicts what the headers show: {', '.join(what)}",
                location=unit.location,
                subject=f"{claim} vs {sorted(observed)}",
                attributes={
                    "claimed": ",".join(sorted(ok)),
                    "observed": ",".join(sorted(observed)),
                },
            )
        )
    return out


def _observed(sig: Signals, data: IdentData) -> tuple[set[str], list[str]]:
    """The producers the headers show (tensor layout, GGUF architecture, tokenizer), and how each was seen."""
    observed: set[str] = set()
    what: list[str] = []
    if sig.structure_family and sig.structure_family != "llama":  # the Llama layout is shared by many
        fam = data.family(sig.structure_family)
        if fam is not None:
            observed.add(fam.producer)
            what.append(f"tensor layout {fam.id} ({fam.producer})")
    if sig.gguf_family and sig.gguf_family != "llama":  # what llama.cpp builds the graph from
        fam = data.family(sig.gguf_family)
        if fam is not None:
            observed.add(fam.producer)
            what.append(f"gguf architecture {fam.id} ({fam.producer})")
    if sig.tokenizer_producer:
        observed.add(sig.tokenizer_producer)
        what.append(f"tokenizer {sig.tokenizer_family} ({sig.tokenizer_producer})")
    return observed, what


def _claims(
    catalog: Catalog, self_match: ModelMatch | None, lineage: list[LineageEdge]
) -> list[tuple[str, str, set[str]]]:
    """(claim, producer, producers consistent with it) for the self-identity and each claimed base."""
    claims: list[tuple[str, str, set[str]]] = []
    if self_match is not None:
        ok = {self_match.producer.id}
        if self_match.family is not None:
            ok |= {d.base_producer for d in self_match.family.lineage}
        claims.append((f"model {self_match.normalized}", self_match.producer.id, ok))
    for e in lineage:
        if (
            e.relation in ("unknown", "quantized")
            or e.base_producer is None
            or e.source.startswith("catalog")
        ):
            continue
        ok = {e.base_producer.id}
        bm = catalog.match_model(e.base)
        if bm is not None and bm.family is not None:
            ok |= {d.base_producer for d in bm.family.lineage}
        claims.append((f"base {e.base} ({e.source})", e.base_producer.id, ok))
    return claims


def _unit_label(unit: Unit) -> str:
    loc = unit.location
    p = loc.member if loc.member not in (None, ".") else loc.path
    return posixpath.basename(p or "") or loc.display()


def _unit_format(unit: Unit) -> str:
    ws = unit.weights()
    if not ws:
        return (
            "tokenizer"
            if unit.by_role("tokenizer")
            else ("adapter" if unit.by_role("adapter-config") else "config")
        )
    fmts = sorted({w.format for w in ws})
    if len(ws) > 1 and fmts == ["safetensors"]:
        return f"safetensors ({len(ws)} shards)"
    return "+".join(fmts)
