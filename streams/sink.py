"""The database sink: one transaction per batch of idempotent upserts of absolute values.

A row replaces the stored one with the same key (indicator or metric, unit and time bucket, …) only when its
version is not older, so replays, duplicate deliveries and a rebalance's overlap rewrite the same rows. Each
batch is copied (binary COPY) into a temporary staging table and upserted from there with one ``INSERT … ON
CONFLICT`` per table, which also keeps the table's current rows (:class:`streams.tables.Current`);
``mode="plain"`` uses ``executemany`` instead, for engines that cannot COPY, and leaves the current rows to the
row triggers. A writer that keeps a record of repeats (the worker) copies insert-only tables straight in
instead (:func:`write_params`). The caller owns the transaction (the worker's checkpoint commits a batch's rows
with its offsets) and its retries.
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
Cursor = psycopg.AsyncCursor[tuple[object, ...]]

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


async def write_params(conn: Connection, params: TableParams, mode: SinkMode, repeating: set[str] | None = None) -> int:
    """Upsert what :func:`table_params` made, inside the caller's transaction; return the rows sent.

    With ``repeating`` (kept by the caller from one batch to the next), an insert-only table is copied straight
    in unless its last batch brought back rows it held already; see :func:`_insert_straight`.
    """
    for table, values in params:
        if repeating is not None and mode == "copy" and not table.updates and table.name not in repeating:
            if await _insert_straight(conn, table, values):
                continue
            repeating.add(table.name)
        inserted = await _send(conn, table, values, mode)
        if repeating is not None and inserted == len(values):
            repeating.discard(table.name)
    return sum(len(values) for _, values in params)


async def write_in(conn: Connection, rows: Sequence[Row], bucket: dt.timedelta, mode: SinkMode) -> int:
    """Upsert rows of any types inside the caller's transaction; return the rows sent.

    Within the call only the newest version of each key is sent, so the count can be below ``len(rows)``.
    """
    return await write_params(conn, table_params(rows, bucket), mode)


async def _send(conn: Connection, table: Table, params: list[Params], mode: SinkMode) -> int:
    """Write ``params`` to ``table``; return the rows the database reports written (``plain``: all of them)."""
    async with conn.cursor() as cur:
        if mode == "plain":
            await cur.executemany(table.upsert_values(), params)
            return len(params)
        await _copy(cur, table.copy(), table, params)
        await cur.execute(table.upsert_staged())
        return cur.rowcount


async def _insert_straight(conn: Connection, table: Table, params: list[Params]) -> bool:
    """COPY ``params`` straight into an insert-only ``table``; False, and nothing written, if a key is stored.

    COPY has no ``ON CONFLICT``: a key the table holds already, or a key twice in ``params``, fails it, and the
    savepoint around it undoes only this copy (the caller then writes the rows the staged way, which keeps the
    first row of each key). Without staging table and upsert, the database does about a third less work per
    observation.
    """
    try:
        async with conn.transaction(), conn.cursor() as cur:
            await _copy(cur, table.copy_straight(), table, params)
    except psycopg.errors.UniqueViolation:
        return False
    return True


async def _copy(cur: Cursor, statement: str, table: Table, params: list[Params]) -> None:
    async with cur.copy(statement) as copy:
        copy.set_types(table.types)
        for values in params:
            await copy.write_row(values)
