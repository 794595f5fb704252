"""Small real-format fixture builders: safetensors headers (sparse data), GGUF headers, zips, HF layouts."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

QWEN2_SPECIALS = {"151643": "<|endoftext|>", "151644": "<|im_start|>", "151645": "<|im_end|>"}
LLAMA3_SPECIALS = {"128000": "<|begin_of_text|>", "128006": "<|start_header_id|>", "128009": "<|eot_id|>"}


def layer_tensors(
    family: str, layers: int = 2, hidden: int = 64, vocab: int = 151936
) -> dict[str, list[int]]:
    t: dict[str, list[int]] = {
        "model.embed_tokens.weight": [vocab, hidden],
        "model.norm.weight": [hidden],
        "lm_head.weight": [vocab, hidden],
    }
    for i in range(layers):
        p = f"model.layers.{i}."
        for proj in ("q", "k", "v", "o"):
            t[f"{p}self_attn.{proj}_proj.weight"] = [hidden, hidden]
        if family == "qwen2":
            for proj in ("q", "k", "v"):
                t[f"{p}self_attn.{proj}_proj.bias"] = [hidden]
        if family == "qwen3":
            t[f"{p}self_attn.q_norm.weight"] = [16]
            t[f"{p}self_attn.k_norm.weight"] = [16]
        for proj in ("gate", "up", "down"):
            t[f"{p}mlp.{proj}_proj.weight"] = [hidden * 2, hidden]
        t[f"{p}input_layernorm.weight"] = [hidden]
        t[f"{p}post_attention_layernorm.weight"] = [hidden]
    return t


def safetensors_bytes(
    tensors: dict[str, list[int]], metadata: dict[str, str] | None = None
) -> tuple[bytes, int]:
    """(header bytes, total file size): data is not written -- extend the file sparsely to the size."""
    header: dict[str, Any] = {}
    off = 0
    for name, shape in tensors.items():
        n = 2
        for d in shape:
            n *= d
        header[name] = {"dtype": "BF16", "shape": shape, "data_offsets": [off, off + n]}
        off += n
    if metadata is not None:
        header["__metadata__"] = metadata
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw, 8 + len(raw) + off


def write_safetensors(
    path: Path, tensors: dict[str, list[int]], metadata: dict[str, str] | None = None
) -> Path:
    head, size = safetensors_bytes(tensors, metadata)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(head)
        fh.truncate(size)  # sparse
    return path


def _gstr(s: str) -> bytes:
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf_bytes(kv: dict[str, Any], tensor_count: int = 0, kv_count: int | None = None) -> bytes:
    """A GGUF v3 header with typed metadata: str, int (uint32), float, list[str]."""
    body = b""
    for k, v in kv.items():
        body += _gstr(k)
        if isinstance(v, str):
            body += struct.pack("<I", 8) + _gstr(v)
        elif isinstance(v, bool):
            body += struct.pack("<I", 7) + struct.pack("<?", v)
        elif isinstance(v, int):
            body += struct.pack("<I", 4) + struct.pack("<I", v)
        elif isinstance(v, float):
            body += struct.pack("<I", 6) + struct.pack("<f", v)
        elif isinstance(v, list):
            body += struct.pack("<I", 9) + struct.pack("<I", 8) + struct.pack("<Q", len(v))
            body += b"".join(_gstr(x) for x in v)
        else:
            raise TypeError(type(v))
    n = len(kv) if kv_count is None else kv_count
    return b"GGUF" + struct.pack("<IQQ", 3, tensor_count, n) + body


def write_gguf(path: Path, kv: dict[str, Any], size: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = gguf_bytes(kv)
    with open(path, "wb") as fh:
        fh.write(raw)
        if size is not None:
            fh.truncate(size)
    return path


def write_json(path: Path, obj: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj))
    return path


def qwen2_dir(d: Path, *, config: bool = True, tokenizer: bool = True) -> Path:
    write_safetensors(d / "model.safetensors", layer_tensors("qwen2"), {"format": "pt"})
    if config:
        write_json(
            d / "config.json",
            {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "vocab_size": 151936},
        )
    if tokenizer:
        write_json(
            d / "tokenizer_config.json",
            {
                "added_tokens_decoder": {
                    k: {"content": v, "special": True} for k, v in QWEN2_SPECIALS.items()
                },
                "eos_token": "<|im_end|>",
            },
        )
    return d


# ---- a small protobuf writer (ONNX ModelProto and friends)


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def vint(fno: int, val: int) -> bytes:
    return varint(fno << 3) + varint(val)


def ld(fno: int, body: bytes | str) -> bytes:
    raw = body.encode() if isinstance(body, str) else body
    return varint(fno << 3 | 2) + varint(len(raw)) + raw
