"""formats/safetensors.py and the inspect stage's safetensors check: every file built byte for byte.

A well-formed file is clean; a header that lies about the file is a finding (TG-ST-001/002), one that is not
valid is TG-ST-003, and one whose tensor table could not be read is also incomplete -- never clean."""

from __future__ import annotations

import json
import random
import struct
from pathlib import Path
from typing import Any

import pytest

from tests.inspect.inspect_builders import rules_at, run, status
from tierguard.formats.safetensors import (
    DTYPE_BITS,
    FORMAT_MAX_HEADER,
    INSPECT_HEADER_LIMIT,
    SafetensorsHeader,
    check_safetensors,
    read_safetensors,
)
from tierguard.formats.source import BytesSource, Incomplete, SourceReader
from tierguard.inspect.gate import exit_code
from tierguard.model import Context
from tierguard.scanner import INSPECT_VIEW, Scanner


def st_bytes(header: dict[str, Any] | bytes, data: bytes = b"", *, n: int | None = None) -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw) if n is None else n) + raw + data


def tensor(dtype: str, shape: list[int], start: int, end: int) -> dict[str, Any]:
    return {"dtype": dtype, "shape": shape, "data_offsets": [start, end]}


def good() -> bytes:
    """A DeepSeek-style FP8 layer: F8_E4M3 weight, F32 block scale, F8_E8M0 scales, BF16 norm."""
    h = {
        "__metadata__": {"format": "pt"},
        "w": tensor("F8_E4M3", [4, 4], 0, 16),
        "w_scale_inv": tensor("F32", [1, 1], 16, 20),
        "e8m0": tensor("F8_E8M0", [4], 20, 24),
        "norm": tensor("BF16", [4], 24, 32),
    }
    return st_bytes(h, bytes(range(32)))


def check(data: bytes, limit: int = INSPECT_HEADER_LIMIT) -> SafetensorsHeader:
    return check_safetensors(SourceReader(BytesSource(data), limit + 8), limit)


def kinds(data: bytes) -> set[str]:
    return {p.kind for p in check(data).problems}


def inspected(data: bytes, name: str = "m.safetensors") -> tuple[str, set[str]]:
    out = run({name: data})
    return status(out, name), {r for r, _ in rules_at(out, name)}


# ---- well-formed files stay clean -------------------------------------------------------------------------


def test_well_formed_is_clean_and_read() -> None:
    st = check(good())
    assert st.problems == [] and st.unread == ""
    assert st.tensors["w"] == ("F8_E4M3", (4, 4)) and st.metadata == {"format": "pt"}
    assert inspected(good()) == ("clean", set())


def test_empty_header_and_zero_size_tensors_are_clean() -> None:
    assert inspected(st_bytes({})) == ("clean", set())
    h = {"a": tensor("F32", [0, 3], 0, 0), "b": tensor("U8", [2], 0, 2), "__metadata__": None}
    assert inspected(st_bytes(h, b"xy")) == ("clean", set())


@pytest.mark.parametrize("dtype", sorted(DTYPE_BITS))
def test_every_known_dtype(dtype: str) -> None:
    n = 8  # 8 elements fill whole bytes for every bit size (4, 6, 8 ... 64)
    size = n * DTYPE_BITS[dtype] // 8
    assert inspected(st_bytes({"t": tensor(dtype, [2, 4], 0, size)}, b"\0" * size)) == ("clean", set())


def test_reference_library_files_are_clean() -> None:
    np = pytest.importorskip("numpy")
    sn = pytest.importorskip("safetensors.numpy")
    data = sn.save(
        {"a": np.zeros((3, 5), dtype=np.float16), "b": np.arange(7, dtype=np.int64), "c": np.ones(1, bool)},
        metadata={"format": "np", "note": "x"},
    )
    assert check(data).problems == []
    assert inspected(data) == ("clean", set())


# ---- the header: length, JSON, object ---------------------------------------------------------------------


