"""Small asset builders for policy tests."""

from __future__ import annotations

from tierguard.model import (
    Asset,
    Evidence,
    LineageEdge,
    Location,
    ProducerRef,
    Provenance,
    Strength,
)


def mk_asset(
    kind: str,
    name: str,
    use_mode: str = "unknown",
    *,
    producer: tuple[str, str] | None = None,
    service: str | None = None,
    base: tuple[str, str] | None = None,
    strength: Strength = "A",
    path: str = "src/app.py",
) -> Asset:
    producers = (
        () if producer is None else (ProducerRef(id=producer[0], name=producer[0], jurisdiction=producer[1]),)
    )
    lineage = ()
    if base is not None:
        lineage = (
            LineageEdge(
                relation="finetune",
                base=f"{base[0]}/base",
                base_producer=ProducerRef(
                    id=base[0], name=base[0], jurisdiction=base[1], role="base-producer"
                ),
            ),
        )
    ev = Evidence(
        detector="test", kind="model-ref", value=name, strength=strength, location=Location(path=path, line=3)
    )
    return Asset(
        kind=kind,  # type: ignore[arg-type]
        name=name,
        use_mode=use_mode,  # type: ignore[arg-type]
        provenance=Provenance(producers=producers, service_jurisdiction=service, lineage=lineage),
        evidence=(ev,),
    )


def deepseek_api(strength: Strength = "A") -> Asset:
    return mk_asset(
        "ai-service",
        "api.deepseek.com",
        "hosted-api",
        producer=("deepseek", "CN"),
        service="CN",
        strength=strength,
    )


def deepseek_weights() -> Asset:
    return mk_asset(
        "ai-model",
        "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
        "self-hosted",
        producer=("deepseek", "CN"),
        path="models/ds.gguf",
    )


def qwen_weights() -> Asset:
    return mk_asset(
        "ai-model",
        "Qwen/Qwen2.5-7B-Instruct",
        "self-hosted",
        producer=("alibaba", "CN"),
        path="models/qwen.safetensors",
    )
