"""Task state as rows: the stored state of the tasks a batch or a sweep needs, and the report ids seen before."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import fields, replace
from typing import Any, Final

from streams.rows import TaskStateRow
from streams.sink import Connection
from streams.tasks import TaskCurrent, current_of

_COLUMNS: Final = ", ".join(f.name for f in fields(TaskStateRow))


async def load_tasks(conn: Connection, codes: Collection[str]) -> dict[str, TaskCurrent]:
    """The stored state of each of ``codes`` that has one (``dti.task_state``)."""
    if not codes:
        return {}
    async with conn.cursor() as cur:
        # The column list comes from the row type, never from data.
        await cur.execute(f"SELECT {_COLUMNS} FROM dti.task_state WHERE task_code = ANY(%s)", (list(codes),))  # noqa: S608
        rows: list[Any] = list(await cur.fetchall())
    out = {}
    for values in rows:
        read = TaskStateRow(*values)
        # Arrays come back as lists: the row is compared with the next evaluation's to write only changes.
        out[read.task_code] = current_of(replace(read, alerts_open=tuple(read.alerts_open)))
    return out


async def seen_reports(conn: Connection, reports: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
    """Those of ``(task code, report id)`` already received (``dti.task_report``)."""
    if not reports:
        return set()
    codes, ids = zip(*reports, strict=True)
    async with conn.cursor() as cur:
        await cur.execute(
            "SELECT task_code, report_id FROM dti.task_report t"
            " JOIN unnest(%s::text[], %s::text[]) AS w (c, i) ON t.task_code = w.c AND t.report_id = w.i",
            (list(codes), list(ids)),
        )
        rows: list[Any] = list(await cur.fetchall())
    return {(str(c), str(i)) for c, i in rows}
