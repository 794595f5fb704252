"""Model artifacts, per file: which files are worth reading (by name, else by their sniffed head) and what one
bounded read of each yields (tensor names and shapes, header metadata, JSON descriptors, tokenizer
fingerprints), as a :class:`FileInfo`.

Every read goes through a :class:`BoundedReader` (2 MiB per file by default), bounded by the file size. A
file that cannot be read completely is a ``FileInfo`` with ``status="incomplete"`` and the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tierguard.formats import tokenizer as tok
from tierguard.formats.descriptors import is_torch_legacy, read_front_matter, read_json
from tierguard.formats.gguf import GGUFArray, GGUFHeader, read_gguf
from tierguard.formats.pickle import tensor_names
from tierguard.formats.protobuf import read_onnx
from tierguard.formats.safetensors import read_safetensors
from tierguard.formats.source import DEFAULT_BUDGET, BoundedReader, BytesSource, Incomplete, RangeStream
from tierguard.formats.tflite import read_tflite
from tierguard.formats.zip import ZipMember, read_member, read_members, zip_kind
from tierguard.model import Skipped
from tierguard.targets.interface import FileRef, Resolver
from tierguard.targets.sniff import sniff

HEAD = 64
PICKLE_NAMES_BYTES = 1024 * 1024  # of a data.pkl / legacy torch file, for its tensor names
WEIGHT_FORMATS = frozenset(
    {
        "safetensors",
        "gguf",
        "pytorch-zip",
        "pytorch-legacy",
        "onnx",
        "tflite",
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
OLLAMA_MANIFEST = re.compile(
    r"(?:^|/)manifests/(?P<host>[^/]+)/(?P<ns>[^/]+)/(?P<model>[^/]+)/(?P<tag>[^/]+)$"
)
# names that hint at a model artifact: an unreadable file so named is reported, not silently dropped
MODEL_SUFFIXES = (
    ".safetensors",
    ".gguf",
    ".bin",
    ".pt",
    ".pth",
    ".onnx",
    ".tflite",
    ".h5",
    ".keras",
    ".ckpt",
    ".pkl",
    ".npy",
    ".npz",
    ".joblib",
    ".model",
)


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


def read_file(resolver: Resolver, ref: FileRef, fmt: str, role: str) -> FileInfo:
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


def read_tokenizer(resolver: Resolver, ref: FileRef, extra: dict[str, Any]) -> FileInfo:
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


def _parse(reader: BoundedReader, info: FileInfo) -> None:
    fmt = info.format
    if fmt == "safetensors":
        st = read_safetensors(reader)
        info.tensors = {k: v[1] for k, v in st.tensors.items()}
        info.metadata = dict(st.metadata)
    elif fmt == "gguf":
        _parse_gguf(read_gguf(reader), info)
    elif fmt in ("pytorch-zip", "keras", "npz"):
        entries = _zip_entries(reader)
        info.metadata["members"] = len(entries)
        if fmt == "pytorch-zip":
            pkl = next((e for e in entries if e.name.endswith("data.pkl")), None)
            if pkl is not None:
                raw = read_member(reader, pkl, min(pkl.usize, PICKLE_NAMES_BYTES))
                info.tensors = _tensor_names(raw, pkl.usize)
    elif fmt == "pytorch-legacy":
        raw = reader.read(0, min(reader.size, PICKLE_NAMES_BYTES))
        info.tensors = _tensor_names(raw, reader.size)
    elif fmt == "onnx":
        _parse_onnx(reader, info)
    elif fmt == "tflite":
        _parse_tflite(reader, info)
    elif fmt in ("json-descriptor",):
        info.json = read_json(reader)
    elif fmt == "model-card":
        info.json = read_front_matter(reader)
    elif fmt == "tokenizer":
        _parse_tokenizer(reader, info)
    # hdf5, numpy, joblib, pickle, tf-savedmodel: the format itself is what identification gets


def _parse_onnx(reader: BoundedReader, info: FileInfo) -> None:
    """ModelProto header wherever it sits (head and tail windows); initializer names/dims as tensors."""
    hdr = read_onnx(reader)
    info.metadata = dict(hdr.fields)
    info.metadata["opset_import"] = list(hdr.opsets)
    info.metadata["metadata_props"] = dict(hdr.metadata)
    info.metadata["graph_names"] = list(hdr.names)
    info.metadata["graph_seen"] = hdr.graph_seen
    info.tensors = dict(hdr.tensors)
    _unread(info, hdr.unread)


def _parse_tflite(reader: BoundedReader, info: FileInfo) -> None:
    hdr = read_tflite(reader)
    info.metadata = {
        "tflite_schema_version": hdr.version,
        "description": hdr.description,
        "metadata": dict(hdr.metadata),
        "model_metadata": dict(hdr.model_metadata),
        "custom_ops": list(hdr.custom_ops),
        "subgraph_name": hdr.subgraph_name,
    }
    info.tensors = dict(hdr.tensors)
    _unread(info, hdr.unread)


def _unread(info: FileInfo, unread: list[str]) -> None:
    """Header fields the reader saw but could not read (outside the read windows, over a cap): incomplete."""
    if unread:
        info.status = "incomplete"
        info.reason = ("unread: " + "; ".join(unread))[:1000]


def _tensor_names(raw: bytes, size: int) -> dict[str, tuple[int, ...]]:
    # the pickle walker over the first PICKLE_NAMES_BYTES of the pickle(s): names only, no shapes
    return {n: () for n in tensor_names(RangeStream(BytesSource(raw)), size)}


def _parse_gguf(gg: GGUFHeader, info: FileInfo) -> None:
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


def _parse_tokenizer(reader: BoundedReader, info: FileInfo) -> None:
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


_NEEDS_HEAD = frozenset({"pickle"})
"""Sniffed formats whose role depends on the first bytes too (legacy torch / joblib pickles)."""


def classify(
    resolver: Resolver, ref: FileRef, kind: str | None = None
) -> tuple[str, str, dict[str, Any]] | None:
    """(format, role, extra) for a file worth reading, else None. ``kind``: the format the listing already
    sniffed from the file's head (the file is then read only where the role needs its first bytes)."""
    name = ref.name
    lp = ref.logical_path
    if name in _DESCRIPTOR_NAMES:
        kind = _DESCRIPTOR_NAMES[name]
        return ("model-card" if kind == "model-card" else "json-descriptor", kind, {})
    if name in _TOKENIZER_NAMES or name.endswith(".tiktoken"):
        return ("tokenizer", "tokenizer", {"kind": _TOKENIZER_NAMES.get(name, "tiktoken")})
    if OLLAMA_MANIFEST.search(lp) and ref.size < 1024 * 1024:
        return ("json-descriptor", "ollama-manifest", {})
    if ref.size < 8:
        return None
    if kind is not None and kind not in _NEEDS_HEAD:
        return _classify_kind(kind, name, b"")
    head = resolver.read_bytes(ref, min(HEAD, ref.size))
    return _classify_kind(sniff(head, name, ref.size) if kind is None else kind, name, head)


def _classify_kind(kind: str, name: str, head: bytes) -> tuple[str, str, dict[str, Any]] | None:
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
    if kind == "tflite":
        return ("tflite", "weights", {})
    if kind == "onnx-or-protobuf":
        if name == "saved_model.pb":
            return ("tf-savedmodel", "weights", {})
        return ("onnx", "weights", {})
    return None


def _zip_entries(reader: BoundedReader) -> list[ZipMember]:
    members, problems = read_members(reader, local_headers=False)
    if problems:  # no usable central directory: what the members are is not known for sure
        raise Incomplete("malformed", "; ".join(problems)[:300])
    return [m for m in members if not m.is_dir]


def zip_kind_of(resolver: Resolver, ref: FileRef) -> tuple[str, list[str]]:
    names = [e.name for e in _zip_entries(BoundedReader(resolver, ref, DEFAULT_BUDGET))]
    return zip_kind(names), names


def disp(ref: FileRef) -> str:
    return ref.path if ref.member is None else f"{ref.path}!{ref.member}"


def skip(ref: FileRef, exc: OSError) -> Skipped:
    reason = "permission-denied" if isinstance(exc, PermissionError) else "unreadable"
    return Skipped(path=disp(ref), reason=reason, detail=str(exc)[:300])
