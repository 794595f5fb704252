"""TFLite: the FlatBuffer header read statically (file identifier TFL3, schema version, description,
metadata entries and their buffers, TFLite Support ModelMetadata, custom ops, tensor names), sniffed by
content, identified as a TensorFlow Lite converter export, bounded and never a crash on bad input.

Files are built with the ``flatbuffers`` Builder (test extra only; tierguard never imports it) following
``tensorflow/compiler/mlir/lite/schema/schema.fbs`` and ``metadata_schema.fbs``."""

from __future__ import annotations

import contextlib
import random
from pathlib import Path

import flatbuffers
import pytest

from tierguard.catalog import Catalog
from tierguard.formats.source import DEFAULT_BUDGET, BytesSource, Incomplete, SourceReader
from tierguard.formats.tflite import read_tflite
from tierguard.identify.artifacts import identify_artifacts
from tierguard.model import ModelDetails
from tierguard.targets.directory import DirectoryResolver
from tierguard.targets.sniff import sniff


def _table(b: flatbuffers.Builder, fields: list[tuple[str, int, int]]) -> int:
    """A table from (kind, slot, value): kind "u32" scalar, "u64" scalar, "ref" offset."""
    b.StartObject(max(slot for _, slot, _ in fields) + 1 if fields else 0)
    for kind, slot, value in fields:
        if kind == "u32":
            b.PrependUint32Slot(slot, value, 0xFFFFFFFF)
        elif kind == "u64":
            b.PrependUint64Slot(slot, value, 0xFFFFFFFFFFFFFFFF)
        else:
            b.PrependUOffsetTRelativeSlot(slot, value, 0)
    return int(b.EndObject())


def _offsets(b: flatbuffers.Builder, offs: list[int]) -> int:
    b.StartVector(4, len(offs), 4)
    for o in reversed(offs):
        b.PrependUOffsetTRelative(o)
    return int(b.EndVector())


def _ints(b: flatbuffers.Builder, vals: list[int]) -> int:
    b.StartVector(4, len(vals), 4)
    for v in reversed(vals):
        b.PrependInt32(v)
    return int(b.EndVector())


def model_metadata(name: str, author: str, version: str = "v1") -> bytes:
    b = flatbuffers.Builder(256)
    n, a, v, mpv = (b.CreateString(s) for s in (name, author, version, "1.0.0"))
    root = _table(b, [("ref", 0, n), ("ref", 2, v), ("ref", 4, a), ("ref", 7, mpv)])
    b.Finish(root, file_identifier=b"M001")
    return bytes(b.Output())


def tflite(
    *,
    description: str = "MLIR Converted.",
    tensors: dict[str, list[int]] | None = None,
    metadata: dict[str, bytes] | None = None,
    weight: int = 0,
    custom_ops: tuple[str, ...] = (),
    external: dict[str, tuple[int, int]] | None = None,
    tail: bytes = b"",
) -> bytes:
    """A TFLite Model. ``weight``: bytes of a weight buffer (written before the metadata buffers, so a
    large one pushes them towards the end of the file). ``external``: metadata entries whose Buffer uses
    offset/size (models over 2 GiB): (offset into ``tail``, size), ``tail`` being appended after the
    FlatBuffer (built twice: the first build gives the FlatBuffer's size, which fixed-width offsets keep)."""
    if external:
        size = len(_build(description, tensors, metadata, weight, custom_ops, external, 0))
        return _build(description, tensors, metadata, weight, custom_ops, external, size) + tail
    return _build(description, tensors, metadata, weight, custom_ops, {}, 0) + tail


def _build(
    description: str,
    tensors: dict[str, list[int]] | None,
    metadata: dict[str, bytes] | None,
    weight: int,
    custom_ops: tuple[str, ...],
    external: dict[str, tuple[int, int]],
    base: int,
) -> bytes:
    b = flatbuffers.Builder(1024)
    metadata = metadata or {}
    bufs = [_table(b, [])]  # buffer 0 is empty by convention
    if weight:
        bufs.append(_table(b, [("ref", 0, b.CreateByteVector(b"\x01" * weight))]))
    entries = []
    for name, data in metadata.items():
        bufs.append(_table(b, [("ref", 0, b.CreateByteVector(data))]))
        entries.append((name, len(bufs) - 1))
    for name, (rel, size) in external.items():
        bufs.append(_table(b, [("u64", 1, base + rel), ("u64", 2, size)]))
        entries.append((name, len(bufs) - 1))
    tens = []
    for tname, shape in (tensors or {"input_1": [1, 8], "model/dense/MatMul": [8, 4]}).items():
        tens.append(_table(b, [("ref", 0, _ints(b, shape)), ("ref", 3, b.CreateString(tname))]))
    sg = _table(b, [("ref", 0, _offsets(b, tens)), ("ref", 4, b.CreateString("main"))])
    codes = [_table(b, [("ref", 1, b.CreateString(c))]) for c in custom_ops]
    meta = [_table(b, [("ref", 0, b.CreateString(n)), ("u32", 1, i)]) for n, i in entries]
    fields = [
        ("u32", 0, 3),
        ("ref", 1, _offsets(b, codes)),
        ("ref", 2, _offsets(b, [sg])),
        ("ref", 3, b.CreateString(description)),
        ("ref", 4, _offsets(b, bufs)),
        ("ref", 6, _offsets(b, meta)),
    ]
    b.Finish(_table(b, fields), file_identifier=b"TFL3")
    return bytes(b.Output())


def read(data: bytes, budget: int = DEFAULT_BUDGET):  # type: ignore[no-untyped-def]
    reader = SourceReader(BytesSource(data), budget=budget)
    return read_tflite(reader), reader.bytes_read