def test_header_length_beyond_file_is_a_finding_and_fails_the_gate(tmp_path: Path) -> None:
    """issue 11: 'a safetensors header length larger than the file: clean'."""
    data = good()
    bad = struct.pack("<Q", len(data)) + data[8:]  # header length = the whole file
    st = check(bad)
    assert st.unread and [p.kind for p in st.problems] == ["overflow"]
    assert inspected(bad) == ("incomplete", {"TG-ST-001"})
    p = tmp_path / "model.safetensors"
    p.write_bytes(bad)
    result = Scanner().scan(p, Context(), options=INSPECT_VIEW)
    assert [i.status for i in result.inspections] == ["incomplete"]
    assert {f.rule_id for f in result.findings} == {"TG-ST-001"}
    assert exit_code(result) == 1
    assert exit_code(result, fail_on_incomplete=False) == 1  # high on its own


def test_header_length_beyond_format_limit() -> None:
    data = st_bytes({"t": tensor("U8", [1], 0, 1)}, b"x")
    bad = struct.pack("<Q", FORMAT_MAX_HEADER + 8) + data[8:]
    st = check(bad)
    assert st.unread and "format's limit" in st.problems[0].detail


def test_header_over_the_read_limit_is_incomplete_budget() -> None:
    raw = b"{}" + b" " * 6000
    with pytest.raises(Incomplete) as exc:
        check(st_bytes(raw), limit=4096)
    assert exc.value.reason == "budget"


def test_header_over_the_inspect_limit_is_incomplete(tmp_path: Path) -> None:
    p = tmp_path / "big.safetensors"
    n = INSPECT_HEADER_LIMIT + 8
    with open(p, "wb") as fh:
        fh.write(struct.pack("<Q", n) + b'{"a": ')
        fh.truncate(8 + n)  # sparse: never read
    result = Scanner().scan(p, Context(), options=INSPECT_VIEW)
    (ins,) = result.inspections
    assert ins.status == "incomplete" and "limit" in ins.reason
    assert ins.bytes_read < 1 << 20
    assert exit_code(result) == 1


def test_short_file_is_incomplete() -> None:
    with pytest.raises(Incomplete):
        check(b"\x02\x00\x00")


@pytest.mark.parametrize(
    "raw",
    [
        b'{"t": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}',  # unterminated
        b'{"t": \xff\xfe}',  # invalid UTF-8
        '{"t": {}}'.encode("utf-16"),  # json.loads would guess UTF-16; the reference wants UTF-8
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"t": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}, "t": '
        b'{"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}}',  # duplicate key
        b'{"\\ud800": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}}',  # lone surrogate
        b"[" * 100_000 + b"]" * 100_000,  # deeper than the parser's recursion limit
        b'{"t": 1}\x00\x00\x00',  # NUL padding is not JSON whitespace
    ],
)
def test_header_not_json_is_finding_and_incomplete(raw: bytes) -> None:
    data = st_bytes(raw, b"x")
    st = check(data)
    assert st.unread and [p.kind for p in st.problems] == ["header"]
    if raw.startswith(b'{"'):
        assert inspected(data) == ("incomplete", {"TG-ST-003"})
    else:  # not sniffed as safetensors (no '{' after the length): unrecognised content
        assert inspected(data) == ("not-inspected", set())


@pytest.mark.parametrize("raw", [b"[]", b'"x"', b"1", b"null"])
def test_header_not_an_object(raw: bytes) -> None:
    data = st_bytes(raw)
    assert "not an object" in check(data).unread
    assert inspected(data)[0] == "not-inspected"  # never sniffed as safetensors


def test_identify_read_raises_on_unreadable_table_only() -> None:
    bad = st_bytes(b"[]")
    with pytest.raises(Incomplete):
        read_safetensors(SourceReader(BytesSource(bad)))
    gap = st_bytes({"t": tensor("U8", [1], 1, 2)}, b"xx")  # layout problem: identification still reads names
    st = read_safetensors(SourceReader(BytesSource(gap)))
    assert st.tensors == {"t": ("U8", (1,))} and [p.kind for p in st.problems] == ["layout"]


