"""The pickle walker's tables and value types (used by :mod:`tierguard.formats.pickle` only).

- the opcode table (byte -> name and operand kind) and the opcode groups the walker's general path
  dispatches on, where each opcode's effect is written once;
- the fast loop's categories (the frequent opcodes it decodes straight from its buffer);
- the values the walker's simulated stack holds (opaque values, marks, globals, numpy dtypes, unresolved);
- operand decoding (strings, GLOBAL/INST names) and the two errors that end a walk.

Nothing here reads a file; no value is ever constructed from the pickle beyond short strings and ints.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from tierguard.formats.source import Stream

MAX_STR = 512  # strings longer than this are kept as opaque values
MAX_LINE = 64 * 1024


class Opaque:
    __slots__ = ()


class Mark:
    __slots__ = ()


OPAQUE = Opaque()
MARK = Mark()


@dataclass(frozen=True, slots=True)
class Global:
    module: str
    name: str


@dataclass(frozen=True, slots=True)
class DType:
    descr: str


class JoblibWrapper:
    """A joblib NumpyArrayWrapper instance: after its BUILD, joblib writes the raw array bytes (or, for
    object arrays, a nested pickle) directly into the file, outside the opcode stream."""

    __slots__ = ()


JOBLIB_WRAPPER = ("joblib.numpy_pickle", "NumpyArrayWrapper")
SMALL = 64  # tuples/dicts larger than this are kept opaque
DTYPE = re.compile(r"^[<>|=]?([a-zA-Z])(\d*)$")
KIND_SIZE = {"b": 1, "B": 1, "?": 1, "h": 2, "H": 2, "e": 2, "i": 4, "I": 4, "l": 8, "L": 8, "q": 8, "Q": 8,
              "f": 4, "d": 8, "g": 16, "F": 8, "D": 16, "G": 32}  # fmt: skip


def itemsize(descr: str) -> int | None:
    m = DTYPE.match(descr)
    if m is None:
        return None
    kind, digits = m.group(1), m.group(2)
    if digits:
        n = int(digits)
        return n * 4 if kind == "U" else n
    return KIND_SIZE.get(kind)


@dataclass(frozen=True, slots=True)
class Unresolved:
    why: str


# opcode byte -> (name, arg kind). arg kinds: "" none, "u1","u2","i4","u4","u8","f8" fixed,
# "line", "2line", "c1","c4","cu4","c8" counted (c4 signed), "strline"
OPS: dict[int, tuple[str, str]] = {
    0x28: ("MARK", ""), 0x2E: ("STOP", ""), 0x30: ("POP", ""), 0x31: ("POP_MARK", ""), 0x32: ("DUP", ""),
    0x46: ("FLOAT", "line"), 0x49: ("INT", "line"), 0x4A: ("BININT", "i4"), 0x4B: ("BININT1", "u1"),
    0x4C: ("LONG", "line"), 0x4D: ("BININT2", "u2"), 0x4E: ("NONE", ""), 0x50: ("PERSID", "line"),
    0x51: ("BINPERSID", ""), 0x52: ("REDUCE", ""), 0x53: ("STRING", "line"), 0x54: ("BINSTRING", "c4"),
    0x55: ("SHORT_BINSTRING", "c1"), 0x56: ("UNICODE", "line"), 0x58: ("BINUNICODE", "cu4"),
    0x61: ("APPEND", ""), 0x62: ("BUILD", ""), 0x63: ("GLOBAL", "2line"), 0x64: ("DICT", ""),
    0x7D: ("EMPTY_DICT", ""), 0x65: ("APPENDS", ""), 0x67: ("GET", "line"), 0x68: ("BINGET", "u1"),
    0x69: ("INST", "2line"), 0x6A: ("LONG_BINGET", "u4"), 0x6C: ("LIST", ""), 0x5D: ("EMPTY_LIST", ""),
    0x6F: ("OBJ", ""), 0x70: ("PUT", "line"), 0x71: ("BINPUT", "u1"), 0x72: ("LONG_BINPUT", "u4"),
    0x73: ("SETITEM", ""), 0x74: ("TUPLE", ""), 0x29: ("EMPTY_TUPLE", ""), 0x75: ("SETITEMS", ""),
    0x47: ("BINFLOAT", "f8"), 0x80: ("PROTO", "u1"), 0x81: ("NEWOBJ", ""), 0x82: ("EXT1", "u1"),
    0x83: ("EXT2", "u2"), 0x84: ("EXT4", "i4"), 0x85: ("TUPLE1", ""), 0x86: ("TUPLE2", ""),
    0x87: ("TUPLE3", ""), 0x88: ("NEWTRUE", ""), 0x89: ("NEWFALSE", ""), 0x8A: ("LONG1", "c1"),
    0x8B: ("LONG4", "c4"), 0x42: ("BINBYTES", "cu4"), 0x43: ("SHORT_BINBYTES", "c1"),
    0x8C: ("SHORT_BINUNICODE", "c1"), 0x8D: ("BINUNICODE8", "c8"), 0x8E: ("BINBYTES8", "c8"),
    0x8F: ("EMPTY_SET", ""), 0x90: ("ADDITEMS", ""), 0x91: ("FROZENSET", ""), 0x92: ("NEWOBJ_EX", ""),
    0x93: ("STACK_GLOBAL", ""), 0x94: ("MEMOIZE", ""), 0x95: ("FRAME", "u8"), 0x96: ("BYTEARRAY8", "c8"),
    0x97: ("NEXT_BUFFER", ""), 0x98: ("READONLY_BUFFER", ""),
}  # fmt: skip
FIXED = {"u1": 1, "u2": 2, "i4": 4, "u4": 4, "u8": 8, "f8": 8}
COUNT_WIDTH = {"c1": 1, "c4": 4, "cu4": 4, "c8": 8}
STRING_OPS = frozenset({"STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE",
                         "SHORT_BINUNICODE", "BINUNICODE8"})  # fmt: skip
PUSH_INT = frozenset({"BININT", "BININT1", "BININT2"})  # push their (small) integer operand
# push one opaque value
PUSH_ONE = frozenset({"INT", "LONG", "LONG1", "LONG4", "NONE", "NEWTRUE", "NEWFALSE", "FLOAT", "BINFLOAT",
                       "BINBYTES", "SHORT_BINBYTES", "BINBYTES8", "BYTEARRAY8", "EMPTY_LIST", "EMPTY_SET",
                       "PERSID", "EXT1", "EXT2", "EXT4", "NEXT_BUFFER"})  # fmt: skip
MEMO_PUT = frozenset({"BINPUT", "LONG_BINPUT", "MEMOIZE", "PUT"})
MEMO_GET = frozenset({"BINGET", "LONG_BINGET", "GET"})
NUMPY_DTYPE_MODULES = ("numpy", "numpy.core.multiarray", "numpy._core.multiarray")

# opcode byte -> (name, arg kind, fixed operand width or 0); None: unknown opcode
OPS_BY_BYTE: list[tuple[str, str, int] | None] = [
    (op[0], op[1], FIXED.get(op[1], 0)) if (op := OPS.get(b)) is not None else None for b in range(256)
]


# Fast-loop categories (walk_stream's inner loop); 0: handled by the general path only.
(F_NONE, F_MEMO_PUT1, F_USTR, F_MARK, F_GLOBAL, F_TUPLE, F_POP_MARK_ONLY, F_BINPERSID, F_BININT1,
 F_BININT, F_BININT2, F_TUPLE1, F_TUPLE2, F_TUPLE3, F_OPAQUE, F_EMPTY_TUPLE, F_EMPTY_DICT, F_REDUCE,
 F_MEMO_GET1, F_MEMO_PUT4, F_MEMO_GET4, F_MEMOIZE, F_STACK_GLOBAL, F_APPEND, F_BINFLOAT,
 F_SHORT_BINBYTES) = range(26)  # fmt: skip
FAST_BY_NAME = {
    "BINPUT": F_MEMO_PUT1, "BINUNICODE": F_USTR, "SHORT_BINUNICODE": F_USTR, "BINUNICODE8": F_USTR,
    "MARK": F_MARK, "GLOBAL": F_GLOBAL, "TUPLE": F_TUPLE, "APPENDS": F_POP_MARK_ONLY,
    "BINPERSID": F_BINPERSID, "BININT1": F_BININT1, "BININT": F_BININT, "BININT2": F_BININT2,
    "TUPLE1": F_TUPLE1, "TUPLE2": F_TUPLE2, "TUPLE3": F_TUPLE3, "NONE": F_OPAQUE, "NEWTRUE": F_OPAQUE,
    "NEWFALSE": F_OPAQUE, "EMPTY_LIST": F_OPAQUE, "EMPTY_SET": F_OPAQUE, "NEXT_BUFFER": F_OPAQUE,
    "EMPTY_TUPLE": F_EMPTY_TUPLE, "EMPTY_DICT": F_EMPTY_DICT, "REDUCE": F_REDUCE, "BINGET": F_MEMO_GET1,
    "LONG_BINPUT": F_MEMO_PUT4, "LONG_BINGET": F_MEMO_GET4, "MEMOIZE": F_MEMOIZE,
    "STACK_GLOBAL": F_STACK_GLOBAL, "APPEND": F_APPEND, "BINFLOAT": F_BINFLOAT,
    "SHORT_BINBYTES": F_SHORT_BINBYTES,
}  # fmt: skip
FAST: list[int] = [
    FAST_BY_NAME.get(op[0], F_NONE) if (op := OPS.get(b)) is not None else F_NONE for b in range(256)
]
USTR_WIDTH = {0x58: 4, 0x8C: 1, 0x8D: 8}  # BINUNICODE, SHORT_BINUNICODE, BINUNICODE8: length field bytes
MEMO_PUT_LEN = {F_MEMO_PUT1: 2, F_MEMO_PUT4: 5, F_MEMOIZE: 1}  # opcode + operand bytes
MEMO_KEEP = frozenset({Global, DType, int, Unresolved})  # memo keeps these as they are (pickle._memo_value)
U16 = struct.Struct("<H").unpack_from
U32 = struct.Struct("<I").unpack_from
I32 = struct.Struct("<i").unpack_from
# GLOBAL/INST operands: two lines, each ending at the first newline within MAX_LINE bytes (as Reader.line)
GLOBAL_ARGS = re.compile(rb"([^\n]{0,%d})\n([^\n]{0,%d})\n" % (MAX_LINE - 1, MAX_LINE - 1))


class Truncated(Exception):
    pass


class Corrupt(Exception):
    pass


def decode_str(raw: bytes, opname: str) -> object:
    if len(raw) > MAX_STR:
        return OPAQUE
    try:
        if opname in ("STRING",):
            t = raw.strip()
            if len(t) >= 2 and t[:1] == t[-1:] and t[:1] in (b"'", b'"'):
                t = t[1:-1]
            return t.decode("unicode_escape", "replace")
        if opname == "UNICODE":
            return raw.decode("raw_unicode_escape")
        if opname in ("BINSTRING", "SHORT_BINSTRING"):
            return raw.decode("latin-1")
        return raw.decode("utf-8", "surrogatepass")
    except (UnicodeDecodeError, ValueError):
        return OPAQUE


NAME = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")


def name_arg(raw: bytes, opname: str) -> str:
    """A GLOBAL/INST operand: must be UTF-8 (pickle decodes it so); odd names are kept, invalid bytes fail."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Corrupt(f"{opname}: operand is not UTF-8") from None
    # a printable name has no control characters: only other names need the closer look
    if not text or (not text.isprintable() and not NAME.match(text) and any(ord(c) < 0x20 for c in text)):
        raise Corrupt(f"{opname}: invalid operand {text[:40]!r}")
    return text


