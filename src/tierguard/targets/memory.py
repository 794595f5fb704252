"""In-memory resolver: a dict of path -> bytes. Used by tests and by container readers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from tierguard.model import Skipped
from tierguard.targets.interface import FileRef


class MemoryResolver:
    def __init__(self, files: Mapping[str, bytes | str], name: str = "memory") -> None:
        self._files = {p: (v.encode() if isinstance(v, str) else v) for p, v in files.items()}
        self._name = name

    @property
    def root_name(self) -> str:
        return self._name

    def files(self) -> Iterator[FileRef]:
        for path in sorted(self._files):
            yield FileRef(path=path, size=len(self._files[path]))

    def read_bytes(self, ref: FileRef, limit: int, offset: int = 0) -> bytes:
        try:
            data = self._files[ref.path]
        except KeyError:
            raise FileNotFoundError(ref.path) from None
        return data[offset : offset + max(0, limit)]

    def local_path(self, ref: FileRef) -> Path | None:
        return None

    def skipped(self) -> list[Skipped]:
        return []
