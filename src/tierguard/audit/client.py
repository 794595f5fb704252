"""An OpenAI-compatible chat client for audits: ``POST {base}/v1/chat/completions`` for every probe.

Bounded in every direction: ``concurrency`` requests in flight (a fixed pool of workers), ``retries`` more
attempts on 429, 408, 5xx, timeouts and connection errors with exponential backoff and full jitter
(``Retry-After`` honoured up to ``backoff_max``), a per-request ``timeout`` that covers the whole exchange
(a server that trickles bytes forever is cut off), a total ``deadline``, at most ``max_response_bytes`` read
per response, a request budget (HTTP attempts) and a token budget. When the run stops early (budget,
deadline, too many failures in a row) every probe not answered is returned with status ``incomplete`` and
the reason, so partial results are kept and marked.

The API key comes from the environment variable the caller names; it is sent as a bearer token and never
logged, cached or written into a transcript or an error message. Responses are parsed as JSON data only;
nothing in them is executed or rendered.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import msgspec

from tierguard.audit.errors import AuditError
from tierguard.audit.interface import Probe, Sampling, Transcript

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
MAX_ERROR_CHARS = 300


@dataclass(frozen=True, slots=True)
class Limits:
    concurrency: int = 4
    timeout: float = 120.0  # seconds for one HTTP exchange, connect to last byte
    deadline: float | None = None  # seconds for the whole run
    retries: int = 3  # attempts after the first
    backoff: float = 0.5  # first backoff (seconds); doubles per attempt, full jitter
    backoff_max: float = 30.0  # cap of one wait, Retry-After included
    max_response_bytes: int = 2_000_000
    max_requests: int | None = None  # HTTP attempts, retries included
    max_tokens_total: int | None = None  # prompt + completion tokens the endpoint reports
    max_text_chars: int = 16_000  # assistant text kept per transcript
    fail_fast: int = 8  # consecutive failed probes that stop the run (an endpoint that is down)

    def __post_init__(self) -> None:
        if self.concurrency < 1 or self.concurrency > 256:
            raise AuditError(f"--concurrency must be 1..256, not {self.concurrency}")
        if self.timeout <= 0:
            raise AuditError("--timeout must be positive")
        for name in ("max_requests", "max_tokens_total"):
            v = getattr(self, name)
            if v is not None and v < 0:
                raise AuditError(f"--{name.replace('_', '-')} must not be negative")


@dataclass(frozen=True, slots=True)
class Job:
    """One probe to send: the suite it belongs to, the probe, and the model/endpoint it goes to."""

    suite: str
    probe: Probe


@dataclass(slots=True)
class RunStats:
    requests: int = 0  # HTTP attempts made
    retries: int = 0
    cached: int = 0
    ok: int = 0
    errors: int = 0
    incomplete: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    peak_in_flight: int = 0
    elapsed_ms: int = 0
    stopped: str = ""  # why the run stopped early ("" when every probe was attempted)
    served_models: dict[str, int] = field(default_factory=dict)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True)
class Outcome:
    transcripts: tuple[Transcript, ...]
    stats: RunStats

    @property
    def complete(self) -> bool:
        return not self.stats.stopped and all(t.status == "ok" for t in self.transcripts)


class _Usage(msgspec.Struct):
    prompt_tokens: int = 0
    completion_tokens: int = 0


class _Message(msgspec.Struct):
    content: str | None = None


class _Choice(msgspec.Struct):
    message: _Message | None = None
    finish_reason: str | None = None


class _Completion(msgspec.Struct):
    choices: list[_Choice]
    model: str | None = None
    usage: _Usage | None = None


_DECODER = msgspec.json.Decoder(_Completion)


def chat_url(endpoint: str) -> str:
    """``{endpoint}/v1/chat/completions`` for a base URL with or without ``/v1`` (a full
    ``.../chat/completions`` URL is kept). Only http(s) URLs with a host and without credentials (a URL is
    echoed in shells, logs and reports; the key belongs in an environment variable)."""
    parts = urlsplit(endpoint.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AuditError(f"--endpoint must be an http(s) URL with a host, not {public_endpoint(endpoint)!r}")
    if parts.username is not None or parts.password is not None:
        raise AuditError(
            "--endpoint must not carry credentials: put the API key in the environment variable named by "
            "--api-key-env"
        )
    path = parts.path.rstrip("/")
    if not path.endswith("/chat/completions"):
        path = (path if path.endswith("/v1") else path + "/v1") + "/chat/completions"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def public_endpoint(endpoint: str) -> str:
    """The endpoint without credentials, query or fragment (what transcripts, caches and reports show)."""
    try:
        parts = urlsplit(endpoint.strip())
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "(invalid URL)"
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def messages_for(probe: Probe) -> tuple[dict[str, str], ...]:
    msgs: list[dict[str, str]] = []
    if probe.system:
        msgs.append({"role": "system", "content": probe.system})
    msgs.append({"role": "user", "content": probe.prompt})
    return tuple(msgs)


def retry_after(value: str | None, cap: float) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date), capped; None if absent or
    unreadable."""
    if not value:
        return None
    value = value.strip()[:64]
    try:
        secs = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        secs = when.timestamp() - time.time()
    if math.isnan(secs):
        return None
    return min(max(secs, 0.0), cap)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."


