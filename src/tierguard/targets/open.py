"""Open a target path as a Resolver: a single file, a directory, a git working tree, an archive (wheel,
sdist, zip, tar, 7z), or a container image (an OCI layout directory or tar, a ``docker save`` archive, or a
reference skopeo can copy: :mod:`tierguard.targets.image`). Archives — the target itself or any inside it —
are expanded by the resolver (:mod:`tierguard.targets.archive`): their members are listed as
``path!member`` without extracting anything to disk."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tierguard.errors import TargetError
from tierguard.targets.archive import ExpandedResolver
from tierguard.targets.directory import DirectoryResolver
from tierguard.targets.interface import Resolver

if TYPE_CHECKING:
    from tierguard.targets.image import ImageResolver


def open_target(
    path: Path, *, include_ignored: bool = False, strict: bool = False, expand_archives: bool = True
) -> Resolver:
    """A Resolver over ``path``, with every archive in it expanded.

    A directory (git working tree or not) honours ``.gitignore`` files unless ``include_ignored``; a file is
    a one-file target (an archive file: itself and its members). Raises :class:`TargetError` when the path
    does not exist or is neither. ``strict`` (``scan --strict``): the first file or directory that cannot be
    read raises :class:`TargetError` instead of being recorded as skipped. ``expand_archives=False`` (the
    discovery-only view, ``scan --no-artifacts --no-inspect``): archives inside a directory target are not
    opened, so no file is read just to learn whether it is one (an archive given as the target still is).
    """
    p = Path(path)
    if not p.exists() and not p.is_symlink():
        if ":" in str(p):  # docker://..., oci:..., docker-archive:...: copied by skopeo
            from tierguard.targets.image import image_reference, open_reference

            ref = image_reference(p)
            if ref is not None:
                copied = open_reference(ref, strict=strict)
                return ExpandedResolver(copied) if expand_archives else copied
        raise TargetError(f"target does not exist: {p}")
    if p.is_symlink() and not p.exists():
        raise TargetError(f"target is a broken symlink: {p}")
    image = _image(p, strict)  # by content: an OCI layout, a docker save archive
    if image is not None and image.images:
        return ExpandedResolver(image) if expand_archives else image
    inner: Resolver = DirectoryResolver(p, include_ignored=include_ignored, strict=strict)
    if image is not None:  # says it is an image, holds none that can be read: scanned as files, recorded
        from tierguard.targets.image import ImageFallback

        inner = ImageFallback(inner, image)
    if not expand_archives and p.is_dir():
        return inner
    return ExpandedResolver(inner)


def _image(p: Path, strict: bool) -> ImageResolver | None:
    """The image ``p`` holds, if it may be one: a directory with an ``oci-layout`` file, or a file with a
    ustar header (the image modules are imported only then)."""
    if p.is_dir():
        if not (p / "oci-layout").is_file():
            return None
    elif p.is_file():
        try:
            with open(p, "rb") as fh:
                head = fh.read(262)
        except OSError:
            return None  # the directory resolver records it
        if head[257:262] != b"ustar":
            return None
    else:
        return None
    from tierguard.targets.image import open_image

    return open_image(p, strict=strict)
