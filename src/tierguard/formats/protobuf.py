"""Protocol buffers (ONNX ModelProto, SentencePiece ModelProto): varints, one level of fields, and the ONNX
top-level header. Lengths are checked against the buffer or the file size before anything is read."""

from __future__ import annotations

from tierguard.formats.source import BoundedReader, Incomplete

_ONNX_STRINGS = {2: "producer_name", 3: "producer_version", 4: "domain", 6: "doc_string"}


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


def read_onnx(reader: BoundedReader) -> dict[str, str]:
    """Top-level ModelProto fields; the graph (field 7) is skipped by its length, never read."""
    out: dict[str, str] = {}
    pos = 0
    opsets: list[str] = []
    while pos < reader.size and len(out) < 64:
        head = reader.read(pos, min(20, reader.size - pos), exact=False)
        key, p = read_varint(head, 0)
        if key is None or key == 0:
            break
        field_no, wire = key >> 3, key & 7
        if wire == 0:
            val, p2 = read_varint(head, p)
            if val is None:
                break
            if field_no == 1:
                out["ir_version"] = str(val)
            elif field_no == 5:
                out["model_version"] = str(val)
            pos += p2
        elif wire == 2:
            ln, p2 = read_varint(head, p)
            if ln is None or pos + p2 + ln > reader.size:
                raise Incomplete("malformed", f"ONNX field {field_no} length exceeds file size")
            body_at = pos + p2
            if field_no in _ONNX_STRINGS and ln <= 4096:
                out[_ONNX_STRINGS[field_no]] = reader.read(body_at, ln).decode("utf-8", "replace")
            elif field_no == 8 and ln <= 256:
                opsets.append(reader.read(body_at, ln).hex())
            elif field_no == 14 and ln <= 65536:
                kv = _onnx_kv(reader.read(body_at, ln))
                if kv is not None:
                    out[f"metadata.{kv[0]}"] = kv[1]
            pos = body_at + ln
        else:
            raise Incomplete("malformed", f"unexpected ONNX wire type {wire}")
    if "ir_version" not in out:
        raise Incomplete("malformed", "no ONNX ir_version")
    return out


def _onnx_kv(msg: bytes) -> tuple[str, str] | None:
    vals: dict[int, str] = {}
    pos = 0
    while pos < len(msg):
        key, pos = read_varint(msg, pos)
        if key is None or key & 7 != 2:
            return None
        ln, pos = read_varint(msg, pos)
        if ln is None:
            return None
        vals[key >> 3] = msg[pos : pos + ln].decode("utf-8", "replace")[:500]
        pos += ln
    return (vals.get(1, ""), vals.get(2, "")) if 1 in vals else None
