"""Model artifacts: find them by content (magic bytes), identify producer and lineage from headers only.

``identify_artifacts(resolver, catalog, *, on_file=None) -> ArtifactOutput``

1. Discovery: every file's first bytes are sniffed (:func:`tierguard.targets.sniff.sniff`); weights
   (safetensors, GGUF, PyTorch zip/legacy, ONNX, Keras, NumPy, joblib/pickle, TF SavedModel) and the files
   that describe them (config.json, generation_config.json, adapter_config.json, README.md front matter,
   tokenizer files, safetensors index, Ollama manifests) are kept. Archives (wheels, sdists, zip, tar, 7z,
   nested) are not opened here: the resolver lists their members (``targets.archive``) like other files;
   model-format zips (PyTorch, Keras, npz) are one artifact.
2. Grouping into model units: a directory of HF-layout files (incl. sharded sets), one GGUF file, one Ollama
   model blob (named by its manifest), an HF cache snapshot (``models--ORG--NAME``).
3. Identification, each signal recorded as an :class:`IdentMethod` with confidence: self-reported metadata
   (GGUF ``general.*``, config, card, HF cache / Ollama names), structure (tensor-name signatures per
   architecture family, from headers only), tokenizer fingerprints, content hashes.
4. Lineage: card ``base_model``/``base_model_relation``, GGUF ``general.base_model.*``, adapter configs,
   quantized GGUF, and catalog lineage defaults (distills). Producers carry roles (producer, base-producer).
5. Contradictions between what a model claims and what its structure/tokenizer show -> Finding TG-ID-001.

Every read goes through a :class:`BoundedReader` (2 MiB per file by default), bounded by the file size. A
file that cannot be read completely yields a Skipped entry and ``status=incomplete`` on its asset.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tierguard.catalog.loader import Catalog, ModelMatch
from tierguard.formats import tokenizer as tok
from tierguard.formats.descriptors import is_torch_legacy, pickle_tensor_names, read_front_matter, read_json
from tierguard.formats.gguf import GGUFArray, read_gguf
from tierguard.formats.protobuf import read_onnx
from tierguard.formats.safetensors import read_safetensors
from tierguard.formats.source import DEFAULT_BUDGET, BoundedReader, Incomplete
from tierguard.formats.zip import ZipMember, read_member, read_members, zip_kind
from tierguard.identify.data import ArchFamily, IdentData, load_ident_data
from tierguard.identify.interface import ArtifactOutput
from tierguard.identify.rules import RULE_CONTRADICTION
from tierguard.model import (
    Asset,
    Evidence,
    Finding,
    IdentMethod,
    LineageEdge,
    LineageRelation,
    Location,
    ModelDetails,
    ProducerRef,
    Provenance,
    Skipped,
)
from tierguard.targets.interface import FileRef, Resolver
from tierguard.targets.pyenv import DistIndex, build_index
from tierguard.targets.sniff import sniff

DETECTOR = "artifacts"
HEAD = 64
WEIGHT_FORMATS = frozenset(
    {
        "safetensors",
        "gguf",
        "pytorch-zip",
        "pytorch-legacy",
        "onnx",
        "keras",
        "keras-h5",
        "numpy",
        "npz",
        "joblib",
        "pickle",
        "tf-savedmodel",
    }
)
_TOKENIZER_NAMES = {
    "tokenizer.json": "tokenizer-json",
    "vocab.json": "vocab-json",
    "vocab.txt": "vocab-txt",
    "merges.txt": "merges-txt",
    "tokenizer.model": "sentencepiece",
    "spiece.model": "sentencepiece",
    "sentencepiece.bpe.model": "sentencepiece",
}
_DESCRIPTOR_NAMES = {
    "config.json": "config",
    "generation_config.json": "generation-config",
    "adapter_config.json": "adapter-config",
    "tokenizer_config.json": "tokenizer-config",
    "model.safetensors.index.json": "safetensors-index",
    "pytorch_model.bin.index.json": "pytorch-index",
    "README.md": "model-card",
}
_HF_CACHE = re.compile(
    r"(?:^|/)models--(?P<org>[^/]+?)--(?P<name>[^/]+)/(?P<kind>snapshots|blobs|refs)/(?P<rest>.+)$"
)
_OLLAMA_MANIFEST = re.compile(
    r"(?:^|/)manifests/(?P<host>[^/]+)/(?P<ns>[^/]+)/(?P<model>[^/]+)/(?P<tag>[^/]+)$"
)
_OLLAMA_BLOB = re.compile(r"(?:^|/)blobs/sha256[-:](?P<hex>[0-9a-f]{64})$")
_SHARD = re.compile(r"-\d{1,6}-of-\d{1,6}(?=\.[^./]+$)")
_LAYER_IDX = re.compile(r"\.\d+\.")
_QUANT_FILE_TYPES = {0: "F32", 1: "F16", 32: "BF16"}  # GGUF general.file_type values that are not quantized

OnFile = Callable[[FileRef], None]
# formats recognised by magic bytes whose headers carry nothing to identify (the inspect stage reads them)
_FORMAT_ONLY = frozenset({"pickle", "joblib", "numpy", "keras-h5", "tf-savedmodel", "unknown"})
_DESCRIBING_ROLES = frozenset(
    {"config", "safetensors-index", "pytorch-index", "adapter-config", "tokenizer", "tokenizer-config"}
)
_MODEL_SUFFIXES = (
    ".safetensors",
    ".gguf",
    ".bin",
    ".pt",
    ".pth",
    ".onnx",
    ".h5",
    ".keras",
    ".ckpt",
    ".pkl",
    ".npy",
    ".npz",
    ".joblib",
    ".model",
)


# -- per-file reading ----------------------------------------------------------------------------------
@dataclass(slots=True)
class FileInfo:
    ref: FileRef
    format: str
    role: str  # weights, config, card, tokenizer, adapter-config, ...
    bytes_read: int = 0
    status: str = "complete"  # complete | incomplete
    reason: str = ""
    tensors: dict[str, tuple[int, ...]] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)  # format-specific header metadata
    json: Any = None
    tokenizer: tok.TokenizerInfo | None = None
    shards: int = 1


def _read_file(resolver: Resolver, ref: FileRef, fmt: str, role: str) -> FileInfo:
    info = FileInfo(ref=ref, format=fmt, role=role)
    reader = BoundedReader(resolver, ref, DEFAULT_BUDGET)
    try:
        _parse(reader, info)
    except Incomplete as exc:
        info.status = "incomplete"
        info.reason = f"{exc.reason}: {exc.detail}" if exc.detail else exc.reason
    except PermissionError as exc:
        info.status = "incomplete"
        info.reason = f"permission-denied: {exc}"
    except OSError as exc:
        info.status = "incomplete"
        info.reason = f"unreadable: {exc}"
    info.bytes_read = reader.bytes_read
    return info


def _parse(reader: BoundedReader, info: FileInfo) -> None:
    fmt = info.format
    if fmt == "safetensors":
        st = read_safetensors(reader)
        info.tensors = {k: v[1] for k, v in st.tensors.items()}
        info.metadata = dict(st.metadata)
    elif fmt == "gguf":
        gg = read_gguf(reader)
        info.metadata = dict(gg.metadata)
        info.metadata["_version"] = gg.version
        info.metadata["_tensor_count"] = gg.tensor_count
        if gg.partial:
            info.metadata["_partial"] = gg.partial
        tokens = gg.metadata.get("tokenizer.ggml.tokens")
        if isinstance(tokens, GGUFArray):
            info.tokenizer = tok.TokenizerInfo(
                kind="gguf",
                vocab_head_sha256=tokens.head_sha256,
                head_items=min(tokens.count, tok.HEAD_ITEMS),
                vocab_size=tokens.count,
                special_tokens={str(t): i for i, t in enumerate(tokens.items) if str(t).startswith("<")},
                model_type=str(gg.metadata.get("tokenizer.ggml.model", "")),
            )
    elif fmt in ("pytorch-zip", "keras", "npz"):
        entries = _zip_entries(reader)
        info.metadata["members"] = len(entries)
        if fmt == "pytorch-zip":
            pkl = next((e for e in entries if e.name.endswith("data.pkl")), None)
            if pkl is not None:
                raw = read_member(reader, pkl, min(pkl.usize, 1024 * 1024))
                info.tensors = {n: () for n in pickle_tensor_names(raw)}
    elif fmt == "pytorch-legacy":
        raw = reader.read(0, min(reader.size, 1024 * 1024))
        info.tensors = {n: () for n in pickle_tensor_names(raw)}
    elif fmt == "onnx":
        info.metadata = dict(read_onnx(reader))
    elif fmt in ("json-descriptor",):
        info.json = read_json(reader)
    elif fmt == "model-card":
        info.json = read_front_matter(reader)
    elif fmt == "tokenizer":
        limit = min(reader.size, reader.remaining)
        raw = reader.read(0, limit)
        complete = limit == reader.size
        kind = info.metadata.get("kind", "")
        if kind == "tokenizer-json":
            info.tokenizer = tok.from_tokenizer_json(raw, complete)
        elif kind == "vocab-json":
            info.tokenizer = tok.from_vocab_json(raw, complete)
        elif kind == "sentencepiece":
            info.tokenizer = tok.from_sentencepiece(raw, complete)
        else:
            info.tokenizer = tok.from_lines(raw, complete, kind)
    # hdf5, numpy, joblib, pickle, tf-savedmodel: the format itself is what identification gets


def _classify(resolver: Resolver, ref: FileRef) -> tuple[str, str, dict[str, Any]] | None:
    """(format, role, extra) for a file worth reading, else None."""
    name = ref.name
    lp = ref.logical_path
    if name in _DESCRIPTOR_NAMES:
        kind = _DESCRIPTOR_NAMES[name]
        return ("model-card" if kind == "model-card" else "json-descriptor", kind, {})
    if name in _TOKENIZER_NAMES or name.endswith(".tiktoken"):
        return ("tokenizer", "tokenizer", {"kind": _TOKENIZER_NAMES.get(name, "tiktoken")})
    if _OLLAMA_MANIFEST.search(lp) and ref.size < 1024 * 1024:
        return ("json-descriptor", "ollama-manifest", {})
    if ref.size < 8:
        return None
    head = resolver.read_bytes(ref, min(HEAD, ref.size))
    kind = sniff(head, name)
    if kind in ("safetensors", "gguf"):
        return (kind, "weights", {})
    if kind == "zip":
        return ("zip", "container", {})
    if kind == "hdf5":
        return ("keras-h5", "weights", {})
    if kind == "numpy":
        return ("numpy", "weights", {})
    if kind == "pickle-text":
        return ("pickle", "weights", {})  # protocol 0/1: found by content, its imports are inspect's
    if kind == "pickle":
        if is_torch_legacy(head):
            return ("pytorch-legacy", "weights", {})
        if b"joblib" in head or b"sklearn" in head:
            return ("joblib", "weights", {})
        return ("pickle", "weights", {})
    if kind == "text" and _looks_like_onnx(head):
        kind = "onnx-or-protobuf"  # short protobuf heads can decode as UTF-8
    if kind == "onnx-or-protobuf":
        if name == "saved_model.pb":
            return ("tf-savedmodel", "weights", {})
        return ("onnx", "weights", {})
    return None


def _looks_like_onnx(head: bytes) -> bool:
    # ModelProto starts with ir_version (field 1, varint: 0x08 <small>) then a length-delimited field
    return len(head) >= 3 and head[0] == 0x08 and 1 <= head[1] <= 20 and head[2] in b"\x12\x1a\x22\x2a\x3a"


def _zip_entries(reader: BoundedReader) -> list[ZipMember]:
    members, problems = read_members(reader, local_headers=False)
    if problems:  # no usable central directory: what the members are is not known for sure
        raise Incomplete("malformed", "; ".join(problems)[:300])
    return [m for m in members if not m.is_dir]


def _zip_kind(resolver: Resolver, ref: FileRef) -> tuple[str, list[str]]:
    names = [e.name for e in _zip_entries(BoundedReader(resolver, ref, DEFAULT_BUDGET))]
    return zip_kind(names), names


# -- units -----------------------------------------------------------------------------------------------
@dataclass(slots=True)
class Unit:
    key: str
    location: Location
    files: list[FileInfo] = field(default_factory=list)
    hf_repo: str | None = None
    hf_revision: str | None = None
    ollama_name: str | None = None
    sha256: str | None = None
    parent: str | None = None

    def weights(self) -> list[FileInfo]:
        return [f for f in self.files if f.role == "weights"]

    def by_role(self, role: str) -> FileInfo | None:
        return next((f for f in self.files if f.role == role), None)


def _dirname(ref: FileRef) -> tuple[str, str | None]:
    if ref.member is not None:
        head, sep, inner = ref.member.rpartition("!")
        d = posixpath.dirname(inner)
        return ref.path, ((f"{head}!{d}" if d else head) if sep else d)
    return posixpath.dirname(ref.path), None


def identify_artifacts(
    resolver: Resolver, catalog: Catalog, *, on_file: OnFile | None = None
) -> ArtifactOutput:
    """Find and identify every model artifact the resolver holds (see module docstring)."""
    data = load_ident_data()
    out = ArtifactOutput()
    _scan(resolver, catalog, data, out, on_file)
    return out


def _scan(
    resolver: Resolver,
    catalog: Catalog,
    data: IdentData,
    out: ArtifactOutput,
    on_file: OnFile | None,
) -> None:
    refs = list(resolver.files())
    dist = build_index(resolver, refs)
    out.skipped.extend(dist.skipped)
    infos: list[FileInfo] = []
    manifests: dict[str, str] = {}  # ollama blob digest -> model name
    hf_blob_of: dict[str, str] = {}
    hf_cache = _HFCache()
    for ref in refs:
        if on_file is not None:
            on_file(ref)
        try:
            cls = _classify(resolver, ref)
        except OSError as exc:
            out.skipped.append(_skip(ref, exc))
            if ref.name.lower().endswith(_MODEL_SUFFIXES):
                # unreadable: the name is only a hint that an artifact is here; it is reported, not identified
                bad = FileInfo(
                    ref=ref,
                    format="unknown",
                    role="weights",
                    status="incomplete",
                    reason=f"{_skip(ref, exc).reason}: {exc}",
                )
                infos.append(bad)
            continue
        if cls is None:
            continue
        fmt, role, extra = cls
        if fmt == "zip":
            try:
                fmt, _names = _zip_kind(resolver, ref)
            except Incomplete as exc:
                out.skipped.append(Skipped(path=_disp(ref), reason="incomplete", detail=str(exc)))
                continue
            except OSError as exc:
                out.skipped.append(_skip(ref, exc))
                continue
            if fmt in ("wheel", "zip"):
                continue  # an archive: the resolver lists its members
            role = "weights"
        info = (
            _read_tokenizer(resolver, ref, extra)
            if fmt == "tokenizer"
            else _read_file(resolver, ref, fmt, role)
        )
        if role == "ollama-manifest" and isinstance(info.json, dict):
            m = _OLLAMA_MANIFEST.search(ref.logical_path)
            assert m is not None
            ns = m.group("ns")
            model_name = (
                f"{m.group('model')}:{m.group('tag')}"
                if ns == "library"
                else (f"{ns}/{m.group('model')}:{m.group('tag')}")
            )
            for layer in info.json.get("layers", []) or []:
                if isinstance(layer, dict) and str(layer.get("mediaType", "")).endswith("image.model"):
                    digest = str(layer.get("digest", "")).replace("sha256:", "")
                    manifests[digest] = model_name
            continue
        infos.append(info)
        hf = _HF_CACHE.search(ref.logical_path)
        if hf is not None and hf.group("kind") == "snapshots":
            blob = hf_cache.blob(resolver, ref, hf.start())
            if blob:
                hf_blob_of[ref.logical_path] = blob

    out.skipped.extend(hf_cache.warnings)
    units = _group(infos, manifests, hf_blob_of, dist)
    for unit in units:
        _emit(unit, catalog, data, out)


def _read_tokenizer(resolver: Resolver, ref: FileRef, extra: dict[str, Any]) -> FileInfo:
    info = FileInfo(ref=ref, format="tokenizer", role="tokenizer", metadata=dict(extra))
    reader = BoundedReader(resolver, ref, DEFAULT_BUDGET)
    try:
        _parse(reader, info)
    except Incomplete as exc:
        info.status, info.reason = "incomplete", f"{exc.reason}: {exc.detail}"
    except OSError as exc:
        info.status, info.reason = "incomplete", f"unreadable: {exc}"
    info.bytes_read = reader.bytes_read
    return info


class _HFCache:
    """Blob names of HF cache snapshot files, from ``huggingface_hub.scan_cache_dir`` (one scan per cache
    root; corrupted entries and broken links become its warnings, not errors), else from the link target.
    LFS blobs are named by their SHA-256: a content hash for free."""

    def __init__(self) -> None:
        self._scanned: dict[str, dict[str, str]] = {}
        self.warnings: list[Skipped] = []

    def blob(self, resolver: Resolver, ref: FileRef, cache_at: int) -> str | None:
        import os

        p = resolver.local_path(ref)
        if p is None:
            return None
        abs_path = str(p)
        rel = ref.logical_path
        cut = len(abs_path) - len(rel) + cache_at + (1 if rel[cache_at : cache_at + 1] == "/" else 0)
        root = abs_path[:cut].rstrip("/") or "/"
        blobs = self._scanned.get(root)
        if blobs is None:
            blobs, warns = _scan_hf_cache(root)
            self._scanned[root] = blobs
            for w in warns:
                self.warnings.append(
                    Skipped(path=rel[:cache_at] or ".", reason="hf-cache-corrupted", detail=w)
                )
        name = blobs.get(abs_path)
        if name is None:
            try:
                name = os.path.basename(os.path.realpath(p))
            except OSError:
                return None
        return name if re.fullmatch(r"[0-9a-f]{64}", name) else None


def _scan_hf_cache(root: str) -> tuple[dict[str, str], list[str]]:
    try:
        from huggingface_hub import scan_cache_dir

        info = scan_cache_dir(root)
    except Exception as exc:  # noqa: BLE001 - a foreign cache layout must never stop the scan
        return {}, [f"cache scan failed: {str(exc)[:300]}"]
    warns = [str(w).replace(root, "<cache>")[:300] for w in info.warnings]
    out: dict[str, str] = {}
    for repo in info.repos:
        for rev in repo.revisions:
            for f in rev.files:
                out[str(f.file_path)] = f.blob_path.name
    return out, warns


def _group(
    infos: list[FileInfo],
    manifests: dict[str, str],
    hf_blob_of: dict[str, str],
    dist: DistIndex,
) -> list[Unit]:
    units: dict[str, Unit] = {}
    snapshot_blobs = set(hf_blob_of.values())
    # directories laid out as one model (a config, index, adapter config, tokenizer or card beside the
    # weights) form one unit; elsewhere each weights file is its own unit (shards of one set stay together)
    described = {_dirname(i.ref) for i in infos if i.role in _DESCRIBING_ROLES}
    # a model card describes its folder when the folder holds one model (one weights file or one shard set)
    stems: dict[tuple[str, str | None], set[str]] = {}
    for i in infos:
        if i.role == "weights" and i.format != "gguf":
            stems.setdefault(_dirname(i.ref), set()).add(_SHARD.sub("", i.ref.logical_path))
    described |= {
        _dirname(i.ref) for i in infos if i.role == "model-card" and len(stems.get(_dirname(i.ref), ())) <= 1
    }
    for info in infos:
        ref = info.ref
        lp = ref.logical_path
        hf = _HF_CACHE.search(lp)
        if (
            hf is not None
            and hf.group("kind") == "blobs"
            and (posixpath.basename(lp) in snapshot_blobs or info.role != "weights")
        ):
            continue  # the snapshot link is the same content
        ollama = _OLLAMA_BLOB.search(lp)
        container, folder = _dirname(ref)
        if info.format == "gguf" or ollama is not None:
            key = f"file:{ref.path}!{ref.member or ''}"
            loc = Location(path=ref.path, member=ref.member)
        elif info.role == "weights" and (container, folder) not in described:
            stem = _SHARD.sub("", ref.logical_path)
            key = f"file:{ref.path}!{stem if ref.member is not None else ''}!{stem}"
            loc = Location(path=ref.path, member=ref.member)
        else:
            key = f"dir:{container}!{folder if folder is not None else ''}"
            if folder is None:
                loc = Location(path=container or ".")
            else:
                loc = Location(path=container, member=folder or ".")
        unit = units.get(key)
        if unit is None:
            unit = units[key] = Unit(key=key, location=loc)
        unit.files.append(info)
        if hf is not None:
            unit.hf_repo = f"{hf.group('org')}/{hf.group('name')}"
            if hf.group("kind") == "snapshots":
                unit.hf_revision = hf.group("rest").split("/", 1)[0]
        if ollama is not None:
            unit.sha256 = ollama.group("hex")
            unit.ollama_name = manifests.get(ollama.group("hex"))
        elif info.role == "weights" and lp in hf_blob_of:
            unit.sha256 = hf_blob_of[lp] if unit.sha256 is None else unit.sha256
        if unit.parent is None:
            unit.parent = dist.owner(lp, ref.container)
    # a unit made only of descriptors counts when it is recognisably a model's: an adapter config, a
    # tokenizer.json / SentencePiece model / tiktoken file, a vocab or merges file beside a tokenizer or model
    # config, or a config naming an architecture. README-only folders and lone word lists do not.
    keep: list[Unit] = []
    for u in units.values():
        kinds = {f.metadata.get("kind") for f in u.files if f.role == "tokenizer"}
        has_cfg = u.by_role("tokenizer-config") is not None or u.by_role("config") is not None
        if (
            u.weights()
            or u.by_role("adapter-config") is not None
            or kinds & {"tokenizer-json", "sentencepiece", "tiktoken"}
            or (kinds and has_cfg)
        ):
            keep.append(u)
            continue
        cfg = u.by_role("config")
        if (
            cfg is not None
            and isinstance(cfg.json, dict)
            and ("architectures" in cfg.json or "model_type" in cfg.json)
        ):
            keep.append(u)
    return keep


# -- identification -----------------------------------------------------------------------------------
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


def _signals(unit: Unit, catalog: Catalog, data: IdentData) -> Signals:
    sig = Signals()
    tensors: dict[str, tuple[int, ...]] = {}
    for f in unit.weights():
        tensors.update(f.tensors)
    idx = unit.by_role("safetensors-index")
    if idx is not None and isinstance(idx.json, dict) and isinstance(idx.json.get("weight_map"), dict):
        for n in idx.json["weight_map"]:
            tensors.setdefault(str(n), ())

    # structure
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

    # config.json
    cfg = unit.by_role("config")
    if cfg is not None and isinstance(cfg.json, dict):
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

    # GGUF general.*
    for f in unit.weights():
        if f.format != "gguf":
            continue
        md = f.metadata
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
            unit_quantized = True
        else:
            unit_quantized = False
        if unit_quantized:
            sig.lineage.append(("quantized", "", "gguf general.file_type"))

    # card
    card = unit.by_role("model-card")
    if card is not None and isinstance(card.json, dict):
        bases = card.json.get("base_model")
        rel = str(card.json.get("base_model_relation", "") or "")
        rel_v: LineageRelation = rel if rel in ("finetune", "quantized", "merge", "adapter") else "finetune"  # type: ignore[assignment]
        for b in [bases] if isinstance(bases, str) else (bases or []):
            if isinstance(b, str) and b.strip():
                sig.lineage.append((rel_v, b.strip(), "model card base_model"))

    # adapter
    ad = unit.by_role("adapter-config")
    if ad is not None and isinstance(ad.json, dict):
        ad_base = ad.json.get("base_model_name_or_path")
        if isinstance(ad_base, str) and ad_base:
            sig.lineage.append(
                ("adapter", ad_base, f"adapter_config.json ({ad.json.get('peft_type', 'peft')})")
            )

    # names from the layout
    if unit.hf_repo:
        sig.self_ids.append((unit.hf_repo, catalog.match_model(unit.hf_repo), "hf cache repo", 0.5))
    if unit.ollama_name:
        sig.self_ids.append((unit.ollama_name, catalog.match_model(unit.ollama_name), "ollama manifest", 0.6))

    # tokenizer fingerprints
    toks = [f.tokenizer for f in unit.files if f.tokenizer is not None]
    tcfg = unit.by_role("tokenizer-config")
    specials: dict[str, int] = {}  # token -> id (-1 when only the token is known)
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
    if specials and sig.tokenizer_family is None:
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
    for t in toks:
        if t.vocab_size:
            for f2 in data.families:
                if t.vocab_size in f2.vocab_sizes:
                    sig.vote(f2, 0.1)
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


def _pref(catalog: Catalog, pid: str, role: str) -> ProducerRef:
    p = catalog.producers.get(pid)
    if p is None:
        return ProducerRef(id=pid, name=pid, jurisdiction="XX", role=role)  # type: ignore[arg-type]
    return ProducerRef(id=p.id, name=p.name, jurisdiction=p.jurisdiction, role=role)  # type: ignore[arg-type]


def _emit(unit: Unit, catalog: Catalog, data: IdentData, out: ArtifactOutput) -> None:
    sig = _signals(unit, catalog, data)
    producers: list[ProducerRef] = []
    lineage: list[LineageEdge] = []
    methods = list(sig.methods)

    def add_producer(pid: str, role: str) -> None:
        if not any(p.id == pid and p.role == role for p in producers):
            producers.append(_pref(catalog, pid, role))

    # self identity: first candidate the catalog knows, by confidence
    name: str | None = None
    self_match: ModelMatch | None = None
    for cand, m, source, conf in sorted(sig.self_ids, key=lambda t: -t[3]):
        if m is not None:
            name, self_match = cand, m
            methods.append(
                IdentMethod(
                    technique="manifest-analysis" if source != "hf cache repo" else "filename",
                    confidence=conf,
                    value=f"{source}: {cand}",
                )
            )
            break
    if sig.hash_match is not None:
        name = sig.hash_match[0]
        add_producer(sig.hash_match[1], "producer")
    quantized = any(rel == "quantized" for rel, _, _ in sig.lineage)
    if self_match is not None:
        add_producer(self_match.producer.id, "producer")
        if self_match.family is not None:
            for d in self_match.family.lineage:
                lineage.append(
                    LineageEdge(
                        relation=d.relation,
                        base=d.base,
                        base_producer=_pref(catalog, d.base_producer, "base-producer"),
                        source=f"catalog family {self_match.family.id}",
                    )
                )
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
            for d in bm.family.lineage:  # a base that is itself a distill propagates its own base
                lineage.append(
                    LineageEdge(
                        relation=d.relation,
                        base=d.base,
                        base_producer=_pref(catalog, d.base_producer, "base-producer"),
                        source=f"catalog family {bm.family.id} (via {base})",
                    )
                )
        methods.append(
            IdentMethod(technique="manifest-analysis", confidence=0.7, value=f"{source}: {rel} of {base}")
        )

    # structural family (what the headers show) when nothing self-reported names the model
    best_fam: ArchFamily | None = None
    if sig.family_scores:
        fid = max(sig.family_scores, key=lambda k: (sig.family_scores[k], k))
        best_fam = data.family(fid)
    # the Llama layout is shared: when the tokenizer belongs to another producer, that producer's family wins
    if best_fam is not None and best_fam.id == "llama" and sig.tokenizer_producer not in (None, "meta"):
        alt = data.family(sig.tokenizer_family or "")
        best_fam = alt if alt is not None else best_fam
    struct_producer = best_fam.producer if best_fam is not None else sig.tokenizer_producer
    if name is None and not lineage and struct_producer is not None:
        base_name = best_fam.id if best_fam is not None else (sig.tokenizer_family or struct_producer)
        name = base_name
        add_producer(struct_producer, "base-producer")
        lineage.append(
            LineageEdge(
                relation="unknown",
                base=base_name,
                base_producer=_pref(catalog, struct_producer, "base-producer"),
                source="structure+tokenizer+config",
            )
        )
    for e in lineage:
        if e.base_producer is not None:
            add_producer(e.base_producer.id, "base-producer")
    if name is None and lineage:
        first = next((e for e in lineage if e.relation != "quantized"), lineage[0])
        name = f"{_unit_label(unit)} ({first.relation} of {first.base})"

    # contradictions: what the model claims vs what its structure/tokenizer show
    findings = _contradictions(unit, catalog, data, sig, self_match, lineage, best_fam)

    statuses = [f for f in unit.files if f.status != "complete"]
    status = "incomplete" if statuses else "complete"
    if not statuses and unit.weights() and all(f.format in _FORMAT_ONLY for f in unit.weights()):
        status = "format-only"  # no header reader for the format: recognised, not identified
    fmt = _unit_format(unit)
    reason = ""
    if statuses:
        reason = "; ".join(f"{_disp(f.ref)}: {f.reason}" for f in statuses)[:1000]
        for f in statuses:
            out.skipped.append(Skipped(path=_disp(f.ref), reason="incomplete", detail=f.reason[:500]))
    details = ModelDetails(
        path=unit.location.display(),
        format=fmt,
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
        notes="; ".join(sig.notes),
    )
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
    asset = Asset(
        kind="ai-model",
        name=name or unit.location.display(),
        use_mode="self-hosted",
        provenance=Provenance(
            producers=tuple(producers), lineage=tuple(_dedupe(lineage)), methods=tuple(methods)
        ),
        evidence=tuple(evidence),
        parent=unit.parent,
        details=details,
    )
    for fnd in findings:
        out.findings.append(fnd.model_copy(update={"asset_id": asset.id}))
    out.evidence.extend(evidence)
    _merge(out, asset)


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
                update={"evidence": a.evidence + asset.evidence, "details": old.model_copy(update=upd)}
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
    best_fam: ArchFamily | None,
) -> list[Finding]:
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
    if not observed:
        return []
    claims: list[tuple[str, str, set[str]]] = []  # (claim, producer, producers consistent with it)
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
    out: list[Finding] = []
    for claim, _pid, ok in claims:
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


def _disp(ref: FileRef) -> str:
    return ref.path if ref.member is None else f"{ref.path}!{ref.member}"


def _skip(ref: FileRef, exc: OSError) -> Skipped:
    reason = "permission-denied" if isinstance(exc, PermissionError) else "unreadable"
    return Skipped(path=_disp(ref), reason=reason, detail=str(exc)[:300])
