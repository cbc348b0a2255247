"""The current-row tables (migration 0030) always equal the newest row per key of their history, on both flavours.

The oracle is a plain DISTINCT ON over each base table, the form the views had before; the writes come in shuffled
order, with updates of existing rows, the newest rows deleted, and a status moved to another period.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import psycopg
import pytest

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
