"""The Faust application, built in one place from a :class:`WorkerConfig`.

One agent consumes ``qndti.observations`` and ``qndti.rollup`` together (both keyed by unit code and
co-partitioned with the unit table) in batches. For each batch it writes, in order: the rows to the database (one
transaction), dead letters, rollup messages, indicator values and alerts to Kafka (waiting for the broker's
acknowledgements), then unit states to the table. Only then are the batch's offsets acknowledged, and Faust
flushes the producer before it commits them: at-least-once, made exact by idempotent state updates and absolute,
versioned writes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import faust
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import CollectorRegistry, generate_latest

from index_engine.catalog import Catalog
from streams.consumer import Transport, describe, label
from streams.evaluation import Alert
from streams.metrics import WorkerMetrics
from streams.processor import BatchProcessor, BatchResult, Message
from streams.records import alert_rows, dead_letter_row, observation_row, row_json, scorecard_rows
from streams.rows import Row
from streams.sink import PostgresSink, SinkMode, latest_per_key
from streams.staleness import partition_of, sweep
from streams.state import UnitState, dump_state, load_state
from streams.topics import Topics
from streams.watchdog import STALLED_EXIT_CODE, StallWatch

log = logging.getLogger(__name__)

STATE_MESSAGE_LIMIT: Final = 8 * 1024 * 1024
"""Largest unit state the changelog topic accepts; a parent's state grows with its children and periods."""


@dataclass(frozen=True)
class WorkerConfig:
    """Everything a worker needs; built from settings by the command line."""

    kafka_bootstrap: str
    database_url: str
    app_id: str = "qndti-worker"
    topics: Topics = field(default_factory=Topics)
    partitions: int = 4
    data_dir: Path = Path(".stack/worker")
    table_store: str = "memory://"
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    batch_size: int = 20_000
    batch_within: float = 0.5
    bucket: dt.timedelta = dt.timedelta(hours=1)
    session_timeout: float = 10.0
    watch_interval: float = 10.0
    standby_replicas: int = 1
    stall_patience: int = 3
    exit_on_stall: bool = True
    stale_interval: float = 300.0
    sink_mode: SinkMode = "copy"
    store_observations: bool = True


