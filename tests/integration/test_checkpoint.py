"""The commit step's compare-and-set of offsets, on a real database: all partitions move together or none does."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import psycopg
import pytest

from streams.checkpoint import Checkpoint, Partition, stored_offsets
from streams.errors import OffsetMoved

pytestmark = pytest.mark.integration

OBS0, OBS1, ROLLUP0 = ("qndti.observations", 0), ("qndti.observations", 1), ("qndti.rollup", 0)


def commit(url: str, starts: Mapping[Partition, int | None], ends: Mapping[Partition, int]) -> None:
    async def run() -> None:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            await Checkpoint("g1", starts, ends).commit(conn, "copy")

    asyncio.run(run())


def stored(url: str) -> dict[Partition, int]:
    async def run() -> dict[Partition, int]:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            return await stored_offsets(conn, "g1", [OBS0, OBS1, ROLLUP0])

    return asyncio.run(run())


def test_first_batches_store_their_offsets_and_later_ones_move_them_from_where_they_started(database_url: str) -> None:
    commit(database_url, {OBS0: None, OBS1: None}, {OBS0: 10, OBS1: 7})
    commit(database_url, {OBS0: 10, OBS1: 7, ROLLUP0: None}, {OBS0: 25, OBS1: 9, ROLLUP0: 3})
    assert stored(database_url) == {OBS0: 25, OBS1: 9, ROLLUP0: 3}


def test_one_partition_moved_by_another_worker_rolls_the_whole_batch_back(database_url: str) -> None:
    commit(database_url, {OBS0: None, OBS1: None}, {OBS0: 10, OBS1: 7})
    with pytest.raises(OffsetMoved) as moved:
        # Partition 1 was at 7, not 5: another worker applied records this batch holds.
        commit(database_url, {OBS0: 10, OBS1: 5}, {OBS0: 20, OBS1: 12})
    assert (moved.value.topic, moved.value.partition) == OBS1
    assert stored(database_url) == {OBS0: 10, OBS1: 7}


def test_a_batch_that_saw_no_stored_offset_cannot_overwrite_one_stored_since(database_url: str) -> None:
    commit(database_url, {OBS0: None}, {OBS0: 10})
    with pytest.raises(OffsetMoved) as moved:
        commit(database_url, {OBS0: None, ROLLUP0: None}, {OBS0: 4, ROLLUP0: 2})
    assert (moved.value.topic, moved.value.partition) == OBS0
    assert stored(database_url) == {OBS0: 10}
