"""HDF5 header reader: the superblock (versions 0-3) and the attributes of the root group, which is where a
legacy Keras ``.h5`` file keeps its model (``model_config``, ``training_config``, ``keras_version``,
``backend``). Nothing else of the file is read: no links, no datasets, no B-trees.

What is read: the superblock (at offset 0 or after a user block at 512, 1024, ... bytes), the root group's
object header (version 1, or version 2 ``OHDR`` with its ``OCHK`` continuation blocks), its attribute
messages (versions 1-3) with their datatype and dataspace, and the global heap collection holding a
variable-length string value. Every address and length is checked against the file size, every read goes
through a :class:`BoundedReader` (its budget), and loops are bounded (messages, continuation blocks).
Checksums of version 2 structures are not verified (nothing read is trusted beyond its bounds anyway).

Raises :class:`Incomplete` when the root group cannot be read (``malformed``, ``truncated``, ``budget``).
What was read but not understood is listed in :attr:`HDF5Root.problems` (attributes in dense storage,
shared messages) or in an attribute's ``note`` (a wanted value that is not a scalar string): a caller that
needs those must treat the file as incomplete.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tierguard.formats.source import BoundedReader, Incomplete, RandomSource, SourceReader

SIGNATURE = b"\x89HDF\r\n\x1a\n"
KERAS_ATTRIBUTES = frozenset({"model_config", "training_config", "keras_version", "backend"})
MAX_USER_BLOCK = 64 * 1024  # the superblock is looked for at 0, 512, 1024, ... up to this offset
MAX_MESSAGES = 4096  # header messages read from the root object header, continuations included
MAX_CONTINUATIONS = 64
_MSG_CONTINUATION, _MSG_ATTRIBUTE, _MSG_ATTRIBUTE_INFO = 0x10, 0x0C, 0x15
_CLASS_STRING, _CLASS_VLEN = 3, 9


@dataclass(slots=True)
class HDF5Attribute:
    name: str
    value: str | None = None  # the text of a wanted scalar string attribute
    note: str = ""  # why a wanted attribute's value was not decoded


@dataclass(slots=True)
class HDF5Root:
    superblock_version: int
    attributes: dict[str, HDF5Attribute] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # parts of the root header that were not read


def read_hdf5_source(src: RandomSource, budget: int, want: frozenset[str] = KERAS_ATTRIBUTES) -> HDF5Root:
    """:func:`read_hdf5_root` over a byte source (a file or an archive member) within ``budget`` bytes."""
    return read_hdf5_root(SourceReader(src, budget), want)


def read_hdf5_root(reader: BoundedReader, want: frozenset[str] = KERAS_ATTRIBUTES) -> HDF5Root:
    """The root group's attributes: every name, and the decoded text of the string attributes in ``want``."""
    f = _File(reader)
    at = f.find_superblock()
    version = f.u(at + 8, 1)
    if version in (0, 1):
        root_header = f.superblock_v0(at, version)
    elif version in (2, 3):
        root_header = f.superblock_v2(at)
    else:
        raise Incomplete("malformed", f"unsupported HDF5 superblock version {version}")
    out = HDF5Root(superblock_version=version)
    for mtype, mflags, data in f.header_messages(root_header):
        if mtype == _MSG_ATTRIBUTE:
            if mflags & 0x02:
                out.problems.append("a shared attribute message of the root group is not read")
                continue
            attr = f.attribute(data, want)
            out.attributes[attr.name] = attr
        elif mtype == _MSG_ATTRIBUTE_INFO and f.dense_attributes(data):
            out.problems.append("root group attributes in dense storage (fractal heap) are not read")
    return out


