"""A streaming pickle opcode walker: resolves every import without ever loading the pickle.

The walker reads opcodes from a :class:`~tierguard.formats.source.Stream`, simulates only what is needed to
resolve imports (a stack of short strings and opaque markers, the memo), skips large arguments without
materialising them, and reports every GLOBAL / INST / STACK_GLOBAL with its byte offset.

Each opcode's effect is written once, in the general path of :func:`walk_stream`; its fast loop repeats
only the frequent opcodes, decoded straight from its buffer, and defers to the general path for anything
unusual. The opcode table, the opcode groups, the stack values, operand decoding and the read window are
in :mod:`tierguard.formats.pickle_ops`.

size: walk_stream is ~490 of these lines (one function on purpose, see its docstring) and its fast loop's
constants are imported by name, one per line, so that each is a plain global lookup in the hot loop.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from tierguard.formats.pickle_ops import (
    COUNT_WIDTH,
    F_APPEND,
    F_BINFLOAT,
    F_BININT,
    F_BININT1,
    F_BININT2,
    F_BINPERSID,
    F_EMPTY_DICT,
    F_EMPTY_TUPLE,
    F_GLOBAL,
    F_MARK,
    F_MEMO_GET1,
    F_MEMO_GET4,
    F_MEMO_PUT1,
    F_MEMO_PUT4,
    F_MEMOIZE,
    F_OPAQUE,
    F_POP_MARK_ONLY,
    F_REDUCE,
    F_SHORT_BINBYTES,
    F_STACK_GLOBAL,
    F_TUPLE,
    F_TUPLE1,
    F_TUPLE2,
    F_TUPLE3,
    F_USTR,
    FAST,
    GLOBAL_ARGS,
    I32,
    JOBLIB_WRAPPER,
    MARK,
    MAX_LINE,
    MAX_STR,
    MEMO_GET,
    MEMO_KEEP,
    MEMO_PUT,
    MEMO_PUT_LEN,
    NUMPY_DTYPE_MODULES,
    OPAQUE,
    OPS,
    OPS_BY_BYTE,
    PUSH_INT,
    PUSH_ONE,
    SMALL,
    STRING_OPS,
    U16,
    U32,
    USTR_WIDTH,
    Corrupt,
    DType,
    Global,
    JoblibWrapper,
    Reader,
    Truncated,
    Unresolved,
    decode_str,
    joblib_array,
    name_arg,
)
from tierguard.formats.source import Stream

MAX_MEMO = 500_000
MEMO_STR_BUDGET = 16 * 1024 * 1024  # characters of memoized strings kept per stream
MAX_STACK = 1_000_000  # simulated stack depth (a stream of DUP or MARK opcodes must not grow it unbounded)
# Budgets of one artifact's pickle walk (all its streams and members): opcode bytes read (arguments skipped
# unread, such as tensor bytes, do not count) and wall time. Measured walker speed on dense small-opcode
# pickles is ~6-9 MB/s (2 M opcodes/s) on the 2-core reference machine, so the byte budget ends such a walk
# within ~10 s; real checkpoints' pickles are a few MB. Beyond either budget the artifact is incomplete.
MAX_PICKLE_BYTES = 64 * 1024 * 1024
PICKLE_SECONDS = 10.0
BUDGET_CHECK_BYTES = 64 * 1024  # the budget is checked at least this often (the general path's refills)
MAX_MEMO_ERRORS = 16
# calls whose result is a global the walker can name: getattr(<global>, "attr"), import_module("mod"), ...
RESOLVING_CALLS = frozenset({"getattr", "import_module", "__import__", "resolve_name", "locate"})


@dataclass(slots=True)
class WalkBudget:
    """What is left of one artifact's pickle budget; shared by every stream the artifact walks."""

    bytes_left: int = MAX_PICKLE_BYTES
    deadline: float = float("inf")  # a time.monotonic() value
    exhausted: str = ""

    limit: int = MAX_PICKLE_BYTES
    seconds: float = PICKLE_SECONDS

    @classmethod
    def start(cls) -> WalkBudget:
        """A fresh budget of MAX_PICKLE_BYTES and PICKLE_SECONDS (read at call time)."""
        return cls(MAX_PICKLE_BYTES, time.monotonic() + PICKLE_SECONDS, "", MAX_PICKLE_BYTES, PICKLE_SECONDS)

    def charge(self, n: int) -> str:
        """Take ``n`` bytes; the reason when a budget is now exhausted, else ""."""
        self.bytes_left -= n
        if not self.exhausted:
            if self.bytes_left < 0:
                self.exhausted = f"pickle byte budget exhausted ({self.limit} bytes of opcodes read)"
            elif time.monotonic() > self.deadline:
                self.exhausted = f"pickle time budget exhausted ({self.seconds:g} s)"
        return self.exhausted