def _estimate_tokens(text: str) -> int:
    """A server that reports no usage still spends tokens: ~4 characters per token."""
    return (len(text) + 3) // 4


class _Attempt(msgspec.Struct, frozen=True):
    """The outcome of one HTTP attempt. ``retry``: worth another attempt; ``wait``: Retry-After."""

    transcript_fields: dict[str, Any]
    retry: bool = False
    wait: float | None = None


DEFAULT_SAMPLING = Sampling()
DEFAULT_LIMITS = Limits()
CacheGet = Callable[[Job, tuple[dict[str, str], ...]], Transcript | None]
CachePut = Callable[[Job, Transcript], None]


class ChatClient:
    """Sends jobs to one endpoint and model. ``run`` is synchronous (it runs its own event loop)."""

    def __init__(
        self,
        endpoint: str,
        model: str,
        *,
        sampling: Sampling = DEFAULT_SAMPLING,
        limits: Limits = DEFAULT_LIMITS,
        api_key_env: str | None = "OPENAI_API_KEY",
        cache_get: CacheGet | None = None,
        cache_put: CachePut | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = chat_url(endpoint)
        self.endpoint = public_endpoint(endpoint)
        self.model = model
        self.sampling = sampling
        self.limits = limits
        key = os.environ.get(api_key_env, "") if api_key_env else ""
        self._headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._cache_get = cache_get
        self._cache_put = cache_put
        self._transport = transport

    def run(self, jobs: Sequence[Job]) -> Outcome:
        return asyncio.run(self.run_async(jobs))

    async def run_async(self, jobs: Sequence[Job]) -> Outcome:
        stats = RunStats()
        results: list[Transcript | None] = [None] * len(jobs)
        started = time.monotonic()
        state = _State(stats, started + self.limits.deadline if self.limits.deadline else None)
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(len(jobs)):
            queue.put_nowait(i)
        timeout = httpx.Timeout(self.limits.timeout)
        limits = httpx.Limits(max_connections=self.limits.concurrency)
        async with httpx.AsyncClient(
            timeout=timeout, limits=limits, transport=self._transport, headers=self._headers
        ) as http:
            workers = [
                asyncio.create_task(self._worker(http, jobs, queue, results, state))
                for _ in range(min(self.limits.concurrency, max(len(jobs), 1)))
            ]
            try:
                await self._wait(workers, state)
            finally:
                for w in workers:
                    w.cancel()
                await asyncio.gather(*workers, return_exceptions=True)
        out: list[Transcript] = []
        for i, t in enumerate(results):
            if t is None:
                t = self._transcript(jobs[i], status="incomplete", error=state.stats.stopped or "not sent")
                stats.incomplete += 1
            out.append(t)
        stats.elapsed_ms = int((time.monotonic() - started) * 1000)
        return Outcome(tuple(out), stats)

    async def _wait(self, workers: list[asyncio.Task[None]], state: _State) -> None:
        remaining = None if state.deadline is None else max(state.deadline - time.monotonic(), 0.0)
        done, pending = await asyncio.wait(workers, timeout=remaining)
        for task in done:
            exc = task.exception()
            if exc is not None:
                raise exc
        if pending:
            state.stop(f"deadline of {self.limits.deadline:g} s reached")

    async def _worker(
        self,
        http: httpx.AsyncClient,
        jobs: Sequence[Job],
        queue: asyncio.Queue[int],
        results: list[Transcript | None],
        state: _State,
    ) -> None:
        while not state.stats.stopped:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            job = jobs[i]
            msgs = messages_for(job.probe)
            if self._cache_get is not None:
                hit = self._cache_get(job, msgs)
                if hit is not None:
                    results[i] = hit
                    state.stats.cached += 1
                    continue
            stop = self._budget_gap(state)
            if stop:
                state.stop(stop)
                return
            state.in_flight += 1
            state.stats.peak_in_flight = max(state.stats.peak_in_flight, state.in_flight)
            try:
                t = await self._send(http, job, msgs, state)
            finally:
                state.in_flight -= 1
            results[i] = t
            self._account(t, state)
            if t.status == "ok" and self._cache_put is not None:
                self._cache_put(job, t)

    def _budget_gap(self, state: _State) -> str:
        lim, st = self.limits, state.stats
        if lim.max_requests is not None and st.requests >= lim.max_requests:
            return f"request budget of {lim.max_requests} reached"
        if lim.max_tokens_total is not None and st.tokens >= lim.max_tokens_total:
            return f"token budget of {lim.max_tokens_total} reached ({st.tokens} used)"
        if state.deadline is not None and time.monotonic() >= state.deadline:
            return f"deadline of {lim.deadline:g} s reached"
        return ""

    def _account(self, t: Transcript, state: _State) -> None:
        st = state.stats
        st.prompt_tokens += t.prompt_tokens
        st.completion_tokens += t.completion_tokens
        if t.served_model:
            st.served_models[t.served_model] = st.served_models.get(t.served_model, 0) + 1
        if t.status == "ok":
            st.ok += 1
            state.failures_in_a_row = 0
        elif t.status == "incomplete":
            st.incomplete += 1
        else:
            st.errors += 1
            state.failures_in_a_row += 1
            if state.failures_in_a_row >= self.limits.fail_fast:
                state.stop(f"{state.failures_in_a_row} probes failed in a row (last: {t.error})")

    async def _send(
        self, http: httpx.AsyncClient, job: Job, msgs: tuple[dict[str, str], ...], state: _State
    ) -> Transcript:
        s = self.sampling
        body = {
            "model": self.model,
            "messages": list(msgs),
            "temperature": s.temperature,
            "top_p": s.top_p,
            "max_tokens": s.max_tokens,
            "seed": s.seed,
            "stream": False,
        }
        payload = msgspec.json.encode(body)
        attempt = 0
        while True:
            gap = self._budget_gap(state)
            if gap and attempt > 0:
                return self._transcript(job, status="incomplete", error=gap, messages=msgs)
            state.stats.requests += 1
            t0 = time.monotonic()
            res = await self._attempt(http, payload, state)
            fields = {**res.transcript_fields, "latency_ms": int((time.monotonic() - t0) * 1000)}
            if not res.retry or attempt >= self.limits.retries:
                if res.retry:
                    fields["error"] = f"{fields.get('error', '')} (after {attempt + 1} attempts)"
                return self._transcript(job, messages=msgs, **fields)
            wait = res.wait
            if wait is None:
                wait = random.uniform(0, min(self.limits.backoff * 2**attempt, self.limits.backoff_max))
            if state.deadline is not None and time.monotonic() + wait >= state.deadline:
                fields["error"] = f"{fields.get('error', '')} (no time left to retry before the deadline)"
                return self._transcript(job, messages=msgs, **fields)
            attempt += 1
            state.stats.retries += 1
            await asyncio.sleep(wait)

    async def _attempt(self, http: httpx.AsyncClient, payload: bytes, state: _State) -> _Attempt:
        limit = self.limits.timeout
        if state.deadline is not None:
            limit = max(min(limit, state.deadline - time.monotonic()), 0.001)
        try:
            async with asyncio.timeout(limit):
                return await self._exchange(http, payload)
        except TimeoutError:
            return _Attempt({"status": "error", "error": f"timed out after {limit:.3g} s"}, retry=True)
        except httpx.TimeoutException:
            return _Attempt({"status": "error", "error": "timed out (HTTP timeout)"}, retry=True)
        except httpx.HTTPError as exc:
            why = _short(f"{type(exc).__name__}: {exc}")
            return _Attempt({"status": "error", "error": f"transport error: {why}"}, retry=True)

    async def _exchange(self, http: httpx.AsyncClient, payload: bytes) -> _Attempt:
        cap = self.limits.max_response_bytes
        # identity encoding: what is counted against ``cap`` is what is parsed (no decompression bomb)
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Accept-Encoding": "identity",
        }
        async with http.stream("POST", self.url, content=payload, headers=headers) as resp:
            declared = resp.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > cap:
                why = f"response of {declared} bytes over {cap} (cut)"
                return _Attempt({"status": "error", "error": why})
            buf = bytearray()
            async for chunk in resp.aiter_bytes():
                buf += chunk
                if len(buf) > cap:
                    return _Attempt({"status": "error", "error": f"response over {cap} bytes (cut)"})
            status = resp.status_code
            wait = retry_after(resp.headers.get("retry-after"), self.limits.backoff_max)
        if status in RETRY_STATUS or status >= 500:
            why = f"HTTP {status}: {_short(bytes(buf[:400]).decode('utf-8', 'replace'))}"
            return _Attempt({"status": "error", "error": why}, retry=True, wait=wait)
        if status >= 400:
            hint = " (check --api-key-env)" if status in (401, 403) else ""
            why = f"HTTP {status}{hint}: {_short(bytes(buf[:400]).decode('utf-8', 'replace'))}"
            return _Attempt({"status": "error", "error": why})
        return _Attempt(self._parse(bytes(buf)))

    def _parse(self, raw: bytes) -> dict[str, Any]:
        try:
            doc = _DECODER.decode(raw)
        except msgspec.DecodeError as exc:
            return {"status": "error", "error": f"malformed response: {_short(str(exc))}"}
        if not doc.choices or doc.choices[0].message is None:
            why = "malformed response: no choices[0].message"
            return {"status": "error", "error": why, "served_model": doc.model[:200] if doc.model else None}
        choice = doc.choices[0]
        text = (choice.message.content if choice.message else None) or ""
        limit = self.limits.max_text_chars
        # an empty answer is behaviour (a silent refusal, a filter), not a transport failure: judged
        fields: dict[str, Any] = {
            "status": "ok",
            "error": "" if text.strip() else "empty response",
            "served_model": doc.model[:200] if doc.model else None,
            "response": text[:limit],
            "finish_reason": choice.finish_reason,
        }
        if len(text) > limit:
            fields["error"] = f"response text cut at {limit} characters"
        usage = doc.usage
        if usage is not None and (usage.prompt_tokens or usage.completion_tokens):
            fields["prompt_tokens"] = max(usage.prompt_tokens, 0)
            fields["completion_tokens"] = max(usage.completion_tokens, 0)
        else:
            fields["completion_tokens"] = _estimate_tokens(text)
        return fields

    def _transcript(
        self, job: Job, *, messages: tuple[dict[str, str], ...] | None = None, **fields: Any
    ) -> Transcript:
        return Transcript(
            suite=job.suite,
            probe_id=job.probe.id,
            endpoint=self.endpoint,
            model=self.model,
            messages=messages if messages is not None else messages_for(job.probe),
            sampling=self.sampling,
            **fields,
        )


@dataclass(slots=True)
class _State:
    stats: RunStats
    deadline: float | None
    in_flight: int = 0
    failures_in_a_row: int = 0

    def stop(self, why: str) -> None:
        if not self.stats.stopped:
            self.stats.stopped = why
