"""Identification and lineage of model artifacts from headers only (issue 3)."""

from __future__ import annotations

import os
from pathlib import Path

from tierguard.catalog import Catalog
from tierguard.identify.artifacts import identify_artifacts
from tierguard.identify.interface import ArtifactOutput
from tierguard.model import Asset
from tierguard.targets.directory import DirectoryResolver

from .builders import (
    LLAMA3_SPECIALS,
    layer_tensors,
    qwen2_dir,
    write_gguf,
    write_json,
    write_safetensors,
)


def scan(path: Path, catalog: Catalog) -> ArtifactOutput:
    return identify_artifacts(DirectoryResolver(path), catalog)


def only(out: ArtifactOutput) -> Asset:
    assert len(out.assets) == 1, [a.name for a in out.assets]
    return out.assets[0]


def roles(a: Asset) -> set[tuple[str, str]]:
    return {(p.id, p.role) for p in a.provenance.producers}


def edges(a: Asset) -> set[tuple[str, str, str | None]]:
    return {
        (e.relation, e.base, e.base_producer.id if e.base_producer else None) for e in a.provenance.lineage
    }


def test_renamed_qwen2_finetune_identified_by_structure_tokenizer_config(
    tmp_path: Path, catalog: Catalog
) -> None:
    qwen2_dir(tmp_path / "company-assistant-v2")
    a = only(scan(tmp_path, catalog))
    assert a.name == "qwen2"
    assert a.kind == "ai-model" and a.use_mode == "self-hosted"
    assert ("alibaba", "base-producer") in roles(a)
    assert ("unknown", "qwen2", "alibaba") in edges(a)
    assert a.details.structure == "qwen2"
    assert a.details.tokenizer_family == "qwen2"
    assert a.details.status == "complete"
    assert a.details.path == "company-assistant-v2"
    techniques = {m.technique for m in a.provenance.methods}
    assert {"binary-analysis", "manifest-analysis"} <= techniques
    assert "CN" in a.provenance.jurisdictions
    assert a.details.bytes_read < 64 * 1024


def test_structure_alone_without_config_or_tokenizer(tmp_path: Path, catalog: Catalog) -> None:
    qwen2_dir(tmp_path / "weights", config=False, tokenizer=False)
    (tmp_path / "weights" / "model.safetensors").rename(tmp_path / "weights" / "blob.dat")
    a = only(scan(tmp_path, catalog))
    assert a.details.structure == "qwen2" and a.details.format == "safetensors"
    assert ("alibaba", "base-producer") in roles(a)


def test_card_contradicting_structure_is_a_finding(tmp_path: Path, catalog: Catalog) -> None:
    d = qwen2_dir(tmp_path / "company-assistant-v2")
    (d / "README.md").write_text(
        "---\nbase_model: meta-llama/Llama-3.1-8B\nlicense: llama3.1\n---\n# Our model\n"
    )
    out = scan(tmp_path, catalog)
    a = only(out)
    assert [f.rule_id for f in out.findings] == ["TG-ID-001"]
    f = out.findings[0]
    assert f.severity == "medium" and f.asset_id == a.id
    assert f.attributes["observed"] == "alibaba" and "meta" in f.attributes["claimed"]
    assert "meta-llama/Llama-3.1-8B" in f.message
    # both the claimed base and what the headers show are visible to policy
    assert ("finetune", "meta-llama/Llama-3.1-8B", "meta") in edges(a)


def test_consistent_card_is_not_a_finding(tmp_path: Path, catalog: Catalog) -> None:
    d = qwen2_dir(tmp_path / "m")
    (d / "README.md").write_text("---\nbase_model:\n- Qwen/Qwen2-0.5B\nbase_model_relation: finetune\n---\n")
    out = scan(tmp_path, catalog)
    a = only(out)
    assert out.findings == []
    assert ("finetune", "Qwen/Qwen2-0.5B", "alibaba") in edges(a)
    assert a.name == "m (finetune of Qwen/Qwen2-0.5B)"