def create_app(config: WorkerConfig, catalog: Catalog, registry: CollectorRegistry | None = None) -> faust.App:
    """Build the worker's Faust app with its agent, table and web views."""
    registry = registry or CollectorRegistry()
    metrics = WorkerMetrics(registry)
    app = faust.App(
        config.app_id,
        broker=f"kafka://{config.kafka_bootstrap}",
        store=config.table_store,
        datadir=str(config.data_dir),
        autodiscover=False,
        topic_partitions=config.partitions,
        topic_replication_factor=1,
        key_serializer="raw",
        value_serializer="raw",
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        # A parent's state holds its children's inputs: let it grow past Kafka's default 1 MB per message.
        producer_max_request_size=STATE_MESSAGE_LIMIT,
        web_enabled=True,
        web_host=config.web_host,
        web_port=config.web_port,
        web_in_thread=False,
        # A killed worker's partitions move to the others after this long without heartbeats.
        table_standby_replicas=config.standby_replicas,
        broker_session_timeout=config.session_timeout,
        broker_heartbeat_interval=max(1.0, config.session_timeout / 4),
    )
    app.transport = Transport(app.conf.broker_consumer, app)
    topics = config.topics
    source = app.topic(topics.observations, topics.rollup, partitions=config.partitions)
    # The changelog partition comes from the key's hash, as for the source topics (not from the "current
    # event", which in a batch may belong to another partition).
    units = app.Table(
        "unit-state",
        partitions=config.partitions,
        use_partitioner=True,
        # bytes keys and values are stored as they are ("raw"): the state has its own msgpack codec.
        key_type=bytes,
        value_type=bytes,
        extra_topic_configs={"max.message.bytes": str(STATE_MESSAGE_LIMIT)},
    )
    processor = BatchProcessor(catalog, rollup_topic=topics.rollup)
    sink = PostgresSink(
        config.database_url,
        bucket=config.bucket,
        on_retry=lambda exc, delay: metrics.sink_retries.inc(),
        mode=config.sink_mode,
    )

    busy = False
    # Each unit's state as this worker last wrote it, decoded, next to the bytes written: the unit's next batch
    # takes the object back instead of decoding it again, as long as the table still holds those bytes (another
    # worker or the stale sweep may have written since). Taken out while a batch changes it, so a batch that
    # fails half-way leaves nothing half-changed behind.
    decoded: dict[str, tuple[bytes, UnitState]] = {}

    def load(unit: str) -> UnitState:
        raw = units.get(unit.encode())
        kept = decoded.pop(unit, None)
        if kept is not None and kept[0] == raw:
            return kept[1]
        return load_state(raw)

    @app.agent(source, concurrency=1)
    async def process(stream: Any) -> Any:
        nonlocal busy
        clock = time.perf_counter()
        async for events in stream.take_events(config.batch_size, within=config.batch_within):
            busy = True
            clock = _stage(metrics, "wait", clock)
            messages = [
                Message(
                    topic=e.message.topic,
                    key=e.message.key,
                    value=e.message.value,
                    partition=e.message.partition,
                    offset=e.message.offset,
                )
                for e in events
            ]
            result = processor.process(messages, load, now=dt.datetime.now(dt.UTC))
            rows = database_rows(catalog, result, config.store_observations)
            clock = _stage(metrics, "process", clock)
            # The database, then the Kafka messages, then the unit states, then the offsets, each written (and
            # acknowledged) before the next starts. Were the state saved before a crash and the rows or messages
            # not, replaying the batch would find nothing to do and they would be lost. Rows are absolute and
            # versioned and rollup messages version-guarded, so writing or sending them again is harmless.
            with metrics.sink_seconds.time():
                written = await sink.write_rows(rows)
            clock = _stage(metrics, "sink", clock)
            await send_all(app, outgoing(topics, result, config.bucket))
            clock = _stage(metrics, "send", clock)
            for unit, state in result.states.items():
                raw = units[unit.encode()] = dump_state(state)
                decoded[unit] = (raw, state)
            clock = _stage(metrics, "state", clock)
            for letter in result.dead_letters:
                metrics.dead_letters.labels(letter.reason).inc()
            for alert in result.alerts:
                metrics.alerts.labels(*(("raised",) if alert.decision.raised else ("resolved",))).inc()
            for card in result.scorecards:
                metrics.observe_scorecard(card)
            _record(
                metrics,
                messages,
                result.accepted,
                len(result.dead_letters),
                written,
                len(result.states),
                topics.rollup,
            )
            if result.rows:
                newest = max(r.ts for r in result.rows)
                metrics.latency.observe(max(0.0, (dt.datetime.now(dt.UTC) - newest).total_seconds()))
            busy = False
            clock = _stage(metrics, "metrics", clock)

    watch: StallWatch[Any] = StallWatch(patience=config.stall_patience)
    sources = {topics.observations, topics.rollup}
    admin: list[AIOKafkaAdminClient] = []

    async def committed_offsets(assigned: list[Any]) -> dict[Any, int]:
        """The consumer group's committed offsets (the earliest offset where nothing was committed yet)."""
        if not admin:
            client = AIOKafkaAdminClient(bootstrap_servers=config.kafka_bootstrap)
            await client.start()
            admin.append(client)
        committed = await admin[0].list_consumer_group_offsets(
            config.app_id, partitions=[TopicPartition(tp.topic, tp.partition) for tp in assigned]
        )
        by_key = {(tp.topic, tp.partition): meta.offset for tp, meta in committed.items() if meta.offset >= 0}
        missing = [tp for tp in assigned if (tp.topic, tp.partition) not in by_key]
        earliest = await app.consumer.earliest_offsets(*missing) if missing else {}
        return {tp: by_key.get((tp.topic, tp.partition), earliest.get(tp, 0)) for tp in assigned}

    @app.timer(interval=config.watch_interval)  # type: ignore[untyped-decorator]
    async def watch_partitions() -> None:
        """Publish the lag of each assigned source partition; stop the worker if one stalled while idle."""
        if app.in_recovery or not app.flow_control.is_active():
            return
        assigned = [tp for tp in app.consumer.assignment() if tp.topic in sources]
        if not assigned:
            metrics.set_lag({})
            return
        ends = await app.consumer.highwaters(*assigned)
        committed = await committed_offsets(assigned)
        snapshot = {tp: (ends[tp], committed[tp]) for tp in assigned if tp in ends}
        metrics.set_lag({(tp.topic, tp.partition): end - done for tp, (end, done) in snapshot.items()})
        stalled = watch.observe(snapshot, idle=not busy)
        if stalled and config.exit_on_stall:
            metrics.stall_recoveries.inc()
            log.error(
                "partitions %s are behind and have not moved for %d checks while the worker was idle; "
                "exiting with code %d so that the supervisor restarts the worker; consumer: %s",
                sorted(label(tp) for tp in stalled),
                config.stall_patience,
                STALLED_EXIT_CODE,
                await describe(app.consumer, stalled),
            )
            logging.shutdown()
            os._exit(STALLED_EXIT_CODE)

    @app.timer(interval=config.stale_interval)  # type: ignore[untyped-decorator]
    async def sweep_stale() -> None:
        """Evaluate quiet units on the wall clock so that silence turns into stale statuses and alerts."""
        if app.in_recovery:
            return
        actives = {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == topics.observations}
        owned = [
            (key.decode(), load_state(raw))
            for key, raw in list(units.items())
            if partition_of(key.decode(), config.partitions) in actives
        ]
        swept = sweep(catalog, owned, dt.datetime.now(dt.UTC))
        rows: list[Row] = []
        for card in swept.scorecards:
            rows.extend(scorecard_rows(catalog, card, swept.states[card.unit]))
        for alert in swept.alerts:
            rows.extend(alert_rows(alert))
        await sink.write_rows(rows)
        await send_all(app, (alert_message(topics, alert) for alert in swept.alerts))
        for unit, state in swept.states.items():
            units[unit.encode()] = dump_state(state)

    @app.page("/metrics")
    async def metrics_view(web: Any, request: Any) -> Any:
        # As in prometheus_client's own exposition, ``?name[]=…`` restricts the answer to those names: the
        # indicator gauges alone are 35 × 9 series per unit, too many for a client polling one counter.
        names = request.query.getall("name[]", [])
        exposed = registry.restricted_registry(names) if names else registry
        return web.bytes(generate_latest(exposed), content_type="text/plain; version=0.0.4")

    @app.page("/healthz")
    async def health_view(web: Any, request: Any) -> Any:
        return web.json({"status": "ok", "app": config.app_id})

    return app


