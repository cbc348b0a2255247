"""Shared fixtures: the real stack for integration tests, and factories with sensible defaults."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from qndti.stack import LocalStack
from streams.db import migrate
from streams.topics import Topics, ensure_topics

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class StackInfo:
    """Where the test session's Kafka and PostgreSQL answer."""

    kafka_bootstrap: str
    database_url: str

    def database(self, name: str) -> str:
        """The URL of another database on the same server."""
        base, _, _ = self.database_url.rpartition("/")
        return f"{base}/{name}"


@pytest.fixture(scope="session")
def stack() -> Iterator[StackInfo]:
    """A real Kafka broker and PostgreSQL server for the whole test session, on free ports.

    Set TEST_KAFKA_BOOTSTRAP and TEST_DATABASE_URL to use running services instead. A service that
    cannot be started fails the tests that need it; nothing is skipped.
    """
    bootstrap = os.environ.get("TEST_KAFKA_BOOTSTRAP")
    url = os.environ.get("TEST_DATABASE_URL")
    if bootstrap and url:
        yield StackInfo(bootstrap, url)
        return
    # Not under pytest's temporary root: pytest resets that to mode 0700 whenever a session starts, and the
    # PostgreSQL server (a system user when tests run as root) must keep access to its data directory.
    local = LocalStack(
        home=Path(tempfile.mkdtemp(prefix="qndti-test-stack-")),
        kafka_port=free_port(),
        kafka_controller_port=free_port(),
        postgres_port=free_port(),
        jars=REPO / ".stack" / "kafka" / "lib",
    )
    status = local.up()
    try:
        yield StackInfo(status.kafka_bootstrap, status.database_url)
    finally:
        local.down(purge=True)
        shutil.rmtree(local.home, ignore_errors=True)


@contextlib.contextmanager
def fresh_database(stack: StackInfo) -> Iterator[str]:
    """Create a migrated database of its own on the stack's server; drop it afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(stack.database("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = stack.database(name)
    try:
        migrate(url)
        yield url
    finally:
        with psycopg.connect(stack.database("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(stack: StackInfo) -> Iterator[str]:
    """A fresh, migrated database of its own for one test."""
    with fresh_database(stack) as url:
        yield url


@pytest.fixture
def topics(stack: StackInfo) -> Topics:
    """Topic names of its own for one test, created with 4 partitions."""
    names = Topics.with_prefix(f"t{uuid.uuid4().hex[:10]}")
    asyncio.run(ensure_topics(stack.kafka_bootstrap, names, partitions=4))
    return names
