"""Container images as targets: an OCI image layout (directory or tar), a ``docker save`` archive, or any
reference ``skopeo`` can copy (``docker://``, ``oci:``, ``docker-archive:`` ...) into a temporary OCI layout
that is removed afterwards. Told apart by content (:func:`open_image`), never by file name.

:class:`ImageResolver` lists each image's filesystem as its layers build it
(:mod:`tierguard.targets.image_tree`: whiteouts, opaque directories, hard links, symlinks) plus a synthetic
``.image-config/Dockerfile`` holding its configuration (:mod:`tierguard.targets.image_config`), so every
detector, the artifact identification and the inspect stage read image files as they read a directory. A
file is ``FileRef(path=<image>, member=<path in the image>)`` (shown ``app.tar!usr/lib/x.py``; the member
is the path a container sees, so directories that span layers stay one directory); its layer is named by
:meth:`ImageResolver.origin` and the notes list every image's manifest, config and layer digests.

Nothing is extracted or written: each layer blob is read once in order (hashed against its digest,
headers listed, small files of compressed layers kept within :data:`KEEP_BUDGET`), then files are read
in place (plain layers) or by decompressing from the nearest restart point (gzip snapshots, zstd frames;
:mod:`tierguard.targets.image_stream`). What cannot be read -- a missing or wrong-digest blob, a layer that
is not a tar or is cut short, a member leaving the root, a deleted or replaced file -- is a
:class:`~tierguard.model.Skipped` entry with its reason, never silently absent.
"""

from __future__ import annotations

import os
import re
import shutil
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tierguard.errors import TargetError
from tierguard.formats.compressed import compression_of
from tierguard.formats.source import RandomSource
from tierguard.model import Skipped
from tierguard.targets.image_config import config_dockerfile
from tierguard.targets.image_layout import (
    Blobs,
    DirBlobs,
    ImageSpec,
    LayerSpec,
    TarBlobs,
    is_docker_manifest,
    list_outer,
    read_docker,
    read_json,
    read_oci,
)
from tierguard.targets.image_stream import DiskSource, LayerBytes
from tierguard.targets.interface import FileRef, Resolver

if TYPE_CHECKING:  # the tar walk and the tree are imported when an image is read (tarfile with them)
    from tierguard.targets.image_tar import Entry, LayerListing

KEEP_BUDGET = 16 << 20  # bytes of compressed layers' small files kept in memory, per target
MAX_ENTRIES = 1_000_000  # tar members listed per target, all layers together
CONFIG_MEMBER = ".image-config/Dockerfile"
TRANSPORTS = ("docker", "oci", "oci-archive", "docker-archive", "docker-daemon", "containers-storage", "dir")
_STRICT_REASONS = frozenset({"unreadable", "malformed", "incomplete"})  # what --strict stops at


@dataclass(slots=True)
class _Item:
    """Where a listed file's bytes are: a layer's data (``layer`` + ``entry``) or ``data`` in memory."""

    layer: LayerBytes | None = None
    entry: Entry | None = None
    data: bytes | None = None
    origin: str = ""


