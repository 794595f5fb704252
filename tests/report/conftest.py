"""A realistic, hand-built ScanResult covering every asset kind, verdict, waivers, findings and gaps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tierguard.model import (
    Asset,
    Citation,
    Context,
    Decision,
    DeviceDetails,
    Evidence,
    Finding,
    IdentMethod,
    Inspection,
    LineageEdge,
    Location,
    ModelDetails,
    PackRef,
    ProducerRef,
    Provenance,
    RuleInfo,
    RuleMatch,
    ScanResult,
    SdkDetails,
    ServiceDetails,
    Skipped,
    Stats,
    Waiver,
)

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
HOSTILE = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'

DEEPSEEK = ProducerRef(id="deepseek", name="DeepSeek", jurisdiction="CN")
META = ProducerRef(id="meta", name="Meta", jurisdiction="US", role="base-producer")
ALIBABA = ProducerRef(id="alibaba", name="Alibaba Cloud", jurisdiction="CN")
ANTHROPIC = ProducerRef(id="anthropic", name="Anthropic", jurisdiction="US")
HIKVISION = ProducerRef(id="hikvision", name="Hikvision", jurisdiction="CN", role="manufacturer")
CANONICAL = ProducerRef(id="canonical", name="Canonical", jurisdiction="GB")

HR1121 = Citation(
    instrument="No DeepSeek on Government Devices Act (H.R. 1121)",
    date="2025-02-06",
    url="https://www.congress.gov/bill/119th-congress/house-bill/1121",
)
NDAA889 = Citation(
    instrument="John S. McCain NDAA for FY2019, section 889",
    date="2018-08-13",
    url="https://www.congress.gov/bill/115th-congress/house-bill/5515",
)
REVIEW_CITE = Citation(
    instrument="Organisation AI procurement standard, PRC-origin SDKs",
    date="2025-06",
    url="https://example.org/policy/ai-procurement",
    verify=True,
)

MODEL_NAME = "deepseek-ai/DeepSeek-R1-Distill-Llama-70B"
SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def _ev(
    detector: str, kind: str, value: str, path: str, line: int | None, strength: str = "A", **kw: Any
) -> Evidence:
    return Evidence(
        detector=detector,
        kind=kind,
        value=value,
        strength=strength,  # type: ignore[arg-type]
        location=Location(path=path, line=line, member=kw.pop("member", None)),
        excerpt=kw.pop("excerpt", ""),
        refs=kw.pop("refs", {}),
        attributes=kw.pop("attributes", {}),
    )


def build_result() -> ScanResult:
    model = Asset(
        kind="ai-model",
        name=MODEL_NAME,
        use_mode="self-hosted",
        provenance=Provenance(
            producers=(DEEPSEEK, META),
            lineage=(
                LineageEdge(
                    relation="distill",
                    base="meta-llama/Llama-3.3-70B-Instruct",
                    base_producer=META,
                    source="model card base_model",
                ),
            ),
            methods=(
                IdentMethod(
                    technique="source-code-analysis", confidence=0.9, value="from_pretrained model id"
                ),
                IdentMethod(technique="hash-comparison", confidence=1.0, value=f"sha256 {SHA[:12]}"),
            ),
        ),
        evidence=(
            _ev(
                "code.python",
                "model-ref",
                MODEL_NAME,
                "app/inference.py",
                12,
                "B",
                excerpt=f'AutoModel.from_pretrained("{MODEL_NAME}")  # {HOSTILE}',
                refs={"producer": "deepseek", "family": "deepseek-r1"},
                attributes={"use_mode": "self-hosted", "context": "from_pretrained"},
            ),
            _ev(
                "modelfile", "model-ref", MODEL_NAME, "deploy/Modelfile", 1, "B", excerpt=f"FROM {MODEL_NAME}"
            ),
        ),
        parent="acme-inference-bundle",
        details=ModelDetails(sha256=SHA, format="safetensors"),
    )
    service = Asset(
        kind="ai-service",
        name="api.deepseek.com",
        use_mode="hosted-api",
        provenance=Provenance(
            producers=(DEEPSEEK,),
            service_operator=ProducerRef(id="deepseek", name="DeepSeek", jurisdiction="CN", role="operator"),
            service_jurisdiction="CN",
            methods=(
                IdentMethod(technique="source-code-analysis", confidence=0.95, value="base_url literal"),
            ),
        ),
        evidence=(
            _ev(
                "code.python",
                "endpoint",
                "api.deepseek.com",
                "app/client.py",
                8,
                excerpt='client = OpenAI(base_url="https://api.deepseek.com")',
                refs={"endpoint": "api.deepseek.com", "producer": "deepseek"},
                attributes={"use_mode": "hosted-api", "context": "base_url"},
            ),
        ),
        details=ServiceDetails(host="api.deepseek.com"),
    )
    dashscope = Asset(
        kind="sdk-dependency",
        name="dashscope",
        use_mode="dependency",
        provenance=Provenance(
            producers=(ALIBABA,),
            methods=(IdentMethod(technique="manifest-analysis", confidence=0.95, value="requirements.txt"),),
        ),
        evidence=(
            _ev(
                "manifest.requirements",
                "package-dependency",
                "dashscope",
                "requirements.txt",
                3,
                excerpt="dashscope==1.20.0",
                refs={"package": "pypi:dashscope", "producer": "alibaba"},
            ),
        ),
        details=SdkDetails(ecosystem="pypi", package="dashscope", version="1.20.0"),
    )
    anthropic_sdk = Asset(
        kind="sdk-dependency",
        name="@anthropic-ai/sdk",
        use_mode="dependency",
        provenance=Provenance(producers=(ANTHROPIC,)),
        evidence=(
            _ev(
                "manifest.npm",
                "package-dependency",
                "@anthropic-ai/sdk",
                "web/package.json",
                14,
                refs={"package": "npm:@anthropic-ai/sdk", "producer": "anthropic"},
            ),
        ),
        details=SdkDetails(ecosystem="npm", package="@anthropic-ai/sdk"),
    )
    camera = Asset(
        kind="hardware-device",
        name="Hikvision DS-2CD2143G2-I",
        provenance=Provenance(
            producers=(HIKVISION,),
            methods=(IdentMethod(technique="other", confidence=0.9, value="USB vendor id 2bdf"),),
        ),
        evidence=(
            _ev(
                "equipment.inventory",
                "device",
                "Hikvision DS-2CD2143G2-I",
                "inventory/hosts.json",
                None,
                excerpt='"vendor": "Hikvision"',
                attributes={"host": "cam-gw-01"},
            ),
        ),
        parent="cam-gw-01",
        details=DeviceDetails(host="cam-gw-01", prc="yes", ids={"vendor_id": "2bdf"}),
    )
    os_asset = Asset(
        kind="operating-system",
        name="Ubuntu 22.04.4 LTS",
        provenance=Provenance(producers=(CANONICAL,)),
        evidence=(_ev("equipment.inventory", "os", "Ubuntu 22.04.4 LTS", "inventory/hosts.json", None),),
        parent="cam-gw-01",
        details=DeviceDetails(host="cam-gw-01", ids={"version": "22.04.4"}),
    )

    deny_model = RuleMatch(
        pack="us-federal",
        pack_version="2025.11",
        rule_id="US-FED-DEEPSEEK-001",
        verdict="deny",
        severity="high",
        reason="DeepSeek models are barred on federal systems",
        citation=HR1121,
    )
    deny_service = deny_model.model_copy(
        update={"reason": "DeepSeek hosted API is barred on federal systems"}
    )
    review_sdk = RuleMatch(
        pack="org-baseline",
        pack_version="1.2.0",
        rule_id="ORG-PRC-SDK-REVIEW",
        verdict="review",
        severity="medium",
        reason="PRC-origin AI SDK requires a security review",
        citation=REVIEW_CITE,
    )
    deny_device = RuleMatch(
        pack="us-gov-devices",
        pack_version="2025.10",
        rule_id="US-NDAA-889-HIKVISION",
        verdict="deny",
        severity="critical",
        reason="Covered telecommunications/video surveillance equipment (section 889)",
        citation=NDAA889,
    )
    waiver = Waiver(
        id="WVR-2026-007",
        justification="Camera is air-gapped; replacement ordered (PO 4471)",
        owner="facilities-security@example.org",
        approval="CISO 2026-10-01",
        expires="2027-03-31",
        asset_id=camera.id,
        rule_id="US-NDAA-889-HIKVISION",
    )
    decisions = (
        Decision(asset_id=model.id, verdict="deny", matches=(deny_model,)),
        Decision(asset_id=service.id, verdict="deny", matches=(deny_service,)),
        Decision(asset_id=dashscope.id, verdict="review", matches=(review_sdk,)),
        Decision(asset_id=anthropic_sdk.id, verdict="allow", notes=("no rule matched",)),
        Decision(asset_id=camera.id, verdict="deny", matches=(deny_device,), waived_by=waiver),
        Decision(asset_id=os_asset.id, verdict="allow"),
    )
    findings = (
        Finding(
            rule_id="TG-PICKLE-GLOBAL",
            severity="high",
            message="pickle imports os.system (would execute code when loaded)",
            location=Location(path="models/legacy.pt", member="archive/data.pkl"),
            asset_id=model.id,
            subject="os.system",
        ),
    )
    inspections = (
        Inspection(location=Location(path="models/model.safetensors"), format="safetensors", status="clean"),
        Inspection(
            location=Location(path="models/legacy.pt"),
            format="pytorch-zip",
            status="findings",
            bytes_read=4096,
        ),
        Inspection(
            location=Location(path="models/q4.gguf"),
            format="gguf",
            status="incomplete",
            reason="truncated metadata",
            bytes_read=128,
        ),
        Inspection(
            location=Location(path="models/big.bin"),
            format="unknown",
            status="not-inspected",
            reason="too-large",
        ),
    )
    skipped = (
        Skipped(path="web/node_modules/left-pad/index.js", reason="vendored"),
        Skipped(path="web/node_modules/openai/index.js", reason="vendored"),
        Skipped(path="data/blob.dat", reason="binary", detail="no text signature"),
    )
    rules = (
        RuleInfo(
            id="US-FED-DEEPSEEK-001",
            name="us-federal deepseek ban",
            short="DeepSeek models and services on federal systems",
            help="Federal agencies may not use DeepSeek applications or models on government devices.",
            severity="high",
            help_uri=HR1121.url,
            citations=(HR1121,),
        ),
        RuleInfo(
            id="ORG-PRC-SDK-REVIEW",
            name="prc sdk review",
            short="PRC-origin AI SDKs need a review",
            severity="medium",
            citations=(REVIEW_CITE,),
        ),
        RuleInfo(
            id="US-NDAA-889-HIKVISION",
            name="ndaa 889 hikvision",
            short="Section 889 covered equipment",
            severity="critical",
            citations=(NDAA889,),
            source="equipment",
        ),
        RuleInfo(
            id="TG-PICKLE-GLOBAL",
            name="pickle dangerous global",
            short="Pickle stream imports a dangerous callable",
            severity="high",
            source="inspect",
        ),
    )
    assets = (model, service, dashscope, anthropic_sdk, camera, os_asset)
    return ScanResult(
        tool_version="0.1.0",
        catalog_version="2026.11.1",
        packs=(
            PackRef(id="us-federal", version="2025.11"),
            PackRef(id="org-baseline", version="1.2.0"),
            PackRef(id="us-gov-devices", version="2025.10"),
        ),
        target="acme-repo",
        context=Context(country="US", sector="government", use="any", data_sensitivity="confidential"),
        started="2026-11-22T10:00:00+00:00",
        finished="2026-11-22T10:00:05+00:00",
        evidence=tuple(ev for a in assets for ev in a.evidence),
        assets=assets,
        findings=findings,
        inspections=inspections,
        decisions=decisions,
        skipped=skipped,
        rules=rules,
        notes=("hosts inventory covers 1 of 3 sites",),
        stats=Stats(files_seen=42, assets=len(assets)),
    )


@pytest.fixture()
def result() -> ScanResult:
    return build_result()


@pytest.fixture()
def empty_result() -> ScanResult:
    return ScanResult(tool_version="0.1.0", catalog_version="2026.11.1", target="empty")


def asset_by_name(result: ScanResult, name: str) -> Asset:
    for a in result.assets:
        if a.name == name:
            return a
    raise KeyError(name)


def load_json(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))
