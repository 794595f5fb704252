"""The response cache that makes audit runs resumable: one SQLite file under ``--cache-dir``.

A response is stored under the SHA-256 of (endpoint without credentials, model, suite, probe id, the exact
messages sent, the sampling settings): change any of them and the probe is sent again. Only answered probes
(transcript status ``ok``) are stored, so a re-run sends exactly the probes that failed or were not reached.
The API key is never part of the key or the value. A row is read back only as a :class:`Transcript`
(bounded size, typed decode); a cache file that cannot be read is a clear error, never a silent miss.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import msgspec

from tierguard.audit.client import Job
from tierguard.audit.errors import AuditError
from tierguard.audit.interface import Sampling, Transcript

CACHE_FILE = "responses.sqlite"
MAX_ROW_BYTES = 4_000_000
_SCHEMA = 1


def cache_key(
    endpoint: str,
    model: str,
    suite: str,
    probe_id: str,
    messages: tuple[dict[str, str], ...],
    sampling: Sampling,
) -> str:
    doc = [_SCHEMA, endpoint, model, suite, probe_id, list(messages), msgspec.to_builtins(sampling)]
    return hashlib.sha256(msgspec.json.encode(doc)).hexdigest()


class ResponseCache:
    """``get``/``put`` for one endpoint and model (the :class:`~tierguard.audit.client.ChatClient` hooks).
    Used from one thread (the client's event loop)."""

    def __init__(self, directory: Path, endpoint: str, model: str, sampling: Sampling) -> None:
        self.path = directory / CACHE_FILE
        self.endpoint = endpoint
        self.model = model
        self.sampling = sampling
        self.hits = 0
        self.stored = 0
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, suite TEXT NOT NULL, "
                "probe TEXT NOT NULL, transcript BLOB NOT NULL)"
            )
        except (OSError, sqlite3.Error) as exc:
            raise AuditError(f"cache {self.path}: cannot open ({exc})") from None

    def key(self, job: Job, messages: tuple[dict[str, str], ...]) -> str:
        return cache_key(self.endpoint, self.model, job.suite, job.probe.id, messages, self.sampling)

    def get(self, job: Job, messages: tuple[dict[str, str], ...]) -> Transcript | None:
        try:
            row = self._db.execute(
                "SELECT transcript FROM responses WHERE key = ? AND length(transcript) <= ?",
                (self.key(job, messages), MAX_ROW_BYTES),
            ).fetchone()
        except sqlite3.Error as exc:
            raise AuditError(f"cache {self.path}: unreadable ({exc})") from None
        if row is None:
            return None
        try:
            t = msgspec.json.decode(row[0], type=Transcript)
        except msgspec.MsgspecError:
            return None  # a row this version cannot read: ask again (it is overwritten on success)
        if t.status != "ok" or t.probe_id != job.probe.id or t.model != self.model:
            return None
        self.hits += 1
        return msgspec.structs.replace(t, cached=True)

    def put(self, job: Job, transcript: Transcript) -> None:
        if transcript.status != "ok":
            return
        blob = msgspec.json.encode(msgspec.structs.replace(transcript, cached=False))
        try:
            self._db.execute(
                "INSERT OR REPLACE INTO responses (key, suite, probe, transcript) VALUES (?, ?, ?, ?)",
                (self.key(job, transcript.messages), job.suite, job.probe.id, blob),
            )
        except sqlite3.Error as exc:
            raise AuditError(f"cache {self.path}: cannot write ({exc})") from None
        self.stored += 1

    def close(self) -> None:
        self._db.close()
