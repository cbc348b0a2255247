"""Fixtures that run the service's own processes (``python -m qndti …``) against the test stack."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from streams.topics import Topics
from tests.conftest import StackInfo, free_port

pytestmark = pytest.mark.integration


@dataclass
class WorkerProcess:
    """One ``qndti worker`` subprocess."""

    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = field(default=0)

    def start(self) -> WorkerProcess:
        self.starts += 1
        out = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "qndti", "worker", "--loglevel", "info"],
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        return self

    def kill(self) -> None:
        """Send SIGKILL (kill -9): no shutdown, no final commit."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)

    def stop(self) -> None:
        """Graceful stop (SIGTERM)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def pause(self) -> None:
        """Send SIGSTOP: the process stays, frozen, with its connections open."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Send SIGCONT to a paused worker."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGCONT)


def service_env(stack: StackInfo, database_url: str, topics: Topics, tmp_path: Path, **extra: str) -> dict[str, str]:
    """Environment for a service process bound to this test's stack, database and topics."""
    return {
        **os.environ,
        "QNDTI_KAFKA_BOOTSTRAP": stack.kafka_bootstrap,
        "QNDTI_DATABASE_URL": database_url,
        "QNDTI_TOPIC_PREFIX": topics.observations.rsplit(".", 1)[0],
        "QNDTI_STACK_DIR": str(tmp_path / "stack"),
        "QNDTI_PARTITIONS": "4",
        **extra,
    }


@pytest.fixture
def worker_factory(
    stack: StackInfo, database_url: str, topics: Topics, tmp_path: Path
) -> Iterator[Callable[..., WorkerProcess]]:
    """Make worker processes sharing this test's consumer group; all are stopped at the end.

    Keyword arguments override the environment: ``database_url``, ``kafka_bootstrap``, ``group``, or any
    ``QNDTI_*`` variable.
    """
    default_group = f"qndti-test-{uuid.uuid4().hex[:8]}"
    made: list[WorkerProcess] = []

    def make(
        *, database: str | None = None, bootstrap: str | None = None, group: str | None = None, **extra: str
    ) -> WorkerProcess:
        target = StackInfo(bootstrap or stack.kafka_bootstrap, stack.database_url)
        env = service_env(
            target,
            database or database_url,
            topics,
            tmp_path,
            QNDTI_WORKER_ID=group or default_group,
            QNDTI_WORKER_WEB_PORT=str(free_port()),
            **extra,
        )
        worker = WorkerProcess(env=env, log=tmp_path / f"worker-{len(made)}.log")
        made.append(worker)
        return worker

    yield make
    for worker in made:
        worker.stop()


def wait_for(
    database_url: str, query: str, expected: object, timeout: float = 90.0, what: str = "the database"
) -> object:
    """Poll ``query`` until it returns ``expected``; fail with the last answer after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        with psycopg.connect(database_url) as conn:
            last = conn.execute(query).fetchall()
        if last == expected:
            return last
        time.sleep(0.5)
    if isinstance(last, list) and isinstance(expected, list):
        missing = [row for row in expected if row not in last]
        unexpected = [row for row in last if row not in expected]
        raise AssertionError(
            f"{what} did not reach the expected state in {timeout:.0f} s: {len(missing)} rows missing or different, "
            f"{len(unexpected)} unexpected.\nwant (first 10): {missing[:10]}\ngot (first 10): {unexpected[:10]}"
        )
    raise AssertionError(f"{what} did not reach the expected state in {timeout:.0f} s.\nlast: {last}\nwant: {expected}")
