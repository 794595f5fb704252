"""ONNX models attributed, not only found: the ModelProto header wherever it sits (head and tail windows of
the 2 MiB read bound), the exporting framework (producer_name, graph name, graph naming signatures) kept
apart from the model's producer, and what policy makes of a framework signal.

The protobuf is written by hand where the layout matters (producer_name after a large graph, fields between
the read windows), and with the ``onnx`` package (test extra only; tierguard never imports it) as a
differential oracle for the reader."""

from __future__ import annotations

import contextlib
import random
from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper

from tierguard.catalog import Catalog
from tierguard.formats.protobuf import read_onnx
from tierguard.formats.source import DEFAULT_BUDGET, BytesSource, Incomplete, SourceReader
from tierguard.identify.artifacts import identify_artifacts
from tierguard.identify.interface import ArtifactOutput
from tierguard.model import Asset, ModelDetails
from tierguard.targets.directory import DirectoryResolver
from tierguard.targets.sniff import sniff

from .builders import layer_tensors, ld, vint
from .test_bad_input import CountingResolver

# ---------------------------------------------------------------- a small protobuf writer


def node(op: str, inputs: list[str], outputs: list[str], name: str = "") -> bytes:
    return b"".join([*(ld(1, i) for i in inputs), *(ld(2, o) for o in outputs), ld(3, name or op), ld(4, op)])


def tensor(name: str, dims: list[int], raw: bytes = b"") -> bytes:
    return b"".join([*(vint(1, d) for d in dims), vint(2, 1), ld(8, name), ld(9, raw) if raw else b""])


def graph(
    nodes: list[bytes], inits: list[bytes] = (), name: str = "g", io: tuple[str, str] = ("x", "y")
) -> bytes:  # type: ignore[assignment]
    value_info = [ld(11, ld(1, io[0])), ld(12, ld(1, io[1]))]
    return b"".join([*(ld(1, n) for n in nodes), ld(2, name), *(ld(5, t) for t in inits), *value_info])


def opset(version: int, domain: str = "") -> bytes:
    return ld(8, (ld(1, domain) if domain else b"") + vint(2, version))


def prop(key: str, value: str) -> bytes:
    return ld(14, ld(1, key) + ld(2, value))


PADDLE_NAMES = ["conv2d_0.w_0", "batch_norm2d_0.b_0", "linear_1.tmp_0", "batch_norm2d_0.w_1", "conv2d_1.w_0"]


def paddle_graph(big: int = 0) -> bytes:
    nodes = [
        node("Conv", ["x", "conv2d_0.w_0"], ["conv2d_0.tmp_0"]),
        node(
            "BatchNormalization", ["conv2d_0.tmp_0", "batch_norm2d_0.w_0", "batch_norm2d_0.b_0"], ["bn.tmp_1"]
        ),
        node("Gemm", ["bn.tmp_1", "linear_1.w_0"], ["linear_1.tmp_0"]),
        node("Scale", ["linear_1.tmp_0"], ["save_infer_model/scale_0.tmp_0"]),
    ]
    inits = [tensor(n, [4, 4]) for n in PADDLE_NAMES]
    if big:
        inits.append(tensor("conv2d_9.w_0", [big], b"\x00" * big))
    return graph(nodes, inits, name="model", io=("x", "save_infer_model/scale_0.tmp_0"))


def pytorch_graph() -> bytes:
    nodes = [
        node("Conv", ["input.1", "onnx::Conv_123"], ["/model/layer.0/Conv_output_0"], "/model/layer.0/Conv"),
        node(
            "Relu", ["/model/layer.0/Conv_output_0"], ["/model/layer.0/Relu_output_0"], "/model/layer.0/Relu"
        ),
        node("Gemm", ["/model/layer.0/Relu_output_0", "onnx::Gemm_130"], ["logits"], "/model/fc/Gemm"),
    ]
    return graph(
        nodes, [tensor("onnx::Conv_123", [8, 3, 3, 3]), tensor("onnx::Gemm_130", [8, 10])], "main_graph"
    )


def tf_graph() -> bytes:
    nodes = [
        node("Conv", ["input_1:0", "StatefulPartitionedCall/model/conv2d/Conv2D/ReadVariableOp:0"], ["a:0"]),
        node("Relu", ["a:0"], ["StatefulPartitionedCall/model/re_lu/Relu:0"]),
        node("Reshape", ["StatefulPartitionedCall/model/re_lu/Relu:0", "Reshape_shape__17"], ["Identity:0"]),
    ]
    return graph(nodes, [tensor("Reshape_shape__17", [2])], "tf2onnx", io=("input_1:0", "Identity:0"))


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p


def scan(path: Path, catalog: Catalog) -> ArtifactOutput:
    return identify_artifacts(DirectoryResolver(path), catalog)


