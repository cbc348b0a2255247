"""aggregate: the worker's events/s to lag 0 on a preloaded topic, against a plain consumer loop and Quix Streams.

A synthetic catalog of 500 localities under QN (the bundled catalog plus generated units) and 35 indicators over
63 metrics; ``--events`` observations spread over every unit and metric are produced first. Then, in the same run:

- **worker**: ``python -m qndti worker`` (one process) from an empty group to lag 0 on both the observation and
  the rollup topic, with everything it does: state rows, rollup, scores, statuses, alerts, every observation
  stored, delta ids deduplicated in the database and offsets committed in the same transaction. Rate = events
  after its first batch / (time of lag 0 − time its counter first moved, at the end of that batch).
- **plain loop** (the anchor): aiokafka ``getmany`` + ``decode_observation`` + a dict of the newest value per
  unit and metric, recomputing every indicator that reads the metric (the same per-event aggregation, without
  rollup, scoring or database).
- **processor**: the same ``getmany`` loop feeding the worker's own ``BatchProcessor`` (no database): where the
  worker's time goes.
- **quixstreams** (if installed): the plain loop's aggregation as a Quix Streams ``update`` with RocksDB state.
- **storage floor**: the same observations written straight to a fresh database through the worker's sink, 50,000
  per transaction, each stored and each delta id recorded (``dti.observation`` and ``dti.delta_id``), nothing
  else: what storing every observation costs PostgreSQL on its own.

From these the bench prints ``ceiling_per_s``: events × CPU cores / (the plain loop's CPU seconds + the storage
floor's PostgreSQL CPU seconds + the broker's CPU seconds during the worker's run). No worker that fetches with
aiokafka, decodes and stores every observation can pass it on this machine, even with every core busy and no
evaluation at all.

Also state rows and all database rows per event (``qndti_worker_state_writes_total`` and ``qndti_sink_rows_total``
over ``qndti_worker_messages_total``), and the CPU seconds the worker, the PostgreSQL server (all its processes)
and the broker used from the worker's start to lag 0: where the machine's time goes.

    python bench/aggregate_bench.py [--events N] [--units U] [--json]
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from common import (
    Result,
    Stack,
    Worker,
    create_topics,
    emit,
    encoded,
    log,
    observations,
    parser,
    preload,
    stack,
    stage_seconds,
    synthetic_catalog,
    wait_drained,
)

from index_engine.catalog import Catalog
from index_engine.observation import Observation, decode_observation
from index_engine.periods import period_of
from index_engine.values import indicator_value


class PlainAggregation:
    """Newest value per unit, metric and period in dicts; every indicator reading the metric recomputed."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.cells: dict[str, dict[tuple[str, int], list[Any]]] = {}
        self.values: dict[tuple[str, str, int], float | None] = {}

    def apply(self, obs: Observation) -> None:
        """Fold one observation in and recompute the indicators it feeds."""
        period = period_of(obs.ts)
        cells = self.cells.setdefault(obs.unit, {})
        cell = cells.get((obs.metric, period))
        if obs.kind == "delta":
            if cell is None:
                cells[(obs.metric, period)] = [obs.ts, obs.value, {obs.id}]
            elif obs.id in cell[2]:
                return
            else:
                cell[2].add(obs.id)
                cell[0], cell[1] = max(cell[0], obs.ts), cell[1] + obs.value
        elif cell is None or obs.ts > cell[0]:
            cells[(obs.metric, period)] = [obs.ts, obs.value, None]
        else:
            return
        for indicator in self.catalog.indicators_reading(obs.metric):
            num = cells.get((indicator.numerator, period))
            den = cells.get((indicator.denominator, period)) if indicator.denominator else None
            self.values[(indicator.code, obs.unit, period)] = indicator_value(
                indicator, num[1] if num else None, den[1] if den else None
            )


async def plain_loop(bootstrap: str, topic: str, catalog: Catalog, events: int, processor: bool) -> dict[str, float]:
    """Consume ``events`` messages with getmany and aggregate them; return rate and CPU figures."""
    from aiokafka import AIOKafkaConsumer

    from streams.processor import BatchProcessor, Message
    from streams.state import UnitState

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    aggregation = PlainAggregation(catalog)
    batch_processor = BatchProcessor(catalog, rollup_topic="none")
    states: dict[str, UnitState] = {}
    try:
        seen = 0
        started, cpu = time.perf_counter(), time.process_time()
        while seen < events:
            batches = await consumer.getmany(timeout_ms=500, max_records=2000)
            now = dt.datetime.now(dt.UTC)
            for records in batches.values():
                seen += len(records)
                if processor:
                    messages = [Message(r.topic, r.key, r.value, r.partition, r.offset) for r in records]
                    result = batch_processor.process(
                        messages, lambda unit: states.get(unit) or UnitState(), now=now
                    )
                    states.update(result.states)
                else:
                    for record in records:
                        aggregation.apply(decode_observation(record.value, catalog, now))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        return {"per_s": events / seconds, "per_cpu_s": events / cpu, "seconds": seconds}
    finally:
        await consumer.stop()


