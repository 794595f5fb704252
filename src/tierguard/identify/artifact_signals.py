"""Model artifacts, the identification signals of one unit, each recorded as an :class:`IdentMethod` with a
confidence: structure (tensor-name signatures per architecture family, embedding rows), self-reported
metadata (config.json, GGUF ``general.*``, model card, adapter config, HF cache / Ollama names), lineage
claims, tokenizer fingerprints (vocabulary hash, special tokens, vocabulary size) and content hashes.
Pure: works on the headers already read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tierguard.catalog.loader import Catalog, ModelMatch
from tierguard.formats import tokenizer as tok
from tierguard.identify.artifact_files import FileInfo
from tierguard.identify.artifact_framework import Framework, framework_of
from tierguard.identify.artifact_units import Unit
from tierguard.identify.data import ArchFamily, IdentData
from tierguard.model import IdentMethod, LineageRelation

_LAYER_IDX = re.compile(r"\.\d+\.")
_QUANT_FILE_TYPES = {0: "F32", 1: "F16", 32: "BF16"}  # GGUF general.file_type values that are not quantized


@dataclass(slots=True)
class Signals:
    methods: list[IdentMethod] = field(default_factory=list)
    family_scores: dict[str, float] = field(default_factory=dict)  # arch family id -> score
    producer_scores: dict[str, float] = field(default_factory=dict)
    structure_family: str | None = None
    gguf_family: str | None = None
    tokenizer_producer: str | None = None
    tokenizer_family: str | None = None
    self_ids: list[tuple[str, ModelMatch | None, str, float]] = field(default_factory=list)
    lineage: list[tuple[LineageRelation, str, str]] = field(default_factory=list)  # relation, base, source
    hash_match: tuple[str, str] | None = None
    notes: list[str] = field(default_factory=list)
    framework: Framework | None = None  # the exporting framework (ONNX/TFLite), never the model's producer
    claimed_producers: list[tuple[str, str, float]] = field(default_factory=list)  # producer id, source, conf

    def vote(self, fam: ArchFamily, score: float) -> None:
        self.family_scores[fam.id] = self.family_scores.get(fam.id, 0.0) + score
        self.producer_scores[fam.producer] = self.producer_scores.get(fam.producer, 0.0) + score


def _norm_tensor(name: str) -> str:
    return _LAYER_IDX.sub(".N.", name)


def structure_family(data: IdentData, tensor_names: list[str]) -> ArchFamily | None:
    """The architecture family whose tensor-name signature matches (most specific wins)."""
    if not tensor_names:
        return None
    normed = {_norm_tensor(n) for n in tensor_names}
    best: ArchFamily | None = None
    for fam in data.families:
        if not fam.require:
            continue
        matches = all(any(rx.search(n) for n in normed) for rx in fam.require) and not any(
            rx.search(n) for rx in fam.forbid for n in normed
        )
        if matches and (best is None or len(fam.require) > len(best.require)):
            best = fam
    return best


def _embed_rows(tensors: dict[str, tuple[int, ...]]) -> int | None:
    for name, shape in tensors.items():
        if re.search(r"(embed_tokens|word_embeddings|wte|tok_embeddings)\.weight$", name) and shape:
            return shape[0]
    return None


def signals(unit: Unit, catalog: Catalog, data: IdentData) -> Signals:
    """Every signal the unit's headers give, in a fixed order (the order of ``methods``)."""
    sig = Signals()
    _structure(sig, data, _tensors(unit))
    _config(sig, unit, catalog, data)
    for f in unit.weights():
        if f.format == "gguf":
            _gguf(sig, f.metadata, catalog, data)
    _exported(sig, [f for f in unit.weights() if f.format in ("onnx", "tflite")], catalog)
    _card(sig, unit)
    _adapter(sig, unit)
    # names from the layout
    if unit.hf_repo:
        sig.self_ids.append((unit.hf_repo, catalog.match_model(unit.hf_repo), "hf cache repo", 0.5))
    if unit.ollama_name:
        sig.self_ids.append((unit.ollama_name, catalog.match_model(unit.ollama_name), "ollama manifest", 0.6))
    _tokenizers(sig, unit, data)
    # content hash
    if unit.sha256 and unit.sha256 in data.hashes:
        kh = data.hashes[unit.sha256]
        sig.hash_match = (kh.model, kh.producer)
        sig.methods.append(
            IdentMethod(
                technique="hash-comparison",
                confidence=1.0,
                value=f"sha256 {unit.sha256[:16]}... = {kh.model} ({kh.source})",
            )
        )
    return sig


