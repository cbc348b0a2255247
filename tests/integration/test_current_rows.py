"""The current-row tables (migration 0030) always equal the newest row per key of their history, on both flavours.

The oracle is a plain DISTINCT ON over each base table, the form the views had before; the writes come in shuffled
order, with updates of existing rows, the newest rows deleted, and a status moved to another period. The sink's
staged upserts keep the current rows themselves, with the row triggers off for their session (migration 0090):
its batches, stale versions among them, are checked against the same oracle, and so are writes by hand after them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from typing import Any

import psycopg
import pytest

from streams.rows import IndicatorRow, Row, StatusRow, UnitScoreRow
from streams.sink import prepare, table_params, write_in
from tests.integration.timescale_engine import flavour_database, timescale, timescale_installed

__all__ = ["flavour_database", "timescale", "timescale_installed"]

pytestmark = pytest.mark.integration

T0 = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
ORACLES = {
    "indicator_value_current": (
        "SELECT DISTINCT ON (indicator_code, unit_code) indicator_code, unit_code, bucket, ts, value"
        " FROM dti.indicator_value ORDER BY indicator_code, unit_code, bucket DESC, ts DESC",
        "SELECT indicator_code, unit_code, bucket, ts, value FROM dti.indicator_value_current",
    ),
    "indicator_status_current": (
        "SELECT DISTINCT ON (indicator_code, unit_code, period) indicator_code, unit_code, period, bucket, status"
        " FROM dti.indicator_status ORDER BY indicator_code, unit_code, period, bucket DESC, ts DESC",
        "SELECT indicator_code, unit_code, period, bucket, status FROM dti.indicator_status_current",
    ),
    "unit_score_current": (
        "SELECT DISTINCT ON (unit_code, pillar) unit_code, pillar, bucket, score FROM dti.unit_score"
        " ORDER BY unit_code, pillar, bucket DESC, ts DESC",
        "SELECT unit_code, pillar, bucket, score FROM dti.unit_score_current",
    ),
    "alert_current": (
        "SELECT DISTINCT ON (indicator_code, unit_code, kind) indicator_code, unit_code, kind, ts, action"
        " FROM dti.alert ORDER BY indicator_code, unit_code, kind, ts DESC, action DESC",
        "SELECT indicator_code, unit_code, kind, ts, action FROM dti.alert_current",
    ),
}


def _connect(url: str) -> psycopg.Connection[tuple[Any, ...]]:
    # No server-side prepared statements: the TimescaleDB engine shares one backend between clients.
    return psycopg.connect(url, prepare_threshold=None, autocommit=True)


def _check(conn: psycopg.Connection[tuple[Any, ...]]) -> None:
    for table, (oracle, current) in ORACLES.items():
        assert sorted(conn.execute(current).fetchall()) == sorted(conn.execute(oracle).fetchall()), table


def _writes() -> list[tuple[str, tuple[Any, ...]]]:
    rng = random.Random(30)
    writes: list[tuple[str, tuple[Any, ...]]] = []
    for indicator in ("CQS-04", "KTS-02"):
        for unit in ("QN", "HALONG"):
            for hour in range(12):
                bucket = T0 + dt.timedelta(hours=hour)
                writes.append(
                    (
                        """INSERT INTO dti.indicator_value (indicator_code, unit_code, bucket, period, ts, value,
                               numerator, denominator, version) VALUES (%s, %s, %s, 2024, %s, %s, 1, 1, 1)
                           ON CONFLICT (indicator_code, unit_code, bucket) DO UPDATE SET value = EXCLUDED.value,
                               ts = EXCLUDED.ts""",
                        (indicator, unit, bucket, bucket + dt.timedelta(minutes=rng.randrange(60)), float(hour)),
                    )
                )
                writes.append(
                    (
                        """INSERT INTO dti.indicator_status (indicator_code, unit_code, bucket, period, ts, status,
                               fresh, version) VALUES (%s, %s, %s, %s, %s, %s, true, 1)
                           ON CONFLICT (indicator_code, unit_code, bucket) DO UPDATE SET status = EXCLUDED.status""",
                        (indicator, unit, bucket, 2023 + hour % 2, bucket, rng.choice(["on_track", "at_risk"])),
                    )
                )
                writes.append(
                    (
                        """INSERT INTO dti.alert (indicator_code, unit_code, kind, action, ts, status)
                           VALUES (%s, %s, 'worsened', %s, %s, 'at_risk') ON CONFLICT DO NOTHING""",
                        (indicator, unit, rng.choice(["raised", "resolved"]), bucket - dt.timedelta(hours=hour % 3)),
                    )
                )
        for hour in range(12):
            writes.append(
                (
                    """INSERT INTO dti.unit_score (unit_code, pillar, bucket, period, ts, score, version)
                       VALUES ('QN', %s, %s, 2024, %s, %s, 1)
                       ON CONFLICT (unit_code, pillar, bucket) DO UPDATE SET score = EXCLUDED.score""",
                    (indicator[:3], T0 + dt.timedelta(hours=hour), T0 + dt.timedelta(hours=hour), hour / 12),
                )
            )
    rng.shuffle(writes)
    return writes


def test_current_rows_follow_inserts_updates_and_deletes(flavour_database: str) -> None:
    with _connect(flavour_database) as conn:
        writes = _writes()
        for sql, params in writes:
            conn.execute(sql, params)
        _check(conn)
        # The same writes again, in another order, with new values: upserts update the existing rows.
        for sql, params in reversed(writes):
            conn.execute(sql, params)
        _check(conn)
        conn.execute(
            "UPDATE dti.indicator_value SET value = value + 100 WHERE unit_code = 'QN' AND bucket >= %s",
            (T0 + dt.timedelta(hours=10),),
        )
        _check(conn)
        # Deleting the newest rows brings the next newest back; moving a status to another period re-keys it.
        conn.execute("DELETE FROM dti.indicator_value WHERE bucket >= %s", (T0 + dt.timedelta(hours=9),))
        conn.execute("DELETE FROM dti.unit_score WHERE bucket >= %s", (T0 + dt.timedelta(hours=11),))
        conn.execute("DELETE FROM dti.alert WHERE ts >= %s", (T0 + dt.timedelta(hours=10),))
        conn.execute("UPDATE dti.indicator_status SET period = 2030 WHERE bucket = %s", (T0 + dt.timedelta(hours=11),))
        _check(conn)
        conn.execute("DELETE FROM dti.indicator_value WHERE indicator_code = 'KTS-02'")
        _check(conn)
        assert conn.execute("SELECT count(*) FROM dti.indicator_value_current").fetchone() == (2,)


HOUR = dt.timedelta(hours=1)


def _sink_batches() -> list[list[Row]]:
    """Rows as the worker writes them, in six batches: several buckets per key, later versions, stale ones."""
    rng = random.Random(90)
    rows: list[Row] = []
    for version in range(1, 7):
        for indicator in ("CQS-04", "KTS-02"):
            for unit in ("QN", "HALONG"):
                hour = rng.randrange(12)
                ts = T0 + dt.timedelta(hours=hour, minutes=rng.randrange(60))
                value = float(rng.randrange(100))
                rows.append(IndicatorRow(indicator, unit, 2024, ts, value, value, 100.0, version))
                rows.append(
                    StatusRow(
                        indicator,
                        unit,
                        2023 + hour % 2,
                        ts,
                        rng.choice(["on_track", "at_risk"]),
                        value,
                        None,
                        None,
                        None,
                        None,
                        None,
                        None,
                        None,
                        True,
                        version,
                    )
                )
        rows.append(UnitScoreRow("QN", "CQS", 2024, T0 + rng.randrange(12) * HOUR, rng.random(), 1.0, version))
    rng.shuffle(rows)
    batches = [rows[n : n + len(rows) // 6] for n in range(0, len(rows), len(rows) // 6)]
    # The versions of the batches before, again, with other values: older than what is stored, so left out.
    stale = [IndicatorRow(r.indicator_code, r.unit_code, r.period, r.ts, -1.0, None, None, 0)
             for r in rows if isinstance(r, IndicatorRow)]  # fmt: skip
    return [*batches, stale]


async def _write_staged(url: str, batches: list[list[Row]]) -> None:
    """The sink's staged upserts, with its session: rows staged by INSERT, as COPY would stage them.

    The TimescaleDB engine cannot COPY; this runs the sink's own upsert statements on both flavours.
    """
    async with await psycopg.AsyncConnection.connect(url, prepare_threshold=None, autocommit=True) as conn:
        await prepare(conn, "copy")
        for rows in batches:
            async with conn.transaction():
                for table, params in table_params(rows, HOUR):
                    marks = ", ".join(["%s"] * len(table.columns))
                    async with conn.cursor() as cur:
                        await cur.executemany(f"INSERT INTO {table.stage} ({table.names}) VALUES ({marks})", params)
                        await cur.execute(table.upsert_staged())
        # The engine shares one backend between its clients: the next writer must not inherit the sink's session.
        await conn.execute("RESET dti.sink_keeps_current")


def test_the_sinks_staged_upserts_keep_the_current_rows_and_writes_by_hand_still_do(flavour_database: str) -> None:
    asyncio.run(_write_staged(flavour_database, _sink_batches()))
    with _connect(flavour_database) as conn:
        _check(conn)
        assert conn.execute("SELECT count(*) FROM dti.indicator_value_current").fetchone() == (4,)
        assert conn.execute("SELECT count(*) FROM dti.indicator_value WHERE value < 0").fetchone() == (0,)
        # Writes by hand after the sink's: the triggers keep the current rows as before.
        for sql, params in _writes():
            conn.execute(sql, params)
        conn.execute("DELETE FROM dti.indicator_value WHERE bucket >= %s", (T0 + dt.timedelta(hours=9),))
        _check(conn)


def test_the_sinks_copy_path_keeps_the_current_rows(database_url: str) -> None:
    async def write() -> None:
        async with await psycopg.AsyncConnection.connect(database_url) as conn:
            await prepare(conn, "copy")
            for rows in _sink_batches():
                async with conn.transaction():
                    await write_in(conn, rows, HOUR, "copy")

    asyncio.run(write())
    with _connect(database_url) as conn:
        _check(conn)
        assert conn.execute("SELECT count(*) FROM dti.unit_score_current").fetchone() == (1,)