# ---- descriptors, dtypes, metadata ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("desc", "readable"),
    [
        ("not an object", False),
        ({"dtype": "U8", "shape": [-1], "data_offsets": [0, 1]}, False),
        ({"dtype": "U8", "shape": [True], "data_offsets": [0, 1]}, False),
        ({"dtype": "U8", "shape": [1.0], "data_offsets": [0, 1]}, False),
        ({"dtype": "U8", "shape": 1, "data_offsets": [0, 1]}, False),
        ({"dtype": "U8", "data_offsets": [0, 1]}, False),
        ({"dtype": "U8", "shape": [1], "data_offsets": [0]}, False),
        ({"dtype": "U8", "shape": [1], "data_offsets": [0, 1, 2]}, False),
        ({"dtype": "U8", "shape": [1], "data_offsets": [False, 1]}, False),
        ({"dtype": "U8", "shape": [1], "data_offsets": [0, 1 << 64]}, False),
        ({"dtype": "U8", "shape": [1], "data_offsets": "0-1"}, False),
        (
            {"dtype": "F8_E4M3FN", "shape": [1], "data_offsets": [0, 1]},
            True,
        ),  # torch's name, not safetensors'
        ({"dtype": "f32", "shape": [1], "data_offsets": [0, 1]}, True),
        ({"dtype": None, "shape": [1], "data_offsets": [0, 1]}, True),
        ({"shape": [1], "data_offsets": [0, 1]}, True),
    ],
)
def test_bad_descriptor_is_a_finding(desc: Any, readable: bool) -> None:
    data = st_bytes({"t": desc}, b"x")
    assert "header" in kinds(data)
    st_status, rules = inspected(data)
    assert "TG-ST-003" in rules
    if readable:  # an unknown dtype: the entry is read, its size cannot be checked
        assert (st_status, rules) == ("findings", {"TG-ST-003"})
        assert read_safetensors(SourceReader(BytesSource(data))).tensors["t"][1] == (1,)
    else:  # the descriptor could not be read: incomplete here and for identification
        assert st_status == "incomplete"
        assert exit_code(run({"m.safetensors": data})) == 1
        with pytest.raises(Incomplete):
            read_safetensors(SourceReader(BytesSource(data)))


@pytest.mark.parametrize("meta", [["a"], "x", 1, {"a": 1}, {"a": None}, {"a": {"b": "c"}}])
def test_metadata_not_a_string_map(meta: Any) -> None:
    data = st_bytes({"__metadata__": meta, "t": tensor("U8", [1], 0, 1)}, b"x")
    st = check(data)
    assert [(p.kind, p.subject) for p in st.problems] == [("header", "__metadata__")]
    assert inspected(data) == ("findings", {"TG-ST-003"})


# ---- offsets against the data section ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tensors", "data", "kind"),
    [
        ({"t": tensor("U8", [4], 0, 4)}, b"xx", "overflow"),  # beyond the data section (truncated/forged)
        ({"t": tensor("U8", [4], 0, 4), "u": tensor("U8", [2], 2, 4)}, b"xxxx", "layout"),  # overlap
        ({"t": tensor("U8", [4], 0, 4), "u": tensor("U8", [4], 0, 4)}, b"xxxx", "layout"),  # aliasing
        ({"t": tensor("U8", [2], 0, 2), "u": tensor("U8", [1], 3, 4)}, b"xxxx", "layout"),  # gap
        ({"t": tensor("U8", [2], 0, 2)}, b"xxPK\x03\x04", "layout"),  # trailing bytes: polyglot room
        ({"t": tensor("U8", [2], 2, 0)}, b"xx", "layout"),  # end before start
        ({"t": tensor("F32", [2], 0, 4)}, b"xxxx", "layout"),  # shape x dtype = 8, span 4
        ({"t": tensor("BF16", [3, 3], 0, 16)}, b"x" * 16, "layout"),
        ({"t": tensor("F4", [3], 0, 2)}, b"xx", "layout"),  # 12 bits: not whole bytes
        ({"t": tensor("F64", [1 << 62, 4], 0, 8)}, b"x" * 8, "overflow"),  # element bytes overflow 64 bits
        ({"t": tensor("U8", [1], 0, 1 << 40)}, b"x", "overflow"),
    ],
)
def test_offsets_that_lie_are_high_findings(tensors: dict[str, Any], data: bytes, kind: str) -> None:
    blob = st_bytes(tensors, data)
    assert kind in kinds(blob)
    st_status, rules = inspected(blob)
    assert st_status == "findings"
    assert rules & {"TG-ST-001", "TG-ST-002"}
    out = run({"m.safetensors": blob})
    assert exit_code(out, fail_on_incomplete=False) == 1