@dataclass(slots=True)
class _Built:
    refs: list[FileRef] = field(default_factory=list)
    items: dict[tuple[str, str], _Item] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class ImageResolver:
    """The files of one or more images (see the module docstring). ``name``: the target's display name;
    ``images``: as :mod:`tierguard.targets.image_layout` read them; ``problems``: the container format's own
    (recorded against the target)."""

    lists_members = True  # its files are members (``path!member``): an ExpandedResolver asks it for them

    def __init__(
        self,
        name: str,
        blobs: Blobs,
        images: list[ImageSpec],
        problems: list[str],
        *,
        note: str = "",
        keep_budget: int = KEEP_BUDGET,
        strict: bool = False,
    ) -> None:
        self.name = name
        self.blobs = blobs
        self.images = images
        self.problems = problems
        from tierguard.targets.image_tar import Keep

        self._note = note
        self.strict = strict  # scan --strict: the first unreadable, malformed or incomplete part raises
        self._keep = Keep(keep_budget)
        self._built: _Built | None = None
        self._label_images()

    def _label_images(self) -> None:
        if len(self.images) == 1:
            self.images[0].label = self.name
            return
        seen: set[str] = set()
        for i, img in enumerate(self.images):
            tag = img.refs[0] if img.refs else img.platform or img.manifest_digest[7:19] or str(i + 1)
            label = f"{self.name}#{tag}"
            while label in seen:
                label = f"{label}.{i + 1}"
            seen.add(label)
            img.label = label

    @property
    def root_name(self) -> str:
        return self.name

    def files(self) -> Iterator[FileRef]:
        return iter(self._build().refs)

    def _build(self) -> _Built:
        if self._built is None:
            built = _Built()
            for p in self.problems:
                if self.strict:
                    raise TargetError(f"--strict: {self.name}: malformed: {p[:300]}")
                built.skipped.append(Skipped(path=self.name, reason="malformed", detail=p[:500]))
            if not self.images:
                built.skipped.append(
                    Skipped(path=self.name, reason="malformed", detail="no image could be read from it")
                )
            budget = [MAX_ENTRIES]
            for img in self.images:
                _ImageBuild(self, img, built, budget).run()
            if self._note:
                built.notes.insert(0, self._note)
            self._built = built
        return self._built

    def read_bytes(self, ref: FileRef, limit: int, offset: int = 0) -> bytes:
        item = self._build().items.get((ref.path, ref.member or ""))
        if item is None:
            raise FileNotFoundError(ref.display)
        if offset < 0:
            raise OSError(f"{ref.display}: negative offset")
        limit = max(0, limit)
        if item.data is not None:
            return item.data[offset : offset + limit]
        e = item.entry
        assert e is not None and item.layer is not None
        limit = min(limit, e.size - offset)
        if limit <= 0:
            return b""
        if e.kept is not None and offset + limit <= len(e.kept):
            return e.kept[offset : offset + limit]
        if not e.complete:
            raise OSError(f"{ref.display}: {e.why}")
        return item.layer.read(e.offset + offset, limit)

    def origin(self, ref: FileRef) -> str:
        """The layer a listed file's bytes come from (``layer 3/7 (sha256:...)``), or what it is."""
        item = self._build().items.get((ref.path, ref.member or ""))
        return item.origin if item is not None else ""

    def local_path(self, ref: FileRef) -> Path | None:
        return None

    def skipped(self) -> list[Skipped]:
        return list(self._build().skipped)

    def notes(self) -> list[str]:
        return list(self._build().notes)