def _tensors(unit: Unit) -> dict[str, tuple[int, ...]]:
    tensors: dict[str, tuple[int, ...]] = {}
    for f in unit.weights():
        tensors.update(f.tensors)
    idx = unit.by_role("safetensors-index")
    if idx is not None and isinstance(idx.json, dict) and isinstance(idx.json.get("weight_map"), dict):
        for n in idx.json["weight_map"]:
            tensors.setdefault(str(n), ())
    return tensors


def _structure(sig: Signals, data: IdentData, tensors: dict[str, tuple[int, ...]]) -> None:
    fam = structure_family(data, list(tensors))
    if fam is not None:
        sig.structure_family = fam.id
        sig.vote(fam, 0.7)
        sig.methods.append(
            IdentMethod(
                technique="binary-analysis", confidence=0.7, value=f"tensor layout: {fam.id} ({fam.name})"
            )
        )
    rows = _embed_rows(tensors)
    if rows is not None:
        for f2 in data.families:
            if rows in f2.vocab_sizes:
                sig.vote(f2, 0.2)
        sig.notes.append(f"embedding rows {rows}")


def _config(sig: Signals, unit: Unit, catalog: Catalog, data: IdentData) -> None:
    cfg = unit.by_role("config")
    if cfg is None or not isinstance(cfg.json, dict):
        return
    c = cfg.json
    mt = str(c.get("model_type", ""))
    archs = [str(a) for a in c.get("architectures", []) or [] if isinstance(a, str)]
    for f2 in data.families:
        if mt in f2.model_types or any(a in f2.architectures for a in archs):
            sig.vote(f2, 0.6)
            sig.methods.append(
                IdentMethod(
                    technique="manifest-analysis",
                    confidence=0.6,
                    value=f"config.json model_type={mt} architectures={','.join(archs)}",
                )
            )
            break
    nop = c.get("_name_or_path")
    if isinstance(nop, str) and "/" in nop and not nop.startswith(("/", ".")):
        sig.self_ids.append((nop, catalog.match_model(nop), "config _name_or_path", 0.4))


def _gguf(sig: Signals, md: dict[str, Any], catalog: Catalog, data: IdentData) -> None:
    """GGUF ``general.*`` and ``tokenizer.ggml.pre`` of one GGUF file."""
    if md.get("_partial"):
        sig.notes.append(f"gguf metadata read up to the budget ({md['_partial']})")
    arch = str(md.get("general.architecture", ""))
    pre = str(md.get("tokenizer.ggml.pre", ""))
    for f2 in data.families:
        if arch in f2.gguf_arch:
            sig.gguf_family = f2.id
            sig.vote(f2, 0.5)
            sig.methods.append(
                IdentMethod(
                    technique="manifest-analysis",
                    confidence=0.5,
                    value=f"gguf general.architecture={arch}",
                )
            )
            break
    for f2 in data.families:
        if pre and pre in f2.gguf_pre:
            sig.vote(f2, 0.4)
            sig.methods.append(
                IdentMethod(
                    technique="manifest-analysis", confidence=0.4, value=f"gguf tokenizer.ggml.pre={pre}"
                )
            )
            break
    for cand in _gguf_self_ids(md):
        sig.self_ids.append((cand, catalog.match_model(cand), "gguf general.*", 0.6))
    n = md.get("general.base_model.count")
    if isinstance(n, int):
        for i in range(min(n, 8)):
            base = _gguf_base(md, i)
            if base:
                sig.lineage.append(("finetune", base, "gguf general.base_model"))
    ft = md.get("general.file_type")
    if isinstance(ft, int) and ft not in _QUANT_FILE_TYPES:
        sig.notes.append(f"gguf file_type {ft} (quantized)")
        sig.lineage.append(("quantized", "", "gguf general.file_type"))