def test_unknown_dtype_with_otherwise_valid_layout_is_not_clean() -> None:
    data = st_bytes({"t": tensor("F12_E9M2", [2], 0, 3)}, b"xyz")
    assert inspected(data) == ("findings", {"TG-ST-003"})


def test_problems_are_bounded() -> None:
    h = {f"t{i}": tensor("U8", [1], 2 * i, 2 * i + 1) for i in range(500)}  # 500 gaps
    st = check(st_bytes(h, b"x" * 1000))
    assert 0 < len(st.problems) <= 50


def test_safetensors_member_of_an_archive_is_checked() -> None:
    from tests.inspect.inspect_builders import make_tar

    bad = st_bytes({"t": tensor("U8", [2], 0, 2)}, b"xx" + b"hidden")
    out = run({"w.tar": make_tar({"m.safetensors": bad, "ok.safetensors": good()})})
    by_member = {i.location.member: i.status for i in out.inspections}
    assert by_member["m.safetensors"] == "findings" and by_member["ok.safetensors"] == "clean"


# ---- differential against the reference reader ------------------------------------------------------------


def _mutate(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    op = rng.randrange(6)
    if op == 0:
        return bytes(b[: rng.randrange(len(b))])
    if op == 1:
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8)
    elif op == 2:
        i = rng.randrange(8, len(b))
        b[i : i + 1] = b""
    elif op == 3:
        b[rng.randrange(8, len(b)) : 0] = bytes([rng.choice(b'0123456789,:"[]{} ')])
    elif op == 4:
        b += bytes(rng.randrange(1, 9))
    else:  # digits of an offset or dimension
        digits = [i for i in range(8, len(b)) if chr(b[i]).isdigit()]
        b[rng.choice(digits)] = ord(str(rng.randrange(10)))
    return bytes(b)


def test_differential_with_reference_reader() -> None:
    """Whatever the reference reader refuses is never clean here; what it accepts is clean here, except where
    this reader is stricter on purpose (duplicate keys and non-JSON literals)."""
    sts = pytest.importorskip("safetensors")
    rng = random.Random(11)
    seeds = [good(), st_bytes({"a": tensor("F16", [2, 2], 0, 8), "b": tensor("I64", [1], 8, 16)}, bytes(16))]
    disagreements = []
    for i in range(1500):
        data = _mutate(rng, rng.choice(seeds))
        try:
            sts.deserialize(data)
            ref_ok = True
        except Exception:  # noqa: BLE001 - any refusal
            ref_ok = False
        if len(data) < 10 or data[8:9] != b"{":
            continue  # not sniffed as safetensors: another path (never clean either, tested elsewhere)
        try:
            st = check(data)
            ours = "clean" if not st.problems and not st.unread else "not-clean"
        except Incomplete:
            ours = "incomplete"
        if not ref_ok and ours == "clean":
            disagreements.append((i, data))
        if ref_ok and ours != "clean":
            details = [p.detail for p in check(data).problems]
            if not all("duplicate key" in d or "non-JSON" in d for d in details):
                disagreements.append((i, data))
    assert disagreements == []
