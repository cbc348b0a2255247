"""latency: open-loop load at 50% and 80% of the worker's measured maximum; event time → database, next to Kafka.

The worker's maximum is measured first in the same run (events/s to lag 0 on ``--calibrate`` preloaded events,
500-unit synthetic catalog), unless ``--max-rate`` gives it. Then, for each load, observations with ``ts`` = now
are produced on a fixed schedule for ``--seconds``. Two latencies per event:

- **worker**: ``dti.observation.received_at − ts``: from the event's time to the database transaction that
  wrote it together with its indicator values, statuses and scores (``received_at`` is that transaction's
  ``now()``, its start: the commit follows within one sink batch write, see ``sink_batch_mean_s``);
- **kafka** (the anchor): a plain aiokafka consumer's receive time − ``ts``: the broker's own produce → consume.

The load continues the preloaded events' series (:class:`common.Plausible`: none is quarantined; the count is
printed). Per phase it prints the worker's batches, their mean size and the database rows per event (live
batches are smaller than preloaded ones, and smaller batches write more rows per event), and the CPU seconds the
load and the anchor's consumer took in this process. For the phases and for the calibration (after the worker's
first batch) it prints what an event cost: CPU microseconds of the worker, PostgreSQL and the broker, the
wall microseconds of each batch stage, and ``cpu_bound_<phase>_per_s``, the rate at which those costs alone
would keep every core of the machine busy (the bench's own load generator left out).

    python bench/latency_bench.py [--seconds S] [--max-rate R] [--calibrate N] [--json]
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import msgspec
from common import (
    Plausible,
    MESSAGES,
    Result,
    Stack,
    Worker,
    cpu_seconds,
    create_topics,
    emit,
    generated,
    log,
    observed,
    open_loop,
    pairs,
    parser,
    preload,
    stack,
    stage_seconds,
    synthetic_catalog,
    wait_drained,
)

from index_engine.observation import Observation

PARTITIONS = 4
DECODE = msgspec.json.Decoder(Observation)
OUTCOMES = "qndti_worker_observations_total"
QUARANTINED = 'qndti_worker_observations_total{outcome="quarantined"}'
BATCHES, MESSAGES_IN, ROWS = "qndti_worker_batch_messages_count", "qndti_worker_batch_messages_sum", "qndti_sink_rows_total"
STAGES = "qndti_worker_batch_stage_seconds_sum"
PHASE = (BATCHES, MESSAGES_IN, ROWS, STAGES, MESSAGES)


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p99 and max of ``values`` (seconds)."""
    if not values:
        return {"p50": float("nan"), "p99": float("nan"), "max": float("nan"), "n": 0}
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50": pick(0.50), "p99": pick(0.99), "max": ordered[-1], "n": len(ordered)}


async def phase(bootstrap: str, topic: str, events: Plausible, rate: float, seconds: float, source: str) -> Any:
    """Produce open-loop while a plain consumer measures Kafka's own latency.

    Returns (sent, Kafka's latencies, CPU seconds of this process: the load and the anchor's consumer).
    """
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()
    parts = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    consumer.assign(parts)
    await consumer.seek_to_end(*parts)
    for part in parts:
        await consumer.position(part)
    latencies: list[float] = []
    cpu = cpu_seconds()
    producing = asyncio.create_task(open_loop(bootstrap, topic, events, rate, seconds, source))
    try:
        deadline: float | None = None
        while deadline is None or time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            now = dt.datetime.now(dt.UTC)
            for records in batches.values():
                for record in records:
                    obs = DECODE.decode(record.value)
                    if obs.source == source:
                        latencies.append((now - obs.ts).total_seconds())
            if producing.done():
                if len(latencies) >= producing.result():
                    break
                deadline = deadline or time.monotonic() + 30
        return producing.result(), latencies, cpu_seconds() - cpu
    finally:
        await consumer.stop()


def reading(worker: Worker, s: Stack) -> dict[str, float]:
    """The worker's batch metrics and the CPU seconds of the worker, PostgreSQL and the broker, now."""
    servers = {f"cpu {name}": used for name, used in s.cpu_seconds().items()}
    return {**worker.metrics(*PHASE), "cpu worker": worker.cpu_seconds(), **servers}


def started(worker: Worker, timeout: float = 60.0) -> Worker:
    """``worker`` once it has counted its first batch (up to ``timeout``): its start and that batch are left out.

    Its message counter has no samples before then, so /metrics holds none of ``MESSAGES`` until it moves.
    """
    deadline = time.monotonic() + timeout
    while not worker.metrics(MESSAGES) and time.monotonic() < deadline:
        time.sleep(0.05)
    return worker


