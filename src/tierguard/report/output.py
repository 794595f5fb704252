"""Where a report goes: ``--output`` is checked before any work starts and written atomically.

:func:`check_output` refuses, with a one-line :class:`TierguardError` (exit 2), a destination that is a
directory, a device, a FIFO, a socket or a symlink (any symlink, even to a regular file: a report must
never be written through a link someone else controls), or whose parent directory is missing or not
writable. :func:`write_report` writes a temporary file in the same directory, fsyncs it, gives it the mode
the umask allows (``0o666 & ~umask``; ``mkstemp`` would leave ``0o600``), checks the destination again and
renames the file over it, so a reader sees the old report or the complete new one, never a partial one.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from tierguard.errors import TierguardError
from tierguard.report._common import display_path

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISLNK, "a symlink"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _shown(path: Path) -> str:
    return display_path(os.fspath(path))


def _refuse_existing(path: Path) -> None:
    """Raise unless ``path`` is absent or a regular file (checked without following a symlink)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise TierguardError(f"--output {_shown(path)}: cannot be checked: {exc.strerror or exc}") from None
    for test, what in _KINDS:
        if test(st.st_mode):
            raise TierguardError(f"--output {_shown(path)} is {what}; refusing to replace it")
    if not stat.S_ISREG(st.st_mode):
        raise TierguardError(f"--output {_shown(path)} is not a regular file; refusing to replace it")


def check_output(path: Path) -> Path:
    """The destination to write to, checked before any work starts (see the module docstring).

    Returns ``path`` made absolute (its parent resolved, the name itself never followed), so a later
    ``chdir`` does not change where the report goes."""
    if os.fspath(path) == "" or path.name in ("", ".", ".."):
        raise TierguardError(f"--output {_shown(path)} names a directory, not a file")
    _refuse_existing(path)
    try:
        parent = path.parent.resolve(strict=True)
    except (FileNotFoundError, NotADirectoryError):
        raise TierguardError(f"--output: directory {_shown(path.parent)} does not exist") from None
    except (OSError, RuntimeError) as exc:
        raise TierguardError(f"--output: directory {_shown(path.parent)} cannot be resolved: {exc}") from None
    if not parent.is_dir():
        raise TierguardError(f"--output: {_shown(path.parent)} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise TierguardError(f"--output: directory {_shown(parent)} is not writable")
    return parent / path.name


def _umask() -> int:
    mask = os.umask(0o022)  # the only portable way to read it: set and restore
    os.umask(mask)
    return mask


def write_report(text: str, path: Path) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically; raise :class:`TierguardError` with one line on any
    failure, leaving neither a partial report nor a temporary file behind."""
    target = check_output(path)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a reporter bug: every reporter escapes undecodable bytes
        raise TierguardError(f"--output {_shown(target)}: report is not valid UTF-8: {exc.reason}") from None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tierguard-", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise TierguardError(
            f"--output {_shown(target)}: cannot create a file: {exc.strerror or exc}"
        ) from None
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fchmod(fd, 0o666 & ~_umask())
            os.fsync(fd)
        finally:
            os.close(fd)
        _refuse_existing(target)  # replaced by a link, FIFO or directory while we worked?
        os.replace(tmp, target)
    except TierguardError:
        _remove(tmp)
        raise
    except OSError as exc:
        _remove(tmp)
        raise TierguardError(f"--output {_shown(target)}: write failed: {exc.strerror or exc}") from None
    except BaseException:
        _remove(tmp)
        raise
    _fsync_dir(target.parent)


def _remove(tmp: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(tmp)


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable; best effort (some file systems refuse fsync on a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