def test_sharded_safetensors_with_index_is_one_unit(tmp_path: Path, catalog: Catalog) -> None:
    t = layer_tensors("qwen3", layers=4)
    names = list(t)
    half = len(names) // 2
    d = tmp_path / "Qwen3-8B"
    write_safetensors(d / "model-00001-of-00002.safetensors", {k: t[k] for k in names[:half]})
    write_safetensors(d / "model-00002-of-00002.safetensors", {k: t[k] for k in names[half:]})
    write_json(
        d / "model.safetensors.index.json",
        {
            "metadata": {},
            "weight_map": {
                k: ("model-00001-of-00002.safetensors" if i < half else "model-00002-of-00002.safetensors")
                for i, k in enumerate(names)
            },
        },
    )
    a = only(scan(tmp_path, catalog))
    assert a.details.format == "safetensors (2 shards)"
    assert a.details.structure == "qwen3"
    assert ("alibaba", "base-producer") in roles(a)


def test_quantized_gguf_of_qwen(tmp_path: Path, catalog: Catalog) -> None:
    write_gguf(
        tmp_path / "models" / "assistant-q4.gguf",
        {
            "general.architecture": "qwen2",
            "general.name": "Qwen2.5 7B Instruct",
            "general.organization": "Qwen",
            "general.basename": "Qwen2.5",
            "general.size_label": "7B",
            "general.file_type": 15,
            "general.base_model.count": 1,
            "general.base_model.0.name": "Qwen2.5 7B",
            "general.base_model.0.organization": "Qwen",
            "general.base_model.0.repo_url": "https://huggingface.co/Qwen/Qwen2.5-7B",
            "tokenizer.ggml.model": "gpt2",
            "tokenizer.ggml.pre": "qwen2",
            "tokenizer.ggml.tokens": ["!", '"', "#"],
        },
    )
    out = scan(tmp_path, catalog)
    a = only(out)
    assert a.name == "Qwen/Qwen2.5"
    assert ("alibaba", "producer") in roles(a)
    rels = {r for r, _, _ in edges(a)}
    assert {"quantized", "finetune"} <= rels
    assert ("finetune", "Qwen/Qwen2.5-7B", "alibaba") in edges(a)
    assert a.details.format == "gguf" and a.details.architecture == "qwen2"
    assert out.findings == []


def test_quantized_gguf_of_deepseek_distill_propagates_both_producers(
    tmp_path: Path, catalog: Catalog
) -> None:
    write_gguf(
        tmp_path / "lmstudio" / "bartowski" / "x" / "x-Q4_K_M.gguf",
        {
            "general.architecture": "qwen2",
            "general.organization": "deepseek-ai",
            "general.basename": "DeepSeek-R1-Distill-Qwen",
            "general.name": "DeepSeek R1 Distill Qwen 7B",
            "general.file_type": 15,
            "tokenizer.ggml.pre": "deepseek-r1-qwen",
        },
    )
    a = only(scan(tmp_path, catalog))
    assert ("deepseek", "producer") in roles(a)
    assert ("alibaba", "base-producer") in roles(a)
    assert ("distill", "Qwen/Qwen2.5", "alibaba") in edges(a)
    assert {"CN"} == a.provenance.jurisdictions


def test_lora_adapter_on_llama(tmp_path: Path, catalog: Catalog) -> None:
    d = tmp_path / "support-bot-lora"
    write_json(
        d / "adapter_config.json",
        {
            "peft_type": "LORA",
            "base_model_name_or_path": "meta-llama/Llama-3.1-8B",
            "r": 16,
            "target_modules": ["q_proj", "v_proj"],
        },
    )
    write_safetensors(
        d / "adapter_model.safetensors",
        {
            "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight": [16, 64],
            "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight": [64, 16],
        },
    )
    a = only(scan(tmp_path, catalog))
    assert ("adapter", "meta-llama/Llama-3.1-8B", "meta") in edges(a)
    assert ("meta", "base-producer") in roles(a)
    assert a.name == "support-bot-lora (adapter of meta-llama/Llama-3.1-8B)"