class BudgetExhausted(Exception):
    pass


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
    memo_errors: list[tuple[int, int]] = field(default_factory=list)  # (offset, key) of GETs never stored
    mutations: list[tuple[int, str]] = field(default_factory=list)  # (offset, global) BUILD applied to
    budget: str = ""  # set when the walk stopped at the artifact's budget (error says so too)


def walk_stream(
    s: Stream, total_size: int, strings: list[str] | None = None, budget: WalkBudget | None = None
) -> StreamResult:
    """Walk one pickle (until STOP) from the stream's current position. Never raises on bad input.
    ``strings``: when given, every string operand the walk decodes (up to MAX_STR characters) is appended
    to it, in stream order (identification takes tensor names from them: :func:`tensor_names`).
    ``budget``: the artifact's byte and time budget, charged as the walk goes; when it runs out the walk
    stops with ``budget`` (and ``error``) set.

    size: the hot loop (fast path on the buffer with local state, general path for refills and rare opcodes)
    is one function on purpose: splitting it costs a call per opcode."""
    res = StreamResult(start=s.pos, end=s.pos)
    stack: list[object] = []
    memo: dict[int, object] = {}
    str_budget = [MEMO_STR_BUDGET]
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

    r = Reader(s)
    charge_at = r.pos  # bytes before this offset (less what the reader skipped) are charged to the budget
    opcodes = 0
    push = stack.append
    fast = FAST
    imports = res.imports
    globals_seen: dict[bytes, Global] = {}  # GLOBAL operand bytes -> the (validated) global
    global_args = GLOBAL_ARGS.match
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
                if c == F_MEMO_PUT1:
                    if i + 2 > nb:
                        break
                    mkey = buf[i + 1]
                elif c == F_USTR:
                    w = USTR_WIDTH[buf[i]]
                    j = i + 1 + w
                    if j > nb:
                        break
                    n = U32(buf, i + 1)[0] if w == 4 else int.from_bytes(buf[i + 1 : j], "little")
                    if n > MAX_STR or j + n > nb or n > total_size:
                        break
                    try:
                        t = buf[j : j + n].decode("utf-8", "surrogatepass")
                    except UnicodeDecodeError:
                        push(OPAQUE)
                    else:
                        push(t)
                        if strings is not None:
                            strings.append(t)
                    i = j + n
                    opcodes += 1
                    continue
                elif c == F_MARK:
                    push(MARK)
                    i += 1
                    opcodes += 1
                    continue
                elif c in (F_TUPLE, F_POP_MARK_ONLY):
                    mk = len(stack) - 1
                    while mk >= 0 and stack[mk] is not MARK:
                        mk -= 1
                    if mk < 0:
                        break  # missing MARK: the general path records it
                    if c == F_TUPLE:
                        items = stack[mk + 1 :]
                        del stack[mk:]
                        push(tuple(items) if len(items) <= SMALL else OPAQUE)
                    else:
                        del stack[mk:]
                    i += 1
                    opcodes += 1
                    continue
                elif c == F_BININT1:
                    if i + 2 > nb:
                        break
                    push(buf[i + 1])
                    i += 2
                    opcodes += 1
                    continue
                elif c == F_MEMO_GET1:
                    if i + 2 > nb:
                        break
                    mkey = buf[i + 1]
                    v = memo.get(mkey)
                    if v is None:
                        v = _bad_get(res, base + i, mkey, len(memo))
                    push(v)
                    i += 2
                    opcodes += 1
                    continue
                elif c == F_REDUCE:
                    if len(stack) < 2:
                        break
                    if type(stack[-2]) is Global and stack[-2].name in RESOLVING_CALLS:
                        break  # the general path names what the call returns
                    args = stack.pop()
                    fn = stack.pop()
                    if (
                        type(fn) is Global
                        and fn.name == "dtype"
                        and fn.module in NUMPY_DTYPE_MODULES
                        and type(args) is tuple
                        and args
                        and type(args[0]) is str
                    ):
                        push(DType(args[0]))
                    else:
                        push(OPAQUE)
                    i += 1
                    opcodes += 1
                    continue
                elif c == F_TUPLE1:
                    if not stack:
                        break
                    push((stack.pop(),))
                    i += 1
                    opcodes += 1
                    continue
                elif c == F_BININT:
                    if i + 5 > nb:
                        break
                    push(I32(buf, i + 1)[0])
                    i += 5
                    opcodes += 1
                    continue
                elif c == F_GLOBAL:
                    gm = global_args(buf, i + 1)  # both lines, each within MAX_LINE, as the general path
                    if gm is None:
                        break
                    operand = gm.group()
                    g = globals_seen.get(operand)
                    if g is None:
                        try:
                            g = Global(name_arg(gm.group(1), "GLOBAL"), name_arg(gm.group(2), "GLOBAL"))
                        except Corrupt:
                            break  # the general path reports it
                        globals_seen[operand] = g
                    imports.append(ImportRef(g.module, g.name, base + i, "GLOBAL"))
                    push(g)
                    i = gm.end()
                    opcodes += 1
                    continue
                elif c == F_MEMO_PUT4:
                    if i + 5 > nb:
                        break
                    mkey = U32(buf, i + 1)[0]
                elif c == F_MEMO_GET4:
                    if i + 5 > nb:
                        break
                    mkey = U32(buf, i + 1)[0]
                    v = memo.get(mkey)
                    if v is None:
                        v = _bad_get(res, base + i, mkey, len(memo))
                    push(v)
                    i += 5
                    opcodes += 1
                    continue
                elif c == F_BINPERSID:
                    if stack:
                        stack.pop()
                    push(OPAQUE)
                    i += 1
                    opcodes += 1
                    continue
                elif c == F_OPAQUE:
                    push(OPAQUE)
                    i += 1
                    opcodes += 1
                    continue
                elif c == F_EMPTY_TUPLE:
                    push(())
                    i += 1
                    opcodes += 1
                    continue
                elif c == F_TUPLE2:
                    if len(stack) < 2:
                        break
                    b2 = stack.pop()
                    push((stack.pop(), b2))
                    i += 1
                    opcodes += 1
                    continue
                elif c == F_BININT2:
                    if i + 3 > nb:
                        break
                    push(U16(buf, i + 1)[0])
                    i += 3
                    opcodes += 1
                    continue
                elif c == F_MEMOIZE:
                    mkey = len(memo)
                elif c == F_STACK_GLOBAL:
                    if len(stack) < 2:
                        break
                    nm_v = stack[-1]
                    mod_v = stack[-2]
                    if type(nm_v) is not str or type(mod_v) is not str:
                        break
                    del stack[-2:]
                    imports.append(ImportRef(mod_v, nm_v, base + i, "STACK_GLOBAL"))
                    push(Global(mod_v, nm_v))
                    i += 1
                    opcodes += 1
                    continue
                elif c == F_TUPLE3:
                    if len(stack) < 3:
                        break
                    c3 = stack.pop()
                    b3 = stack.pop()
                    push((stack.pop(), b3, c3))
                    i += 1
                    opcodes += 1
                    continue
                elif c == F_EMPTY_DICT:
                    push({})
                    i += 1
                    opcodes += 1
                    continue
                elif c == F_APPEND:
                    if not stack:
                        break
                    stack.pop()
                    i += 1
                    opcodes += 1
                    continue
                elif c == F_BINFLOAT:
                    if i + 9 > nb:
                        break
                    push(OPAQUE)
                    i += 9
                    opcodes += 1
                    continue
                elif c == F_SHORT_BINBYTES:
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
                            if str_budget[0] < len(v):  # type: ignore[arg-type]
                                v = Unresolved("memo string budget exhausted")
                            else:
                                str_budget[0] -= len(v)  # type: ignore[arg-type]
                        elif tv not in MEMO_KEEP:
                            v = OPAQUE
                    else:
                        v = Unresolved("memoized an empty stack")
                    memo[mkey] = v
                i += MEMO_PUT_LEN[c]
                opcodes += 1
            # general path: one opcode through the reader (buffer refills, rare opcodes, errors). Every
            # opcode's effect is written once, here; the fast loop above repeats the frequent ones on its
            # buffer and defers to this path whenever anything is unusual.
            r.i = i
            off = base + i
            if budget is not None and off - charge_at >= BUDGET_CHECK_BYTES:
                if budget.charge(off - charge_at - r.take_skipped()):
                    raise BudgetExhausted(budget.exhausted)
                charge_at = off
                if len(stack) > MAX_STACK:
                    budget.exhausted = f"pickle stack deeper than {MAX_STACK} values"
                    raise BudgetExhausted(budget.exhausted)
            code = r.byte()
            op = OPS_BY_BYTE[code]
            if op is None:
                raise Corrupt(f"unknown opcode 0x{code:02x}")
            name, kind, width = op
            opcodes += 1
            arg: object = None
            # the operand
            if width:  # fixed width: a little-endian integer (i4 signed); BINFLOAT's value is not kept
                raw = r.take(width)
                if kind != "f8":
                    arg = int.from_bytes(raw, "little", signed=kind == "i4")
            elif kind == "line":
                line = r.line(MAX_LINE)
                if line is None:
                    raise Truncated(f"{name}: unterminated line argument")
                arg = decode_str(line, name) if name in STRING_OPS else line
            elif kind == "2line":
                l1 = r.line(MAX_LINE)
                l2 = r.line(MAX_LINE) if l1 is not None else None
                if l1 is None or l2 is None:
                    raise Truncated(f"{name}: unterminated line argument")
                arg = (name_arg(l1, name), name_arg(l2, name))
            elif kind:  # counted: strings up to MAX_STR are decoded, anything else is skipped unread
                n = int.from_bytes(r.take(COUNT_WIDTH[kind]), "little", signed=kind == "c4")
                if n < 0:
                    raise Corrupt(f"{name}: negative length {n}")
                if n > total_size:
                    raise Truncated(f"{name}: length {n} exceeds the data size {total_size}")
                if name in STRING_OPS and n <= MAX_STR:
                    arg = decode_str(r.take(n), name)
                elif r.skip(n):
                    arg = OPAQUE
                else:
                    raise Truncated(f"{name}: truncated {n}-byte argument")

            # the opcode's effect (the frequent ones first)
            if name in STRING_OPS or name in PUSH_INT:
                stack.append(arg)
                if strings is not None and type(arg) is str:
                    strings.append(arg)
            elif name in MEMO_PUT:
                if name == "MEMOIZE":
                    key = len(memo)
                elif name == "PUT":
                    assert isinstance(arg, bytes)
                    try:
                        key = int(arg)
                    except ValueError:
                        raise Corrupt(f"PUT: invalid memo key {arg[:20]!r}") from None
                else:
                    assert isinstance(arg, int)
                    key = arg
                if len(memo) < MAX_MEMO:
                    memo[key] = _memo_value(stack, str_budget)
            elif name in MEMO_GET:
                if name == "GET":
                    assert isinstance(arg, bytes)
                    try:
                        gkey = int(arg)
                    except ValueError:
                        gkey = -1
                else:
                    assert isinstance(arg, int)
                    gkey = arg
                got = memo.get(gkey)
                stack.append(_bad_get(res, off, gkey, len(memo)) if got is None else got)
            elif name == "MARK":
                stack.append(MARK)
            elif name == "TUPLE":
                items = pop_mark()
                stack.append(tuple(items[::-1]) if len(items) <= SMALL else OPAQUE)
            elif name == "TUPLE1":
                stack.append((pop(),))
            elif name == "TUPLE2":
                b2 = pop()
                stack.append((pop(), b2))
            elif name == "TUPLE3":
                c3 = pop()
                b3 = pop()
                stack.append((pop(), b3, c3))
            elif name == "EMPTY_TUPLE":
                stack.append(())
            elif name == "EMPTY_DICT":
                stack.append({})
            elif name in PUSH_ONE:
                stack.append(OPAQUE)
            elif name in ("REDUCE", "NEWOBJ"):
                args = pop()
                fn = pop()
                if isinstance(fn, Global) and (fn.module, fn.name) == JOBLIB_WRAPPER and name == "NEWOBJ":
                    stack.append(JoblibWrapper())
                elif name == "REDUCE" and isinstance(fn, Global) and (got := _resolve_call(fn, args)):
                    res.imports.append(ImportRef(got.module, got.name, off, f"REDUCE({fn.module}.{fn.name})"))
                    stack.append(got)
                elif (
                    isinstance(fn, Global)
                    and fn.name == "dtype"
                    and fn.module in NUMPY_DTYPE_MODULES
                    and isinstance(args, tuple)
                    and args
                    and isinstance(args[0], str)
                ):
                    stack.append(DType(args[0]))
                else:
                    stack.append(OPAQUE)
            elif name in ("GLOBAL", "INST"):
                assert isinstance(arg, tuple)
                mod, nm = arg
                res.imports.append(ImportRef(mod, nm, off, name))
                if name == "INST":
                    pop_mark()
                    stack.append(OPAQUE)
                else:
                    stack.append(Global(mod, nm))
            elif name == "STACK_GLOBAL":
                nm_v = pop()
                mod_v = pop()
                if isinstance(mod_v, str) and isinstance(nm_v, str):
                    res.imports.append(ImportRef(mod_v, nm_v, off, name))
                    stack.append(Global(mod_v, nm_v))
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
            elif name == "BINPERSID":
                pop()
                stack.append(OPAQUE)
            elif name in ("LIST", "DICT", "FROZENSET", "OBJ"):
                pop_mark()
                stack.append(OPAQUE)
            elif name == "POP" or name == "APPEND":
                pop()
            elif name in ("POP_MARK", "APPENDS", "ADDITEMS"):
                pop_mark()
            elif name == "DUP":
                stack.append(stack[-1] if stack else Unresolved("stack underflow"))
            elif name == "SETITEM":
                val = pop()
                k = pop()
                if stack and isinstance(stack[-1], dict) and isinstance(k, str) and len(stack[-1]) < SMALL:
                    stack[-1][k] = val
            elif name == "SETITEMS":
                items = pop_mark()[::-1]
                if stack and isinstance(stack[-1], dict):
                    d = stack[-1]
                    for i in range(0, len(items) - 1, 2):
                        if isinstance(items[i], str) and len(d) < SMALL:
                            d[items[i]] = items[i + 1]
            elif name == "NEWOBJ_EX":
                pop()
                pop()
                pop()
                stack.append(OPAQUE)
            elif name == "BUILD":
                state = pop()
                if stack and isinstance(stack[-1], Global):
                    g = stack[-1]
                    res.mutations.append((off, f"{g.module}.{g.name}" if g.name else g.module))
                if stack and isinstance(stack[-1], JoblibWrapper):
                    if frame_end >= 0 and r.pos != frame_end:
                        res.frame_issues.append((frame_start, f"joblib array data at {r.pos} inside a FRAME"))
                    frame_end = -1  # joblib writes array data outside frames
                    nested = joblib_array(r, state, total_size)
                    if nested:
                        r.finish()
                        if budget is not None and budget.charge(r.pos - charge_at - r.take_skipped()):
                            raise BudgetExhausted(budget.exhausted)
                        sub = walk_stream(s, total_size, strings, budget)
                        res.imports.extend(sub.imports)
                        res.opcodes += sub.opcodes
                        res.memo_errors.extend(sub.memo_errors)
                        res.mutations.extend(sub.mutations)
                        if sub.budget:
                            res.budget = sub.budget
                            raise BudgetExhausted(sub.budget)
                        if not sub.complete:
                            raise Corrupt(f"joblib object array pickle: {sub.error}")
                        r = Reader(s)
                        charge_at = r.pos
            elif name == "PROTO":
                assert isinstance(arg, int)
                res.protocol = arg
                if arg > 5:
                    raise Corrupt(f"unsupported pickle protocol {arg}")
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
            # READONLY_BUFFER: no effect
    except Truncated as exc:
        res.error = str(exc)
        res.error_offset = r.pos
    except Corrupt as exc:
        res.error = str(exc)
        res.error_offset = r.pos - 1
    except BudgetExhausted as exc:
        res.error = res.budget = str(exc)
        res.error_offset = r.pos
    res.opcodes += opcodes
    if budget is not None and not res.budget:
        budget.charge(r.pos - charge_at - r.take_skipped())
    r.finish()
    res.end = s.pos
    return res