class _File:
    """Bounded little-endian reads at absolute offsets, with the superblock's offset/length sizes."""

    def __init__(self, reader: BoundedReader) -> None:
        self.r = reader
        self.size = reader.size
        self.o = 8  # size of offsets (addresses)
        self.l = 8  # size of lengths
        self.base = 0

    def read(self, at: int, n: int) -> bytes:
        if at < 0 or n < 0 or at + n > self.size:
            raise Incomplete("truncated", f"{n} bytes at {at} exceed the file size {self.size}")
        return self.r.read(at, n)

    def u(self, at: int, n: int) -> int:
        return int.from_bytes(self.read(at, n), "little")

    def addr(self, raw: bytes) -> int | None:
        """An address field (relative to the base address); None when undefined (all bits set)."""
        v = int.from_bytes(raw, "little")
        if v == (1 << (8 * len(raw))) - 1:
            return None
        return self.base + v

    def find_superblock(self) -> int:
        at = 0
        while at <= min(MAX_USER_BLOCK, self.size - 8):
            if self.read(at, 8) == SIGNATURE:
                return at
            at = 512 if at == 0 else at * 2
        raise Incomplete("malformed", "no HDF5 superblock signature")

    def _sizes(self, o: int, ln: int) -> None:
        if o not in (2, 4, 8) or ln not in (2, 4, 8):
            raise Incomplete("malformed", f"HDF5 offset/length sizes {o}/{ln} are not 2, 4 or 8")
        self.o, self.l = o, ln

    def superblock_v0(self, at: int, version: int) -> int:
        head = self.read(at + 8, 16)
        self._sizes(head[5], head[6])
        pos = at + (24 if version == 0 else 28)
        o = self.o
        fields = self.read(pos, 4 * o + 2 * o + 8)  # 4 addresses, then the root symbol table entry
        self.base = int.from_bytes(fields[:o], "little")  # the base address itself is absolute
        root = self.addr(fields[5 * o : 6 * o])  # the entry's link name offset, then its object header
        if root is None:
            raise Incomplete("malformed", "HDF5 root group has no object header address")
        return root

    def superblock_v2(self, at: int) -> int:
        head = self.read(at + 8, 4)
        self._sizes(head[1], head[2])
        o = self.o
        fields = self.read(at + 12, 4 * o)
        self.base = int.from_bytes(fields[:o], "little")
        root = self.addr(fields[3 * o : 4 * o])
        if root is None:
            raise Incomplete("malformed", "HDF5 root group has no object header address")
        return root

    def header_messages(self, at: int) -> list[tuple[int, int, bytes]]:
        """(type, flags, data) of every message of the object header at ``at``, continuations included."""
        v2 = self.read(at, 4) == b"OHDR"
        blocks: list[tuple[int, int, bool]] = []  # (start, length, is a v2 continuation block)
        if v2:
            version, flags = self.read(at + 4, 2)
            if version != 2:
                raise Incomplete("malformed", f"unsupported object header version {version}")
            pos = at + 6 + (16 if flags & 0x20 else 0) + (4 if flags & 0x10 else 0)
            width = 1 << (flags & 0x03)
            blocks.append((pos + width, self.u(pos, width), False))
            order = bool(flags & 0x04)
        else:
            prefix = self.read(at, 16)
            if prefix[0] != 1:
                raise Incomplete("malformed", f"unsupported object header version {prefix[0]}")
            blocks.append((at + 16, int.from_bytes(prefix[8:12], "little"), False))
            order = False
        out: list[tuple[int, int, bytes]] = []
        seen: set[int] = set()
        while blocks:
            start, length, chunk = blocks.pop(0)
            if start in seen or len(seen) > MAX_CONTINUATIONS:
                raise Incomplete("malformed", "HDF5 object header continuations loop or are too many")
            seen.add(start)
            if chunk:  # an OCHK block: signature, messages, checksum
                if self.read(start, 4) != b"OCHK":
                    raise Incomplete("malformed", f"missing OCHK signature at {start}")
                start, length = start + 4, length - 8
            raw = self.read(start, length)
            for mtype, mflags, data in _messages_v2(raw, order) if v2 else _messages_v1(raw):
                if len(out) >= MAX_MESSAGES:
                    raise Incomplete("malformed", f"more than {MAX_MESSAGES} header messages")
                if mtype == _MSG_CONTINUATION:
                    if len(data) < self.o + self.l:
                        raise Incomplete("malformed", "short continuation message")
                    cont = self.addr(data[: self.o])
                    clen = int.from_bytes(data[self.o : self.o + self.l], "little")
                    if cont is None or cont + clen > self.size:
                        raise Incomplete("truncated", "object header continuation beyond the file")
                    blocks.append((cont, clen, v2))
                    continue
                out.append((mtype, mflags, data))
        return out

    def dense_attributes(self, data: bytes) -> bool:
        """An Attribute Info message: True when it names a fractal heap (attributes in dense storage)."""
        if len(data) < 2:
            raise Incomplete("malformed", "short attribute info message")
        pos = 2 + (2 if data[1] & 0x01 else 0)
        heap = data[pos : pos + self.o]
        if len(heap) != self.o:
            raise Incomplete("malformed", "short attribute info message")
        return self.addr(heap) is not None

    def attribute(self, data: bytes, want: frozenset[str]) -> HDF5Attribute:
        if len(data) < 8:
            raise Incomplete("malformed", "short attribute message")
        version, flags = data[0], data[1]
        name_len, dt_len, ds_len = (int.from_bytes(data[i : i + 2], "little") for i in (2, 4, 6))
        if version == 1:
            pad = _pad8
            pos = 8
        elif version in (2, 3):
            pad = _nopad
            pos = 8 if version == 2 else 9
        else:
            raise Incomplete("malformed", f"unsupported attribute message version {version}")
        name = data[pos : pos + name_len].split(b"\0", 1)[0].decode("utf-8", "replace")
        pos += pad(name_len)
        dtype = data[pos : pos + dt_len]
        pos += pad(dt_len)
        dspace = data[pos : pos + ds_len]
        pos += pad(ds_len)
        if pos > len(data):
            raise Incomplete("malformed", f"attribute {name[:80]!r} overruns its message")
        attr = HDF5Attribute(name)
        if name not in want:
            return attr
        if flags & 0x03:
            attr.note = "shared datatype or dataspace"
            return attr
        count = self._elements(dspace)
        if count != 1:
            attr.note = f"{count} elements, not one string"
            return attr
        attr.value, attr.note = self._string_value(dtype, data[pos:])
        return attr

    def _elements(self, ds: bytes) -> int:
        if len(ds) < 4:
            raise Incomplete("malformed", "short dataspace")
        version, rank = ds[0], ds[1]
        if version == 1:
            pos = 8
        elif version == 2:
            if ds[3] == 0:
                return 1  # scalar
            if ds[3] == 2:
                return 0  # null
            pos = 4
        else:
            raise Incomplete("malformed", f"unsupported dataspace version {version}")
        if rank == 0:
            return 1 if version == 1 else 0
        n = 1
        for i in range(rank):
            dim = ds[pos + i * self.l : pos + (i + 1) * self.l]
            if len(dim) != self.l:
                raise Incomplete("malformed", "short dataspace dimensions")
            n *= int.from_bytes(dim, "little")
        return n

    def _string_value(self, dt: bytes, data: bytes) -> tuple[str | None, str]:
        if len(dt) < 8:
            raise Incomplete("malformed", "short datatype")
        cls = dt[0] & 0x0F
        size = int.from_bytes(dt[4:8], "little")
        if cls == _CLASS_STRING:
            if size > len(data):
                raise Incomplete("malformed", "fixed-length string value overruns its message")
            raw = data[:size]
            raw = raw.rstrip(b" ") if dt[1] & 0x0F == 2 else raw.split(b"\0", 1)[0]
            return raw.decode("utf-8", "replace"), ""
        if cls == _CLASS_VLEN and dt[1] & 0x0F == 1:  # a variable-length string: a global heap object
            need = 4 + self.o + 4
            if len(data) < need:
                raise Incomplete("malformed", "variable-length string value overruns its message")
            collection = self.addr(data[4 : 4 + self.o])
            index = int.from_bytes(data[4 + self.o : need], "little")
            if collection is None:
                return "", ""
            return self._heap_object(collection, index).decode("utf-8", "replace"), ""
        return None, f"datatype class {cls} is not a string"

    def _heap_object(self, at: int, index: int) -> bytes:
        """Object ``index`` of the global heap collection at ``at``."""
        head = self.read(at, 8 + self.l)
        if head[:4] != b"GCOL":
            raise Incomplete("malformed", f"missing global heap signature at {at}")
        end = at + int.from_bytes(head[8 : 8 + self.l], "little")
        if end > self.size:
            raise Incomplete("truncated", "global heap collection beyond the file")
        pos = at + 8 + self.l
        while pos + 8 + self.l <= end:
            oh = self.read(pos, 8 + self.l)
            idx = int.from_bytes(oh[:2], "little")
            n = int.from_bytes(oh[8 : 8 + self.l], "little")
            if idx == 0:
                break  # free space: the end of the collection's objects
            if idx == index:
                return self.read(pos + 8 + self.l, n)
            pos += 8 + self.l + _pad8(n)
        raise Incomplete("malformed", f"global heap object {index} not found")


