"""One pass over a layer blob: its tar headers, read from the (decompressed) stream in order while the raw
blob is hashed, with the first bytes of small files of compressed layers kept in memory (a budget shared by
the whole image) so later reads of them need no decompression.

Headers are parsed the way Go's ``archive/tar`` (docker, containerd) reads them: PAX (``path``,
``linkpath``, ``size``) and GNU long names apply to the next header; header-only types (links,
directories, devices, FIFOs) have no data; two zero blocks (or the end of the stream at a header boundary)
end the archive. What Go would reject is recorded as a problem of the layer, never skipped silently: a bad
header checksum, a lone zero block followed by data, a stream that ends inside a header or a member's data,
non-zero data after the end-of-archive marker. A member whose path leaves the root (``../``) is not applied
(docker refuses such a layer): it is listed in :attr:`LayerListing.unsafe`; an absolute path is applied
relative to the root, as docker and containerd do, and counted in :attr:`LayerListing.absolute`. A sparse
member (GNU ``S``, PAX ``GNU.sparse``) is listed but its holes are not reconstructed: reads of it fail
(incomplete).
"""

from __future__ import annotations

import posixpath
import tarfile
from dataclasses import dataclass, field

from tierguard.formats.compressed import Compression
from tierguard.formats.source import RandomSource
from tierguard.targets.image_stream import Checkpoint, Inflow

BLOCK = 512
ZERO = bytes(BLOCK)
MAX_META = 1 << 20  # bytes of one PAX header or GNU long name
KEEP_WHOLE = 256 * 1024  # a compressed layer's file up to this size is kept whole (budget permitting)
KEEP_HEAD = 64 * 1024  # of a larger one, its first bytes
_DATA_TYPES = frozenset({tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.CONTTYPE, tarfile.GNUTYPE_SPARSE})
_HEADER_ONLY = {
    tarfile.DIRTYPE: "dir",
    tarfile.SYMTYPE: "symlink",
    tarfile.LNKTYPE: "hardlink",
    tarfile.CHRTYPE: "other",
    tarfile.BLKTYPE: "other",
    tarfile.FIFOTYPE: "other",
}
_PAX = frozenset({tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE})
_GNU_LONG = frozenset({tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK})


@dataclass(slots=True)
class Entry:
    """One member of a layer: ``name`` cleaned (no ``./``, no leading ``/``), ``kind`` file, dir, symlink,
    hardlink or other (device, FIFO), its data at ``offset`` in the decompressed layer; ``kept``: its
    first bytes when kept; ``complete`` False when not all of its data is in the layer (``why``)."""

    name: str
    kind: str
    size: int
    offset: int
    order: int
    link: str = ""
    kept: bytes | None = None
    complete: bool = True
    why: str = ""


@dataclass(slots=True)
class Keep:
    """The byte budget for kept file heads, shared by the layers of one image."""

    left: int
    kept: int = 0

    def take(self, size: int) -> int:
        n = size if size <= KEEP_WHOLE else KEEP_HEAD
        if n > self.left:
            return 0
        self.left -= n
        self.kept += n
        return n


