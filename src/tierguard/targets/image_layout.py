"""Container image formats, told apart by content: an OCI image layout (a directory, or a tar of one, with
``oci-layout`` and ``index.json``) and a ``docker save`` archive (a tar with a ``manifest.json`` listing
``Config`` and ``Layers``; Docker 25+ writes both). They are read into :class:`ImageSpec` records: the
config, the layer blobs in order with the digests to check them against.

Every JSON document is read within a size bound and checked against the digest that names it (an OCI
descriptor, or the ``<sha256>.json`` / ``blobs/sha256/<hex>`` name of a docker archive's config); what
is missing, too large, not JSON, not the shape it claims, or not the blob its digest names is a problem of
the image (recorded, never silently dropped). An index can nest indexes (multi-platform images): every
image manifest it names is an image; attestation manifests (BuildKit provenance/SBOM) hold no filesystem
and are noted. Blobs are read where they are: files of the layout directory (never through a symlink), or
members of the outer tar addressed in place (its symlinks, which ``docker save`` writes for shared layers,
resolved inside the tar).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tierguard.formats.source import RandomSource, SliceSource, SourceFile
from tierguard.targets.image_stream import DiskSource

MAX_JSON = 4 << 20
MAX_CONFIG = 16 << 20
MAX_OUTER_MEMBERS = 20_000  # an image archive holds a few files per layer (at most 127 layers)
MAX_IMAGES = 64
MAX_INDEX_DEPTH = 4
INDEX_TYPES = frozenset(
    {"application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"}
)
MANIFEST_TYPES = frozenset(
    {"application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json"}
)
_DIGEST = re.compile(r"(sha256|sha512):([0-9a-f]{64}|[0-9a-f]{128})")
_NAMED = re.compile(r"(?:^|/)(?:sha256/)?([0-9a-f]{64})(?:\.json)?$")


@dataclass(frozen=True, slots=True)
class LayerSpec:
    """Layer ``index`` (0 = the base): its blob's name in the store, the digest the manifest gives for the
    blob ("" when the format names none), its size (-1 unknown), media type and the config's diff_id."""

    index: int
    blob: str
    digest: str = ""
    size: int = -1
    media_type: str = ""
    diff_id: str = ""

    @property
    def short(self) -> str:
        d = self.digest or self.diff_id
        return d.split(":", 1)[-1][:12] if d else self.blob[-40:]

    def describe(self, count: int) -> str:
        d = self.digest or self.diff_id or self.blob
        return f"layer {self.index + 1}/{count} ({d})"


@dataclass(slots=True)
class ImageSpec:
    """One image: where it was found (``source``: oci-layout or docker-archive), its names, digests,
    configuration (``config``: the parsed JSON object, None when unreadable) and layers; ``problems``
    says what could not be read."""

    source: str
    refs: list[str] = field(default_factory=list)
    manifest_digest: str = ""
    config_digest: str = ""
    config: dict[str, Any] | None = None
    layers: list[LayerSpec] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    platform: str = ""
    label: str = ""


class Blobs(Protocol):
    """Where an image's files and blobs are: ``open`` raises OSError when a name is missing."""

    def open(self, name: str) -> RandomSource: ...

    def has(self, name: str) -> bool: ...


