"""Reading and replaying the dead-letter topic ``qndti.observations.dlq``.

A dead letter's value is the original message's bytes, its key the original key; headers say why it was rejected.
``replay`` re-sends dead letters to the observations topic (after the catalog or a source was fixed) under the
consumer group ``<prefix>.dlq-replay``, whose committed offsets make each dead letter replayed once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from streams.topics import Topics


@dataclass(frozen=True)
class DeadLetterRecord:
    """One dead letter as stored on the topic."""

    partition: int
    offset: int
    key: bytes | None
    value: bytes
    reason: str
    detail: str
    origin: str
    rejected_at: str

    @classmethod
    def from_record(cls, record: ConsumerRecord[bytes, bytes]) -> DeadLetterRecord:
        """Read a Kafka record of the dead-letter topic."""
        headers = {k: v.decode("utf-8", "replace") for k, v in (record.headers or ())}
        return cls(
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=record.value or b"",
            reason=headers.get("qndti-reason", "?"),
            detail=headers.get("qndti-detail", ""),
            origin=headers.get("qndti-origin", ""),
            rejected_at=headers.get("qndti-rejected-at", ""),
        )


async def _drain(consumer: AIOKafkaConsumer, stop_at: dict[TopicPartition, int]) -> list[ConsumerRecord[bytes, bytes]]:
    """Read until every partition reached the end offset it had when we started."""
    records: list[ConsumerRecord[bytes, bytes]] = []
    pending = {tp for tp, end in stop_at.items() if end > await consumer.position(tp)}
    while pending:
        batch = await consumer.getmany(timeout_ms=1000)
        for items in batch.values():
            records.extend(items)
        pending = {tp for tp in pending if await consumer.position(tp) < stop_at[tp]}
    return records


async def partitions_of(bootstrap: str, topic: str) -> list[int]:
    """The partition numbers of ``topic`` (empty when it does not exist)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return sorted(p["partition"] for t in described if t.get("error_code") == 0 for p in t["partitions"])


async def read_dead_letters(bootstrap: str, topics: Topics, limit: int | None = None) -> list[DeadLetterRecord]:
    """Every dead letter currently on the topic (oldest first per partition), without joining a group."""
    tps = [TopicPartition(topics.dead_letters, p) for p in await partitions_of(bootstrap, topics.dead_letters)]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        records = await _drain(consumer, ends)
    finally:
        await consumer.stop()
    letters = sorted((DeadLetterRecord.from_record(r) for r in records), key=lambda d: (d.rejected_at, d.offset))
    return letters[:limit] if limit is not None else letters


async def replay_dead_letters(
    bootstrap: str,
    topics: Topics,
    group: str,
    select: Callable[[DeadLetterRecord], bool] = lambda letter: True,
) -> tuple[int, int]:
    """Re-send the selected dead letters not replayed before; return (replayed, skipped)."""
    consumer = AIOKafkaConsumer(
        topics.dead_letters,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await consumer.start()
    await producer.start()
    replayed = skipped = 0
    try:
        # Wait for the group assignment so that positions are the committed offsets.
        deadline = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
        while not consumer.assignment() and dt.datetime.now(dt.UTC) < deadline:
            await consumer.getmany(timeout_ms=200)
            if consumer.assignment():
                break
        tps = list(consumer.assignment())
        ends = await consumer.end_offsets(tps)
        for tp in tps:
            committed = await consumer.committed(tp)
            consumer.seek(tp, committed or 0)
        for record in await _drain(consumer, ends):
            letter = DeadLetterRecord.from_record(record)
            if select(letter):
                await producer.send_and_wait(topics.observations, value=letter.value, key=letter.key)
                replayed += 1
            else:
                skipped += 1
        await consumer.commit(dict(ends))
    finally:
        await producer.stop()
        await consumer.stop()
    return replayed, skipped
