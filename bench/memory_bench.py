"""memory: the worker's resident memory after N and 5N events, and over a soak at a steady rate.

One worker (memory store, the 500-unit synthetic catalog) drains 5N preloaded observations; its RSS (psutil) is read
once it has committed N and at lag 0. All of them are preloaded, so the consumer's prefetch buffers and the
worker's batches are as full at N as at 5N (N defaults to the worker's batch size, a full batch: a smaller N read
after a first batch of N alone compares a small batch's memory with a full one's). Then a soak of ``--minutes`` at
``--rate`` observations/s with ``ts`` = now, RSS sampled every 5 s. Headline: RSS after 5N; anchor: RSS after N
(ratio 1.0 = flat). The worker's state is per unit, metric and year (no time windows), so it grows with
units × metrics, not with events.

With ``--one-unit``: one unit receives N event-level deltas (``fee.paid``, 2 % of them repeated ids), as a city's
year of fee payments would. All of them are preloaded, so the consumer's prefetch buffers are as full when the
worker has consumed a tenth as later on; RSS and the unit's stored state (bytes of its ``dti.state_*`` rows) are
read then and at the end (ratio 1.0 = flat), and the counted total is checked against the unique ids.

    python bench/memory_bench.py [--events N] [--minutes M] [--rate R] [--one-unit] [--json]
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from common import (
    MESSAGES,
    START,
    Plausible,
    Result,
    Worker,
    batch_size,
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
    synthetic_catalog,
    wait_drained,
)

from index_engine.observation import Observation

MB = 1024 * 1024


def run(events: int, minutes: float = 1.0, rate: float = 200.0, units: int = 500) -> Result:
    """Measure RSS at N, 5N and over the soak."""
    home = Path(tempfile.mkdtemp(prefix="qndti-bench-memory-"))
    try:
        catalog = synthetic_catalog(units, home / "catalog")
        load = Plausible(catalog, START.date())
        encoded = pairs(generated(load, 5 * events, START))
        with stack() as s:
            prefix = f"bench{uuid.uuid4().hex[:6]}"
            topics = create_topics(s.bootstrap, prefix)
            asyncio.run(preload(s.bootstrap, topics.observations, encoded))
            worker = Worker.make(s, s.fresh_database(), prefix, home, home / "catalog").start()
            try:
                log(f"worker drains {5 * events:,} events, RSS read after {events:,}")
                wait_committed(worker, events, timeout=3600)
                rss_n = worker.rss()
                wait_drained(worker, s.bootstrap, topics, 5 * events, timeout=3600)
                rss_5n = worker.rss()
                samples: list[int] = []
                if minutes > 0:
                    log(f"soak: {minutes} min at {rate:.0f} events/s")

                    async def soak() -> int:
                        task = asyncio.create_task(
                            open_loop(s.bootstrap, topics.observations, load, rate, minutes * 60, "soak")
                        )
                        while not task.done():
                            worker.metrics(MESSAGES)  # fails the run, with the worker's log, if it stopped
                            samples.append(worker.rss())
                            await asyncio.sleep(5)
                        return task.result()

                    asyncio.run(soak())
                    worker.metrics(MESSAGES)  # raises with the worker's log if it stopped during the soak
                    samples.append(worker.rss())
            finally:
                worker.stop()
        details: dict[str, object] = {"events_n": events, "rss_n_mb": rss_n / MB, "rss_5n_mb": rss_5n / MB}
        if samples:
            details |= {
                "soak_minutes": minutes,
                "soak_rate": rate,
                "soak_rss_first_mb": samples[0] / MB,
                "soak_rss_last_mb": samples[-1] / MB,
                "soak_rss_max_mb": max(samples) / MB,
                "soak_growth_ratio": samples[-1] / samples[0],
            }
        ratio = rss_5n / rss_n
        soak_ok = not samples or samples[-1] / samples[0] <= 1.1
        return Result(
            name="memory",
            value=rss_5n / MB,
            unit="MB RSS after 5N events",
            anchor=f"RSS after N={events} events",
            anchor_value=rss_n / MB,
            goal="flat: 5N/N <= 1.2 and soak end/start <= 1.1",
            met=ratio <= 1.2 and soak_ok,
            details=details,
        )
    finally:
        shutil.rmtree(home, ignore_errors=True)


STATE_BYTES = """
SELECT coalesce((SELECT sum(pg_column_size(c.*)) FROM dti.state_cell c WHERE unit_code = %(u)s), 0)
     + coalesce((SELECT sum(pg_column_size(i.*)) FROM dti.state_indicator i WHERE unit_code = %(u)s), 0)
     + coalesce((SELECT sum(pg_column_size(p.*)) FROM dti.state_contribution p WHERE child_code = %(u)s), 0)
