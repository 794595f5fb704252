"""A streaming pickle opcode walker: resolves every import without ever loading the pickle.

The walker reads opcodes from a :class:`~tierguard.formats.source.Stream`, simulates only what is needed to
resolve imports (a stack of short strings and opaque markers, the memo), skips large arguments without
materialising them, and reports every GLOBAL / INST / STACK_GLOBAL with its byte offset.

size: one opcode table and the walker's hot loop (a buffer-local fast loop for the frequent opcodes plus the
general path) are kept together so that every opcode's handling can be read in one place.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field

from tierguard.formats.source import Stream

MAX_STR = 512  # strings longer than this are kept as opaque values
MAX_LINE = 64 * 1024
MAX_MEMO = 500_000
MEMO_STR_BUDGET = 16 * 1024 * 1024  # characters of memoized strings kept per stream


class _Opaque:
    __slots__ = ()


class _Mark:
    __slots__ = ()


OPAQUE = _Opaque()
MARK = _Mark()


@dataclass(frozen=True, slots=True)
class _Global:
    module: str
    name: str


@dataclass(frozen=True, slots=True)
class _DType:
    descr: str


class _JoblibWrapper:
    """A joblib NumpyArrayWrapper instance: after its BUILD, joblib writes the raw array bytes (or, for
    object arrays, a nested pickle) directly into the file, outside the opcode stream."""

    __slots__ = ()


_JOBLIB_WRAPPER = ("joblib.numpy_pickle", "NumpyArrayWrapper")
_SMALL = 64  # tuples/dicts larger than this are kept opaque
_DTYPE = re.compile(r"^[<>|=]?([a-zA-Z])(\d*)$")
_KIND_SIZE = {"b": 1, "B": 1, "?": 1, "h": 2, "H": 2, "e": 2, "i": 4, "I": 4, "l": 8, "L": 8, "q": 8, "Q": 8,
              "f": 4, "d": 8, "g": 16, "F": 8, "D": 16, "G": 32}  # fmt: skip


def _itemsize(descr: str) -> int | None:
    m = _DTYPE.match(descr)
    if m is None:
        return None
    kind, digits = m.group(1), m.group(2)
    if digits:
        n = int(digits)
        return n * 4 if kind == "U" else n
    return _KIND_SIZE.get(kind)


@dataclass(frozen=True, slots=True)
class Unresolved:
    why: str


@dataclass(slots=True)
class ImportRef:
    module: str | None
    name: str | None
    offset: int
    opcode: str
    why: str = ""  # set when unresolved


@dataclass(slots=True)
class StreamResult:
    start: int
    end: int
    protocol: int = 0
    imports: list[ImportRef] = field(default_factory=list)
    complete: bool = False  # reached STOP
    error: str = ""
    error_offset: int = -1
    frame_issues: list[tuple[int, str]] = field(default_factory=list)
    opcodes: int = 0


# opcode byte -> (name, arg kind). arg kinds: "" none, "u1","u2","i4","u4","u8","f8" fixed,
# "line", "2line", "c1","c4","cu4","c8" counted (c4 signed), "strline"
_OPS: dict[int, tuple[str, str]] = {
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
_FIXED = {"u1": 1, "u2": 2, "i4": 4, "u4": 4, "u8": 8, "f8": 8}
_COUNT_WIDTH = {"c1": 1, "c4": 4, "cu4": 4, "c8": 8}
_STRING_OPS = frozenset({"STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE",
                         "SHORT_BINUNICODE", "BINUNICODE8"})  # fmt: skip
_PUSH_ONE = frozenset({"INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "NONE", "NEWTRUE",
                       "NEWFALSE", "FLOAT", "BINFLOAT", "BINBYTES", "SHORT_BINBYTES", "BINBYTES8",
                       "BYTEARRAY8", "EMPTY_LIST", "EMPTY_DICT", "EMPTY_TUPLE", "EMPTY_SET", "PERSID",
                       "EXT1", "EXT2", "EXT4", "NEXT_BUFFER"})  # fmt: skip


# Hot-loop categories: opcodes whose whole effect is decided right after reading them.
(_C_OTHER, _C_PUSH_ARG, _C_PUSH_OPAQUE, _C_MARK, _C_MEMO_PUT, _C_MEMO_GET, _C_MEMOIZE, _C_TUPLE1, _C_TUPLE,
 _C_EMPTY_TUPLE, _C_BINPERSID, _C_GLOBAL, _C_REDUCE, _C_USTR) = range(14)  # fmt: skip
_HOT_NAMES = {"TUPLE1": _C_TUPLE1, "TUPLE": _C_TUPLE, "EMPTY_TUPLE": _C_EMPTY_TUPLE,
              "BINPERSID": _C_BINPERSID, "GLOBAL": _C_GLOBAL, "REDUCE": _C_REDUCE, "BINUNICODE": _C_USTR,
              "SHORT_BINUNICODE": _C_USTR, "BINUNICODE8": _C_USTR}  # fmt: skip
_NUMPY_DTYPE_MODULES = ("numpy", "numpy.core.multiarray", "numpy._core.multiarray")


def _category(name: str) -> int:
    if name in _HOT_NAMES:
        return _HOT_NAMES[name]
    if name in ("BININT1", "BININT2", "BININT"):
        return _C_PUSH_ARG
    if name in ("BINPUT", "LONG_BINPUT"):
        return _C_MEMO_PUT
    if name in ("BINGET", "LONG_BINGET"):
        return _C_MEMO_GET
    if name == "MARK":
        return _C_MARK
    if name == "MEMOIZE":
        return _C_MEMOIZE
    if name in ("NONE", "NEWTRUE", "NEWFALSE", "EMPTY_LIST", "EMPTY_SET", "NEXT_BUFFER"):
        return _C_PUSH_OPAQUE
    return _C_OTHER


# opcode byte -> (name, arg kind, fixed operand width or 0, hot-loop category); None: unknown opcode
_OPS_BY_BYTE: list[tuple[str, str, int, int] | None] = [
    (op[0], op[1], _FIXED.get(op[1], 0), _category(op[0])) if (op := _OPS.get(b)) is not None else None
    for b in range(256)
]


# Fast-loop categories (walk_stream's inner loop); 0: handled by the general path only.
(_F_NONE, _F_MEMO_PUT1, _F_USTR, _F_MARK, _F_GLOBAL, _F_TUPLE, _F_POP_MARK_ONLY, _F_BINPERSID, _F_BININT1,
 _F_BININT, _F_BININT2, _F_TUPLE1, _F_TUPLE2, _F_TUPLE3, _F_OPAQUE, _F_EMPTY_TUPLE, _F_EMPTY_DICT, _F_REDUCE,
 _F_MEMO_GET1, _F_MEMO_PUT4, _F_MEMO_GET4, _F_MEMOIZE, _F_STACK_GLOBAL, _F_APPEND, _F_BINFLOAT,
 _F_SHORT_BINBYTES) = range(26)  # fmt: skip
_FAST_BY_NAME = {
    "BINPUT": _F_MEMO_PUT1, "BINUNICODE": _F_USTR, "SHORT_BINUNICODE": _F_USTR, "BINUNICODE8": _F_USTR,
    "MARK": _F_MARK, "GLOBAL": _F_GLOBAL, "TUPLE": _F_TUPLE, "APPENDS": _F_POP_MARK_ONLY,
    "BINPERSID": _F_BINPERSID, "BININT1": _F_BININT1, "BININT": _F_BININT, "BININT2": _F_BININT2,
    "TUPLE1": _F_TUPLE1, "TUPLE2": _F_TUPLE2, "TUPLE3": _F_TUPLE3, "NONE": _F_OPAQUE, "NEWTRUE": _F_OPAQUE,
    "NEWFALSE": _F_OPAQUE, "EMPTY_LIST": _F_OPAQUE, "EMPTY_SET": _F_OPAQUE, "NEXT_BUFFER": _F_OPAQUE,
    "EMPTY_TUPLE": _F_EMPTY_TUPLE, "EMPTY_DICT": _F_EMPTY_DICT, "REDUCE": _F_REDUCE, "BINGET": _F_MEMO_GET1,
    "LONG_BINPUT": _F_MEMO_PUT4, "LONG_BINGET": _F_MEMO_GET4, "MEMOIZE": _F_MEMOIZE,
    "STACK_GLOBAL": _F_STACK_GLOBAL, "APPEND": _F_APPEND, "BINFLOAT": _F_BINFLOAT,
    "SHORT_BINBYTES": _F_SHORT_BINBYTES,
}  # fmt: skip
_FAST: list[int] = [
    _FAST_BY_NAME.get(op[0], _F_NONE) if (op := _OPS.get(b)) is not None else _F_NONE for b in range(256)
]
_USTR_WIDTH = {0x58: 4, 0x8C: 1, 0x8D: 8}  # BINUNICODE, SHORT_BINUNICODE, BINUNICODE8: length field bytes
_MEMO_PUT_LEN = {_F_MEMO_PUT1: 2, _F_MEMO_PUT4: 5, _F_MEMOIZE: 1}  # opcode + operand bytes
_MEMO_KEEP = frozenset({_Global, _DType, int, Unresolved})  # memo keeps these as they are (_memo_value)
_U16 = struct.Struct("<H").unpack_from
_U32 = struct.Struct("<I").unpack_from
_I32 = struct.Struct("<i").unpack_from
# GLOBAL/INST operands: two lines, each ending at the first newline within MAX_LINE bytes (as _Reader.line)
_GLOBAL_ARGS = re.compile(rb"([^\n]{0,%d})\n([^\n]{0,%d})\n" % (MAX_LINE - 1, MAX_LINE - 1))


_READ_AHEAD = 1 << 16  # bytes the walker's window asks its stream for at a time


class _Truncated(Exception):
    pass


class _Corrupt(Exception):
    pass


class _Reader:
    """A local window over a Stream for the hot loop; ``finish`` gives unconsumed bytes back."""

    __slots__ = ("s", "buf", "i", "base")

    def __init__(self, s: Stream) -> None:
        self.s = s
        self.base = s.pos  # absolute offset of buf[0]
        self.buf = b""
        self.i = 0

    @property
    def pos(self) -> int:
        return self.base + self.i

    def _refill(self, n: int) -> None:
        rest = self.buf[self.i :]
        self.base += self.i
        more = self.s.read(max(n - len(rest), _READ_AHEAD))
        self.buf = rest + more
        self.i = 0

    def byte(self) -> int:
        if self.i >= len(self.buf):
            self._refill(1)
            if not self.buf:
                raise _Truncated("end of data before STOP")
        b = self.buf[self.i]
        self.i += 1
        return b

    def take(self, n: int) -> bytes:
        if self.i + n > len(self.buf):
            self._refill(n)
            if n > len(self.buf):
                raise _Truncated(f"truncated: needed {n} bytes, {len(self.buf)} remain")
        out = self.buf[self.i : self.i + n]
        self.i += n
        return out

    def skip(self, n: int) -> bool:
        avail = len(self.buf) - self.i
        if n <= avail:
            self.i += n
            return True
        self.base += len(self.buf)
        self.buf = b""
        self.i = 0
        got = self.s.skip(n - avail)
        self.base += got
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


def _exact(r: _Reader, n: int) -> bytes:
    return r.take(n)


def _decode_str(raw: bytes, opname: str) -> object:
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


_NAME = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")


def _name_arg(raw: bytes, opname: str) -> str:
    """A GLOBAL/INST operand: must be UTF-8 (pickle decodes it so); odd names are kept, invalid bytes fail."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _Corrupt(f"{opname}: operand is not UTF-8") from None
    # a printable name has no control characters: only other names need the closer look
    if not text or (not text.isprintable() and not _NAME.match(text) and any(ord(c) < 0x20 for c in text)):
        raise _Corrupt(f"{opname}: invalid operand {text[:40]!r}")
    return text


