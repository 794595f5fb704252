"""Fuzz seeds: the shared picklescan corpus (when present) plus cases built here, each with the byte ranges
that keep its malicious payload reachable (``protected``).

"Malicious bytes intact" (the oracle's precondition) is defined on those ranges: a mutated case is *intact*
when the mutation changed no byte inside any protected range (bytes may move: an insertion before a range
shifts it whole). The protected ranges of a malicious seed are:

* a raw pickle (also stacked, legacy PyTorch, the pickle after an object ``.npy`` header): every byte from
  the start of the file through the end of the last import opcode (``GLOBAL``/``INST`` with their operand
  lines, ``STACK_GLOBAL`` after its pushed operands) of the consecutive streams -- whatever a loader reads
  before it reaches the payload's import is intact, so a loader still reaches it;
* a member of a zip or tar: its local (tar) header and its bytes through that import end (the whole member
  when it is compressed); the central directory, the end record, other members and their headers are
  container metadata, whose edits leave the case intact (a reader that walks local headers still finds the
  member, as the issue's central-directory edits showed). Bytes inserted or removed before a tar member
  keep it intact only in whole 512-byte blocks (no tar reader finds a header off the block grid);
* a 7z archive or a file the disassembler cannot walk: the whole file (only appended bytes leave it intact).

The ranges are computed with ``pickletools.genops`` (a disassembler: it never imports or calls anything).
"""

from __future__ import annotations

import io
import os
import pickle
import pickletools
import struct
import subprocess
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.artifacts.builders import gguf_bytes, safetensors_bytes

CORPUS = Path(
    os.environ.get("TIERGUARD_FUZZ_CORPUS")
    or Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "picklescan"
)
Range = tuple[int, int]
_IMPORT_OPS = frozenset({"GLOBAL", "INST", "STACK_GLOBAL"})


@dataclass(frozen=True)
class Seed:
    name: str  # file name on disk (extensions matter to some loaders, never to the sniff)
    data: bytes
    kind: str  # pickle, torch-zip, torch-legacy, zip, tar, tar.gz, 7z, npy, safetensors, gguf, corpus-*
    malicious: bool
    protected: tuple[Range, ...] = ()
    raw_pickle: bool = False  # a bare pickle stream file: stacking applies
    container: str = ""  # "zip", "tar", "zip tar": headers in plain view (zip/tar field edits apply)
    anchored: bool = False  # read from byte 0 (raw pickle, .npy, 7z, gzip): no insertion before a range
    align: int = 1  # a tar: 512 (members sit on blocks: only whole blocks may come or go before a range)


class _Reduce:
    """pickle.dumps(_Reduce(f, args)) writes the import of ``f`` and a REDUCE; building only, never loaded."""

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.fn, self.args = fn, args

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.fn, self.args)


GADGETS: list[tuple[Callable[..., Any], tuple[Any, ...]]] = [
    (os.system, ("true",)),
    (eval, ("1+1",)),
    (subprocess.check_output, (["true"],)),
]


def malicious_pickle(protocol: int, gadget: int = 0, *, nested: bool = False) -> bytes:
    fn, args = GADGETS[gadget % len(GADGETS)]
    obj: Any = _Reduce(fn, args)
    if nested:  # the import in the middle of ordinary data
        obj = {"weights": list(range(40)), "config": {"lr": 0.1, "hook": obj}, "tail": "x" * 30}
    return pickle.dumps(obj, protocol=protocol)


def benign_pickle(protocol: int = 4) -> bytes:
    return pickle.dumps({"a": [1, 2, 3], "b": "x" * 20, "c": (1.5, None, True)}, protocol=protocol)


def import_end(data: bytes, start: int = 0) -> int | None:
    """End offset (absolute) of the last import opcode in the consecutive pickle streams at ``start``; None
    when the disassembler finds none (or cannot walk the data)."""
    last: int | None = None
    pos = start
    while pos < len(data):
        prev: tuple[str, int] | None = None
        stop_at: int | None = None
        try:
            for op, _arg, p in pickletools.genops(io.BytesIO(data[pos:])):
                assert p is not None
                if prev is not None and prev[0] in _IMPORT_OPS:
                    last = pos + p
                prev = (op.name, p)
                if op.name == "STOP":
                    stop_at = pos + p + 1
        except Exception:  # noqa: BLE001 - a stream it cannot walk ends the search
            return last
        if stop_at is None:
            return last
        pos = stop_at
    return last