def only(out: ArtifactOutput) -> tuple[Asset, ModelDetails]:
    assert len(out.assets) == 1, [a.name for a in out.assets]
    a = out.assets[0]
    assert isinstance(a.details, ModelDetails)
    return a, a.details


def methods(a: Asset) -> list[str]:
    return [m.value for m in a.provenance.methods]


# ---------------------------------------------------------------- the reader


def test_producer_after_a_large_graph_is_read_from_the_tail() -> None:
    big = 5 * 1024 * 1024  # the graph's initializer alone is larger than the whole read budget
    data = (
        vint(1, 8)
        + ld(7, paddle_graph(big))
        + opset(11)
        + opset(1, "ai.onnx.ml")
        + prop("character", "a\nb\nc")
        + ld(2, "PaddlePaddle")
        + ld(3, "2.6.0")
        + ld(4, "com.example.ocr")
        + vint(5, 3)
        + ld(6, "an OCR model")
    )
    reader = SourceReader(BytesSource(data))
    hdr = read_onnx(reader)
    assert hdr.fields["producer_name"] == "PaddlePaddle"
    assert hdr.fields["producer_version"] == "2.6.0"
    assert hdr.fields["domain"] == "com.example.ocr"
    assert hdr.fields["model_version"] == "3"
    assert hdr.fields["doc_string"] == "an OCR model"
    assert hdr.opsets == [("", 11), ("ai.onnx.ml", 1)]
    assert hdr.metadata == {"character": "a\nb\nc"}
    assert hdr.unread == []
    assert set(PADDLE_NAMES) <= set(hdr.tensors)  # the graph's head is in the first window
    assert hdr.tensors["conv2d_9.w_0"] == (big,)  # dims and name come before the raw data
    assert reader.bytes_read <= DEFAULT_BUDGET


def test_reader_agrees_with_the_onnx_package() -> None:
    x = helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 8])
    w = helper.make_tensor("onnx::Conv_5", TensorProto.FLOAT, [8, 3, 3, 3], [0.0] * 216)
    n = helper.make_node("Conv", ["input.1", "onnx::Conv_5"], ["/conv/Conv_output_0"], name="/conv/Conv")
    g = helper.make_graph([n], "main_graph", [x], [y], [w])
    m = helper.make_model(
        g, producer_name="pytorch", producer_version="2.3.1", opset_imports=[helper.make_opsetid("", 17)]
    )
    m.domain = "org.example"
    m.model_version = 7
    m.doc_string = "doc"
    helper.set_model_props(m, {"model_name": "Qwen/Qwen2.5-0.5B", "author": "someone"})
    data = m.SerializeToString()
    hdr = read_onnx(SourceReader(BytesSource(data)))
    back = onnx.load_from_string(data)  # the oracle parses what the test wrote
    assert hdr.fields["ir_version"] == str(back.ir_version)
    for k in ("producer_name", "producer_version", "domain", "doc_string"):
        assert hdr.fields[k] == getattr(back, k)
    assert hdr.fields["model_version"] == str(back.model_version)
    assert hdr.fields["graph_name"] == back.graph.name
    assert hdr.opsets == [(o.domain, o.version) for o in back.opset_import]
    assert hdr.metadata == {p.key: p.value for p in back.metadata_props}
    assert hdr.tensors == {t.name: tuple(t.dims) for t in back.graph.initializer}
    assert {"input.1", "/conv/Conv_output_0", "/conv/Conv", "logits"} <= set(hdr.names)
    assert sniff(data[:64]) == "onnx-or-protobuf"


def test_field_across_the_window_edge_is_reported_not_guessed() -> None:
    budget = 64 * 1024  # windows of 28 KiB at each end, 8 KiB of spot reads
    pad = ld(99, b"\x00" * (28 * 1024 - 200))  # an unknown field filling most of the head window
    data = vint(1, 8) + pad + prop("long", "v" * 20_000) + ld(98, b"\x00" * 200_000) + ld(2, "pytorch")
    hdr = read_onnx(SourceReader(BytesSource(data), budget=budget))
    assert hdr.fields["producer_name"] == "pytorch"  # past the graph, in the tail window
    assert "long" not in hdr.metadata
    assert any("metadata_props" in u and "read windows" in u for u in hdr.unread), hdr.unread


def test_top_level_fields_between_the_windows_are_unread() -> None:
    # 40 top-level fields in the gap between the windows: spot reads end at 32, the rest is not read
    gap_fields = b"".join(ld(99, b"\x00" * 100_000) for _ in range(40))
    data = (
        vint(1, 8)
        + ld(7, pytorch_graph())
        + ld(98, b"\x00" * 1_000_000)
        + gap_fields
        + ld(98, b"\x00" * 1_000_000)
        + ld(2, "x")
    )
    reader = SourceReader(BytesSource(data))
    hdr = read_onnx(reader)
    assert "producer_name" not in hdr.fields
    assert any("between the read windows" in u for u in hdr.unread), hdr.unread
    assert reader.bytes_read <= DEFAULT_BUDGET


