"""Model artifacts: find them by content (magic bytes), identify producer and lineage from headers only.

``identify_artifacts(resolver, catalog, *, on_file=None) -> ArtifactOutput``

1. Discovery (this module): every file's first bytes are sniffed (:func:`tierguard.targets.sniff.sniff`);
   weights (safetensors, GGUF, PyTorch zip/legacy, ONNX, Keras, NumPy, joblib/pickle, TF SavedModel) and the
   files that describe them (config.json, generation_config.json, adapter_config.json, README.md front matter,
   tokenizer files, safetensors index, Ollama manifests) are kept and read (:mod:`.artifact_files`).
   Archives (wheels, sdists, zip, tar, 7z, nested) are not opened here: the resolver lists their members
   (``targets.archive``) like other files; model-format zips (PyTorch, Keras, npz) are one artifact.
2. Grouping into model units (:mod:`.artifact_units`): a directory of HF-layout files (incl. sharded sets),
   one GGUF file, one Ollama model blob (named by its manifest), an HF cache snapshot (``models--ORG--NAME``).
3. Identification (:mod:`.artifact_signals`), each signal recorded as an :class:`IdentMethod` with
   confidence: self-reported metadata (GGUF ``general.*``, config, card, HF cache / Ollama names), structure
   (tensor-name signatures per architecture family, from headers only), tokenizer fingerprints, content
   hashes.
4. Lineage (:mod:`.artifact_emit`): card ``base_model``/``base_model_relation``, GGUF
   ``general.base_model.*``, adapter configs, quantized GGUF, and catalog lineage defaults (distills).
   Producers carry roles (producer, base-producer).
5. Contradictions between what a model claims and what its structure/tokenizer show -> Finding TG-ID-001
   (:mod:`.artifact_emit`).

Every read goes through a :class:`BoundedReader` (2 MiB per file by default), bounded by the file size. A
file that cannot be read completely yields a Skipped entry and ``status=incomplete`` on its asset.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from tierguard.catalog.loader import Catalog
from tierguard.formats.source import Incomplete
from tierguard.identify.artifact_emit import emit
from tierguard.identify.artifact_files import (
    MODEL_SUFFIXES,
    OLLAMA_MANIFEST,
    FileInfo,
    classify,
    disp,
    read_file,
    read_tokenizer,
    skip,
    zip_kind_of,
)
from tierguard.identify.artifact_units import HF_CACHE, group_units
from tierguard.identify.data import IdentData, load_ident_data
from tierguard.identify.interface import ArtifactOutput
from tierguard.model import Skipped
from tierguard.targets.interface import FileRef, Resolver
from tierguard.targets.pyenv import build_index

OnFile = Callable[[FileRef], None]


def identify_artifacts(
    resolver: Resolver,
    catalog: Catalog,
    *,
    on_file: OnFile | None = None,
    kinds: Mapping[tuple[str, str | None], str] | None = None,
) -> ArtifactOutput:
    """Find and identify every model artifact the resolver holds (see module docstring). ``kinds``: each
    file's format as the listing sniffed it, keyed by (path, member); a file is then read only where its
    role needs its first bytes."""
    data = load_ident_data()
    out = ArtifactOutput()
    _scan(resolver, catalog, data, out, on_file, kinds or {})
    return out


def _scan(
    resolver: Resolver,
    catalog: Catalog,
    data: IdentData,
    out: ArtifactOutput,
    on_file: OnFile | None,
    kinds: Mapping[tuple[str, str | None], str],
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
            cls = classify(resolver, ref, kinds.get((ref.path, ref.member)))
        except OSError as exc:
            out.skipped.append(skip(ref, exc))
            if ref.name.lower().endswith(MODEL_SUFFIXES):
                infos.append(_unreadable(ref, exc))
            continue
        info = _read_classified(resolver, ref, cls, out) if cls is not None else None
        if info is None:
            continue
        if info.role == "ollama-manifest" and isinstance(info.json, dict):
            manifests.update(_manifest_blobs(ref, info.json))
            continue
        infos.append(info)
        hf = HF_CACHE.search(ref.logical_path)
        if hf is not None and hf.group("kind") == "snapshots":
            blob = hf_cache.blob(resolver, ref, hf.start())
            if blob:
                hf_blob_of[ref.logical_path] = blob

    out.skipped.extend(hf_cache.warnings)
    for unit in group_units(infos, manifests, hf_blob_of, dist):
        emit(unit, catalog, data, out)


def _unreadable(ref: FileRef, exc: OSError) -> FileInfo:
    # the name is only a hint that an artifact is here; it is reported, not identified
    return FileInfo(
        ref=ref,
        format="unknown",
        role="weights",
        status="incomplete",
        reason=f"{skip(ref, exc).reason}: {exc}",
    )


def _read_classified(
    resolver: Resolver, ref: FileRef, cls: tuple[str, str, dict[str, Any]], out: ArtifactOutput
) -> FileInfo | None:
    """Read a classified file; None for an archive (the resolver lists its members) or a zip whose kind
    could not be told (recorded in ``out.skipped``)."""
    fmt, role, extra = cls
    if fmt == "zip":
        try:
            fmt, _names = zip_kind_of(resolver, ref)
        except Incomplete as exc:
            out.skipped.append(Skipped(path=disp(ref), reason="incomplete", detail=str(exc)))
            return None
        except OSError as exc:
            out.skipped.append(skip(ref, exc))
            return None
        if fmt in ("wheel", "zip"):
            return None  # an archive: the resolver lists its members
        role = "weights"
    if fmt == "tokenizer":
        return read_tokenizer(resolver, ref, extra)
    return read_file(resolver, ref, fmt, role)


def _manifest_blobs(ref: FileRef, manifest: dict[str, Any]) -> dict[str, str]:
    """Model blob digest -> model name, from an Ollama manifest."""
    m = OLLAMA_MANIFEST.search(ref.logical_path)
    assert m is not None
    ns = m.group("ns")
    model_name = (
        f"{m.group('model')}:{m.group('tag')}"
        if ns == "library"
        else (f"{ns}/{m.group('model')}:{m.group('tag')}")
    )
    blobs: dict[str, str] = {}
    for layer in manifest.get("layers", []) or []:
        if isinstance(layer, dict) and str(layer.get("mediaType", "")).endswith("image.model"):
            digest = str(layer.get("digest", "")).replace("sha256:", "")
            blobs[digest] = model_name
    return blobs


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