def _member_ranges(data: bytes, names: set[str] | None = None) -> list[Range]:
    """Local header + member bytes (through the import end when stored) of a zip's members."""
    out: list[Range] = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            if names is not None and info.filename not in names:
                continue
            h = info.header_offset
            n, e = struct.unpack("<HH", data[h + 26 : h + 30])
            start = h + 30 + n + e
            end = start + info.compress_size
            if info.compress_type == zipfile.ZIP_STORED:
                ie = import_end(data[start:end])
                if ie is not None:
                    end = start + ie
            out.append((h, end))
    return out


def _tar_ranges(data: bytes, names: set[str]) -> list[Range]:
    out: list[Range] = []
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        for m in t.getmembers():
            if m.name in names:
                body = data[m.offset_data : m.offset_data + m.size]
                ie = import_end(body)
                out.append((m.offset, m.offset_data + (ie if ie is not None else m.size)))
    return out


def make_zip(members: dict[str, bytes], deflate: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED) as z:
        for n, d in members.items():
            info = zipfile.ZipInfo(n, (2020, 1, 1, 0, 0, 0))  # fixed date: the same bytes on every run
            info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
            z.writestr(info, d)
    return buf.getvalue()


def make_tar(members: dict[str, bytes], mode: str = "w") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as t:  # type: ignore[call-overload]
        for n, d in members.items():
            ti = tarfile.TarInfo(n)
            ti.size = len(d)
            t.addfile(ti, io.BytesIO(d))
    return buf.getvalue()


def make_7z(members: dict[str, bytes]) -> bytes | None:
    try:
        import py7zr
    except ImportError:
        return None
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w") as z:
        for n, d in members.items():
            z.writestr(d, n)
    return buf.getvalue()


def torch_zip(data_pkl: bytes, *, deflate: bool = False, n_tensors: int = 2) -> bytes:
    members = {"archive/data.pkl": data_pkl, "archive/version": b"3\n", "archive/byteorder": b"little"}
    members.update({f"archive/data/{i}": bytes(range(64)) for i in range(n_tensors)})
    return make_zip(members, deflate)


def torch_legacy(data_pkl: bytes) -> bytes:
    magic = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2)
    head = magic + pickle.dumps(1001, protocol=2)
    head += pickle.dumps({"protocol_version": 1001, "little_endian": True}, protocol=2)
    return head + data_pkl + pickle.dumps(["0"], protocol=2) + struct.pack("<q", 4) + bytes(16)