def test_hf_cache_distill_with_blob_sha_and_two_producers(tmp_path: Path, catalog: Catalog) -> None:
    repo = tmp_path / "hub" / "models--deepseek-ai--DeepSeek-R1-Distill-Llama-8B"
    sha = "a" * 64
    blobs = repo / "blobs"
    write_safetensors(blobs / sha, layer_tensors("llama", vocab=128256))
    write_json(blobs / ("b" * 40), {"architectures": ["LlamaForCausalLM"], "model_type": "llama"})
    snap = repo / "snapshots" / "0123abcd"
    snap.mkdir(parents=True)
    os.symlink(f"../../blobs/{sha}", snap / "model.safetensors")
    os.symlink(f"../../blobs/{'b' * 40}", snap / "config.json")
    os.symlink("../../blobs/" + "c" * 64, snap / "tokenizer.json")  # broken: blob missing
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abcd")
    res = DirectoryResolver(tmp_path)
    out = identify_artifacts(res, catalog)
    a = only(out)
    assert a.name == "deepseek-ai/DeepSeek-R1-Distill-Llama-8B"
    assert a.details.sha256 == sha
    assert a.details.hf_revision == "0123abcd"
    assert ("deepseek", "producer") in roles(a) and ("meta", "base-producer") in roles(a)
    assert ("distill", "meta-llama/Llama-3.1-8B", "meta") in edges(a)
    assert a.provenance.jurisdictions == {"CN", "US"}
    assert any(s.reason == "broken-symlink" for s in res.skipped())
    # huggingface_hub's cache scanner reports the missing blob; it is recorded, not raised
    assert any(s.reason == "hf-cache-corrupted" and "missing" in s.detail.lower() for s in out.skipped)
    assert out.findings == []  # Llama layout under a Llama-based distill is consistent


def test_card_naming_a_distill_as_base_propagates_origin(tmp_path: Path, catalog: Catalog) -> None:
    d = tmp_path / "legal-r1"
    write_safetensors(d / "model.safetensors", layer_tensors("llama", vocab=128256))
    (d / "README.md").write_text("---\nbase_model: deepseek-ai/DeepSeek-R1-Distill-Llama-8B\n---\n")
    a = only(scan(tmp_path, catalog))
    assert ("finetune", "deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "deepseek") in edges(a)
    assert ("distill", "meta-llama/Llama-3.1-8B", "meta") in edges(a)
    assert {("deepseek", "base-producer"), ("meta", "base-producer")} <= roles(a)


def test_llama_tokenizer_with_qwen_claim_contradicts(tmp_path: Path, catalog: Catalog) -> None:
    d = tmp_path / "x"
    write_safetensors(d / "model.safetensors", layer_tensors("llama", vocab=128256))
    write_json(
        d / "tokenizer_config.json",
        {"added_tokens_decoder": {k: {"content": v} for k, v in LLAMA3_SPECIALS.items()}},
    )
    (d / "README.md").write_text("---\nbase_model: Qwen/Qwen2.5-7B\n---\n")
    out = scan(tmp_path, catalog)
    assert [f.rule_id for f in out.findings] == ["TG-ID-001"]
    assert out.findings[0].attributes["observed"] == "meta"


def test_ollama_store_names_blob_by_manifest(tmp_path: Path, catalog: Catalog) -> None:
    digest = "d" * 64
    write_gguf(
        tmp_path / "models" / "blobs" / f"sha256-{digest}",
        {"general.architecture": "qwen2", "general.file_type": 2},
    )
    write_json(
        tmp_path / "models" / "manifests" / "registry.ollama.ai" / "library" / "qwen2.5" / "7b",
        {
            "schemaVersion": 2,
            "layers": [
                {"mediaType": "application/vnd.ollama.image.model", "digest": f"sha256:{digest}", "size": 10},
                {
                    "mediaType": "application/vnd.ollama.image.template",
                    "digest": "sha256:" + "e" * 64,
                    "size": 1,
                },
            ],
        },
    )
    a = only(scan(tmp_path, catalog))
    assert a.name == "Qwen/Qwen2.5-7B-Instruct"  # the Ollama tag's canonical model (catalog alias)
    assert a.aliases == ("qwen2.5:7b",)
    assert a.details.sha256 == digest
    assert ("alibaba", "producer") in roles(a)


def test_onnx_pytorch_zip_and_legacy_found_by_content(tmp_path: Path, catalog: Catalog) -> None:
    import pickle
    import zipfile

    # PyTorch zip whose data.pkl names a Qwen2 layout (written by the test, never loaded by the scanner)
    names = {k: 0 for k in layer_tensors("qwen2", layers=1)}
    with zipfile.ZipFile(tmp_path / "weights.bin", "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps(names, protocol=2))
        z.writestr("archive/version", "3\n")
    # legacy torch.save: pickled magic number first
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "model.txt").write_bytes(
        b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.\x80\x02}q\x00."
    )
    # ONNX: ir_version 8, producer_name "pytorch", a graph field skipped by length
    onnx = b"\x08\x08" + b"\x12\x07pytorch" + b"\x1a\x052.1.0" + b"\x3a\x04\x0a\x02\x08\x01"
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "model.dat").write_bytes(onnx)
    out = scan(tmp_path, catalog)
    by_fmt = {a.details.format: a for a in out.assets}
    assert set(by_fmt) == {"pytorch-zip", "pytorch-legacy", "onnx"}
    assert by_fmt["pytorch-zip"].details.structure == "qwen2"
    assert all(a.details.status == "complete" for a in out.assets)


