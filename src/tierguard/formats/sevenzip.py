"""The 7z reader (py7zr): the whole archive is extracted in memory, only when its declared uncompressed
size fits the budget and its declared ratio to the archive size is not a bomb's; the extraction itself is
bounded (a member writing more than it declared, or more than the budget in all, stops it: unreadable).
Encrypted archives are reported, never opened with a password."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from tierguard.formats.inflate import MAX_RATIO, RATIO_GRACE
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
            if total > RATIO_GRACE and total > MAX_RATIO * max(1, src.size):
                out.problems.append(
                    f"7z declares {total} bytes from {src.size}: ratio over {MAX_RATIO}:1 (bomb?)"
                )
                return out
            out.members = _collect(z, out.sizes, limit)
            short = [n for n, d in out.members.items() if len(d) != out.sizes[n]]
            if short:
                out.problems.append(f"7z member(s) not extracted to their declared size: {short[:5]}")
                out.members = {n: d for n, d in out.members.items() if n not in short}
    except Exception as exc:  # py7zr raises many types on corrupt input  # noqa: BLE001
        out.problems.append(f"7z archive unreadable: {str(exc)[:200]}")
        out.members = {}
    return out


class _Overflow(Exception):
    pass


def _collect(z: Any, sizes: dict[str, int], limit: int) -> dict[str, bytes]:
    """Extract into memory; each member may write what it declared and the whole at most ``limit``."""
    from py7zr.io import Py7zIO, WriterFactory

    spent = [0]

    class _Sink(Py7zIO):
        def __init__(self, name: str) -> None:
            self.name = name
            self.buf = bytearray()

        def write(self, s: bytes | bytearray) -> int:
            spent[0] += len(s)
            if len(self.buf) + len(s) > sizes.get(self.name, 0) or spent[0] > limit:
                raise _Overflow(f"7z member {self.name[:120]!r} writes more than it declared")
            self.buf += s
            return len(s)

        def read(self, size: int | None = None) -> bytes:
            return bytes(self.buf)

        def seek(self, offset: int, whence: int = 0) -> int:
            return 0

        def flush(self) -> None:
            return None

        def size(self) -> int:
            return len(self.buf)

    class _Factory(WriterFactory):
        def __init__(self) -> None:
            self.products: dict[str, _Sink] = {}

        def create(self, filename: str) -> Py7zIO:
            self.products[filename] = _Sink(filename)
            return self.products[filename]

    fac = _Factory()
    z.extract(targets=list(sizes), factory=fac)
    return {k: bytes(f.buf) for k, f in fac.products.items() if k in sizes}
