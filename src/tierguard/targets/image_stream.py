"""The bytes of an image's layer blobs: read once in order (hashing the blob and, for a compressed layer,
noting where decompression can restart), then read at any offset without extracting anything to disk.

* :class:`DiskSource`: a blob file on disk (``os.pread`` on one descriptor opened without following a
  symlink).
* :class:`Inflow`: the decompressed bytes of a blob (plain, gzip with any number of members, zstd with any
  number of frames; told by magic bytes), sequentially, in bounded steps. The listing pass hashes the raw
  blob with it (``sha256``: the digest the manifest names) and, for gzip, keeps a snapshot of the
  decompressor (``zlib``'s ``copy()``: its 32 KiB window and state, ~45 KiB) every
  :data:`CHECKPOINT_EVERY` decompressed bytes, at most :data:`MAX_CHECKPOINTS` per layer (past that the
  spacing doubles). zstd cannot be snapshotted: its restart points are its frame starts.
* :class:`LayerBytes`: random reads of a layer's decompressed bytes: plain layers in place; compressed ones
  from a forward cursor, restarted from the nearest restart point at or before the offset when a read goes
  backwards or far ahead (so a read costs at most the decompression of the span since that point).

A stream that ends early (truncated file, corrupt data, data after the last member/frame that starts no
other one) stops with :attr:`Inflow.error` set; reads past what is available raise ``OSError``.
"""

from __future__ import annotations

import hashlib
import os
import stat
import weakref
import zlib
from dataclasses import dataclass
from typing import Any

from tierguard.formats.compressed import GZIP_MAGIC, ZSTD_MAGIC, Compression, compression_of, zstd_module
from tierguard.formats.source import RandomSource

STEP = 1 << 20  # compressed (or plain) bytes read per step
OUT_STEP = 1 << 20  # decompressed bytes per decompression call
CHECKPOINT_EVERY = 8 << 20
MAX_CHECKPOINTS = 64
FAR_AHEAD = 16 << 20  # a forward read this far past the cursor restarts from a nearer checkpoint, if any


