"""Benchmark: identify a synthetic estate of sparse model files (> 500 GB apparent size) from headers only,
side by side with modelscan and picklescan on the same folder.

    python bench/artifacts/bench_artifacts.py [--root DIR] [--scanners-venv VENV] [--keep]

The estate is created under --root with truncate-extended (sparse) files, so it takes a few MB of disk, and
is deleted afterwards (--keep keeps it). modelscan/picklescan are run from a separate virtualenv when one is
given (they are not project dependencies); their absence is reported, not an error.
"""

from __future__ import annotations

import argparse
import json
import pickle
import shutil
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

GB = 1024**3


def _layer_tensors(family: str, layers: int, hidden: int, vocab: int) -> dict[str, list[int]]:
    t: dict[str, list[int]] = {"model.embed_tokens.weight": [vocab, hidden], "model.norm.weight": [hidden]}
    for i in range(layers):
        p = f"model.layers.{i}."
        for proj in ("q", "k", "v", "o"):
            t[f"{p}self_attn.{proj}_proj.weight"] = [hidden, hidden]
        if family == "qwen2":
            for proj in ("q", "k", "v"):
                t[f"{p}self_attn.{proj}_proj.bias"] = [hidden]
        for proj in ("gate", "up", "down"):
            t[f"{p}mlp.{proj}_proj.weight"] = [hidden * 3, hidden]
        t[f"{p}input_layernorm.weight"] = [hidden]
        t[f"{p}post_attention_layernorm.weight"] = [hidden]
    return t


def _sparse(path: Path, head: bytes, size: int, tail: bytes = b"") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(head)
        if tail:
            fh.seek(size - len(tail))
            fh.write(tail)
        fh.truncate(size)