async def store(s: Stack, url: str, batches: list[list[Observation]]) -> tuple[float, float]:
    """Commit each batch's observations and delta ids as the worker's checkpoint does, one transaction per batch.

    Returns the seconds and the server's CPU seconds, both read while the connection is open: a backend that has
    ended is counted only once the server has reaped it.
    """
    import psycopg

    from streams.checkpoint import Checkpoint
    from streams.sink import prepare, table_params
    from streams.state import Counted, figure_of

    async with await psycopg.AsyncConnection.connect(url) as conn:
        await prepare(conn, "copy")
        repeating: set[str] = set()
        before, started = s.cpu_seconds()["postgres"], time.perf_counter()
        for batch in batches:
            deltas = {
                figure_of(o): (o.unit, Counted(o.revision, o.metric, period_of(o.ts), o.value))
                for o in batch
                if o.kind == "delta"
            }
            # No offsets: only the rows and the delta figures, through the worker's own commit.
            params = table_params(batch, dt.timedelta(hours=1))
            await Checkpoint("storage-floor", {}, {}, params, deltas).commit(conn, "copy", repeating)
        return time.perf_counter() - started, s.cpu_seconds()["postgres"] - before


def storage_floor(s: Stack, catalog: Catalog, events: int, size: int = 50_000) -> dict[str, float]:
    """Store the bench's observations and delta ids and nothing else; return rate and CPU figures."""
    made = observations(catalog, events)
    batches = [made[n : n + size] for n in range(0, events, size)]
    seconds, postgres = asyncio.run(store(s, s.fresh_database(), batches))
    return {"per_s": events / seconds, "postgres_cpu_s": postgres}


def quix(bootstrap: str, topic: str, catalog: Catalog, events: int, home: Path) -> dict[str, float] | None:
    """The plain aggregation as a Quix Streams app with RocksDB state; None when Quix Streams is not installed."""
    try:
        from quixstreams import Application
    except ImportError:
        log("quixstreams is not installed: its column is left out")
        return None
    app = Application(
        broker_address=bootstrap,
        consumer_group=f"bench-quix-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        state_dir=str(home / "quix-state"),
        loglevel="WARNING",
        use_changelog_topics=True,
    )
    source = app.topic(topic, key_deserializer="bytes", value_deserializer="bytes")
    clock: dict[str, float] = {}

    def update(raw: bytes, state: Any) -> None:
        if "first" not in clock:
            clock["first"], clock["cpu"] = time.perf_counter(), time.process_time()
        obs = decode_observation(raw, catalog, dt.datetime.now(dt.UTC))
        period = period_of(obs.ts)
        name = f"{obs.metric}|{period}"
        cell = state.get(name)
        stamp = obs.ts.timestamp()
        if obs.kind == "delta":
            ids = state.get(f"{name}|ids", [])
            if obs.id in ids:
                return
            ids.append(obs.id)
            state.set(f"{name}|ids", ids)
            cell = [max(stamp, cell[0]), cell[1] + obs.value] if cell else [stamp, obs.value]
        elif cell is None or stamp > cell[0]:
            cell = [stamp, obs.value]
        else:
            return
        state.set(name, cell)
        for indicator in catalog.indicators_reading(obs.metric):
            num = state.get(f"{indicator.numerator}|{period}")
            den = state.get(f"{indicator.denominator}|{period}") if indicator.denominator else None
            value = indicator_value(indicator, num[1] if num else None, den[1] if den else None)
            state.set(f"value:{indicator.code}|{period}", value)

    sdf = app.dataframe(source)
    sdf.update(update, stateful=True)
    app.run(count=events, timeout=600, collect=False)
    seconds, cpu = time.perf_counter() - clock["first"], time.process_time() - clock["cpu"]
    return {"per_s": events / seconds, "per_cpu_s": events / cpu, "seconds": seconds}