def _model_bytes() -> bytes:
    return vint(1, 8) + ld(2, "pytorch") + ld(7, pytorch_graph()) + opset(17) + prop("k", "v")


def test_truncated_models_are_incomplete_never_a_crash() -> None:
    data = _model_bytes()
    outcomes = set()
    for cut in range(1, len(data)):
        try:
            read_onnx(SourceReader(BytesSource(data[:cut])))
            outcomes.add("read")
        except Incomplete as exc:
            outcomes.add(exc.reason)
    assert "malformed" in outcomes


def test_garbled_models_raise_only_incomplete() -> None:
    data = bytearray(_model_bytes())
    rng = random.Random(15)
    for _ in range(500):
        m = bytearray(data)
        for _ in range(rng.randint(1, 6)):
            m[rng.randrange(len(m))] = rng.randrange(256)
        with contextlib.suppress(Incomplete):
            read_onnx(SourceReader(BytesSource(bytes(m))))


# ---------------------------------------------------------------- identification: framework vs producer


def test_paddle_export_with_producer_at_the_end(tmp_path: Path, catalog: Catalog) -> None:
    data = vint(1, 8) + ld(7, paddle_graph(3 * 1024 * 1024)) + opset(11) + ld(2, "PaddlePaddle")
    write(tmp_path, "ocr/det.onnx", data)
    res = CountingResolver({"ocr/det.onnx": data})
    a, d = only(identify_artifacts(res, catalog))
    assert (d.framework, d.framework_producer, d.framework_jurisdiction) == ("PaddlePaddle", "baidu", "CN")
    assert a.provenance.producers == ()  # the framework is not the model's producer
    assert "framework: PaddlePaddle (Baidu, CN); model producer: unknown" in d.notes
    assert any("producer_name=PaddlePaddle" in v for v in methods(a))
    assert d.status == "complete"
    assert res.total["ocr/det.onnx"] <= DEFAULT_BUDGET + 64


def test_paddle_graph_naming_without_producer_name(tmp_path: Path, catalog: Catalog) -> None:
    # paddle2onnx in PIR mode writes an empty producer_name: the graph names say PaddlePaddle
    write(tmp_path, "m/model.onnx", vint(1, 10) + ld(2, "") + ld(7, paddle_graph()) + opset(11))
    a, d = only(scan(tmp_path, catalog))
    assert d.framework == "PaddlePaddle" and d.framework_producer == "baidu"
    (sig,) = [m for m in a.provenance.methods if "naming signature" in m.value]
    assert sig.technique == "binary-analysis" and "conv2d_0.w_0" in sig.value
    assert a.provenance.producers == ()
    assert "model producer: unknown" in d.notes


def test_pytorch_graph_naming(tmp_path: Path, catalog: Catalog) -> None:
    write(tmp_path, "m/model.onnx", vint(1, 8) + ld(7, pytorch_graph()) + opset(17))
    a, d = only(scan(tmp_path, catalog))
    assert (d.framework, d.framework_producer, d.framework_jurisdiction) == ("PyTorch", "meta", "US")
    assert any("graph name 'main_graph'" in v for v in methods(a))
    assert any("naming signature" in v and "onnx::Conv_123" in v for v in methods(a))
    assert a.provenance.producers == ()


def test_tf2onnx_graph_naming(tmp_path: Path, catalog: Catalog) -> None:
    write(tmp_path, "m/model.onnx", vint(1, 8) + ld(7, tf_graph()) + opset(13))
    _, d = only(scan(tmp_path, catalog))
    assert d.framework == "TensorFlow / Keras" and d.framework_producer == "google"


def test_metadata_props_name_the_model_producer(tmp_path: Path, catalog: Catalog) -> None:
    data = (
        vint(1, 8)
        + ld(2, "pytorch")
        + ld(7, pytorch_graph())
        + opset(17)
        + prop("model_name", "Qwen/Qwen2.5-7B-Instruct")
    )
    write(tmp_path, "m/model.onnx", data)
    a, d = only(scan(tmp_path, catalog))
    assert d.framework == "PyTorch"
    assert [(p.id, p.role) for p in a.provenance.producers] == [("alibaba", "producer")]
    assert a.name == "Qwen/Qwen2.5-7B-Instruct"
    assert "framework: PyTorch (Meta Platforms, US); model producer: Alibaba Cloud (CN)" in d.notes
    assert any(v.startswith("onnx metadata_props model_name") for v in methods(a))