def _bad_get(res: StreamResult, offset: int, key: int, memo_size: int) -> Unresolved:
    """A GET of a memo index never stored: a loader fails here (KeyError), so the stream is not clean; the
    walk goes on to find what follows. Past MAX_MEMO the index may have been dropped by the walker itself."""
    if memo_size >= MAX_MEMO:
        return Unresolved(f"memo key {key} beyond the walker's memo budget")
    if len(res.memo_errors) < MAX_MEMO_ERRORS:
        res.memo_errors.append((offset, key))
    return Unresolved(f"invalid memo key {key}")


def _resolve_call(fn: Global, args: object) -> Global | None:
    """What a resolving call returns, when its operands are known: ``getattr(<global>, 'attr')`` is the
    global's attribute, ``importlib.import_module('os')`` / ``__import__('os')`` the module,
    ``pkgutil.resolve_name('os:system')`` / ``pydoc.locate('os.system')`` the named object."""
    call = fn.name.rsplit(".", 1)[-1]
    if call not in RESOLVING_CALLS or type(args) is not tuple or not args:
        return None
    first = args[0]
    if call == "getattr":
        if len(args) >= 2 and isinstance(first, Global) and type(args[1]) is str:
            return Global(first.module, f"{first.name}.{args[1]}" if first.name else args[1])
        return None
    if type(first) is not str or not first:
        return None
    if call == "resolve_name" and ":" in first:
        mod, _, attr = first.partition(":")
        return Global(mod, attr)
    if call in ("locate", "resolve_name") and "." in first:
        mod, _, attr = first.rpartition(".")
        return Global(mod, attr)
    return Global(first, "")


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
    if isinstance(v, (Global, DType, int, Unresolved)):
        return v
    return OPAQUE


