"""The database sink: one transaction per batch of idempotent upserts of absolute values.

A row replaces the stored one with the same key (indicator or metric, unit and time bucket, …) only when its
version is not older, so replays, duplicate deliveries and a rebalance's overlap rewrite the same rows. Each
batch is copied (binary COPY) into a temporary staging table and upserted from there with one ``INSERT … ON
CONFLICT`` per table; ``mode="plain"`` uses ``executemany`` instead, for engines that cannot COPY. While the
database is down the sink retries with capped exponential backoff, holding the batch (and so its Kafka offsets).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import Callable, Sequence
from typing import Literal

import psycopg

from streams.rows import IndicatorRow, Row
from streams.tables import TABLES, Params, Table, bucket_of

__all__ = ["Connection", "PostgresSink", "SinkMode", "bucket_of", "create_stages", "latest_per_key", "write_in"]

SinkMode = Literal["copy", "plain"]
Connection = psycopg.AsyncConnection[tuple[object, ...]]
"""The async connection type the sink, the state store and the commit step write through."""


async def create_stages(conn: Connection) -> None:
    """Create the session's staging tables (the COPY path); each commit empties them."""
    async with conn.transaction():
        for table in TABLES.values():
            await conn.execute(table.create_stage())


async def write_in(conn: Connection, rows: Sequence[Row], bucket: dt.timedelta, mode: SinkMode) -> int:
    """Upsert rows of any types inside the caller's transaction; return the rows sent.

    Within the call only the newest version of each key is sent, so the count can be below ``len(rows)``.
    """
    groups: dict[type[Row], list[Row]] = {}
    for row in rows:
        groups.setdefault(type(row), []).append(row)
    sent = 0
    for kind, group in groups.items():
        table = TABLES[kind]
        params = table.batch(group, bucket)
        await _send(conn, table, params, mode)
        sent += len(params)
    return sent


async def _send(conn: Connection, table: Table, params: list[Params], mode: SinkMode) -> None:
    """Write ``params`` to ``table``."""
    async with conn.cursor() as cur:
        if mode == "plain":
            await cur.executemany(table.upsert_values(), params)
            return
        async with cur.copy(table.copy()) as copy:
            copy.set_types(table.types)
            for values in params:
                await copy.write_row(values)
        await cur.execute(table.upsert_staged())


def latest_per_key(rows: Sequence[IndicatorRow], bucket: dt.timedelta) -> list[IndicatorRow]:
    """Keep the newest version of each (indicator, unit, bucket): one upsert per key and batch."""
    newest: dict[tuple[str, str, dt.datetime], IndicatorRow] = {}
    for row in rows:
        key = (row.indicator_code, row.unit_code, bucket_of(row.ts, bucket))
        if key not in newest or newest[key].version <= row.version:
            newest[key] = row
    return list(newest.values())


class PostgresSink:
    """Writes rows to schema ``dti``; reconnects and retries while the database is down.

    Args:
        database_url: The PostgreSQL URL (a role that can write the time-series tables).
        bucket: Width of the time buckets of values, statuses and scores.
        max_backoff: Longest wait between two attempts, in seconds.
        on_retry: Called with the error and the backoff before each retry (metrics, logs).
        mode: ``copy`` (binary COPY into staging, then upsert: the fast path) or ``plain`` (``executemany`` and no
            server-side prepared statements: for test engines such as PGlite that cannot COPY).
    """

    def __init__(
        self,
        database_url: str,
        *,
        bucket: dt.timedelta = dt.timedelta(hours=1),
        max_backoff: float = 10.0,
        on_retry: Callable[[Exception, float], None] | None = None,
        mode: SinkMode = "copy",
    ) -> None:
        self._url = database_url
        self._bucket = bucket
        self._max_backoff = max_backoff
        self._on_retry = on_retry
        self._mode = mode
        self._conn: Connection | None = None

    async def _connection(self) -> Connection:
        if self._conn is None or self._conn.closed:
            conn = await psycopg.AsyncConnection.connect(self._url, connect_timeout=5)
            if self._mode == "copy":
                await create_stages(conn)
            else:
                conn.prepare_threshold = None
            self._conn = conn
        return self._conn

    async def write(self, rows: Sequence[IndicatorRow]) -> int:
        """Upsert indicator ``rows`` in one transaction, retrying until the database accepts them; return rows sent."""
        return await self.write_rows(rows)

    async def write_rows(self, rows: Sequence[Row]) -> int:
        """Upsert rows of any types in one transaction, retrying until the database accepts them; return rows sent.

        Within the batch only the newest version of each key is sent, so the count can be below ``len(rows)``.
        """
        if not rows:
            return 0
        delay = 0.2
        while True:
            try:
                conn = await self._connection()
                async with conn.transaction():
                    return await write_in(conn, rows, self._bucket, self._mode)
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