def walk_stream(s: Stream, total_size: int) -> StreamResult:
    """Walk one pickle (until STOP) from the stream's current position. Never raises on bad input.

    size: the hot loop (fast path on the buffer with local state, general path for refills and rare opcodes)
    is one function on purpose: splitting it costs a call per opcode."""
    res = StreamResult(start=s.pos, end=s.pos)
    stack: list[object] = []
    memo: dict[int, object] = {}
    budget = [MEMO_STR_BUDGET]
    frame_end = -1
    frame_start = -1

    def pop() -> object:
        if not stack:
            return Unresolved("stack underflow")
        return stack.pop()

    def pop_mark() -> list[object]:
        items: list[object] = []
        while stack:
            v = stack.pop()
            if v is MARK:
                return items
            items.append(v)
        items.append(Unresolved("missing MARK"))
        return items

    r = _Reader(s)
    opcodes = 0
    push = stack.append
    fast = _FAST
    imports = res.imports
    globals_seen: dict[bytes, _Global] = {}  # GLOBAL operand bytes -> the (validated) global
    global_args = _GLOBAL_ARGS.match
    try:
        while True:
            # Fast loop: the frequent opcodes, decoded straight from the reader's buffer with local state.
            # An opcode is handled here only when it and its operands are already buffered and nothing can
            # go wrong; everything else (buffer refills, errors, rare opcodes) breaks out to the general
            # path below with the reader positioned on that opcode. Effects are the general path's.
            buf = r.buf
            i = r.i
            nb = len(buf)
            base = r.base
            while True:
                if frame_end >= 0:  # every opcode is checked once, here, against the current FRAME
                    off = base + i
                    if off > frame_end:
                        res.frame_issues.append(
                            (frame_start, f"opcode at {off} crosses the FRAME ending at {frame_end}")
                        )
                        frame_end = -1
                    elif off == frame_end:
                        frame_end = -1
                if i >= nb:
                    break
                c = fast[buf[i]]
                # (ordered by how often the opcodes occur in framework pickles)
                if c == _F_MEMO_PUT1:
                    if i + 2 > nb:
                        break
                    mkey = buf[i + 1]
                elif c == _F_USTR:
                    w = _USTR_WIDTH[buf[i]]
                    j = i + 1 + w
                    if j > nb:
                        break
                    n = _U32(buf, i + 1)[0] if w == 4 else int.from_bytes(buf[i + 1 : j], "little")
                    if n > MAX_STR or j + n > nb or n > total_size:
                        break
                    try:
                        push(buf[j : j + n].decode("utf-8", "surrogatepass"))
                    except UnicodeDecodeError:
                        push(OPAQUE)
                    i = j + n
                    opcodes += 1
                    continue
                elif c == _F_MARK:
                    push(MARK)
                    i += 1
                    opcodes += 1
                    continue
                elif c in (_F_TUPLE, _F_POP_MARK_ONLY):
                    mk = len(stack) - 1
                    while mk >= 0 and stack[mk] is not MARK:
                        mk -= 1
                    if mk < 0:
                        break  # missing MARK: the general path records it
                    if c == _F_TUPLE:
                        items = stack[mk + 1 :]
                        del stack[mk:]
                        push(tuple(items) if len(items) <= _SMALL else OPAQUE)
                    else:
                        del stack[mk:]
                    i += 1
                    opcodes += 1
                    continue
                elif c == _F_BININT1:
                    if i + 2 > nb:
                        break
                    push(buf[i + 1])
                    i += 2
                    opcodes += 1
                    continue
                elif c == _F_MEMO_GET1:
                    if i + 2 > nb:
                        break
                    mkey = buf[i + 1]
                    v = memo.get(mkey)
                    push(Unresolved(f"invalid memo key {mkey}") if v is None else v)
                    i += 2
                    opcodes += 1
                    continue
                elif c == _F_REDUCE:
                    if len(stack) < 2:
                        break
                    args = stack.pop()
                    fn = stack.pop()
                    if (
                        type(fn) is _Global
                        and fn.name == "dtype"
                        and fn.module in _NUMPY_DTYPE_MODULES
                        and type(args) is tuple
                        and args
                        and type(args[0]) is str
                    ):
                        push(_DType(args[0]))
                    else:
                        push(OPAQUE)
                    i += 1
                    opcodes += 1
                    continue
                elif c == _F_TUPLE1:
                    if not stack:
                        break
                    push((stack.pop(),))
                    i += 1
                    opcodes += 1
                    continue
                elif c == _F_BININT:
                    if i + 5 > nb:
                        break
                    push(_I32(buf, i + 1)[0])
                    i += 5
                    opcodes += 1
                    continue
                elif c == _F_GLOBAL:
                    gm = global_args(buf, i + 1)  # both lines, each within MAX_LINE, as the general path
                    if gm is None:
                        break
                    operand = gm.group()
                    g = globals_seen.get(operand)
                    if g is None:
                        try:
                            g = _Global(_name_arg(gm.group(1), "GLOBAL"), _name_arg(gm.group(2), "GLOBAL"))
                        except _Corrupt:
                            break  # the general path reports it
                        globals_seen[operand] = g
                    imports.append(ImportRef(g.module, g.name, base + i, "GLOBAL"))
                    push(g)
                    i = gm.end()
                    opcodes += 1
                    continue
                elif c == _F_MEMO_PUT4:
                    if i + 5 > nb:
                        break
                    mkey = _U32(buf, i + 1)[0]
                elif c == _F_MEMO_GET4:
                    if i + 5 > nb:
                        break
                    mkey = _U32(buf, i + 1)[0]
                    v = memo.get(mkey)
                    push(Unresolved(f"invalid memo key {mkey}") if v is None else v)
                    i += 5
                    opcodes += 1
                    continue
                elif c == _F_BINPERSID:
                    if stack:
                        stack.pop()
                    push(OPAQUE)
                    i += 1
                    opcodes += 1
                    continue
                elif c == _F_OPAQUE:
                    push(OPAQUE)
                    i += 1
                    opcodes += 1
                    continue
                elif c == _F_EMPTY_TUPLE:
                    push(())
                    i += 1
                    opcodes += 1
                    continue
                elif c == _F_TUPLE2:
                    if len(stack) < 2:
                        break
                    b2 = stack.pop()
                    push((stack.pop(), b2))
                    i += 1
                    opcodes += 1
                    continue
                elif c == _F_BININT2:
                    if i + 3 > nb:
                        break
                    push(_U16(buf, i + 1)[0])
                    i += 3
                    opcodes += 1
                    continue
                elif c == _F_MEMOIZE:
                    mkey = len(memo)
                elif c == _F_STACK_GLOBAL:
                    if len(stack) < 2:
                        break
                    nm_v = stack[-1]
                    mod_v = stack[-2]
                    if type(nm_v) is not str or type(mod_v) is not str:
                        break
                    del stack[-2:]
                    imports.append(ImportRef(mod_v, nm_v, base + i, "STACK_GLOBAL"))
                    push(_Global(mod_v, nm_v))
                    i += 1
                    opcodes += 1
                    continue
                elif c == _F_TUPLE3:
                    if len(stack) < 3:
                        break
                    c3 = stack.pop()
                    b3 = stack.pop()
                    push((stack.pop(), b3, c3))
                    i += 1
                    opcodes += 1
                    continue
                elif c == _F_EMPTY_DICT:
                    push({})
                    i += 1
                    opcodes += 1
                    continue
                elif c == _F_APPEND:
                    if not stack:
                        break
                    stack.pop()
                    i += 1
                    opcodes += 1
                    continue
                elif c == _F_BINFLOAT:
                    if i + 9 > nb:
                        break
                    push(OPAQUE)
                    i += 9
                    opcodes += 1
                    continue
                elif c == _F_SHORT_BINBYTES:
                    if i + 2 > nb:
                        break
                    n = buf[i + 1]
                    if i + 2 + n > nb or n > total_size:
                        break
                    push(OPAQUE)
                    i += 2 + n
                    opcodes += 1
                    continue
                else:
                    break
                # memo stores (BINPUT, LONG_BINPUT, MEMOIZE): ``mkey`` is set; same as _memo_value
                if len(memo) < MAX_MEMO:
                    if stack:
                        v = stack[-1]
                        tv = type(v)
                        if tv is str:
                            if budget[0] < len(v):  # type: ignore[arg-type]
                                v = Unresolved("memo string budget exhausted")
                            else:
                                budget[0] -= len(v)  # type: ignore[arg-type]
                        elif tv not in _MEMO_KEEP:
                            v = OPAQUE
                    else:
                        v = Unresolved("memoized an empty stack")
                    memo[mkey] = v
                i += _MEMO_PUT_LEN[c]
                opcodes += 1
            # general path: one opcode through the reader (refills, rare opcodes, errors)
            r.i = i
            off = base + i
            code = r.byte()
            op = _OPS_BY_BYTE[code]
            if op is None:
                raise _Corrupt(f"unknown opcode 0x{code:02x}")
            name, kind, width, cat = op
            opcodes += 1
            arg: object = None
            if width:  # fixed-width operand
                i = r.i
                if i + width <= len(r.buf):
                    raw = r.buf[i : i + width]
                    r.i = i + width
                else:
                    raw = r.take(width)
                if kind != "f8":
                    ival = int.from_bytes(raw, "little", signed=kind == "i4")
                    arg = ival
                    if cat == _C_PUSH_ARG:
                        stack.append(ival)
                        continue
                    if cat == _C_MEMO_PUT:
                        if len(memo) < MAX_MEMO:
                            memo[ival] = _memo_value(stack, budget)
                        continue
                    if cat == _C_MEMO_GET:
                        stack.append(memo.get(ival, Unresolved(f"invalid memo key {ival}")))
                        continue
            elif not kind:
                if cat == _C_MARK:
                    stack.append(MARK)
                    continue
                if cat == _C_PUSH_OPAQUE:
                    stack.append(OPAQUE)
                    continue
                if cat == _C_MEMOIZE:
                    if len(memo) < MAX_MEMO:
                        memo[len(memo)] = _memo_value(stack, budget)
                    continue
                # the frequent structure opcodes, inline (same effects as in the chain below)
                if cat == _C_TUPLE1:
                    stack.append((stack.pop() if stack else Unresolved("stack underflow"),))
                    continue
                if cat == _C_TUPLE:
                    items = pop_mark()
                    stack.append(tuple(items[::-1]) if len(items) <= _SMALL else OPAQUE)
                    continue
                if cat == _C_EMPTY_TUPLE:
                    stack.append(())
                    continue
                if cat == _C_REDUCE:
                    args = stack.pop() if stack else Unresolved("stack underflow")
                    fn = stack.pop() if stack else Unresolved("stack underflow")
                    if (
                        isinstance(fn, _Global)
                        and fn.name == "dtype"
                        and fn.module in _NUMPY_DTYPE_MODULES
                        and isinstance(args, tuple)
                        and args
                        and isinstance(args[0], str)
                    ):
                        stack.append(_DType(args[0]))
                    else:
                        stack.append(OPAQUE)
                    continue
                if cat == _C_BINPERSID:
                    if stack:
                        stack.pop()
                    stack.append(OPAQUE)
                    continue
            elif kind == "line":
                line = r.line(MAX_LINE)
                if line is None:
                    raise _Truncated(f"{name}: unterminated line argument")
                arg = _decode_str(line, name) if name in _STRING_OPS else line
            elif kind == "2line":
                buf = r.buf
                i = r.i
                j = buf.find(b"\n", i, i + MAX_LINE)
                j2 = buf.find(b"\n", j + 1, j + 1 + MAX_LINE) if j >= 0 else -1
                if j2 >= 0:  # both lines already buffered (the usual case)
                    l1: bytes | None = buf[i:j]
                    l2: bytes | None = buf[j + 1 : j2]
                    r.i = j2 + 1
                else:
                    l1 = r.line(MAX_LINE)
                    l2 = r.line(MAX_LINE) if l1 is not None else None
                if l1 is None or l2 is None:
                    raise _Truncated(f"{name}: unterminated line argument")
                arg = (_name_arg(l1, name), _name_arg(l2, name))
                if cat == _C_GLOBAL:
                    res.imports.append(ImportRef(arg[0], arg[1], off, name))
                    stack.append(_Global(arg[0], arg[1]))
                    continue
            elif kind:
                width = _COUNT_WIDTH[kind]
                i = r.i
                if i + width <= len(r.buf):
                    raw = r.buf[i : i + width]
                    r.i = i + width
                else:
                    raw = r.take(width)
                n = int.from_bytes(raw, "little", signed=(kind == "c4"))
                if n < 0:
                    raise _Corrupt(f"{name}: negative length {n}")
                if n > total_size:
                    raise _Truncated(f"{name}: length {n} exceeds the data size {total_size}")
                if cat == _C_USTR and n <= MAX_STR:  # BINUNICODE*: UTF-8 text (as _decode_str)
                    i = r.i
                    if i + n <= len(r.buf):
                        raw = r.buf[i : i + n]
                        r.i = i + n
                    else:
                        raw = r.take(n)
                    try:
                        stack.append(raw.decode("utf-8", "surrogatepass"))
                    except UnicodeDecodeError:
                        stack.append(OPAQUE)
                    continue
                if name in _STRING_OPS and n <= MAX_STR:
                    stack.append(_decode_str(r.take(n), name))
                    continue
                else:
                    if not r.skip(n):
                        raise _Truncated(f"{name}: truncated {n}-byte argument")
                    arg = OPAQUE

            # stack effects; the frequent ones first
            if name in _PUSH_ONE:
                if name in ("BININT1", "BININT2", "BININT"):
                    stack.append(arg)
                elif name == "EMPTY_TUPLE":
                    stack.append(())
                elif name == "EMPTY_DICT":
                    stack.append({})
                else:
                    stack.append(OPAQUE)
                continue
            if name in _STRING_OPS:
                stack.append(arg)
                continue
            if name == "MARK":
                stack.append(MARK)
                continue
            if name == "BINPUT" or name == "MEMOIZE":
                key = len(memo) if name == "MEMOIZE" else arg
                if isinstance(key, int) and len(memo) < MAX_MEMO:
                    memo[key] = _memo_value(stack, budget)
                continue
            if name == "BINGET":
                assert isinstance(arg, int)
                stack.append(memo.get(arg, Unresolved(f"invalid memo key {arg}")))
                continue
            if name == "TUPLE":
                items = pop_mark()
                stack.append(tuple(items[::-1]) if len(items) <= _SMALL else OPAQUE)
            elif name in ("LIST", "DICT", "FROZENSET", "OBJ"):
                pop_mark()
                stack.append(OPAQUE)
            elif name == "TUPLE1":
                stack.append((pop(),))
            elif name == "TUPLE2":
                b2 = pop()
                stack.append((pop(), b2))
            elif name == "TUPLE3":
                c3 = pop()
                b3 = pop()
                stack.append((pop(), b3, c3))
            elif name in ("REDUCE", "NEWOBJ"):
                args = pop()
                fn = pop()
                if isinstance(fn, _Global) and (fn.module, fn.name) == _JOBLIB_WRAPPER and name == "NEWOBJ":
                    stack.append(_JoblibWrapper())
                elif (
                    isinstance(fn, _Global)
                    and fn.name == "dtype"
                    and fn.module in _NUMPY_DTYPE_MODULES
                    and isinstance(args, tuple)
                    and args
                    and isinstance(args[0], str)
                ):
                    stack.append(_DType(args[0]))
                else:
                    stack.append(OPAQUE)
            elif name == "PROTO":
                assert isinstance(arg, int)
                res.protocol = arg
                if arg > 5:
                    raise _Corrupt(f"unsupported pickle protocol {arg}")
            elif name == "FRAME":
                assert isinstance(arg, int)
                if arg > total_size:
                    res.frame_issues.append((off, f"FRAME length {arg} exceeds the data size"))
                else:
                    if frame_end >= 0 and r.pos != frame_end:
                        res.frame_issues.append((off, "FRAME starts inside the previous frame"))
                    frame_start = off
                    frame_end = r.pos + arg
            elif name == "STOP":
                pop()
                res.complete = True
                if frame_end >= 0 and r.pos != frame_end:
                    res.frame_issues.append(
                        (frame_start, f"stream ends at {r.pos}, FRAME announced {frame_end}")
                    )
                break
            elif name == "MARK":
                stack.append(MARK)
            elif name in _STRING_OPS:
                stack.append(arg)
            elif name in _PUSH_ONE:
                stack.append(OPAQUE)
            elif name in ("GLOBAL", "INST"):
                assert isinstance(arg, tuple)
                mod, nm = arg
                res.imports.append(ImportRef(mod, nm, off, name))
                if name == "INST":
                    pop_mark()
                    stack.append(OPAQUE)
                else:
                    stack.append(_Global(mod, nm))
            elif name == "STACK_GLOBAL":
                nm_v = pop()
                mod_v = pop()
                if isinstance(mod_v, str) and isinstance(nm_v, str):
                    res.imports.append(ImportRef(mod_v, nm_v, off, name))
                else:
                    why = next(
                        (v.why for v in (mod_v, nm_v) if isinstance(v, Unresolved)), "operand is not a string"
                    )
                    res.imports.append(
                        ImportRef(
                            mod_v if isinstance(mod_v, str) else None,
                            nm_v if isinstance(nm_v, str) else None,
                            off,
                            name,
                            why=why,
                        )
                    )
                    stack.append(OPAQUE)
                    continue
                stack.append(_Global(mod_v, nm_v))
            elif name in ("PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"):
                if name == "PUT":
                    assert isinstance(arg, bytes)
                    try:
                        key = int(arg)
                    except ValueError:
                        raise _Corrupt(f"PUT: invalid memo key {arg[:20]!r}") from None
                elif name == "MEMOIZE":
                    key = len(memo)
                else:
                    assert isinstance(arg, int)
                    key = arg
                if len(memo) < MAX_MEMO:
                    memo[key] = _memo_value(stack, budget)
            elif name in ("GET", "BINGET", "LONG_BINGET"):
                if name == "GET":
                    assert isinstance(arg, bytes)
                    try:
                        gkey = int(arg)
                    except ValueError:
                        gkey = -1
                else:
                    assert isinstance(arg, int)
                    gkey = arg
                stack.append(memo.get(gkey, Unresolved(f"invalid memo key {gkey}")))
            elif name == "POP":
                pop()
            elif name == "POP_MARK":
                pop_mark()
            elif name == "DUP":
                stack.append(stack[-1] if stack else Unresolved("stack underflow"))
            elif name == "APPEND":
                pop()
            elif name == "SETITEM":
                val = pop()
                k = pop()
                if stack and isinstance(stack[-1], dict) and isinstance(k, str) and len(stack[-1]) < _SMALL:
                    stack[-1][k] = val
            elif name == "SETITEMS":
                items = pop_mark()[::-1]
                if stack and isinstance(stack[-1], dict):
                    d = stack[-1]
                    for i in range(0, len(items) - 1, 2):
                        if isinstance(items[i], str) and len(d) < _SMALL:
                            d[items[i]] = items[i + 1]
            elif name in ("APPENDS", "ADDITEMS"):
                pop_mark()
            elif name == "NEWOBJ_EX":
                pop()
                pop()
                pop()
                stack.append(OPAQUE)
            elif name == "BUILD":
                state = pop()
                if stack and isinstance(stack[-1], _JoblibWrapper):
                    if frame_end >= 0 and r.pos != frame_end:
                        res.frame_issues.append((frame_start, f"joblib array data at {r.pos} inside a FRAME"))
                    frame_end = -1  # joblib writes array data outside frames
                    nested = _joblib_array(r, state, total_size)
                    if nested:
                        r.finish()
                        sub = walk_stream(s, total_size)
                        res.imports.extend(sub.imports)
                        res.opcodes += sub.opcodes
                        if not sub.complete:
                            raise _Corrupt(f"joblib object array pickle: {sub.error}")
                        r = _Reader(s)
            elif name == "BINPERSID":
                pop()
                stack.append(OPAQUE)
            # READONLY_BUFFER: no effect
    except _Truncated as exc:
        res.error = str(exc)
        res.error_offset = r.pos
    except _Corrupt as exc:
        res.error = str(exc)
        res.error_offset = r.pos - 1
    res.opcodes += opcodes
    r.finish()
    res.end = s.pos
    return res