@dataclass(slots=True)
class LayerListing:
    kind: Compression
    entries: list[Entry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unsafe: list[tuple[str, str]] = field(default_factory=list)  # (member name as written, why)
    absolute: int = 0
    available: int = 0  # decompressed bytes the pass could read
    stopped: str = ""  # why the stream stopped early ("" when it did not)
    checkpoints: list[Checkpoint] = field(default_factory=list)
    raw_digest: str = ""
    out_digest: str = ""
    not_tar: bool = False  # the first header is not a tar header


def clean_name(raw: str) -> tuple[str | None, bool]:
    """(path, was absolute); path None for a member outside the root, "" for the root itself."""
    n = posixpath.normpath(raw) if raw else "."
    absolute = n.startswith("/")
    if absolute:
        n = n.lstrip("/") or "."
    elif n == ".." or n.startswith("../"):
        return None, False
    return ("" if n == "." else n), absolute


def _nts(b: bytes) -> str:
    p = b.find(0)
    return (b if p < 0 else b[:p]).decode("utf-8", "surrogateescape")


def parse_header(block: bytes) -> tarfile.TarInfo:
    """``tarfile.TarInfo.frombuf(block)`` (same result, same errors), several times faster for the common
    header: octal size and checksum, unsigned checksum, no sparse data; anything else goes to ``frombuf``."""
    typ = block[156:157]
    size_f, chk_f = block[124:136], block[148:156]
    if typ == tarfile.GNUTYPE_SPARSE or size_f[0] & 0x80:
        return tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
    try:
        chk = int(chk_f.split(b"\0", 1)[0].strip() or b"0", 8)
        size = int(size_f.split(b"\0", 1)[0].strip() or b"0", 8)
    except ValueError:
        return tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
    if chk != sum(block) - sum(chk_f) + 256:  # the unsigned sum, the checksum field read as spaces
        return tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
    ti = tarfile.TarInfo(_nts(block[0:100]))
    ti.size, ti.type, ti.linkname = size, typ, _nts(block[157:257])
    if typ == tarfile.AREGTYPE and ti.name.endswith("/"):
        ti.type = tarfile.DIRTYPE
    if ti.type == tarfile.DIRTYPE:
        ti.name = ti.name.rstrip("/")
    prefix = _nts(block[345:500])
    if prefix and ti.type not in tarfile.GNU_TYPES:
        ti.name = prefix + "/" + ti.name
    return ti


def _pax(data: bytes) -> dict[str, str]:
    """PAX records (``"%d %s=%s\\n"``); a malformed record ends the parse."""
    out: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        sp = data.find(b" ", pos, pos + 24)
        if sp < 0 or not data[pos:sp].isdigit():
            break
        length = int(data[pos:sp])
        rec = data[sp + 1 : pos + length]
        if length <= 0 or pos + length > len(data) or not rec.endswith(b"\n") or b"=" not in rec:
            break
        key, _, value = rec[:-1].partition(b"=")
        out[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return out


def _pad(n: int) -> int:
    return -(-n // BLOCK) * BLOCK


class _Walker:
    """The header walk of one layer (see the module docstring)."""

    def __init__(self, src: RandomSource, kind: Compression, keep: Keep, max_entries: int, hash_out: bool):
        self.flow = Inflow(src, kind, hash_raw=True, hash_out=hash_out, record=kind != "none")
        self.out = LayerListing(kind)
        self.keep = keep if kind != "none" else None  # a plain layer is read in place
        self.max_entries = max_entries
        self.pending: dict[str, str] = {}

    def problem(self, msg: str) -> None:
        self.out.problems.append(msg)

    def run(self) -> None:
        flow = self.flow
        while True:
            at = flow.pos
            block = flow.read(BLOCK)
            if not block:
                if flow.error:
                    self.problem(f"the layer stream stops at offset {at}: {flow.error}")
                return  # Go accepts the end of the stream at a header boundary
            if len(block) < BLOCK:
                self.out.not_tar = at == 0
                self.problem(
                    f"the layer ends inside a tar header at offset {at}: {flow.error or 'truncated'}"
                )
                return
            if block == ZERO:
                self._end(at)
                return
            try:
                ti = parse_header(block)
            except tarfile.HeaderError as exc:
                self.out.not_tar = at == 0
                self.problem(
                    f"unreadable tar header at offset {at} ({exc}): the rest of the layer is not listed"
                )
                return
            if not self._member(ti, at):
                return

    def _end(self, at: int) -> None:
        """A zero block at ``at``: the end-of-archive marker when the next block is zero too (or absent);
        then only zero padding may follow."""
        flow = self.flow
        second = flow.read(BLOCK)
        if second and second != ZERO:
            self.problem(
                f"a lone zero block at offset {at} is followed by data: docker stops with an error "
                "there; what follows is not listed"
            )
            return
        while True:
            chunk = flow.read(4 << 20)
            if not chunk:
                break
            if chunk.count(0) != len(chunk):
                self.problem(
                    f"non-zero data after the end-of-archive marker (from offset {at}): not part of "
                    "the image as docker applies it, not listed"
                )
                flow.skip(1 << 62)  # hash the rest
                break
        if flow.error:
            self.problem(f"the layer stream stops after the end-of-archive marker: {flow.error}")

    def _meta(self, size: int, at: int) -> bytes | None:
        if size > MAX_META:
            self.problem(
                f"tar extended header at offset {at} holds {size} bytes (over {MAX_META}): the rest "
                "of the layer is not listed"
            )
            return None
        data = self.flow.read(_pad(size))
        if len(data) < _pad(size):
            self.problem(f"the layer ends inside an extended header at offset {at}")
            return None
        return data[:size]

    def _member(self, ti: tarfile.TarInfo, at: int) -> bool:  # size: one member's header cases in one place
        """Handle one header; False when the walk must stop."""
        if ti.type in _PAX or ti.type in _GNU_LONG:
            data = self._meta(ti.size, at)
            if data is None:
                return False
            if ti.type == tarfile.XHDTYPE or ti.type == tarfile.SOLARIS_XHDTYPE:
                self.pending.update(_pax(data))
            elif ti.type == tarfile.GNUTYPE_LONGNAME:
                self.pending["path"] = data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
            elif ti.type == tarfile.GNUTYPE_LONGLINK:
                self.pending["linkpath"] = data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
            return True  # a global PAX header (g) changes no member name tierguard uses
        pend, self.pending = self.pending, {}
        raw = pend.get("path", ti.name)
        link = pend.get("linkpath", ti.linkname)
        size = ti.size
        if "size" in pend and pend["size"].isdigit():
            size = int(pend["size"])
        sparse = ti.type == tarfile.GNUTYPE_SPARSE or any(k.startswith("GNU.sparse.") for k in pend)
        if ti.type == tarfile.GNUTYPE_SPARSE and not self._sparse_ext(ti, at):
            return False
        kind = _HEADER_ONLY.get(ti.type, "file")
        if kind != "file":
            size = 0  # header-only types carry no data (as Go's reader and tarfile read them)
        if len(self.out.entries) >= self.max_entries:
            self.problem(
                f"more than {self.max_entries} members in the image: the rest of the layer from offset "
                f"{at} is not listed"
            )
            return False
        name, absolute = clean_name(raw)
        offset = self.flow.pos
        entry = Entry(name or "", kind, size, offset, len(self.out.entries), link)
        if sparse:
            entry.complete, entry.why = False, "sparse tar member: holes not reconstructed, not read"
        if name is None:
            self.out.unsafe.append((raw, "member path leaves the image root (docker refuses the layer)"))
        elif name:
            self.out.absolute += absolute
            self.out.entries.append(entry)
        return self._data(entry, name is not None and kind == "file" and not sparse)

    def _sparse_ext(self, ti: tarfile.TarInfo, at: int) -> bool:
        """Skip the extension blocks of an old GNU sparse header."""
        ext = bool(getattr(ti, "_sparse_structs", ((), False, 0))[1])
        while ext:
            blk = self.flow.read(BLOCK)
            if len(blk) < BLOCK:
                self.problem(f"the layer ends inside a sparse header at offset {at}")
                return False
            ext = bool(blk[504])
        return True

    def _data(self, entry: Entry, keepable: bool) -> bool:
        """Keep the first bytes of a file (compressed layers, within the budget), skip the rest."""
        flow = self.flow
        size = entry.size
        got = 0
        if keepable and self.keep is not None and size > 0:
            n = self.keep.take(size)
            if n:
                entry.kept = flow.read(n)
                got = len(entry.kept)
        padded = _pad(size)
        got += flow.skip(padded - got)
        if got < padded:
            have = min(got, size)
            entry.complete = False
            entry.why = entry.why or f"only {have} of its {size} bytes are in the layer"
            self.problem(
                f"the layer ends inside member {entry.name[:200]!r} ({have} of {size} bytes): "
                f"{flow.error or 'truncated'}"
            )
            return False
        return True


def list_layer(
    src: RandomSource, kind: Compression, keep: Keep, *, max_entries: int, hash_out: bool = False
) -> LayerListing:
    """Read the layer blob ``src`` once (see the module docstring)."""
    w = _Walker(src, kind, keep, max_entries, hash_out)
    w.run()
    flow = w.flow
    out = w.out
    out.available = flow.pos
    out.stopped = flow.error
    out.checkpoints = flow.checkpoints
    if flow.out_sha is not None and not flow.error and flow.done:
        out.out_digest = "sha256:" + flow.out_sha.hexdigest()
    out.raw_digest = flow.finish_hash()
    return out
