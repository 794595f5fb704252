"""Format by content (magic bytes), never by file extension.

``sniff(head, name, size)`` looks at the first bytes of a file (64 are enough; pass up to 4 KiB) and returns
a format name. The name is only used to break ties between formats that share a container (e.g. a zip that
is a PyTorch checkpoint vs a Keras archive is decided later by member names, not here). ``size`` (the file's
size, when known) tells whether ``head`` is the whole file.

A protocol 0/1 pickle has no magic number: its first byte is an opcode that is also a common letter (``c``,
GLOBAL, starts ``CHANGES``, ``.gitlab-ci.yml``, a wheel's ``RECORD``). A head with such a first byte is
walked with the real opcode walker (:func:`tierguard.formats.pickle.walk_stream`, which never unpickles) and
is a pickle only when the opcodes validate: see :func:`_walks_as_pickle`.
"""

from __future__ import annotations

import json
import re
import struct

from tierguard.formats.pickle import walk_stream
from tierguard.formats.source import BytesSource, RangeStream
from tierguard.formats.tflite import is_tflite

SNIFF_BYTES = 4096

# pickle: PROTO opcode (0x80) followed by protocol 2..5; protocol 0/1 pickles start with an opcode byte
_PICKLE_PROTO = b"\x80"
# protocol 0/1 first opcodes that can start a pickle worth inspecting: GLOBAL, MARK, EMPTY_LIST, EMPTY_DICT
# (a scalar pickle such as ``N.`` or ``I1\n.`` holds no import)
_PICKLE_TEXT_OPCODES = frozenset(b"(c]}")
# a GLOBAL/INST operand pickle.load can resolve: a dotted Python name (anything else fails before a call)
_PY_NAME = re.compile(r"[^\W\d]\w*(?:\.[^\W\d]\w*)*")


def sniff(head: bytes, name: str = "", size: int | None = None) -> str:
    """Return one of: safetensors, gguf, zip, 7z, tar, gzip, bzip2, xz, zstd, hdf5, numpy, onnx-or-protobuf,
    tflite, pickle, pickle-text, png, jpeg, pdf, elf, json, text, empty, unknown."""
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
    if is_tflite(head):
        return "tflite"  # FlatBuffer: root table offset, then the file identifier TFL3 at offset 4
    if _is_safetensors(head):
        return "safetensors"
    if head[:1] == _PICKLE_PROTO and len(head) > 1 and 2 <= head[1] <= 5:
        return "pickle"
    stripped = head.lstrip()
    if stripped[:1] in (b"{", b"["):
        return "json"
    if head[0] in _PICKLE_TEXT_OPCODES and _walks_as_pickle(head, size):
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


class _Head(RangeStream):
    """The head as a stream that notes when its reader asks for bytes past the end: the walk ran out of head
    bytes (the walker's first read takes the whole head; any later read or skip is past it)."""

    def __init__(self, head: bytes) -> None:
        super().__init__(BytesSource(head))
        self._len = len(head)
        self.past_end = False

    def read(self, n: int) -> bytes:
        if n > 0 and self.pos >= self._len:
            self.past_end = True
        return super().read(n)

    def skip(self, n: int) -> int:
        got = super().skip(n)
        if got < n:
            self.past_end = True
        return got


def _walks_as_pickle(head: bytes, size: int | None) -> bool:
    """Does ``head`` (a protocol 0/1 candidate) validate as a pickle opcode stream? Only when the walk reaches
    STOP or runs out of head bytes without an opcode error (a counted operand longer than the file, ``size``,
    is an error: ``(The MIT License)`` reads as MARK then a 1.3 GB BINSTRING), and:

    - every GLOBAL/INST operand is a dotted Python name (``pickle.load`` fails on any other before it could
      call anything): a wheel's ``RECORD`` line ``certifi/core.py,sha256=...`` is not a module (the first
      operand's module line is checked also when the head ends inside that operand);
    - the stream is more than GLOBALs (and STOP): lines of plain words (``coverage\npytest\n`` in a
      requirements file, ``cache\nbuild\n.eggs`` in a .gitignore) walk as GLOBALs only."""
    first = head.lstrip(b"(")  # MARKs, then the first GLOBAL/INST's module line (also when cut after it)
    if first[:1] in (b"c", b"i"):
        line, nl, _ = first[1:].partition(b"\n")
        if nl and not _PY_NAME.fullmatch(line.decode("utf-8", "replace")):
            return False
    stream = _Head(head)
    res = walk_stream(stream, size if size is not None else 1 << 62)
    if not (res.complete or stream.past_end):
        return False
    named = [i for i in res.imports if i.opcode in ("GLOBAL", "INST")]
    for i in named:
        if not (i.module and i.name and _PY_NAME.fullmatch(i.module) and _PY_NAME.fullmatch(i.name)):
            return False
    globals_ = sum(1 for i in named if i.opcode == "GLOBAL")
    return res.opcodes - (1 if res.complete else 0) > globals_


def looks_like_json(head: bytes) -> bool:
    try:
        json.loads(head)
    except ValueError:
        return False
    return True