def test_metadata_author_names_the_producer(tmp_path: Path, catalog: Catalog) -> None:
    data = vint(1, 8) + ld(2, "PaddlePaddle") + ld(7, paddle_graph()) + prop("author", "DeepSeek")
    write(tmp_path, "m/model.onnx", data)
    a, d = only(scan(tmp_path, catalog))
    assert [(p.id, p.role) for p in a.provenance.producers] == [("deepseek", "producer")]
    assert d.framework_producer == "baidu"  # still recorded apart
    assert any(v == "model producer: onnx metadata_props author: DeepSeek" for v in methods(a))


def test_initializer_names_give_the_architecture(tmp_path: Path, catalog: Catalog) -> None:
    inits = [tensor(n, shape) for n, shape in layer_tensors("qwen2", layers=1, vocab=151936).items()]
    g = graph([node("MatMul", ["input_ids", "model.embed_tokens.weight"], ["h"])], inits, "main_graph")
    write(tmp_path, "m/model.onnx", vint(1, 8) + ld(2, "pytorch") + ld(7, g) + opset(17))
    a, d = only(scan(tmp_path, catalog))
    assert d.structure == "qwen2"
    assert d.framework == "PyTorch"
    assert any(p.id == "alibaba" for p in a.provenance.producers)  # the layout's producer, as base


def test_truncated_onnx_is_an_incomplete_asset(tmp_path: Path, catalog: Catalog) -> None:
    data = _model_bytes()
    write(tmp_path, "m/model.onnx", data[: len(data) // 2])
    out = scan(tmp_path, catalog)
    _, d = only(out)
    assert d.status == "incomplete" and "malformed" in d.reason
    assert any(s.path == "m/model.onnx" and s.reason == "incomplete" for s in out.skipped)


def test_unread_fields_make_the_asset_incomplete(tmp_path: Path, catalog: Catalog) -> None:
    gap_fields = b"".join(ld(99, b"\x00" * 100_000) for _ in range(40))
    data = (
        vint(1, 8)
        + ld(7, pytorch_graph())
        + ld(98, b"\x00" * 1_000_000)
        + gap_fields
        + ld(98, b"\x00" * 1_000_000)
        + ld(2, "x")
    )
    write(tmp_path, "m/model.onnx", data)
    _, d = only(scan(tmp_path, catalog))
    assert d.status == "incomplete" and "between the read windows" in d.reason


# ---------------------------------------------------------------- policy: a framework signal only


def test_policy_does_not_treat_a_paddle_export_as_a_prc_model(tmp_path: Path) -> None:
    """What the shipped packs make of "framework: PaddlePaddle (Baidu, CN); model producer: unknown" in a UK
    government context: no PRC-producer rule matches (the framework is not the producer), but the file is
    never silently allowed: OAI-2025-T1-FRAMEWORK asks for review, on the framework alone. A Baidu-produced
    ONNX in the same scan is denied or reviewed."""
    from tierguard.catalog import load_catalog
    from tierguard.model import Context
    from tierguard.policy.packs import load_packs
    from tierguard.scanner import Scanner, ScanOptions

    write(
        tmp_path, "paddle/model.onnx", vint(1, 8) + ld(2, "PaddlePaddle") + ld(7, paddle_graph()) + opset(11)
    )
    baidu = vint(1, 8) + ld(2, "PaddlePaddle") + ld(7, paddle_graph()) + prop("author", "Baidu")
    write(tmp_path, "baidu/model.onnx", baidu)
    result = Scanner(load_catalog(), load_packs()).scan(
        tmp_path, Context(country="GB", sector="government"), options=ScanOptions(inspect=False)
    )
    by_path = {a.details.path: a for a in result.assets if isinstance(a.details, ModelDetails)}
    verdict = {d.asset_id: d for d in result.decisions}
    paddle, made = by_path["paddle/model.onnx"], by_path["baidu/model.onnx"]
    assert paddle.details.framework_jurisdiction == "CN" and paddle.provenance.producers == ()
    d = verdict[paddle.id]
    assert d.verdict == "review"
    assert [m.rule_id for m in d.matches if m.verdict != "allow"] == ["OAI-2025-T1-FRAMEWORK"]
    assert [p.id for p in made.provenance.producers] == ["baidu"]
    assert verdict[made.id].verdict in ("review", "deny")


@pytest.mark.parametrize("name", ["model.onnx", "weights.bin"])
def test_found_by_content_under_any_name(tmp_path: Path, catalog: Catalog, name: str) -> None:
    write(tmp_path, f"m/{name}", vint(1, 8) + ld(2, "pytorch") + ld(7, pytorch_graph()) + opset(17))
    _, d = only(scan(tmp_path, catalog))
    assert d.format == "onnx" and d.framework == "PyTorch"
