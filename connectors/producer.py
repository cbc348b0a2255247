"""Producing Observation v1 records to Kafka keyed by unit code, and TaskReport v1 records keyed by task code."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer

from index_engine.observation import Observation, encode_observation
from index_engine.task_report import TaskReport, encode_task_report


class ObservationProducer:
    """An idempotent aiokafka producer that waits for every record to be acknowledged by the broker."""

    def __init__(
        self,
        client: str | Mapping[str, Any],
        topic: str = "qndti.observations",
        task_topic: str = "qndti.task-reports",
    ) -> None:
        """Produce to ``topic`` (and task reports to ``task_topic``) with aiokafka options or bootstrap servers.

        ``client`` is ``Settings.kafka_client_options()`` or a bootstrap string.
        """
        self.topic = topic
        self.task_topic = task_topic
        options = {"bootstrap_servers": client} if isinstance(client, str) else dict(client)
        self._producer = AIOKafkaProducer(**options, acks="all", enable_idempotence=True, linger_ms=5)

    async def start(self) -> None:
        """Connect to the broker."""
        await self._producer.start()

    async def stop(self) -> None:
        """Flush and disconnect."""
        await self._producer.stop()

    async def send(self, observations: Sequence[Observation]) -> int:
        """Send ``observations`` and wait for all acknowledgements; return how many were sent."""
        futures = [
            await self._producer.send(self.topic, value=encode_observation(o), key=o.unit.encode())
            for o in observations
        ]
        for future in futures:
            await future
        return len(futures)

    async def send_task_reports(self, reports: Sequence[TaskReport]) -> int:
        """Send task reports keyed by task code (UTF-8) and wait for all acknowledgements; return how many."""
        futures = [
            await self._producer.send(self.task_topic, value=encode_task_report(r), key=r.task.encode())
            for r in reports
        ]
        for future in futures:
            await future
        return len(futures)

    async def send_raw(self, key: bytes | None, value: bytes) -> None:
        """Send one record's bytes as they are (used to replay dead letters)."""
        await self._producer.send_and_wait(self.topic, value=value, key=key)
