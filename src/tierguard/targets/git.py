"""What git tracks in a working tree, read from its index; never a git hook, never the target's config run.

git's own rule for what is in a repository: a file git tracks (it is in the index) is part of it whatever a
``.gitignore`` says; ignore rules only decide which *untracked* files are left out. The directory resolver
asks this module, for the working tree around the target, which paths are tracked:

1. **dulwich** (pure Python) parses the entries of ``<gitdir>/index`` (versions 2-4, sparse directory
   entries) from one bounded read of a regular file, after its SHA-1 trailer is checked; the extensions
   after the entries are walked here, and one git does not allow to be ignored (a split index's ``link``,
   whose entries live in another file) makes the index unreadable rather than partly read. An index that is
   not completely understood (a newer version, a SHA-256 repository, a bad checksum) is never used partially:
2. ``git ls-files -z --cached`` is asked instead, with the target's configuration defused: no system or
   global configuration (``GIT_CONFIG_NOSYSTEM=1``, ``GIT_CONFIG_GLOBAL``/``GIT_CONFIG_SYSTEM`` set to the
   empty ``os.devnull``), ``-c core.fsmonitor=false`` (the one repository setting ``ls-files`` could run a
   program for), no optional locks (nothing is written), no pager, no prompt, the caller's ``GIT_*``
   variables removed, a timeout. ``--others --exclude-standard`` is deliberately not used: untracked files
   go through the resolver's own ignore rules (the same in both paths, and a target's ``core.excludesFile``
   is never read). The note says so when this path was taken.
3. When neither can read it, :attr:`GitTree.problem` says why; the resolver records the ``.git`` as skipped
   (reason ``git-unreadable``) and falls back to the ignore rules alone, with a note.

``.git`` may be a directory or, for linked worktrees and submodules, a file ``gitdir: <path>`` (relative to
the file's directory); ``<gitdir>/commondir`` names the shared directory holding ``info/exclude``. Nothing
here imports, executes or writes anything in the target.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import stat
import subprocess
from dataclasses import dataclass, field

MAX_INDEX_BYTES = 1 << 30  # a 1 GiB index is ~10 million entries; larger is refused, not read
MAX_GITFILE_BYTES = 4096
GIT_TIMEOUT_S = 120.0
UNREADABLE = "git-unreadable"  # the Skipped reason for a .git whose index could not be read


@dataclass(frozen=True, slots=True)
class GitDir:
    """Where a working tree's git directory is (cheap to find: no index read). ``problem``: why the ``.git``
    at ``top`` names no usable git directory."""

    top: str
    git_dir: str | None = None
    common_dir: str | None = None  # a linked worktree's shared directory (``<gitdir>/commondir``)
    problem: str | None = None

    @property
    def exclude_file(self) -> str:
        base = self.common_dir or self.git_dir or os.path.join(self.top, ".git")
        return os.path.join(base, "info", "exclude")


@dataclass(frozen=True, slots=True)
class GitTree:
    """One working tree: ``top`` (absolute), what its index tracks (paths relative to ``top``, POSIX, decoded
    like ``os.scandir`` names) and how it was read. ``problem`` is set when the tracked set is unknown."""

    top: str
    tracked: frozenset[str] = frozenset()
    tracked_dirs: frozenset[str] = frozenset()  # every directory holding a tracked path (at any depth)
    sparse_dirs: tuple[str, ...] = ()  # sparse-index directory entries: all beneath them is tracked
    source: str = "none"  # dulwich | git | none
    problem: str | None = None
    notes: tuple[str, ...] = field(default=())

    def is_tracked(self, rel: str) -> bool:
        if rel in self.tracked:
            return True
        return any(rel.startswith(d + "/") for d in self.sparse_dirs)

    def holds_tracked(self, rel_dir: str) -> bool:
        """True when a tracked path lies at or beneath directory ``rel_dir`` (a gitlink counts)."""
        return rel_dir in self.tracked_dirs or self.is_tracked(rel_dir) or rel_dir in self.sparse_dirs


def find_worktree(start: str) -> str | None:
    """The nearest directory at or above ``start`` holding a ``.git`` entry (directory or file), as git
    discovers it; the search stops at a filesystem boundary. None outside any working tree."""
    cur = os.path.abspath(start)
    try:
        dev = os.stat(cur).st_dev
    except OSError:
        return None
    while True:
        if os.path.lexists(os.path.join(cur, ".git")):
            return cur
        parent = os.path.dirname(cur)
        if parent == cur:
            return None
        try:
            if os.stat(parent).st_dev != dev:
                return None
        except OSError:
            return None
        cur = parent


def locate(top: str) -> GitDir:
    """The git directory of the working tree at ``top`` (``.git`` itself, or the ``gitdir:`` it names)."""
    git_dir, problem = _git_dir(top)
    if git_dir is None:
        return GitDir(top=top, problem=problem)
    return GitDir(top=top, git_dir=git_dir, common_dir=_common_dir(git_dir))


def open_tree(top: str) -> GitTree:
    """Read what the working tree at ``top`` tracks (see the module doc); never raises for bad content."""
    return read_tree(locate(top))


def read_tree(gd: GitDir) -> GitTree:
    """What the index of ``gd`` tracks: dulwich, else ``git ls-files``, else the problem."""
    top = gd.top
    if gd.git_dir is None:
        return GitTree(top=top, problem=gd.problem or "no git directory")
    index = os.path.join(gd.git_dir, "index")
    try:
        st = os.stat(index)
    except FileNotFoundError:
        return GitTree(top=top, source="dulwich")  # a fresh repository: nothing added yet
    except OSError as exc:
        return GitTree(top=top, problem=f"index: {exc.strerror or exc}")
    if not stat.S_ISREG(st.st_mode):
        return GitTree(top=top, problem="index is not a regular file")
    if st.st_size > MAX_INDEX_BYTES:
        return GitTree(top=top, problem=f"index is {st.st_size} bytes, over the {MAX_INDEX_BYTES} byte limit")
    try:
        return _tree(top, _read_index_dulwich(index), "dulwich", ())
    except _IndexError as exc:
        dulwich_problem = str(exc)
    names_or_problem = _ls_files(top)
    if isinstance(names_or_problem, str):
        why = f"dulwich could not read the index ({dulwich_problem}); git ls-files: {names_or_problem}"
        return GitTree(top=top, problem=why)
    note = (
        f"git index read with `git ls-files` (dulwich could not read it: {dulwich_problem});"
        " git ran with fsmonitor off and no global or system configuration"
    )
    return _tree(top, names_or_problem, "git", (note,))


class _IndexError(Exception):
    """The index could not be read completely by dulwich."""


def _tree(top: str, names: list[bytes], source: str, notes: tuple[str, ...]) -> GitTree:
    tracked: set[str] = set()
    dirs: set[str] = set()
    sparse: list[str] = []
    for raw in names:
        name = os.fsdecode(raw)
        if name.endswith("/"):  # a sparse-index directory entry
            name = name.rstrip("/")
            sparse.append(name)
        else:
            tracked.add(name)
        head = name
        while "/" in head:
            head = head.rsplit("/", 1)[0]
            if head in dirs:
                break
            dirs.add(head)
    return GitTree(
        top=top,
        tracked=frozenset(tracked),
        tracked_dirs=frozenset(dirs),
        sparse_dirs=tuple(sparse),
        source=source,
        notes=notes,
    )


def _read_small(path: str) -> bytes:
    """A small regular file (a ``.git`` file, ``commondir``), read with a bound; OSError otherwise."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{os.path.basename(path)} is not a regular file")
        return os.read(fd, MAX_GITFILE_BYTES)
    finally:
        os.close(fd)


