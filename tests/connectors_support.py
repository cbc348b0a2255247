"""Helpers shared by the connector tests: source files, a test catalog, a list sink, reading a topic."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import CollectorRegistry

from connectors.checkpoint import CheckpointStore
from connectors.config import SourceConfig, parse_source
from connectors.metrics import ConnectorMetrics
from connectors.runner import Emitter
from index_engine.catalog import Catalog, load_catalog
from index_engine.observation import Observation, decode_observation
from index_engine.task_report import TaskReport

CATALOG = load_catalog()


def write_source(folder: Path, name: str = "src", **settings: Any) -> Path:
    """Write ``<folder>/<name>.yaml`` with ``settings`` and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(settings, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def source(folder: Path, name: str = "src", **settings: Any) -> SourceConfig:
    """A parsed source configuration with test defaults (dossier counts per unit)."""
    base: dict[str, Any] = {
        "type": "http_json",
        "schedule": {"interval": 60},
        "timeout": 5,
        "fields": {"unit": "unit", "ts": "ts"},
        "metrics": {"processed": "dossier.processed", "online": "dossier.processed_online"},
        "retry": {"backoff_initial": 0.01, "backoff_max": 0.05, "breaker_failures": 3, "breaker_reset": 60},
    }
    base.update(settings)
    return parse_source(write_source(folder, name, **base))


class ListSink:
    """Collects observations and task reports; fails while ``failing`` is set (a broker that does not acknowledge)."""

    def __init__(self) -> None:
        self.sent: list[Observation] = []
        self.task_reports: list[TaskReport] = []
        self.failing = False

    async def send(self, observations: Sequence[Observation]) -> int:
        if self.failing:
            raise ConnectionError("broker down")
        self.sent.extend(observations)
        return len(observations)

    async def send_task_reports(self, reports: Sequence[TaskReport]) -> int:
        if self.failing:
            raise ConnectionError("broker down")
        self.task_reports.extend(reports)
        return len(reports)


def emitter(sink: Any, state: Path, catalog: Catalog = CATALOG) -> tuple[Emitter, CollectorRegistry]:
    """An emitter with a fresh registry and a checkpoint folder; task reports go to ``sink`` too."""
    registry = CollectorRegistry()
    return Emitter(sink, catalog, CheckpointStore(state), ConnectorMetrics(registry), task_sink=sink), registry


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    """A sample's value, 0 when it was never set."""
    return registry.get_sample_value(name, labels) or 0.0


async def read_topic(bootstrap: str, topic: str, expected: int, timeout: float = 30.0) -> list[Observation]:
    """Every observation on ``topic``, read up to its end offsets; waits up to ``timeout`` for ``expected`` of them."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()
    found: list[Observation] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            [described] = await admin.describe_topics([topic])
        finally:
            await admin.close()
        partitions = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
        assert partitions, f"topic {topic} does not exist"
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        while True:
            ends = await consumer.end_offsets(partitions)
            if sum(ends.values()) >= expected or loop.time() > deadline:
                break
            await asyncio.sleep(0.2)
        for partition in partitions:
            while await consumer.position(partition) < ends[partition]:
                for record in (await consumer.getmany(partition, timeout_ms=1000)).get(partition, []):
                    found.append(decode_observation(record.value, CATALOG, dt.datetime.now(dt.UTC)))
    finally:
        await consumer.stop()
    return found


class KafkaEmitter:
    """An emitter that produces to a real topic with the service's producer (use inside ``async with``)."""

    def __init__(
        self, bootstrap: str, topic: str, state: Path, catalog: Catalog = CATALOG, task_topic: str | None = None
    ) -> None:
        from connectors.producer import ObservationProducer

        self.producer = ObservationProducer(bootstrap, topic, task_topic or "qndti.task-reports")
        self.emitter, self.registry = emitter(self.producer, state, catalog)
        self.store = CheckpointStore(state)

    async def __aenter__(self) -> KafkaEmitter:
        await self.producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.producer.stop()
