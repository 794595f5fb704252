"""Format by content (magic bytes), never by file extension.

``sniff(head, name)`` looks at the first bytes of a file (64 are enough; pass up to 4 KiB) and returns a
format name. The name is only used to break ties between formats that share a container (e.g. a zip that
is a PyTorch checkpoint vs a Keras archive is decided later by member names, not here).
"""

from __future__ import annotations

import json
import struct

SNIFF_BYTES = 4096

# pickle: PROTO opcode (0x80) followed by protocol 2..5; protocol 0/1 pickles start with an opcode byte
_PICKLE_PROTO = b"\x80"
_PICKLE_TEXT_OPCODES = frozenset(b"(cl]}NIFSVLd")  # MARK, GLOBAL, LIST ... (protocol 0/1 first opcodes)


def sniff(head: bytes, name: str = "") -> str:
    """Return one of: safetensors, gguf, zip, 7z, tar, gzip, bzip2, xz, zstd, hdf5, numpy, onnx-or-protobuf,
    pickle, pickle-text, png, jpeg, pdf, elf, json, text, empty, unknown."""
    if not head:
        return "empty"
    if head.startswith(b"GGUF"):
        return "gguf"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06") or head.startswith(b"PK\x07\x08"):
        return "zip"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh"):
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return "hdf5"
    if head.startswith(b"\x93NUMPY"):
        return "numpy"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"\x7fELF"):
        return "elf"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    if _is_safetensors(head):
        return "safetensors"
    if head[:1] == _PICKLE_PROTO and len(head) > 1 and 2 <= head[1] <= 5:
        return "pickle"
    stripped = head.lstrip()
    if stripped[:1] in (b"{", b"["):
        return "json"
    if head[0] in _PICKLE_TEXT_OPCODES and _looks_like_text_pickle(head):
        return "pickle-text"
    if looks_like_onnx(head):
        return "onnx-or-protobuf"  # before the text check: a short protobuf head can decode as UTF-8
    if b"\x00" not in head[:1024] and not _has_control_bytes(head[:1024]):
        try:
            head[:1024].decode("utf-8")
            return "text"
        except UnicodeDecodeError:
            pass
    if name.endswith(".onnx") or head[:1] == b"\x08":
        return "onnx-or-protobuf"
    return "unknown"


_CONTROL = bytes(c for c in range(32) if c not in (9, 10, 12, 13, 27))


def _has_control_bytes(chunk: bytes) -> bool:
    """Binary control bytes (other than tab, newlines, form feed, escape) mean "not text"."""
    return len(chunk.translate(None, _CONTROL)) != len(chunk)


def looks_like_onnx(head: bytes) -> bool:
    """An ONNX ModelProto (or a TF SavedModel .pb) head: ir_version first (field 1, varint: 0x08 then a small
    value), then a length-delimited field (producer_name, producer_version, domain, doc_string, graph)."""
    return len(head) >= 3 and head[0] == 0x08 and 1 <= head[1] <= 20 and head[2] in b"\x12\x1a\x22\x2a\x3a"


def _is_safetensors(head: bytes) -> bool:
    if len(head) < 10:
        return False
    (n,) = struct.unpack("<Q", head[:8])
    if n < 2 or n > 100 * 1024 * 1024:
        return False
    return head[8:9] == b"{" and (head[9:10] in (b'"', b"}", b" ", b"\n"))


def _looks_like_text_pickle(head: bytes) -> bool:
    # protocol 0/1 pickles end with STOP '.'; a typical start is "c<module>\n<name>\n" or "(" MARK
    if head[:1] == b"c":
        line, _, rest = head[1:].partition(b"\n")
        return bool(line) and b" " not in line and rest[:1] != b""
    return head[:1] in (b"(", b"]", b"}") and b"." in head


def looks_like_json(head: bytes) -> bool:
    try:
        json.loads(head)
    except ValueError:
        return False
    return True
