"""Bad images: every damaged part is recorded as skipped or incomplete with its reason, nothing is written
anywhere, nothing crashes, and nothing is silently left out (a layer that cannot be applied gates the scan;
content that is still there is still scanned)."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from tests.artifacts.builders import gguf_bytes
from tests.targets.test_image_builders import (
    blob_path,
    compress,
    config,
    docker_archive,
    layer_tar,
    oci_layout,
    sha,
)
from tierguard.model import Context, ScanResult
from tierguard.report.coverage import coverage
from tierguard.scanner import Scanner
from tierguard.targets.archive import ExpandedResolver
from tierguard.targets.image import ImageFallback, ImageResolver
from tierguard.targets.open import open_target

GGUF = gguf_bytes({"general.architecture": "llama", "general.name": "DeepSeek-R1-Distill-Llama-8B"})
CTX = Context(country="GB")


def _scan(target: Path) -> ScanResult:
    return Scanner().scan(target, CTX)


def _reasons(result: ScanResult) -> dict[str, tuple[str, str]]:
    return {s.path: (s.reason, s.detail) for s in result.skipped}


def _raw_tar(members: list[tuple[str, bytes]]) -> bytes:
    """A tar whose member names are written as given (tarfile's writer would not write ``../x``)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def test_member_leaving_the_root_is_not_applied_and_nothing_is_written(tmp_path: Path) -> None:
    """``../`` members are recorded (malformed: docker refuses the layer) and never written anywhere; an
    absolute path is applied relative to the root (as docker does) and noted."""
    work = tmp_path / "work"
    work.mkdir()
    layer = _raw_tar(
        [("../../escape.bin", b"x"), ("a/../../up.bin", b"y"), ("/etc/abs.conf", b"z"), ("ok", b"k")]
    )
    root = oci_layout(work / "img", [layer])
    before = {p for p in tmp_path.rglob("*")}
    result = _scan(root)
    reasons = _reasons(result)
    assert (
        reasons["img!../../escape.bin"][0] == "malformed"
        and "leaves the image root" in reasons["img!../../escape.bin"][1]
    )
    assert reasons["img!a/../../up.bin"][0] == "malformed"
    assert {p for p in tmp_path.rglob("*")} == before
    assert not (tmp_path / "escape.bin").exists() and not Path("/escape.bin").exists()
    r = open_target(root)
    assert {f.member for f in r.files()} == {".image-config/Dockerfile", "etc/abs.conf", "ok"}
    assert any("1 member(s) with absolute paths" in n for n in result.notes)
    assert {"img!../../escape.bin", "img!a/../../up.bin"} <= set(coverage(result).gating)


def test_layer_that_is_not_a_tar_is_incomplete_and_its_blob_still_scanned(tmp_path: Path) -> None:
    """A layer blob that is a GGUF (an artifact pushed as a layer), not a tar: recorded incomplete (the
    image's filesystem cannot be built from it) and listed as a file, so the model in it is still found."""
    root = oci_layout(tmp_path / "img", [layer_tar([("file", "a", b"1")]), GGUF], compression="none")
    result = _scan(root)
    short = sha(GGUF)[7:19]
    where = f"img!blobs/sha256/{sha(GGUF)[7:]}"
    assert _reasons(result)[where][0] == "incomplete" and "not a tar layer" in _reasons(result)[where][1]
    assert where in coverage(result).gating
    model = next(a for a in result.assets if a.name == "deepseek-ai/DeepSeek-R1-Distill-Llama-8B")
    assert model.evidence[0].location.member == f".image-blobs/{short}"


def test_missing_blob_is_unreadable_and_gates(tmp_path: Path) -> None:
    root = oci_layout(tmp_path / "img", [layer_tar([("file", "a", b"1")]), layer_tar([("file", "b", b"2")])])
    blob_path(root, 0).unlink()
    result = _scan(root)
    (path, (reason, detail)) = next((p, v) for p, v in _reasons(result).items() if v[0] == "unreadable")
    assert "missing" in detail and "layer 1/2" in detail and path in coverage(result).gating
    assert [f.member for f in open_target(root).files()] == [".image-config/Dockerfile", "b"]


@pytest.mark.parametrize("compression", ["none", "gzip"])
def test_blob_not_matching_its_digest_is_incomplete(tmp_path: Path, compression: str) -> None:
    """A blob changed after the manifest was written: its content is scanned, the mismatch gates."""
    root = oci_layout(
        tmp_path / "img", [layer_tar([("file", "app/x.py", b"print(1)\n")])], compression=compression
    )
    p = blob_path(root, 0)
    other = compress(layer_tar([("file", "app/x.py", b"print(2)\n")]), compression)
    p.write_bytes(other)
    result = _scan(root)
    reason, detail = _reasons(result)[f"img!blobs/sha256/{p.name}"]
    assert reason == "incomplete" and f"does not match its digest sha256:{p.name}" in detail
    assert coverage(result).gating


def test_docker_layer_not_matching_its_diff_id_and_config_not_matching_its_name(tmp_path: Path) -> None:
    tars = [layer_tar([("file", "a", b"1")])]
    cfg = config(tars)
    cfg["rootfs"]["diff_ids"] = [sha(b"something else")]
    path = docker_archive(tmp_path / "img.tar", tars, cfg)
    result = _scan(path)
    details = " ".join(d for _, d in _reasons(result).values())
    assert "does not match the config's diff_id" in details
    # a config whose content is not the digest its name gives
    with tarfile.open(path) as tf:
        members = {m.name: tf.extractfile(m).read() for m in tf.getmembers() if m.isfile()}  # type: ignore[union-attr]
    cfg_name = next(n for n in members if n.endswith(".json") and n != "manifest.json")
    members[cfg_name] = members[cfg_name].replace(b'"amd64"', b'"arm64"')
    with tarfile.open(tmp_path / "img2.tar", "w") as tf:
        for name, data in members.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    reasons = _reasons(_scan(tmp_path / "img2.tar"))
    assert any(r == "malformed" and "does not match its digest" in d for r, d in reasons.values())


@pytest.mark.parametrize("compression", ["gzip", "zstd"])
def test_truncated_compressed_layer(tmp_path: Path, compression: str) -> None:
    """A layer cut in the middle: the members before the cut are listed, the one cut short fails its
    reads (its model inspection is incomplete, never clean), and the layer gates as incomplete."""
    first = os.urandom(200_000)  # incompressible, so the cut lands in the model that follows
    model = GGUF + os.urandom(300_000)
    tars = [layer_tar([("file", "a.bin", first), ("file", "models/ds.gguf", model), ("file", "z.txt", b"z")])]
    root = oci_layout(
        tmp_path / "img", tars, compression=compression, transform=lambda i, b: b[: len(b) * 3 // 4]
    )
    r = open_target(root)
    assert isinstance(r, ExpandedResolver)
    refs = {f.member: f for f in r.files()}
    assert set(refs) == {".image-config/Dockerfile", "a.bin", "models/ds.gguf"}
    assert r.read_bytes(refs["a.bin"], 1 << 20) == first
    with pytest.raises(OSError):
        r.read_bytes(refs["models/ds.gguf"], len(model))
    result = _scan(root)
    reason, detail = _reasons(result)[f"img!{blob_path(root, 0).relative_to(root).as_posix()}"]
    assert reason == "incomplete" and "ends inside member 'models/ds.gguf'" in detail
    assert coverage(result).gating


def test_corrupt_gzip_data_and_garbage_after_the_end(tmp_path: Path) -> None:
    def damage(i: int, blob: bytes) -> bytes:
        if i == 0:
            mid = len(blob) // 2
            return blob[:mid] + bytes(b ^ 0x5A for b in blob[mid : mid + 64]) + blob[mid + 64 :]
        return blob + b"garbage"

    tars = [layer_tar([("file", "a.bin", os.urandom(100_000))]), layer_tar([("file", "b", b"b")])]
    root = oci_layout(tmp_path / "img", tars, transform=damage)
    details = [d for r, d in _reasons(_scan(root)).values() if r == "incomplete"]
    assert len(details) == 2
    assert any("corrupt gzip data" in d for d in details)
    assert any("does not start another one" in d for d in details)


def test_lone_zero_block_and_data_after_the_end_marker(tmp_path: Path) -> None:
    body = layer_tar([("file", "a", b"1")])
    end = body.rstrip(b"\0")
    end += bytes(-len(end) % 512)
    hidden = layer_tar([("file", "hidden", b"h")])
    lone = end + bytes(512) + hidden  # one zero block, then a member: docker stops with an error
    after = body + layer_tar([("file", "after", b"x")])  # a whole archive after the end marker
    root = oci_layout(tmp_path / "img", [lone, after], compression="none")
    details = " ".join(d for _, d in _reasons(_scan(root)).values())
    assert "a lone zero block" in details and "after the end-of-archive marker" in details


def test_sparse_member_is_listed_and_never_read_as_clean(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        ti = tarfile.TarInfo("models/sparse.gguf")
        ti.size = len(GGUF)
        ti.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0"}
        tf.addfile(ti, io.BytesIO(GGUF))
    root = oci_layout(tmp_path / "img", [buf.getvalue()])
    r = open_target(root)
    ref = next(f for f in r.files() if f.member == "models/sparse.gguf")
    with pytest.raises(OSError, match="sparse"):
        r.read_bytes(ref, 4096)
    assert coverage(_scan(root)).gating


def test_json_that_is_not_what_it_claims(tmp_path: Path) -> None:
    """An OCI layout whose index.json is not an index is scanned as the directory it is, with the problem
    recorded; a manifest pointing at a missing config still lists the layers; an index naming a blob that
    is not a manifest is recorded."""
    root = oci_layout(tmp_path / "img", [layer_tar([("file", "app/x.py", b"import dashscope\n")])])
    (root / "index.json").write_text('{"manifests": "nope"}')
    r = open_target(root)
    assert isinstance(r, ExpandedResolver) and isinstance(r.outer, ImageFallback)
    result = _scan(root)
    assert _reasons(result)["img"][0] == "malformed"
    assert any("not read as a container image" in n for n in result.notes)
    assert coverage(result).gating

    root2 = oci_layout(tmp_path / "img2", [layer_tar([("file", "a", b"1")])])
    index = json.loads((root2 / "index.json").read_text())
    manifest_blob = root2 / "blobs" / "sha256" / index["manifests"][0]["digest"][7:]
    cfg_digest = json.loads(manifest_blob.read_text())["config"]["digest"]
    (root2 / "blobs" / "sha256" / cfg_digest[7:]).unlink()
    r2 = open_target(root2)
    assert isinstance(r2, ExpandedResolver) and isinstance(r2.outer, ImageResolver)
    assert [f.member for f in r2.files()] == ["a"]
    assert any("missing" in s.detail and s.reason == "malformed" for s in r2.skipped())

    root3 = oci_layout(tmp_path / "img3", [layer_tar([("file", "a", b"1")])])
    index = json.loads((root3 / "index.json").read_text())
    index["manifests"].append(
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(b"{}"), "size": 2}
    )
    index["manifests"].append({"digest": "md5:abc"})
    (root3 / "index.json").write_text(json.dumps(index))
    details = " ".join(s.detail for s in open_target(root3).skipped())
    assert "is missing" in details and "without a sha256/sha512 digest" in details


def test_docker_manifest_naming_missing_layers(tmp_path: Path) -> None:
    path = docker_archive(tmp_path / "img.tar", [layer_tar([("file", "a", b"1")])])
    with tarfile.open(path) as tf:
        members = {m.name: tf.extractfile(m).read() for m in tf.getmembers() if m.isfile()}  # type: ignore[union-attr]
    manifest = json.loads(members["manifest.json"])
    manifest[0]["Layers"].append("nope/layer.tar")
    members["manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(path, "w") as tf:
        for name, data in members.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    result = _scan(path)
    assert _reasons(result)["img.tar!nope/layer.tar"][0] == "unreadable"
    assert any("1 layers, the config 1" in d or "lists 2 layers" in d for _, d in _reasons(result).values())


def test_no_crash_on_any_truncation_or_byte_damage(tmp_path: Path) -> None:
    """Every prefix (at 512-byte steps) and single-block damage of a docker archive with a gzip layer and an
    OCI tar: opening, listing and reading every file raise nothing but OSError on a read."""
    inner = gzip.compress(layer_tar([("file", "m/a.gguf", GGUF), ("symlink", "m/b", "a.gguf"), ("dir", "d")]))
    path = docker_archive(tmp_path / "img.tar", [inner, layer_tar([("whiteout", "d")])])
    data = path.read_bytes()
    variants = [data[:n] for n in range(0, len(data), 512)]
    variants += [data[:n] + bytes(512) + data[n + 512 :] for n in range(0, len(data), 1024)]
    for i, v in enumerate(variants):
        p = tmp_path / f"v{i}.tar"
        p.write_bytes(v)
        r = open_target(p)
        for f in r.files():
            with contextlib.suppress(OSError):
                r.read_bytes(f, 1 << 20)
        r.skipped()
        p.unlink()


def test_a_tar_with_too_many_members_is_not_probed_as_an_image(tmp_path: Path) -> None:
    """Telling an image archive by content walks the tar's headers; a tar with more members than any image
    archive has is given up on early (then read as an ordinary archive)."""
    from tierguard.targets.image_layout import list_outer
    from tierguard.targets.image_stream import DiskSource

    path = docker_archive(tmp_path / "img.tar", [layer_tar([("file", "a", b"1")])])
    assert list_outer(DiskSource(str(path))) is not None
    assert list_outer(DiskSource(str(path)), max_members=2) is None


def test_strict_stops_at_the_first_damaged_part(tmp_path: Path) -> None:
    """scan --strict: a damaged layer stops the scan with one line (exit 2 in the CLI) instead of a record;
    deleted files are no damage."""
    from tierguard.errors import TargetError
    from tierguard.scanner import ScanOptions

    root = oci_layout(tmp_path / "img", [layer_tar([("file", "a", b"1")]), layer_tar([("whiteout", "a")])])
    assert (
        Scanner().scan(root, CTX, options=ScanOptions(strict=True)).skipped[0].reason
        == "deleted-in-later-layer"
    )
    blob_path(root, 1).write_bytes(b"not the layer")
    with pytest.raises(TargetError, match="--strict: .*incomplete"):
        Scanner().scan(root, CTX, options=ScanOptions(strict=True))