class DirBlobs:
    """The files of an OCI layout directory (names checked to stay inside it; no symlink followed)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._real = os.path.realpath(root)

    def _path(self, name: str) -> str:
        clean = posixpath.normpath(name)
        if clean.startswith(("/", "../")) or clean == "..":
            raise OSError(f"{name!r}: not inside the layout")
        path = os.path.join(self.root, *clean.split("/"))
        parent = os.path.realpath(os.path.dirname(path))
        if parent != self._real and not parent.startswith(self._real.rstrip(os.sep) + os.sep):
            raise OSError(f"{name!r}: resolves outside the layout")
        return path

    def has(self, name: str) -> bool:
        try:
            return os.path.isfile(self._path(name)) and not os.path.islink(self._path(name))
        except OSError:
            return False

    def open(self, name: str) -> RandomSource:
        try:
            return DiskSource(self._path(name))
        except FileNotFoundError:
            raise OSError(f"{name} is missing") from None


class TarBlobs:
    """Members of an uncompressed outer tar, addressed in place (``members``: name -> (offset, size);
    ``links``: symlink and hard link members -> their targets)."""

    def __init__(self, src: RandomSource) -> None:
        self.src = src
        self.members: dict[str, tuple[int, int]] = {}
        self.links: dict[str, str] = {}
        self.problems: list[str] = []

    def _resolve(self, name: str) -> str:
        name = posixpath.normpath(name).lstrip("/")
        for _ in range(8):
            if name in self.members:
                return name
            target = self.links.get(name)
            if target is None:
                break
            name = target
        return name

    def has(self, name: str) -> bool:
        return self._resolve(name) in self.members

    def open(self, name: str) -> RandomSource:
        got = self.members.get(self._resolve(name))
        if got is None:
            raise OSError(f"{name} is missing from the archive")
        off, size = got
        if off + size > self.src.size:
            raise OSError(f"{name}: the archive ends inside it ({self.src.size - off} of {size} bytes)")
        return SliceSource(self.src, off, size)


def list_outer(src: RandomSource, *, max_members: int = MAX_OUTER_MEMBERS) -> TarBlobs | None:
    """The members of ``src`` when it is an uncompressed tar (None when it is not one, or when it has more
    than ``max_members`` members: no image archive has that many)."""
    head = src.read(0, 512)
    if len(head) < 512 or head[257:262] != b"ustar":  # docker and OCI tools write ustar, GNU or PAX tars
        return None
    import tarfile  # only when a tar is met (the inspect path never imports it for other files)

    try:
        tarfile.TarInfo.frombuf(head, "utf-8", "surrogateescape")
    except tarfile.HeaderError:
        return None
    out = TarBlobs(src)
    try:
        with tarfile.open(fileobj=io.BufferedReader(SourceFile(src)), mode="r:") as tf:
            for ti in tf:
                name = posixpath.normpath(ti.name).lstrip("/")
                if ti.isreg():
                    out.members[name] = (ti.offset_data, ti.size)
                elif ti.issym():
                    out.links[name] = posixpath.normpath(posixpath.join(posixpath.dirname(name), ti.linkname))
                elif ti.islnk():
                    out.links[name] = posixpath.normpath(ti.linkname).lstrip("/")
                tf.members.clear()  # type: ignore[attr-defined]
                if len(out.members) + len(out.links) >= max_members:
                    return None
    except (tarfile.TarError, OSError, EOFError) as exc:
        out.problems.append(f"tar error: {str(exc)[:200]}")
    return out


def check_digest(data: bytes, digest: str) -> str:
    """ "" when ``data`` hashes to ``digest`` (``sha256:<hex>`` / ``sha512:<hex>``), else the problem."""
    m = _DIGEST.fullmatch(digest)
    if m is None:
        return f"digest {digest[:80]!r} is not a sha256/sha512 digest: not verified"
    got = hashlib.new(m.group(1), data).hexdigest()
    return (
        "" if got == m.group(2) else f"content does not match its digest {digest} (it is {m.group(1)}:{got})"
    )


def read_json(blobs: Blobs, name: str, what: str, limit: int, digest: str = "") -> tuple[Any, str]:
    """(parsed JSON, "") or (None, the problem)."""
    try:
        src = blobs.open(name)
    except OSError as exc:
        return None, f"{what}: {exc}"
    if src.size > limit:
        return None, f"{what} ({name}): {src.size} bytes, over the {limit}-byte limit: not read"
    data = src.read(0, src.size)
    if len(data) != src.size:
        return None, f"{what} ({name}): short read"
    problem = check_digest(data, digest) if digest else ""
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError) as exc:
        return None, f"{what} ({name}) is not JSON: {str(exc)[:120]}"
    if problem:
        return obj, f"{what} ({name}): {problem}"
    return obj, ""


def blob_name(digest: str) -> str:
    alg, _, hexd = digest.partition(":")
    return f"blobs/{alg}/{hexd}"


def _descriptor(d: Any) -> str:
    """The problem with descriptor ``d`` ("" when it is usable)."""
    if not isinstance(d, dict):
        return "a descriptor that is not a JSON object"
    dig = d.get("digest")
    if not isinstance(dig, str) or _DIGEST.fullmatch(dig) is None:
        return f"a descriptor without a sha256/sha512 digest ({str(dig)[:80]!r})"
    return ""


def _platform(p: Any) -> str:
    if not isinstance(p, dict):
        return ""
    parts = [str(p.get(k, "")) for k in ("os", "architecture", "variant") if p.get(k)]
    return "/".join(parts)


def _refs(d: dict[str, Any]) -> list[str]:
    ann = d.get("annotations")
    if not isinstance(ann, dict):
        return []
    names = [ann.get("io.containerd.image.name"), ann.get("org.opencontainers.image.ref.name")]
    return [str(n) for n in names if isinstance(n, str) and n]


def read_oci(blobs: Blobs) -> tuple[list[ImageSpec], list[str]]:
    """The images of an OCI layout, and the layout's own problems."""
    problems: list[str] = []
    marker, why = read_json(blobs, "oci-layout", "oci-layout", MAX_JSON)
    if why or not isinstance(marker, dict) or not isinstance(marker.get("imageLayoutVersion"), str):
        problems.append(why or "oci-layout is not an OCI layout marker (no imageLayoutVersion)")
    index, why = read_json(blobs, "index.json", "index.json", MAX_JSON)
    if why or not isinstance(index, dict) or not isinstance(index.get("manifests"), list):
        problems.append(why or "index.json is not an OCI image index (no manifests list)")
        return [], problems
    images: list[ImageSpec] = []
    _walk_index(blobs, index["manifests"], [], "", 0, images, problems)
    return images, problems


