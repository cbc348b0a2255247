"""Unit state as rows: loaded in bulk for the units a batch needs, written back only where a batch changed it.

Tables (migration ``0008.worker-state``): ``dti.state_unit`` (version), ``dti.state_cell`` (own metric cells),
``dti.state_contribution`` (children's inputs) and ``dti.state_indicator`` (evaluation memory), plus
``dti.delta_id``, the ids of delta observations already counted.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

import psycopg

from streams.rows import StateCellRow, StateContributionRow, StateIndicatorRow, StateRow, StateUnitRow
from streams.state import Cell, Contribution, UnitState, dump_memory, load_memory

Connection = psycopg.AsyncConnection[tuple[object, ...]]


async def load_units(conn: Connection, units: Collection[str]) -> dict[str, UnitState]:
    """The stored state of each of ``units``; a unit with no rows gets an empty state."""
    codes = list(units)
    states = {code: UnitState() for code in codes}
    if not codes:
        return states
    async with conn.cursor() as cur:
        await cur.execute("SELECT unit_code, version FROM dti.state_unit WHERE unit_code = ANY(%s)", (codes,))
        for unit, version in await _rows(cur):
            states[str(unit)].version = int(version)
        await cur.execute(
            "SELECT unit_code, metric_code, period, ts, value FROM dti.state_cell WHERE unit_code = ANY(%s)", (codes,)
        )
        for unit, metric, period, ts, value in await _rows(cur):
            states[str(unit)].own[(str(metric), int(period))] = Cell(ts=ts, value=float(value))
        await cur.execute(
            "SELECT parent_code, indicator_code, period, child_code, version, ts, numerator, denominator, seen"
            " FROM dti.state_contribution WHERE parent_code = ANY(%s)",
            (codes,),
        )
        for parent, indicator, period, child, version, ts, numerator, denominator, seen in await _rows(cur):
            by_child = states[str(parent)].children.setdefault((str(indicator), int(period)), {})
            by_child[str(child)] = Contribution(version, ts, numerator, denominator, seen)
        await cur.execute(
            "SELECT unit_code, indicator_code, memory FROM dti.state_indicator WHERE unit_code = ANY(%s)", (codes,)
        )
        for unit, indicator, memory in await _rows(cur):
            states[str(unit)].memory[str(indicator)] = load_memory(bytes(memory))
    return states


async def count_new(conn: Connection, deltas: Collection[tuple[str, str]]) -> set[str]:
    """Insert the (id, unit) of delta observations into ``dti.delta_id``; return the ids that were not there yet.

    Run it inside the batch's transaction: the ids count only if the batch commits. An id another transaction is
    inserting makes this wait for that transaction's end; an id already there means another worker counted it.
    """
    if not deltas:
        return set()
    ids = [i for i, _ in deltas]
    units = [u for _, u in deltas]
    async with conn.cursor() as cur:
        await cur.execute(
            "INSERT INTO dti.delta_id (id, unit_code) SELECT * FROM unnest(%s::text[], %s::text[])"
            " ON CONFLICT DO NOTHING RETURNING id",
            (ids, units),
        )
        return {str(row[0]) for row in await _rows(cur)}


async def counted_ids(conn: Connection, ids: Collection[str]) -> set[str]:
    """Those of ``ids`` already counted (in ``dti.delta_id``)."""
    if not ids:
        return set()
    async with conn.cursor() as cur:
        await cur.execute("SELECT id FROM dti.delta_id WHERE id = ANY(%s)", (list(ids),))
        return {str(row[0]) for row in await _rows(cur)}


async def _rows(cur: psycopg.AsyncCursor[tuple[object, ...]]) -> list[Any]:
    """The rows of the last query, as the plain values the database gave (typed by the query, not by psycopg)."""
    return list(await cur.fetchall())


def state_rows(unit: str, state: UnitState) -> Iterator[StateRow]:
    """The rows of what changed in ``unit``'s state since it was last written."""
    if not state.changed:
        return
    yield StateUnitRow(unit, state.version)
    for metric, period in state.changed_cells:
        cell = state.own[(metric, period)]
        yield StateCellRow(unit, metric, period, cell.ts, cell.value)
    for indicator, period, child in state.changed_contributions:
        c = state.children[(indicator, period)][child]
        yield StateContributionRow(unit, indicator, period, child, c.version, c.ts, c.numerator, c.denominator, c.seen)
    for indicator in state.changed_memory:
        yield StateIndicatorRow(unit, indicator, dump_memory(state.memory[indicator]))
