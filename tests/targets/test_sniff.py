"""targets/sniff.py is the one content sniff every stage uses: protobuf / ONNX heads are recognised there
(identify no longer corrects it), and real text stays text."""

from __future__ import annotations

import random
import string

import pytest

from tierguard.identify.artifact_files import classify
from tierguard.targets.memory import MemoryResolver
from tierguard.targets.sniff import looks_like_onnx, sniff

ONNX = b"\x08\x08\x12\x07pytorch\x1a\x052.1.0\x3a\x04\x0a\x02\x08\x01"


@pytest.mark.parametrize(
    "head",
    [
        ONNX,
        ONNX[:3],  # a short head
        b"\x08\x0a\x12\x05hello",  # every byte after the first is text-like
        b"\x08\x09\x22\x03ai.",  # ir_version 9 (a tab byte), then domain
        b"\x08\x07\x3a\x00",  # ir_version then an empty graph
        b"\x08\x01\x12\x04\x0a\x02\x08\x01" + b"\x00" * 8,  # a SavedModel .pb
    ],
)
def test_protobuf_heads_are_onnx_or_protobuf_whatever_the_name(head: bytes) -> None:
    assert looks_like_onnx(head) or len(head) < 3
    for name in ("model.onnx", "model.dat", "saved_model.pb", ""):
        assert sniff(head, name) == "onnx-or-protobuf"


@pytest.mark.parametrize(
    "text",
    [
        b"hello world\n",
        b"\tindented = 1\n",
        "caf\u00e9 na\u00efve \u4e2d\u6587\n".encode(),
        b"# model card\n\nweights: model.onnx\n",
        b"8 small models\n",
        b"\x1b[31mcoloured log\x1b[0m\n",
    ],
)
def test_real_text_is_text_also_named_onnx(text: bytes) -> None:
    assert sniff(text, "notes.txt") == "text"
    assert sniff(text, "model.onnx") == "text"


def test_printable_text_is_never_a_protobuf() -> None:
    rng = random.Random(8)
    alphabet = string.printable.replace("\x0b", "") + "\u00e9\u4e2d"  # (a vertical tab is binary)
    for _ in range(2000):
        head = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 80))).encode()
        assert sniff(head, "x.onnx") != "onnx-or-protobuf", head


def test_identify_takes_onnx_from_sniff_with_or_without_the_listing_kind() -> None:
    files = {"net/model.dat": ONNX, "sm/saved_model.pb": b"\x08\x01\x12\x04\x0a\x02\x08\x01" + b"\x00" * 8}
    res = MemoryResolver(files)
    refs = {r.path: r for r in res.files()}
    for path, fmt in (("net/model.dat", "onnx"), ("sm/saved_model.pb", "tf-savedmodel")):
        ref = refs[path]
        kind = sniff(files[path], ref.name)
        for given in (None, kind):
            got = classify(res, ref, given)
            assert got is not None and got[:2] == (fmt, "weights"), (path, given)
    text = MemoryResolver({"notes/model.onnx": b"not a model, just notes\n"})
    (ref,) = list(text.files())
    assert classify(text, ref, "text") is None and classify(text, ref) is None
