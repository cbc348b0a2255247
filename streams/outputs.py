"""What a batch sends and writes: Kafka messages (dead letters, rollup, indicator values, alerts) and database rows."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from aiokafka import AIOKafkaProducer

from index_engine.catalog import Catalog
from index_engine.periods import period_of
from streams.evaluation import Alert
from streams.partitions import key_partition
from streams.processor import BatchResult, DeadLetter
from streams.records import alert_rows, dead_letter_row, quarantine_row, row_json, scorecard_rows
from streams.rows import RevisedRow, Row
from streams.store import state_rows
from streams.tasks import TaskBatch
from streams.topics import Topics

if TYPE_CHECKING:
    from aiokafka.producer.message_accumulator import BatchBuilder

Outgoing = tuple[str, bytes | None, bytes, list[tuple[str, bytes]] | None]
"""A Kafka message to send: topic, key, value and headers."""


def outgoing(topics: Topics, result: BatchResult) -> Iterator[Outgoing]:
    """Every Kafka message a batch sends: dead letters, rollup messages, indicator values and alerts.

    The processor yields one indicator row per indicator, unit and time bucket, so each becomes one message.
    """
    for letter in result.dead_letters:
        yield dead_letter_message(topics, letter)
    for parent, raw in result.rollups:
        yield topics.rollup, parent.encode(), raw, None
    for row in result.rows:
        yield topics.indicator_values, f"{row.indicator_code}|{row.unit_code}".encode(), row_json(row), None
    for alert in result.alerts:
        yield alert_message(topics, alert)


def dead_letter_message(topics: Topics, letter: DeadLetter) -> Outgoing:
    """A rejected message on the dead-letter topic: the original key and bytes, the reason and origin as headers."""
    headers = [
        ("qndti-reason", letter.reason.encode()),
        ("qndti-detail", letter.detail.encode()),
        ("qndti-origin", letter.message.origin.encode()),
        ("qndti-rejected-at", dt.datetime.now(dt.UTC).isoformat().encode()),
    ]
    topic = topics.task_dead_letters if letter.message.topic == topics.task_reports else topics.dead_letters
    return topic, letter.key, letter.value, headers


def task_outgoing(topics: Topics, batch: TaskBatch) -> Iterator[Outgoing]:
    """The Kafka messages of task reports: their dead letters and the task alerts (key ``task|<code>``)."""
    for letter in batch.dead_letters:
        yield dead_letter_message(topics, letter)
    for alert in batch.alerts:
        yield topics.alerts, f"task|{alert.task.code}".encode(), alert.to_json(), None


def task_rows(batch: TaskBatch) -> list[Row]:
    """What task reports write: the reports, the tasks' states and alerts, and the dead letters."""
    return [*batch.rows, *(dead_letter_row(letter) for letter in batch.dead_letters)]


def alert_message(topics: Topics, alert: Alert) -> Outgoing:
    """An alert on ``qndti.alerts``, keyed ``indicator|unit``."""
    return topics.alerts, f"{alert.decision.indicator}|{alert.decision.unit}".encode(), alert.to_json(), None


async def send_all(producer: AIOKafkaProducer, messages: Iterable[Outgoing]) -> int:
    """Send every message, then wait until the broker has acknowledged them all; return how many were sent.

    Messages go into record batches per partition (aiokafka's ``create_batch`` and ``send_batch``), partitioned by
    key as the producer's default partitioner does: a batch of tens of thousands of messages costs one append each
    instead of one awaited ``send``.
    """
    partitions: dict[str, list[int]] = {}
    batches: dict[tuple[str, int], BatchBuilder] = {}
    pending: list[asyncio.Future[Any]] = []
    count = 0
    for topic, key, value, headers in messages:
        known = partitions.get(topic)
        if known is None:
            known = partitions[topic] = sorted(await producer.partitions_for(topic))
        partition = key_partition(key, known)
        batch = batches.get((topic, partition))
        if batch is None:
            batch = batches[(topic, partition)] = producer.create_batch()
        if batch.append(key=key, value=value, timestamp=None, headers=headers or []) is None:
            # Full: send it and start the next one (a batch always takes its first message).
            pending.append(await producer.send_batch(batch, topic, partition=partition))
            batch = batches[(topic, partition)] = producer.create_batch()
            batch.append(key=key, value=value, timestamp=None, headers=headers or [])
        count += 1
    for (topic, partition), batch in batches.items():
        pending.append(await producer.send_batch(batch, topic, partition=partition))
    if pending:
        await asyncio.gather(*pending)
    return count


def database_rows(catalog: Catalog, result: BatchResult, store_observations: bool) -> list[Row]:
    """Everything a batch writes to the database, in one transaction: values, statuses and state rows."""
    rows: list[Row] = list(result.rows)
    for card in result.scorecards:
        rows.extend(scorecard_rows(catalog, card, result.states[card.unit]))
    for alert in result.alerts:
        rows.extend(alert_rows(alert))
    if store_observations:
        rows.extend(result.observations)
    rows.extend(dead_letter_row(letter) for letter in result.dead_letters)
    rows.extend(quarantine_row(*held) for held in result.quarantined)
    rows.extend(
        RevisedRow(o.unit, o.metric, period_of(o.ts), o.ts, o.revision)
        for o in sorted(result.revised, key=lambda o: o.revision)  # of one key, the highest revision is kept
    )
    for unit, state in result.states.items():
        rows.extend(state_rows(unit, state))
    return rows
