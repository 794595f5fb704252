"""Containers are expanded once, by the resolver: a malicious pickle gets the same finding and decision
wherever it sits (loose, in a wheel with or without dist-info, in a tar inside a zip, in an sdist, in a 7z),
whether the archive is the target or sits in a scanned directory; a model inside a nested archive is
identified; a decompression bomb returns quickly and is never clean.

Every fixture is built byte for byte here (zipfile/tarfile/py7zr writers); nothing is ever unpickled."""

from __future__ import annotations

import io
import tarfile
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.artifacts.builders import gguf_bytes
from tierguard.catalog import load_catalog
from tierguard.model import Context, ScanResult
from tierguard.policy.packs import load_packs
from tierguard.scanner import Scanner
from tierguard.targets.archive import open_archive
from tierguard.targets.interface import FileRef

# protocol 0: GLOBAL os.system, MARK, STRING, TUPLE, REDUCE, STOP — calls os.system on load
EVIL = b"cos\nsystem\n(S'echo hi'\ntR."
CONTEXT = Context(country="GB", sector="government")


def _zip(files: dict[str, bytes], *, deflate: bool = True) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def _tar(files: dict[str, bytes], mode: str = "w") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:  # type: ignore[call-overload]
        for name, data in files.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def _7z(files: dict[str, bytes]) -> bytes:
    py7zr = pytest.importorskip("py7zr")
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(data, name)
    return buf.getvalue()


def _wheel(dist_info: bool) -> bytes:
    files = {"acme/__init__.py": b"", "acme/model.pkl": EVIL}
    if dist_info:
        info = "acme-1.0.dist-info"
        files[f"{info}/METADATA"] = b"Metadata-Version: 2.1\nName: acme\nVersion: 1.0\n\n"
        files[f"{info}/RECORD"] = b"acme/__init__.py,,\nacme/model.pkl,,\n" + f"{info}/RECORD,,\n".encode()
    return _zip(files)


def _sdist() -> bytes:
    return _tar(
        {
            "acme-1.0/PKG-INFO": b"Metadata-Version: 2.1\nName: acme\nVersion: 1.0\n\n",
            "acme-1.0/acme/model.pkl": EVIL,
        },
        "w:gz",
    )


# (file name, bytes, member path of the pickle inside it)
CASES: dict[str, tuple[str, Callable[[], bytes], str]] = {
    "wheel-with-dist-info": ("acme-1.0-py3-none-any.whl", lambda: _wheel(True), "acme/model.pkl"),
    "wheel-without-dist-info": ("acme-1.0-py3-none-any.whl", lambda: _wheel(False), "acme/model.pkl"),
    "tar-in-zip": ("bundle.zip", lambda: _zip({"inner/b.tar": _tar({"c.pkl": EVIL})}), "inner/b.tar!c.pkl"),
    "sdist": ("acme-1.0.tar.gz", _sdist, "acme-1.0/acme/model.pkl"),
    "7z": ("models.7z", lambda: _7z({"m/model.pkl": EVIL}), "m/model.pkl"),
}


def _scan(path: Path) -> ScanResult:
    return Scanner(load_catalog(), load_packs(None)).scan(path, CONTEXT)


def _verdicts(res: ScanResult, rule: str) -> list[tuple[str, str | None, str, set[str]]]:
    """(path, member, verdict, packs) of the decision on each finding of ``rule``."""
    by_asset = {d.asset_id: d for d in res.decisions}
    out: list[tuple[str, str | None, str, set[str]]] = []
    for f in res.findings:
        if f.rule_id != rule:
            continue
        assert f.asset_id is not None
        d = by_asset[f.asset_id]
        out.append((f.location.path, f.location.member, d.verdict, {m.pack for m in d.matches}))
    return out


def test_loose_pickle_is_denied(tmp_path: Path) -> None:
    (tmp_path / "model.pkl").write_bytes(EVIL)
    got = _verdicts(_scan(tmp_path), "TG-PKL-001")
    assert [(p, m, v) for p, m, v, _ in got] == [("model.pkl", None, "deny")]
    assert "artifact-safety" in got[0][3]


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("where", ["target", "in-directory"])
def test_pickle_in_archive_same_finding_and_decision(tmp_path: Path, case: str, where: str) -> None:
    name, build, member = CASES[case]
    if where == "target":
        target = tmp_path / name
        target.write_bytes(build())
        outer = name
    else:
        (tmp_path / "dist").mkdir()
        (tmp_path / "dist" / name).write_bytes(build())
        target = tmp_path
        outer = f"dist/{name}"
    res = _scan(target)
    got = _verdicts(res, "TG-PKL-001")
    assert [(p, m, v) for p, m, v, _ in got] == [(outer, member, "deny")], got
    assert "artifact-safety" in got[0][3]
    f = next(f for f in res.findings if f.rule_id == "TG-PKL-001")
    assert f.subject == "os.system" and f.severity == "critical"
    ins = {(i.location.path, i.location.member): i.status for i in res.inspections}
    assert ins[(outer, member)] == "findings"


def test_bundled_pickle_in_wheel_names_its_distribution(tmp_path: Path) -> None:
    (tmp_path / "acme-1.0-py3-none-any.whl").write_bytes(_wheel(True))
    res = _scan(tmp_path)
    f = next(f for f in res.findings if f.rule_id == "TG-PKL-001")
    asset = next(a for a in res.assets if a.id == f.asset_id)
    assert asset.parent == "pypi:acme==1.0"


