"""Unit state as rows: loaded in bulk for the units a batch needs, written back only where a batch changed it.

Tables (migration ``0008.worker-state``): ``dti.state_unit`` (version), ``dti.state_cell`` (own metric cells),
``dti.state_contribution`` (children's inputs) and ``dti.state_indicator`` (evaluation memory), plus
``dti.delta_id``, the ids of delta observations already counted.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any

import psycopg

from streams.rows import StateCellRow, StateContributionRow, StateIndicatorRow, StateRow, StateUnitRow
from streams.sink import Connection
from streams.state import Cell, Contribution, Counted, UnitState, dump_memory, load_memory


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
            "SELECT unit_code, metric_code, period, ts, value, revision FROM dti.state_cell WHERE unit_code = ANY(%s)",
            (codes,),
        )
        for unit, metric, period, ts, value, revision in await _rows(cur):
            states[str(unit)].own[(str(metric), int(period))] = Cell(ts=ts, value=float(value), revision=int(revision))
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


async def counted_figures(conn: Connection, figures: Collection[str]) -> dict[str, Counted]:
    """Those of the delta ``figures`` already counted, as they were counted (``dti.delta_id``)."""
    if not figures:
        return {}
    async with conn.cursor() as cur:
        await cur.execute(
            "SELECT id, revision, metric_code, period, value FROM dti.delta_id WHERE id = ANY(%s)", (list(figures),)
        )
        rows = await _rows(cur)
    return {
        str(figure): Counted(int(revision), metric or "", int(period or 0), float(value or 0.0))
        for figure, revision, metric, period, value in rows
    }


async def store_deltas(conn: Connection, deltas: Mapping[str, tuple[str, Counted]]) -> int:
    """Record the delta figures a batch counted or revised, inside its transaction; return how many were taken.

    A figure is taken when it is new or its stored revision is lower; fewer than ``len(deltas)`` means another
    worker counted some of them meanwhile.
    """
    if not deltas:
        return 0
    columns: list[list[object]] = [[], [], [], [], [], []]
    for figure, (unit, c) in deltas.items():
        for column, value in zip(columns, (figure, unit, c.revision, c.metric, c.period, c.value), strict=True):
            column.append(value)
    async with conn.cursor() as cur:
        await cur.execute(
            "INSERT INTO dti.delta_id (id, unit_code, revision, metric_code, period, value)"
            " SELECT * FROM unnest(%s::text[], %s::text[], %s::int8[], %s::text[], %s::int4[], %s::float8[])"
            " ON CONFLICT (id) DO UPDATE SET revision = EXCLUDED.revision, metric_code = EXCLUDED.metric_code,"
            " period = EXCLUDED.period, value = EXCLUDED.value, counted_at = now()"
            " WHERE dti.delta_id.revision < EXCLUDED.revision",
            columns,
        )
        # Rows inserted or updated: a figure another worker counted at this revision or above is neither.
        return cur.rowcount


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
        yield StateCellRow(unit, metric, period, cell.ts, cell.value, cell.revision)
    for indicator, period, child in state.changed_contributions:
        c = state.children[(indicator, period)][child]
        yield StateContributionRow(unit, indicator, period, child, c.version, c.ts, c.numerator, c.denominator, c.seen)
    for indicator in state.changed_memory:
        yield StateIndicatorRow(unit, indicator, dump_memory(state.memory[indicator]))
