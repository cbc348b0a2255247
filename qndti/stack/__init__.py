"""The local stack: a Kafka broker and a PostgreSQL server in one folder, started and stopped as one.

``up`` is idempotent, ``down`` stops only what ``up`` started (recorded in ``state.json``), ``status`` says what
runs where. An external database (``QNDTI_DATABASE_URL``) replaces the embedded one.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qndti.stack import process
from qndti.stack.errors import StackError
from qndti.stack.kafka import MAIN_CLASS, KafkaBroker
from qndti.stack.postgres import EmbeddedPostgres

__all__ = ["LocalStack", "StackError", "StackStatus"]


@dataclass(frozen=True)
class StackStatus:
    """What runs where."""

    kafka_bootstrap: str
    kafka_running: bool
    kafka_pid: int | None
    database_url: str
    database_embedded: bool
    database_running: bool
    database_pid: int | None
    home: str

    def as_dict(self) -> dict[str, Any]:
        """The status as a JSON-ready dict."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class LocalStack:
    """The stack rooted at ``home`` (``.stack/`` by default)."""

    home: Path
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    postgres_port: int = 5442
    partitions: int = 4
    external_database_url: str | None = None
    jars: Path | None = None

    @property
    def kafka(self) -> KafkaBroker:
        """The local broker."""
        return KafkaBroker(
            home=self.home / "kafka",
            lib=self.jars or self.home / "kafka" / "lib",
            port=self.kafka_port,
            controller_port=self.kafka_controller_port,
            partitions=self.partitions,
        )

    @property
    def postgres(self) -> EmbeddedPostgres:
        """The embedded PostgreSQL server."""
        return EmbeddedPostgres(home=self.home / "postgres", port=self.postgres_port)

    @property
    def _state_file(self) -> Path:
        return self.home / "state.json"

    def _state(self) -> dict[str, Any]:
        try:
            state: dict[str, Any] = json.loads(self._state_file.read_text())
        except (OSError, ValueError):
            return {}
        return state

    def _save(self, state: dict[str, Any]) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self._state_file.write_text(json.dumps(state, indent=2))

    def fetch(self) -> None:
        """Resolve the Kafka jars (Maven) ahead of the first start."""
        self.kafka.fetch()

    def up(self) -> StackStatus:
        """Start what is not running yet and wait until both services answer."""
        state = self._state()
        kafka = self.kafka
        kafka.fetch()
        if not process.is_running(state.get("kafka_pid"), MAIN_CLASS):
            state["kafka_pid"] = kafka.start()
            state["kafka_bootstrap"] = kafka.bootstrap
            self._save(state)
        if self.external_database_url is None:
            state["postgres_pid"] = self.postgres.start()
            state["database_url"] = self.postgres.url
            self._save(state)
        return self.status()

    def down(self, *, purge: bool = False) -> None:
        """Stop what ``up`` started; with ``purge`` also delete topics and database files."""
        state = self._state()
        pid = state.get("kafka_pid")
        if pid is not None:
            process.stop(pid, MAIN_CLASS)
        self.postgres.stop()
        if purge:
            for folder in (
                self.home / "kafka" / "data",
                self.home / "kafka" / "logs",
                self.home / "postgres",
            ):
                shutil.rmtree(folder, ignore_errors=True)
            self._state_file.unlink(missing_ok=True)
        elif state:
            state.pop("kafka_pid", None)
            state.pop("postgres_pid", None)
            self._save(state)

    def status(self) -> StackStatus:
        """What runs where, from the recorded pids checked against the live processes."""
        state = self._state()
        kafka_pid = state.get("kafka_pid")
        kafka_running = process.is_running(kafka_pid, MAIN_CLASS)
        embedded = self.external_database_url is None
        db_pid = self.postgres.pid() if embedded else None
        url = self.postgres.url if embedded else _redact(self.external_database_url or "")
        return StackStatus(
            kafka_bootstrap=self.kafka.bootstrap,
            kafka_running=kafka_running,
            kafka_pid=kafka_pid if kafka_running else None,
            database_url=url,
            database_embedded=embedded,
            database_running=db_pid is not None if embedded else True,
            database_pid=db_pid,
            home=str(self.home),
        )


def _redact(url: str) -> str:
    """Hide the password of a database URL."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))