def npy_object(payload: bytes) -> bytes:
    header = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
    header += " " * (63 - (len(header) + 10) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + payload


def _raw(name: str, data: bytes, kind: str = "pickle") -> Seed:
    ie = import_end(data)
    assert ie is not None, name
    return Seed(name, data, kind, True, ((0, ie),), raw_pickle=True, anchored=True)


def built_seeds() -> list[Seed]:
    """Cases built here (deterministic bytes)."""
    out = [_raw(f"mal_p{p}.pkl", malicious_pickle(p, p)) for p in range(6)]
    out += [_raw(f"mal_nested_p{p}.pkl", malicious_pickle(p, p + 1, nested=True)) for p in (0, 2, 4, 5)]
    out += [Seed(f"benign_p{p}.pkl", benign_pickle(p), "pickle", False, raw_pickle=True) for p in (0, 2, 4)]
    mal2, mal4 = malicious_pickle(2, 0, nested=True), malicious_pickle(4, 1)
    out.append(_raw("stacked_mal.pkl", benign_pickle(2) * 5 + mal4))
    legacy = torch_legacy(mal2)
    legacy_end = import_end(legacy) or len(legacy)
    out.append(Seed("legacy_mal.pt", legacy, "torch-legacy", True, ((0, legacy_end),), anchored=True))
    for deflate in (False, True):
        tz = torch_zip(mal2, deflate=deflate)
        out.append(Seed(f"torch_mal{'_z' if deflate else ''}.pt", tz, "torch-zip", True,
                        tuple(_member_ranges(tz, {"archive/data.pkl"})), container="zip"))  # fmt: skip
        wz = make_zip({"readme.txt": b"hello\n", "model.pkl": mal4, "cfg.json": b"{}"}, deflate)
        out.append(Seed(f"wrap_mal{'_z' if deflate else ''}.zip", wz, "zip", True,
                        tuple(_member_ranges(wz, {"model.pkl"})), container="zip"))  # fmt: skip
    from tests.inspect.inspect_builders import torch_data_pkl

    out.append(Seed("torch_benign.pt", torch_zip(torch_data_pkl(3), n_tensors=3), "torch-zip", False,
                    container="zip"))  # fmt: skip
    wt = make_tar({"readme.txt": b"hello\n", "model.pkl": mal4, "z.txt": b"z"})
    out.append(Seed("wrap_mal.tar", wt, "tar", True, tuple(_tar_ranges(wt, {"model.pkl"})), container="tar",
                    align=512))  # fmt: skip
    tgz = make_tar({"readme.txt": b"hello\n", "model.pkl": mal4}, "w:gz")
    out.append(Seed("wrap_mal.tar.gz", tgz, "tar.gz", True, ((0, len(tgz)),), anchored=True))
    inner = make_tar({"model.pkl": mal4})
    nz = make_zip({"inner.tar": inner, "a.txt": b"a"})
    (h, _end) = _member_ranges(nz, {"inner.tar"})[0]
    start = nz.index(inner)
    ie = _tar_ranges(inner, {"model.pkl"})[0][1]
    out.append(Seed("nested_mal.zip", nz, "zip>tar", True, ((h, start + ie),), container="zip tar"))
    sz = make_7z({"model.pkl": mal4, "readme.txt": b"hello\n"})
    if sz is not None:
        out.append(Seed("wrap_mal.7z", sz, "7z", True, ((0, len(sz)),), anchored=True))
    npy = npy_object(mal2)
    npy_end = len(npy) - len(mal2) + (import_end(mal2) or 0)
    out.append(Seed("obj_mal.npy", npy, "npy", True, ((0, npy_end),), anchored=True))
    head, size = safetensors_bytes({"w": [4, 4], "b": [4]}, {"format": "pt"})
    out.append(Seed("model.safetensors", head + bytes(size - len(head)), "safetensors", False))
    gg = gguf_bytes({"general.architecture": "llama", "general.name": "x", "llama.block_count": 2})
    out.append(Seed("model.gguf", gg, "gguf", False))
    return out


def corpus_seeds(corpus: Path = CORPUS) -> list[Seed]:
    """The shared picklescan corpus, labelled by its LABELS.tsv ('uninspectable' files: no oracle)."""
    labels: dict[str, str] = {}
    for line in (corpus / "LABELS.tsv").read_text().splitlines()[1:]:
        name, label, *_ = line.split("\t")
        labels[name] = label
    out = []
    for name in sorted(labels):
        data = (corpus / name).read_bytes()
        mal = labels[name] == "malicious"
        prot: list[Range] = []
        kind = "corpus-pickle"
        if data.startswith(b"PK"):
            kind = "corpus-zip"
            try:
                prot = _member_ranges(data)
            except (zipfile.BadZipFile, ValueError):
                prot = [(0, len(data))]
        elif data.startswith(b"7z"):
            kind, prot = "corpus-7z", [(0, len(data))]
        else:
            ie = import_end(data)
            prot = [(0, ie if ie is not None else len(data))]
        raw = kind == "corpus-pickle" and mal
        box = "zip" if kind == "corpus-zip" else ""
        out.append(Seed(name, data, kind, mal, tuple(prot) if mal else (), raw_pickle=raw, container=box,
                        anchored=kind != "corpus-zip"))  # fmt: skip
    return out


def all_seeds(corpus: Path | None = CORPUS) -> list[Seed]:
    seeds = built_seeds()
    if corpus is not None and (corpus / "LABELS.tsv").is_file():
        seeds += corpus_seeds(corpus)
    return seeds
