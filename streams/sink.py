"""The database sink: one transaction per batch of idempotent upserts of absolute indicator values.

A row replaces the stored one for the same indicator, unit and time bucket only when its unit-state version is
not older, so replays, duplicate deliveries and a rebalance's overlap rewrite the same rows. While the database
is down the sink retries with capped exponential backoff, holding the batch (and so its Kafka offsets).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import Callable, Sequence

import psycopg

from streams.rows import IndicatorRow

_UPSERT = """
INSERT INTO dti.indicator_value
    (indicator_code, unit_code, bucket, period, ts, value, numerator, denominator, version, written_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, now())
ON CONFLICT (indicator_code, unit_code, bucket) DO UPDATE SET
    period = EXCLUDED.period, ts = EXCLUDED.ts, value = EXCLUDED.value, numerator = EXCLUDED.numerator,
    denominator = EXCLUDED.denominator, version = EXCLUDED.version, written_at = EXCLUDED.written_at
WHERE dti.indicator_value.version <= EXCLUDED.version
"""


def bucket_of(ts: dt.datetime, size: dt.timedelta) -> dt.datetime:
    """The start of the time bucket of ``size`` (aligned to the UTC epoch) that ``ts`` falls in."""
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return epoch + ((ts - epoch) // size) * size


def latest_per_key(rows: Sequence[IndicatorRow], bucket: dt.timedelta) -> list[IndicatorRow]:
    """Keep the newest version of each (indicator, unit, bucket): one upsert per key and batch."""
    newest: dict[tuple[str, str, dt.datetime], IndicatorRow] = {}
    for row in rows:
        key = (row.indicator_code, row.unit_code, bucket_of(row.ts, bucket))
        if key not in newest or newest[key].version <= row.version:
            newest[key] = row
    return list(newest.values())


class PostgresSink:
    """Writes indicator rows to ``dti.indicator_value``; reconnects and retries while the database is down."""

    def __init__(
        self,
        database_url: str,
        *,
        bucket: dt.timedelta = dt.timedelta(hours=1),
        max_backoff: float = 10.0,
        on_retry: Callable[[Exception, float], None] | None = None,
    ) -> None:
        self._url = database_url
        self._bucket = bucket
        self._max_backoff = max_backoff
        self._on_retry = on_retry
        self._conn: psycopg.AsyncConnection[tuple[object, ...]] | None = None

    async def _connection(self) -> psycopg.AsyncConnection[tuple[object, ...]]:
        if self._conn is None or self._conn.closed:
            self._conn = await psycopg.AsyncConnection.connect(self._url, connect_timeout=5)
        return self._conn

    async def write(self, rows: Sequence[IndicatorRow]) -> int:
        """Upsert ``rows`` in one transaction, retrying until the database accepts them; return rows sent."""
        batch = latest_per_key(rows, self._bucket)
        if not batch:
            return 0
        params = [
            (
                r.indicator_code,
                r.unit_code,
                bucket_of(r.ts, self._bucket),
                r.period,
                r.ts,
                r.value,
                r.numerator,
                r.denominator,
                r.version,
            )
            for r in batch
        ]
        delay = 0.2
        while True:
            try:
                conn = await self._connection()
                async with conn.transaction(), conn.cursor() as cur:
                    await cur.executemany(_UPSERT, params)
                return len(batch)
            except psycopg.OperationalError as exc:
                await self._drop()
                if self._on_retry is not None:
                    self._on_retry(exc, delay)
                # Full jitter keeps several workers from hammering a database that is coming back.
                await asyncio.sleep(random.uniform(0, delay))  # noqa: S311 - jitter, not cryptography
                delay = min(delay * 2, self._max_backoff)

    async def _drop(self) -> None:
        if self._conn is not None:
            try:
                await self._conn.close()
            finally:
                self._conn = None

    async def close(self) -> None:
        """Close the connection."""
        await self._drop()
