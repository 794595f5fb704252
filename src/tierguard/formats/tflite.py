"""TensorFlow Lite models: the FlatBuffer header, read statically (never interpreted, never handed to a
TFLite runtime).

A TFLite file is a FlatBuffer whose file identifier ``TFL3`` sits at offset 4; its root table is the
``Model`` of ``tensorflow/compiler/mlir/lite/schema/schema.fbs``: version (0), operator_codes (1), subgraphs
(2), description (3), buffers (4), metadata_buffer (5), metadata (6), signature_defs (7). :func:`read_tflite`
reads the schema version, the ``description`` string, every ``metadata`` entry (its name and the bytes of
the buffer it points to: ``min_runtime_version``, ``CONVERSION_METADATA``, or ``TFLITE_METADATA``, the TFLite
Support ``ModelMetadata`` FlatBuffer (identifier ``M001``) whose name, description, version, author and
license are decoded), the custom operator codes, and the first subgraph's tensor names and shapes.

Reads go through two windows (:class:`~tierguard.formats.windows.HeadTail`, the head and the tail of the
file within the read budget). Every offset is checked against the file size; one that points outside the file
is :class:`Incomplete` ("malformed"); a table, string or buffer that lies between or across the windows is
listed in ``unread`` and never guessed.
"""

from __future__ import annotations

import contextlib
import struct
from dataclasses import dataclass, field

from tierguard.formats.source import BoundedReader, Incomplete
from tierguard.formats.windows import HeadTail

IDENTIFIER = b"TFL3"
METADATA_IDENTIFIER = b"M001"
_MAX_VTABLE = 512  # bytes of one vtable (a Model has 8 fields; room for schema growth)
_MAX_STRING = 64 * 1024
_MAX_BUFFER = 256 * 1024  # bytes of one metadata buffer decoded
_MAX_ENTRIES = 256  # metadata entries, operator codes
_MAX_TENSORS = 4000
_VALUE_KEEP = 500
_MODEL_METADATA_FIELDS = {0: "name", 1: "description", 2: "version", 4: "author", 5: "license"}
_MIN_PARSER_VERSION = 7


def is_tflite(head: bytes) -> bool:
    """A TFLite FlatBuffer head: the root table offset (little-endian, inside the first megabyte and past the
    8-byte prefix) and ``TFL3`` at offset 4."""
    if len(head) < 8 or head[4:8] != IDENTIFIER:
        return False
    (root,) = struct.unpack_from("<I", head, 0)
    return bool(8 <= root < (1 << 20))


@dataclass(slots=True)
class TfliteHeader:
    version: int | None = None
    description: str = ""
    metadata: dict[str, str] = field(default_factory=dict)  # entry name -> decoded text or "<N bytes>"
    model_metadata: dict[str, str] = field(default_factory=dict)  # TFLite Support ModelMetadata fields
    custom_ops: list[str] = field(default_factory=list)
    subgraph_name: str = ""
    tensors: dict[str, tuple[int, ...]] = field(default_factory=dict)
    unread: list[str] = field(default_factory=list)


class _NotRead(Exception):
    """Bytes inside the file but outside the read windows."""


class _Buf:
    """Little-endian FlatBuffer access over the windows, or (``win`` None) over bytes already read."""

    def __init__(self, win: HeadTail | None, data: bytes = b"") -> None:
        self.win = win
        self.data = data
        self.spot = True  # header fields may use spot reads between the windows; naming signatures do not
        self.size = win.size if win is not None else len(data)

    def get(self, off: int, n: int, what: str) -> bytes:
        if off < 0 or n < 0 or off + n > self.size:
            raise Incomplete("malformed", f"TFLite {what}: {n} bytes at offset {off} outside the file")
        if self.win is None:
            return self.data[off : off + n]
        got = self.win.get(off, n, spot=self.spot)
        if got is None:
            raise _NotRead(f"{what} at offset {off} ({n} bytes): outside or across the read windows")
        return got

    def u8(self, off: int, what: str) -> int:
        return self.get(off, 1, what)[0]

    def u16(self, off: int, what: str) -> int:
        return int(struct.unpack("<H", self.get(off, 2, what))[0])

    def u32(self, off: int, what: str) -> int:
        return int(struct.unpack("<I", self.get(off, 4, what))[0])

    def i32(self, off: int, what: str) -> int:
        return int(struct.unpack("<i", self.get(off, 4, what))[0])

    def u64(self, off: int, what: str) -> int:
        return int(struct.unpack("<Q", self.get(off, 8, what))[0])

    def table(self, pos: int, what: str) -> _Table:
        vt = pos - self.i32(pos, what)
        vt_size = self.u16(vt, f"{what} vtable")
        if vt_size < 4 or vt_size % 2 or vt_size > _MAX_VTABLE:
            raise Incomplete("malformed", f"TFLite {what}: vtable size {vt_size} at offset {vt}")
        return _Table(self, pos, self.get(vt, vt_size, f"{what} vtable"), what)

    def string(self, pos: int, what: str, cap: int = _MAX_STRING) -> str:
        n = self.u32(pos, what)
        if n > cap:
            raise _NotRead(f"{what} at offset {pos}: {n} bytes, over the {cap}-byte cap")
        return self.get(pos + 4, n, what).decode("utf-8", "replace")

    def vector(self, pos: int, what: str, cap: int) -> tuple[int, int]:
        """(count, offset of the first element); a count over ``cap`` is cut to ``cap``."""
        n = self.u32(pos, what)
        if pos + 4 + n > self.size and n:
            raise Incomplete("malformed", f"TFLite {what}: {n} elements at offset {pos} exceed the file")
        return min(n, cap), pos + 4


