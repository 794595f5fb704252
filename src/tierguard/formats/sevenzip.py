"""The 7z reader (py7zr): the whole archive is extracted in memory, only when its declared uncompressed
size fits the budget; encrypted archives are reported, never opened with a password."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from tierguard.formats.source import RandomSource, SourceFile


@dataclass(slots=True)
class SevenZipListing:
    members: dict[str, bytes] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    encrypted: bool = False


def read_7z(src: RandomSource, limit: int) -> SevenZipListing:
    """Every file member of a 7z archive in memory (at most ``limit`` bytes in all), or the problem."""
    out = SevenZipListing()
    try:
        import py7zr
    except ImportError:  # pragma: no cover - py7zr is a dependency
        out.problems.append("7z archive not read: py7zr is not installed")
        return out
    try:
        with py7zr.SevenZipFile(io.BufferedReader(SourceFile(src)), mode="r") as z:
            if z.needs_password():
                out.encrypted = True
                out.problems.append("encrypted 7z archive")
                return out
            infos = [i for i in z.list() if not i.is_directory]
            out.sizes = {i.filename: int(i.uncompressed) for i in infos}
            total = sum(out.sizes.values())
            if total > limit:
                out.problems.append(f"7z content ({total} bytes) larger than the {limit}-byte budget")
                return out
            out.members = _collect(z, list(out.sizes), limit)
    except Exception as exc:  # py7zr raises many types on corrupt input  # noqa: BLE001
        out.problems.append(f"7z archive unreadable: {str(exc)[:200]}")
        out.members = {}
    return out


def _collect(z: Any, names: list[str], limit: int) -> dict[str, bytes]:
    import py7zr.io

    fac = py7zr.io.BytesIOFactory(limit)
    z.extract(targets=names, factory=fac)
    out: dict[str, bytes] = {}
    for k in names:
        f = fac.products.get(k)
        if f is not None:
            f.seek(0)
            out[k] = f.read()
    return out
