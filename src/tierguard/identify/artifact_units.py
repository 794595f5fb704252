"""Model artifacts, grouped into model units: a directory of HF-layout files (incl. sharded sets), one GGUF
file, one Ollama model blob (named by its manifest), an HF cache snapshot (``models--ORG--NAME``); elsewhere
each weights file (or shard set) is its own unit. Pure: works on the :class:`FileInfo` already read.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from tierguard.identify.artifact_files import FileInfo
from tierguard.model import Location
from tierguard.targets.interface import FileRef
from tierguard.targets.pyenv import DistIndex

HF_CACHE = re.compile(
    r"(?:^|/)models--(?P<org>[^/]+?)--(?P<name>[^/]+)/(?P<kind>snapshots|blobs|refs)/(?P<rest>.+)$"
)
_OLLAMA_BLOB = re.compile(r"(?:^|/)blobs/sha256[-:](?P<hex>[0-9a-f]{64})$")
_SHARD = re.compile(r"-\d{1,6}-of-\d{1,6}(?=\.[^./]+$)")
_DESCRIBING_ROLES = frozenset(
    {"config", "safetensors-index", "pytorch-index", "adapter-config", "tokenizer", "tokenizer-config"}
)

_Dir = tuple[str, str | None]  # (container path, folder inside it or None for a plain directory)


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


def _dirname(ref: FileRef) -> _Dir:
    if ref.member is not None:
        head, sep, inner = ref.member.rpartition("!")
        d = posixpath.dirname(inner)
        return ref.path, ((f"{head}!{d}" if d else head) if sep else d)
    return posixpath.dirname(ref.path), None


def group_units(
    infos: list[FileInfo],
    manifests: dict[str, str],
    hf_blob_of: dict[str, str],
    dist: DistIndex,
) -> list[Unit]:
    """The model units ``infos`` form; ``manifests`` maps an Ollama blob digest to its model name and
    ``hf_blob_of`` an HF cache snapshot file to its blob name."""
    units: dict[str, Unit] = {}
    snapshot_blobs = set(hf_blob_of.values())
    described = _described(infos)
    for info in infos:
        ref = info.ref
        lp = ref.logical_path
        hf = HF_CACHE.search(lp)
        if (
            hf is not None
            and hf.group("kind") == "blobs"
            and (posixpath.basename(lp) in snapshot_blobs or info.role != "weights")
        ):
            continue  # the snapshot link is the same content
        ollama = _OLLAMA_BLOB.search(lp)
        key, loc = _unit_key(info, ollama is not None, described)
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
    return [u for u in units.values() if _is_model_unit(u)]


def _described(infos: list[FileInfo]) -> set[_Dir]:
    """Directories laid out as one model (a config, index, adapter config, tokenizer or card beside the
    weights): they form one unit; elsewhere each weights file is its own unit (shards of one set stay
    together)."""
    described = {_dirname(i.ref) for i in infos if i.role in _DESCRIBING_ROLES}
    # a model card describes its folder when the folder holds one model (one weights file or one shard set)
    stems: dict[_Dir, set[str]] = {}
    for i in infos:
        if i.role == "weights" and i.format != "gguf":
            stems.setdefault(_dirname(i.ref), set()).add(_SHARD.sub("", i.ref.logical_path))
    described |= {
        _dirname(i.ref) for i in infos if i.role == "model-card" and len(stems.get(_dirname(i.ref), ())) <= 1
    }
    return described


def _unit_key(info: FileInfo, ollama_blob: bool, described: set[_Dir]) -> tuple[str, Location]:
    """The key of the unit ``info`` belongs to, and that unit's location."""
    ref = info.ref
    container, folder = _dirname(ref)
    if info.format == "gguf" or ollama_blob:
        return f"file:{ref.path}!{ref.member or ''}", Location(path=ref.path, member=ref.member)
    if info.role == "weights" and (container, folder) not in described:
        stem = _SHARD.sub("", ref.logical_path)
        key = f"file:{ref.path}!{stem if ref.member is not None else ''}!{stem}"
        return key, Location(path=ref.path, member=ref.member)
    key = f"dir:{container}!{folder if folder is not None else ''}"
    if folder is None:
        return key, Location(path=container or ".")
    return key, Location(path=container, member=folder or ".")


def _is_model_unit(u: Unit) -> bool:
    """A unit with weights counts; one made only of descriptors counts when it is recognisably a model's: an
    adapter config, a tokenizer.json / SentencePiece model / tiktoken file, a vocab or merges file beside a
    tokenizer or model config, or a config naming an architecture. README-only folders and lone word lists
    do not."""
    kinds = {f.metadata.get("kind") for f in u.files if f.role == "tokenizer"}
    has_cfg = u.by_role("tokenizer-config") is not None or u.by_role("config") is not None
    if (
        u.weights()
        or u.by_role("adapter-config") is not None
        or kinds & {"tokenizer-json", "sentencepiece", "tiktoken"}
        or (kinds and has_cfg)
    ):
        return True
    cfg = u.by_role("config")
    return (
        cfg is not None
        and isinstance(cfg.json, dict)
        and ("architectures" in cfg.json or "model_type" in cfg.json)
    )
