"""Directory resolver: walks a directory (or one file) without following symlinks out of it; bounded reads.

Scope rules, each recorded as a :class:`Skipped` with a reason code rather than silently dropped:

- ``.git`` directories are never walked (not recorded: they are version-control internals);
- git's own ignore semantics, unless ``include_ignored``: inside a git working tree (the target, or a
  directory above it, holds ``.git``) a file git **tracks** is always yielded, whatever ``.gitignore`` says;
  only untracked files are subject to the ignore rules (``.gitignore`` files from the working tree's top
  down, nested ones overriding shallower ones, negations, and ``info/exclude``). What git tracks comes from
  its index (:mod:`tierguard.targets.git`: dulwich, else ``git ls-files`` with the target's configuration
  defused). An ignored directory holding no tracked file is one ``gitignored`` entry (its contents are not
  walked); one that does is walked, its tracked files yielded and every untracked path beneath it recorded
  ``gitignored`` (git never re-includes below an excluded directory). A nested repository or submodule
  (a directory with its own ``.git``) is walked with its own index and ignore files. Outside git the same
  ignore rules apply to every file. A ``.git`` whose index cannot be read is recorded (``git-unreadable``,
  with the reason) and the ignore rules then apply to every file, with a note (:meth:`notes`);
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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

from tierguard.errors import TargetError
from tierguard.model import Skipped
from tierguard.targets.git import UNREADABLE, GitDir, GitTree, find_worktree, locate, read_tree
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


class _LazyTree:
    """A working tree whose index is read the first time an ignore rule matches a path in it (a tree with
    no ignore match never pays for its index); a problem reading it is recorded then, once."""

    __slots__ = ("gd", "where", "_owner", "_tree")

    def __init__(self, gd: GitDir, where: str, owner: DirectoryResolver) -> None:
        self.gd = gd
        self.where = where
        self._owner = owner
        self._tree: GitTree | None = None

    def get(self) -> GitTree:
        if self._tree is None:
            self._tree = read_tree(self.gd)
            self._owner._record_tree(self._tree, self.where)
        return self._tree


@dataclass(slots=True)
class _Scope:
    """The ignore state of one directory being walked: the git working tree around it (None outside git),
    the ignore rules of that tree, the directory's path relative to the tree's top (outside git: to the
    target root), and whether an enclosing directory is already ignored (then every untracked path
    beneath it is: git never re-includes below an excluded directory)."""

    tree: _LazyTree | None
    rules: _IgnoreRules
    tree_rel: str
    ignored: bool = False

    def child(self, name: str, ignored: bool) -> _Scope:
        rel = f"{self.tree_rel}/{name}" if self.tree_rel else name
        return _Scope(self.tree, self.rules, rel, ignored)


_SCAN, _IGNORED, _DESCEND = 0, 1, 2


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
        self.tracked_ignored = 0  # files matched by ignore rules but tracked by git, so yielded
        self._links: set[str] = set()  # files yielded through an in-root symlink
        self._notes: list[str] = []

    @property
    def root_name(self) -> str:
        return self._root.name or str(self._root)

    @property
    def is_git_repo(self) -> bool:
        """The target is (inside) a git working tree."""
        return not self._single and find_worktree(self._root_str) is not None

    def notes(self) -> list[str]:
        """What the last walk wants said at the top of the result (git index fallbacks, tracked files that
        ignore rules match)."""
        return list(self._notes)

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
        """An ignore file's lines (bounded); nothing when it is missing, unreadable or not a regular file (a
        FIFO named ``.gitignore`` is never read: the read would block)."""
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            return []
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return []
            with os.fdopen(os.dup(fd), "rb") as fh:
                return fh.read(_MAX_IGNORE_FILE).decode("utf-8", "replace").splitlines()
        except OSError:
            return []
        finally:
            os.close(fd)

    def files(self) -> Iterator[FileRef]:
        self._skipped = []
        self._notes = []
        self.ignored_count = 0
        self.tracked_ignored = 0
        if self._single:
            yield FileRef(path=self._root.name, size=self._root.stat().st_size)
            return
        yield from self._walk(self._root_str, "", self._root_scope())
        if self.tracked_ignored:
            self._notes.append(
                f"{self.tracked_ignored} file(s) matched by .gitignore are tracked by git and were scanned"
                " (git's rule: ignore rules apply to untracked files only)"
            )

    def _root_scope(self) -> _Scope:
        """The scope of the target root: outside git, its own ignore files; inside a working tree (the
        target's or one above it), that tree's index, ``info/exclude`` and the ``.gitignore`` files of the
        directories from the tree's top down to the target. A target the enclosing tree ignores (a ``.venv``
        or a build directory inside a project, a site-packages inside pyenv's own checkout) was named on
        purpose: it is scanned as given, with its own ``.gitignore`` files only, and a note says so —
        applying the outer rules would skip everything in it and report nothing."""
        if self._include_ignored:
            return _Scope(None, _IgnoreRules(), "")
        top = find_worktree(self._root_str)
        if top is None:
            return _Scope(None, _IgnoreRules(), "")
        scope = self._tree_scope(top, os.path.relpath(os.path.join(top, ".git"), self._root_str))
        prefix = os.path.relpath(self._root_str, top)
        if prefix == ".":
            return scope
        parts = prefix.split(os.sep)
        ignored = False
        for i in range(len(parts)):  # each ancestor's .gitignore, then: is the next directory down ignored?
            scope.rules.add("/".join(parts[:i]), self._read_ignore(Path(top, *parts[:i], ".gitignore")))
            ignored = ignored or scope.rules.ignored("/".join(parts[: i + 1]), True)
        if ignored:
            self._notes.append(
                f"the target is ignored by the git working tree at {top}; it was scanned as given, with its"
                " own .gitignore files only (the enclosing tree's rules would have skipped all of it)"
            )
            return _Scope(None, _IgnoreRules(), "")
        return _Scope(scope.tree, scope.rules, "/".join(parts), ignored)

    def _tree_scope(self, top: str, where: str) -> _Scope:
        """A fresh scope for the working tree at ``top`` (``where``: its ``.git``, relative to the target,
        for the record when it cannot be read). A ``.git`` naming no git directory is recorded now; the
        index is read when first needed."""
        gd = locate(top)
        rules = _IgnoreRules()
        exclude = gd.exclude_file
        if os.path.isfile(exclude):
            rules.add("", self._read_ignore(Path(exclude)))
        lazy = _LazyTree(gd, where, self)
        if gd.problem is not None:
            lazy.get()  # records the problem now: the walk must say the tree is not read as git
        return _Scope(lazy, rules, "")

    def _record_tree(self, tree: GitTree, where: str) -> None:
        """Say how a working tree's index was read, or why it could not be."""
        self._notes.extend(f"{where}: {n}" for n in tree.notes)
        if tree.problem is not None:
            self._skipped.append(Skipped(path=where, reason=UNREADABLE, detail=tree.problem))
            self._notes.append(
                f"{where}: git's index could not be read ({tree.problem}); the working tree was scanned as"
                " if it were not in git: .gitignore rules were applied to every file, so files git tracks"
                " may have been skipped as gitignored (--include-ignored scans them)"
            )

    def _walk(self, root: str, rel_root: str, scope: _Scope) -> Iterator[FileRef]:
        """Depth-first, entries sorted by name, a directory's files before its subdirectories; iterative
        (an explicit stack) so a file deep in the tree is not passed up through one generator per level."""
        stack: list[tuple[str, str, _Scope]] = [(root, rel_root, scope)]
        while stack:
            dirpath, rel_dir, sc = stack.pop()
            subdirs = yield from self._list_dir(dirpath, rel_dir, sc)
            stack.extend(reversed(subdirs))

    def _verdict(self, scope: _Scope, name: str, is_dir: bool) -> int:
        """Scan, ignore, or (a directory matched by ignore rules that holds tracked files) descend with
        every untracked path beneath it ignored."""
        if self._include_ignored or not (scope.ignored or scope.rules.active):
            return _SCAN
        rel = f"{scope.tree_rel}/{name}" if scope.tree_rel else name
        if not (scope.ignored or scope.rules.ignored(rel, is_dir)):
            return _SCAN
        tree = scope.tree.get() if scope.tree is not None else None
        if tree is not None and tree.problem is None:
            if is_dir and tree.holds_tracked(rel):
                return _DESCEND
            if not is_dir and tree.is_tracked(rel):
                self.tracked_ignored += 1
                return _SCAN
        return _IGNORED

    def _list_dir(
        self, dirpath: str, rel_dir: str, scope: _Scope
    ) -> Generator[FileRef, None, list[tuple[str, str, _Scope]]]:
        """Yield the files of one directory; return its subdirectories to walk as (path, relative path,
        scope)."""
        subdirs: list[tuple[str, str, _Scope]] = []
        try:
            with os.scandir(dirpath) as it:
                entries = sorted(it, key=_NAME)
        except OSError as exc:
            self._skip(f"{rel_dir}/" if rel_dir else ".", _reason_for(exc), exc.strerror or str(exc))
            return subdirs
        if not self._include_ignored and any(e.name == ".gitignore" for e in entries):
            scope.rules.add(scope.tree_rel, self._read_ignore(Path(dirpath, ".gitignore")))
        prefix = f"{rel_dir}/" if rel_dir else ""
        for entry in entries:
            rel = prefix + entry.name
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError as exc:
                self._skip(rel, _reason_for(exc), exc.strerror or str(exc))
                continue
            if entry.name == ".git":  # git's own directory, or a worktree's/submodule's gitdir file
                continue
            verdict = self._verdict(scope, entry.name, is_dir or (is_link and _link_is_dir(entry)))
            if verdict == _IGNORED:
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
                subdirs.append((entry.path, rel, self._sub_scope(scope, entry, rel, verdict == _DESCEND)))
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

    def _sub_scope(self, scope: _Scope, entry: os.DirEntry[str], rel: str, ignored: bool) -> _Scope:
        """A subdirectory's scope: its own working tree when it holds a ``.git`` (a nested repository or
        submodule: git applies its index and ignore files there, not the outer ones), else the parent's."""
        if not self._include_ignored and os.path.lexists(os.path.join(entry.path, ".git")):
            return self._tree_scope(entry.path, f"{rel}/.git")
        return scope.child(entry.name, ignored)

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