def _pad8(n: int) -> int:
    return (n + 7) & ~7


def _nopad(n: int) -> int:
    return n


def _messages_v1(raw: bytes) -> list[tuple[int, int, bytes]]:
    out = []
    pos = 0
    while pos + 8 <= len(raw):
        mtype = int.from_bytes(raw[pos : pos + 2], "little")
        size = int.from_bytes(raw[pos + 2 : pos + 4], "little")
        flags = raw[pos + 4]
        if pos + 8 + size > len(raw):
            raise Incomplete("malformed", f"header message of {size} bytes overruns its block")
        out.append((mtype, flags, raw[pos + 8 : pos + 8 + size]))
        pos += 8 + size
    return out


def _messages_v2(raw: bytes, order: bool) -> list[tuple[int, int, bytes]]:
    out = []
    hsize = 6 if order else 4
    pos = 0
    end = len(raw)  # (the caller leaves out an OCHK block's signature and checksum)
    while pos + hsize <= end:
        mtype = raw[pos]
        size = int.from_bytes(raw[pos + 1 : pos + 3], "little")
        flags = raw[pos + 3]
        if pos + hsize + size > end:
            raise Incomplete("malformed", f"header message of {size} bytes overruns its block")
        out.append((mtype, flags, raw[pos + hsize : pos + hsize + size]))
        pos += hsize + size
    return out