READ_AHEAD = 1 << 16  # bytes the walker's window asks its stream for at a time


class Reader:
    """A local window over a Stream for the hot loop; ``finish`` gives unconsumed bytes back."""

    __slots__ = ("s", "buf", "i", "base", "skipped")

    def __init__(self, s: Stream) -> None:
        self.s = s
        self.base = s.pos  # absolute offset of buf[0]
        self.buf = b""
        self.i = 0
        self.skipped = 0  # argument bytes passed over with skip() (not read: not charged to a budget)

    def take_skipped(self) -> int:
        """Bytes skipped since the last call."""
        n = self.skipped
        self.skipped = 0
        return n

    @property
    def pos(self) -> int:
        return self.base + self.i

    def _refill(self, n: int) -> None:
        rest = self.buf[self.i :]
        self.base += self.i
        more = self.s.read(max(n - len(rest), READ_AHEAD))
        self.buf = rest + more
        self.i = 0

    def byte(self) -> int:
        if self.i >= len(self.buf):
            self._refill(1)
            if not self.buf:
                raise Truncated("end of data before STOP")
        b = self.buf[self.i]
        self.i += 1
        return b

    def take(self, n: int) -> bytes:
        if self.i + n > len(self.buf):
            self._refill(n)
            if n > len(self.buf):
                raise Truncated(f"truncated: needed {n} bytes, {len(self.buf)} remain")
        out = self.buf[self.i : self.i + n]
        self.i += n
        return out

    def skip(self, n: int) -> bool:
        avail = len(self.buf) - self.i
        if n <= avail:
            self.i += n
            self.skipped += n
            return True
        self.base += len(self.buf)
        self.buf = b""
        self.i = 0
        got = self.s.skip(n - avail)
        self.base += got
        self.skipped += avail + got
        return got == n - avail

    def line(self, limit: int) -> bytes | None:
        """Bytes up to (excluding) the next newline, or None when unterminated within ``limit``."""
        while True:
            j = self.buf.find(b"\n", self.i, self.i + limit)
            if j >= 0:
                out = self.buf[self.i : j]
                self.i = j + 1
                return out
            have = len(self.buf) - self.i
            if have >= limit:
                return None
            before = len(self.buf)
            self._refill(have + 4096)
            if len(self.buf) - self.i <= have and len(self.buf) <= before:
                return None

    def finish(self) -> None:
        rest = self.buf[self.i :]
        if rest:
            self.s.unread(rest)


