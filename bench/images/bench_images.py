"""Benchmark: scanning a ~5 GB container image with tierguard vs extracting its layers and running ripgrep.

    python bench/images/bench_images.py [--model-gb 4.5] [--files 40000] [--rounds 3] [--dir DIR --keep]
                                        [--json out.json]

Generates (not timed) one image in two forms, in a temporary directory:

* ``image.tar``: a ``docker save`` archive (legacy layout, uncompressed layers), and
* ``oci/``: an OCI image layout as a registry serves it (every layer gzip-compressed),

with five layers: an OS-like layer (docs, configs, shared-library-like binaries), a Python site-packages
layer, an application layer (a few files using PRC AI services and SDKs), a model layer holding one GGUF
whose data is a hole (the archive is sparse on disk: the multi-GB member costs no disk space, but every
reader must still go through its bytes) and a clean-up layer (whiteouts, an opaque directory). The image
config runs ``vllm serve Qwen/Qwen2.5-7B-Instruct``.

Timed, in interleaved rounds after one warm-up read of every file:

* baseline: each layer extracted in order into an empty directory (``tar -xOf image.tar L | tar -x``; for
  the OCI layout ``tar -xzf blob``), then ``rg -j1 -l -i -F --hidden --no-ignore`` for the five PRC words;
* tierguard: ``python -m tierguard scan IMAGE --format json --fail-on never`` (every stage).

Each command runs in its own child; wall time is measured around it, peak RSS and CPU time are the
child's rusage (with its own children's for the shell pipelines; the image is generated in another child,
so the measuring parent stays small: a forked child's peak RSS starts from its parent's), and bytes written
to disk are the kernel's ``write_bytes`` accounting of the child (a reaped child's counters are added to its
parent's ``/proc/self/io``: the delta around the run). ``PYTHONDONTWRITEBYTECODE=1`` so tierguard's own
``.pyc`` caching does not count.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import random
import shutil
import statistics
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import zlib
from pathlib import Path

WORDS = ["deepseek", "qwen", "dashscope", "zhipu", "moonshot"]
GB = 1 << 30
CHUNK = 8 << 20


def _gguf_head(name: str) -> bytes:
    def s(x: str) -> bytes:
        b = x.encode()
        return struct.pack("<Q", len(b)) + b

    kv = {"general.architecture": "llama", "general.name": name, "general.file_type": 15}
    body = b""
    for k, v in kv.items():
        body += s(k) + (struct.pack("<I", 8) + s(v) if isinstance(v, str) else struct.pack("<II", 4, v))
    return b"GGUF" + struct.pack("<IQQ", 3, 0, len(kv)) + body


class Content:
    """Deterministic file contents: text from a word pool, binaries from one random pool."""

    def __init__(self, seed: int = 13) -> None:
        self.rnd = random.Random(seed)
        self.pool = self.rnd.randbytes(4 << 20)
        self.vocab = [
            "".join(self.rnd.choices("abcdefghijklmnopqrstuvwxyz", k=self.rnd.randint(3, 10)))
            for _ in range(4000)
        ]

    def text(self, n: int) -> bytes:
        words = self.rnd.choices(self.vocab, k=n // 6 + 1)
        lines = [" ".join(words[i : i + 12]) for i in range(0, len(words), 12)]
        return ("\n".join(lines) + "\n").encode()[:n]

    def binary(self, n: int) -> bytes:
        start = self.rnd.randrange(len(self.pool) - n) if n < len(self.pool) else 0
        return b"\x7fELF" + self.pool[start : start + n - 4]

    def python(self, mod: str) -> bytes:
        r = self.rnd
        imports = r.sample(["os", "sys", "json", "re", "typing", "logging", "functools", "itertools"], 3)
        out = [f'"""{mod}: {" ".join(r.choices(self.vocab, k=8))}."""', ""]
        out += [f"import {m}" for m in imports] + [""]
        for i in range(r.randint(3, 12)):
            fn = r.choice(self.vocab)
            args = ", ".join(r.sample(self.vocab, 2))
            out += [
                f"def {fn}_{i}({args}):",
                f'    """{" ".join(r.choices(self.vocab, k=10))}."""',
                f"    value = {r.choice(self.vocab)}({args}) + {r.randint(0, 999)}",
                f"    return {{'{r.choice(self.vocab)}': value, 'n': {i}}}",
                "",
            ]
        return "\n".join(out).encode()


def _layers(files: int, c: Content) -> list[list[tuple[str, bytes]]]:
    """Small-file layers: OS, site-packages, application."""
    n_os, n_py = files * 3 // 10, files * 6 // 10
    n_app = files - n_os - n_py
    os_layer: list[tuple[str, bytes]] = []
    for i in range(n_os):
        kind = i % 4
        if kind == 0:
            os_layer.append((f"usr/share/doc/pkg{i}/copyright", c.text(c.rnd.randint(800, 4000))))
        elif kind == 1:
            os_layer.append((f"etc/conf{i // 400}/pkg{i}.conf", c.text(c.rnd.randint(100, 1500))))
        elif kind == 2:
            os_layer.append((f"usr/lib/x86_64-linux-gnu/lib{i}.so.1", c.binary(c.rnd.randint(4000, 60000))))
        else:
            os_layer.append((f"usr/share/man/man1/tool{i}.1", c.text(c.rnd.randint(500, 6000))))
    sp = "usr/local/lib/python3.11/site-packages"
    py_layer = [(f"{sp}/pkg{i // 60}/mod{i}.py", c.python(f"mod{i}")) for i in range(n_py)]
    for p in range(0, n_py // 60 + 1):
        req = "Requires-Dist: dashscope>=1.20\n" if p == 7 else ""
        py_layer.append(
            (f"{sp}/pkg{p}-1.0.dist-info/METADATA", f"Name: pkg{p}\nVersion: 1.0\n{req}".encode())
        )
    app = [(f"app/src/m{i}.py", c.python(f"m{i}")) for i in range(n_app - 4)]
    app += [
        ("app/requirements.txt", b"openai==1.30.0\ndashscope==1.20.0\nfastapi\n"),
        (
            "app/llm.py",
            b"from openai import OpenAI\nclient = OpenAI(base_url='https://api.deepseek.com')\n"
            b"client.chat.completions.create(model='deepseek-chat', messages=[])\n",
        ),  # fmt: skip
        ("app/config.yaml", b"llm:\n  provider: zhipuai\n  model: glm-4-plus\n"),
        ("app/tmp/cache.json", b"{}"),
    ]
    return [os_layer, py_layer, app]


def _tar_bytes(files: list[tuple[str, bytes]], extra: list[tarfile.TarInfo] = ()) -> bytes:  # type: ignore[assignment]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in files:
            ti = tarfile.TarInfo(name)
            ti.size, ti.mtime = len(data), 1_700_000_000
            tf.addfile(ti, io.BytesIO(data))
        for ti in extra:
            tf.addfile(ti)
    return buf.getvalue()


def _cleanup_layer(os_files: list[tuple[str, bytes]]) -> bytes:
    extra = []
    for name, _ in os_files[: len(os_files) // 12]:
        head, _, base = name.rpartition("/")
        extra.append(tarfile.TarInfo(f"{head}/.wh.{base}"))
    extra.append(tarfile.TarInfo("app/tmp/.wh..wh..opq"))
    return _tar_bytes([], extra)


class ModelLayer:
    """The model layer as a byte stream: one member (GGUF header, then a hole of zeros), end blocks."""

    def __init__(self, size: int) -> None:
        self.name = "models/DeepSeek-R1-Distill-Llama-70B-Q4_K_M.gguf"
        self.head = _gguf_head("DeepSeek-R1-Distill-Llama-70B")
        ti = tarfile.TarInfo(self.name)
        ti.size, ti.mtime = size, 1_700_000_000
        self.header = ti.tobuf(tarfile.PAX_FORMAT)
        self.size = size
        self.total = len(self.header) + size + (-size % 512) + 1024

    def pieces(self) -> list[tuple[str, int | bytes]]:
        """("data", bytes) or ("hole", length) in order."""
        zeros = self.size - len(self.head) + (-self.size % 512) + 1024
        return [("data", self.header + self.head), ("hole", zeros)]

    def sha256(self) -> str:
        h = hashlib.sha256()
        zero = bytes(CHUNK)
        for kind, v in self.pieces():
            if kind == "data":
                h.update(v)  # type: ignore[arg-type]
            else:
                left = int(v)  # type: ignore[arg-type]
                while left:
                    n = min(left, CHUNK)
                    h.update(zero[:n])
                    left -= n
        return "sha256:" + h.hexdigest()

    def gzip_to(self, path: Path) -> str:
        z = zlib.compressobj(1, zlib.DEFLATED, 31)
        h = hashlib.sha256()
        zero = bytes(CHUNK)
        with open(path, "wb") as f:
            for kind, v in self.pieces():
                chunks = [v] if kind == "data" else None
                if chunks is not None:
                    out = z.compress(v)  # type: ignore[arg-type]
                    f.write(out)
                    h.update(out)
                    continue
                left = int(v)  # type: ignore[arg-type]
                while left:
                    n = min(left, CHUNK)
                    out = z.compress(zero[:n])
                    f.write(out)
                    h.update(out)
                    left -= n
            out = z.flush()
            f.write(out)
            h.update(out)
        return "sha256:" + h.hexdigest()


def _config(diff_ids: list[str]) -> bytes:
    cfg = {
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "Env": ["PATH=/usr/local/bin:/usr/bin", "HF_HOME=/root/.cache/huggingface"],
            "Entrypoint": ["vllm", "serve"],
            "Cmd": ["Qwen/Qwen2.5-7B-Instruct", "--port", "8000"],
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": "RUN /bin/sh -c pip install vllm # buildkit"}],
    }
    return json.dumps(cfg).encode()


def _sha(b: bytes) -> str:
    return "sha256:" + hashlib.sha256(b).hexdigest()


def _write_member(f: io.BufferedWriter, name: str, size: int) -> None:
    ti = tarfile.TarInfo(name)
    ti.size, ti.mtime = size, 1_700_000_000
    f.write(ti.tobuf(tarfile.GNU_FORMAT))


def _pad(f: io.BufferedWriter, size: int) -> None:
    f.write(bytes(-size % 512))


def generate(root: Path, model_bytes: int, files: int) -> dict[str, object]:
    """Write image.tar and oci/ under ``root``; returns what was written."""
    c = Content()
    small = _layers(files, c)
    tars = [_tar_bytes(layer) for layer in small]
    cleanup = _cleanup_layer(small[0])
    model = ModelLayer(model_bytes)
    model_sha = model.sha256()
    diff_ids = [_sha(t) for t in tars] + [model_sha, _sha(cleanup)]
    cfg = _config(diff_ids)
    # docker save (legacy): <id>/layer.tar, <config sha>.json, manifest.json; the model member sparse
    names = [f"{d[7:]}/layer.tar" for d in diff_ids]
    layer_data: list[bytes | ModelLayer] = [*tars, model, cleanup]
    with open(root / "image.tar", "wb") as f:
        for name, data in zip(names, layer_data, strict=True):
            size = data.total if isinstance(data, ModelLayer) else len(data)
            _write_member(f, name, size)
            if isinstance(data, ModelLayer):
                for kind, v in data.pieces():
                    if kind == "data":
                        f.write(v)  # type: ignore[arg-type]
                    else:
                        f.seek(int(v), os.SEEK_CUR)  # type: ignore[arg-type]  # a hole
            else:
                f.write(data)
            _pad(f, size)
        manifest = [{"Config": f"{_sha(cfg)[7:]}.json", "RepoTags": ["bench/vllm-qwen:1"], "Layers": names}]
        for name, data in ((f"{_sha(cfg)[7:]}.json", cfg), ("manifest.json", json.dumps(manifest).encode())):
            _write_member(f, name, len(data))
            f.write(data)
            _pad(f, len(data))
        f.write(bytes(1024))
    # OCI layout, every layer gzip-compressed (as a registry serves it)
    oci = root / "oci"
    blobs = oci / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    descs = []
    for data in layer_data:
        if isinstance(data, ModelLayer):
            tmp = blobs / "model.tmp"
            digest = data.gzip_to(tmp)
            tmp.rename(blobs / digest[7:])
            size = (blobs / digest[7:]).stat().st_size
        else:
            gz = gzip.compress(data, 6, mtime=0)
            digest, size = _sha(gz), len(gz)
            (blobs / digest[7:]).write_bytes(gz)
        descs.append(
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest, "size": size}
        )
    (blobs / _sha(cfg)[7:]).write_bytes(cfg)
    cdesc = {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": _sha(cfg), "size": len(cfg)}
    man = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": cdesc, "layers": descs,
    }).encode()  # fmt: skip
    (blobs / _sha(man)[7:]).write_bytes(man)
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": _sha(man), "size": len(man),
        "annotations": {"org.opencontainers.image.ref.name": "bench/vllm-qwen:1"}}]}  # fmt: skip
    (oci / "index.json").write_text(json.dumps(index))
    (oci / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    n_files = sum(len(x) for x in small) + 1
    small_bytes = sum(len(d) for layer in small for _, d in layer)
    return {
        "files": n_files,
        "small_file_bytes": small_bytes,
        "model_bytes": model_bytes,
        "image_tar_bytes": (root / "image.tar").stat().st_size,
        "image_tar_on_disk": (root / "image.tar").stat().st_blocks * 512,
        "oci_bytes": sum(p.stat().st_size for p in blobs.iterdir()),
        "layer_names": names,
        "oci_blobs": [d["digest"][7:] for d in descs],
    }


def _write_bytes() -> int:
    with open("/proc/self/io") as f:
        for line in f:
            if line.startswith("write_bytes:"):
                return int(line.split()[1])
    return -1


def run(cmd: list[str] | str, *, env: dict[str, str] | None = None) -> dict[str, object]:
    """Run ``cmd`` in a child; wall, CPU (user + system), peak RSS (MB), bytes written (MB), stdout."""
    before = _write_bytes()
    t0 = time.perf_counter()
    shell = isinstance(cmd, str)
    proc = subprocess.Popen(
        cmd, shell=shell, stdout=subprocess.PIPE, env=env, executable="/bin/bash" if shell else None
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, ru = os.wait4(proc.pid, 0)  # reaped here: its rusage (and its children's) and io counters
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    return {
        "wall": round(wall, 3),
        "cpu": round(ru.ru_utime + ru.ru_stime, 3),
        "rss_mb": round(ru.ru_maxrss / 1024, 1),
        "written_mb": round((_write_bytes() - before) / 1e6, 1),
        "stdout": out.decode("utf-8", "replace"),
        "rc": proc.returncode,
    }


def _baseline_tar(root: Path, info: dict[str, object], out: Path) -> str:
    steps = [f"mkdir -p {out}"]
    for name in info["layer_names"]:  # type: ignore[attr-defined]
        steps.append(f"tar -xOf {root / 'image.tar'} {name} | tar -x -C {out} 2>/dev/null")
    steps.append(f"rg -j1 -l -i -F --hidden --no-ignore {' '.join('-e ' + w for w in WORDS)} {out} | wc -l")
    return " && ".join(steps)


def _baseline_oci(root: Path, info: dict[str, object], out: Path) -> str:
    steps = [f"mkdir -p {out}"]
    for blob in info["oci_blobs"]:  # type: ignore[attr-defined]
        steps.append(f"tar -xzf {root / 'oci' / 'blobs' / 'sha256' / blob} -C {out} 2>/dev/null")
    steps.append(f"rg -j1 -l -i -F --hidden --no-ignore {' '.join('-e ' + w for w in WORDS)} {out} | wc -l")
    return " && ".join(steps)


def _tierguard(image: Path) -> list[str]:
    return [sys.executable, "-m", "tierguard", "scan", str(image), "--format", "json", "--fail-on", "never",
            "--no-progress"]  # fmt: skip


def _summary(doc: str) -> dict[str, object]:
    try:
        res = json.loads(doc)
    except ValueError:
        return {"error": doc[:300]}
    models = sorted(a["name"] for a in res["assets"] if a["kind"] == "ai-model")
    return {
        "assets": len(res["assets"]),
        "models": models,
        "services": sorted(a["name"] for a in res["assets"] if a["kind"] == "ai-service"),
        "skipped": len(res["skipped"]),
        "gating": res["coverage"]["gating_count"],
        "files_seen": res["stats"].get("files_seen"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-gb", type=float, default=4.5)
    ap.add_argument("--files", type=int, default=40_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dir", type=Path)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--generate-only", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.generate_only is not None:  # the child that generates: the measuring parent stays small
        info = generate(args.generate_only, int(args.model_gb * GB), args.files)
        print(json.dumps(info))
        return
    root = args.dir or Path(tempfile.mkdtemp(prefix="tg-bench-images-"))
    root.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    gen = [sys.executable, __file__, "--generate-only", str(root), "--model-gb", str(args.model_gb)]
    out = subprocess.run([*gen, "--files", str(args.files)], capture_output=True, text=True, check=True)
    info = json.loads(out.stdout)
    print(f"generated in {time.perf_counter() - t0:.1f} s: " + json.dumps({k: v for k, v in info.items()
          if not isinstance(v, list)}), flush=True)  # fmt: skip
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    subprocess.run(f"cat {root}/image.tar {root}/oci/blobs/sha256/* > /dev/null", shell=True, check=True)
    results: dict[str, list[dict[str, object]]] = {}
    work = root / "extract"
    for r in range(args.rounds):
        for label, cmd in (
            ("extract+rg docker-archive", _baseline_tar(root, info, work)),
            ("tierguard docker-archive", _tierguard(root / "image.tar")),
            ("extract+rg oci-gzip", _baseline_oci(root, info, work)),
            ("tierguard oci-gzip", _tierguard(root / "oci")),
        ):
            got = run(cmd, env=env)
            shutil.rmtree(work, ignore_errors=True)
            out = got.pop("stdout")
            got["result"] = _summary(str(out)) if label.startswith("tierguard") else str(out).strip()
            results.setdefault(label, []).append(got)
            print(f"round {r + 1} {label}: " + json.dumps(got), flush=True)
    table = {}
    for label, runs in results.items():
        table[label] = {
            "median_wall": statistics.median(float(x["wall"]) for x in runs),  # type: ignore[arg-type]
            "best_wall": min(float(x["wall"]) for x in runs),  # type: ignore[arg-type]
            "median_cpu": statistics.median(float(x["cpu"]) for x in runs),  # type: ignore[arg-type]
            "peak_rss_mb": max(float(x["rss_mb"]) for x in runs),  # type: ignore[arg-type]
            "written_mb": max(float(x["written_mb"]) for x in runs),  # type: ignore[arg-type]
        }
    print(json.dumps({"image": {k: v for k, v in info.items() if not isinstance(v, list)}, "table": table},
                     indent=2))  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps({"image": info, "runs": results, "table": table}, indent=2))
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
