"""Insert-only tables on a real database: copied straight in until a batch repeats a stored key.

A repeated key undoes only that copy (a savepoint); the batch then goes the staged way, which skips the keys
stored before, and so do the next batches until one holds no such key.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import psycopg
import pytest

from index_engine.observation import Observation
from streams.rows import MetricRow, Row
from streams.sink import prepare, table_params, write_params

pytestmark = pytest.mark.integration

T = dt.datetime(2023, 6, 30, 3, 0, tzinfo=dt.UTC)
OBSERVATION = "dti.observation"


def obs(n: int, value: float = 1.0) -> Observation:
    return Observation(
        id=f"obs-{n}", source="test", metric="dossier.processed", unit="HALONG", ts=T, kind="gauge", value=value
    )


def write_batches(url: str, batches: list[list[Row]]) -> list[tuple[set[str], int]]:
    """Write each batch in a transaction of its own; per batch, the tables then repeating and the rows staged."""

    async def run() -> list[tuple[set[str], int]]:
        repeating: set[str] = set()
        seen: list[tuple[set[str], int]] = []
        async with await psycopg.AsyncConnection.connect(url) as conn:
            await prepare(conn, "copy")
            for rows in batches:
                async with conn.transaction():
                    await write_params(conn, table_params(rows, dt.timedelta(hours=1)), "copy", repeating)
                    # The staging table empties at commit: read inside the transaction.
                    staged = await (await conn.execute("SELECT count(*) FROM stage_observation")).fetchone()
                seen.append((set(repeating), int(staged[0]) if staged else -1))
        return seen

    return asyncio.run(run())


def stored(url: str) -> dict[str, float]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT id, value FROM dti.observation").fetchall()
    return {str(i): float(v) for i, v in rows}


def test_a_repeated_key_sends_its_batch_the_staged_way_and_loses_nothing(database_url: str) -> None:
    metric = MetricRow("dossier.processed", "HALONG", 2023, T, 7.0, 1)
    seen = write_batches(
        database_url,
        [
            [obs(1), obs(2)],  # copied straight in
            [metric, obs(2, value=5.0), obs(3)],  # obs-2 is stored: this copy is undone, the batch staged
            [obs(4)],  # staged once more: it holds no stored key, so the next is copied straight
            [obs(5), obs(6), obs(5, value=9.0)],  # a key twice in one batch fails the copy too
            [obs(7)],
            [obs(8)],
        ],
    )
    assert seen == [(set(), 0), ({OBSERVATION}, 2), (set(), 1), ({OBSERVATION}, 3), (set(), 1), (set(), 0)]
    assert stored(database_url) == {f"obs-{n}": 1.0 for n in range(1, 9)}
    with psycopg.connect(database_url) as conn:
        # Written before the undone copy, in the same transaction: the savepoint left it in place.
        kept = conn.execute("SELECT value FROM dti.metric_value WHERE unit_code = 'HALONG'").fetchall()
    assert kept == [(7.0,)]


def test_without_a_record_of_repeats_every_batch_is_staged(database_url: str) -> None:
    async def run() -> int:
        async with await psycopg.AsyncConnection.connect(database_url) as conn:
            await prepare(conn, "copy")
            async with conn.transaction():
                await write_params(conn, table_params([obs(1)], dt.timedelta(hours=1)), "copy")
                staged = await (await conn.execute("SELECT count(*) FROM stage_observation")).fetchone()
        return int(staged[0]) if staged else -1

    assert asyncio.run(run()) == 1
    assert stored(database_url) == {"obs-1": 1.0}
