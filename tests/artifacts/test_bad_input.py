"""Bad input: every case ends as a recorded incomplete outcome, never a crash or an unbounded read."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

import pytest

from tierguard.catalog import Catalog
from tierguard.formats.source import DEFAULT_BUDGET
from tierguard.identify.artifacts import identify_artifacts
from tierguard.targets.directory import DirectoryResolver
from tierguard.targets.interface import FileRef
from tierguard.targets.memory import MemoryResolver

from .builders import gguf_bytes, layer_tensors, safetensors_bytes


class CountingResolver(MemoryResolver):
    """Records the largest single read and the total read per file."""

    def __init__(self, files: dict[str, bytes]) -> None:
        super().__init__(files)
        self.total: dict[str, int] = {}

    def read_bytes(self, ref: FileRef, limit: int, offset: int = 0) -> bytes:
        data = super().read_bytes(ref, limit, offset)
        self.total[ref.path] = self.total.get(ref.path, 0) + len(data)
        return data


class DenyingResolver(MemoryResolver):
    """Raises PermissionError for reads past the first bytes of one file (sniff works, header read fails)."""

    def read_bytes(self, ref: FileRef, limit: int, offset: int = 0) -> bytes:
        if ref.path.endswith("locked.safetensors") and (offset > 0 or limit > 64):
            raise PermissionError(13, "Permission denied", ref.path)
        if ref.path.endswith("denied.gguf"):
            raise PermissionError(13, "Permission denied", ref.path)
        return super().read_bytes(ref, limit, offset)


def _one(out, path: str):  # type: ignore[no-untyped-def]
    got = [a for a in out.assets if a.details.path.startswith(path)]
    assert len(got) == 1, [a.details.path for a in out.assets]
    return got[0]


def _st_with_len(n: int, body: bytes) -> bytes:
    return struct.pack("<Q", n) + body


CASES: dict[str, tuple[bytes, str]] = {
    # name: (content, expected reason prefix)
    "trunc/model.safetensors": (_st_with_len(4000, b'{"a": {"dtype": "F16", "shape": [1]'), "malformed"),
    "badjson/model.safetensors": (_st_with_len(24, b'{"a": {"dtype": "F16", xx'), "malformed"),
    "notobj/model.safetensors": (_st_with_len(8, b'{"a": 5}'), "malformed"),
    "absurd/model.gguf": (gguf_bytes({"general.name": "x"}, kv_count=2**62), "malformed"),
    "absurd-tensors/model.gguf": (gguf_bytes({"general.name": "x"}, tensor_count=2**60), "malformed"),
    "strlen/model.gguf": (
        b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 2**63) + b"general.name",
        "malformed",
    ),
    # cut inside the last string: its length now exceeds what is left of the file
    "cut/model.gguf": (
        gguf_bytes({"general.architecture": "qwen2", "general.name": "abc"})[:-2],
        "malformed",
    ),
    "cut2/model.gguf": (gguf_bytes({"general.architecture": "qwen2"})[:30], "truncated"),
    "badtype/model.gguf": (
        b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 1) + b"k" + struct.pack("<I", 99),
        "malformed",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_headers_are_incomplete_not_crashes(name: str, catalog: Catalog) -> None:
    content, reason = CASES[name]
    res = CountingResolver({name: content, "ok/notes.txt": b"hello"})
    out = identify_artifacts(res, catalog)
    a = _one(out, name.split("/")[0])
    assert a.details.status == "incomplete"
    assert a.details.reason.split(": ", 1)[1].startswith(reason), a.details.reason
    assert any(s.path == name and s.reason == "incomplete" for s in out.skipped)
    assert res.total[name] <= len(content) + 64  # sniff head + header reads, each bounded by the size


def test_header_length_larger_than_file(catalog: Catalog) -> None:
    res = CountingResolver({"m/x.safetensors": _st_with_len(50 * 1024 * 1024, b'{"a": 1}')})
    out = identify_artifacts(res, catalog)
    a = _one(out, "m")
    assert a.details.status == "incomplete" and "exceeds file size" in a.details.reason
    assert res.total["m/x.safetensors"] <= 64 + 8


def test_header_over_budget_is_incomplete_without_reading_it(tmp_path: Path, catalog: Catalog) -> None:
    big = {f"t{i}.weight": [1] for i in range(60000)}
    head, size = safetensors_bytes(big)
    assert len(head) > DEFAULT_BUDGET
    p = tmp_path / "big" / "model.safetensors"
    p.parent.mkdir()
    with open(p, "wb") as fh:
        fh.write(head)
        fh.truncate(size)
    out = identify_artifacts(DirectoryResolver(tmp_path), catalog)
    a = _one(out, "big")
    assert (
        a.details.status == "incomplete"
        and a.details.reason.startswith("model.safetensors") is False
    )
    assert "budget" in a.details.reason
    assert a.details.bytes_read <= 64 + 8


def test_huge_sparse_file_reads_only_the_header(tmp_path: Path, catalog: Catalog) -> None:
    head, _ = safetensors_bytes(layer_tensors("qwen2"))
    p = tmp_path / "huge" / "model.safetensors"
    p.parent.mkdir()
    with open(p, "wb") as fh:
        fh.write(head)
        fh.truncate(20 * 1024**3)  # 20 GiB apparent size, sparse
    out = identify_artifacts(DirectoryResolver(tmp_path), catalog)
    a = _one(out, "huge")
    assert a.details.structure == "qwen2" and a.details.status == "complete"
    assert a.details.bytes_read < 2 * len(head) + 64


def test_zip_bomb_member_is_never_expanded(tmp_path: Path, catalog: Catalog) -> None:
    p = tmp_path / "bomb.pt"
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("archive/data.pkl", b"\x00" * (200 * 1024 * 1024))  # 200 MiB of zeros, ~200 KiB compressed
        z.writestr("archive/version", "3\n")
    res = DirectoryResolver(tmp_path)
    out = identify_artifacts(res, catalog)
    a = _one(out, "bomb.pt")
    assert a.details.format == "pytorch-zip"
    assert a.details.bytes_read < DEFAULT_BUDGET


def test_zip_with_lying_central_directory(catalog: Catalog) -> None:
    z = b"PK\x03\x04" + b"\x00" * 40 + b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 5, 5, 10**9, 4, 0)
    out = identify_artifacts(MemoryResolver({"w.bin": z}), catalog)
    assert out.assets == []
    assert any(s.path == "w.bin" and s.reason == "incomplete" for s in out.skipped)


def test_permission_errors_are_recorded(catalog: Catalog) -> None:
    head, _ = safetensors_bytes(layer_tensors("qwen2", layers=1))
    res = DenyingResolver({"m/locked.safetensors": head, "n/denied.gguf": b"GGUF" + b"\x00" * 40})
    out = identify_artifacts(res, catalog)
    a = _one(out, "m")
    assert a.details.status == "incomplete" and "permission-denied" in a.details.reason
    b = _one(out, "n")
    assert b.details.status == "incomplete" and b.details.format == "unknown"
    assert any(s.path == "n/denied.gguf" and s.reason == "permission-denied" for s in out.skipped)


def test_invalid_descriptors_do_not_crash(catalog: Catalog) -> None:
    head, _ = safetensors_bytes(layer_tensors("qwen2", layers=1))
    out = identify_artifacts(
        MemoryResolver(
            {
                "m/model.safetensors": head,
                "m/config.json": b"{not json",
                "m/README.md": b"---\nbase_model: [unclosed\n---\n",
                "m/tokenizer.json": b'{"added_tokens": [{"id": "x"',
                "m/tokenizer.model": b"\x0a\xff\xff\xff\xff\x0f",
                "m/adapter_config.json": json.dumps([1, 2]).encode(),
            }
        ),
        catalog,
    )
    a = _one(out, "m")
    assert a.details.structure == "qwen2"
    assert a.details.status == "incomplete"
    assert "config.json" in a.details.reason and "README.md" in a.details.reason


def test_gguf_with_huge_token_array_stops_at_the_budget(tmp_path: Path, catalog: Catalog) -> None:
    from .builders import write_gguf

    tokens = [f"token-{i:08d}" for i in range(200_000)]  # ~4.4 MB of strings
    p = write_gguf(
        tmp_path / "big.gguf",
        {
            "general.architecture": "qwen2",
            "general.organization": "Qwen",
            "general.basename": "Qwen2.5",
            "tokenizer.ggml.pre": "qwen2",
            "tokenizer.ggml.tokens": tokens,
            "tokenizer.chat_template": "{{ x }}",
        },
        size=40 * 1024**3,
    )
    assert p.stat().st_size == 40 * 1024**3
    out = identify_artifacts(DirectoryResolver(tmp_path), catalog)
    a = _one(out, "big.gguf")
    assert a.name == "Qwen/Qwen2.5" and a.details.status == "complete"
    assert "read up to the budget" in a.details.notes
    assert a.details.bytes_read <= DEFAULT_BUDGET
