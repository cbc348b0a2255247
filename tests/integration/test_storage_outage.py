"""The sink through a 30-second database outage: every batch is held and retried, nothing is lost or doubled."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path

import psycopg
import pytest

from qndti.stack.postgres import EmbeddedPostgres
from streams.db import migrate
from streams.rows import IndicatorRow, ObservationRow, Row
from streams.sink import PostgresSink
from tests.conftest import free_port

pytestmark = pytest.mark.integration

UNITS = [f"U{n:02d}" for n in range(10)]
BATCHES = 150
OUTAGE = 30.0
T0 = dt.datetime(2023, 6, 30, 0, 0, tzinfo=dt.UTC)


def batch(i: int) -> list[Row]:
    """Batch ``i``: new values (version i) for this hour's keys, new observations, and batch i-1 redelivered."""
    rows: list[Row] = []
    for j in (i - 1, i) if i else (i,):
        ts = T0 + dt.timedelta(hours=j // 10, minutes=j % 10)
        for unit in UNITS:
            rows.append(IndicatorRow("CQS-04", unit, 2023, ts, float(j), float(j), 100.0, j))
            rows.append(ObservationRow(f"{unit}:{j}", "sim", "dossier.processed", unit, ts, "cumulative", j))
    return rows


def test_nothing_is_lost_or_doubled_while_the_database_is_down(tmp_path: Path) -> None:
    server = EmbeddedPostgres(home=tmp_path / "postgres", port=free_port())
    server.start()
    try:
        migrate(server.url)
        retries: list[float] = []
        sink = PostgresSink(server.url, max_backoff=2.0, on_retry=lambda exc, delay: retries.append(delay))
        down_for: list[float] = []
        written: list[int] = []
        written_before_restart: list[int] = []

        async def stream() -> None:
            for i in range(BATCHES):
                written.append(await sink.write_rows(batch(i)))
                await asyncio.sleep(0.05)

        async def outage() -> None:
            await asyncio.sleep(1.5)
            await asyncio.to_thread(server.stop)
            stopped = time.monotonic()
            await asyncio.sleep(OUTAGE)
            written_before_restart.append(len(written))
            await asyncio.to_thread(server.start)
            down_for.append(time.monotonic() - stopped)

        async def run() -> None:
            try:
                await asyncio.gather(stream(), outage())
            finally:
                await sink.close()

        asyncio.run(run())
        with psycopg.connect(server.url) as conn:
            observations = conn.execute("SELECT count(*), count(DISTINCT id) FROM dti.observation").fetchone()
            values = conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE version = (extract(hour FROM bucket)::int * 10 + 9)"
                " AND value = version AND numerator = version) FROM dti.indicator_value"
            ).fetchone()
    finally:
        server.stop()
    assert len(down_for) == 1
    assert down_for[0] >= OUTAGE
    # The stream was under way on both sides of the outage, and the sink retried through it.
    assert 0 < written_before_restart[0] < BATCHES
    assert retries
    assert observations == (BATCHES * len(UNITS), BATCHES * len(UNITS))
    # One row per unit and hour, each holding the newest version of its hour.
    assert values == (BATCHES // 10 * len(UNITS), BATCHES // 10 * len(UNITS))