def _git_dir(top: str) -> tuple[str | None, str]:
    """``top/.git`` when a directory (with a HEAD), else the ``gitdir:`` a ``.git`` file names."""
    dot = os.path.join(top, ".git")
    try:
        st = os.lstat(dot)
    except OSError as exc:
        return None, f".git: {exc.strerror or exc}"
    if stat.S_ISDIR(st.st_mode):
        gd = dot
    elif stat.S_ISREG(st.st_mode):
        try:
            text = _read_small(dot).decode("utf-8", "strict").strip()
        except (OSError, UnicodeDecodeError) as exc:
            return None, f".git file unreadable: {exc}"
        if not text.startswith("gitdir:") or "\n" in text:
            return None, ".git file does not hold one 'gitdir: <path>' line"
        gd = os.path.join(top, text[len("gitdir:") :].strip())
    else:
        return None, ".git is neither a directory nor a file"
    if not os.path.isdir(gd):
        return None, f"gitdir {gd} is not a directory"
    if not os.path.lexists(os.path.join(gd, "HEAD")):
        return None, f"{'.git' if gd == dot else 'gitdir ' + gd} has no HEAD: not a git directory"
    return os.path.normpath(gd), ""


def _common_dir(git_dir: str) -> str | None:
    """A linked worktree's shared git directory (``<gitdir>/commondir``), else None."""
    path = os.path.join(git_dir, "commondir")
    if not os.path.lexists(path):
        return None
    try:
        rel = _read_small(path).decode("utf-8", "strict").strip()
    except (OSError, UnicodeDecodeError):
        return None
    common = os.path.normpath(os.path.join(git_dir, rel))
    return common if os.path.isdir(common) else None


