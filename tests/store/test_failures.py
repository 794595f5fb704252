"""The store failing: a record broken half-way (an exception, a SIGKILL) leaves no scan; a locked or read-only
SQLite file, a PostgreSQL that is down or goes away, a newer schema: one StoreError line, password masked."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.pg import own_server
from tests.store.conftest import ROOT, Pair
from tests.store.test_store import table_counts
from tierguard.report import json_report
from tierguard.store import StoreError, open_store, rows

TABLES = ("targets", "scans", "assets", "usages", "decisions", "decision_rules", "findings")
EMPTY = dict.fromkeys(TABLES, 0)


def one_line(exc: pytest.ExceptionInfo[StoreError]) -> str:
    msg = str(exc.value)
    assert "\n" not in msg and "Traceback" not in msg and msg.startswith(("store ", "no recorded", "scan "))
    return msg


def test_a_record_that_fails_half_way_leaves_nothing(
    store_url: str, before_after: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    after = before_after[1]
    store = open_store(store_url)
    calls: list[int] = []

    def broken(scan_id: int, result: object) -> list[rows.Row]:
        calls.append(scan_id)  # the scan row and the asset, usage and decision rows are in by now
        raise RuntimeError("disk full while building findings")

    monkeypatch.setattr(rows, "finding_rows", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        store.record(after)
    assert calls  # it did fail half-way, after the earlier tables were inserted
    assert table_counts(store_url) == EMPTY
    assert store.scans().total == 0 and store.assets().total == 0
    monkeypatch.undo()
    ref = store.record(after)  # the store is still usable
    assert store.load(ref.id) == after
    store.close()


KILLED_WRITER = """
import sys, time
from tierguard.report import json_report
from tierguard.store import open_store, rows

result = json_report.load(open(sys.argv[2], "rb").read())
store = open_store(sys.argv[1])

def stalled(scan_id, result):
    print("inserting", scan_id, flush=True)  # scan, asset, usage and decision rows are written by now
    time.sleep(120)

rows.finding_rows = stalled
store.record(result)
"""


def test_a_writer_killed_mid_record_leaves_nothing(
    store_url: str, before_after: Pair, tmp_path: Path
) -> None:
    doc = tmp_path / "result.json"
    doc.write_text(json_report.render(before_after[1]))
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, store_url, str(doc)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("inserting"), proc.stderr.read() if proc.stderr else ""
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 10  # PostgreSQL notices the dead client's socket and aborts its transaction
    while time.monotonic() < deadline and table_counts(store_url) != EMPTY:
        time.sleep(0.1)
    assert table_counts(store_url) == EMPTY
    store = open_store(store_url)
    ref = store.record(before_after[0])
    assert store.resolve("latest") == ref
    store.close()


def test_a_newer_schema_is_refused(store_url: str) -> None:
    open_store(store_url).close()
    engine = create_engine(store_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    with pytest.raises(StoreError) as exc:
        open_store(store_url)
    msg = one_line(exc)
    assert msg.endswith("was written by a newer tierguard (schema rev 0099); upgrade tierguard")


def test_a_locked_sqlite_store_is_a_store_error(tmp_path: Path, before_after: Pair) -> None:
    import sqlite3

    path = tmp_path / "locked.db"
    store = open_store(str(path), timeout=0.3)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holding the write lock past the busy timeout
    try:
        t0 = time.monotonic()
        with pytest.raises(StoreError) as exc:
            store.record(before_after[0])
        waited = time.monotonic() - t0
        assert one_line(exc) == (
            f"store sqlite:///{path}: cannot write: "
            "database is locked by another process (gave up after the busy timeout)"
        )
        assert 0.25 <= waited < 5
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert store.scans().total == 0
    store.record(before_after[0])  # lock released: it works
    assert store.scans().total == 1
    store.close()


READ_ONLY_WRITER = """
import sys
from tierguard.model import ScanResult
from tierguard.store import StoreError, open_store
try:
    store = open_store(sys.argv[1], timeout=0.5)
    print("scans", store.scans().total, flush=True)
    store.record(ScanResult(tool_version="t", catalog_version="c", target="x"))
except StoreError as exc:
    print("StoreError:", exc)
    sys.exit(2)
print("recorded")
"""


@pytest.mark.parametrize("what", ["file", "directory"])
def test_a_read_only_sqlite_store_is_a_store_error(what: str, before_after: Pair) -> None:
    # root ignores file permissions: as root, the writer runs without CAP_DAC_OVERRIDE (setpriv), so the
    # permissions bind it as they bind any user
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root and setpriv (util-linux) is missing: cannot drop CAP_DAC_OVERRIDE")
        prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]
    root = Path(tempfile.mkdtemp(prefix="tgro-"))
    try:
        path = root / "store.db"
        store = open_store(str(path))
        store.record(before_after[0])
        store.close()
        os.chmod(path, 0o444)
        os.chmod(root, 0o555 if what == "directory" else 0o777)
        run = subprocess.run(
            [*prefix, sys.executable, "-c", READ_ONLY_WRITER, str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
        assert run.returncode == 2, run.stdout + run.stderr
        assert "Traceback" not in run.stderr
        last = run.stdout.strip().splitlines()[-1]
        assert last.startswith(f"StoreError: store sqlite:///{path}: ")
        assert "read-only" in last or "cannot open the database file" in last
    finally:
        os.chmod(root, 0o755)
        for p in root.iterdir():
            p.unlink()
        root.rmdir()


def test_a_missing_directory_and_a_bad_url_are_store_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="directory .* does not exist"):
        open_store(str(tmp_path / "nope" / "store.db"))
    with pytest.raises(StoreError, match="unsupported"):
        open_store("mysql://u:hunter2@h/db")
    with pytest.raises(StoreError) as exc:
        open_store("mysql://u:hunter2@h/db")
    assert "hunter2" not in str(exc.value)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="not a SQLite database"):
        open_store(str(garbage))


def test_postgresql_down_is_a_store_error_with_the_password_masked(tmp_path: Path) -> None:
    pytest.importorskip("psycopg")
    with pytest.raises(StoreError) as exc:
        open_store(f"postgresql+psycopg://bob:s3cret@/db?host={tmp_path}&port=5999", timeout=2)
    msg = one_line(exc)
    assert "s3cret" not in msg and "bob:***@" in msg and "cannot open" in msg
    with pytest.raises(StoreError) as exc:
        open_store("postgresql://bob:s3cret@127.0.0.1:1/db", timeout=2)  # nothing listens on port 1
    assert "s3cret" not in one_line(exc)


def test_postgresql_going_away_is_a_store_error(before_after: Pair) -> None:
    with own_server() as server:
        url = server.create_database()
        store = open_store(url, timeout=2)
        ref = store.record(before_after[0])
        server.stop(mode="immediate")
        for call in (store.scans, lambda: store.load(ref.id), lambda: store.record(before_after[0])):
            with pytest.raises(StoreError) as exc:
                call()
            assert one_line(exc).startswith(f"store {store.url}: ")
        store.close()


def test_error_messages_never_show_a_password() -> None:
    from tierguard.store.urls import mask

    said = "connecting to postgresql+psycopg://bob:s3cret@db:5432/x failed"
    assert mask(said) == "connecting to postgresql+psycopg://bob:***@db:5432/x failed"
