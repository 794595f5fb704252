"""SPDX 3.0.1 JSON-LD with the AI profile (report/spdx.py), validated by the SPDX project's own Python model
(spdx-python-model, generated from the SPDX 3.0.1 SHACL model): every type, property, enum value and
reference type is checked on deserialisation, every required property on serialisation, and every reference
must resolve within the document."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tierguard.catalog import load_catalog
from tierguard.model import Context, ScanResult
from tierguard.policy.packs import load_packs
from tierguard.report import spdx
from tierguard.scanner import Scanner

spdx_model = pytest.importorskip(
    "spdx_python_model", reason="spdx-python-model (the SPDX 3 validator, test extra) is not installed"
)

ESTATE = Path(__file__).resolve().parents[2] / "examples" / "estate"


def spdx_errors(doc: dict[str, Any]) -> list[str]:
    """What the SPDX 3.0.1 model rejects in ``doc`` (empty: valid). Deserialising checks types, property
    names, enum values and the class of every referenced element; linking finds references to elements
    that are not in the document; serialising checks every required property and cardinality."""
    try:
        model, objset = spdx_model.load_data(copy.deepcopy(doc))
        missing = objset.link()
        model.JSONLDSerializer().write(objset, io.BytesIO())
    except Exception as e:  # noqa: BLE001 - the validator's verdict, whatever it raises
        return [f"{type(e).__name__}: {e}"]
    return [f"reference to an element not in the document: {m}" for m in sorted(missing)]


def _doc(result: ScanResult) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(spdx.render(result))
    return data


def _graph(doc: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return [x for x in doc["@graph"] if x["type"] == type_]


def _by_id(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {x["spdxId"]: x for x in doc["@graph"] if "spdxId" in x}


def _props(element: dict[str, Any], name: str) -> list[str]:
    return [
        p["extension_cdxPropValue"]
        for ext in element.get("extension", [])
        for p in ext["extension_cdxProperty"]
        if p["extension_cdxPropName"] == name
    ]


@pytest.fixture(scope="module")
def uk_gov() -> ScanResult:
    return Scanner(load_catalog(), load_packs()).scan(
        ESTATE, Context(country="GB", sector="government"), display_name="examples/estate"
    )


# ---- the validator itself rejects what it must (so a pass means something) ---------------------------


@pytest.mark.parametrize(
    ("what", "mutate"),
    [
        ("unknown property", lambda g: _first(g, "ai_AIPackage").update(ai_notAField="x")),
        ("bad enum", lambda g: _first(g, "ai_AIPackage").update(ai_autonomyType="maybe")),
        ("bad purpose", lambda g: _first(g, "ai_AIPackage").update(software_primaryPurpose="weights")),
        ("bad relationship type", lambda g: _first(g, "Relationship").update(relationshipType="lineageOf")),
        ("dangling reference", lambda g: _first(g, "Relationship").update(to=["urn:x#not-here"])),
        ("missing required", lambda g: _first(g, "Annotation").pop("subject")),
        ("missing creationInfo", lambda g: _first(g, "software_Package").pop("creationInfo")),
        (
            "reference of the wrong class",
            lambda g: _first(g, "ai_AIPackage").update(suppliedBy=_first(g, "Relationship")["spdxId"]),
        ),
        ("bad timestamp", lambda g: _first(g, "CreationInfo").update(created="yesterday")),
    ],
)
def test_validator_rejects_invalid_documents(result: ScanResult, what: str, mutate: Any) -> None:
    doc = _doc(result)
    assert spdx_errors(doc) == []
    mutate(doc["@graph"])
    assert spdx_errors(doc), f"the SPDX model accepted a document with a {what}"


def _first(graph: list[dict[str, Any]], type_: str) -> dict[str, Any]:
    return next(x for x in graph if x["type"] == type_)


# ---- structure over the hand-built result (every kind, verdict, waiver, finding and gap) --------------


def test_hand_built_result_validates_and_is_deterministic(result: ScanResult) -> None:
    doc = _doc(result)
    assert spdx_errors(doc) == []
    assert doc["@context"] == "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
    assert spdx.render(result) == spdx.render(result)
    (document,) = _graph(doc, "SpdxDocument")
    assert set(document["profileConformance"]) == {"core", "software", "ai"}
    (info,) = _graph(doc, "CreationInfo")
    assert info["specVersion"] == "3.0.1"
    by_id = _by_id(doc)
    assert by_id[info["createdBy"][0]]["type"] == "SoftwareAgent"
    assert by_id[info["createdUsing"][0]]["name"].startswith("tierguard ")
    # every element (other than the document) is listed in the document and reachable from its root
    listed = set(document["element"])
    assert {x["spdxId"] for x in doc["@graph"] if "spdxId" in x} - listed == {document["spdxId"]}


def test_empty_result_validates(empty_result: ScanResult) -> None:
    doc = _doc(empty_result)
    assert spdx_errors(doc) == []
    assert not _graph(doc, "ai_AIPackage")


def test_every_asset_is_one_element_and_findings_are_annotated(result: ScanResult) -> None:
    doc = _doc(result)
    by_id = _by_id(doc)
    for a in result.assets:
        element = by_id[next(k for k in by_id if k.endswith("#" + a.id))]
        assert element["type"] == ("ai_AIPackage" if a.kind == "ai-model" else "software_Package")
        assert _props(element, "tierguard:asset-kind") == [a.kind]
    statements = [x["statement"] for x in _graph(doc, "Annotation")]
    for f in result.findings:
        assert any(f.rule_id in s and "inspection finding" in s for s in statements), f.rule_id
    waived = [d for d in result.decisions if d.waived_by is not None]
    assert waived and all(
        any(f"waived by {d.waived_by.id}" in s for s in statements) for d in waived if d.waived_by
    )


def test_hostile_names_stay_text(result: ScanResult) -> None:
    """Names from the target with control characters or markup end up escaped text in valid JSON-LD."""
    text = spdx.render(result)
    assert "\x1b" not in text and "\u202e" not in text
    assert spdx_errors(json.loads(text)) == []


# ---- the demo estate, as a procurement reader would check it ----------------------------------------


def test_demo_estate_validates(uk_gov: ScanResult) -> None:
    assert spdx_errors(_doc(uk_gov)) == []


def test_demo_deepseek_model_produced_by_deepseek_cn(uk_gov: ScanResult) -> None:
    doc = _doc(uk_gov)
    by_id = _by_id(doc)
    (model,) = [x for x in _graph(doc, "ai_AIPackage") if x["name"] == "deepseek-ai/DeepSeek-R1"]
    assert model["software_primaryPurpose"] == "model"
    producers = [by_id[o] for o in model["originatedBy"]]
    assert [p["type"] for p in producers] == ["Organization"]
    assert producers[0]["name"].startswith("DeepSeek")
    assert _props(producers[0], "tierguard:jurisdiction") == ["CN"]
    assert "jurisdiction (ISO 3166-1 alpha-2, XX = unknown): CN" in producers[0]["comment"]
    assert by_id[model["suppliedBy"]]["name"].startswith("DeepSeek")
    assert "producers: DeepSeek" in model["comment"] and "(CN, producer)" in model["comment"]
    # the target depends on it
    deps = [r for r in _graph(doc, "Relationship") if r["relationshipType"] == "dependsOn"]
    assert any(model["spdxId"] in r["to"] and by_id[r["from"]]["name"] == "examples/estate" for r in deps)


def test_demo_deny_annotation_carries_the_rule_and_its_citation(uk_gov: ScanResult) -> None:
    doc = _doc(uk_gov)
    by_name = {a.name: a for a in uk_gov.assets}
    decision = next(d for d in uk_gov.decisions if d.asset_id == by_name["deepseek-ai/DeepSeek-R1"].id)
    assert decision.verdict == "deny"
    (model,) = [x for x in _graph(doc, "ai_AIPackage") if x["name"] == "deepseek-ai/DeepSeek-R1"]
    (ann,) = [a for a in _graph(doc, "Annotation") if a["subject"] == model["spdxId"]]
    assert ann["annotationType"] == "review"
    assert ann["statement"].startswith("tierguard verdict on deepseek-ai/DeepSeek-R1: deny")
    deny_matches = [m for m in decision.matches if m.verdict == "deny"]
    assert deny_matches
    for m in deny_matches:
        assert f"rule {m.rule_id}" in ann["statement"]
        assert m.citation.url and m.citation.url in ann["statement"]
        assert any(
            v.startswith(f"{m.rule_id}|deny|") and m.citation.url in v for v in _props(ann, "tierguard:rule")
        )
    assert _props(ann, "tierguard:verdict") == ["deny"]
    assert "country=GB" in ann["statement"] and "sector=government" in ann["statement"]


def test_demo_lineage_is_descendant_of_the_base_model(uk_gov: ScanResult) -> None:
    doc = _doc(uk_gov)
    by_id = _by_id(doc)
    (distill,) = [
        x for x in _graph(doc, "ai_AIPackage") if x["name"] == "deepseek-ai/DeepSeek-R1-Distill-Llama-70B"
    ]
    (rel,) = [
        r
        for r in _graph(doc, "Relationship")
        if r["from"] == distill["spdxId"] and r["relationshipType"] == "descendantOf"
    ]
    (base,) = [by_id[t] for t in rel["to"]]
    assert base["type"] == "ai_AIPackage" and base["name"] == "meta-llama/Llama-3.3-70B-Instruct"
    assert by_id[base["originatedBy"][0]]["name"].startswith("Meta")
    assert "distill" in rel["comment"]
    # both producers of the distilled model: DeepSeek (CN, trainer) and Meta (US, base producer)
    names = sorted(by_id[o]["name"].split(" ")[0] for o in distill["originatedBy"])
    assert names == ["DeepSeek", "Meta"]


def test_demo_sdks_are_libraries_with_purls(uk_gov: ScanResult) -> None:
    doc = _doc(uk_gov)
    libs = {
        x["name"]: x for x in _graph(doc, "software_Package") if x["software_primaryPurpose"] == "library"
    }
    assert libs["langchain-deepseek"]["software_packageUrl"] == "pkg:pypi/langchain-deepseek"
    assert libs["@ai-sdk/deepseek"]["software_packageUrl"] == "pkg:npm/%40ai-sdk/deepseek@0.1.6"
    assert libs["@ai-sdk/deepseek"]["software_packageVersion"] == "0.1.6"
    services = {x["name"]: x for x in _graph(doc, "software_Package") if x["name"] == "DeepSeek API"}
    assert _props(services["DeepSeek API"], "tierguard:asset-kind") == ["ai-service"]


def test_without_context_the_document_says_so_and_allows_nothing_prc(tmp_path: Path) -> None:
    result = Scanner(load_catalog(), load_packs()).scan(ESTATE, Context(), display_name="examples/estate")
    doc = _doc(result)
    assert spdx_errors(doc) == []
    by_id = _by_id(doc)
    (target,) = [x for x in _graph(doc, "software_Package") if x["comment"] == "the scanned target"]
    notes = [a for a in _graph(doc, "Annotation") if a["subject"] == target["spdxId"]]
    assert any(a["statement"].startswith("no deployment context given") for a in notes)
    for ann in _graph(doc, "Annotation"):
        subject = by_id[ann["subject"]]
        if "(CN, producer)" in subject.get("comment", "") and ann["annotationType"] == "review":
            assert ": allow" not in ann["statement"].split("\n", 1)[0], subject["name"]