"""


def wait_committed(worker: Worker, events: int, timeout: float) -> None:
    """Wait until the worker has committed ``events`` observations (its message counter moves at each commit)."""
    deadline = time.monotonic() + timeout
    while observed(worker.metrics(MESSAGES)) < events:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the worker did not commit {events:,} observations in {timeout:.0f} s")
        time.sleep(0.2)


def one_unit(events: int = 1_000_000, unit: str = "HALONG") -> Result:
    """RSS and stored state of one unit after a tenth and after all of ``events`` deltas (2 % repeated ids)."""
    import psycopg

    rng = random.Random(7)
    start = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
    step = dt.timedelta(days=360) / events
    fresh = [
        Observation(id=f"pay:{n}", source="bench", metric="fee.paid", unit=unit, ts=start + n * step, kind="delta", value=1.0)
        for n in range(events - events // 50)
    ]
    stream = fresh + rng.sample(fresh, events // 50)
    rng.shuffle(stream)
    deltas = pairs(stream)
    del fresh, stream
    tenth = len(deltas) // 10
    home = Path(tempfile.mkdtemp(prefix="qndti-bench-one-unit-"))
    try:
        with stack() as s:
            prefix = f"bench{uuid.uuid4().hex[:6]}"
            topics = create_topics(s.bootstrap, prefix)
            database = s.fresh_database()
            asyncio.run(preload(s.bootstrap, topics.observations, deltas))
            worker = Worker.make(s, database, prefix, home, None).start()
            try:
                log(f"worker commits {tenth:,} deltas")
                wait_committed(worker, tenth, timeout=3600)
                rss_tenth = worker.rss()
                with psycopg.connect(database) as conn:
                    state_tenth = conn.execute(STATE_BYTES, {"u": unit}).fetchone()[0]  # type: ignore[index]
                log(f"worker drains the other {len(deltas) - tenth:,}")
                drain = wait_drained(worker, s.bootstrap, topics, len(deltas), timeout=3600)
                rss_end = worker.rss()
                with psycopg.connect(database) as conn:
                    state_end = conn.execute(STATE_BYTES, {"u": unit}).fetchone()[0]  # type: ignore[index]
                    counted = conn.execute(
                        "SELECT value FROM dti.state_cell WHERE unit_code = %s AND metric_code = 'fee.paid'", (unit,)
                    ).fetchall()
            finally:
                worker.stop()
        unique = events - events // 50
        ratio = rss_end / rss_tenth
        state_ratio = state_end / state_tenth
        return Result(
            name="memory-one-unit",
            value=rss_end / MB,
            unit=f"MB RSS after {len(deltas):,} deltas to one unit",
            anchor=f"RSS after {tenth:,}",
            anchor_value=rss_tenth / MB,
            goal="flat: RSS and stored state end / after a tenth <= 1.1; total = unique ids",
            met=ratio <= 1.1 and state_ratio <= 1.1 and sum(v for (v,) in counted) == unique,
            details={
                "state_bytes_tenth": state_tenth,
                "state_bytes_end": state_end,
                "state_ratio": state_ratio,
                "counted_total": sum(v for (v,) in counted),
                "unique_ids": unique,
                "drain_per_s": drain.rate(len(deltas)),
            },
        )
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    p = parser(__doc__)
    p.add_argument("--events", type=int, help="N (default: the worker's batch size; with --one-unit 1,000,000)")
    p.add_argument("--minutes", type=float, default=1.0, help="soak length (0: no soak)")
    p.add_argument("--rate", type=float, default=200.0, help="soak events/s")
    p.add_argument("--units", type=int, default=500)
    p.add_argument("--one-unit", action="store_true", help="N deltas (default 1,000,000) to one unit instead")
    args = p.parse_args()
    if args.one_unit:
        emit(one_unit(args.events or 1_000_000), args.json)
    else:
        emit(run(args.events or batch_size(), args.minutes, args.rate, args.units), args.json)