def test_gguf_claiming_llama_with_qwen2_architecture_contradicts(tmp_path: Path, catalog: Catalog) -> None:
    write_gguf(
        tmp_path / "llama-3.1-8b-q4.gguf",
        {
            "general.architecture": "qwen2",
            "general.organization": "meta-llama",
            "general.basename": "Llama-3.1",
            "general.file_type": 15,
            "tokenizer.ggml.pre": "qwen2",
        },
    )
    out = scan(tmp_path, catalog)
    a = only(out)
    assert a.name == "meta-llama/Llama-3.1" and a.details.architecture == "qwen2"
    assert [f.rule_id for f in out.findings] == ["TG-ID-001"]
    assert out.findings[0].attributes["observed"] == "alibaba"


def test_other_formats_found_by_content_and_on_file_sees_every_file(tmp_path: Path, catalog: Catalog) -> None:
    import zipfile

    with zipfile.ZipFile(tmp_path / "clf.keras", "w") as z:
        z.writestr("config.json", '{"class_name": "Sequential"}')
        z.writestr("metadata.json", "{}")
        z.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n" + b"\x00" * 16)
    (tmp_path / "legacy.weights").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 32)
    (tmp_path / "emb.bin").write_bytes(b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, }")
    (tmp_path / "sm").mkdir()
    (tmp_path / "sm" / "saved_model.pb").write_bytes(b"\x08\x01\x12\x04\x0a\x02\x08\x01" + b"\x00" * 8)
    (tmp_path / "readme.txt").write_text("not a model")
    seen: list[str] = []
    out = identify_artifacts(DirectoryResolver(tmp_path), catalog, on_file=lambda r: seen.append(r.path))
    fmts = sorted(a.details.format for a in out.assets)
    assert fmts == ["keras", "keras-h5", "numpy", "tf-savedmodel"]
    status = {a.details.format: a.details.status for a in out.assets}
    assert status == {
        "keras": "complete",
        "keras-h5": "format-only",
        "numpy": "format-only",
        "tf-savedmodel": "format-only",
    }
    assert "readme.txt" in seen and len(seen) == 5
    assert all(a.name == a.details.path for a in out.assets)  # nothing identified: named by path


def test_tokenizer_only_folders(tmp_path: Path, catalog: Catalog) -> None:
    import base64

    d = tmp_path / "tok"
    d.mkdir()
    (d / "cl100k_base.tiktoken").write_text(
        "\n".join(f"{base64.b64encode(bytes([i])).decode()} {i}" for i in range(256)) + "\n"
    )
    (d / "merges.txt").write_text("#version: 0.2\nĠ t\nĠ a\n")
    out = scan(tmp_path, catalog)
    a = only(out)
    assert a.details.format == "tokenizer" and a.details.status == "complete"
    assert {e.kind for e in a.evidence} == {"tokenizer"}


def test_plain_word_lists_and_readmes_are_not_models(tmp_path: Path, catalog: Catalog) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "vocab.txt").write_text("apple\nbanana\n")
    (tmp_path / "docs" / "README.md").write_text("---\ntitle: docs\n---\n# Docs\n")
    write_json(tmp_path / "app" / "config.json", {"debug": True})
    assert scan(tmp_path, catalog).assets == []
