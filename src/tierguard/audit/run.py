"""One audit run: suites -> client (audited model, and the reference model when given) -> judge -> rates,
tests and findings -> a :class:`~tierguard.model.ScanResult` (command ``audit``) whose model asset carries
the ``AUDIT-*`` findings, evaluated by the policy packs like any scan.

The model asset is named as the catalog names the declared model (``deepseek-r1`` ->
``deepseek-ai/DeepSeek-R1``, producer DeepSeek, CN), with one usage at the endpoint (self-hosted when the
endpoint is on a loopback or private address, else hosted-api, unless told). What the endpoint claimed
to serve, and what the model said about itself, are findings: they never rename the asset.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import ipaddress
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from msgspec.structs import replace

from tierguard import __version__
from tierguard.audit.cache import ResponseCache
from tierguard.audit.client import ChatClient, Job, Limits, Outcome, public_endpoint
from tierguard.audit.errors import AuditError
from tierguard.audit.interface import Judgement, Probe, Sampling, Suite, Transcript
from tierguard.audit.result import (
    Judged,
    findings,
    rates,
    reference_comparisons,
    transcript_records,
    trigger_comparisons,
)
from tierguard.model import (
    Asset,
    Audit,
    AuditComparison,
    Context,
    Location,
    ModelDetails,
    PackRef,
    ProducerRef,
    Provenance,
    ScanResult,
    Stats,
    Usage,
    UseMode,
)

Judge = Callable[[Probe, str], Judgement]
JudgeMany = Callable[[Sequence[tuple[Probe, str]]], list[Judgement]]


@dataclass(frozen=True, slots=True)
class AuditOptions:
    endpoint: str
    model: str
    sampling: Sampling = Sampling()
    limits: Limits = field(default_factory=Limits)
    api_key_env: str | None = "OPENAI_API_KEY"
    cache_dir: Path | None = None
    reference_endpoint: str | None = None
    reference_model: str | None = None
    reference_api_key_env: str | None = None  # None: the audited endpoint's
    judge_endpoint: str | None = None  # an LLM judge for the text categories (code stays static analysis)
    judge_model: str | None = None
    judge_api_key_env: str | None = None  # None: the audited endpoint's
    use_mode: UseMode | None = None  # None: from the endpoint's address
    context: Context = field(default_factory=Context)
    packs: Sequence[str] | None = None  # policy pack selectors (None: every shipped pack)
    policy: bool = True


def default_judge() -> JudgeMany:
    """The transparent classifiers (:mod:`tierguard.audit.classify`), code answers in one analyser run."""
    judge_many: JudgeMany = importlib.import_module("tierguard.audit.classify").judge_many
    return judge_many


def _send(endpoint: str, model: str, jobs: Sequence[Job], opts: AuditOptions, key_env: str | None) -> Outcome:
    cache = None
    if opts.cache_dir is not None:
        cache = ResponseCache(opts.cache_dir, public_endpoint(endpoint), model, opts.sampling)
    client = ChatClient(
        endpoint,
        model,
        sampling=opts.sampling,
        limits=opts.limits,
        api_key_env=key_env,
        cache_get=cache.get if cache else None,
        cache_put=cache.put if cache else None,
    )
    try:
        return client.run(jobs)
    finally:
        if cache is not None:
            cache.close()


def _judge_all(model: str, jobs: Sequence[Job], outcome: Outcome, judge: JudgeMany) -> list[Judged]:
    """Judge every answered probe (one batch); a probe without a usable response has no judgement."""
    answered = [i for i, t in enumerate(outcome.transcripts) if t.status == "ok"]
    verdicts = judge([(jobs[i].probe, outcome.transcripts[i].response) for i in answered])
    by_index = dict(zip(answered, verdicts, strict=True))
    return [
        Judged(model=model, suite=job.suite, probe=job.probe, transcript=t, judgement=by_index.get(i))
        for i, (job, t) in enumerate(zip(jobs, outcome.transcripts, strict=True))
    ]


def use_mode_of(endpoint: str) -> UseMode:
    """self-hosted for a loopback, private or link-local address or a single-label host name; else
    hosted-api."""
    host = (urlsplit(endpoint).hostname or "").lower()
    if host == "localhost" or "." not in host and ":" not in host:
        return "self-hosted"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return "self-hosted" if host.endswith((".local", ".internal", ".lan")) else "hosted-api"
    return "self-hosted" if ip.is_private or ip.is_loopback or ip.is_link_local else "hosted-api"


def model_asset(name: str, endpoint: str, use_mode: UseMode) -> Asset:
    """The declared model as the catalog knows it (canonical name, family, producer)."""
    from tierguard.catalog import load_catalog

    cat = load_catalog()
    m = cat.match_model(name)
    canonical = cat.canonical_model(name, m) if m is not None else name
    producers: tuple[ProducerRef, ...] = ()
    family = None
    if m is not None:
        p = m.producer
        producers = (ProducerRef(id=p.id, name=p.name, jurisdiction=p.jurisdiction),)
        family = m.family.id if m.family is not None else None
    usage = Usage(
        location=Location(path=public_endpoint(endpoint)), use_mode=use_mode, strength="A", as_written=name
    )
    return Asset(
        kind="ai-model",
        name=canonical,
        use_mode=use_mode,
        provenance=Provenance(producers=producers),
        usages=(usage,),
        aliases=(name,) if name != canonical else (),
        details=ModelDetails(family=family, matched_via="audit"),
    )


@dataclasses.dataclass(frozen=True, slots=True)
class _Measured:
    judged: list[Judged]
    outcome: Outcome
    ref_outcome: Outcome | None
    comparisons: list[AuditComparison]
    notes: list[str]


def jobs_of(suites: Sequence[Suite]) -> list[Job]:
    return [Job(s.id, p) for s in suites for p in s.probes]


def _measure(opts: AuditOptions, suites: Sequence[Suite], judge_many: JudgeMany) -> _Measured:
    """Send (audited model, then the reference), judge (rules, then the optional LLM judge), and test."""
    jobs = jobs_of(suites)
    if not jobs:
        raise AuditError("no probes to send: the selected suites are empty")
    outcome = _send(opts.endpoint, opts.model, jobs, opts, opts.api_key_env)
    if outcome.stats.ok + outcome.stats.cached == 0:
        first = next((t.error for t in outcome.transcripts if t.error), outcome.stats.stopped)
        raise AuditError(f"no probe was answered by {public_endpoint(opts.endpoint)}: {first}")
    judged = _judge_all(opts.model, jobs, outcome, judge_many)
    ref_outcome: Outcome | None = None
    comparisons = trigger_comparisons(judged, opts.model)
    if opts.reference_endpoint and opts.reference_model:
        key_env = opts.reference_api_key_env or opts.api_key_env
        ref_outcome = _send(opts.reference_endpoint, opts.reference_model, jobs, opts, key_env)
        judged += _judge_all(opts.reference_model, jobs, ref_outcome, judge_many)
        comparisons += reference_comparisons(judged, opts.model, opts.reference_model)
    notes: list[str] = []
    if opts.judge_endpoint and opts.judge_model:
        judged, agreement = llm_judged(judged, opts)
        notes.append(agreement)
    return _Measured(judged, outcome, ref_outcome, comparisons, notes)


def run_audit(opts: AuditOptions, suites: Sequence[Suite], judge: Judge | None = None) -> ScanResult:
    """Send every probe of ``suites`` to the audited (and reference) model, judge, measure and decide."""
    started = dt.datetime.now(dt.UTC)
    t0 = time.monotonic()
    judge_many: JudgeMany = (
        default_judge() if judge is None else (lambda pairs: [judge(p, t) for p, t in pairs])
    )
    m = _measure(opts, suites, judge_many)
    judged, outcome, ref_outcome, comparisons = m.judged, m.outcome, m.ref_outcome, m.comparisons
    notes = list(m.notes)
    unjudged = sum(1 for j in judged if j.model == opts.model and j.label == "error")
    if unjudged:
        notes.append(
            f"{unjudged} of {len(jobs_of(suites))} answers could not be judged (no response, or code that "
            "does not parse or could not be analysed): left out of every rate, never counted as clean"
        )
    asset = model_asset(opts.model, opts.endpoint, opts.use_mode or use_mode_of(opts.endpoint))
    all_rates = rates(judged)
    stats = outcome.stats
    stopped = stats.stopped or ("" if outcome.complete else "some probes got no usable response")
    if ref_outcome is not None and ref_outcome.stats.stopped:
        stopped = "; ".join(x for x in (stopped, f"reference: {ref_outcome.stats.stopped}") if x)
    declared = asset.provenance.producers[0].id if asset.provenance.producers else None
    fs = findings(
        asset.id,
        opts.model,
        all_rates,
        comparisons,
        {s.id: s.probes[0].category for s in suites if s.probes},
        declared_producer=declared,
        served_models=sorted(stats.served_models),
        stopped=stopped,
    )
    audit = Audit(
        endpoint=public_endpoint(opts.endpoint),
        model=opts.model,
        served_models=tuple(sorted(stats.served_models)),
        reference_endpoint=public_endpoint(opts.reference_endpoint) if opts.reference_endpoint else None,
        reference_model=opts.reference_model,
        temperature=opts.sampling.temperature,
        top_p=opts.sampling.top_p,
        max_tokens=opts.sampling.max_tokens,
        seed=opts.sampling.seed,
        suites=tuple(f"{s.id}@{s.version}" for s in suites),
        complete=not stopped,
        stopped=stopped,
        requests=stats.requests + (ref_outcome.stats.requests if ref_outcome else 0),
        cached=stats.cached + (ref_outcome.stats.cached if ref_outcome else 0),
        prompt_tokens=stats.prompt_tokens,
        completion_tokens=stats.completion_tokens,
        rates=tuple(all_rates),
        comparisons=tuple(comparisons),
        transcripts=tuple(transcript_records(judged)),
    )
    result = ScanResult(
        tool_version=__version__,
        catalog_version="",
        command="audit",
        stages=("audit",),
        target=f"{public_endpoint(opts.endpoint)} {opts.model}",
        context=opts.context,
        started=started.isoformat(timespec="seconds"),
        assets=(asset,),
        findings=tuple(fs),
        audit=audit,
        notes=(*notes, *((f"audit stopped early: {stopped}",) if stopped else ())),
    )
    if opts.policy:
        result = apply_policy(result, opts)
    elapsed = int((time.monotonic() - t0) * 1000)
    finished = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    st = Stats(assets=1, findings=len(result.findings), elapsed_ms=elapsed)
    return result.model_copy(update={"finished": finished, "stats": st})


def llm_judged(judged: list[Judged], opts: AuditOptions) -> tuple[list[Judged], str]:
    """Re-judge the answered text probes (political, identity, hijack) with the LLM judge: one batch through
    the same bounded, cached client; the rules' label stays in ``reasons``. An unusable judge answer is an
    ``error`` judgement (left out of the rates), never a guess. Returns the judged list and an agreement
    note."""
    cl = importlib.import_module("tierguard.audit.classify_llm")
    todo = [i for i, j in enumerate(judged) if j.judgement is not None and j.probe.category != "code"]
    jobs = []
    for i in todo:
        j = judged[i]
        msgs = cl.rubric_messages(j.probe, j.transcript.response)
        system = next(m["content"] for m in msgs if m["role"] == "system")
        user = next(m["content"] for m in msgs if m["role"] == "user")
        pid = f"{j.model}/{j.probe.id}"
        jobs.append(Job(f"judge:{j.suite}", replace(j.probe, id=pid, prompt=user, system=system)))
    assert opts.judge_endpoint is not None and opts.judge_model is not None
    key_env = opts.judge_api_key_env or opts.api_key_env
    outcome = _send(opts.judge_endpoint, opts.judge_model, jobs, opts, key_env) if jobs else None
    out = list(judged)
    agree = usable = 0
    for n, i in enumerate(todo):
        assert outcome is not None
        t, j = outcome.transcripts[n], judged[i]

        def call(_msgs: object, t: Transcript = t) -> str:
            if t.status != "ok":
                raise AuditError(t.error or t.status)
            return t.response

        lj = cl.judge_llm(j.probe, j.transcript.response, call, judge_name=opts.judge_model)
        rules = j.judgement
        assert rules is not None
        if lj.label != "error":
            usable += 1
            agree += lj.label == rules.label
        merged = replace(lj, reasons=(*lj.reasons, f"rules: {rules.label}"))
        out[i] = Judged(
            model=j.model, suite=j.suite, probe=j.probe, transcript=j.transcript, judgement=merged
        )
    sent = outcome.stats.requests if outcome is not None else 0
    note = (
        f"LLM judge {opts.judge_model}: agreed with the rules on {agree} of {usable} usable judgements "
        f"({len(todo) - usable} unusable answers left out of the rates; {sent} requests to the judge, "
        "under their own budget)"
    )
    return out, note


def apply_policy(result: ScanResult, opts: AuditOptions) -> ScanResult:
    """Decisions for the audited model asset under the context and packs (the same engine as ``scan``)."""
    from tierguard.audit.rules import audit_rules
    from tierguard.catalog import load_catalog
    from tierguard.policy.engine import evaluate
    from tierguard.policy.explain import rules_info
    from tierguard.policy.packs import load_packs

    packs = load_packs(list(opts.packs) if opts.packs is not None else None)
    decisions = evaluate(result.assets, result.findings, (), opts.context, packs)
    return result.model_copy(
        update={
            "decisions": tuple(decisions),
            "packs": tuple(PackRef(id=p.id, version=p.version) for p in packs),
            "rules": (*rules_info(packs), *audit_rules({f.rule_id for f in result.findings})),
            "catalog_version": load_catalog().version,
            "stages": ("audit", "policy"),
        }
    )


def load_suites(names_or_paths: Sequence[str]) -> list[Suite]:
    from tierguard.audit.probes import load_suites as load

    return load(names_or_paths)