class _Table:
    def __init__(self, buf: _Buf, pos: int, vtable: bytes, what: str) -> None:
        self.buf = buf
        self.pos = pos
        self.vtable = vtable
        self.what = what

    def _field(self, i: int) -> int:
        at = 4 + 2 * i
        if at + 2 > len(self.vtable):
            return 0
        return int(struct.unpack_from("<H", self.vtable, at)[0])

    def has(self, i: int) -> bool:
        return self._field(i) != 0

    def scalar(self, i: int, size: int) -> int | None:
        fo = self._field(i)
        if not fo:
            return None
        at = self.pos + fo
        what = f"{self.what} field {i}"
        return {1: self.buf.u8, 4: self.buf.u32, 8: self.buf.u64}[size](at, what)

    def ref(self, i: int) -> int | None:
        """The absolute offset a reference field (table, string, vector) points to."""
        fo = self._field(i)
        if not fo:
            return None
        at = self.pos + fo
        return at + self.buf.u32(at, f"{self.what} field {i}")


def read_tflite(reader: BoundedReader) -> TfliteHeader:
    """The TFLite Model header of the file ``reader`` reads (at most its budget: the head and the tail)."""
    win = HeadTail(reader)
    buf = _Buf(win)
    head = buf.get(0, 8, "file header")
    if head[4:8] != IDENTIFIER:
        raise Incomplete("malformed", "no TFL3 file identifier at offset 4")
    hdr = TfliteHeader()
    try:
        model = buf.table(buf.u32(0, "root offset"), "Model")
    except _NotRead as exc:
        raise Incomplete("unread", f"TFLite Model table: {exc}") from None
    for step in (_version, _description, _metadata):
        try:
            step(buf, model, hdr)
        except _NotRead as exc:
            hdr.unread.append(str(exc))
    buf.spot = False
    for signature in (_operator_codes, _subgraph):
        with contextlib.suppress(_NotRead):  # naming signatures: a part outside the windows ends them
            signature(buf, model, hdr)
    return hdr


def _version(buf: _Buf, model: _Table, hdr: TfliteHeader) -> None:
    hdr.version = model.scalar(0, 4)


def _description(buf: _Buf, model: _Table, hdr: TfliteHeader) -> None:
    at = model.ref(3)
    if at is not None:
        hdr.description = buf.string(at, "Model.description")[:_VALUE_KEEP]


def _operator_codes(buf: _Buf, model: _Table, hdr: TfliteHeader) -> None:
    at = model.ref(1)
    if at is None:
        return
    n, first = buf.vector(at, "Model.operator_codes", _MAX_ENTRIES)
    for k in range(n):
        el = first + 4 * k
        code = buf.table(el + buf.u32(el, "OperatorCode offset"), "OperatorCode")
        cat = code.ref(1)  # custom_code
        if cat is not None:
            name = buf.string(cat, "OperatorCode.custom_code", 1024)[:200]
            if name and name not in hdr.custom_ops:
                hdr.custom_ops.append(name)