def test_header_description_metadata_and_model_metadata() -> None:
    mm = model_metadata("Face Detection", "Qwen", "v2")
    data = tflite(
        metadata={
            "min_runtime_version": b"2.2.0\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
            "TFLITE_METADATA": mm,
        },
        custom_ops=("TFLite_Detection_PostProcess",),
    )
    assert sniff(data[:64], "x.bin") == "tflite"
    hdr, _ = read(data)
    assert hdr.version == 3
    assert hdr.description == "MLIR Converted."
    assert hdr.metadata["min_runtime_version"] == "2.2.0"
    assert hdr.metadata["TFLITE_METADATA"] == f"<{len(mm)} bytes>"
    assert hdr.model_metadata == {
        "name": "Face Detection",
        "version": "v2",
        "author": "Qwen",
        "min_parser_version": "1.0.0",
    }
    assert hdr.custom_ops == ["TFLite_Detection_PostProcess"]
    assert hdr.subgraph_name == "main"
    assert hdr.tensors == {"input_1": (1, 8), "model/dense/MatMul": (8, 4)}
    assert hdr.unread == []


def test_metadata_behind_a_large_weight_buffer_is_read_from_the_tail() -> None:
    data = tflite(weight=5 * 1024 * 1024, metadata={"TFLITE_METADATA": model_metadata("Big", "Google")})
    assert len(data) > 2 * DEFAULT_BUDGET
    hdr, n = read(data)
    assert hdr.model_metadata["author"] == "Google"
    assert hdr.unread == []
    assert n <= DEFAULT_BUDGET


def test_metadata_in_an_external_buffer_range() -> None:
    tail = b"\x00" * 64 + b"1.14.0"
    data = tflite(external={"min_runtime_version": (64, 6)}, tail=tail)
    hdr, _ = read(data)
    assert hdr.metadata["min_runtime_version"] == "1.14.0"


def test_a_buffer_outside_the_windows_is_unread_not_guessed() -> None:
    # a 60 KiB metadata buffer in the middle of a file read with a small budget (28 KiB windows, 8 KiB spots)
    data = tflite(weight=100_000, metadata={"notes": b"n" * 60_000, "x": b"y"}, tail=b"\x00" * 100_000)
    hdr, n = read(data, budget=64 * 1024)
    assert hdr.metadata["notes"] == "<not read>"
    assert any("metadata 'notes'" in u for u in hdr.unread), hdr.unread
    assert n <= 64 * 1024


def test_not_tflite_and_other_heads() -> None:
    data = tflite()
    assert sniff(data[:64]) == "tflite"
    assert sniff(b"\x00\x00\x00\x00TFL3" + b"\x00" * 56) != "tflite"  # root offset 0 is not a table
    assert sniff(b"hello TFL3 world\n") == "text"


def test_truncated_and_garbled_raise_only_incomplete() -> None:
    data = tflite(metadata={"TFLITE_METADATA": model_metadata("m", "a")}, custom_ops=("Op",))
    for cut in range(8, len(data), 7):
        with contextlib.suppress(Incomplete):
            read(data[:cut])
    rng = random.Random(15)
    for _ in range(500):
        m = bytearray(data)
        for _ in range(rng.randint(1, 6)):
            m[rng.randrange(8, len(m))] = rng.randrange(256)
        with contextlib.suppress(Incomplete):
            read(bytes(m))


def test_wrong_identifier_is_malformed() -> None:
    data = bytearray(tflite())
    data[4:8] = b"XXXX"
    with pytest.raises(Incomplete) as exc:
        read(bytes(data))
    assert exc.value.reason == "malformed"


# ---------------------------------------------------------------- identification


def _only(tmp_path: Path, catalog: Catalog):  # type: ignore[no-untyped-def]
    out = identify_artifacts(DirectoryResolver(tmp_path), catalog)
    assert len(out.assets) == 1, [a.name for a in out.assets]
    a = out.assets[0]
    assert isinstance(a.details, ModelDetails)
    return a, a.details, out


def test_tflite_identified_as_a_tflite_converter_export(tmp_path: Path, catalog: Catalog) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "detector.bin").write_bytes(tflite(metadata={"min_runtime_version": b"2.2.0"}))
    a, d, _ = _only(tmp_path, catalog)
    assert d.format == "tflite" and d.status == "complete"
    assert (d.framework, d.framework_producer, d.framework_jurisdiction) == (
        "TensorFlow Lite converter",
        "google",
        "US",
    )
    assert a.provenance.producers == ()  # the converter says who exported it, not who trained it
    assert "model producer: unknown" in d.notes
    assert any("MLIR Converted." in m.value for m in a.provenance.methods)


def test_tflite_metadata_author_names_the_model_producer(tmp_path: Path, catalog: Catalog) -> None:
    mm = model_metadata("Some Model", "Qwen")
    (tmp_path / "m.tflite").write_bytes(tflite(metadata={"TFLITE_METADATA": mm}))
    a, d, _ = _only(tmp_path, catalog)
    assert [(p.id, p.role) for p in a.provenance.producers] == [("alibaba", "producer")]
    assert "model producer: Alibaba Cloud (CN)" in d.notes


def test_truncated_tflite_is_an_incomplete_asset(tmp_path: Path, catalog: Catalog) -> None:
    data = tflite(metadata={"TFLITE_METADATA": model_metadata("m", "a")})
    (tmp_path / "m.tflite").write_bytes(data[: len(data) // 3])
    _, d, out = _only(tmp_path, catalog)
    assert d.status == "incomplete"
    assert any(s.path == "m.tflite" and s.reason == "incomplete" for s in out.skipped)