def _walk_index(
    blobs: Blobs,
    descs: list[Any],
    refs: list[str],
    platform: str,
    depth: int,
    images: list[ImageSpec],
    problems: list[str],
) -> None:
    for d in descs:
        bad = _descriptor(d)
        if bad:
            problems.append(f"index: {bad}")
            continue
        mt = str(d.get("mediaType") or "")
        ann = d.get("annotations") if isinstance(d.get("annotations"), dict) else {}
        plat = _platform(d.get("platform")) or platform
        names = _refs(d) or refs
        if ann.get("vnd.docker.reference.type") == "attestation-manifest":
            problems.append(f"{d['digest']}: an attestation manifest (provenance/SBOM, no filesystem): noted")
            continue
        if len(images) >= MAX_IMAGES:
            problems.append(f"more than {MAX_IMAGES} images in the index: the rest not read")
            return
        obj, why = read_json(blobs, blob_name(d["digest"]), f"manifest {d['digest']}", MAX_JSON, d["digest"])
        if obj is None or not isinstance(obj, dict):
            problems.append(why or f"manifest {d['digest']} is not a JSON object")
            continue
        inner_mt = str(obj.get("mediaType") or mt)
        if mt in INDEX_TYPES or inner_mt in INDEX_TYPES or isinstance(obj.get("manifests"), list):
            if depth >= MAX_INDEX_DEPTH:
                problems.append(f"index {d['digest']} nested deeper than {MAX_INDEX_DEPTH}: not read")
            elif isinstance(obj.get("manifests"), list):
                _walk_index(blobs, obj["manifests"], names, plat, depth + 1, images, problems)
            continue
        img = ImageSpec("oci-layout", refs=list(names), manifest_digest=d["digest"], platform=plat)
        if why:
            img.problems.append(why)
        _from_manifest(blobs, obj, img)
        images.append(img)


