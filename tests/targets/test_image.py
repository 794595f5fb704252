"""Container images as scan targets: OCI layouts (directory and tar) and docker save archives, found by
content; their files read from the layers in place; their configuration read by the existing detectors.
Every image is built here from scratch (tests/targets/test_image_builders.py)."""

from __future__ import annotations

import functools
import io
import json
import pickle
import zipfile
from pathlib import Path

import pytest

from tests.artifacts.builders import gguf_bytes, layer_tensors, safetensors_bytes
from tests.targets.test_image_builders import (
    config,
    docker_archive,
    layer_tar,
    oci_layout,
    tar_dir,
)
from tierguard.catalog import load_catalog
from tierguard.model import Context, ModelDetails, ScanResult
from tierguard.policy.packs import load_packs
from tierguard.report.coverage import coverage
from tierguard.scanner import Scanner
from tierguard.targets.archive import ExpandedResolver
from tierguard.targets.image import ImageResolver
from tierguard.targets.open import open_target

GB = Context(country="GB", sector="government")
DEEPSEEK_GGUF = gguf_bytes({"general.architecture": "llama", "general.name": "DeepSeek-R1-Distill-Llama-8B"})
EVIL = b"cos\nsystem\n(S'echo hi'\ntR."


def _done_when_layers() -> tuple[list[bytes], dict[str, object]]:
    base = layer_tar(
        [("dir", "usr"), ("dir", "usr/bin"), ("file", "usr/bin/start.sh", b'#!/bin/sh\nexec "$@"\n')]
    )
    model = layer_tar(
        [("dir", "models"), ("file", "models/deepseek-r1-distill-llama-8b.Q4_K_M.gguf", DEEPSEEK_GGUF)]
    )
    tars = [base, model]
    cfg = config(tars, entrypoint=["vllm", "serve", "Qwen/Qwen2.5-7B-Instruct"], cmd=["--port", "8000"])
    return tars, cfg


def _image(kind: str, tmp_path: Path) -> Path:
    tars, cfg = _done_when_layers()
    if kind == "oci-dir-gzip":
        return oci_layout(tmp_path / "vllm-image", tars, cfg)
    if kind == "oci-dir-zstd":
        return oci_layout(tmp_path / "vllm-image", tars, cfg, compression="zstd")
    if kind == "oci-tar":
        return tar_dir(
            oci_layout(tmp_path / "layout", tars, cfg, compression="none"), tmp_path / "vllm-image.tar"
        )
    if kind == "docker-legacy":
        return docker_archive(tmp_path / "vllm-image.tar", tars, cfg)
    return docker_archive(tmp_path / "vllm-image.tar", tars, cfg, legacy=False)


@functools.cache
def _scanner() -> Scanner:
    return Scanner(load_catalog(), load_packs())


def _scan(target: Path, context: Context = GB) -> ScanResult:
    return _scanner().scan(target, context)


def _producers(result: ScanResult, name: str) -> set[tuple[str, str]]:
    asset = next(a for a in result.assets if a.name == name)
    return {(p.id, p.jurisdiction) for p in asset.provenance.producers}


@pytest.mark.parametrize("kind", ["oci-dir-gzip", "oci-dir-zstd", "oci-tar", "docker-legacy", "docker-blobs"])
def test_done_when_vllm_qwen_entrypoint_and_baked_deepseek_gguf(tmp_path: Path, kind: str) -> None:
    """The issue's Done-when image: a vLLM entrypoint serving Qwen and a DeepSeek GGUF baked into a layer
    are both reported, with their producers and the image location, in every image format."""
    target = _image(kind, tmp_path)
    result = _scan(target)
    names = {a.name for a in result.assets if a.kind == "ai-model"}
    assert {"Qwen/Qwen2.5-7B-Instruct", "deepseek-ai/DeepSeek-R1-Distill-Llama-8B"} <= names
    assert ("alibaba", "CN") in _producers(result, "Qwen/Qwen2.5-7B-Instruct")
    assert ("deepseek", "CN") in _producers(result, "deepseek-ai/DeepSeek-R1-Distill-Llama-8B")
    gguf = next(a for a in result.assets if a.name == "deepseek-ai/DeepSeek-R1-Distill-Llama-8B")
    assert isinstance(gguf.details, ModelDetails) and gguf.details.format == "gguf"
    loc = next(e.location for e in gguf.evidence if e.kind == "model-artifact")
    assert (loc.path, loc.member) == (target.name, "models/deepseek-r1-distill-llama-8b.Q4_K_M.gguf")
    qwen = next(a for a in result.assets if a.name == "Qwen/Qwen2.5-7B-Instruct")
    assert qwen.use_mode == "self-hosted"
    assert any(
        e.location.member == ".image-config/Dockerfile" and "vllm serve Qwen/Qwen2.5-7B-Instruct" in e.excerpt
        for e in qwen.evidence
    )
    verdicts = {d.asset_id: d.verdict for d in result.decisions}
    assert verdicts[qwen.id] in ("review", "deny") and verdicts[gguf.id] in ("review", "deny")
    assert result.skipped == () and coverage(result).gating == ()
    notes = " ".join(result.notes)  # the image, manifest/config and layer digests are named
    assert f"image {target.name} (" in notes and "config sha256:" in notes and "layer 2/2 (sha256:" in notes