def test_nested_addresses(tmp_path: Path) -> None:
    p = tmp_path / "a.zip"
    p.write_bytes(_zip({"b.tar": _tar({"c.pkl": EVIL, "d/e.txt": b"x"})}))
    refs = list(open_archive(p).files())
    assert [r.display for r in refs] == ["a.zip", "a.zip!b.tar", "a.zip!b.tar!c.pkl", "a.zip!b.tar!d/e.txt"]
    c = refs[2]
    assert c == FileRef(path="a.zip", size=len(EVIL), member="b.tar!c.pkl")
    assert (c.name, c.logical_path, c.container) == ("c.pkl", "c.pkl", "a.zip!b.tar")
    r = open_archive(p)  # a fresh resolver builds its listing before the first member read
    assert r.read_bytes(c, 100) == EVIL and r.read_bytes(c, 4, 4) == b"syst"


def test_model_inside_nested_archive_is_identified(tmp_path: Path) -> None:
    gguf = gguf_bytes(
        {
            "general.architecture": "qwen2",
            "general.name": "Qwen2.5 7B Instruct",
            "general.organization": "Qwen",
        }
    )
    p = tmp_path / "release.zip"
    p.write_bytes(_zip({"models.tar": _tar({"q/model.gguf": gguf})}))
    res = _scan(p)
    models = [a for a in res.assets if a.kind == "ai-model" and a.evidence[0].location.member]
    assert models, [a.name for a in res.assets]
    a = models[0]
    assert a.evidence[0].location.member == "models.tar!q/model.gguf"
    assert "alibaba" in {pr.id for pr in a.provenance.producers}


def _deflate_bomb(size: int) -> bytes:
    """A zip whose one member inflates to ``size`` zero bytes (streamed: never held in memory)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"\x00" * (1 << 20)
    parts = [comp.compress(chunk) for _ in range(size >> 20)]
    parts.append(comp.flush())
    data = b"".join(parts)
    crc = 0
    for _ in range(size >> 20):
        crc = zlib.crc32(chunk, crc)
    name = b"payload/model.pkl"
    local = (
        b"PK\x03\x04"
        + (20).to_bytes(2, "little")
        + b"\x00\x00"
        + (8).to_bytes(2, "little")
        + b"\x00\x00\x00\x00"
        + crc.to_bytes(4, "little")
        + len(data).to_bytes(4, "little")
        + size.to_bytes(4, "little")
        + len(name).to_bytes(2, "little")
        + b"\x00\x00"
        + name
    )
    cd = (
        b"PK\x01\x02"
        + (20).to_bytes(2, "little") * 2
        + b"\x00\x00"
        + (8).to_bytes(2, "little")
        + b"\x00\x00\x00\x00"
        + crc.to_bytes(4, "little")
        + len(data).to_bytes(4, "little")
        + size.to_bytes(4, "little")
        + len(name).to_bytes(2, "little")
        + b"\x00\x00" * 4
        + b"\x00\x00\x00\x00"
        + (0).to_bytes(4, "little")
        + name
    )
    cd_off = len(local) + len(data)
    eocd = b"PK\x05\x06" + b"\x00\x00" * 2 + (1).to_bytes(2, "little") * 2
    eocd += len(cd).to_bytes(4, "little") + cd_off.to_bytes(4, "little") + b"\x00\x00"
    return local + data + cd + eocd


def test_deflate_bomb_member_returns_quickly_and_is_not_clean(tmp_path: Path) -> None:
    bomb = _deflate_bomb(1 << 30)  # 1 GiB of zeros, about 1 MB compressed
    assert len(bomb) < 4 * 1024 * 1024
    (tmp_path / "bomb.zip").write_bytes(bomb)
    (tmp_path / "outer.zip").write_bytes(_zip({"bomb.zip": bomb}, deflate=False))
    t0 = time.perf_counter()
    res = _scan(tmp_path)
    assert time.perf_counter() - t0 < 10
    for outer in ("bomb.zip", "outer.zip"):
        mine = [i for i in res.inspections if i.location.path == outer]
        assert mine and all(i.status != "clean" for i in mine if i.location.member), mine
        member = next(i for i in mine if (i.location.member or "").endswith("payload/model.pkl"))
        assert member.status in ("incomplete", "not-inspected", "findings")


def test_unreadable_archive_is_never_silently_absent(tmp_path: Path) -> None:
    z = _zip({"m/model.pkl": EVIL})
    (tmp_path / "broken.zip").write_bytes(z[:40])  # local header only: no central directory, data cut
    (tmp_path / "broken.tar.gz").write_bytes(_sdist()[:60])  # gzip stream cut short
    res = _scan(tmp_path)
    skipped = {s.path for s in res.skipped}
    assert {"broken.zip", "broken.tar.gz"} <= skipped, res.skipped
    ins = {(i.location.path, i.location.member): i.status for i in res.inspections}
    assert ins[("broken.zip", None)] in ("incomplete", "not-inspected")
    assert ins[("broken.tar.gz", None)] in ("incomplete", "not-inspected")


def test_tar_gz_member_beyond_kept_bytes_is_incomplete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tierguard.targets.archive as archive

    monkeypatch.setattr(archive, "TAR_MEMBER_KEEP", 16)
    big = EVIL[:-1] + b"0" * 0 + b"."  # the same pickle
    payload = b"\x80\x04\x95" + (100_000).to_bytes(8, "little") + b"X" + (99_990).to_bytes(4, "little")
    payload += b"a" * 99_990 + b"."
    p = tmp_path / "acme-1.0.tar.gz"
    p.write_bytes(_tar({"acme-1.0/model.pkl": payload, "acme-1.0/evil.pkl": big}, "w:gz"))
    res = _scan(p)
    ins = {(i.location.path, i.location.member): i.status for i in res.inspections}
    assert ins[(p.name, "acme-1.0/model.pkl")] in ("incomplete", "not-inspected")
