"""Fixture builders for inspection tests: byte-level pickles (no pickletools), zips, tars, npy, GGUF, ONNX."""

from __future__ import annotations

import io
import struct
import tarfile
import zipfile

from tierguard.inspect.engine import inspect_target
from tierguard.inspect.interface import InspectOutput
from tierguard.targets.archive import expand
from tierguard.targets.memory import MemoryResolver


def sbu(s: str) -> bytes:
    """SHORT_BINUNICODE + MEMOIZE."""
    b = s.encode()
    return b"\x8c" + bytes([len(b)]) + b + b"\x94"


def stack_global(module: str, name: str, arg: str = "id") -> bytes:
    """protocol 4: module.name(arg) via STACK_GLOBAL + REDUCE."""
    return b"\x80\x04" + sbu(module) + sbu(name) + b"\x93\x94" + sbu(arg) + b"\x85R."


def text_global(module: str, name: str, arg: str = "id") -> bytes:
    """protocol 0: cmodule\\nname\\n(S'arg'\\ntR."""
    return f"c{module}\n{name}\n(S'{arg}'\ntR.".encode()


def torch_data_pkl(n_tensors: int = 2) -> bytes:
    """A data.pkl like torch.save writes: OrderedDict of _rebuild_tensor_v2(persistent storage refs)."""
    out = bytearray(b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01(")
    for i in range(n_tensors):
        key = f"layer.{i}.weight".encode()
        out += b"X" + struct.pack("<I", len(key)) + key
        out += b"ctorch._utils\n_rebuild_tensor_v2\nq\x02("
        out += b"(X\x07\x00\x00\x00storagectorch\nFloatStorage\nq\x03"
        sk = str(i).encode()
        out += b"X" + struct.pack("<I", len(sk)) + sk + b"X\x03\x00\x00\x00cpuK\x04tq\x04Q"
        out += b"K\x00K\x02K\x02\x86K\x02K\x01\x86\x89ccollections\nOrderedDict\n)Rtq\x05R"
    out += b"u."
    return bytes(out)


def make_zip(members: dict[str, bytes], *, deflate: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED) as z:
        for n, d in members.items():
            z.writestr(n, d)
    return buf.getvalue()


def make_tar(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for n, d in members.items():
            ti = tarfile.TarInfo(n)
            ti.size = len(d)
            t.addfile(ti, io.BytesIO(d))
    return buf.getvalue()


def make_npy(descr: str, payload: bytes) -> bytes:
    header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (1,), }"
    header += " " * (63 - (len(header) + 10) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + payload


def gguf(kv: list[tuple[str, int, bytes]], *, n_tensors: int = 0, n_kv: int | None = None) -> bytes:
    out = b"GGUF" + struct.pack("<IQQ", 3, n_tensors, len(kv) if n_kv is None else n_kv)
    for k, t, v in kv:
        kb = k.encode()
        out += struct.pack("<Q", len(kb)) + kb + struct.pack("<I", t) + v
    return out


def gguf_str(s: str) -> bytes:
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def run(files: dict[str, bytes | str]) -> InspectOutput:
    return inspect_target(expand(MemoryResolver(files)))


def rules_at(out: InspectOutput, path: str) -> set[tuple[str, str]]:
    return {(f.rule_id, f.subject) for f in out.findings if f.location.path == path}


def status(out: InspectOutput, path: str) -> str:
    return next(i.status for i in out.inspections if i.location.path == path)


def joblib_like(arrays: dict[str, tuple[str, tuple[int, ...], bytes]]) -> bytes:
    """The layout joblib.dump writes (checked against joblib 1.6 output): a NumpyArrayWrapper BUILD, then
    an alignment byte + padding + the raw array bytes outside the opcode stream; for object dtype a
    nested pickle instead of raw bytes."""
    out = bytearray(b"\x80\x04}\x94(")
    for key, (descr, shape, payload) in arrays.items():
        out += sbu(key) + sbu("joblib.numpy_pickle") + sbu("NumpyArrayWrapper") + b"\x93\x94)\x81\x94}\x94("
        out += sbu("shape") + b"(" + b"".join(b"K" + bytes([d]) for d in shape) + b"t\x94"
        out += sbu("dtype") + sbu("numpy") + sbu("dtype") + b"\x93\x94"
        out += sbu(descr) + b"\x89\x88\x87\x94R\x94"  # numpy.dtype(descr, False, True)
        out += sbu("numpy_array_alignment_bytes") + b"K\x10" + b"ub"
        if descr.startswith("O"):
            out += payload
        else:
            out += b"\x03\xff\xff\xff" + payload
    out += b"u."
    return bytes(out)
