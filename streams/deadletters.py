"""Reading and replaying the dead-letter topic ``qndti.observations.dlq``, streaming (bounded memory).

A dead letter's value is the original message's bytes, its key the original key; headers say why it was rejected.
``replay`` re-sends selected dead letters to the observations topic (after the catalog or a source was fixed)
under the consumer group ``<prefix>.dlq-replay``. It reads the topic batch by batch up to the end offsets it saw at
start, waits for the broker to acknowledge each batch it sent, and then commits, per partition, only up to the
first letter it did not replay: letters passed over by a filter stay replayable by a later run. A later run may
send again letters after that point that it already sent; observation ids make that harmless.

Every function takes the Kafka client options (``Settings.kafka_client_options()``) or a bootstrap string.
"""

from __future__ import annotations

import bisect
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

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


KafkaClient = str | Mapping[str, Any]
"""aiokafka keyword arguments (bootstrap servers and security), or just the bootstrap servers."""
BATCH = 500
"""Most records read at once: what bounds the memory of ``show`` and ``replay``."""


def _options(client: KafkaClient) -> dict[str, Any]:
    return {"bootstrap_servers": client} if isinstance(client, str) else dict(client)


async def partitions_of(client: KafkaClient, topic: str) -> list[int]:
    """The partition numbers of ``topic`` (empty when it does not exist)."""
    admin = AIOKafkaAdminClient(**_options(client))
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return sorted(p["partition"] for t in described if t.get("error_code") == 0 for p in t["partitions"])


async def _batches(
    consumer: AIOKafkaConsumer, ends: Mapping[TopicPartition, int]
) -> AsyncIterator[dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]]:
    """Batches of records until every partition reached the end offset it had at start (none past it)."""
    pending = {tp for tp, end in ends.items() if end > await consumer.position(tp)}
    while pending:
        batch = await consumer.getmany(*pending, timeout_ms=1000, max_records=BATCH)
        kept = {tp: [r for r in records if r.offset < ends[tp]] for tp, records in batch.items()}
        for tp in list(pending):
            if await consumer.position(tp) >= ends[tp]:
                pending.discard(tp)
                consumer.pause(tp)
        if any(kept.values()):
            yield kept


async def iter_dead_letters(client: KafkaClient, topics: Topics) -> AsyncIterator[DeadLetterRecord]:
    """Every dead letter on the topic now (oldest first per partition), without joining a group."""
    tps = [TopicPartition(topics.dead_letters, p) for p in await partitions_of(client, topics.dead_letters)]
    consumer = AIOKafkaConsumer(**_options(client), enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        async for batch in _batches(consumer, ends):
            for records in batch.values():
                for record in records:
                    yield DeadLetterRecord.from_record(record)
    finally:
        await consumer.stop()


def _age(letter: DeadLetterRecord) -> tuple[str, int, int]:
    return (letter.rejected_at, letter.partition, letter.offset)


async def read_dead_letters(
    client: KafkaClient, topics: Topics, limit: int | None = None, reason: str | None = None
) -> list[DeadLetterRecord]:
    """The oldest ``limit`` dead letters (all without a limit), of one ``reason`` if given, by rejection time."""
    oldest: list[DeadLetterRecord] = []
    async for letter in iter_dead_letters(client, topics):
        if reason is not None and letter.reason != reason:
            continue
        bisect.insort(oldest, letter, key=_age)
        if limit is not None and len(oldest) > limit:
            oldest.pop()  # memory holds at most ``limit`` letters
    return oldest


async def count_dead_letters(client: KafkaClient, topics: Topics, reason: str | None = None) -> int:
    """How many dead letters (of one ``reason`` if given) the topic holds now."""
    return sum([1 async for d in iter_dead_letters(client, topics) if reason is None or d.reason == reason])


@dataclass(frozen=True)
class ReplayReport:
    """What one replay did."""

    replayed: int
    skipped: int
    committed: dict[int, int]
    """Per partition, where the group stands now: its first letter not replayed yet, or the end."""


async def replay_dead_letters(
    client: KafkaClient,
    topics: Topics,
    group: str,
    select: Callable[[DeadLetterRecord], bool] = lambda letter: True,
) -> ReplayReport:
    """Re-send the selected dead letters not committed by an earlier replay; commit only what was replayed."""
    options = _options(client)
    consumer = AIOKafkaConsumer(**options, group_id=group, enable_auto_commit=False, auto_offset_reset="earliest")
    producer = AIOKafkaProducer(**options, acks="all", enable_idempotence=True)
    tps = [TopicPartition(topics.dead_letters, p) for p in await partitions_of(client, topics.dead_letters)]
    await consumer.start()
    await producer.start()
    replayed = skipped = 0
    # Partitions where a letter was passed over: nothing beyond it may be committed in this run.
    held: set[TopicPartition] = set()
    try:
        # Assigned by hand, with the group's committed offsets: one replay runs at a time per group.
        consumer.assign(tps)
        for tp in tps:
            consumer.seek(tp, await consumer.committed(tp) or 0)
        ends = await consumer.end_offsets(tps)
        async for batch in _batches(consumer, ends):
            sends = []
            advance: dict[TopicPartition, int] = {}
            for tp, records in batch.items():
                for record in records:
                    letter = DeadLetterRecord.from_record(record)
                    if select(letter):
                        sends.append(await producer.send(topics.observations, value=letter.value, key=letter.key))
                        replayed += 1
                        if tp not in held:
                            advance[tp] = record.offset + 1
                    else:
                        skipped += 1
                        held.add(tp)
            for future in sends:
                await future  # acknowledged by the broker before any commit covers it
            if advance:
                await consumer.commit(advance)
        # Partitions read to their end without a letter passed over are committed at the end.
        rest = {tp: ends[tp] for tp in tps if tp not in held and ends[tp] > (await consumer.committed(tp) or 0)}
        if rest:
            await consumer.commit(rest)
        committed = {tp.partition: await consumer.committed(tp) or 0 for tp in tps}
    finally:
        await producer.stop()
        await consumer.stop()
    return ReplayReport(replayed, skipped, committed)