def test_found_by_content_not_by_name(tmp_path: Path) -> None:
    """A docker save archive named like anything is an image; a tar holding a manifest.json that is not a
    docker manifest is an ordinary archive."""
    img = _image("docker-legacy", tmp_path).rename(tmp_path / "backup.dat")
    r = open_target(img)
    assert isinstance(r, ExpandedResolver) and isinstance(r.outer, ImageResolver)
    plain = tmp_path / "plain.tar"
    with zipfile.ZipFile(io.BytesIO(), "w"):
        pass
    import tarfile

    with tarfile.open(plain, "w") as tf:
        data = json.dumps({"name": "not an image"}).encode()
        ti = tarfile.TarInfo("manifest.json")
        ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))
    r2 = open_target(plain)
    assert isinstance(r2, ExpandedResolver) and not isinstance(r2.outer, ImageResolver)
    assert [f.display for f in r2.files()] == ["plain.tar", "plain.tar!manifest.json"]


def test_config_env_labels_and_commands_reach_the_detectors(tmp_path: Path) -> None:
    """Env (provider keys, base URLs), Cmd/Entrypoint (ollama run, text-generation-launcher --model-id)
    and labels are read by the detectors that read Dockerfiles; secret values stay out of the result."""
    tars = [layer_tar([("file", "app/README", b"hello\n")])]
    cfg = config(
        tars,
        env=["OPENAI_BASE_URL=https://api.deepseek.com/v1", "DASHSCOPE_API_KEY=sk-verysecretvalue123"],
        entrypoint=["/bin/sh", "-c", "ollama serve & sleep 2 && ollama run deepseek-r1:8b"],
        labels={"org.opencontainers.image.title": "chat"},
    )
    target = oci_layout(tmp_path / "img", tars, cfg)
    result = _scan(target)
    names = {a.name for a in result.assets}
    assert "DeepSeek API" in names
    assert "deepseek-ai/DeepSeek-R1-0528-Qwen3-8B" in names  # the catalog's model for ollama's deepseek-r1:8b
    assert any(e.kind == "env-key" and e.value == "DASHSCOPE_API_KEY" for e in result.evidence)
    dumped = json.dumps([e.excerpt for e in result.evidence])
    assert "verysecretvalue" not in dumped and "sk-" not in dumped

    tgi = config(tars, entrypoint=["text-generation-launcher"], cmd=["--model-id", "deepseek-ai/DeepSeek-V3"])
    result = _scan(oci_layout(tmp_path / "tgi", tars, tgi))
    assert "deepseek-ai/DeepSeek-V3" in {a.name for a in result.assets}


def test_synthetic_dockerfile_cannot_be_forged_by_newlines(tmp_path: Path) -> None:
    """A newline inside an env value, label or command stays inside its quoted value: no line of its own."""
    tars = [layer_tar([("file", "a.txt", b"a")])]
    cfg = config(
        tars,
        env=["NOTE=x\nFROM ollama/ollama"],
        labels={"k\nRUN pip install dashscope": "v"},
        cmd=["--port", "1\nUSER root"],
    )
    r = open_target(oci_layout(tmp_path / "img", tars, cfg))
    ref = next(f for f in r.files() if f.member == ".image-config/Dockerfile")
    lines = r.read_bytes(ref, ref.size).decode().splitlines()
    assert [line.split()[0] for line in lines if not line.startswith("#")] == [
        "FROM",
        "LABEL",
        "ENV",
        "CMD",
        "ENTRYPOINT",
    ]
    assert lines[lines.index("FROM example.com/app:1.0") + 1] == 'LABEL "k\\nRUN pip install dashscope"="v"'


