"""Kafka topics of the service (public names in DESIGN.md) and their creation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError


@dataclass(frozen=True)
class Topics:
    """Topic names; tests give each run its own names."""

    observations: str = "qndti.observations"
    dead_letters: str = "qndti.observations.dlq"
    rollup: str = "qndti.rollup"
    indicator_values: str = "qndti.indicator-values"
    alerts: str = "qndti.alerts"
    task_reports: str = "qndti.task-reports"
    """TaskReport v1 records, keyed by task code so that one task's reports stay in order."""
    task_dead_letters: str = "qndti.task-reports.dlq"

    @classmethod
    def with_prefix(cls, prefix: str) -> Topics:
        """The same topics under another prefix than ``qndti``."""
        return cls(**{name: f"{prefix}{value[len('qndti') :]}" for name, value in cls().__dict__.items()})

    def all(self) -> tuple[str, ...]:
        """Every topic name."""
        return tuple(self.__dict__.values())


async def ensure_topics(
    bootstrap: str, topics: Topics, partitions: int, options: Mapping[str, Any] | None = None
) -> list[str]:
    """Create the service's topics that do not exist yet; return the names created.

    ``observations`` and ``rollup`` must have the same partition count: the worker's unit table is
    co-partitioned with both.
    """
    admin = AIOKafkaAdminClient(**{"bootstrap_servers": bootstrap, **(options or {})})
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics.all() if t not in existing]
        created = []
        for name in missing:
            try:
                await admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
                created.append(name)
            except TopicAlreadyExistsError:
                pass
        return created
    finally:
        await admin.close()
