"""Protocol buffers (ONNX ModelProto, SentencePiece ModelProto): varints, one level of fields, and the ONNX
header wherever it sits in the file. Lengths are checked against the buffer or the file size before anything
is read.

ONNX (:func:`read_onnx`): the ModelProto's top-level fields are walked through two read windows (the head
and the tail of the file, :class:`~tierguard.formats.windows.HeadTail`): ``ir_version``, ``producer_name``,
``producer_version``, ``domain``, ``model_version``, ``doc_string``, every ``opset_import`` (domain, version)
and every ``metadata_props`` entry, in whatever order and at whatever offset they were written (often after
a graph of hundreds of megabytes). The graph is skipped by its length; where it lies inside a window its
node, input/output and initializer names (with initializer dims) are collected for naming signatures. A field
that lies between the windows, straddles a window's edge or exceeds its cap is listed in ``unread`` (never
guessed); a structure that cannot be a ModelProto raises :class:`Incomplete`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from tierguard.formats.source import BoundedReader, Incomplete
from tierguard.formats.windows import HeadTail

_ONNX_STRINGS = {2: "producer_name", 3: "producer_version", 4: "domain", 6: "doc_string"}
_ONNX_VARINTS = {1: "ir_version", 5: "model_version"}
_STRING_CAP = 64 * 1024  # producer/domain/doc_string bytes kept
_ENTRY_CAP = 256 * 1024  # one metadata_props / opset_import entry
_VALUE_KEEP = 500  # characters of a metadata value kept
_MAX_FIELDS = 200_000  # field headers walked per file (top level and graph together)
_MAX_NAMES = 5000  # graph names collected
_MAX_TENSORS = 4000  # initializer names collected


def read_varint(buf: bytes, pos: int) -> tuple[int | None, int]:
    """A protobuf base-128 varint at ``pos``: (value, next position), or (None, position reached) when the
    buffer ends first or the varint is longer than 10 bytes (64 bits)."""
    shift = 0
    val = 0
    while pos < len(buf) and shift < 64:
        b = buf[pos]
        pos += 1
        val |= (b & 0x7F) << shift
        if not b & 0x80:
            return val, pos
        shift += 7
    return None, pos


def _varint_or_raise(b: bytes, i: int) -> tuple[int, int]:
    val, i = read_varint(b, i)
    if val is None:
        raise ValueError("bad varint")
    return val, i


def fields(b: bytes) -> list[tuple[int, int, object]]:
    out: list[tuple[int, int, object]] = []
    i = 0
    while i < len(b):
        key, i = _varint_or_raise(b, i)
        fno, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint_or_raise(b, i)
            out.append((fno, wt, v))
        elif wt == 1:
            i += 8
        elif wt == 5:
            i += 4
        elif wt == 2:
            ln, i = _varint_or_raise(b, i)
            if i + ln > len(b):
                raise ValueError("length past end")
            out.append((fno, wt, b[i : i + ln]))
            i += ln
        else:
            raise ValueError(f"wire type {wt}")
    return out


def prefix_fields(b: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) of a message that may be cut short (a bounded read of a larger
    file): varints as ints, length-delimited fields as bytes, fixed 32/64-bit fields skipped; the walk stops,
    without an error, at the first field that is cut short or malformed."""
    i, n = 0, len(b)
    while i < n:
        key, i = read_varint(b, i)
        if key is None:
            return
        fno, wt = key >> 3, key & 7
        if wt == 0:
            v, i = read_varint(b, i)
            if v is None:
                return
            yield fno, wt, v
        elif wt == 1:
            i += 8
        elif wt == 5:
            i += 4
        elif wt == 2:
            ln, i = read_varint(b, i)
            if ln is None or i + ln > n:
                return
            yield fno, wt, b[i : i + ln]
            i += ln
        else:
            return


def external_locations(tensor: bytes) -> list[str]:
    locs: list[str] = []
    for fno, wt, v in fields(tensor):
        if (
            fno == 13 and wt == 2 and isinstance(v, bytes)
        ):  # TensorProto.external_data: StringStringEntryProto
            kv = {f: x for f, w, x in fields(v) if w == 2 and isinstance(x, bytes)}
            loc = kv.get(2)
            if kv.get(1) == b"location" and isinstance(loc, bytes):
                locs.append(loc.decode("utf-8", "replace"))
    return locs


