"""The database sink: one transaction per batch of idempotent upserts of absolute values.

A row replaces the stored one with the same key (indicator or metric, unit and time bucket, …) only when its
version is not older, so replays, duplicate deliveries and a rebalance's overlap rewrite the same rows. Each
batch is copied (binary COPY) into a temporary staging table and upserted from there with one ``INSERT … ON
CONFLICT`` per table, which also keeps the table's current rows (:class:`streams.tables.Current`);
``mode="plain"`` uses ``executemany`` instead, for engines that cannot COPY, and leaves the current rows to the
row triggers. The caller owns the transaction (the worker's checkpoint commits a batch's rows with its offsets)
and its retries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Literal

import psycopg

from streams.rows import Row
from streams.tables import TABLES, Params, Table, bucket_of

__all__ = ["Connection", "SinkMode", "TableParams", "bucket_of", "prepare", "table_params", "write_in", "write_params"]

SinkMode = Literal["copy", "plain"]
Connection = psycopg.AsyncConnection[tuple[object, ...]]
"""The async connection type the sink, the state store and the commit step write through."""

TableParams = list[tuple[Table, list[Params]]]
"""Rows made ready to write: per table, the parameters of the newest version of each key."""


async def _prepare_copy(conn: Connection) -> None:
    """Make the session ready for the COPY path: its staging tables (each commit empties them) and its setting.

    The staged upserts keep the current-row tables too, so the session turns their row triggers off (migration
    0090): ``dti.sink_keeps_current``, a setting of this session only.
    """
    async with conn.transaction():
        for table in TABLES.values():
            await conn.execute(table.create_stage())
        await conn.execute("SET dti.sink_keeps_current = 'on'")


async def prepare(conn: Connection, mode: SinkMode) -> None:
    """Make ``conn`` ready to write in ``mode``.

    ``copy`` needs the session's staging tables; ``plain`` turns server-side prepared statements off, for engines
    such as PGlite that share one backend between clients.
    """
    if mode == "copy":
        await _prepare_copy(conn)
    else:
        conn.prepare_threshold = None


def table_params(rows: Iterable[Row], bucket: dt.timedelta) -> TableParams:
    """Rows of any types grouped by table, as parameters: only the newest version of each key is kept."""
    groups: dict[type[Row], list[Row]] = {}
    for row in rows:
        groups.setdefault(type(row), []).append(row)
    return [(TABLES[kind], TABLES[kind].batch(group, bucket)) for kind, group in groups.items()]


async def write_params(conn: Connection, params: TableParams, mode: SinkMode) -> int:
    """Upsert what :func:`table_params` made, inside the caller's transaction; return the rows sent."""
    for table, values in params:
        await _send(conn, table, values, mode)
    return sum(len(values) for _, values in params)


async def write_in(conn: Connection, rows: Sequence[Row], bucket: dt.timedelta, mode: SinkMode) -> int:
    """Upsert rows of any types inside the caller's transaction; return the rows sent.

    Within the call only the newest version of each key is sent, so the count can be below ``len(rows)``.
    """
    return await write_params(conn, table_params(rows, bucket), mode)


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
