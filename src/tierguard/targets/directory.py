"""Directory resolver: walks a directory (or one file) without following symlinks out of it; bounded reads.

Scope rules, each recorded as a :class:`Skipped` with a reason code rather than silently dropped:

- ``.git`` directories are never walked (not recorded: they are version-control internals);
- ``.gitignore`` files (root and nested, plus ``.git/info/exclude``) are honoured unless
  ``include_ignored``: an ignored directory is one ``gitignored`` entry (its contents are not walked), an
  ignored file is one entry;
- vendored directories (``node_modules``, ``vendor``, ``third_party``, ``bower_components``) -> ``vendored``;
- minified JavaScript by name (``*.min.js``) -> ``minified`` (long-line ones are caught by discover);
- symlinks: a link to a file inside the root is yielded under the link's path; links to directories are
  never followed (``symlink-dir``); links that loop (``symlink-loop``), dangle (``broken-symlink``) or point
  outside the root (``symlink-outside-root``) are recorded;
- unreadable directories/files -> ``permission-denied`` or ``unreadable`` (a directory's path ends in ``/``);
- FIFOs, sockets and devices are never opened -> ``special-file`` (the detail names the kind).

Names are ``str`` as ``os.scandir`` decodes them (``os.fsdecode``: a byte that is not valid UTF-8 becomes a
lone surrogate), carried unchanged into ``FileRef.path`` and ``Location.path``; ``read_bytes`` gives the same
str back to the OS, which re-encodes it to the original bytes. Reporters show them with
``report._common.display_path``/``uri_path``/``json_path``.

Binary files are yielded: model-artifact and inspection stages need them; text detectors skip them later.
"""

from __future__ import annotations

import errno
import operator
import os
import stat
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

from tierguard.errors import TargetError
from tierguard.model import Skipped
from tierguard.targets.interface import FileRef

_NAME = operator.attrgetter("name")
VENDORED_DIRS = frozenset({"node_modules", "vendor", "third_party", "bower_components"})
_MAX_IGNORE_FILE = 1024 * 1024


def _reason_for(exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM) or isinstance(exc, PermissionError):
        return "permission-denied"
    if exc.errno == errno.ELOOP:
        return "symlink-loop"
    return "unreadable"


class _IgnoreRules:
    """Stacked gitignore specs: (directory relative to root, spec). Deeper files override shallower ones."""

    def __init__(self) -> None:
        self._specs: list[tuple[str, GitIgnoreSpec]] = []

    def add(self, base: str, lines: list[str]) -> None:
        from pathspec import GitIgnoreSpec  # only where a .gitignore exists (not on a one-file target)

        spec = GitIgnoreSpec.from_lines(lines)
        if len(spec.patterns) > 0:
            self._specs.append((base, spec))

    @property
    def active(self) -> bool:
        return bool(self._specs)

    def ignored(self, rel: str, is_dir: bool) -> bool:
        verdict: bool | None = None
        for base, spec in self._specs:
            if base:
                if not rel.startswith(base + "/"):
                    continue
                sub = rel[len(base) + 1 :]
            else:
                sub = rel
            res = spec.check_file(sub + "/" if is_dir else sub)
            if res.include is not None:
                verdict = bool(res.include)
        return bool(verdict)


