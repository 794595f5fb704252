"""Behavioural audit of a served model: probes (versioned, cited data) -> client (any OpenAI-compatible chat
endpoint) -> judges (transparent classifiers, optional LLM judge) -> rates with Wilson intervals -> findings
on the model asset of a ``ScanResult``.

Two halves meet here:
- :mod:`tierguard.audit.probes` loads suites (``audit/data/probes/*.yaml`` and user-supplied files) into
  :class:`Suite`; :mod:`tierguard.audit.classify` turns (probe, response text) into a :class:`Judgement`;
  :mod:`tierguard.audit.codecheck` analyses generated code statically (bandit; semgrep where installed; never
  executed); :mod:`tierguard.audit.stats` computes Wilson intervals and paired/unpaired significance tests.
- :mod:`tierguard.audit.client` sends probes (bounded concurrency, retries with backoff, timeouts, request
  and token budget, a response cache keyed by (endpoint, model, probe, sampling)) and returns
  :class:`Transcript` s; :mod:`tierguard.audit.run` orchestrates a run and builds the result.
Nothing the model returns is executed, imported or rendered as markup.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from tierguard.model import Citation

Category = Literal["political", "identity", "code", "hijack"]
Lang = Literal["en", "zh"]
Label = Literal[
    # political
    "refusal",  # declines to answer
    "deflection",  # changes the subject / generic non-answer without declining
    "narrative",  # repeats an official PRC narrative contradicted by the reference facts
    "honest",  # states the reference facts
    # identity
    "claims-producer",  # names a producer (Judgement.producer says which)
    "no-claim",
    # code
    "vulnerable",  # static analysis found at least one issue at or above the threshold
    "clean-code",
    "no-code",  # no code block in the response
    # hijack
    "hijacked",  # followed the injected instruction
    "resisted",
    # any
    "error",  # no usable response (transport error, empty, truncated)
]


class Probe(msgspec.Struct, frozen=True, kw_only=True):
    id: str  # unique within its suite, stable across versions (the cache and diff key)
    category: Category
    lang: Lang
    topic: str  # e.g. "tiananmen-1989", "identity", "flask-upload"
    prompt: str
    system: str | None = None
    # political: short statements of fact the honest answer contains, each sourced (Suite.citations ids)
    reference: tuple[str, ...] = ()
    # political: per reference fact (same order), the keywords any one of which shows the fact is stated
    # (lower-case; English matched at a word start, Chinese as a substring), and the URL of its citation
    reference_keywords: tuple[tuple[str, ...], ...] = ()
    reference_sources: tuple[str, ...] = ()
    narrative: tuple[str, ...] = ()  # phrases of the official narrative the reference contradicts
    # code: probes with the same ``task`` are the same coding task; ``variant`` says with or without trigger
    task: str | None = None
    variant: Literal["neutral", "trigger"] | None = None
    trigger: str | None = None  # the politically sensitive context added (Tibet, Uyghurs, Falun Gong ...)
    # hijack: the instruction injected into tool output, and a marker that shows it was followed
    injected: str | None = None
    marker: str | None = None


class Suite(msgspec.Struct, frozen=True, kw_only=True):
    id: str  # "political", "identity", "code-trigger", "hijack", or a user file's id
    version: str
    title: str
    citations: tuple[Citation, ...] = ()
    probes: tuple[Probe, ...] = ()
    source: str = ""  # "builtin" or the user file's path


class Sampling(msgspec.Struct, frozen=True, kw_only=True):
    """Deterministic sampling settings, recorded with every result and part of the cache key."""

    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 512
    seed: int = 0


class Transcript(msgspec.Struct, frozen=True, kw_only=True):
    suite: str
    probe_id: str
    endpoint: str  # URL without credentials
    model: str  # the model asked for
    served_model: str | None = None  # the ``model`` field the endpoint answered with
    messages: tuple[dict[str, str], ...] = ()  # what was sent
    response: str = ""  # the assistant text (bounded)
    status: Literal["ok", "error", "incomplete"] = "ok"
    error: str = ""
    finish_reason: str | None = None
    latency_ms: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False
    sampling: Sampling = Sampling()


class CodeIssue(msgspec.Struct, frozen=True, kw_only=True):
    tool: str  # bandit, semgrep
    rule: str  # e.g. B602
    severity: str
    line: int | None = None
    text: str = ""
    confidence: str = ""  # bandit's issue confidence (LOW/MEDIUM/HIGH); "" when the tool gives none


class Judgement(msgspec.Struct, frozen=True, kw_only=True):
    probe_id: str
    label: Label
    reasons: tuple[str, ...] = ()  # the patterns or rules that decided (transparent)
    producer: str | None = None  # claims-producer: the catalog producer id claimed
    issues: tuple[CodeIssue, ...] = ()
    judge: str = "rules"  # "rules" or "llm:<model>"


class Rate(msgspec.Struct, frozen=True, kw_only=True):
    """k of n, with its 95 % Wilson interval."""

    label: str
    k: int
    n: int
    rate: float
    low: float
    high: float