def run(events: int = 1_000_000, units: int = 500) -> Result:
    """Run the worker, the plain loop, the processor loop and Quix Streams on the same preloaded topic."""
    home = Path(tempfile.mkdtemp(prefix="qndti-bench-aggregate-"))
    try:
        catalog = synthetic_catalog(units, home / "catalog")
        locals_ = len([u for u in catalog.units.values() if u.parent is not None])
        log(f"catalog: {locals_} units under QN, {len(catalog.metrics)} metrics, {len(catalog.indicators)} indicators")
        pairs = encoded(catalog, events)
        with stack() as s:
            prefix = f"bench{uuid.uuid4().hex[:6]}"
            topics = create_topics(s.bootstrap, prefix)
            log(f"preloading {events:,} observations")
            produce_rate = asyncio.run(preload(s.bootstrap, topics.observations, pairs))
            del pairs
            figures: dict[str, Any] = {"events": events, "units": locals_, "preload_per_s": produce_rate}
            log("plain loop")
            plain = asyncio.run(plain_loop(s.bootstrap, topics.observations, catalog, events, processor=False))
            log("processor loop")
            proc = asyncio.run(plain_loop(s.bootstrap, topics.observations, catalog, events, processor=True))
            log("worker")
            servers = s.cpu_seconds()
            worker = Worker.make(s, s.fresh_database(), prefix, home, home / "catalog").start()
            try:
                drain = wait_drained(worker, s.bootstrap, topics, events, timeout=3600)
                # CPU first: rendering the whole /metrics (every indicator gauge of every unit) is not the drain's.
                cpu = worker.cpu_seconds()
                servers = {name: used - servers[name] for name, used in s.cpu_seconds().items()}
                metrics = worker.metrics()
            finally:
                worker.stop()
            messages = sum(v for k, v in metrics.items() if k.startswith("qndti_worker_messages_total{"))
            writes = metrics.get("qndti_worker_state_writes_total", 0.0)
            log("storage floor")
            floor = storage_floor(s, catalog, events)
            log("quixstreams")
            quixed = quix(s.bootstrap, topics.observations, catalog, events, home)
        worker_rate = drain.rate(events)
        cores = os.cpu_count() or 1
        floor_cpu = events / plain["per_cpu_s"] + floor["postgres_cpu_s"] + servers["kafka"]
        figures.update(
            {
                "worker_per_s": worker_rate,
                "worker_per_cpu_s": events / cpu,
                "worker_cpu_s": cpu,
                "postgres_cpu_s": servers["postgres"],
                "kafka_cpu_s": servers["kafka"],
                "worker_seconds_to_lag0": drain.last - drain.first,
                "worker_first_batch_left_out": drain.before,
                "worker_messages_incl_rollup": messages,
                "worker_sink_rows": metrics.get("qndti_sink_rows_total", 0.0),
                "state_rows_per_event": writes / messages if messages else float("nan"),
                "database_rows_per_event": metrics.get("qndti_sink_rows_total", 0.0) / events,
                **stage_seconds(metrics),
                "plain_per_s": plain["per_s"],
                "plain_per_cpu_s": plain["per_cpu_s"],
                "storage_floor_per_s": floor["per_s"],
                "storage_floor_postgres_cpu_s": floor["postgres_cpu_s"],
                "cores": cores,
                "ceiling_per_s": events * cores / floor_cpu,
                "processor_per_s": proc["per_s"],
                "processor_per_cpu_s": proc["per_cpu_s"],
                "quixstreams_per_s": quixed["per_s"] if quixed else "not installed",
                "quixstreams_per_cpu_s": quixed["per_cpu_s"] if quixed else "not installed",
            }
        )
        quix_rate = quixed["per_s"] if quixed else None
        figures["worker_vs_quixstreams"] = worker_rate / quix_rate if quix_rate else "not installed"
        return Result(
            name="aggregate",
            value=worker_rate,
            unit="events/s to lag 0 (one worker)",
            anchor="plain aiokafka getmany + decode + dict loop",
            anchor_value=plain["per_s"],
            goal=">= 50000 events/s and >= 1.5x Quix Streams (plain aggregation, same run)",
            met=worker_rate >= 50_000 and quix_rate is not None and worker_rate >= 1.5 * quix_rate,
            details=figures,
        )
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    p = parser(__doc__)
    p.add_argument(
        "--events", type=int, default=1_000_000, help="observations to preload (several batches)"
    )
    p.add_argument("--units", type=int, default=500)
    args = p.parse_args()
    emit(run(args.events, args.units), args.json)
