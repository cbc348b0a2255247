"""The fetch step: batches of records straight from the broker, positioned by the offsets stored in PostgreSQL.

One aiokafka consumer in the worker group reads ``qndti.observations`` and ``qndti.rollup`` with ``getmany`` and
auto-commit off. On assignment each partition is sought to its stored next offset (its earliest where none is
stored). A record below the stored offset was applied already and is dropped; a record of a partition whose stored
offset has not been read since its assignment triggers that read first. The worker holds :attr:`Fetcher.lock`
while it applies a batch; a rebalance waits for it, and for the batch committing in flight, before it drops the
cached state or reads the stored offsets of a new assignment.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition

from streams.checkpoint import Partition
from streams.processor import ACCEPTED_HEADER, Message

log = logging.getLogger(__name__)

LoadOffsets = Callable[[Collection[Partition]], Awaitable[dict[Partition, int]]]
"""Reads the stored next offsets of partitions (those never committed are left out)."""


def label(tp: Partition) -> str:
    """``topic/partition``, as logs and errors name a partition."""
    return f"{tp[0]}/{tp[1]}"


class Fetcher(ConsumerRebalanceListener):  # type: ignore[misc]
    """Fetches batches and keeps, per assigned partition, the stored next offset the next batch starts from.

    Args:
        consumer: A consumer of the worker group, not yet subscribed (auto-commit off, ``auto_offset_reset`` set
            to ``"earliest"``).
        load_offsets: Reads stored offsets from the database (its own connection).
        on_change: Awaited when the assignment changes, before positions are dropped or read: the worker lets its
            batch in flight commit and drops its cached unit states.
    """

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        load_offsets: LoadOffsets,
        on_change: Callable[[], Awaitable[None]],
    ) -> None:
        self.consumer = consumer
        self.lock = asyncio.Lock()
        self.positions: dict[Partition, int | None] = {}
        self._load_offsets = load_offsets
        self._on_change = on_change

    def subscribe(self, topics: Iterable[str]) -> None:
        """Join the group on ``topics`` with this fetcher as the rebalance listener."""
        self.consumer.subscribe(list(topics), listener=self)

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        """Wait for the batch in progress and the one in flight, then forget cached state and positions."""
        async with self.lock:
            await self._on_change()
            self.positions.clear()

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        """Seek each new partition to its stored offset (earliest where none is stored).

        The offsets are read once the batch in flight has committed, so that they include it.
        """
        try:
            async with self.lock:
                await self._on_change()
                await self.seek_stored({(tp.topic, tp.partition) for tp in assigned})
        except Exception:
            # The next fetch of these partitions tries again; until then their records are not applied.
            log.exception(
                "could not read the stored offsets of %s", sorted(label((tp.topic, tp.partition)) for tp in assigned)
            )

    async def seek_stored(self, partitions: Collection[Partition]) -> None:
        """Read the stored offsets of ``partitions`` and seek the consumer to them."""
        stored = await self._load_offsets(partitions)
        owned = {(tp.topic, tp.partition) for tp in self.consumer.assignment()}
        for tp in partitions:
            if tp not in owned:
                continue
            offset = stored.get(tp)
            # Offset 0 rather than seek_to_beginning, which waits for the broker (up to its request timeout, per
            # partition) while the rebalance that called it holds up the group's heartbeats: a broker that went
            # away then kept the worker out of its group for good. Below the log's start the consumer's
            # ``auto_offset_reset="earliest"`` moves on to the first record kept.
            self.consumer.seek(TopicPartition(*tp), 0 if offset is None else offset)
            self.positions[tp] = offset
        log.info("positions from the database: %s", {label(tp): stored.get(tp) for tp in sorted(partitions)})

    async def rewind(self) -> None:
        """Seek every assigned partition back to its stored offset (after a failed or conflicting batch)."""
        self.positions.clear()
        await self.seek_stored({(tp.topic, tp.partition) for tp in self.consumer.assignment()})

    async def fetch(self, max_records: int, timeout: float) -> list[Message]:
        """The next batch, in partition order, without records applied before; ``[]`` when none came in time."""
        records: dict[TopicPartition, list[Any]] = await self.consumer.getmany(
            timeout_ms=int(timeout * 1000), max_records=max_records
        )
        unknown = {(tp.topic, tp.partition) for tp in records if (tp.topic, tp.partition) not in self.positions}
        if unknown:
            # Their stored offsets were not read since the assignment: read them and fetch these again.
            await self.seek_stored(unknown)
        batch: list[Message] = []
        for tp, items in records.items():
            key = (tp.topic, tp.partition)
            if key in unknown or key not in self.positions:
                continue
            start = self.positions[key]
            batch.extend(_message(r) for r in items if start is None or r.offset >= start)
        return batch

    def committed(self, ends: dict[Partition, int]) -> None:
        """Record the offsets a batch committed: the next batch of each partition starts there."""
        for tp, end in ends.items():
            if tp in self.positions:
                self.positions[tp] = end


def _message(record: Any) -> Message:
    return Message(
        topic=record.topic,
        key=record.key,
        value=record.value if record.value is not None else b"",
        partition=record.partition,
        offset=record.offset,
        timestamp_ms=record.timestamp,
        # Most records carry no header: no generator for them.
        accepted=bool(record.headers) and any(name == ACCEPTED_HEADER for name, _ in record.headers),
    )
