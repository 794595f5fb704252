"""Catalog data integrity: sources, uniqueness, references, and coverage of the shared knowledge file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tierguard.catalog import Catalog, load_catalog
from tierguard.catalog.loader import SECTIONS, CatalogFile, entry_key
from tierguard.errors import CatalogError

KNOWLEDGE = Path(__file__).resolve().parents[3] / "shared" / "knowledge" / "ai-signals.md"


@pytest.fixture(scope="module")
def signals() -> str:
    if not KNOWLEDGE.is_file():
        pytest.skip(f"knowledge file {KNOWLEDGE} not present (it lives in the project's shared/ directory)")
    return KNOWLEDGE.read_text(encoding="utf-8")


def _between(text: str, start: str, end: str) -> str:
    a = text.index(start) + len(start)
    return text[a : text.index(end, a)]


def _top_level_items(text: str) -> list[str]:
    """Split on commas outside parentheses; drop parenthesised remarks."""
    out, depth, braces, cur = [], 0, 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch in "{}":
            braces += 1 if ch == "{" else -1
        elif ch == "," and depth == 0 and braces == 0:
            out.append(cur)
            cur = ""
            continue
        if depth == 0 and ch != ")":
            cur += ch
    out.append(cur)
    return [re.sub(r"\s+", " ", x).strip().rstrip(".") for x in out if x.strip()]


def _expand_braces(name: str) -> list[str]:
    m = re.search(r"\{([^}]*)\}", name)
    if m is None:
        return [name]
    return [name[: m.start()] + alt + name[m.end() :] for alt in m.group(1).split(",")]


# -- integrity -------------------------------------------------------------------------------------------


def test_one_version_and_date(catalog: Catalog) -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", catalog.version)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", catalog.date)


def test_every_entry_has_an_http_source(catalog: Catalog) -> None:
    for section, entries in catalog.sections().items():
        for e in entries:
            assert e.sources, (section, entry_key(section, e))
            for url in e.sources:
                assert re.match(r"https?://[^\s/]+\.[^\s/]+", url), (section, entry_key(section, e), url)


def test_sections_are_all_populated(catalog: Catalog) -> None:
    secs = catalog.sections()
    assert tuple(secs) == SECTIONS
    for name, entries in secs.items():
        assert entries, name


def test_no_duplicate_hosts_packages_keys_classes(catalog: Catalog) -> None:
    hosts = [f"{e.host.lower()}{e.path_prefix}" for e in catalog.endpoints]
    assert len(hosts) == len(set(hosts))
    pkgs = [(p.ecosystem, re.sub(r"[-_.]+", "-", p.name.lower())) for p in catalog.packages]
    assert len(pkgs) == len(set(pkgs))
    prefixes = [(r.router, r.prefix) for r in catalog.router_prefixes]
    assert len(prefixes) == len(set(prefixes))
    fams = [m.id for m in catalog.models]
    assert len(fams) == len(set(fams))
    orgs = [o.lower() for p in catalog.producers.values() for o in p.hf_orgs]
    assert len(orgs) == len(set(orgs))


def test_jurisdictions_are_iso_alpha2(catalog: Catalog) -> None:
    for p in catalog.producers.values():
        assert re.fullmatch(r"[A-Z]{2}", p.jurisdiction), p.id
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", p.id), p.id
    for e in catalog.endpoints:
        assert re.fullmatch(r"[A-Z]{2}", e.jurisdiction), e.host


def test_prc_and_non_prc_producers(catalog: Catalog) -> None:
    cn = {"deepseek", "alibaba", "zhipu", "moonshot", "minimax", "baidu", "bytedance", "tencent", "01ai"}
    cn |= {"stepfun", "baichuan", "xiaomi", "meituan", "ant-group", "modelbest", "shanghai-ai-lab", "baai"}
    cn |= {"kuaishou", "kunlun", "netease-youdao", "iflytek", "inspur", "qihoo360", "siliconflow", "huawei"}
    for pid in cn:
        assert catalog.producer(pid).jurisdiction == "CN", pid
    assert catalog.producer("sensetime").jurisdiction == "HK"
    other = {
        "openai": "US", "anthropic": "US", "google": "US", "meta": "US", "mistral": "FR", "microsoft": "US",
        "cohere": "CA", "xai": "US", "tii": "AE", "ai21": "IL", "amazon": "US", "nvidia": "US", "ibm": "US",
        "g42": "AE", "swiss-ai": "CH", "perplexity": "US", "together": "US", "fireworks": "US", "groq": "US",
        "openrouter": "US", "huggingface": "US",
    }  # fmt: skip
    for pid, j in other.items():
        assert catalog.producer(pid).jurisdiction == j, pid


def test_thudm_renamed_to_zai_org_both_kept(catalog: Catalog) -> None:
    z = catalog.producer("zhipu")
    assert {"zai-org", "THUDM"} <= set(z.hf_orgs)
    for ref in ("THUDM/glm-4-9b-chat", "zai-org/GLM-4.5"):
        m = catalog.match_model(ref)
        assert m is not None and m.producer.id == "zhipu"


def test_bedrock_cross_region_profiles_expanded(catalog: Catalog) -> None:
    for fam in ("deepseek.", "qwen.", "moonshotai.", "minimax."):
        for region in ("", "us.", "eu.", "apac."):
            r = catalog.router_prefix(f"bedrock:{region}{fam}")
            assert r is not None, region + fam
            assert r.operator == "amazon" and r.jurisdiction == "US"


def test_context_only_short_names(catalog: Catalog) -> None:
    ctx = {m.id for m in catalog.models if m.context_only}
    assert {"glm", "yi", "step", "spark", "ernie", "moonshot-v1", "openai-o-series", "llama", "phi"} <= ctx


def test_distill_lineage_defaults(catalog: Catalog) -> None:
    llama = catalog.family("deepseek-r1-distill-llama-70b")
    assert llama is not None and llama.producer == "deepseek"
    assert [(ld.relation, ld.base_producer) for ld in llama.lineage] == [("distill", "meta")]
    qwen = catalog.family("deepseek-r1-distill-qwen")
    assert qwen is not None and [(ld.relation, ld.base_producer) for ld in qwen.lineage] == [
        ("distill", "alibaba")
    ]


def test_loader_rejects_bad_data(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text('version: "1"\ndate: "2026-01-01"\n', encoding="utf-8")
    (tmp_path / "b.yaml").write_text('version: "2"\ndate: "2026-01-01"\n', encoding="utf-8")
    with pytest.raises(CatalogError, match="mixed versions"):
        load_catalog(tmp_path)
    (tmp_path / "b.yaml").write_text(
        'version: "1"\ndate: "2026-01-01"\nenv_keys:\n  - {name: X_KEY, producer: nobody, sources: ["https://x.y"]}\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogError, match="unknown producer"):
        load_catalog(tmp_path)
    (tmp_path / "b.yaml").write_text(
        'version: "1"\ndate: "2026-01-01"\nproducers:\n  - {id: p, name: P, jurisdiction: CN, sources: []}\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogError, match="invalid"):
        load_catalog(tmp_path)


def test_duplicate_host_rejected() -> None:
    src = ["https://example.org"]
    f = CatalogFile.model_validate(
        {
            "version": "1",
            "date": "2026-01-01",
            "producers": [{"id": "p", "name": "P", "jurisdiction": "CN", "sources": src}],
            "endpoints": [
                {"host": "api.p.cn", "operator": "p", "jurisdiction": "CN", "sources": src},
                {"host": "API.p.cn", "operator": "p", "jurisdiction": "CN", "sources": src},
            ],
        }
    )
    with pytest.raises(CatalogError, match="duplicate endpoint"):
        Catalog([f])


# -- coverage of /work/shared/knowledge/ai-signals.md ----------------------------------------------------


def test_knowledge_hosts_covered(catalog: Catalog, signals: str) -> None:
    table = _between(signals, "## Hosted API endpoints", "Anthropic-compatible")
    hosts: list[str] = []
    for line in table.splitlines():
        if not line.startswith("| ") or line.startswith("| host") or line.startswith("|---"):
            continue
        cell = line.split("|")[1]
        hosts += [h.split("(")[0].strip() for h in _top_level_items(cell)]
    assert len(hosts) >= 30
    catalog_hosts = {e.host.lower() for e in catalog.endpoints}
    missing = [h for h in hosts if h.lower() not in catalog_hosts]
    assert not missing
    for h in hosts:
        probe = h.replace("*", "region1")
        assert catalog.match_host(probe) is not None, probe


def test_knowledge_anthropic_paths_covered(catalog: Catalog, signals: str) -> None:
    para = _between(signals, "Anthropic-compatible PRC endpoints", "The most common pattern")
    pairs = re.findall(r"([a-z0-9.-]+\.[a-z]{2,})(/[a-z/]*anthropic)", para)
    assert len(pairs) == 5
    for host, path in pairs:
        e = catalog.match_host(host, path + "/v1/messages")
        assert e is not None and e.path_prefix == path, (host, path)
        assert e.jurisdiction == "CN"


def test_knowledge_pypi_packages_covered(catalog: Catalog, signals: str) -> None:
    text = _between(signals, "PyPI:", "npm:")
    names = [n for item in _top_level_items(text) for n in _expand_braces(item.split("[")[0].strip())]
    assert len(names) >= 25
    missing = [n for n in names if catalog.match_package("pypi", n) is None]
    assert not missing
    # import names given in the knowledge file
    imports = {
        "zai-sdk": "zai",
        "volcengine-python-sdk": "volcenginesdkarkruntime",
        "spark-ai-python": "sparkai",
    }
    for pkg, imp in imports.items():
        found = catalog.match_import(imp)
        assert found is not None and found.name == pkg


def test_knowledge_npm_packages_covered(catalog: Catalog, signals: str) -> None:
    text = _between(signals, "npm:", "LangChain classes:")
    names = _top_level_items(text)
    assert len(names) >= 13
    missing = [n for n in names if catalog.match_package("npm", n) is None]
    assert not missing


def test_knowledge_classes_covered(catalog: Catalog, signals: str) -> None:
    text = _between(signals, "LangChain classes:", "LiteLLM prefixes")
    names = [n for n in re.findall(r"\b[A-Z][A-Za-z0-9]+\b", text) if n not in {"JS"}]
    assert len(names) >= 25
    missing = [n for n in names if catalog.match_class(n) is None]
    assert not missing
    fe = catalog.match_class("FastEmbedEmbeddings")
    assert fe is not None and fe.default_model == "BAAI/bge-small-en-v1.5"
    bge = catalog.match_class("HuggingFaceBgeEmbeddings")
    assert bge is not None and bge.default_model is not None and bge.default_model.startswith("BAAI/")


def test_knowledge_router_prefixes_covered(catalog: Catalog, signals: str) -> None:
    text = _between(signals, "LiteLLM prefixes:", "Environment keys")
    litellm, _, openrouter = text.partition("OpenRouter slugs")
    for router, part in (("litellm", litellm), ("openrouter", openrouter)):
        prefixes = re.findall(r"[a-z0-9-]+/", part)
        assert prefixes, router
        for p in prefixes:
            assert catalog.router_prefix(f"{router}:{p}") is not None, (router, p)


def test_knowledge_env_keys_covered(catalog: Catalog, signals: str) -> None:
    text = _between(signals, "Environment keys:", "## Model names")
    keys: list[str] = []
    for tok in re.findall(r"\b[A-Z][A-Z0-9_]*_[A-Z0-9_/]+\b", text):
        if "/" in tok:  # QIANFAN_AK/SK
            head, _, rest = tok.partition("/")
            keys += [head, head.rsplit("_", 1)[0] + "_" + rest]
        else:
            keys.append(tok)
    assert len(keys) >= 16
    missing = [k for k in keys if catalog.match_env_key(k) is None]
    assert not missing


def test_knowledge_hf_orgs_covered(catalog: Catalog, signals: str) -> None:
    text = _between(signals, "## Producers", "## Hosted API endpoints")
    orgs = [o for o in re.findall(r"`([^`/\s]+)`", text)]
    assert len(orgs) >= 25
    known = {o.lower() for p in catalog.producers.values() for o in p.hf_orgs}
    missing = [o for o in orgs if o.lower() not in known]
    assert not missing


def test_knowledge_ollama_tags_covered(catalog: Catalog, signals: str) -> None:
    text = _between(signals, "Ollama tags:", "(also under")
    tags: list[str] = []
    for item in text.replace("\n", " ").split(","):
        item = item.strip()
        m = re.fullmatch(r"([a-z0-9.-]+)\((-[a-z0-9]+)\)", item)
        tags += [m.group(1), m.group(1) + m.group(2)] if m else [item]
    assert len(tags) >= 18
    for t in tags:
        m2 = catalog.match_model(f"{t}:latest")
        assert m2 is not None and m2.family is not None, t
        assert m2.producer.jurisdiction == "CN", t
