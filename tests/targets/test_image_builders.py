"""Container images built from scratch (tarfile + JSON + sha256) for the image tests: OCI layouts (directory
or tar) and ``docker save`` archives (legacy ``<id>/layer.tar`` and Docker 25+ ``blobs/sha256``). The tests at
the end check the builders against skopeo, the reference reader, when it is installed."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import subprocess
import tarfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from tierguard.formats.compressed import zstd_module

# a layer entry: ("file", name, data) | ("dir", name) | ("symlink", name, target) | ("hardlink", name, target)
#                | ("whiteout", path) | ("opaque", dir) | ("fifo", name)
Entry = tuple[Any, ...]
MT_LAYER = {
    "none": "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layer_tar(entries: Sequence[Entry], *, fmt: int = tarfile.PAX_FORMAT) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for e in entries:
            kind, name = e[0], e[1]
            if kind == "whiteout":
                head, _, base = name.rpartition("/")
                name = f"{head}/.wh.{base}" if head else f".wh.{base}"
                kind, e = "file", ("file", name, b"")
            elif kind == "opaque":
                name = f"{name}/.wh..wh..opq" if name else ".wh..wh..opq"
                kind, e = "file", ("file", name, b"")
            ti = tarfile.TarInfo(name)
            ti.mtime = 1_700_000_000
            data = b""
            if kind == "file":
                data = e[2]
                ti.size = len(data)
            elif kind == "dir":
                ti.type = tarfile.DIRTYPE
                ti.mode = 0o755
            elif kind == "symlink":
                ti.type, ti.linkname = tarfile.SYMTYPE, e[2]
            elif kind == "hardlink":
                ti.type, ti.linkname = tarfile.LNKTYPE, e[2]
            elif kind == "fifo":
                ti.type = tarfile.FIFOTYPE
            tf.addfile(ti, io.BytesIO(data) if data else None)
    return buf.getvalue()


def compress(data: bytes, kind: str) -> bytes:
    if kind == "gzip":
        return gzip.compress(data, compresslevel=6, mtime=0)
    if kind == "zstd":
        mod = zstd_module()
        if mod is None:
            pytest.skip("zstd support (backports.zstd) not installed")
        return bytes(mod.compress(data))
    return data


def config(
    tars: Sequence[bytes],
    *,
    env: Sequence[str] = (),
    entrypoint: Sequence[str] | None = None,
    cmd: Sequence[str] | None = None,
    labels: dict[str, str] | None = None,
    history: Sequence[str] = (),
) -> dict[str, Any]:
    cfg: dict[str, Any] = {"Env": list(env)}
    if entrypoint is not None:
        cfg["Entrypoint"] = list(entrypoint)
    if cmd is not None:
        cfg["Cmd"] = list(cmd)
    if labels:
        cfg["Labels"] = labels
    return {
        "architecture": "amd64",
        "os": "linux",
        "config": cfg,
        "rootfs": {"type": "layers", "diff_ids": [sha(t) for t in tars]},
        "history": [{"created_by": h} for h in history],
    }


def _put(root: Path, data: bytes) -> dict[str, Any]:
    digest = sha(data)
    p = root / "blobs" / "sha256" / digest[7:]
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return {"digest": digest, "size": len(data)}


def oci_layout(
    root: Path,
    tars: Sequence[bytes],
    cfg: dict[str, Any] | None = None,
    *,
    compression: str | Sequence[str] = "gzip",
    ref: str = "example.com/app:1.0",
    transform: Callable[[int, bytes], bytes] | None = None,
) -> Path:
    """Write an OCI image layout for the layer tars ``tars`` at ``root``; returns ``root``. ``transform``
    (layer index, compressed blob) -> the blob stored (and digested), to build damaged layers."""
    root.mkdir(parents=True, exist_ok=True)
    kinds = [compression] * len(tars) if isinstance(compression, str) else list(compression)
    cfg = cfg if cfg is not None else config(tars)
    cdesc = {"mediaType": "application/vnd.oci.image.config.v1+json", **_put(root, json.dumps(cfg).encode())}
    blobs = [compress(t, k) for t, k in zip(tars, kinds, strict=True)]
    if transform is not None:
        blobs = [transform(i, b) for i, b in enumerate(blobs)]
    layers = [{"mediaType": MT_LAYER[k], **_put(root, b)} for b, k in zip(blobs, kinds, strict=True)]
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": cdesc,
        "layers": layers,
    }
    mdesc = {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        **_put(root, json.dumps(manifest).encode()),
    }
    mdesc["annotations"] = {"org.opencontainers.image.ref.name": ref}
    (root / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [mdesc]}
    (root / "index.json").write_text(json.dumps(index))
    return root


def blob_path(root: Path, layer: int) -> Path:
    """The stored blob of layer ``layer`` of the (single) image in the OCI layout at ``root``."""
    index = json.loads((root / "index.json").read_text())
    manifest = json.loads((root / "blobs" / "sha256" / index["manifests"][0]["digest"][7:]).read_text())
    return root / "blobs" / "sha256" / manifest["layers"][layer]["digest"][7:]


def tar_dir(src: Path, dest: Path) -> Path:
    """``dest``: a tar of the directory ``src`` (its contents at the top level)."""
    with tarfile.open(dest, "w") as tf:
        for p in sorted(src.rglob("*")):
            tf.add(p, arcname=p.relative_to(src).as_posix(), recursive=False)
    return dest


def docker_archive(
    path: Path,
    tars: Sequence[bytes],
    cfg: dict[str, Any] | None = None,
    *,
    tags: Sequence[str] = ("example.com/app:1.0",),
    legacy: bool = True,
) -> Path:
    """A ``docker save`` archive: legacy (``<id>/layer.tar``, ``<config sha>.json``) or Docker 25+ (blobs)."""
    cfg = cfg if cfg is not None else config(tars)
    cfg_bytes = json.dumps(cfg).encode()
    members: dict[str, bytes] = {}
    if legacy:
        cfg_name = f"{sha(cfg_bytes)[7:]}.json"
        layer_names = []
        for i, t in enumerate(tars):
            lid = hashlib.sha256(f"layer{i}".encode() + t).hexdigest()
            members[f"{lid}/VERSION"] = b"1.0"
            members[f"{lid}/layer.tar"] = t
            layer_names.append(f"{lid}/layer.tar")
    else:
        cfg_name = f"blobs/sha256/{sha(cfg_bytes)[7:]}"
        layer_names = [f"blobs/sha256/{sha(t)[7:]}" for t in tars]
        members.update({n: t for n, t in zip(layer_names, tars, strict=True)})
    members[cfg_name] = cfg_bytes
    manifest = [{"Config": cfg_name, "RepoTags": list(tags), "Layers": layer_names}]
    members["manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(path, "w") as tf:
        for name, data in members.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    return path


def skopeo() -> str:
    exe = shutil.which("skopeo")
    if exe is None:
        pytest.skip("skopeo is not installed (Debian: apt-get install skopeo); CI installs it")
    return exe


def skopeo_inspect(ref: str) -> dict[str, Any]:
    out = subprocess.run(
        [skopeo(), "--insecure-policy", "inspect", "--config", ref],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_builders_make_images_skopeo_reads(tmp_path: Path) -> None:
    """The builders' OCI layout and docker archive are images for skopeo, the reference reader."""
    tars = [layer_tar([("dir", "app"), ("file", "app/main.py", b"print(1)\n")])]
    cfg = config(tars, entrypoint=["python", "/app/main.py"])
    layout = oci_layout(tmp_path / "oci", tars, cfg)
    assert skopeo_inspect(f"oci:{layout}:example.com/app:1.0")["config"]["Entrypoint"] == [
        "python",
        "/app/main.py",
    ]
    archive = docker_archive(tmp_path / "img.tar", tars, cfg)
    assert skopeo_inspect(f"docker-archive:{archive}")["rootfs"]["diff_ids"] == [sha(tars[0])]