class DirectoryResolver:
    """A directory or a single file on disk. ``include_ignored`` disables .gitignore handling;
    ``skip_vendored`` (default on) passes over vendored dependency directories. ``strict`` (``scan
    --strict``) raises :class:`TargetError` on the first directory or file that cannot be listed, examined
    or read, instead of recording it as skipped (scope exclusions are still recorded)."""

    def __init__(
        self, root: Path, *, include_ignored: bool = False, skip_vendored: bool = True, strict: bool = False
    ) -> None:
        try:
            st = root.stat()
        except FileNotFoundError:
            raise TargetError(f"target does not exist: {root}") from None
        except OSError as exc:
            raise TargetError(f"target cannot be opened: {root}: {exc.strerror or exc}") from None
        if not (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)):
            raise TargetError(f"target is neither a file nor a directory: {root}")
        self._root = root
        self._root_str = os.fspath(root)
        self._real_root = Path(os.path.realpath(root))
        self._single = stat.S_ISREG(st.st_mode)
        self._include_ignored = include_ignored
        self._strict = strict
        self._skip_vendored = skip_vendored
        self._skipped: list[Skipped] = []
        self.ignored_count = 0  # files and directories passed over because of .gitignore
        self._links: set[str] = set()  # files yielded through an in-root symlink

    @property
    def root_name(self) -> str:
        return self._root.name or str(self._root)

    @property
    def is_git_repo(self) -> bool:
        return not self._single and (self._root / ".git").exists()

    def _abs(self, ref: FileRef) -> Path:
        return self._root if self._single else self._root / ref.path

    def _abs_str(self, ref: FileRef) -> str:
        return self._root_str if self._single else os.path.join(self._root_str, ref.path)

    def _skip(self, rel: str, reason: str, detail: str = "") -> None:
        if self._strict and reason in ("permission-denied", "unreadable"):
            raise TargetError(f"--strict: cannot read {rel}: {reason}: {detail}")
        self._skipped.append(Skipped(path=rel, reason=reason, detail=detail))

    def _inside(self, real: str) -> bool:
        root = str(self._real_root)
        return real == root or real.startswith(root.rstrip(os.sep) + os.sep)

    def _read_ignore(self, path: Path) -> list[str]:
        try:
            with open(path, "rb") as fh:
                return fh.read(_MAX_IGNORE_FILE).decode("utf-8", "replace").splitlines()
        except OSError:
            return []

    def files(self) -> Iterator[FileRef]:
        self._skipped = []
        self.ignored_count = 0
        if self._single:
            yield FileRef(path=self._root.name, size=self._root.stat().st_size)
            return
        rules = _IgnoreRules()
        if not self._include_ignored:
            exclude = self._root / ".git" / "info" / "exclude"
            if exclude.is_file():
                rules.add("", self._read_ignore(exclude))
        yield from self._walk(self._root_str, "", rules)

    def _walk(self, root: str, rel_root: str, rules: _IgnoreRules) -> Iterator[FileRef]:
        """Depth-first, entries sorted by name, a directory's files before its subdirectories; iterative
        (an explicit stack) so a file deep in the tree is not passed up through one generator per level."""
        stack: list[tuple[str, str]] = [(root, rel_root)]
        while stack:
            dirpath, rel_dir = stack.pop()
            subdirs = yield from self._list_dir(dirpath, rel_dir, rules)
            stack.extend(reversed(subdirs))

    def _list_dir(
        self, dirpath: str, rel_dir: str, rules: _IgnoreRules
    ) -> Generator[FileRef, None, list[tuple[str, str]]]:
        """Yield the files of one directory; return its subdirectories to walk as (path, relative path)."""
        subdirs: list[tuple[str, str]] = []
        try:
            with os.scandir(dirpath) as it:
                entries = sorted(it, key=_NAME)
        except OSError as exc:
            self._skip(f"{rel_dir}/" if rel_dir else ".", _reason_for(exc), exc.strerror or str(exc))
            return subdirs
        if not self._include_ignored and any(e.name == ".gitignore" for e in entries):
            rules.add(rel_dir, self._read_ignore(Path(dirpath, ".gitignore")))
        prefix = f"{rel_dir}/" if rel_dir else ""
        for entry in entries:
            rel = prefix + entry.name
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError as exc:
                self._skip(rel, _reason_for(exc), exc.strerror or str(exc))
                continue
            if is_dir and entry.name == ".git":
                continue
            if rules.active and rules.ignored(rel, is_dir or (is_link and _link_is_dir(entry))):
                self.ignored_count += 1
                self._skip(rel + ("/" if is_dir else ""), "gitignored")
                continue
            if is_link:
                ref = self._link(entry, rel)
                if ref is not None:
                    yield ref
                continue
            if is_dir:
                if self._skip_vendored and entry.name in VENDORED_DIRS:
                    self._skip(rel + "/", "vendored", f"{entry.name} directory")
                    continue
                subdirs.append((entry.path, rel))
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                self._skip(rel, _reason_for(exc), exc.strerror or str(exc))
                continue
            if not stat.S_ISREG(st.st_mode):  # never opened: a FIFO read could block, a device never end
                self._skip(rel, "special-file", _special_kind(st.st_mode))
                continue
            if entry.name.endswith(".min.js"):
                self._skip(rel, "minified", "*.min.js")
                continue
            yield FileRef(path=rel, size=st.st_size)
        return subdirs

    def _link(self, entry: os.DirEntry[str], rel: str) -> FileRef | None:
        try:
            target = os.readlink(entry.path)
        except OSError as exc:
            self._skip(rel, _reason_for(exc), exc.strerror or str(exc))
            return None
        try:
            st = os.stat(entry.path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                self._skip(rel, "symlink-loop", f"-> {target}")
            elif exc.errno == errno.ENOENT:
                self._skip(rel, "broken-symlink", f"-> {target}")
            else:
                self._skip(rel, _reason_for(exc), exc.strerror or str(exc))
            return None
        real = os.path.realpath(entry.path)
        if not self._inside(real):
            self._skip(rel, "symlink-outside-root", f"-> {target} (not followed)")
            return None
        if stat.S_ISDIR(st.st_mode):
            real_dir = real.rstrip(os.sep) + os.sep
            parent = os.path.realpath(os.path.dirname(entry.path)).rstrip(os.sep) + os.sep
            reason = "symlink-loop" if parent.startswith(real_dir) else "symlink-dir"
            self._skip(rel, reason, f"-> {target} (directory links are not followed)")
            return None
        if not stat.S_ISREG(st.st_mode):
            self._skip(rel, "special-file", f"-> {target}: {_special_kind(st.st_mode)}")
            return None
        self._links.add(rel)
        return FileRef(path=rel, size=st.st_size)

    def read_bytes(self, ref: FileRef, limit: int, offset: int = 0) -> bytes:
        if not self._strict:
            return self._read(ref, limit, offset)
        try:
            return self._read(ref, limit, offset)
        except OSError as exc:  # not an OSError: the stages record those; --strict stops the scan
            raise TargetError(f"--strict: cannot read {ref.path}: {exc.strerror or exc}") from None

    def _read(self, ref: FileRef, limit: int, offset: int) -> bytes:
        path = self._abs_str(ref)
        flags = os.O_RDONLY
        if self._single:
            pass
        elif ref.path in self._links:  # a link checked at walk time: check again (it may have changed)
            if not self._inside(os.path.realpath(path)):
                raise PermissionError(errno.EPERM, "path resolves outside the target root", ref.path)
        else:  # a regular file at walk time: never follow a link that replaced it since
            flags |= getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(path, flags)
        try:
            if offset:
                os.lseek(fd, offset, os.SEEK_SET)
            chunks: list[bytes] = []
            left = max(0, limit)
            while left > 0:  # os.read may return less than asked (large reads, pipes): loop to the limit
                chunk = os.read(fd, min(left, 1 << 30))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)
        finally:
            os.close(fd)

    def local_path(self, ref: FileRef) -> Path | None:
        return self._abs(ref)

    def skipped(self) -> list[Skipped]:
        """What the walk passed over; ``ignored_count`` totals the ``gitignored`` entries (a directory
        counts once: its contents are not walked)."""
        return list(self._skipped)


def _special_kind(mode: int) -> str:
    for test, kind in (
        (stat.S_ISFIFO, "FIFO"),
        (stat.S_ISSOCK, "socket"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
    ):
        if test(mode):
            return f"{kind}, not read"
    return "not a regular file, not read"


def _link_is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=True)
    except OSError:
        return False
