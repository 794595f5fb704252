"""formats/numpy.py: the .npy header reader (versions 1-3, bounded, own literal parser) and inspect's use
of it: object dtypes (also inside structured dtypes) get their pickle walked; unreadable -> incomplete."""

from __future__ import annotations

import contextlib
import io
import random
import struct
from typing import Any

import pytest

from tests.inspect.inspect_builders import make_npy, rules_at, run, stack_global, status
from tierguard.formats.numpy import MAX_HEADER, has_object, parse_literal, read_npy_header
from tierguard.formats.source import BytesSource, Incomplete

np = pytest.importorskip("numpy")  # writes the test files (numpy itself never reads what tierguard scans)


def npy_bytes(arr: Any, version: tuple[int, int] | None = None) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, version=version, allow_pickle=True)
    return buf.getvalue()


def header(data: bytes, limit: int = MAX_HEADER) -> Any:
    return read_npy_header(BytesSource(data), limit)


@pytest.mark.parametrize("version", [(1, 0), (2, 0), (3, 0)])
def test_numpy_written_headers_all_versions(version: tuple[int, int]) -> None:
    arr = np.zeros((3, 4), dtype="<f4", order="F")
    data = npy_bytes(arr, version)
    h = header(data)
    assert h.version == version
    assert h.descr == "<f4" and h.fortran_order is True and h.shape == (3, 4) and not h.has_object
    assert h.data_offset == len(data) - arr.nbytes


@pytest.mark.parametrize(
    ("dtype", "obj"),
    [
        ("|O", True),
        ([("a", "<i4"), ("b", "O")], True),
        ([("a", "<i4"), ("n", [("x", "<f8"), ("y", "O")])], True),  # nested structured field
        ([("a", "O", (2,))], True),  # sub-array of objects
        ([("a", "<i4"), ("b", "<f8", (2, 3)), ("s", "S5"), ("u", "<U3")], False),
        ("<c16", False),
    ],
)
def test_object_dtypes_found_also_inside_structured_dtypes(dtype: Any, obj: bool) -> None:
    arr = np.zeros((2,), dtype=dtype)
    h = header(npy_bytes(arr))
    assert h.has_object is obj
    assert h.shape == (2,)


def test_unicode_field_name_in_a_version_3_header() -> None:
    h = header(npy_bytes(np.zeros((1,), dtype=[("ünï", "O")]), (3, 0)))
    assert h.has_object and h.descr == [("ünï", "|O")]


def test_literal_parser_subset() -> None:
    assert parse_literal("{'a': (1, 2,), 'b': [('x', '<f4')], 'c': True, 'd': None, 'e': ()}") == {
        "a": (1, 2),
        "b": [("x", "<f4")],
        "c": True,
        "d": None,
        "e": (),
    }
    assert parse_literal("(3L, 4L)") == (3, 4)  # Python 2 longs in old files
    assert parse_literal(r"'it\'s \x41\u00e9\\'") == "it's Aé\\"
    for bad in ("{'a': 1", "{'a' 1}", "__import__('os')", "{'a': 1} x", "[1, 2", "{[1]: 2}", "1e5", ""):
        with pytest.raises(Incomplete):
            parse_literal(bad)
    with pytest.raises(Incomplete):
        parse_literal("[" * 100 + "]" * 100)


def test_descr_that_is_no_dtype_is_not_assumed_harmless() -> None:
    for descr in (1, {"names": ["a"]}, [("a",)], [["a", "O"]], None):
        with pytest.raises(Incomplete):
            has_object(descr)


def _raw_npy(version: int, hdr: bytes, declared: int | None = None, payload: bytes = b"") -> bytes:
    width = "<H" if version == 1 else "<I"
    n = len(hdr) if declared is None else declared
    return b"\x93NUMPY" + bytes([version, 0]) + struct.pack(width, n) + hdr + payload


GOOD = b"{'descr': '|O', 'fortran_order': False, 'shape': (1,), }\n"


def test_truncated_and_oversized_header_lengths() -> None:
    with pytest.raises(Incomplete) as e:
        header(_raw_npy(1, GOOD, declared=len(GOOD) + 1))  # length exceeds the file
    assert e.value.reason == "truncated"
    with pytest.raises(Incomplete) as e:
        header(_raw_npy(2, GOOD, declared=0xFFFFFFFF))
    assert e.value.reason == "budget"
    with pytest.raises(Incomplete) as e:
        header(_raw_npy(2, GOOD), limit=16)
    assert e.value.reason == "budget"
    for cut in (3, 6, 8, 9, 11):
        with pytest.raises(Incomplete):
            header(_raw_npy(2, GOOD)[:cut])
    with pytest.raises(Incomplete) as e:
        header(_raw_npy(4, GOOD))
    assert e.value.reason == "unsupported"
    with pytest.raises(Incomplete):
        header(_raw_npy(1, b"{'fortran_order': False, 'shape': (1,)}"))  # no descr
    with pytest.raises(Incomplete):
        header(_raw_npy(3, b"{'descr': '\xff'}"))  # v3 header not UTF-8


def test_mutated_headers_raise_only_incomplete() -> None:
    base = npy_bytes(np.zeros((2,), dtype=[("a", "<i4"), ("b", "O")]))
    rng = random.Random(10)
    for _ in range(500):
        data = bytearray(base)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(0, min(len(data), 140))] = rng.randrange(256)
        with contextlib.suppress(Incomplete):
            header(bytes(data))


# inspect uses the reader: unreadable headers are incomplete, never clean; object pickles are walked


def test_inspect_truncated_or_oversized_npy_is_incomplete_never_clean() -> None:
    files: dict[str, bytes | str] = {
        "long.npy": _raw_npy(1, GOOD, declared=len(GOOD) + 50),
        "huge.npy": _raw_npy(2, GOOD, declared=0x7FFFFFFF) + b"\x00" * 64,
        "cut.npy": b"\x93NUMPY\x01\x00",
        "garbled.npy": _raw_npy(1, b"{'descr': <function>}\n"),
        "v9.npy": _raw_npy(9, GOOD),
    }
    out = run(files)
    for name in files:
        assert status(out, name) == "incomplete", name


def test_inspect_structured_object_npy_walks_its_pickle() -> None:
    hdr = b"{'descr': [('a', '<i4'), ('b', [('c', '|O')])], 'fortran_order': False, 'shape': (1,), }\n"
    out = run(
        {"s.npy": _raw_npy(1, hdr, payload=stack_global("os", "system")), "n.npy": make_npy("<f4", b"1234")}
    )
    assert ("TG-PKL-001", "os.system") in rules_at(out, "s.npy")
    assert status(out, "n.npy") == "clean"


def test_inspect_numpy_written_object_array() -> None:
    data = npy_bytes(np.array([1, "x", None], dtype=object))
    out = run({"o.npy": data})
    assert status(out, "o.npy") == "clean"  # builtins only, the pickle read to its STOP
    assert out.inspections[0].format == "numpy"