def safetensors_shards(d: Path, family: str, shards: int, shard_size: int, vocab: int) -> None:
    t = _layer_tensors(family, layers=80, hidden=8192, vocab=vocab)
    names = list(t)
    per = -(-len(names) // shards)
    wm = {}
    for s in range(shards):
        part = names[s * per : (s + 1) * per]
        fname = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        hdr: dict[str, object] = {"__metadata__": {"format": "pt"}}
        off = 0
        step = max(1, (shard_size - 1024 * 1024) // max(1, len(part)))
        for n in part:
            hdr[n] = {"dtype": "BF16", "shape": t[n], "data_offsets": [off, off + step]}
            off += step
            wm[n] = fname
        raw = json.dumps(hdr).encode()
        raw += b" " * (-len(raw) % 8)
        _sparse(d / fname, struct.pack("<Q", len(raw)) + raw, shard_size)
    (d / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": wm}))
    cfg = {"qwen2": ("Qwen2ForCausalLM", "qwen2"), "llama": ("LlamaForCausalLM", "llama")}[family]
    (d / "config.json").write_text(
        json.dumps({"architectures": [cfg[0]], "model_type": cfg[1], "vocab_size": vocab})
    )


def _gstr(s: str) -> bytes:
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf(path: Path, size: int, org: str, base: str, arch: str, vocab: int) -> None:
    kv: list[bytes] = []

    def s(k: str, v: str) -> None:
        kv.append(_gstr(k) + struct.pack("<I", 8) + _gstr(v))

    def u(k: str, v: int) -> None:
        kv.append(_gstr(k) + struct.pack("<I", 4) + struct.pack("<I", v))

    s("general.architecture", arch)
    s("general.organization", org)
    s("general.basename", base)
    s("general.name", base)
    u("general.file_type", 15)
    s("tokenizer.ggml.model", "gpt2")
    tokens = [f"tok{i}" for i in range(vocab)]
    kv.append(
        _gstr("tokenizer.ggml.tokens")
        + struct.pack("<IIQ", 9, 8, len(tokens))
        + b"".join(_gstr(t) for t in tokens)
    )
    head = b"GGUF" + struct.pack("<IQQ", 3, 723, len(kv)) + b"".join(kv)
    _sparse(path, head, size)


def pytorch_zip(path: Path, size: int) -> None:
    """A zip64 PyTorch checkpoint: small stored data.pkl, one huge stored tensor member (sparse)."""
    names = _layer_tensors("qwen2", layers=28, hidden=3584, vocab=152064)
    pkl = pickle.dumps({n: 0 for n in names}, protocol=2)
    out = bytearray()
    cd = bytearray()
    members: list[tuple[str, bytes | None, int]] = [
        ("archive/data.pkl", pkl, len(pkl)),
        ("archive/version", b"3\n", 2),
        ("archive/data/0", None, 0),
    ]
    offsets = []
    big_at = 0
    for name, data, _ in members:
        nb = name.encode()
        offsets.append(len(out))
        if data is None:
            big_size = size - len(out) - 30 - len(nb) - 20 - 4096
            extra = struct.pack("<HHQQ", 1, 16, big_size, big_size)
            out += struct.pack(
                "<4sHHHHHIIIHH", b"PK\x03\x04", 45, 0, 0, 0, 0, 0, 0xFFFFFFFF, 0xFFFFFFFF, len(nb), len(extra)
            )
            out += nb + extra
            big_at = len(out)
            members[-1] = (name, None, big_size)
        else:
            crc = zlib.crc32(data)
            out += struct.pack(
                "<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 0, 0, 0, crc, len(data), len(data), len(nb), 0
            )
            out += nb + data
    cd_at = big_at + members[-1][2]
    for (name, data, ln), off in zip(members, offsets, strict=True):
        nb = name.encode()
        if data is None:
            extra = struct.pack("<HHQQQ", 1, 24, ln, ln, off)
            cd += (
                struct.pack(
                    "<4sHHHHHHIIIHHHHHII",
                    b"PK\x01\x02",
                    45,
                    45,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0xFFFFFFFF,
                    0xFFFFFFFF,
                    len(nb),
                    len(extra),
                    0,
                    0,
                    0,
                    0,
                    0xFFFFFFFF,
                )
                + nb
                + extra
            )
        else:
            cd += (
                struct.pack(
                    "<4sHHHHHHIIIHHHHHII",
                    b"PK\x01\x02",
                    20,
                    20,
                    0,
                    0,
                    0,
                    0,
                    zlib.crc32(data),
                    ln,
                    ln,
                    len(nb),
                    0,
                    0,
                    0,
                    0,
                    0,
                    off,
                )
                + nb
            )
    eocd64_at = cd_at + len(cd)
    tail = bytes(cd)
    tail += struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, 3, 3, len(cd), cd_at)
    tail += struct.pack("<4sIQI", b"PK\x06\x07", 0, eocd64_at, 1)
    tail += struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    _sparse(path, bytes(out), cd_at + len(tail), tail)


def build(root: Path) -> int:
    if root.exists():
        shutil.rmtree(root)
    for i in range(6):
        fam, vocab = ("qwen2", 152064) if i % 2 == 0 else ("llama", 128256)
        safetensors_shards(
            root / f"team-{i}" / f"assistant-v{i}", fam, shards=17, shard_size=5 * GB, vocab=vocab
        )
    for i, (org, base, arch) in enumerate(
        [
            ("Qwen", "Qwen2.5", "qwen2"),
            ("deepseek-ai", "DeepSeek-R1-Distill-Qwen", "qwen2"),
            ("meta-llama", "Llama-3.1", "llama"),
            ("Qwen", "Qwen2.5-Coder", "qwen2"),
        ]
    ):
        gguf(root / "gguf" / f"m{i}-Q4_K_M.gguf", 30 * GB, org, base, arch, vocab=20000)
    for i in range(4):
        pytorch_zip(root / "torch" / f"ckpt{i}.pt", 15 * GB)
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def run_tierguard(root: Path) -> tuple[float, dict[str, object]]:
    from tierguard.catalog import load_catalog
    from tierguard.identify.artifacts import identify_artifacts
    from tierguard.targets.directory import DirectoryResolver

    cat = load_catalog()
    t0 = time.perf_counter()
    out = identify_artifacts(DirectoryResolver(root), cat)
    dt = time.perf_counter() - t0
    reads = [int(e.attributes.get("bytes_read", "0")) for e in out.evidence]
    names = sorted(
        {f"{a.name} [{','.join(sorted({p.id for p in a.provenance.producers}))}]" for a in out.assets}
    )
    return dt, {
        "assets": len(out.assets),
        "model_units": sum(int(a.attributes.get("locations", "1")) for a in out.assets),
        "files_read": len(reads),
        "max_bytes_read_per_file": max(reads, default=0),
        "total_bytes_read": sum(reads),
        "identified": names,
        "incomplete": sum(a.attributes["status"] != "complete" for a in out.assets),
        "findings": [f.rule_id for f in out.findings],
    }


def run_external(cmd: list[str]) -> tuple[float, int, str]:
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return time.perf_counter() - t0, -1, str(exc)
    return time.perf_counter() - t0, p.returncode, (p.stdout + p.stderr)[-400:]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", type=Path, default=Path("/tmp/tg-bench-estate"))
    ap.add_argument("--scanners-venv", type=Path, default=Path("/tmp/tg-bench-venv"))
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    t0 = time.perf_counter()
    apparent = build(args.root)
    disk = sum(p.stat().st_blocks * 512 for p in args.root.rglob("*") if p.is_file())
    print(
        f"estate: {apparent / 1e9:.1f} GB apparent, {disk / 1e6:.1f} MB on disk, "
        f"built in {time.perf_counter() - t0:.1f}s"
    )
    try:
        dt, info = run_tierguard(args.root)
        print(f"tierguard identify_artifacts: {dt:.3f}s {json.dumps(info, indent=1)}")
        rows = [("tierguard (in-process)", dt, 0)]
        code = (
            "import sys; from pathlib import Path; from tierguard.catalog import load_catalog; "
            "from tierguard.identify.artifacts import identify_artifacts; "
            "from tierguard.targets.directory import DirectoryResolver; "
            "o = identify_artifacts(DirectoryResolver(Path(sys.argv[1])), load_catalog()); "
            "print(len(o.assets))"
        )
        st, rc, _ = run_external([sys.executable, "-c", code, str(args.root)])
        rows.append(("tierguard (new process: startup + catalog load + identify)", st, rc))
        vbin = args.scanners_venv / "bin"
        for name, cmd in (
            ("modelscan", [str(vbin / "modelscan"), "-p", str(args.root)]),
            ("picklescan", [str(vbin / "picklescan"), "-p", str(args.root)]),
        ):
            if not (vbin / name).exists():
                print(f"{name}: not installed in {args.scanners_venv}")
                continue
            et, rc, tail = run_external(cmd)
            rows.append((name, et, rc))
            print(f"{name}: {et:.3f}s exit {rc}\n  ...{tail.strip()[-300:]}")
        print("\n| tool | wall time (s) | exit | ratio to tierguard in-process |\n|---|---|---|---|")
        for name, et, rc in rows:
            print(f"| {name} | {et:.3f} | {rc} | {et / dt:.1f}x |")
    finally:
        if not args.keep:
            shutil.rmtree(args.root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