class _ImageBuild:
    """Reads one image's layers into the resolver's listing."""

    def __init__(self, owner: ImageResolver, img: ImageSpec, built: _Built, budget: list[int]) -> None:
        self.owner = owner
        self.img = img
        self.built = built
        self.budget = budget
        from tierguard.targets.image_tree import Tree

        self.names = [layer.describe(len(img.layers)) for layer in img.layers]
        self.tree = Tree(self.names)

    def skip(self, path: str, reason: str, detail: str) -> None:
        if self.owner.strict and reason in _STRICT_REASONS:
            raise TargetError(f"--strict: {path}: {reason}: {detail[:300]}")
        self.built.skipped.append(Skipped(path=path, reason=reason, detail=detail[:500]))

    def run(self) -> None:
        img, label = self.img, self.img.label
        for p in img.problems:
            self.skip(label, "malformed", p)
        readers: dict[int, LayerBytes] = {}
        for layer in img.layers:
            got = self._layer(layer)
            if got is not None:
                readers[layer.index] = got[0]
                self.tree.apply(layer.index, got[1].entries)
        items: list[tuple[tuple[int, int], str, _Item]] = []
        for path, node in self.tree.finish():
            assert node.entry is not None
            item = _Item(layer=readers[node.layer], entry=node.entry, origin=self.names[node.layer])
            items.append(((node.layer, node.entry.order), path, item))
        for rec in self.tree.records + self.tree.overflow():
            self.skip(f"{label}!{rec.path}" if rec.path else label, rec.reason, rec.detail)
        self._add_config()
        items.sort(key=lambda t: t[0])  # layer order, then tar order: reads move forward through each layer
        for _, path, item in items:
            self._add(path, item)
        self.built.notes.append(self._describe(len(items)))

    def _add(self, path: str, item: _Item) -> None:
        label = self.img.label
        size = item.entry.size if item.entry is not None else len(item.data or b"")
        key = (label, path)
        if key in self.built.items:
            return
        self.built.items[key] = item
        self.built.refs.append(FileRef(path=label, size=size, member=path))

    def _add_config(self) -> None:
        if self.img.config is None:
            return
        member = CONFIG_MEMBER
        if self.tree.resolve(member)[0] is not None:
            member = CONFIG_MEMBER + ".tierguard"  # the image holds a file of that name: keep both
        self._add(member, _Item(data=config_dockerfile(self.img), origin="the image configuration"))

    def _layer(self, layer: LayerSpec) -> tuple[LayerBytes, LayerListing] | None:
        where = f"{self.img.label}!{layer.blob}"
        name = self.names[layer.index]
        try:
            src = self.owner.blobs.open(layer.blob)
        except OSError as exc:
            self.skip(
                where,
                "unreadable",
                f"{name}: blob not readable: {exc}; the files it adds or deletes are unknown",
            )
            return None
        from tierguard.targets.image_tar import list_layer

        kind = compression_of(src.read(0, 8))
        hash_out = kind != "none" and not layer.digest and bool(layer.diff_id)
        listing = list_layer(src, kind, self.owner._keep, max_entries=self.budget[0], hash_out=hash_out)
        self.budget[0] -= len(listing.entries)
        problems = list(listing.problems)
        problems += self._verify(layer, listing, src.size)
        if listing.not_tar:
            problems.append(f"not a tar layer: its blob is listed as the file .image-blobs/{layer.short}")
        for raw, why in listing.unsafe[:50]:
            self.skip(f"{self.img.label}!{raw[:300]}", "malformed", f"{name}: {why}; not applied")
        if len(listing.unsafe) > 50:
            self.skip(where, "malformed", f"{name}: {len(listing.unsafe) - 50} more members leaving the root")
        if listing.absolute:
            self.built.notes.append(
                f"{self.img.label}: {name} has {listing.absolute} member(s) with absolute paths, applied "
                "relative to the image root as docker and containerd do"
            )
        if problems:
            self.skip(where, "incomplete", f"{name} ({kind}): " + "; ".join(problems))
        lb = LayerBytes(src, kind, listing.checkpoints, listing.available, listing.stopped)
        if listing.not_tar:
            self._raw_blob(layer, src)
        return lb, listing

    def _verify(self, layer: LayerSpec, listing: LayerListing, size: int) -> list[str]:
        out: list[str] = []
        if layer.size >= 0 and layer.size != size:
            out.append(f"blob is {size} bytes, the manifest says {layer.size}")
        if not listing.raw_digest:
            return [*out, "blob could not be read to its end: digest not verified"]
        if layer.digest and listing.raw_digest != layer.digest:
            out.append(f"blob content does not match its digest {layer.digest} (it is {listing.raw_digest})")
        plain = listing.raw_digest if listing.kind == "none" else listing.out_digest
        if layer.diff_id and plain and plain != layer.diff_id:
            out.append(f"layer content does not match the config's diff_id {layer.diff_id} (it is {plain})")
        return out

    def _raw_blob(self, layer: LayerSpec, src: RandomSource) -> None:
        """A layer that is not a tar is still content: listed as one file ``.image-blobs/<digest>``."""
        from tierguard.targets.image_tar import Entry

        entry = Entry(f".image-blobs/{layer.short}", "file", src.size, 0, -1)
        item = _Item(LayerBytes(src, "none", [], src.size, ""), entry, origin=self.names[layer.index])
        self._add(entry.name, item)

    def _describe(self, files: int) -> str:
        img = self.img
        parts = [f"image {img.label} ({img.source}"]
        if img.refs:
            parts.append(f", {', '.join(img.refs[:5])}")
        parts.append(f"): {len(img.layers)} layers, {files} files")
        if img.platform:
            parts.append(f", {img.platform}")
        if img.manifest_digest:
            parts.append(f"; manifest {img.manifest_digest}")
        if img.config_digest:
            parts.append(f"; config {img.config_digest}")
        parts.append("; " + ", ".join(self.names))
        return "".join(parts)


class ImageFallback:
    """A target that says it is an image (an ``oci-layout`` marker) but holds none that could be read: its
    files as they are (``inner``: a directory or an archive, expanded as usual), plus the image's problems
    as Skipped entries and a note, so what it holds is still scanned and the failure is not silent."""

    def __init__(self, inner: Resolver, image: ImageResolver) -> None:
        self.inner = inner
        self.image = image

    @property
    def root_name(self) -> str:
        return self.inner.root_name

    @property
    def ignored_count(self) -> int:
        return int(getattr(self.inner, "ignored_count", 0))

    def files(self) -> Iterator[FileRef]:
        return self.inner.files()

    def read_bytes(self, ref: FileRef, limit: int, offset: int = 0) -> bytes:
        return self.inner.read_bytes(ref, limit, offset)

    def local_path(self, ref: FileRef) -> Path | None:
        return self.inner.local_path(ref)

    def skipped(self) -> list[Skipped]:
        return self.inner.skipped() + self.image.skipped()

    def notes(self) -> list[str]:
        inner = getattr(self.inner, "notes", None)
        own = [
            f"{self.image.name}: not read as a container image (see its skipped entries), scanned as files"
        ]
        return own + (list(inner()) if callable(inner) else [])


def image_reference(target: str | os.PathLike[str]) -> str | None:
    """The skopeo reference ``target`` names (``docker://...`` -- also as a Path made it ``docker:/...``
    --, ``oci:...``, ``docker-archive:...``), or None."""
    s = os.fspath(target)
    transport, sep, rest = s.partition(":")
    if not sep or transport not in TRANSPORTS or not rest:
        return None
    if transport == "docker":
        rest = "//" + rest.lstrip("/")
    return f"{transport}:{rest}"