Outgoing = tuple[str, bytes | None, bytes, list[tuple[str, bytes]] | None]
"""A Kafka message to send: topic, key, value and headers."""


def outgoing(topics: Topics, result: BatchResult, bucket: dt.timedelta) -> Iterator[Outgoing]:
    """Every Kafka message a batch sends: dead letters, rollup messages, indicator values and alerts."""
    for letter in result.dead_letters:
        headers = [
            ("qndti-reason", letter.reason.encode()),
            ("qndti-detail", letter.detail.encode()),
            ("qndti-origin", letter.message.origin.encode()),
            ("qndti-rejected-at", dt.datetime.now(dt.UTC).isoformat().encode()),
        ]
        yield topics.dead_letters, letter.key, letter.value, headers
    for parent, raw in result.rollups:
        yield topics.rollup, parent.encode(), raw, None
    for row in latest_per_key(result.rows, bucket):
        yield topics.indicator_values, f"{row.indicator_code}|{row.unit_code}".encode(), row_json(row), None
    for alert in result.alerts:
        yield alert_message(topics, alert)


def alert_message(topics: Topics, alert: Alert) -> Outgoing:
    """An alert on ``qndti.alerts``, keyed ``indicator|unit``."""
    return topics.alerts, f"{alert.decision.indicator}|{alert.decision.unit}".encode(), alert.to_json(), None


async def send_all(app: faust.App, messages: Iterable[Outgoing]) -> None:
    """Queue every message in Faust's producer, then wait until the broker has acknowledged them all.

    ``Topic.send`` inside an agent would attach each message to the current event and publish it only when that
    offset is committed, with bookkeeping per message; the worker needs them acknowledged before it saves the
    unit states, so it sends with the producer directly (the partitioner is the same) and waits once per batch.
    """
    producer = await app.maybe_start_producer()
    pending = [await producer.send(topic, key, value, None, None, headers) for topic, key, value, headers in messages]
    if pending:
        await asyncio.gather(*pending)


def database_rows(catalog: Catalog, result: BatchResult, store_observations: bool) -> list[Row]:
    """Everything a batch writes to the database, in one transaction."""
    rows: list[Row] = list(result.rows)
    for card in result.scorecards:
        rows.extend(scorecard_rows(catalog, card, result.states[card.unit]))
    for alert in result.alerts:
        rows.extend(alert_rows(alert))
    if store_observations:
        rows.extend(observation_row(o) for o in result.observations)
    now = dt.datetime.now(dt.UTC)
    rows.extend(dead_letter_row(letter, now) for letter in result.dead_letters)
    return rows


def _stage(metrics: WorkerMetrics, stage: str, since: float) -> float:
    """Observe the time since ``since`` as the batch's ``stage``; return now."""
    now = time.perf_counter()
    metrics.batch_stage.labels(stage).observe(now - since)
    return now


def _record(
    metrics: WorkerMetrics,
    messages: list[Message],
    accepted: int,
    rejected: int,
    written: int,
    states: int,
    rollup_topic: str,
) -> None:
    rollups = sum(1 for m in messages if m.topic == rollup_topic)
    metrics.messages.labels("rollup").inc(rollups)
    metrics.messages.labels("observations").inc(len(messages) - rollups)
    metrics.observations.labels("accepted").inc(accepted)
    metrics.observations.labels("rejected").inc(rejected)
    metrics.batch_size.observe(len(messages))
    metrics.sink_rows.inc(written)
    metrics.state_writes.inc(states)
    metrics.last_batch.set(time.time())
