"""Image references through skopeo (copied into a temporary OCI layout, removed afterwards), and images
through the real CLI."""

from __future__ import annotations

import gc
import json
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.artifacts.builders import gguf_bytes
from tests.targets.test_image_builders import config, docker_archive, layer_tar, oci_layout, skopeo
from tierguard.cli.main import app
from tierguard.errors import TargetError
from tierguard.model import Context
from tierguard.scanner import Scanner
from tierguard.targets import image as image_mod
from tierguard.targets.image import image_reference, reference_label
from tierguard.targets.open import open_target

GGUF = gguf_bytes({"general.architecture": "llama", "general.name": "DeepSeek-R1-Distill-Llama-8B"})


def _archive(tmp_path: Path) -> Path:
    tars = [layer_tar([("file", "models/ds.gguf", GGUF)])]
    cfg = config(tars, entrypoint=["vllm", "serve", "Qwen/Qwen2.5-7B-Instruct"])
    return docker_archive(tmp_path / "vllm.tar", tars, cfg)


def test_reference_syntax() -> None:
    assert (
        image_reference(Path("docker://registry.example.com/ns/app:1.0"))
        == "docker://registry.example.com/ns/app:1.0"
    )
    assert image_reference("docker:/ns/app@sha256:" + "a" * 64) == "docker://ns/app@sha256:" + "a" * 64
    assert image_reference("oci:/srv/layout:v1") == "oci:/srv/layout:v1"
    assert image_reference("models/x.gguf") is None and image_reference("c:/x") is None
    assert reference_label("docker-archive:/srv/imgs/app.tar") == "docker-archive:app.tar"
    assert reference_label("oci:/srv/layout:v1") == "oci:layout:v1"
    assert reference_label("docker://ghcr.io/a/b:1") == "docker://ghcr.io/a/b:1"


def test_docker_archive_reference_through_skopeo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    skopeo()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    archive = _archive(tmp_path)
    result = Scanner().scan(Path(f"docker-archive:{archive}"), Context(country="GB"))
    names = {a.name for a in result.assets}
    assert {"Qwen/Qwen2.5-7B-Instruct", "deepseek-ai/DeepSeek-R1-Distill-Llama-8B"} <= names
    gguf = next(a for a in result.assets if a.name == "deepseek-ai/DeepSeek-R1-Distill-Llama-8B")
    assert gguf.evidence[0].location.path == "docker-archive:vllm.tar"  # no absolute path of this machine
    assert result.target == "docker-archive:vllm.tar"  # the reference, not the Path form (docker:/ ...)
    assert any("copied with skopeo" in n for n in result.notes)
    gc.collect()
    assert list((tmp_path / "tmp").iterdir()) == []  # the temporary layout is gone


def test_oci_reference_through_skopeo(tmp_path: Path) -> None:
    skopeo()
    layout = oci_layout(tmp_path / "layout", [layer_tar([("file", "m.gguf", GGUF)])], ref="v1")
    r = open_target(Path(f"oci:{layout}:v1"))
    assert "m.gguf" in {f.member for f in r.files()}


def test_reference_without_skopeo_or_failing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(image_mod.shutil, "which", lambda name: None)
    with pytest.raises(TargetError, match="needs skopeo on PATH"):
        open_target(Path("docker://example.com/app:1"))
    monkeypatch.undo()
    skopeo()
    with pytest.raises(TargetError, match="skopeo copy failed"):
        open_target(Path(f"docker-archive:{tmp_path / 'missing.tar'}"))


def test_cli_scans_an_image_and_gates(tmp_path: Path) -> None:
    archive = _archive(tmp_path)
    out = tmp_path / "r.json"
    args = ["scan", str(archive), "--country", "GB", "--sector", "government", "--fail-on", "review"]
    res = CliRunner().invoke(app, [*args, "--format", "json", "-o", str(out), "--no-progress"])
    assert res.exit_code == 1, res.output  # self-hosted PRC models: review under a UK government context
    doc = json.loads(out.read_text())
    members = {e["location"].get("member") for e in doc["evidence"]}
    assert {"models/ds.gguf", ".image-config/Dockerfile"} <= members
    assert doc["coverage"]["gating_count"] == 0


def test_cli_reference_errors_are_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(image_mod.shutil, "which", lambda name: None)
    res = CliRunner().invoke(app, ["scan", "docker://example.com/app:1", "--no-progress"])
    assert res.exit_code == 2
    assert "needs skopeo on PATH" in res.output and "Traceback" not in res.output
