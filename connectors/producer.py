"""Producing Observation v1 records to Kafka, keyed by unit code."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer

from index_engine.observation import Observation, encode_observation


class ObservationProducer:
    """An idempotent aiokafka producer that waits for every record to be acknowledged by the broker."""

    def __init__(self, client: str | Mapping[str, Any], topic: str = "qndti.observations") -> None:
        """Produce to ``topic`` with aiokafka options (``Settings.kafka_client_options()``) or bootstrap servers."""
        self.topic = topic
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

    async def send_raw(self, key: bytes | None, value: bytes) -> None:
        """Send one record's bytes as they are (used to replay dead letters)."""
        await self._producer.send_and_wait(self.topic, value=value, key=key)