def test_files_in_images_are_found_and_inspected_like_on_disk(tmp_path: Path) -> None:
    """An HF cache (snapshot symlinks to blobs), an Ollama store, a wheel holding a malicious pickle and
    code calling a PRC API, spread over layers, are reported as they would be on disk."""
    head, size = safetensors_bytes(layer_tensors("llama", vocab=128256))
    hf = "root/.cache/huggingface/hub/models--deepseek-ai--DeepSeek-R1-Distill-Llama-8B"
    blob = "a" * 64
    cfg_json = json.dumps({"architectures": ["LlamaForCausalLM"], "model_type": "llama"}).encode()
    hf_layer = layer_tar(
        [
            ("file", f"{hf}/blobs/{blob}", head + bytes(size - len(head))),
            ("file", f"{hf}/blobs/{'b' * 40}", cfg_json),
            ("symlink", f"{hf}/snapshots/0123abcd/model.safetensors", f"../../blobs/{blob}"),
            ("symlink", f"{hf}/snapshots/0123abcd/config.json", f"../../blobs/{'b' * 40}"),
            ("file", f"{hf}/refs/main", b"0123abcd"),
        ]
    )
    digest = "d" * 64
    manifest = {"layers": [{"mediaType": "application/vnd.ollama.image.model", "digest": f"sha256:{digest}"}]}
    ollama = layer_tar(
        [
            (
                "file",
                f"root/.ollama/models/blobs/sha256-{digest}",
                gguf_bytes({"general.architecture": "qwen2"}),
            ),
            (
                "file",
                "root/.ollama/models/manifests/registry.ollama.ai/library/qwen2.5/7b",
                json.dumps(manifest).encode(),
            ),
        ]
    )
    wheel = io.BytesIO()
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr("evil/model.pkl", EVIL)
    app = layer_tar(
        [
            (
                "file",
                "app/main.py",
                b"from openai import OpenAI\nc = OpenAI(base_url='https://api.moonshot.cn/v1')\n",
            ),
            ("file", "app/wheels/evil-1.0-py3-none-any.whl", wheel.getvalue()),
        ]
    )
    target = oci_layout(tmp_path / "img", [hf_layer, ollama, app])
    result = _scan(target)
    names = {a.name for a in result.assets}
    assert {
        "deepseek-ai/DeepSeek-R1-Distill-Llama-8B",
        "Qwen/Qwen2.5-7B-Instruct",
        "Moonshot (Kimi) API",
    } <= names
    evil = [f for f in result.findings if f.rule_id == "TG-PKL-001"]
    assert [f.location.display() for f in evil] == ["img!app/wheels/evil-1.0-py3-none-any.whl!evil/model.pkl"]
    assert any(d.verdict == "deny" for d in result.decisions if d.asset_id == evil[0].asset_id)


def test_layer_origin_and_nothing_extracted(tmp_path: Path) -> None:
    """Each file names the layer it comes from; scanning writes nothing into or beside the image."""
    target = _image("oci-dir-gzip", tmp_path)
    before = sorted(p for p in tmp_path.rglob("*"))
    r = open_target(target)
    assert isinstance(r, ExpandedResolver) and isinstance(r.outer, ImageResolver)
    refs = {f.member: f for f in r.files()}
    assert r.outer.origin(refs["models/deepseek-r1-distill-llama-8b.Q4_K_M.gguf"]).startswith(
        "layer 2/2 (sha256:"
    )
    assert r.outer.origin(refs["usr/bin/start.sh"]).startswith("layer 1/2 (sha256:")
    assert r.read_bytes(refs["usr/bin/start.sh"], 100).startswith(b"#!/bin/sh")
    _scan(target)
    assert sorted(p for p in tmp_path.rglob("*")) == before


def test_pickle_in_an_image_is_never_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pickle baked into an image is inspected statically: pickle.loads is never called."""
    calls: list[bytes] = []
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: calls.append(a[0]))
    target = oci_layout(tmp_path / "img", [layer_tar([("file", "srv/model.pkl", EVIL)])])
    result = _scan(target)
    assert calls == []
    assert [f.location.display() for f in result.findings if f.rule_id == "TG-PKL-001"] == [
        "img!srv/model.pkl"
    ]


def test_a_repository_holding_a_layout_is_scanned_as_a_repository(tmp_path: Path) -> None:
    """A directory (or tar) with an OCI layout's files and anything else is not taken for an image: its
    other files would be left out. It is scanned as what it is (the layout's blobs as archives in it)."""
    repo = oci_layout(tmp_path / "repo", [layer_tar([("file", "models/ds.gguf", DEEPSEEK_GGUF)])])
    (repo / "src").mkdir()
    (repo / "src" / "app.py").write_text(
        "from openai import OpenAI\nOpenAI(base_url='https://api.deepseek.com')\n"
    )
    r = open_target(repo)
    assert isinstance(r, ExpandedResolver) and not isinstance(r.outer, ImageResolver)
    result = _scan(repo)
    names = {a.name for a in result.assets}
    assert {"DeepSeek API", "deepseek-ai/DeepSeek-R1-Distill-Llama-8B"} <= names
    tarred = tar_dir(repo, tmp_path / "repo.tar")
    r2 = open_target(tarred)
    assert isinstance(r2, ExpandedResolver) and not isinstance(r2.outer, ImageResolver)