def _from_manifest(blobs: Blobs, manifest: dict[str, Any], img: ImageSpec) -> None:
    cfg = manifest.get("config")
    layers = manifest.get("layers")
    if _descriptor(cfg) or not isinstance(cfg, dict) or not isinstance(layers, list):
        img.problems.append(
            f"manifest {img.manifest_digest} is not an image manifest (config/layers missing)"
        )
        return
    img.config_digest = cfg["digest"]
    obj, why = read_json(
        blobs, blob_name(cfg["digest"]), f"config {cfg['digest']}", MAX_CONFIG, cfg["digest"]
    )
    if why:
        img.problems.append(why)
    img.config = obj if isinstance(obj, dict) else None
    if obj is not None and img.config is None:
        img.problems.append(f"config {cfg['digest']} is not a JSON object")
    diff_ids = _diff_ids(img)
    for i, desc in enumerate(layers):
        bad = _descriptor(desc)
        if bad:
            img.problems.append(f"layer {i + 1}: {bad}: not read")
            continue
        size = desc.get("size")
        img.layers.append(
            LayerSpec(
                index=i,
                blob=blob_name(desc["digest"]),
                digest=desc["digest"],
                size=size if isinstance(size, int) and size >= 0 else -1,
                media_type=str(desc.get("mediaType") or ""),
                diff_id=diff_ids[i] if i < len(diff_ids) else "",
            )
        )
    _platform_from_config(img)


def _diff_ids(img: ImageSpec) -> list[str]:
    rootfs = img.config.get("rootfs") if img.config is not None else None
    ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    if not isinstance(ids, list):
        if img.config is not None:
            img.problems.append("config has no rootfs.diff_ids: layers not checked against them")
        return []
    return [i if isinstance(i, str) else "" for i in ids]


def _platform_from_config(img: ImageSpec) -> None:
    if img.config is not None and not img.platform:
        img.platform = _platform(img.config)
    n = len(_diff_ids(img)) if img.config is not None and isinstance(img.config.get("rootfs"), dict) else -1
    if n >= 0 and n != len(img.layers):
        img.problems.append(f"the manifest lists {len(img.layers)} layers, the config {n} diff_ids")


def read_docker(blobs: Blobs) -> tuple[list[ImageSpec], list[str]]:
    """The images of a ``docker save`` archive (its ``manifest.json``), and the archive's own problems."""
    manifest, why = read_json(blobs, "manifest.json", "manifest.json", MAX_JSON)
    if not is_docker_manifest(manifest):
        return [], [why or "manifest.json is not a docker save manifest (a list of Config/Layers objects)"]
    images: list[ImageSpec] = []
    problems: list[str] = []
    for item in manifest[:MAX_IMAGES]:
        tags = item.get("RepoTags")
        img = ImageSpec("docker-archive", refs=[str(t) for t in tags or [] if isinstance(t, str)])
        cfg_name = str(item["Config"])
        named = _NAMED.search(cfg_name)
        digest = f"sha256:{named.group(1)}" if named else ""
        img.config_digest = digest
        obj, why = read_json(blobs, cfg_name, f"config {cfg_name}", MAX_CONFIG, digest)
        if why:
            img.problems.append(why)
        img.config = obj if isinstance(obj, dict) else None
        diff_ids = _diff_ids(img)
        for i, layer in enumerate(item["Layers"]):
            name = str(layer)
            m = re.fullmatch(r"blobs/(sha256)/([0-9a-f]{64})", posixpath.normpath(name))
            img.layers.append(
                LayerSpec(
                    index=i,
                    blob=name,
                    digest=f"sha256:{m.group(2)}" if m else "",
                    diff_id=diff_ids[i] if i < len(diff_ids) else "",
                )
            )
        _platform_from_config(img)
        images.append(img)
    if len(manifest) > MAX_IMAGES:
        problems.append(f"more than {MAX_IMAGES} images in manifest.json: the rest not read")
    return images, problems


def is_docker_manifest(obj: Any) -> bool:
    return (
        isinstance(obj, list)
        and bool(obj)
        and all(
            isinstance(i, dict) and isinstance(i.get("Config"), str) and isinstance(i.get("Layers"), list)
            for i in obj
        )
    )
