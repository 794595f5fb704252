from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from tests.schema_validators import cyclonedx_validator
from tierguard.model import ScanResult
from tierguard.report import cyclonedx

from .conftest import MODEL_NAME, SHA, asset_by_name


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    return cyclonedx_validator()


def _bom(result: ScanResult) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(cyclonedx.render(result))
    return data


def _walk(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for c in components:
        out.append(c)
        out += _walk(c.get("components", []))
    return out


def _props(obj: dict[str, Any], name: str) -> list[str]:
    return [p["value"] for p in obj.get("properties", []) if p["name"] == name]


def test_validates_against_official_1_6_schema(result: ScanResult, validator: Any) -> None:
    bom = _bom(result)
    errors = sorted(validator.iter_errors(bom), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message[:200]}" for e in errors[:5]]
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.6"
    assert bom["serialNumber"].startswith("urn:uuid:")
    assert _bom(result)["serialNumber"] == bom["serialNumber"]  # deterministic


def test_empty_result_validates(empty_result: ScanResult, validator: Any) -> None:
    validator.validate(_bom(empty_result))


def test_model_component(result: ScanResult) -> None:
    model = asset_by_name(result, MODEL_NAME)
    comps = {c["bom-ref"]: c for c in _walk(_bom(result)["components"])}
    c = comps[model.id]
    assert c["type"] == "machine-learning-model"
    assert c["manufacturer"] == {"name": "DeepSeek", "address": {"country": "CN"}}
    assert "meta|Meta|US|base-producer" in _props(c, "tierguard:producer")
    (anc,) = c["pedigree"]["ancestors"]
    assert anc["name"] == "meta-llama/Llama-3.3-70B-Instruct"
    assert anc["manufacturer"]["address"]["country"] == "US"
    assert _props(anc, "tierguard:lineage:relation") == ["distill"]
    identity = c["evidence"]["identity"][0]
    assert identity["field"] == "name" and identity["confidence"] == 1.0
    assert {m["technique"] for m in identity["methods"]} == {"source-code-analysis", "hash-comparison"}
    assert {o["location"] for o in c["evidence"]["occurrences"]} == {"app/inference.py", "deploy/Modelfile"}
    assert c["hashes"] == [{"alg": "SHA-256", "content": SHA}]
    assert _props(c, "tierguard:verdict") == ["deny"]
    rule = _props(c, "tierguard:rule")[0]
    assert rule.startswith("US-FED-DEEPSEEK-001|deny|unspecified|us-federal@2025.11|")
    assert "modelCard" in c


def test_parent_nesting_and_dependencies(result: ScanResult) -> None:
    bom = _bom(result)
    top = {c["name"]: c for c in bom["components"]}
    bundle = top["acme-inference-bundle"]
    assert [k["name"] for k in bundle["components"]] == [MODEL_NAME]
    host = top["cam-gw-01"]
    assert host["type"] == "device"
    kids = {k["name"]: k for k in host["components"]}
    cam = kids["Hikvision DS-2CD2143G2-I"]
    assert cam["type"] == "device"
    assert cam["manufacturer"] == {"name": "Hikvision", "address": {"country": "CN"}}
    assert _props(cam, "tierguard:effective-verdict") == ["allow"]
    assert _props(cam, "tierguard:waiver")[0].startswith("WVR-2026-007|")
    os_c = kids["Ubuntu 22.04.4 LTS"]
    assert os_c["type"] == "operating-system" and os_c["version"] == "22.04.4"
    deps = {d["ref"]: d["dependsOn"] for d in bom["dependencies"]}
    assert set(deps[host["bom-ref"]]) == {cam["bom-ref"], os_c["bom-ref"]}
    assert MODEL_NAME not in top


def test_libraries_have_purls(result: ScanResult) -> None:
    comps = {c["name"]: c for c in _walk(_bom(result)["components"])}
    assert comps["dashscope"]["type"] == "library"
    assert comps["dashscope"]["purl"] == "pkg:pypi/dashscope@1.20.0"
    assert comps["dashscope"]["manufacturer"]["address"]["country"] == "CN"
    assert _props(comps["dashscope"], "tierguard:verdict") == ["review"]
    assert comps["@anthropic-ai/sdk"]["purl"] == "pkg:npm/%40anthropic-ai/sdk"


def test_service(result: ScanResult) -> None:
    (svc,) = _bom(result)["services"]
    assert svc["bom-ref"] == asset_by_name(result, "api.deepseek.com").id
    assert svc["endpoints"] == ["https://api.deepseek.com"]
    assert svc["provider"] == {"name": "DeepSeek", "address": {"country": "CN"}}
    assert svc["x-trust-boundary"] is True and svc["trustZone"] == "external:CN"
    assert svc["data"] == [{"flow": "outbound", "classification": "confidential"}]
    assert _props(svc, "tierguard:verdict") == ["deny"]


def test_findings_as_vulnerabilities_and_gaps_as_properties(result: ScanResult) -> None:
    bom = _bom(result)
    (v,) = bom["vulnerabilities"]
    assert v["id"] == "TG-PICKLE-GLOBAL"
    assert v["ratings"][0]["severity"] == "high"
    assert v["affects"] == [{"ref": asset_by_name(result, MODEL_NAME).id}]
    meta = bom["metadata"]
    assert "vendored|web/node_modules/openai/index.js" in _props(meta, "tierguard:skipped")
    assert any(p.startswith("incomplete|models/q4.gguf") for p in _props(meta, "tierguard:inspection"))
    assert _props(meta, "tierguard:context:country") == ["US"]
    assert meta["tools"]["components"][0]["name"] == "tierguard"
    assert _props(bom, "tierguard:note") == ["hosts inventory covers 1 of 3 sites"]


def test_parent_cycle_does_not_recurse(result: ScanResult, validator: Any) -> None:
    a = asset_by_name(result, "dashscope").model_copy(update={"parent": "@anthropic-ai/sdk"})
    b = asset_by_name(result, "@anthropic-ai/sdk").model_copy(update={"parent": "dashscope"})
    cyc = result.model_copy(update={"assets": (a, b), "decisions": (), "findings": ()})
    bom = _bom(cyc)
    validator.validate(bom)
    assert {c["name"] for c in bom["components"]} == {"dashscope", "@anthropic-ai/sdk"}


def test_validator_rejects_invalid_bom(result: ScanResult, validator: Any) -> None:
    bom = _bom(result)
    bom["components"][0]["type"] = "ai-thing"
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(bom)


def test_models_known_by_hugging_face_id_get_huggingface_purls() -> None:
    from tierguard.model import Asset, ModelDetails
    from tierguard.report.cyclonedx import purl_for

    by_ref = Asset(kind="ai-model", name="deepseek-ai/DeepSeek-R1", details=ModelDetails(matched_via="hf-id"))
    assert purl_for(by_ref) == "pkg:huggingface/deepseek-ai/DeepSeek-R1"
    cached = Asset(
        kind="ai-model",
        name="qwen2",
        details=ModelDetails(hf_repo="Qwen/Qwen2.5-7B", hf_revision="ABCDEF0123"),
    )
    assert purl_for(cached) == "pkg:huggingface/Qwen/Qwen2.5-7B@abcdef0123"
    # a provider API id is no Hugging Face repository, and a path-like name from code is not either
    assert (
        purl_for(Asset(kind="ai-model", name="deepseek-chat", details=ModelDetails(matched_via="name")))
        is None
    )
    assert purl_for(Asset(kind="ai-model", name="models/x", details=ModelDetails(matched_via="name"))) is None
