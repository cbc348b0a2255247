"""The worker: fetch a batch, decode it, apply it to unit state, send its messages, commit it with its offsets.

Steps, each in its own module: :mod:`streams.fetch` (batches from the broker, positioned by stored offsets and
rebalances), :class:`streams.processor.BatchProcessor` (decode and apply: pure), :mod:`streams.outputs`
(Kafka messages and database rows), :mod:`streams.checkpoint` (one transaction: rows, state and offsets),
:mod:`streams.committer` (that transaction on a thread of its own) and :mod:`streams.staleness` (the wall-clock
sweep, run in the same loop between batches: one writer).

A batch commits while the next one is fetched, decoded and applied to the cached states; the next one's messages
go out, and its commit starts, only once the batch before has committed. Kafka messages (rollup, dead letters,
values, alerts) are sent and acknowledged before their batch's transaction commits: a batch tried again sends them
again, which is harmless (rollup contributions are versioned). If a batch in flight fails to commit, the batch
prepared on top of it is dropped with the cached states and every partition goes back to its stored offset. A
conflict (another worker committed first) rolls the batch back the same way. A transient database or broker
error is retried with backoff for ``retry_budget`` seconds, then the worker exits non-zero. A record the database
refuses is found by splitting its batch, committed one part at a time, and goes to the dead-letter topic with
reason ``unstorable``; the rest of the batch is written.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import signal
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Final, TypeVar

import psycopg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError
from prometheus_client import CollectorRegistry

from index_engine.catalog import Catalog
from index_engine.observation import Observation
from streams.checkpoint import Checkpoint, Partition, stored_offsets
from streams.committer import Committer, close_quietly, within
from streams.errors import CommitConflict, WorkerStuck
from streams.fetch import Fetcher
from streams.metrics import WorkerMetrics
from streams.outputs import (
    alert_message,
    database_rows,
    dead_letter_message,
    outgoing,
    send_all,
    task_outgoing,
    task_rows,
)
from streams.processor import BatchProcessor, BatchResult, DeadLetter, Message
from streams.records import alert_rows, dead_letter_row, scorecard_rows
from streams.rows import Row
from streams.sink import Connection, SinkMode, TableParams, prepare, table_params
from streams.staleness import partition_of, sweep
from streams.state import Counted, UnitState, figure_of
from streams.store import counted_figures, load_units, state_rows
from streams.tally import Tally, record, record_tasks, tally_of
from streams.task_store import load_tasks, seen_reports
from streams.tasks import TaskBatch, apply_reports, decode_reports, report_ids, sweep_tasks, touched_tasks
from streams.topics import Topics, ensure_topics
from streams.web import Health, serve, web_app

log = logging.getLogger(__name__)

T = TypeVar("T")

TRANSIENT: Final = (psycopg.OperationalError, KafkaError, OSError)
"""Errors worth trying again: the database or the broker is unreachable or restarting."""

REFUSED: Final = (psycopg.DataError, psycopg.IntegrityError)
"""Errors of a record the database will never accept: its batch is split to find it."""


@dataclass(frozen=True)
class WorkerConfig:
    """Everything a worker needs; built from settings by the command line."""

    kafka_bootstrap: str
    database_url: str
    group: str = "qndti-worker"
    topics: Topics = field(default_factory=Topics)
    partitions: int = 4
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    batch_size: int = 200_000
    batch_wait: float = 0.5
    """Seconds a fetch waits for records when none are buffered."""
    bucket: dt.timedelta = dt.timedelta(hours=1)
    session_timeout: float = 10.0
    stale_interval: float = 300.0
    sink_mode: SinkMode = "copy"
    store_observations: bool = True
    retry_budget: float = 120.0
    """Seconds of consecutive database or broker errors before the worker gives up and exits non-zero."""
    database_timeout: float = 60.0
    """Seconds a database read or a batch's commit may take before it counts as a transient error."""
    kafka_options: Mapping[str, Any] = field(default_factory=dict)
    """Keyword arguments of every aiokafka client (security settings; ``bootstrap_servers`` wins over the above)."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """A batch applied to the cached states: what it writes and sends, not sent or committed yet."""

    batch: Sequence[Message]
    result: BatchResult
    tasks: TaskBatch
    params: TableParams
    """Its rows made ready to write, on this thread while the batch before commits."""
    tally: Tally
    """What its metrics and logs need once it has committed."""


@dataclass(frozen=True, slots=True)
class InFlight:
    """A batch whose messages went out and whose transaction commits while the next batch is prepared.

    It holds no message, observation or row of the batch beyond its checkpoint's (see :mod:`streams.tally`).
    """

    size: int
    """How many messages the batch had."""
    units: frozenset[str]
    """The units whose rows it writes: a batch that needs one of them read from the database waits for it."""
    checkpoint: Checkpoint
    """What it commits: the next batch starts at its ends, whatever was fetched again, and counts its deltas."""
    commit: asyncio.Task[None]


class Worker:
    """One worker process of the group: the loop and the steps it composes."""

    consumer: AIOKafkaConsumer
    producer: AIOKafkaProducer
    fetcher: Fetcher

    def __init__(self, config: WorkerConfig, catalog: Catalog, registry: CollectorRegistry | None = None) -> None:
        self.config = config
        self.catalog = catalog
        self.registry = registry or CollectorRegistry()
        self.metrics = WorkerMetrics(self.registry)
        self.health = Health(config.group)
        self.processor = BatchProcessor(catalog, rollup_topic=config.topics.rollup, bucket=config.bucket)
        self.states: dict[str, UnitState] = {}
        """Unit states of the assigned partitions, loaded on first use; dropped on rebalance and on any failure."""
        self.committer = Committer(self._connect_writer)
        """Writes every batch, on a thread of its own."""
        self._repeating: set[str] = set()
        """Insert-only tables whose last batch held keys stored before (:func:`streams.sink.write_params`); only
        the committer's thread touches it."""
        self._reader_conn: Connection | None = None
        """The connection batches read state through while the batch before commits."""
        self._in_flight: InFlight | None = None
        self._alone_until: dict[Partition, int] = {}
        """Where a batch in flight had a record the database refused: the end offset of that batch per partition.
        Batches with records below it commit before the next is prepared, so that a refusal reaches the split."""
        self._stopping = asyncio.Event()
        self._last_sweep = time.monotonic()
        self._to_acknowledge: dict[Partition, int] = {}
        self._sent_versions: dict[str, int] = {}
        """Per unit, the highest version a batch that was then undone may have sent to its parent."""

    async def run(self) -> None:
        """Serve until SIGTERM or SIGINT; raise :class:`WorkerStuck` when no progress is possible."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stopping.set)
        self._make_clients()
        runner = await serve(web_app(self.registry, self.health), self.config.web_host, self.config.web_port)
        try:
            await self._retrying("start the Kafka clients", self._start_clients)
            await self._loop()
        finally:
            await self._close()
            await runner.cleanup()

    def _make_clients(self) -> None:
        """The Kafka clients (aiokafka binds them to the running event loop)."""
        config = self.config
        kafka = {"bootstrap_servers": config.kafka_bootstrap, **config.kafka_options}
        self.consumer = AIOKafkaConsumer(
            group_id=config.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=int(config.session_timeout * 1000),
            heartbeat_interval_ms=max(1000, int(config.session_timeout * 250)),
            max_partition_fetch_bytes=8 * 1024 * 1024,
            fetch_max_bytes=64 * 1024 * 1024,
            **kafka,
        )
        self.producer = AIOKafkaProducer(acks="all", linger_ms=5, max_batch_size=512 * 1024, **kafka)
        self.fetcher = Fetcher(self.consumer, self._stored_offsets, self._reassigned)

    async def _start_clients(self) -> None:
        config = self.config
        await ensure_topics(config.kafka_bootstrap, config.topics, config.partitions, config.kafka_options)
        await self.producer.start()
        consumed = [config.topics.observations, config.topics.rollup, config.topics.task_reports]
        self.fetcher.subscribe(consumed)
        await self.consumer.start()
        log.info("worker %s consuming %s", config.group, consumed)

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            clock = time.perf_counter()
            batch = await self._retrying("fetch", self.fetcher.fetch, self.config.batch_size, self.config.batch_wait)
            if batch:
                self._stage("wait", clock)
                await self._guarded(self._apply_split, batch)
            elif self._in_flight is not None:
                await self._guarded(self._settle_idle)
            if time.monotonic() - self._last_sweep >= self.config.stale_interval:
                self._last_sweep = time.monotonic()
                await self._guarded(self._sweep)
            await self._acknowledge()
            self._publish_lag()

    # -- retries and conflicts ---------------------------------------------------------------------------------

    async def _guarded(self, step: Callable[..., Awaitable[None]], *args: Any) -> None:
        """Run ``step`` under the fetch lock; on a conflict rewind, on a transient error retry within the budget."""
        try:
            await self._retrying(step.__name__.strip("_"), self._locked, step, *args)
        except CommitConflict as exc:
            self.metrics.commit_conflicts.inc()
            log.warning("batch rolled back: %s; reloading state and offsets from the database", exc)
            async with self.fetcher.lock:
                self.states.clear()
                await self._retrying("rewind", self.fetcher.rewind)

    async def _locked(self, step: Callable[..., Awaitable[None]], *args: Any) -> None:
        async with self.fetcher.lock:
            try:
                await step(*args)
            except BaseException:
                # Whatever failed, the cached states may hold changes that were not committed.
                self.states.clear()
                raise

    async def _retrying(self, what: str, step: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        """Await ``step`` until it succeeds; transient errors are retried with backoff for the retry budget."""
        deadline = time.monotonic() + self.config.retry_budget
        delay = 0.2
        while True:
            try:
                result = await step(*args)
            except TRANSIENT as exc:
                await self._drop_connection()
                self.metrics.sink_retries.inc()
                problem = f"{what}: {type(exc).__name__}: {exc}"
                self.health.problem = problem
                if time.monotonic() >= deadline:
                    raise WorkerStuck(f"no progress for {self.config.retry_budget:.0f} s ({problem})") from exc
                log.warning("%s; trying again in up to %.1f s", problem, delay)
                await asyncio.sleep(random.uniform(0, delay))  # noqa: S311 - jitter, not cryptography
                delay = min(delay * 2, 10.0)
            else:
                self.health.problem = None
                return result

    # -- the batch ---------------------------------------------------------------------------------------------

    async def _apply_split(self, batch: Sequence[Message], *, alone: bool = False) -> None:
        """Apply ``batch``; if the database refuses it, apply its halves alone, down to the record it refuses.

        The refused attempt may have sent its parents inputs that include the refused record; afterwards the
        units of the batch send their inputs again, under versions above anything that attempt sent.
        """
        try:
            await self._apply(batch, alone=alone)
        except REFUSED as exc:
            self._remember_sent()
            self.states.clear()
            await self._drop_connection()
            batch = self._fresh(batch)
            if len(batch) == 1:
                await self._unstorable(batch[0], exc)
            elif batch:
                half = len(batch) // 2
                await self._apply_split(batch[:half], alone=True)
                await self._apply_split(batch[half:], alone=True)
            await self._republish()

    def _remember_sent(self) -> None:
        for unit, state in self.states.items():
            self._sent_versions[unit] = max(state.version, self._sent_versions.get(unit, 0))

    async def _republish(self) -> bool:
        """Send the inputs of units whose undone batch reached their parents, under higher versions.

        False if a batch in flight failed first (see :meth:`_settle`).
        """
        if not self._sent_versions:
            return True
        if not await self._settle():
            return False
        units = list(self._sent_versions)
        await self._read(lambda conn: self._load(conn, units))
        for unit in units:
            state = self.states[unit]
            state.version = max(state.version, self._sent_versions[unit]) + 1
            state.changed_memory.update(state.memory)  # the new version is written with the unit's rows
        result = self.processor.republish({u: self.states[u] for u in units})
        rows = database_rows(self.catalog, result, store_observations=False)
        await send_all(self.producer, outgoing(self.config.topics, result))
        owned = {tp: start for tp, start in self.fetcher.positions.items() if start is not None}
        await self._write(Checkpoint(self.config.group, owned, owned, self._params(rows)))
        for state in result.states.values():
            state.mark_written()
        self._sent_versions.clear()
        return True

    async def _apply(self, batch: Sequence[Message], *, alone: bool = False) -> None:
        """Apply ``batch``: prepare it while the batch before commits, send its messages, then commit it.

        The commit runs in the background while the next batch is prepared (:attr:`_in_flight`), unless ``alone``
        or the batch holds records of a batch that had a refused record; then it is awaited here, so that a
        refusal reaches the caller.
        """
        prepared = await self._prepare(batch)
        if prepared is None or not await self._settle():
            return
        clock = time.perf_counter()
        result, tasks = prepared.result, prepared.tasks
        messages = chain(outgoing(self.config.topics, result), task_outgoing(self.config.topics, tasks))
        await send_all(self.producer, messages)
        self._stage("send", clock)
        # From the positions the batch before committed: the commit's compare-and-set starts there.
        checkpoint = self._checkpoint(prepared.batch, prepared.params, result.deltas)
        commit = self._commit_batch(prepared.tally, checkpoint)
        if alone or self._after_refusal(prepared.batch):
            await commit
        else:
            task = asyncio.create_task(commit)
            self._in_flight = InFlight(len(prepared.batch), frozenset(result.states), checkpoint, task)

    async def _prepare(self, batch: Sequence[Message]) -> Prepared | None:
        """Decode and apply ``batch`` to the cached states; its rows and messages, ready to send and commit.

        A unit's state is read from the database once the batch in flight has committed, if that batch writes it,
        so that it holds what the batch before wrote; task states are read only when no batch is in flight. None
        when there is nothing to apply, or the batch in flight failed (its records and these are fetched again from
        the stored offsets).
        """
        if self._sent_versions and not await self._republish():
            return None
        batch = self._fresh(batch)
        if not batch:
            return None
        clock = time.perf_counter()
        now = dt.datetime.now(dt.UTC)
        reports = [m for m in batch if m.topic == self.config.topics.task_reports]
        decoded = self.processor.decode([m for m in batch if m.topic != self.config.topics.task_reports], now)
        units = {_unit_of(m, item) for m, item in decoded if not isinstance(item, DeadLetter)}
        if (reports or self._written_in_flight(u for u in units if u not in self.states)) and not await self._settle():
            return None
        deltas = [figure_of(o) for _, o in decoded if isinstance(o, Observation) and o.kind == "delta"]
        tasks, counted = await self._read(lambda conn: self._read_for_batch(conn, reports, units, deltas, now))
        for unit, floor in self._sent_versions.items():
            if unit in self.states:
                self.states[unit].version = max(self.states[unit].version, floor)
        if self._in_flight is not None:
            # Counted by the batch in flight: stored when it commits, and this batch commits only after it.
            counted.update((figure, c) for figure, (_, c) in self._in_flight.checkpoint.deltas.items())
        clock = self._stage("load", clock)
        result = self.processor.apply(decoded, self.states.__getitem__, counted)
        rows = database_rows(self.catalog, result, self.config.store_observations) + task_rows(tasks)
        state_count = sum(state.changed_rows for state in result.states.values())
        for state in result.states.values():
            # The rows hold these changes now; if they are not committed, the states are dropped.
            state.mark_written()
        params = self._params(rows)
        tally = tally_of(self.config.topics, batch, result, tasks, state_count)
        self._stage("process", clock)
        return Prepared(batch, result, tasks, params, tally)

    def _written_in_flight(self, units: Iterable[str]) -> bool:
        """Whether the batch in flight writes any of ``units``."""
        return self._in_flight is not None and not self._in_flight.units.isdisjoint(units)

    async def _read_for_batch(
        self,
        conn: Connection,
        reports: Sequence[Message],
        units: Collection[str],
        deltas: Collection[str],
        now: dt.datetime,
    ) -> tuple[TaskBatch, dict[str, Counted]]:
        """What a batch reads before it is applied: its task reports applied, its units' states, its counted deltas."""
        tasks = await self._task_reports(conn, reports, now)
        await self._load(conn, units)
        return tasks, await counted_figures(conn, deltas)

    async def _commit_batch(self, tally: Tally, checkpoint: Checkpoint) -> None:
        """Commit a prepared batch with its offsets, then count it in the metrics."""
        clock = time.perf_counter()
        written = await self._commit(checkpoint)
        self._stage("commit", clock)
        clock = time.perf_counter()
        record(self.metrics, tally, written)
        self._stage("metrics", clock)

    def _after_refusal(self, batch: Sequence[Message]) -> bool:
        """Whether ``batch`` holds records of a batch in flight that had a refused record (see :meth:`_settle`)."""
        until = self._alone_until
        if not until:
            return False
        positions = self.fetcher.positions
        for tp, end in list(until.items()):
            if tp not in positions or (positions[tp] or 0) >= end:
                del until[tp]  # no longer this worker's, or committed past it
        return any(m.offset < until.get((m.topic, m.partition), -1) for m in batch)

    async def _settle_idle(self) -> None:
        """Settle the batch in flight when no other batch came (a failure is noticed without waiting for one)."""
        await self._settle()

    async def _reassigned(self) -> None:
        """Before the assignment changes: let the batch in flight commit (or fail), then drop the cached states."""
        await self._settle(rewind=False)
        self.states.clear()

    async def _settle(self, *, rewind: bool = True) -> bool:
        """Wait for the batch in flight to commit; True when it did, or none was in flight.

        If it failed, the cached states are dropped, the units it touched send their inputs again under higher
        versions before the next batch (its messages went out), and with ``rewind`` every partition is sought
        back to its stored offset: its records and those fetched after are applied again. Until the records of a
        batch with a refused record are committed, batches holding them commit one at a time, so that the refusal
        reaches :meth:`_apply_split`.
        """
        in_flight, self._in_flight = self._in_flight, None
        if in_flight is None:
            return True
        try:
            await in_flight.commit
        except (CommitConflict, *TRANSIENT, *REFUSED) as exc:
            self._remember_sent()
            self.states.clear()
            await self._drop_connection()
            if isinstance(exc, CommitConflict):
                self.metrics.commit_conflicts.inc()
            elif isinstance(exc, REFUSED):
                for tp, end in in_flight.checkpoint.ends.items():
                    self._alone_until[tp] = max(self._alone_until.get(tp, 0), end)
            else:
                self.metrics.sink_retries.inc()
            log.warning("a batch of %d messages did not commit (%s: %s); applying it again from the stored offsets",
                        in_flight.size, type(exc).__name__, exc)  # fmt: skip
            if rewind:
                await self._retrying("rewind", self.fetcher.rewind)
            return False
        return True

    async def _task_reports(self, conn: Connection, reports: Sequence[Message], now: dt.datetime) -> TaskBatch:
        """Decode and apply a batch's task reports to the stored states of their tasks."""
        if not reports:
            return TaskBatch()
        decoded = decode_reports(self.catalog, reports, now)
        current = await load_tasks(conn, touched_tasks(decoded))
        seen = await seen_reports(conn, report_ids(decoded))
        return apply_reports(self.catalog, decoded, current, seen, now)

    async def _unstorable(self, message: Message, exc: Exception) -> None:
        """Dead-letter a record the database refuses, with the database's reason, and move past it."""
        detail = f"{type(exc).__name__}: {exc}".replace("\x00", "\\x00")[:1000]
        letter = DeadLetter(message.key, message.value, "unstorable", detail, message)
        log.error("record %s refused by the database (%s): sent to the dead-letter topic", message.origin, detail)
        await send_all(self.producer, [dead_letter_message(self.config.topics, letter)])
        await self._commit(self._checkpoint([message], self._params([dead_letter_row(letter)])))
        self.metrics.dead_letters.labels("unstorable").inc()

    def _params(self, rows: Iterable[Row]) -> TableParams:
        return table_params(rows, self.config.bucket)

    def _checkpoint(
        self, batch: Sequence[Message], params: TableParams, deltas: Mapping[str, tuple[str, Counted]] | None = None
    ) -> Checkpoint:
        """``params`` and ``deltas`` with the offsets past ``batch``, from the positions the batch starts at."""
        ends: dict[Partition, int] = {}
        for m in batch:
            ends[(m.topic, m.partition)] = m.offset + 1
        starts = {tp: self.fetcher.positions[tp] for tp in ends}
        return Checkpoint(self.config.group, starts, ends, params, deltas or {})

    async def _write(self, checkpoint: Checkpoint) -> int:
        """Commit ``checkpoint`` in one transaction, on the committer's thread; return the rows sent."""
        mode, repeating = self.config.sink_mode, self._repeating
        with self.metrics.sink_seconds.time():
            written: int = await self.committer.run(
                lambda conn: checkpoint.commit(conn, mode, repeating), self.config.database_timeout
            )
        return written

    async def _commit(self, checkpoint: Checkpoint) -> int:
        """Commit a batch's ``checkpoint``: the next batch of its partitions starts past it; return the rows sent."""
        written = await self._write(checkpoint)
        self.fetcher.committed(dict(checkpoint.ends))
        self._to_acknowledge.update(checkpoint.ends)
        return written

    def _fresh(self, batch: Sequence[Message]) -> list[Message]:
        """The messages of partitions still assigned that were not committed yet, nor are in the batch in flight.

        A partition sought back (a new assignment reads its stored offset while a batch of it is in flight) fetches
        records of that batch again: they are left out here, so they are neither applied nor sent twice.
        """
        positions = self.fetcher.positions
        in_flight = self._in_flight.checkpoint.ends if self._in_flight is not None else {}
        fresh = []
        for m in batch:
            tp = (m.topic, m.partition)
            if tp in positions:
                start = in_flight.get(tp, positions[tp])
                if start is None or m.offset >= start:
                    fresh.append(m)
        return fresh

    async def _load(self, conn: Connection, units: Collection[str]) -> None:
        missing = [u for u in units if u not in self.states]
        if missing:
            self.states.update(await load_units(conn, missing))

    # -- the sweep ---------------------------------------------------------------------------------------------

    async def _sweep(self) -> None:
        """Evaluate this worker's units and tasks as of now: silence and deadlines turn into statuses and alerts."""
        if not await self._settle():
            return
        await self._sweep_tasks()
        observations = self.config.topics.observations
        owned = {
            p for (topic, p), start in self.fetcher.positions.items() if topic == observations and start is not None
        }
        if not owned:
            return
        units = await self._read(lambda conn: self._load_owned(conn, owned))
        swept = sweep(self.catalog, [(u, self.states[u]) for u in units], dt.datetime.now(dt.UTC))
        rows: list[Row] = []
        for card in swept.scorecards:
            rows.extend(scorecard_rows(self.catalog, card, swept.states[card.unit]))
        for alert in swept.alerts:
            rows.extend(alert_rows(alert))
        for unit, state in swept.states.items():
            rows.extend(state_rows(unit, state))
        await send_all(self.producer, (alert_message(self.config.topics, a) for a in swept.alerts))
        # Unchanged offsets, compare-and-set all the same: a worker that lost these partitions writes nothing.
        positions = {tp: start for tp, start in self.fetcher.positions.items() if tp[1] in owned and start is not None}
        await self._write(Checkpoint(self.config.group, positions, positions, self._params(rows)))
        for state in swept.states.values():
            state.mark_written()
        for card in swept.scorecards:
            self.metrics.observe_scorecard(card)
        log.info("sweep: %d units evaluated, %d alerts", len(swept.scorecards), len(swept.alerts))

    async def _load_owned(self, conn: Connection, owned: Collection[int]) -> list[str]:
        """Load every stored unit of the observation partitions in ``owned``; return their codes."""
        async with conn.cursor() as cur:
            await cur.execute("SELECT unit_code FROM dti.state_unit")
            units = [str(u) for (u,) in await cur.fetchall() if partition_of(str(u), self.config.partitions) in owned]
        await self._load(conn, units)
        return units

    async def _sweep_tasks(self) -> None:
        """Evaluate the tasks of this worker's task-report partitions, reported on or not."""
        topic = self.config.topics.task_reports
        starts = {tp: start for tp, start in self.fetcher.positions.items() if tp[0] == topic}
        if not starts:
            return
        owned = {p for _, p in starts}
        tasks = [
            task
            for plan in self.catalog.plans.values()
            for task in plan.tasks.values()
            if partition_of(task.code, self.config.partitions) in owned
        ]
        now = dt.datetime.now(dt.UTC)
        stored = await self._read(lambda conn: load_tasks(conn, [t.code for t in tasks]))
        swept = sweep_tasks(self.catalog, tasks, stored, now)
        await send_all(self.producer, task_outgoing(self.config.topics, swept))
        # A partition with no stored offset gets one (its start): the compare-and-set guards this write too.
        ends = {tp: start if start is not None else 0 for tp, start in starts.items()}
        await self._write(Checkpoint(self.config.group, starts, ends, self._params(task_rows(swept))))
        self.fetcher.committed(ends)
        record_tasks(self.metrics, swept)
        log.info("sweep: %d tasks evaluated, %d task alerts", len(tasks), len(swept.alerts))

    # -- connections, metrics, shutdown ------------------------------------------------------------------------

    async def _connect(self) -> Connection:
        """A new autocommit connection to the database."""
        return await psycopg.AsyncConnection.connect(self.config.database_url, connect_timeout=5, autocommit=True)

    async def _connect_writer(self) -> Connection:
        """The connection batches commit through (opened on the committer's thread)."""
        conn = await self._connect()
        # A worker frozen inside its commit (paused, cut off) must not hold the rows it touched for long.
        await conn.execute("SET idle_in_transaction_session_timeout = '30s'")
        await prepare(conn, self.config.sink_mode)
        return conn

    async def _read(self, query: Callable[[Connection], Awaitable[T]]) -> T:
        """Run ``query`` on the reader connection within the database timeout."""

        async def run() -> T:
            return await query(await self._reader())

        return await within(self.config.database_timeout, run())

    async def _reader(self) -> Connection:
        if self._reader_conn is None or self._reader_conn.closed:
            self._reader_conn = await self._connect()
        return self._reader_conn

    async def _drop_connection(self) -> None:
        """Close both connections (after an error: the next step opens new ones)."""
        conn, self._reader_conn = self._reader_conn, None
        await close_quietly(conn)
        await self.committer.drop()

    async def _stored_offsets(self, partitions: Collection[Partition]) -> dict[Partition, int]:
        async def read() -> dict[Partition, int]:
            async with await self._connect() as conn:
                return await within(self.config.database_timeout, stored_offsets(conn, self.config.group, partitions))

        found: dict[Partition, int] = await self._retrying("read stored offsets", read)
        return found

    async def _acknowledge(self) -> None:
        """Tell Kafka the committed offsets too, for lag tools only (the database's offsets are the truth)."""
        if not self._to_acknowledge:
            return
        assigned = self.consumer.assignment()
        offsets = {
            TopicPartition(*tp): end for tp, end in self._to_acknowledge.items() if TopicPartition(*tp) in assigned
        }
        self._to_acknowledge.clear()
        if not offsets:
            return
        try:
            await asyncio.wait_for(self.consumer.commit(offsets), timeout=5)
        except (KafkaError, TimeoutError) as exc:
            log.debug("Kafka offset commit skipped: %s", exc)

    def _publish_lag(self) -> None:
        lags: dict[tuple[str, int], int] = {}
        for tp in self.consumer.assignment():
            end = self.consumer.highwater(tp)
            start = self.fetcher.positions.get((tp.topic, tp.partition))
            if end is not None and start is not None:
                lags[(tp.topic, tp.partition)] = max(0, end - start)
        self.metrics.set_lag(lags)

    def _stage(self, stage: str, since: float) -> float:
        now = time.perf_counter()
        self.metrics.batch_stage.labels(stage).observe(now - since)
        return now

    async def _close(self) -> None:
        await self._settle(rewind=False)
        await self._acknowledge()
        for client in (self.consumer, self.producer):
            try:
                await client.stop()
            except KafkaError:
                log.debug("stopping a Kafka client failed", exc_info=True)
        await self._drop_connection()
        await self.committer.close()


def _unit_of(message: Message, item: object) -> str:
    """The unit whose state a decoded message changes: the observation's unit, or the rollup's parent."""
    if isinstance(item, Observation):
        return item.unit
    return (message.key or b"").decode()