def batches(source: str, before: dict[str, float], after: dict[str, float], events: int) -> dict[str, float]:
    """The worker's batches of a phase and what an event cost in it.

    How many batches, their mean size, the database rows written per event; the CPU microseconds per event of the
    worker, PostgreSQL and the broker, and of the worker's batch stages (wall time: the commit overlaps the next
    batch); and ``cpu_bound_per_s``, the rate at which those CPU costs alone would keep every core busy.
    """
    done = {name: after.get(name, 0.0) - before.get(name, 0.0) for name in after}
    figures = {
        f"batches_{source}": done[BATCHES],
        f"batch_mean_{source}": done[MESSAGES_IN] / (done[BATCHES] or 1),
        f"rows_per_event_{source}": done[ROWS] / (events or 1),
    }
    micro = 1e6 / (events or 1)
    for name in ("worker", "postgres", "kafka"):
        figures[f"cpu_us_per_event_{source}_{name}"] = done[f"cpu {name}"] * micro
    spent = sum(done[f"cpu {name}"] for name in ("worker", "postgres", "kafka"))
    figures[f"cpu_bound_{source}_per_s"] = events * (os.cpu_count() or 1) / spent if spent else float("nan")
    stage = re.compile(rf'^{STAGES}\{{stage="(\w+)"\}}$')
    for name, value in done.items():
        if match := stage.match(name):
            figures[f"stage_us_per_event_{source}_{match.group(1)}"] = value * micro
    return figures


def worker_latencies(url: str, source: str) -> list[float]:
    """received_at − ts of every observation of ``source`` in the database."""
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT extract(epoch FROM received_at - ts)::float8 FROM dti.observation WHERE source = %s", (source,)
        ).fetchall()
    return [r[0] for r in rows]


def run(seconds: float = 60.0, max_rate: float | None = None, calibrate: int = 1_000_000, units: int = 500) -> Result:
    """Calibrate (unless given), then 50% and 80% phases."""
    home = Path(tempfile.mkdtemp(prefix="qndti-bench-latency-"))
    try:
        catalog = synthetic_catalog(units, home / "catalog")
        with stack() as s:
            prefix = f"bench{uuid.uuid4().hex[:6]}"
            topics = create_topics(s.bootstrap, prefix)
            url = s.fresh_database()
            worker = Worker.make(s, url, prefix, home, home / "catalog")
            consumed = 0
            details: dict[str, Any] = {"seconds_per_phase": seconds}
            try:
                events = Plausible(catalog, dt.datetime.now(dt.UTC).date())
                if max_rate is None:
                    # Dated just before now, in the year the load phases write to: the maximum is measured on the
                    # same state the phases then grow (a second year would double every parent's state).
                    start = max(
                        dt.datetime.now(dt.UTC) - dt.timedelta(seconds=calibrate / 50 + 600),
                        dt.datetime(dt.datetime.now(dt.UTC).year, 1, 2, tzinfo=dt.UTC),
                    )
                    asyncio.run(preload(s.bootstrap, topics.observations, pairs(generated(events, calibrate, start))))
                    before = reading(started(worker.start()), s)
                    max_rate = wait_drained(worker, s.bootstrap, topics, calibrate, timeout=3600).rate(calibrate)
                    consumed = calibrate
                    details["max_rate_measured"] = max_rate
                    after = reading(worker, s)
                    details.update(batches("calibrate", before, after, int(observed(after) - observed(before))))
                else:
                    worker.start()
                    details["max_rate_given"] = max_rate
                for load in (0.5, 0.8):
                    rate = load * max_rate
                    source = f"lat{int(load * 100)}"
                    log(f"{int(load * 100)}% load: {rate:,.0f} events/s for {seconds:.0f} s")
                    before = reading(worker, s)
                    sent, kafka, cpu = asyncio.run(phase(s.bootstrap, topics.observations, events, rate, seconds, source))
                    consumed += sent
                    wait_drained(worker, s.bootstrap, topics, consumed, timeout=600)
                    details.update(batches(source, before, reading(worker, s), sent))
                    ours = percentiles(worker_latencies(url, source))
                    theirs = percentiles(kafka)
                    for key, value in ours.items():
                        details[f"worker_{source}_{key}"] = value
                    for key, value in theirs.items():
                        details[f"kafka_{source}_{key}"] = value
                    details[f"offered_{source}_per_s"] = rate
                    details[f"load_{source}_cpu_s"] = cpu
                    details[f"quarantined_after_{source}"] = worker.metrics(OUTCOMES).get(QUARANTINED, 0.0)
                metrics = worker.metrics()
                count = metrics.get("qndti_sink_batch_duration_seconds_count", 0.0)
                details["sink_batch_mean_s"] = metrics.get("qndti_sink_batch_duration_seconds_sum", 0.0) / (count or 1)
                details.update(stage_seconds(metrics))
            finally:
                worker.stop()
        p99 = details["worker_lat80_p99"]
        return Result(
            name="latency",
            value=p99,
            unit="s p99 event time -> database at 80% load",
            anchor="Kafka produce -> consume p99 at 80% load",
            anchor_value=details["kafka_lat80_p99"],
            goal="worker p99 <= 0.5 s at 80% load",
            met=p99 <= 0.5,
            details=details,
        )
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    p = parser(__doc__)
    p.add_argument("--seconds", type=float, default=60.0, help="length of each load phase")
    p.add_argument("--max-rate", type=float, help="the worker's maximum events/s (default: measured first)")
    p.add_argument("--calibrate", type=int, default=1_000_000, help="preloaded events to measure the maximum")
    p.add_argument("--units", type=int, default=500)
    args = p.parse_args()
    emit(run(args.seconds, args.max_rate, args.calibrate, args.units), args.json)
