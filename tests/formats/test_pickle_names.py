"""Tensor names in pickles come from the one pickle walker (formats/pickle.walk_stream), not a byte scan."""

from __future__ import annotations

import os
import pickle
from collections import OrderedDict

import pytest

from tests.inspect.inspect_builders import torch_data_pkl
from tierguard.formats.pickle import tensor_names, walk_stream
from tierguard.formats.source import BytesSource, RangeStream

LEGACY_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19."


def names(data: bytes, size: int | None = None) -> list[str]:
    return tensor_names(RangeStream(BytesSource(data)), len(data) if size is None else size)


def test_walker_collects_string_operands_in_order_fast_and_general_paths() -> None:
    # SHORT_BINUNICODE (fast path), BINSTRING and UNICODE (general path), one not UTF-8 (kept opaque)
    data = b"\x80\x02(\x8c\x03abcT\x02\x00\x00\x00deVfg\n\x8c\x02\xff\xfe" + b"X\x01\x00\x00\x00h" + b"l."
    got: list[str] = []
    res = walk_stream(RangeStream(BytesSource(data)), len(data), got)
    assert res.complete and got == ["abc", "de", "fg", "h"]


def test_torch_data_pkl_names_in_order() -> None:
    assert names(torch_data_pkl(3)) == ["layer.0.weight", "layer.1.weight", "layer.2.weight"]


@pytest.mark.parametrize("proto", [2, 3, 4, 5])
def test_state_dict_of_numpy_arrays_every_name(proto: int) -> None:
    # raw array bytes in BINBYTES operands used to misalign the old byte scan (it missed names after them)
    np = pytest.importorskip("numpy")
    keys = [f"model.layers.{i}.{p}.weight" for i in range(4) for p in ("q_proj", "k_proj", "norm")]
    rng = np.random.default_rng(7)
    sd = OrderedDict((k, rng.standard_normal((8, 8)).astype("float32")) for k in keys)
    ckpt = {"epoch": 3, "state_dict": sd, "optimizer": {"lr": 0.1}}
    got = names(pickle.dumps(ckpt, protocol=proto))
    # protocol 4+ also names its STACK_GLOBAL modules ("numpy._core.multiarray"), as the byte scan did
    assert [n for n in got if not n.startswith("numpy.")] == keys


def test_name_like_bytes_inside_a_binary_operand_are_not_names() -> None:
    # a SHORT_BINBYTES payload holding what looks like a SHORT_BINUNICODE "evil.weight"
    fake = b"\x8c\x0bevil.weight"
    data = b"\x80\x02(C" + bytes([len(fake)]) + fake + b"\x8c\x0breal.weightl."
    assert names(data) == ["real.weight"]


def test_misaligning_bytes_do_not_hide_the_next_name() -> None:
    # a payload ending in 0x8c 0x03 made the old byte scan swallow the following string opcode
    data = b"\x80\x02(C\x02\x8c\x03\x8c\x0cmodel.weightl."
    assert names(data) == ["model.weight"]


def test_legacy_torch_save_walks_the_stacked_pickles_not_the_storage_bytes() -> None:
    storages = b"\x8c\x0bfake.weight" + os.urandom(4096)
    data = (
        LEGACY_MAGIC
        + pickle.dumps(1001, protocol=2)
        + pickle.dumps({"protocol_version": 1001, "little_endian": True}, protocol=2)
        + torch_data_pkl(5)
        + pickle.dumps(["0", "1", "2", "3", "4"], protocol=2)
        + storages
    )
    assert names(data) == [f"layer.{i}.weight" for i in range(5)]


def test_truncated_pickle_keeps_the_names_before_the_cut() -> None:
    full = torch_data_pkl(50)
    cut = full[: len(full) // 2]
    got = names(cut, len(full))
    assert got and got == [f"layer.{i}.weight" for i in range(len(got))] and len(got) < 50


def test_not_a_pickle_and_dotless_strings_give_nothing() -> None:
    assert names(b"PK\x03\x04 not a pickle") == []
    assert names(pickle.dumps({"weight": 1, "bias": 2, "a b.c": 3}, protocol=2)) == []