def _metadata(buf: _Buf, model: _Table, hdr: TfliteHeader) -> None:
    at = model.ref(6)
    if at is None:
        return
    buffers_at = model.ref(4)
    n_buffers, buffers_first = (
        (0, 0) if buffers_at is None else buf.vector(buffers_at, "Model.buffers", 1 << 30)
    )
    n, first = buf.vector(at, "Model.metadata", _MAX_ENTRIES)
    for k in range(n):
        el = first + 4 * k
        entry = buf.table(el + buf.u32(el, "Metadata offset"), "Metadata")
        name_at = entry.ref(0)
        name = buf.string(name_at, "Metadata.name", 1024)[:200] if name_at is not None else ""
        idx = entry.scalar(1, 4)
        if idx is None or idx >= n_buffers:
            hdr.metadata[name] = "<no buffer>"
            continue
        try:
            data = _buffer_bytes(buf, buffers_first + 4 * idx, f"metadata {name!r} buffer {idx}")
        except _NotRead as exc:
            hdr.metadata[name] = "<not read>"
            hdr.unread.append(str(exc))
            continue
        hdr.metadata[name] = _text(data)
        if data[4:8] == METADATA_IDENTIFIER:
            _model_metadata(data, hdr)


def _buffer_bytes(buf: _Buf, el: int, what: str) -> bytes:
    """The bytes of the Buffer table whose offset is at ``el``: its ``data`` vector, or (models over 2 GiB)
    the ``offset``/``size`` range of the file it names."""
    b = buf.table(el + buf.u32(el, f"{what} offset"), what)
    data_at = b.ref(0)
    if data_at is not None:
        n = buf.u32(data_at, what)
        if n > _MAX_BUFFER:
            raise _NotRead(f"{what}: {n} bytes, over the {_MAX_BUFFER}-byte cap")
        return buf.get(data_at + 4, n, what)
    off, size = b.scalar(1, 8), b.scalar(2, 8)
    if off is None or size is None or off <= 1:
        return b""
    if size > _MAX_BUFFER:
        raise _NotRead(f"{what}: {size} bytes at offset {off}, over the {_MAX_BUFFER}-byte cap")
    return buf.get(off, size, what)


def _text(data: bytes) -> str:
    """A metadata buffer as text when it is short printable UTF-8 (NUL padding dropped), else its size."""
    stripped = data.rstrip(b"\x00")
    if stripped and len(stripped) <= 4096:
        try:
            text = stripped.decode("utf-8")
        except UnicodeDecodeError:
            text = ""
        if text and text.isprintable():
            return text[:_VALUE_KEEP]
    return f"<{len(data)} bytes>"


def _model_metadata(data: bytes, hdr: TfliteHeader) -> None:
    """The TFLite Support ``ModelMetadata`` FlatBuffer inside a ``TFLITE_METADATA`` buffer."""
    mb = _Buf(None, data)
    try:
        root = mb.table(mb.u32(0, "ModelMetadata root offset"), "ModelMetadata")
        for i, key in _MODEL_METADATA_FIELDS.items():
            at = root.ref(i)
            if at is not None:
                hdr.model_metadata[key] = mb.string(at, f"ModelMetadata.{key}")[:_VALUE_KEEP]
        at = root.ref(_MIN_PARSER_VERSION)
        if at is not None:
            hdr.model_metadata["min_parser_version"] = mb.string(at, "ModelMetadata.min_parser_version")[:50]
    except (Incomplete, _NotRead) as exc:
        hdr.unread.append(f"TFLITE_METADATA ModelMetadata: {exc}")


def _subgraph(buf: _Buf, model: _Table, hdr: TfliteHeader) -> None:
    at = model.ref(2)
    if at is None:
        return
    n, first = buf.vector(at, "Model.subgraphs", 1)
    if not n:
        return
    sg = buf.table(first + buf.u32(first, "SubGraph offset"), "SubGraph")
    name_at = sg.ref(4)
    if name_at is not None:
        hdr.subgraph_name = buf.string(name_at, "SubGraph.name", 1024)[:200]
    tensors_at = sg.ref(0)
    if tensors_at is None:
        return
    nt, tfirst = buf.vector(tensors_at, "SubGraph.tensors", _MAX_TENSORS)
    for k in range(nt):
        el = tfirst + 4 * k
        t = buf.table(el + buf.u32(el, "Tensor offset"), "Tensor")
        name_at = t.ref(3)
        if name_at is None:
            continue
        name = buf.string(name_at, "Tensor.name", 1024)[:300]
        shape: list[int] = []
        shape_at = t.ref(0)
        if shape_at is not None:
            ns, sfirst = buf.vector(shape_at, "Tensor.shape", 16)
            shape = [buf.i32(sfirst + 4 * j, "Tensor.shape") for j in range(ns)]
        hdr.tensors[name] = tuple(shape)
