"""Real servers for tests and benchmarks: a free port, and a throwaway PostgreSQL.

PostgreSQL comes from the machine's ``initdb``/``pg_ctl`` (run as the ``postgres`` user when we are root, since
PostgreSQL refuses to run as root), on a free port with its socket in a temporary directory, without fsync:
data that dies with the test needs no durability. Redis is in ``tests/redis_server.py``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "PG_OPTIONS",
    "create_database",
    "find_pg_binary",
    "free_port",
    "postgres_server",
    "restart_postgres",
    "scratch_database",
]

#: Server settings of a throwaway PostgreSQL: nothing it holds must survive a crash.
PG_OPTIONS = "-c fsync=off -c synchronous_commit=off"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_pg_binary(name: str) -> str | None:
    """``initdb`` or ``pg_ctl`` on PATH, else in Debian's /usr/lib/postgresql/<version>/bin, else None."""
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    return None


def _system_user(name: str = "postgres") -> str:
    """The user PostgreSQL runs as when we are root (it refuses root): Debian's package makes ``postgres``;
    where only the binaries were installed, a system user of that name is made for it."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
            check=True,
            capture_output=True,
        )
    return name


@contextlib.contextmanager
def postgres_server(extra_options: str = "") -> Iterator[str]:
    """A PostgreSQL on a free port for the block; yields ``postgresql://postgres@127.0.0.1:PORT``.

    LookupError when the binaries are missing (tests skip, benchmarks stop, each saying so).
    """
    initdb, pg_ctl = find_pg_binary("initdb"), find_pg_binary("pg_ctl")
    if not (initdb and pg_ctl):
        raise LookupError("PostgreSQL binaries (initdb, pg_ctl) not found")
    run_as = ["runuser", "-u", _system_user(), "--"] if os.geteuid() == 0 else []
    base = Path(tempfile.mkdtemp(prefix="plaudit-pg-"))
    data, sockets = base / "data", base / "sock"
    sockets.mkdir()
    if run_as:
        shutil.chown(base, "postgres")
        shutil.chown(sockets, "postgres")
    port = free_port()
    subprocess.run(
        [
            *run_as,
            initdb,
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        ],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 {PG_OPTIONS} {extra_options}"
    start = [
        *run_as,
        pg_ctl,
        "-D",
        str(data),
        "-o",
        options,
        "-l",
        str(base / "log"),
        "-w",
        "start",
    ]
    subprocess.run(start, check=True, capture_output=True)
    url = f"postgresql://postgres@127.0.0.1:{port}"
    _running[url] = ([*run_as, pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], start)
    try:
        yield url
    finally:
        _running.pop(url, None)
        subprocess.run(
            [*run_as, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(base, ignore_errors=True)


#: Server URL -> (stop, start) commands of the servers ``postgres_server`` runs now.
_running: dict[str, tuple[list[str], list[str]]] = {}


def restart_postgres(server: str, down_seconds: float) -> None:
    """A fast stop (every connection dropped) of the server ``postgres_server`` yielded, ``down_seconds`` of
    nothing, and a start on the same port: what a PostgreSQL upgrade or failover looks like to clients."""
    stop, start = _running[server]
    subprocess.run(stop, check=True, capture_output=True)
    time.sleep(down_seconds)
    subprocess.run(start, check=True, capture_output=True)


def create_database(server: str, prefix: str = "t") -> str:
    """A new empty database on the server ``postgresql://user@host:port``; its URL."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


@contextlib.contextmanager
def scratch_database(postgres: bool) -> Iterator[str]:
    """A throwaway database for a benchmark: a SQLite file in a temporary folder, or a new database on a
    PostgreSQL started for it (and stopped after)."""
    if not postgres:
        yield f"sqlite:///{tempfile.mkdtemp(prefix='plaudit-bench-')}/bench.sqlite"
        return
    with postgres_server() as server:
        yield create_database(server, "bench")