def reference_label(ref: str) -> str:
    """How an image reference names its files: as given for registries and daemons; for a local path
    (``oci:``, ``oci-archive:``, ``docker-archive:``, ``dir:``) its base name, so no absolute path of this
    machine ends up in locations and ids (``docker-archive:/srv/x/app.tar`` -> ``docker-archive:app.tar``)."""
    transport, _, rest = ref.partition(":")
    if transport not in ("oci", "oci-archive", "docker-archive", "dir"):
        return ref
    path, colon, tag = (rest, "", "") if transport == "dir" else rest.partition(":")
    return f"{transport}:{os.path.basename(path.rstrip('/')) or path}{colon}{tag}"


_LAYOUT_NAMES = frozenset(
    {"oci-layout", "index.json", "index.json.lock", "blobs", "manifest.json", "repositories"}
)
_LEGACY_NAME = re.compile(r"[0-9a-f]{64}(?:\.json)?")


def only_image_names(top: set[str]) -> bool:
    """True when every top-level name is one an image layout or docker save archive holds: a directory or
    tar holding anything else (a repository with a layout in it) is scanned as what it is, so none of its
    other files is left out."""
    return all(n in _LAYOUT_NAMES or _LEGACY_NAME.fullmatch(n) for n in top)


def _probe_file(path: Path) -> tuple[TarBlobs, str] | None:
    """(the outer tar, its format) when ``path`` is an image archive."""
    try:
        src = DiskSource(os.fspath(path))
    except OSError:
        return None
    tb = list_outer(src)
    if tb is None or not only_image_names({n.split("/", 1)[0] for n in [*tb.members, *tb.links]}):
        return None
    if tb.has("oci-layout") and tb.has("index.json"):
        return tb, "oci"
    if tb.has("manifest.json"):
        obj, why = read_json(tb, "manifest.json", "manifest.json", 4 << 20)
        if not why and is_docker_manifest(obj):
            return tb, "docker"
    return None


def open_image(path: Path, name: str | None = None, *, strict: bool = False) -> ImageResolver | None:
    """An :class:`ImageResolver` when ``path`` holds an image (by content), else None."""
    display = name or path.name or str(path)
    if path.is_dir():
        if not ((path / "oci-layout").is_file() and (path / "index.json").is_file()):
            return None
        try:
            if not only_image_names(set(os.listdir(path))):
                return None
        except OSError:
            return None
        blobs: Blobs = DirBlobs(path)
        images, problems = read_oci(blobs)
        return ImageResolver(display, blobs, images, problems, strict=strict)
    got = _probe_file(path)
    if got is None:
        return None
    tb, fmt = got
    if fmt == "oci":
        images, problems = read_oci(tb)
        if not images and tb.has("manifest.json"):
            images, more = read_docker(tb)
            problems += more
    else:
        images, problems = read_docker(tb)
    return ImageResolver(display, tb, images, tb.problems + problems, strict=strict)


def open_reference(ref: str, *, skopeo: str | None = None, strict: bool = False) -> ImageResolver:
    """Copy ``ref`` with skopeo into a temporary OCI layout (removed when the resolver is collected or the
    process ends) and open it. Raises :class:`TargetError` without skopeo or when the copy fails."""
    exe = skopeo or shutil.which("skopeo")
    if exe is None:
        raise TargetError(
            f"{ref}: an image reference needs skopeo on PATH (Debian/Ubuntu: apt-get install skopeo); "
            "or give an OCI layout directory or a docker save archive"
        )
    import subprocess
    import tempfile

    tmp = tempfile.mkdtemp(prefix="tierguard-image-")
    layout = os.path.join(tmp, "layout")
    cmd = [exe, "copy", "--quiet"]
    if not _has_policy():
        cmd.append("--insecure-policy")  # no policy.json: reading an image to scan it trusts nothing in it
    cmd += [ref, f"oci:{layout}:scan"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise TargetError(f"{ref}: skopeo could not run: {exc}") from None
    if proc.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        err = " ".join((proc.stderr or proc.stdout or "").split())[:400]
        raise TargetError(f"{ref}: skopeo copy failed (exit {proc.returncode}): {err}")
    resolver = open_image(Path(layout), name=reference_label(ref), strict=strict)
    if resolver is None:
        shutil.rmtree(tmp, ignore_errors=True)
        raise TargetError(f"{ref}: skopeo wrote no OCI layout")
    resolver._note = f"{ref}: copied with skopeo into a temporary OCI layout (removed after the scan)"
    weakref.finalize(resolver, shutil.rmtree, tmp, True)
    return resolver


def _has_policy() -> bool:
    home = os.path.expanduser("~/.config/containers/policy.json")
    return os.path.isfile(home) or os.path.isfile("/etc/containers/policy.json")
