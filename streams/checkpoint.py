"""The commit step: a batch's rows, its state changes and its consumed offsets made durable in one transaction.

Offsets live in ``dti.consumer_offset`` (group, topic, partition, next offset). Each partition's update is a
compare-and-set on the offset the batch started from (one statement for all of a batch's partitions), so a worker
that lost its partitions (paused, cut off, ejected from the group) cannot commit a batch that another worker
already applied: the transaction rolls back with :class:`~streams.errors.OffsetMoved`. The batch's delta figures
go to ``dti.delta_id`` in the same transaction (:func:`streams.store.store_deltas`); one another worker counted
meanwhile rolls it back with :class:`~streams.errors.AlreadyCounted`. So a delta is counted once however often its
batch is tried.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from streams.errors import AlreadyCounted, OffsetMoved
from streams.sink import Connection, SinkMode, TableParams, write_params
from streams.state import Counted
from streams.store import store_deltas

Partition = tuple[str, int]
"""A topic and a partition number."""


async def stored_offsets(conn: Connection, group: str, partitions: Iterable[Partition]) -> dict[Partition, int]:
    """The next offsets stored for ``group``; partitions never committed are left out."""
    wanted = set(partitions)
    if not wanted:
        return {}
    async with conn.cursor() as cur:
        await cur.execute("SELECT topic, partition, next_offset FROM dti.consumer_offset WHERE group_id = %s", (group,))
        rows: list[Any] = list(await cur.fetchall())
    found = {(str(topic), int(part)): int(offset) for topic, part, offset in rows}
    return {tp: offset for tp, offset in found.items() if tp in wanted}


@dataclass(slots=True)
class Checkpoint:
    """What one batch consumed and what it changed, committed together by :meth:`commit`.

    ``starts`` holds, per partition, the stored offset the batch started from (``None``: nothing stored yet);
    ``ends`` the next offset to store; ``deltas`` the delta figures the batch counted or revised, by figure.
    """

    group: str
    starts: Mapping[Partition, int | None]
    ends: Mapping[Partition, int]
    params: TableParams = field(default_factory=list)
    """The batch's rows, made ready to write (:func:`streams.sink.table_params`) before the commit starts."""
    deltas: Mapping[str, tuple[str, Counted]] = field(default_factory=dict)

    async def commit(self, conn: Connection, mode: SinkMode, repeating: set[str] | None = None) -> int:
        """Write the rows and advance the offsets in one transaction of their own; return the rows sent."""
        async with conn.transaction():
            return await self.write(conn, mode, repeating)

    async def write(self, conn: Connection, mode: SinkMode, repeating: set[str] | None = None) -> int:
        """Advance the offsets, write the rows and the delta figures inside the caller's transaction.

        Returns the rows sent. ``repeating`` is the writer's record of insert-only tables whose last batch held
        stored keys (:func:`streams.sink.write_params`).
        """
        await _advance(conn, self.group, self.starts, self.ends)
        written = await write_params(conn, self.params, mode, repeating)
        taken = await store_deltas(conn, self.deltas)
        if taken != len(self.deltas):
            raise AlreadyCounted(f"{len(self.deltas) - taken} delta figures were counted by another worker")
        return written


_ADVANCE = """
WITH batch (topic, partition, start, next_offset) AS (
    SELECT * FROM unnest(%(topics)s::text[], %(partitions)s::int4[], %(starts)s::int8[], %(ends)s::int8[])
), moved AS (
    UPDATE dti.consumer_offset AS stored SET next_offset = batch.next_offset, updated_at = now()
    FROM batch
    WHERE stored.group_id = %(group)s AND stored.topic = batch.topic AND stored.partition = batch.partition
      AND stored.next_offset = batch.start
    RETURNING stored.topic, stored.partition
), started AS (
    INSERT INTO dti.consumer_offset (group_id, topic, partition, next_offset)
    SELECT %(group)s, topic, partition, next_offset FROM batch WHERE start IS NULL
    ON CONFLICT DO NOTHING
    RETURNING topic, partition
)
SELECT topic, partition FROM moved UNION ALL SELECT topic, partition FROM started
"""
"""Every partition's compare-and-set in one statement: moved from its start, or stored for the first time."""


async def _advance(
    conn: Connection, group: str, starts: Mapping[Partition, int | None], ends: Mapping[Partition, int]
) -> None:
    """Store ``ends`` where the stored offsets are still ``starts``; :class:`OffsetMoved` for the first that is not."""
    if not ends:
        return
    wanted = list(ends)
    async with conn.cursor() as cur:
        await cur.execute(
            _ADVANCE,
            {
                "group": group,
                "topics": [topic for topic, _ in wanted],
                "partitions": [partition for _, partition in wanted],
                "starts": [starts.get(tp) for tp in wanted],
                "ends": [ends[tp] for tp in wanted],
            },
        )
        rows: list[Any] = list(await cur.fetchall())
    advanced = {(str(topic), int(partition)) for topic, partition in rows}
    for topic, partition in wanted:
        if (topic, partition) not in advanced:
            raise OffsetMoved(topic, partition, starts.get((topic, partition)))