def joblib_array(r: Reader, state: object, total_size: int) -> bool:
    """Skip the raw array joblib wrote after a NumpyArrayWrapper BUILD. True when a nested pickle (object
    dtype) follows instead. Raises Corrupt/Truncated when the size cannot be known or is out of bounds."""
    if not isinstance(state, dict):
        raise Corrupt("joblib NumpyArrayWrapper state is not readable; raw array data cannot be skipped")
    dtype = state.get("dtype")
    shape = state.get("shape")
    static = isinstance(shape, tuple) and all(isinstance(x, int) for x in shape)
    if not isinstance(dtype, DType) or not isinstance(shape, tuple) or not static:
        raise Corrupt("joblib NumpyArrayWrapper without a static shape/dtype: raw array data not skippable")
    if dtype.descr.lstrip("<>|=").startswith("O"):
        return True
    size = itemsize(dtype.descr)
    if size is None:
        raise Corrupt(f"joblib array dtype {dtype.descr!r} not understood")
    count = 1
    for x in shape:
        count *= max(0, int(x))
        if count * size > total_size:
            raise Truncated("joblib array size exceeds the data size")
    if state.get("numpy_array_alignment_bytes") is not None:
        pad = r.byte()
        if pad and not r.skip(pad):
            raise Truncated("joblib alignment padding truncated")
    if not r.skip(count * size):
        raise Truncated(f"joblib array data truncated ({count * size} bytes expected)")
    return False