def _read_index_dulwich(path: str) -> list[bytes]:
    """Every path the index holds (a conflict's stages repeat a path). Raises _IndexError unless the whole
    file was understood: the SHA-1 trailer, every entry (dulwich), and every extension either optional
    (git's rule: a signature starting with ``A``-``Z`` may be ignored) or the sparse index's ``sdir``."""
    try:
        from dulwich.index import UnsupportedIndexFormat, read_index
    except ImportError as exc:  # an older dulwich than pyproject asks for: git ls-files instead
        raise _IndexError(f"dulwich unavailable: {exc}") from None

    data = _read_index_bytes(path)
    if len(data) < 32:
        raise _IndexError("index file is truncated")
    end = len(data) - 20
    trailer = data[end:]
    if trailer != b"\0" * 20 and hashlib.sha1(data[:end], usedforsecurity=False).digest() != trailer:
        raise _IndexError("SHA-1 checksum mismatch (corrupt, or a SHA-256 repository)")
    f = io.BytesIO(data)
    try:
        names = [e.name for e in read_index(f)]
    except UnsupportedIndexFormat as exc:
        raise _IndexError(f"unsupported index version {exc}") from None
    except Exception as exc:  # noqa: BLE001 - dulwich raises AssertionError/struct.error/... on bad content
        raise _IndexError(f"{type(exc).__name__}: {exc}") from None
    pos = f.tell()
    while pos < end:  # extensions: signature, 32-bit size, data
        if pos + 8 > end:
            raise _IndexError("index extension header truncated")
        sig = data[pos : pos + 4]
        if not 65 <= sig[0] <= 90 and sig != b"sdir":  # e.g. a split index's 'link': entries live elsewhere
            raise _IndexError(f"index extension {sig.decode('latin-1')!r} not supported")
        pos += 8 + int.from_bytes(data[pos + 4 : pos + 8], "big")
    if pos != end:
        raise _IndexError("index extensions overrun the file")
    return names


def _read_index_bytes(path: str) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise _IndexError(exc.strerror or str(exc)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_INDEX_BYTES:
            raise _IndexError("not a regular file within the size limit")
        return _read_fd(fd, st.st_size)
    except OSError as exc:
        raise _IndexError(exc.strerror or str(exc)) from None
    finally:
        os.close(fd)


def _read_fd(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 26))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def git_env() -> dict[str, str]:
    """The environment ``git`` runs with: the caller's ``GIT_*`` removed, no system or global configuration,
    no optional locks (nothing written), no pager and no prompt."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_SYSTEM=os.devnull,
        GIT_OPTIONAL_LOCKS="0",
        GIT_TERMINAL_PROMPT="0",
        GIT_PAGER="cat",
        PAGER="cat",
        LC_ALL="C",
    )
    return env


def _ls_files(top: str) -> list[bytes] | str:
    """The tracked paths from ``git ls-files -z --cached`` (relative to ``top``), or why not."""
    exe = shutil.which("git")
    if exe is None:
        return "git is not installed"
    cmd = [exe, "--no-pager", "-c", "core.fsmonitor=false", "-c", "core.untrackedCache=false"]
    cmd += ["-C", top, "ls-files", "-z", "--cached", "--full-name"]
    try:
        proc = subprocess.run(  # noqa: S603 - fixed argument list, no shell, defused environment
            cmd,
            env=git_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"timed out after {GIT_TIMEOUT_S:.0f} s"
    except OSError as exc:
        return f"could not run git: {exc.strerror or exc}"
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        return (err[-1] if err else f"exit status {proc.returncode}")[:300]
    return sorted({n for n in proc.stdout.split(b"\0") if n})
