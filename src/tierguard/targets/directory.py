"""Directory resolver: walks a directory without following symlinks out of it; bounded reads."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from tierguard.errors import TargetError
from tierguard.model import Skipped
from tierguard.targets.interface import FileRef


class DirectoryResolver:
    def __init__(self, root: Path) -> None:
        if not root.exists():
            raise TargetError(f"target does not exist: {root}")
        self._root = root
        self._single = root.is_file()
        self._skipped: list[Skipped] = []

    @property
    def root_name(self) -> str:
        return self._root.name or str(self._root)

    def _abs(self, ref: FileRef) -> Path:
        return self._root if self._single else self._root / ref.path

    def files(self) -> Iterator[FileRef]:
        if self._single:
            yield FileRef(path=self._root.name, size=self._root.stat().st_size)
            return
        for dirpath, dirnames, filenames in os.walk(self._root, onerror=self._on_error):
            dirnames.sort()
            dirnames[:] = [d for d in dirnames if d != ".git"]
            for fn in sorted(filenames):
                full = Path(dirpath) / fn
                rel = full.relative_to(self._root).as_posix()
                try:
                    st = full.lstat()
                except OSError as exc:
                    self._skipped.append(Skipped(path=rel, reason="unreadable", detail=str(exc.strerror)))
                    continue
                if not full.is_file() or full.is_symlink():
                    continue
                yield FileRef(path=rel, size=st.st_size)

    def _on_error(self, exc: OSError) -> None:
        rel = Path(exc.filename).relative_to(self._root).as_posix() if exc.filename else "?"
        self._skipped.append(Skipped(path=rel, reason="unreadable", detail=str(exc.strerror)))

    def read_bytes(self, ref: FileRef, limit: int, offset: int = 0) -> bytes:
        with open(self._abs(ref), "rb") as fh:
            fh.seek(offset)
            return fh.read(max(0, limit))

    def local_path(self, ref: FileRef) -> Path | None:
        return self._abs(ref)

    def skipped(self) -> list[Skipped]:
        return list(self._skipped)