# ONNX metadata_props keys whose value may name the model, or the organisation that made it
_ONNX_MODEL_KEYS = frozenset(
    {"model", "model_name", "model_id", "name", "base_model", "hf_model", "hf_model_id", "_name_or_path"}
)
_ONNX_AUTHOR_KEYS = frozenset({"author", "model_author", "organization", "organisation", "creator", "vendor"})


def _exported(sig: Signals, files: list[FileInfo], catalog: Catalog) -> None:
    """ONNX / TFLite: the exporting framework (a separate conclusion, see :mod:`.artifact_framework`) and
    what the file says about the model itself (metadata naming the model or its author)."""
    if not files:
        return
    call = framework_of(files)
    sig.framework = call.framework
    sig.methods.extend(call.methods)
    sig.notes.extend(call.notes)
    for f in files:
        if f.format == "onnx":
            props = f.metadata.get("metadata_props") or {}
            items = [(f"onnx metadata_props {k}", k.lower(), str(v)) for k, v in props.items()]
        else:
            mm = f.metadata.get("model_metadata") or {}
            items = [(f"tflite metadata {k}", k, str(v)) for k, v in mm.items() if k in ("name", "author")]
        for source, key, value in items:
            value = value.strip()
            if not value or len(value) > 200:
                continue
            if key in _ONNX_MODEL_KEYS:
                sig.self_ids.append((value, catalog.match_model(value), source, 0.5))
            elif key in _ONNX_AUTHOR_KEYS:
                pid = _producer_named(catalog, value)
                if pid is not None:
                    sig.claimed_producers.append((pid, f"{source}: {value}", 0.5))


def _producer_named(catalog: Catalog, value: str) -> str | None:
    """The catalog producer whose id, name, alias or HF organisation is exactly ``value`` (any case)."""
    v = value.strip().lower()
    for p in catalog.producers.values():
        if v == p.id or v == p.name.lower() or v in (a.lower() for a in (*p.aliases, *p.hf_orgs)):
            return p.id
    return None


def _card(sig: Signals, unit: Unit) -> None:
    card = unit.by_role("model-card")
    if card is not None and isinstance(card.json, dict):
        bases = card.json.get("base_model")
        rel = str(card.json.get("base_model_relation", "") or "")
        rel_v: LineageRelation = rel if rel in ("finetune", "quantized", "merge", "adapter") else "finetune"  # type: ignore[assignment]
        for b in [bases] if isinstance(bases, str) else (bases or []):
            if isinstance(b, str) and b.strip():
                sig.lineage.append((rel_v, b.strip(), "model card base_model"))


def _adapter(sig: Signals, unit: Unit) -> None:
    ad = unit.by_role("adapter-config")
    if ad is not None and isinstance(ad.json, dict):
        ad_base = ad.json.get("base_model_name_or_path")
        if isinstance(ad_base, str) and ad_base:
            sig.lineage.append(
                ("adapter", ad_base, f"adapter_config.json ({ad.json.get('peft_type', 'peft')})")
            )


def _tokenizers(sig: Signals, unit: Unit, data: IdentData) -> None:
    """Tokenizer fingerprints: the vocabulary hash first, then the special tokens, then vocabulary sizes."""
    toks = [f.tokenizer for f in unit.files if f.tokenizer is not None]
    specials = _special_tokens(toks, unit.by_role("tokenizer-config"))
    _vocab_fingerprint(sig, toks, data)
    if specials and sig.tokenizer_family is None:
        _special_token_family(sig, specials, data)
    for t in toks:
        if t.vocab_size:
            for f2 in data.families:
                if t.vocab_size in f2.vocab_sizes:
                    sig.vote(f2, 0.1)