_TENSOR_NAME = re.compile(r"^[A-Za-z_][\w.]*\.(?:weight|bias|[A-Za-z_]\w*)$")
MAX_NAME_STREAMS = 8  # a legacy torch.save file stacks 5 pickles (magic, protocol, sys info, object, keys)


def tensor_names(s: Stream, total_size: int) -> list[str]:
    """Dotted parameter names (``model.layers.0.self_attn.q_proj.weight``) among the string operands of the
    pickle(s) read from ``s``, first occurrence first: the walker's strings, never unpickled. Walks
    consecutive protocol-2+ pickles (a legacy torch.save file) until one fails or non-pickle data follows;
    what ``s`` yields is the byte budget (the names before a truncation or an error are kept)."""
    strings: list[str] = []
    for _ in range(MAX_NAME_STREAMS):
        start = s.pos
        res = walk_stream(s, total_size, strings)
        if not res.complete or s.pos == start or not looks_like_pickle_start(s.peek(2)):
            break
    return list(dict.fromkeys(t for t in strings if "." in t and _TENSOR_NAME.match(t)))


def looks_like_pickle_start(head: bytes) -> bool:
    """A cheap check whether ``head`` could start a pickle (PROTO 2..5, or a protocol 0/1 first opcode)."""
    if not head:
        return False
    if head[0] == 0x80:
        return len(head) > 1 and 2 <= head[1] <= 5
    return head[0] in b"(cl]}NIFSVLd)KJMXUTCBqhpg" and head[0] in OPS
