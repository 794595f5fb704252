"""Differential test of the pickle walker against an independent reference built on pickletools.

The reference simulates the stack generically from pickletools' per-opcode stack effects (memo opcodes
and string pushes explicitly), and lists every import (GLOBAL/INST operands, STACK_GLOBAL's two stack
strings). Fixtures are pickles this test *writes* with the standard library (dumping our own objects);
nothing is ever loaded."""

from __future__ import annotations

import datetime
import decimal
import fractions
import functools
import pickle
import pickletools
from collections import Counter, OrderedDict, deque

import pytest

from tests.inspect.inspect_builders import torch_data_pkl
from tierguard.formats import pickle_ops
from tierguard.formats.pickle import walk_stream
from tierguard.formats.source import BytesSource, RangeStream

_MARK = object()


def reference_imports(data: bytes) -> tuple[list[tuple[str, str]], int]:
    stack: list[object] = []
    memo: dict[int, object] = {}
    out: list[tuple[str, str]] = []
    count = 0
    for op, arg, _pos in pickletools.genops(data):
        count += 1
        name = op.name
        if name in ("PUT", "BINPUT", "LONG_BINPUT"):
            memo[arg] = stack[-1]
            continue
        if name == "MEMOIZE":
            memo[len(memo)] = stack[-1]
            continue
        if name in ("GET", "BINGET", "LONG_BINGET"):
            stack.append(memo[arg])
            continue
        if name in ("GLOBAL", "INST"):
            mod, nm = arg.split(" ", 1)
            out.append((mod, nm))
        if name == "STACK_GLOBAL":
            out.append((str(stack[-2]), str(stack[-1])))
        before = list(op.stack_before)
        if pickletools.markobject in before:
            while stack and stack.pop() is not _MARK:
                pass
            before = [b for b in before if b not in (pickletools.markobject, pickletools.stackslice)]
        for _ in before:
            stack.pop()
        for kind in op.stack_after:
            if kind is pickletools.markobject:
                stack.append(_MARK)
            elif isinstance(arg, str) and name.endswith(("UNICODE", "STRING")):
                stack.append(arg)
            else:
                stack.append(object())
    return out, count


class Plain:
    def __init__(self) -> None:
        self.items = [1, 2.5, "x", b"y", None, True]


OBJECTS = [
    OrderedDict(a=1, b=[1, 2, (3, 4)]),
    [datetime.datetime(2025, 3, 13, 12, 0), datetime.date(2025, 1, 1), decimal.Decimal("1.5")],
    {"f": functools.partial(max, 1), "fr": fractions.Fraction(1, 3), "c": Counter("aab")},
    deque([frozenset({1, 2}), {3, 4}, bytearray(b"z")]),
    [Plain(), Plain(), {"k": Plain()}],
    {"nested": [[{"a": (i, str(i), i * 1.5)} for i in range(50)]]},
    list(range(300)) + ["s" * 300, "é☃"],
]


@pytest.mark.parametrize("protocol", range(0, pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("index", range(len(OBJECTS)))
def test_walker_matches_the_pickletools_reference(protocol: int, index: int) -> None:
    data = pickle.dumps(OBJECTS[index], protocol=protocol)
    expected, opcodes = reference_imports(data)
    res = walk_stream(RangeStream(BytesSource(data)), len(data))
    assert res.complete and not res.error
    assert res.opcodes == opcodes
    assert [(i.module, i.name) for i in res.imports] == expected


def test_walker_matches_the_reference_on_a_large_torch_like_pickle() -> None:
    data = torch_data_pkl(500)
    expected, opcodes = reference_imports(data)
    res = walk_stream(RangeStream(BytesSource(data)), len(data))
    assert res.complete and res.opcodes == opcodes
    assert [(i.module, i.name) for i in res.imports] == expected
    assert len(expected) > 500


def _walk_all(data: bytes) -> list[tuple[object, ...]]:
    """Every field of every consecutive stream's result (the engine walks stacked streams the same way)."""
    s = RangeStream(BytesSource(data))
    out: list[tuple[object, ...]] = []
    for _ in range(8):
        r = walk_stream(s, len(data))
        imports = [(i.module, i.name, i.offset, i.opcode, i.why) for i in r.imports]
        out.append((r.start, r.end, r.protocol, imports, r.complete, r.error, r.error_offset,
                    r.frame_issues, r.opcodes))  # fmt: skip
        if not r.complete or s.pos >= len(data):
            break
    return out


def _mutants(seed: int) -> list[bytes]:
    import random

    rng = random.Random(seed)
    bases = [pickle.dumps(o, protocol=p) for o in OBJECTS for p in range(pickle.HIGHEST_PROTOCOL + 1)]
    bases.append(torch_data_pkl(300))
    hot = b"qX\x8c(ctQKJM\x85\x86\x87N\x88\x89])}Rhrj\x94\x93aeGC.\x95\x80"
    gets = [b"h\x01", b"h\xf0", b"j\x02\x00\x00\x00", b"j\x00\x00\x01\x00"]
    out = []
    for _ in range(150):
        d = bytearray(rng.choice(bases))
        for _ in range(rng.randint(1, 4)):
            p = rng.randrange(len(d))
            m = rng.random()
            if m < 0.4:
                d[p] = rng.choice(hot)
            elif m < 0.6:
                del d[p : p + rng.randint(1, 6)]
            elif m < 0.7:
                d[p:p] = bytes(rng.choice(hot) for _ in range(rng.randint(1, 5)))
            elif m < 0.8:  # memo lookups (valid or not) feeding a STACK_GLOBAL
                d[p:p] = rng.choice(gets) + b"\x93"
            else:
                d = d[:p] + bytearray(b"\x80\x02") + d[p:]
        out.append(bytes(d))
    return out


@pytest.mark.parametrize("window", [1, 3, 7, 64])
def test_walker_results_do_not_depend_on_its_read_window(
    window: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The walker decodes buffered opcodes on a fast path and falls back to the general reader at the end
    of its window; both must give identical results (imports, offsets, errors, frames, opcode counts), also
    on corrupt input. A tiny window makes opcodes and operands straddle every refill."""
    cases = [pickle.dumps(o, protocol=p) for o in OBJECTS for p in range(pickle.HIGHEST_PROTOCOL + 1)]
    cases += [torch_data_pkl(200), *_mutants(window)]
    expected = [_walk_all(data) for data in cases]
    monkeypatch.setattr(pickle_ops, "READ_AHEAD", window)
    assert [_walk_all(data) for data in cases] == expected