def _special_tokens(toks: list[tok.TokenizerInfo], tcfg: FileInfo | None) -> dict[str, int]:
    """token -> id (-1 when only the token is known), from the tokenizers and tokenizer_config.json."""
    specials: dict[str, int] = {}
    for t in toks:
        specials.update(t.special_tokens)
    if tcfg is not None and isinstance(tcfg.json, dict):
        atd = tcfg.json.get("added_tokens_decoder")
        if isinstance(atd, dict):
            for k, v in atd.items():
                if isinstance(v, dict) and isinstance(v.get("content"), str) and str(k).isdigit():
                    specials.setdefault(v["content"], int(k))
        for k in ("bos_token", "eos_token", "unk_token", "pad_token"):
            v = tcfg.json.get(k)
            content = v if isinstance(v, str) else (v.get("content") if isinstance(v, dict) else None)
            if isinstance(content, str):
                specials.setdefault(content, -1)
    return specials


def _vocab_fingerprint(sig: Signals, toks: list[tok.TokenizerInfo], data: IdentData) -> None:
    for t in toks:
        ref = next(
            (
                r
                for r in data.tokenizers
                if t.vocab_head_sha256 and r.vocab_head_sha256 == t.vocab_head_sha256
            ),
            None,
        )
        if ref is not None:
            sig.tokenizer_producer, sig.tokenizer_family = ref.producer, ref.family
            sig.producer_scores[ref.producer] = sig.producer_scores.get(ref.producer, 0.0) + 0.9
            for f2 in data.families:
                if f2.id == ref.family:
                    sig.vote(f2, 0.2)
            sig.methods.append(
                IdentMethod(
                    technique="hash-comparison",
                    confidence=0.9,
                    value=f"tokenizer vocabulary fingerprint = {ref.id} ({ref.source})",
                )
            )
            break


def _special_token_family(sig: Signals, specials: dict[str, int], data: IdentData) -> None:
    best: tuple[int, ArchFamily] | None = None
    for f2 in data.families:
        hit = sum(
            1
            for s, want in f2.special_tokens
            if s in specials and (want is None or specials[s] in (want, -1))
        )
        if hit >= 2 and (best is None or hit > best[0]):
            best = (hit, f2)
    if best is not None:
        f2 = best[1]
        sig.vote(f2, 0.6)
        if sig.tokenizer_producer is None:
            sig.tokenizer_producer, sig.tokenizer_family = f2.producer, f2.id
        sig.methods.append(
            IdentMethod(
                technique="binary-analysis",
                confidence=0.6,
                value=f"tokenizer special tokens of {f2.id} ({best[0]} matched)",
            )
        )


def _gguf_self_ids(md: dict[str, Any]) -> list[str]:
    out: list[str] = []
    url = md.get("general.repo_url") or md.get("general.source.repo_url")
    if isinstance(url, str) and "huggingface.co/" in url:
        out.append(url.split("huggingface.co/", 1)[1].strip("/"))
    org = md.get("general.organization")
    for k in ("general.basename", "general.name"):
        v = md.get(k)
        if isinstance(v, str) and v:
            name = v.replace(" ", "-")
            out.append(f"{org}/{name}" if isinstance(org, str) and org else name)
    return out


def _gguf_base(md: dict[str, Any], i: int) -> str:
    url = md.get(f"general.base_model.{i}.repo_url")
    if isinstance(url, str) and "huggingface.co/" in url:
        return url.split("huggingface.co/", 1)[1].strip("/")
    org = md.get(f"general.base_model.{i}.organization")
    name = md.get(f"general.base_model.{i}.name")
    if isinstance(name, str) and name:
        return f"{org}/{name.replace(' ', '-')}" if isinstance(org, str) and org else name
    return ""
