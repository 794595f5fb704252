"""Model artifacts: which framework exported an ONNX or TFLite file, kept apart from who trained the model.

Two conclusions, recorded separately:

- **framework** (who made the exporter): an ONNX ``producer_name`` (``PaddlePaddle``, ``pytorch``,
  ``tf2onnx`` ...), the graph's name (``paddle-onnx``, ``PaddlePaddle Graph in PIR mode``, ``main_graph``),
  and naming signatures of the tensors and nodes in the part of the graph that was read: PaddlePaddle names
  parameters ``<layer>_<n>.w_<k>`` / ``.b_<k>`` / ``.tmp_<k>`` (``conv2d_0.w_0``, ``batch_norm2d_0.b_0``),
  its outputs ``save_infer_model/scale_<n>`` and paddle2onnx's own ``p2o.*``; PyTorch's exporter
  ``onnx::Conv_123``, ``/model/layer.0/Conv_output_0``, ``input.1`` (the dynamo exporter ``val_3``,
  ``node_Reshape_1``); tf2onnx ``StatefulPartitionedCall/...``, ``...:0``, ``..._shape__173``,
  ``jax2tf_...``; Keras ``functional_1/...``, ``sequential/...``. A TFLite file was written by the TensorFlow
  Lite converter (its ``description`` says which: ``MLIR Converted.``, ``TOCO Converted.``).
- **model producer** (who trained the weights): only what names the model itself (ONNX ``metadata_props``
  naming a model, TFLite Support metadata ``author``/``name``, a model card, a config): see
  :mod:`.artifact_signals`. The framework is never the model's producer: a PaddlePaddle export of weights
  whose producer is unknown is "framework: PaddlePaddle (Baidu, CN); model producer: unknown".

Pure: works on the headers already read. Framework entries name a catalog producer id where the catalog
knows the organisation, with the source that says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tierguard.identify.artifact_files import FileInfo
from tierguard.model import IdentMethod


@dataclass(frozen=True, slots=True)
class Framework:
    id: str
    name: str
    producer: str | None  # catalog producer id of the organisation behind the framework/exporter
    source: str


FRAMEWORKS: dict[str, Framework] = {
    f.id: f
    for f in (
        Framework("paddlepaddle", "PaddlePaddle", "baidu", "https://github.com/PaddlePaddle/Paddle2ONNX"),
        Framework("mindspore", "MindSpore", "huawei", "https://www.mindspore.cn/"),
        Framework("pytorch", "PyTorch", "meta", "https://pytorch.org/docs/stable/onnx.html"),
        Framework("tensorflow", "TensorFlow / Keras", "google", "https://github.com/onnx/tensorflow-onnx"),
        Framework("tflite", "TensorFlow Lite converter", "google", "https://ai.google.dev/edge/litert"),
        Framework("scikit-learn", "scikit-learn (skl2onnx)", None, "https://github.com/onnx/sklearn-onnx"),
        Framework("onnxmltools", "onnxmltools", None, "https://github.com/onnx/onnxmltools"),
        Framework("onnxruntime", "ONNX Runtime tools", "microsoft", "https://onnxruntime.ai/docs/"),
        Framework("spox", "Spox (ONNX graph builder)", None, "https://github.com/Quantco/spox"),
    )
}

# ONNX producer_name (lower case) -> framework id
_PRODUCER_NAMES = {
    "paddlepaddle": "paddlepaddle",
    "paddle2onnx": "paddlepaddle",
    "paddle": "paddlepaddle",
    "mindspore": "mindspore",
    "pytorch": "pytorch",
    "tf2onnx": "tensorflow",
    "keras2onnx": "tensorflow",
    "tensorflow": "tensorflow",
    "skl2onnx": "scikit-learn",
    "onnxmltools": "onnxmltools",
    "onnx.quantize": "onnxruntime",
    "onnxruntime.transformers": "onnxruntime",
    "onnxruntime.quant": "onnxruntime",
    "spox": "spox",
}
# ONNX graph names the exporters write by default
_GRAPH_NAMES: tuple[tuple[re.Pattern[str], str, float], ...] = (
    (re.compile(r"^(?:paddle-onnx|paddlepaddle graph\b.*)$", re.I), "paddlepaddle", 0.8),
    (re.compile(r"^(?:main_graph|torch[-_]jit(?:[-_]export)?)$"), "pytorch", 0.5),
    (re.compile(r"^tf2onnx$"), "tensorflow", 0.6),
)
# naming signatures of tensors and nodes, per framework
_NAME_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "paddlepaddle": (
        re.compile(r"^[a-z][a-z0-9_]*_\d+\.(?:w|b|tmp)_\d+(?:@\w+)?$"),
        re.compile(r"^save_infer_model/scale_\d+"),
        re.compile(r"^p2o\."),
    ),
    "pytorch": (
        re.compile(r"^onnx::[A-Za-z]+_\d+$"),
        re.compile(r"^/(?:[^/\s]+/)*[A-Z][A-Za-z]*(?:_\d+)?(?:_output_\d+)?$"),
        re.compile(r"^input\.\d+$"),
        re.compile(r"^node_[A-Z][A-Za-z]*_\d+$"),
    ),
    "tensorflow": (
        re.compile(r"^StatefulPartitionedCall(?:_\d+)?(?:[/:]|$)"),
        re.compile(r"^[A-Za-z_][\w./-]*:\d+$"),
        re.compile(r"__\d+$"),
        re.compile(r"^jax2tf_"),
        re.compile(r"^(?:functional|sequential)(?:_\d+)?/"),
    ),
}
_MIN_HITS = 3  # names matching a framework's signature before it counts
_TFLITE_CONVERTERS = {"MLIR Converted.": "MLIR converter", "TOCO Converted.": "TOCO converter"}


@dataclass(slots=True)
class FrameworkCall:
    framework: Framework | None = None
    methods: list[IdentMethod] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def framework_of(files: list[FileInfo]) -> FrameworkCall:
    """The exporting framework of a unit's ONNX/TFLite weights, with one IdentMethod per signal seen. When
    the signals disagree the strongest wins and the others are noted."""
    votes: dict[str, float] = {}
    call = FrameworkCall()
    for f in files:
        if f.format == "onnx":
            _onnx(f, votes, call)
        elif f.format == "tflite":
            _tflite(f, votes, call)
    if votes:
        best = max(votes, key=lambda k: (votes[k], k))
        call.framework = FRAMEWORKS[best]
        others = sorted(k for k in votes if k != best)
        if others:
            call.notes.append(
                f"framework signals also point to {', '.join(FRAMEWORKS[k].name for k in others)}"
            )
    return call


def _method(
    call: FrameworkCall, votes: dict[str, float], fid: str, conf: float, what: str, tech: str
) -> None:
    fw = FRAMEWORKS[fid]
    votes[fid] = votes.get(fid, 0.0) + conf
    call.methods.append(
        IdentMethod(technique=tech, confidence=conf, value=f"framework {fw.name}: {what}")  # type: ignore[arg-type]
    )


def _onnx(f: FileInfo, votes: dict[str, float], call: FrameworkCall) -> None:
    md = f.metadata
    pn = str(md.get("producer_name", "") or "")
    pv = str(md.get("producer_version", "") or "")
    fid = _PRODUCER_NAMES.get(pn.strip().lower())
    if fid is not None:
        _method(call, votes, fid, 0.9, f"onnx producer_name={pn} {pv}".strip(), "manifest-analysis")
    elif pn:
        call.notes.append(f"onnx producer_name={pn[:80]} (not a known exporter)")
    gname = str(md.get("graph_name", "") or "")
    for rx, gid, conf in _GRAPH_NAMES:
        if rx.match(gname):
            _method(call, votes, gid, conf, f"onnx graph name {gname[:80]!r}", "manifest-analysis")
            break
    names = list(dict.fromkeys([*f.tensors, *md.get("graph_names", ())]))
    hits = {
        fid: [n for n in names if any(rx.search(n) for rx in pats)] for fid, pats in _NAME_PATTERNS.items()
    }
    ranked = sorted(hits.items(), key=lambda kv: -len(kv[1]))
    top, top_hits = ranked[0]
    second = len(ranked[1][1]) if len(ranked) > 1 else 0
    if len(top_hits) >= _MIN_HITS and len(top_hits) >= 2 * second:
        shown = ", ".join(top_hits[:3])
        what = f"graph naming signature ({len(top_hits)} of {len(names)} names read, e.g. {shown})"
        _method(call, votes, top, 0.7, what[:400], "binary-analysis")


def _tflite(f: FileInfo, votes: dict[str, float], call: FrameworkCall) -> None:
    desc = str(f.metadata.get("description", "") or "")
    how = _TFLITE_CONVERTERS.get(desc.strip(), "")
    what = f"TFL3 FlatBuffer{f' ({how}: description {desc!r})' if how else ''}"
    _method(call, votes, "tflite", 0.8 if how else 0.7, what, "binary-analysis")
