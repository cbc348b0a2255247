"""The commit step: a batch's rows, its state changes and its consumed offsets made durable in one transaction.

Offsets live in ``dti.consumer_offset`` (group, topic, partition, next offset). Each partition's update is a
compare-and-set on the offset the batch started from, so a worker that lost its partitions (paused, cut off,
ejected from the group) cannot commit a batch that another worker already applied: the transaction rolls back
with :class:`~streams.errors.OffsetMoved`. The batch's delta figures go to ``dti.delta_id`` in the same
transaction (:func:`streams.store.store_deltas`); one another worker counted meanwhile rolls it back with
:class:`~streams.errors.AlreadyCounted`. So a delta is counted once however often its batch is tried.
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

    async def commit(self, conn: Connection, mode: SinkMode) -> int:
        """Write the rows and advance the offsets in one transaction of their own; return the rows sent."""
        async with conn.transaction():
            return await self.write(conn, mode)

    async def write(self, conn: Connection, mode: SinkMode) -> int:
        """Advance the offsets, write the rows and the delta figures inside the caller's transaction.

        Returns the rows sent.
        """
        for tp, end in self.ends.items():
            await _advance(conn, self.group, tp, self.starts.get(tp), end)
        written = await write_params(conn, self.params, mode)
        taken = await store_deltas(conn, self.deltas)
        if taken != len(self.deltas):
            raise AlreadyCounted(f"{len(self.deltas) - taken} delta figures were counted by another worker")
        return written


async def _advance(conn: Connection, group: str, tp: Partition, start: int | None, end: int) -> None:
    topic, partition = tp
    async with conn.cursor() as cur:
        if start is None:
            await cur.execute(
                "INSERT INTO dti.consumer_offset (group_id, topic, partition, next_offset) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                (group, topic, partition, end),
            )
        else:
            await cur.execute(
                "UPDATE dti.consumer_offset SET next_offset = %s, updated_at = now()"
                " WHERE group_id = %s AND topic = %s AND partition = %s AND next_offset = %s",
                (end, group, topic, partition, start),
            )
        if cur.rowcount != 1:
            raise OffsetMoved(topic, partition, start)
