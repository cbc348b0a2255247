"""A real TimescaleDB engine for tests: TimescaleDB 2.23 in PGlite (PostgreSQL 17), served over the wire.

``deploy/timescale-test`` pins the npm packages; ``npm ci`` runs once per session. Each server is in memory, so
every start is an empty database. PGlite cannot COPY over this server and shares one backend between clients,
so connections to it use no server-side prepared statements and the sink uses its ``plain`` mode. A server that
cannot start fails the test; nothing is skipped.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from streams.db import migrate
from tests.conftest import REPO, free_port

ENGINE_DIR = REPO / "deploy" / "timescale-test"
START_TIMEOUT = 120.0


@dataclass
class TimescaleServer:
    """One running engine."""

    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        """The URL of its only database (the throwaway test login of the engine)."""
        return f"postgresql://postgres:postgres@127.0.0.1:{self.port}/postgres?sslmode=disable"

    def connect(self) -> psycopg.Connection[tuple[object, ...]]:
        """A connection without server-side prepared statements."""
        return psycopg.connect(self.url, autocommit=True, prepare_threshold=None, connect_timeout=10)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def install_engine() -> None:
    """Install the pinned npm packages once (``npm ci``); fail with npm's output if that is impossible."""
    if (ENGINE_DIR / "node_modules" / "@unni-craftsman" / "pglite").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is not installed: the TimescaleDB test engine needs node and npm")
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"], cwd=ENGINE_DIR, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        pytest.fail(f"npm ci failed in {ENGINE_DIR}:\n{done.stdout}\n{done.stderr}")


def start_engine(log: Path) -> TimescaleServer:
    """Start one engine on a free port and wait until it answers queries."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: the TimescaleDB test engine needs it")
    port = free_port()
    out = log.open("ab")
    proc = subprocess.Popen([node, "server.mjs", str(port)], cwd=ENGINE_DIR, stdout=out, stderr=subprocess.STDOUT)
    server = TimescaleServer(proc, port, log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the TimescaleDB engine exited with {proc.returncode}:\n{log.read_text()}")
        if "listening" in log.read_text():
            try:
                with server.connect() as conn:
                    conn.execute("SELECT 1")
                return server
            except psycopg.OperationalError:
                pass
        time.sleep(0.3)
    server.stop()
    pytest.fail(f"the TimescaleDB engine did not answer in {START_TIMEOUT:.0f} s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def timescale_installed() -> None:
    """The engine's npm packages, installed once per session."""
    install_engine()


@pytest.fixture
def timescale(timescale_installed: None, tmp_path: Path) -> Iterator[TimescaleServer]:
    """A fresh, empty TimescaleDB engine of its own for one test."""
    server = start_engine(tmp_path / "timescale.log")
    try:
        yield server
    finally:
        server.stop()


FLAVOURS = ("postgresql", "timescaledb")


@pytest.fixture(params=FLAVOURS)
def flavour_database(request: pytest.FixtureRequest) -> str:
    """A fresh, migrated database of each flavour in turn: the stack's PostgreSQL, then a TimescaleDB engine.

    Connect to it without server-side prepared statements (``prepare_threshold=None``): the engine shares one
    backend between clients.
    """
    if request.param == "postgresql":
        url: str = request.getfixturevalue("database_url")
        return url
    server: TimescaleServer = request.getfixturevalue("timescale")
    migrate(server.url)
    return server.url