def _memo_value(stack: list[object], budget: list[int]) -> object:
    """What the memo keeps: strings (within a budget), globals, dtypes, ints, Unresolved; else opaque."""
    if not stack:
        return Unresolved("memoized an empty stack")
    v = stack[-1]
    if isinstance(v, str):
        if budget[0] < len(v):
            return Unresolved("memo string budget exhausted")
        budget[0] -= len(v)
        return v
    if isinstance(v, (_Global, _DType, int, Unresolved)):
        return v
    return OPAQUE


def _joblib_array(r: _Reader, state: object, total_size: int) -> bool:
    """Skip the raw array joblib wrote after a NumpyArrayWrapper BUILD. True when a nested pickle (object
    dtype) follows instead. Raises _Corrupt/_Truncated when the size cannot be known or is out of bounds."""
    if not isinstance(state, dict):
        raise _Corrupt("joblib NumpyArrayWrapper state is not readable; raw array data cannot be skipped")
    dtype = state.get("dtype")
    shape = state.get("shape")
    static = isinstance(shape, tuple) and all(isinstance(x, int) for x in shape)
    if not isinstance(dtype, _DType) or not isinstance(shape, tuple) or not static:
        raise _Corrupt("joblib NumpyArrayWrapper without a static shape/dtype: raw array data not skippable")
    if dtype.descr.lstrip("<>|=").startswith("O"):
        return True
    size = _itemsize(dtype.descr)
    if size is None:
        raise _Corrupt(f"joblib array dtype {dtype.descr!r} not understood")
    count = 1
    for x in shape:
        count *= max(0, int(x))
        if count * size > total_size:
            raise _Truncated("joblib array size exceeds the data size")
    if state.get("numpy_array_alignment_bytes") is not None:
        pad = r.byte()
        if pad and not r.skip(pad):
            raise _Truncated("joblib alignment padding truncated")
    if not r.skip(count * size):
        raise _Truncated(f"joblib array data truncated ({count * size} bytes expected)")
    return False


def looks_like_pickle_start(head: bytes) -> bool:
    """A cheap check whether ``head`` could start a pickle (PROTO 2..5, or a protocol 0/1 first opcode)."""
    if not head:
        return False
    if head[0] == 0x80:
        return len(head) > 1 and 2 <= head[1] <= 5
    return head[0] in b"(cl]}NIFSVLd)KJMXUTCBqhpg" and head[0] in _OPS