@dataclass(slots=True)
class OnnxHeader:
    """What :func:`read_onnx` found. ``fields``: the top-level scalar fields by their ModelProto name (and
    ``graph_name``); ``opsets``: (domain, version) of every ``opset_import``; ``metadata``: ``metadata_props``
    (values cut to 500 characters); ``tensors``: initializer names and dims; ``names``: node names, node
    inputs/outputs and graph inputs/outputs, in file order; ``unread``: what was not read, and why."""

    fields: dict[str, str] = field(default_factory=dict)
    opsets: list[tuple[str, int]] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    tensors: dict[str, tuple[int, ...]] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)
    graph_seen: str = "none"  # none | whole | part (the graph's bytes inside the read windows)


class _Walk:
    """Field headers of one message, read through the windows; stops (``stopped`` says why) where a header
    is not inside a window."""

    def __init__(self, win: HeadTail, counter: list[int], *, spot: bool) -> None:
        self.win = win
        self.counter = counter
        self.spot = spot  # header fields may use spot reads between the windows; naming signatures do not
        self.stopped = ""

    def varint(self, pos: int, what: str) -> tuple[int, int] | None:
        chunk = self.win.avail(pos, 10, spot=self.spot)
        val, p = read_varint(chunk, 0)
        if val is not None:
            return val, pos + p
        end = self.win.window_end(pos)
        if end is None:
            self.stopped = f"{what} at offset {pos} lies between the read windows"
        elif end < self.win.size and pos + len(chunk) == end:
            self.stopped = f"{what} at offset {pos} straddles the end of a read window"
        else:
            raise Incomplete("malformed", f"ONNX {what} at offset {pos}: bad or truncated varint")
        return None

    def fields(self, start: int, end: int, what: str) -> list[tuple[int, int, int, int]]:
        """(field number, wire type, value or body offset, body length) of the fields in [start, end), up to
        the first header that cannot be read."""
        out: list[tuple[int, int, int, int]] = []
        pos = start
        while pos < end:
            self.counter[0] += 1
            if self.counter[0] > _MAX_FIELDS:
                self.stopped = f"{what}: more than {_MAX_FIELDS} fields walked"
                break
            got = self.varint(pos, f"{what} field key")
            if got is None:
                break
            key, pos = got
            fno, wire = key >> 3, key & 7
            if fno == 0:
                raise Incomplete("malformed", f"ONNX {what}: field number 0 at offset {pos}")
            if wire == 0:
                got = self.varint(pos, f"{what} field {fno}")
                if got is None:
                    break
                out.append((fno, 0, got[0], 0))
                pos = got[1]
                continue
            if wire in (1, 5):
                pos += 8 if wire == 1 else 4
                continue
            if wire != 2:
                raise Incomplete("malformed", f"ONNX {what}: wire type {wire} at offset {pos}")
            got = self.varint(pos, f"{what} field {fno} length")
            if got is None:
                break
            ln, body = got
            if body + ln > end:
                raise Incomplete(
                    "malformed", f"ONNX {what} field {fno} length {ln} at offset {body} exceeds its end {end}"
                )
            out.append((fno, 2, body, ln))
            pos = body + ln
        if pos > end:
            raise Incomplete("malformed", f"ONNX {what}: fixed-size field past its end {end}")
        return out


def read_onnx(reader: BoundedReader) -> OnnxHeader:
    """The ONNX ModelProto header of the file ``reader`` reads (at most its budget: the head and the tail)."""
    win = HeadTail(reader)
    hdr = OnnxHeader()
    walk = _Walk(win, [0], spot=True)
    for fno, wire, val, ln in walk.fields(0, win.size, "ModelProto"):
        if wire == 0:
            if fno in _ONNX_VARINTS:
                hdr.fields[_ONNX_VARINTS[fno]] = str(val)
            continue
        if fno == 7:
            _graph(walk, val, ln, hdr)
        elif fno in _ONNX_STRINGS or fno in (8, 14):
            _top_message(win, hdr, fno, val, ln)
    if walk.stopped:
        hdr.unread.append(f"top-level fields from there on: {walk.stopped}")
    if "ir_version" not in hdr.fields:
        if walk.stopped:
            raise Incomplete("unread", f"no ONNX ir_version in the read windows ({walk.stopped})")
        raise Incomplete("malformed", "no ONNX ir_version")
    return hdr