class DiskSource:
    """A regular file on disk as a RandomSource (never through a symlink; closed when collected)."""

    def __init__(self, path: str) -> None:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise OSError(f"{os.path.basename(path)}: not a regular file")
        self.size = st.st_size
        self._fd = fd
        self._fin = weakref.finalize(self, os.close, fd)

    def read(self, offset: int, n: int) -> bytes:
        if offset >= self.size or n <= 0:
            return b""
        n = min(n, self.size - offset)
        parts: list[bytes] = []
        while n > 0:
            chunk = os.pread(self._fd, min(n, 1 << 30), offset)
            if not chunk:
                break
            parts.append(chunk)
            offset += len(chunk)
            n -= len(chunk)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def close(self) -> None:
        self._fin()


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Decompression can restart here: ``out`` decompressed bytes were delivered from the first ``comp``
    raw bytes; ``state`` is a decompressor snapshot (None: a member/frame starts at ``comp``)."""

    out: int
    comp: int
    state: Any = None


def kind_of(src: RandomSource) -> Compression:
    return compression_of(src.read(0, 8))


class Inflow:
    """The decompressed bytes of ``src`` from a restart point (see the module docstring). ``hash_raw``:
    keep a sha256 of the raw bytes read (only meaningful from offset 0, read to the end); ``hash_out``:
    of the decompressed bytes; ``record``: note restart points."""

    def __init__(
        self,
        src: RandomSource,
        kind: Compression,
        *,
        start: Checkpoint | None = None,
        hash_raw: bool = False,
        hash_out: bool = False,
        record: bool = False,
    ) -> None:
        self.src = src
        self.kind = kind
        cp = start or Checkpoint(0, 0)
        self.pos = cp.out  # decompressed bytes delivered
        self.comp = cp.comp  # raw bytes read
        self.error = ""
        self.done = False
        self.raw_sha = hashlib.sha256() if hash_raw else None
        self.out_sha = hashlib.sha256() if hash_out else None
        self.checkpoints: list[Checkpoint] = [Checkpoint(cp.out, cp.comp)] if record else []
        self._record = record
        self._every = CHECKPOINT_EVERY
        self._next_cp = cp.out + self._every
        self._inp = b""
        self._mod = zstd_module() if kind == "zstd" else None
        self._d: Any = None
        if kind == "zstd" and self._mod is None:
            self._stop("zstd-compressed layer: needs Python 3.14+ or the backports.zstd package")
        elif kind != "none":
            self._d = cp.state.copy() if cp.state is not None else self._new()

    def _new(self) -> Any:
        return self._mod.ZstdDecompressor() if self._mod is not None else zlib.decompressobj(wbits=31)

    def _stop(self, why: str) -> None:
        self.error = self.error or why
        self.done = True

    def _raw(self, n: int) -> bytes:
        try:
            data = self.src.read(self.comp, n)
        except OSError as exc:
            self._stop(f"read error: {exc}")
            return b""
        self.comp += len(data)
        if self.raw_sha is not None:
            self.raw_sha.update(data)
        return data

    def finish_hash(self) -> str:
        """Read the raw bytes not read yet into the raw hash; its ``sha256:<hex>`` ("" without one, or when
        the blob could not be read to its end)."""
        if self.raw_sha is None:
            return ""
        while self.comp < self.src.size:
            try:
                data = self.src.read(self.comp, 4 * STEP)
            except OSError:
                return ""
            if not data:
                return ""
            self.comp += len(data)
            self.raw_sha.update(data)
        return "sha256:" + self.raw_sha.hexdigest()

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes (fewer only at the end or when the stream stops: ``error`` says why)."""
        parts: list[bytes] = []
        got = 0
        while got < n and not self.done:
            piece = self._step(n - got)
            if not piece:
                break
            parts.append(piece)
            got += len(piece)
            self.pos += len(piece)  # restart points noted by the next step need the position now
            if self.out_sha is not None:
                self.out_sha.update(piece)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def skip(self, n: int) -> int:
        """Move ``n`` bytes forward (reading through what hashing or decompression needs)."""
        if self.kind == "none" and self.raw_sha is None and self.out_sha is None:
            take = max(0, min(n, self.src.size - self.comp))
            self.comp += take
            self.pos += take
            return take
        done = 0
        while done < n:
            got = len(self.read(min(n - done, 4 * STEP)))
            if not got:
                break
            done += got
        return done

    def _step(self, want: int) -> bytes:
        if self.kind == "none":
            data = self._raw(min(want, 4 * STEP))
            if not data:
                self.done = True
            return data
        return self._inflate(min(want, OUT_STEP))

    def _inflate(self, limit: int) -> bytes:  # size: one loop over the gzip/zstd end, restart and error cases
        drained = False  # zstd said it had more output, then gave none: feed input instead
        while True:
            d = self._d
            if d.eof and not self._next_member():
                return b""
            d = self._d
            pending = self._mod is not None and not d.needs_input and not drained
            if not self._inp and not pending:
                self._inp = self._raw(STEP)
                if not self._inp:
                    self._stop(self.error or f"the {self.kind} stream ends early (truncated layer)")
                    return b""
            try:
                out = d.decompress(self._inp, limit)
            except (zlib.error, Exception) as exc:  # zstd's ZstdError
                self._stop(f"corrupt {self.kind} data: {str(exc)[:200]}")
                return b""
            self._inp = d.unconsumed_tail if self._mod is None else b""
            if out:
                self._note(len(out))
                return bytes(out)
            drained = pending

    def _note(self, n: int) -> None:
        """Record a snapshot when the output reaches the next restart point (gzip only)."""
        if not self._record or self._mod is not None or self.pos + n < self._next_cp:
            return
        self.checkpoints.append(Checkpoint(self.pos + n, self.comp - len(self._inp), self._d.copy()))
        if len(self.checkpoints) > MAX_CHECKPOINTS:
            self.checkpoints = self.checkpoints[::2]
            self._every *= 2
        self._next_cp = self.pos + n + self._every

    def _next_member(self) -> bool:
        """After the end of a gzip member / zstd frame: start the next one, or end the stream."""
        rest = self._d.unused_data  # zlib may also leave a copy in unconsumed_tail: never add both
        self._inp = b""
        while not rest.strip(b"\0"):  # nothing, or NUL padding: look further
            rest = self._raw(STEP)
            if not rest:
                self.done = True
                return False
        stripped = rest.lstrip(b"\0")
        magic = GZIP_MAGIC if self._mod is None else ZSTD_MAGIC
        skippable = self._mod is not None and 0x50 <= stripped[0] <= 0x5F
        if not (stripped.startswith(magic[: len(stripped)]) or skippable):
            self._stop(f"data after the end of the {self.kind} stream that does not start another one")
            return False
        self._d = self._new()
        self._inp = stripped
        if self._record:
            self.checkpoints.append(Checkpoint(self.pos, self.comp - len(stripped)))
        return True


class LayerBytes:
    """Random reads of a layer's decompressed bytes (see the module docstring). ``available``: how many
    decompressed bytes the listing pass could read (a read past them raises ``OSError`` with ``why``)."""

    def __init__(
        self, src: RandomSource, kind: Compression, checkpoints: list[Checkpoint], available: int, why: str
    ) -> None:
        self.src = src
        self.kind = kind
        self.available = available
        self.why = why
        self._cps = checkpoints or [Checkpoint(0, 0)]
        self._cur: Inflow | None = None
        self.restarts = 0

    def read(self, offset: int, n: int) -> bytes:
        n = max(0, min(n, self.available - offset))
        if n <= 0:
            return b""
        if self.kind == "none":
            return self.src.read(offset, n)
        cur = self._cursor(offset)
        cur.skip(offset - cur.pos)
        data = cur.read(n) if cur.pos == offset else b""
        if len(data) < n:
            self._cur = None
            raise OSError(
                f"layer data unreadable at offset {offset}: {cur.error or self.why or 'short read'}"
            )
        return data

    def _cursor(self, offset: int) -> Inflow:
        best = self._cps[0]
        for cp in self._cps:  # few (<= MAX_CHECKPOINTS + frames): a scan is cheap
            if cp.out <= offset:
                best = cp if cp.out >= best.out else best
        cur = self._cur
        if (
            cur is not None
            and cur.pos <= offset
            and not (offset - cur.pos > FAR_AHEAD and best.out > cur.pos)
        ):
            return cur
        self.restarts += 1
        self._cur = Inflow(self.src, self.kind, start=best)
        return self._cur
