"""A throwaway PostgreSQL server for tests, from Debian's binaries (``/usr/lib/postgresql/*/bin``).

``PgServer.start()`` runs ``initdb`` (trust auth, no fsync) in a fresh directory under /tmp and
``pg_ctl start`` listening on a unix socket in that directory only (no TCP port, so servers of parallel
runs never collide).
``initdb`` refuses to run as root: as root the server runs as the ``postgres`` user (``nobody`` when there is
none) with the directory chown'd to it. Use from other tests::

    from tests.pg import pg_server, pg_url  # noqa: F401  (pytest fixtures)

``pg_server`` is session-scoped (one server per test run, stopped at the end); ``pg_url`` gives each test a
fresh database and its ``postgresql+psycopg://`` URL. Both skip, with the reason, when the binaries are
missing or the server cannot start.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PORT = 5432  # only names the socket file (.s.PGSQL.5432) in the server's private directory


def find_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` holding initdb and pg_ctl, else the PATH's."""

    def version(p: Path) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", p.parent.name))

    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    for d in found:
        if (d / "initdb").is_file() and (d / "pg_ctl").is_file():
            return d
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(os.path.realpath(initdb)).parent
    return None


class PgServerError(RuntimeError):
    pass


class PgServer:
    """One PostgreSQL server in its own directory (data and socket)."""

    def __init__(self, bindir: Path, *, durable: bool = False) -> None:
        self.bindir = bindir
        self.durable = durable  # False: fsync off (tests); True: PostgreSQL's defaults (benchmarks)
        self.root = Path(tempfile.mkdtemp(prefix="tgpg-", dir="/tmp"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.uid: int | None = None
        self.gid: int | None = None
        self.running = False
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                pw = pwd.getpwnam("nobody")
            self.uid, self.gid = pw.pw_uid, pw.pw_gid
            os.chown(self.root, self.uid, self.gid)
        os.chmod(self.root, 0o700)

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, object] = {}
        if self.uid is not None:
            kwargs = {"user": self.uid, "group": self.gid, "extra_groups": []}
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "HOME": str(self.root)}
        return subprocess.run(  # type: ignore[call-overload, no-any-return]
            [str(self.bindir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=self.root,
            **kwargs,
        )

    def start(self) -> None:
        init = self._run(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "-N"
        )
        if init.returncode != 0:
            raise PgServerError(f"initdb failed: {(init.stderr or init.stdout).strip()[-400:]}")
        opts = f"-k {self.root} -c listen_addresses='' -p {PORT}"
        if not self.durable:
            opts += " -c fsync=off -c full_page_writes=off"
        started = self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", opts, "start"
        )
        if started.returncode != 0:
            tail = self.log.read_text(errors="replace")[-400:] if self.log.exists() else started.stderr
            raise PgServerError(f"pg_ctl start failed: {tail.strip()}")
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        if self.running:
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
            self.running = False

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, db: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@/{db}?host={self.root}&port={PORT}"

    def create_database(self) -> str:
        """A new empty database; its URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(host=str(self.root), port=PORT, user="postgres", dbname="postgres") as conn:
            conn.autocommit = True
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def start_server() -> PgServer:
    """A running server, or ``pytest.skip`` with the reason it cannot run here."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install 'tierguard[postgres]')")
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql")
    server = PgServer(bindir)
    try:
        server.start()
    except (PgServerError, OSError, subprocess.SubprocessError) as exc:
        server.cleanup()
        pytest.skip(f"PostgreSQL could not start here: {exc}")
    return server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    server = start_server()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    return pg_server.create_database()


@contextlib.contextmanager
def own_server() -> Iterator[PgServer]:
    """A server of one's own (to stop it under a connected store); removed after."""
    server = start_server()
    try:
        yield server
    finally:
        server.cleanup()