def _top_message(win: HeadTail, hdr: OnnxHeader, fno: int, at: int, ln: int) -> None:
    name = _ONNX_STRINGS.get(fno) or ("opset_import" if fno == 8 else "metadata_props")
    cap = _STRING_CAP if fno in _ONNX_STRINGS else _ENTRY_CAP
    if ln > cap:
        hdr.unread.append(f"{name} at offset {at}: {ln} bytes, over the {cap}-byte cap")
        return
    data = win.get(at, ln, spot=True)
    if data is None:
        hdr.unread.append(f"{name} at offset {at} ({ln} bytes): outside or across the read windows")
        return
    if fno in _ONNX_STRINGS:
        hdr.fields[name] = data.decode("utf-8", "replace")
        return
    try:
        msg = fields(data)
    except ValueError as exc:
        raise Incomplete("malformed", f"ONNX {name} at offset {at}: {exc}") from None
    strs = {f: v for f, w, v in msg if w == 2 and isinstance(v, bytes)}
    if fno == 8:
        ver = next((v for f, w, v in msg if f == 2 and w == 0 and isinstance(v, int)), 0)
        hdr.opsets.append((strs.get(1, b"").decode("utf-8", "replace")[:200], ver))
    elif 1 in strs:
        key = strs[1].decode("utf-8", "replace")[:200]
        hdr.metadata[key] = strs.get(2, b"").decode("utf-8", "replace")[:_VALUE_KEEP]


def _graph(walk: _Walk, at: int, ln: int, hdr: OnnxHeader) -> None:
    """Names from the part of the graph inside the read windows (a partial walk stops quietly: the graph is
    a naming signature, not a header field)."""
    gw = _Walk(walk.win, walk.counter, spot=False)
    hdr.graph_seen = "part"
    for fno, wire, val, gln in gw.fields(at, at + ln, "GraphProto"):
        if wire != 2:
            continue
        if fno == 5:  # initializer: dims and name come before raw_data, so a long tensor still gives both
            _initializer(gw, val, gln, hdr)
        elif len(hdr.names) >= _MAX_NAMES:
            continue
        elif fno == 1:  # node: input, output, name
            data = walk.win.get(val, gln) if gln <= _ENTRY_CAP else None
            if data is not None:
                for f, w, v in _parsed(data, "NodeProto"):
                    if f in (1, 2, 3) and w == 2 and isinstance(v, bytes) and v:
                        hdr.names.append(v.decode("utf-8", "replace")[:300])
        elif fno in (11, 12, 13, 2):  # graph input, output, value_info (name first); graph name
            data = walk.win.get(val, min(gln, 4096))
            if data is not None and fno == 2:
                hdr.fields["graph_name"] = data.decode("utf-8", "replace")[:300]
            elif data is not None and gln <= 4096:
                nm = next((v for f, w, v in _parsed(data, "ValueInfoProto") if f == 1 and w == 2), None)
                if isinstance(nm, bytes) and nm:
                    hdr.names.append(nm.decode("utf-8", "replace")[:300])
    if not gw.stopped and gw.counter[0] <= _MAX_FIELDS:
        hdr.graph_seen = "whole"


def _initializer(gw: _Walk, at: int, ln: int, hdr: OnnxHeader) -> None:
    if len(hdr.tensors) >= _MAX_TENSORS:
        return
    tw = _Walk(gw.win, gw.counter, spot=False)
    dims: list[int] = []
    name = ""
    for f, w, v, tln in tw.fields(at, at + ln, "TensorProto"):
        if f == 1 and w == 0:
            dims.append(v)
        elif f == 1 and w == 2:  # packed dims
            data = gw.win.get(v, tln) if tln <= 4096 else None
            if data is not None:
                dims.extend(_packed_varints(data))
        elif f == 8 and w == 2:
            data = gw.win.get(v, tln) if tln <= 4096 else None
            if data is not None:
                name = data.decode("utf-8", "replace")[:300]
            break  # dims come first; raw_data and the rest are not needed
    if name:
        hdr.tensors[name] = tuple(dims[:16])


def _parsed(data: bytes, what: str) -> list[tuple[int, int, object]]:
    try:
        return fields(data)
    except ValueError as exc:
        raise Incomplete("malformed", f"ONNX {what}: {exc}") from None


def _packed_varints(data: bytes) -> list[int]:
    out: list[int] = []
    pos = 0
    while pos < len(data) and len(out) < 16:
        v, pos = read_varint(data, pos)
        if v is None:
            break
        out.append(v)
    return out
