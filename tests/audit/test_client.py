"""The audit client against real HTTP servers on loopback: answers, retries, timeouts, budgets, bad bodies.

Failure paths first: an endpoint that is down, hangs, fails forever, streams forever or sends garbage must
end in bounded time with a clear per-probe error and the rest of the run marked incomplete."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.audit.conftest import Scripted, completion, free_port
from tierguard.audit.client import ChatClient, Job, Limits, chat_url, public_endpoint, retry_after
from tierguard.audit.errors import AuditError
from tierguard.audit.interface import Probe, Sampling

FAST = dict(backoff=0.01, backoff_max=0.05)


def jobs(n: int, suite: str = "s") -> list[Job]:
    return [
        Job(suite, Probe(id=f"p{i}", category="identity", lang="en", topic="identity", prompt=f"who {i}?"))
        for i in range(n)
    ]


def client(url: str, model: str = "m", **limits: Any) -> ChatClient:
    return ChatClient(url, model, limits=Limits(**{**FAST, **limits}), api_key_env=None)


# ---------------------------------------------------------------------------------------------- failures


def test_down_endpoint_fails_fast_with_a_clear_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens
    t0 = time.monotonic()
    out = client(url, retries=2, fail_fast=3, concurrency=1).run(jobs(20))
    assert time.monotonic() - t0 < 10
    errors = [t for t in out.transcripts if t.status == "error"]
    assert len(errors) == 3
    assert all("transport error: ConnectError" in t.error and "after 3 attempts" in t.error for t in errors)
    assert out.stats.stopped.startswith("3 probes failed in a row")
    rest = [t for t in out.transcripts if t.status == "incomplete"]
    assert len(rest) == 17 and all(t.error == out.stats.stopped for t in rest)
    assert not out.complete


def test_500_forever_is_retried_a_bounded_number_of_times(scripted: Scripted) -> None:
    scripted.behaviour = lambda n, body: (500, {}, b'{"error": "boom"}')
    out = client(scripted.url, retries=2, fail_fast=100).run(jobs(2))
    assert scripted.counter.requests == 6  # 2 probes x (1 + 2 retries)
    assert out.stats.retries == 4
    for t in out.transcripts:
        assert t.status == "error" and t.error.startswith("HTTP 500") and "after 3 attempts" in t.error


def test_429_then_ok_is_retried_and_retry_after_honoured(scripted: Scripted) -> None:
    def limited(n: int, body: dict[str, Any]) -> Any:
        if n <= 2:
            return 429, {"Retry-After": "0.3"}, b'{"error": "slow down"}'
        return 200, {}, completion("fine", body["model"])

    scripted.behaviour = limited
    t0 = time.monotonic()
    out = client(scripted.url, retries=3, concurrency=1, backoff_max=1.0).run(jobs(1))
    assert time.monotonic() - t0 >= 0.55  # two waits of Retry-After 0.3 s
    (t,) = out.transcripts
    assert t.status == "ok" and t.response == "fine"
    assert scripted.counter.requests == 3 and out.stats.retries == 2


def test_retry_after_is_capped() -> None:
    assert retry_after("3600", 2.0) == 2.0
    assert retry_after("1.5", 30.0) == 1.5
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 5.0) == 0.0  # in the past
    assert retry_after("soon", 5.0) is None and retry_after(None, 5.0) is None


def test_slow_endpoint_times_out(scripted: Scripted) -> None:
    scripted.delay = 5.0
    t0 = time.monotonic()
    out = client(scripted.url, timeout=0.3, retries=1).run(jobs(1))
    assert time.monotonic() - t0 < 4  # two attempts of 0.3 s, not the server's 5 s
    (t,) = out.transcripts
    assert t.status == "error" and "timed out" in t.error and "after 2 attempts" in t.error


def test_malformed_json_is_an_error_transcript(scripted: Scripted) -> None:
    scripted.behaviour = lambda n, body: (200, {}, b'{"choices": [{"message": {"content": "x"}}')
    (t,) = client(scripted.url).run(jobs(1)).transcripts
    assert t.status == "error" and t.error.startswith("malformed response")
    scripted.behaviour = lambda n, body: (200, {}, b'{"choices": []}')
    (t,) = client(scripted.url).run(jobs(1)).transcripts
    assert t.status == "error" and "no choices[0].message" in t.error


def _forever(handler: Any) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.wfile.write(b'{"choices": [{"message": {"content": "')
    end = time.monotonic() + 60
    while time.monotonic() < end:
        handler.wfile.write(b"a" * 8192)
        handler.wfile.flush()


def test_endless_stream_is_cut_at_the_size_bound(scripted: Scripted) -> None:
    scripted.behaviour = lambda n, body: (200, {}, _forever)
    t0 = time.monotonic()
    (t,) = client(scripted.url, max_response_bytes=200_000, timeout=20).run(jobs(1)).transcripts
    assert time.monotonic() - t0 < 10
    assert t.status == "error" and "over 200000 bytes (cut)" in t.error


def _trickle(handler: Any) -> None:
    handler.send_response(200)
    handler.send_header("Connection", "close")
    handler.end_headers()
    end = time.monotonic() + 30
    while time.monotonic() < end:
        handler.wfile.write(b" ")
        handler.wfile.flush()
        time.sleep(0.05)


def test_trickling_stream_is_cut_by_the_request_timeout(scripted: Scripted) -> None:
    scripted.behaviour = lambda n, body: (200, {}, _trickle)
    t0 = time.monotonic()
    (t,) = client(scripted.url, timeout=1.0, retries=0).run(jobs(1)).transcripts
    # every byte arrives within the read timeout: only the bound on the whole exchange ends it
    assert time.monotonic() - t0 < 5
    assert t.status == "error" and "timed out after 1 s" in t.error


def test_declared_oversized_body_is_not_read(scripted: Scripted) -> None:
    scripted.behaviour = lambda n, body: (200, {"Content-Length": str(50_000_000)}, b"{}")
    (t,) = client(scripted.url, max_response_bytes=1_000_000, retries=0).run(jobs(1)).transcripts
    assert t.status == "error" and "50000000 bytes over 1000000 (cut)" in t.error


def test_lying_endpoint_served_model_is_recorded(scripted: Scripted) -> None:
    scripted.behaviour = lambda n, body: (200, {}, completion("I am GPT-4", "deepseek-reasoner"))
    out = client(scripted.url, model="gpt-4o").run(jobs(2))
    assert {t.served_model for t in out.transcripts} == {"deepseek-reasoner"}
    assert out.stats.served_models == {"deepseek-reasoner": 2}


def test_other_4xx_is_not_retried_and_hints_at_the_key(scripted: Scripted) -> None:
    scripted.behaviour = lambda n, body: (401, {}, b'{"error": "bad key"}')
    (t,) = client(scripted.url, retries=3).run(jobs(1)).transcripts
    assert scripted.counter.requests == 1
    assert t.status == "error" and t.error.startswith("HTTP 401 (check --api-key-env)")


@pytest.mark.parametrize("url", ["ftp://x/v1", "localhost:8000", "http:///v1", ""])
def test_bad_endpoint_url_is_a_clear_error(url: str) -> None:
    with pytest.raises(AuditError, match="--endpoint must be an http"):
        ChatClient(url, "m")


def test_bad_limits_are_clear_errors() -> None:
    with pytest.raises(AuditError, match="--concurrency"):
        Limits(concurrency=0)
    with pytest.raises(AuditError, match="--max-requests"):
        Limits(max_requests=-1)


# ---------------------------------------------------------------------------------------------- budgets


def test_request_budget_stops_the_run_and_marks_the_rest_incomplete(scripted: Scripted) -> None:
    out = client(scripted.url, max_requests=3, concurrency=1).run(jobs(10))
    assert scripted.counter.requests == 3
    assert [t.status for t in out.transcripts] == ["ok"] * 3 + ["incomplete"] * 7
    assert out.stats.stopped == "request budget of 3 reached" and not out.complete


def test_token_budget_stops_the_run(scripted: Scripted) -> None:
    out = client(scripted.url, max_tokens_total=30, concurrency=1).run(jobs(10))  # 12 tokens per answer
    assert scripted.counter.requests == 3 and out.stats.tokens == 36
    assert out.stats.stopped.startswith("token budget of 30 reached")
    assert sum(t.status == "incomplete" for t in out.transcripts) == 7


def test_deadline_stops_the_run_and_keeps_partial_results(scripted: Scripted) -> None:
    scripted.delay = 0.4
    t0 = time.monotonic()
    out = client(scripted.url, deadline=1.0, concurrency=1).run(jobs(10))
    assert time.monotonic() - t0 < 4  # 1 s deadline, plus start-up and cancellation on a loaded machine
    ok = [t for t in out.transcripts if t.status == "ok"]
    assert len(ok) <= 3
    assert all(t.status == "incomplete" for t in out.transcripts[len(ok) :])
    assert "deadline of 1 s reached" in out.stats.stopped


# ---------------------------------------------------------------------------------------------- normal


def test_answers_with_recorded_sampling_and_bounded_concurrency(scripted: Scripted) -> None:
    scripted.delay = 0.2
    sampling = Sampling(temperature=0.0, top_p=1.0, max_tokens=64, seed=7)
    c = ChatClient(scripted.url + "/v1/", "m1", sampling=sampling, limits=Limits(concurrency=3))
    out = c.run(jobs(12))
    assert [t.response for t in out.transcripts] == [f"answer to: who {i}?" for i in range(12)]
    assert scripted.counter.peak == 3 and out.stats.peak_in_flight == 3
    body = scripted.counter.bodies[0]
    assert (body["temperature"], body["top_p"], body["max_tokens"], body["seed"]) == (0.0, 1.0, 64, 7)
    assert body["stream"] is False and body["model"] == "m1"
    t = out.transcripts[0]
    assert t.sampling == sampling and t.served_model == "m1" and t.prompt_tokens == 7
    assert t.endpoint == scripted.url + "/v1" and out.complete


def test_api_key_is_sent_from_the_named_variable_and_never_recorded(
    scripted: Scripted, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDIT_TEST_KEY", "sk-secret-123")
    out = ChatClient(scripted.url, "m", api_key_env="AUDIT_TEST_KEY").run(jobs(1))
    assert scripted.counter.auth == ["Bearer sk-secret-123"]
    assert "sk-secret-123" not in json.dumps([t.endpoint for t in out.transcripts]) + repr(out)
    monkeypatch.delenv("AUDIT_TEST_KEY")
    ChatClient(scripted.url, "m", api_key_env="AUDIT_TEST_KEY").run(jobs(1))
    assert scripted.counter.auth[-1] is None  # no key: no Authorization header (local servers need none)
    with pytest.raises(AuditError, match="must not carry credentials") as err:
        ChatClient(scripted.url.replace("//", "//user:pw@"), "m")
    assert "pw" not in str(err.value)


def test_urls() -> None:
    assert chat_url("http://h:1") == "http://h:1/v1/chat/completions"
    assert chat_url("http://h:1/v1/") == "http://h:1/v1/chat/completions"
    assert chat_url("https://h/openai/v1") == "https://h/openai/v1/chat/completions"
    assert chat_url("http://h/v1/chat/completions") == "http://h/v1/chat/completions"
    assert public_endpoint("https://u:secret@h:8443/v1?key=k") == "https://h:8443/v1"
