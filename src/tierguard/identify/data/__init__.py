"""Reference data for artifact identification (architecture signatures, tokenizer fingerprints)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True, slots=True)
class ArchFamily:
    id: str
    name: str
    producer: str
    catalog_family: str | None
    model_types: tuple[str, ...]
    architectures: tuple[str, ...]
    gguf_arch: tuple[str, ...]
    gguf_pre: tuple[str, ...]
    require: tuple[re.Pattern[str], ...]
    forbid: tuple[re.Pattern[str], ...]
    vocab_sizes: tuple[int, ...]
    special_tokens: tuple[tuple[str, int | None], ...]


@dataclass(frozen=True, slots=True)
class TokenizerRef:
    id: str
    family: str
    producer: str
    vocab_head_sha256: str
    vocab_size: int
    source: str


@dataclass(frozen=True, slots=True)
class KnownHash:
    sha256: str
    model: str
    producer: str
    source: str


@dataclass(frozen=True, slots=True)
class IdentData:
    version: str
    families: tuple[ArchFamily, ...]
    tokenizers: tuple[TokenizerRef, ...]
    hashes: dict[str, KnownHash] = field(default_factory=dict)

    def family(self, fid: str) -> ArchFamily | None:
        for f in self.families:
            if f.id == fid:
                return f
        return None


def _t(v: Any) -> tuple[str, ...]:
    return tuple(str(x) for x in (v or ()))


def load_ident_data() -> IdentData:
    """Load ``architectures.yaml`` and ``fingerprints.json`` shipped with the package."""
    base = resources.files("tierguard.identify.data")
    arch = yaml.safe_load(base.joinpath("architectures.yaml").read_text("utf-8"))
    fps = json.loads(base.joinpath("fingerprints.json").read_text("utf-8"))
    fams = tuple(
        ArchFamily(
            id=f["id"],
            name=f.get("name", f["id"]),
            producer=f["producer"],
            catalog_family=f.get("catalog_family"),
            model_types=_t(f.get("model_types")),
            architectures=_t(f.get("architectures")),
            gguf_arch=_t(f.get("gguf_arch")),
            gguf_pre=_t(f.get("gguf_pre")),
            require=tuple(re.compile(p) for p in _t(f.get("require"))),
            forbid=tuple(re.compile(p) for p in _t(f.get("forbid"))),
            vocab_sizes=tuple(int(x) for x in f.get("vocab_sizes") or ()),
            special_tokens=tuple(
                (str(k), None if v is None else int(v)) for k, v in (f.get("special_tokens") or {}).items()
            ),
        )
        for f in arch["families"]
    )
    toks = tuple(
        TokenizerRef(
            t["id"], t["family"], t["producer"], t["vocab_head_sha256"], int(t["vocab_size"]), t["source"]
        )
        for t in fps["tokenizers"]
    )
    hashes = {
        h["sha256"]: KnownHash(h["sha256"], h["model"], h["producer"], h["source"])
        for h in fps.get("files", [])
    }
    return IdentData(version=str(arch["version"]), families=fams, tokenizers=toks, hashes=hashes)
