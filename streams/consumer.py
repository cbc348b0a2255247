"""The worker's Kafka consumer: faust-streaming's aiokafka consumer, made to give back what it will not deliver.

Faust asks its consumer thread for the records of the *active* partitions and passes its live set of them. While
the thread waits for records, a rebalance on the event loop can shrink that set (partitions revoked, or paused
for table recovery) or empty it, and aiokafka reads an empty set as "every assigned partition". Faust then
skips the records of partitions that are no longer active, although their fetch position has already moved past
them. Nothing is lost on Kafka, but this worker never processes those records and the partition's committed
offset stands still: the stall that shows after quick successive rebalances, for example when three workers
join one after the other.

This consumer asks with a copy of the set, hands over only the records of partitions that are still active,
and moves the fetch position of every other partition back to its first undelivered record, so that it is
fetched again once the partition is active (or read by its new owner from the committed offset).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Set
from typing import Any

from aiokafka.errors import IllegalStateError
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

log = logging.getLogger(__name__)

RecordMap = Mapping[TP, list[Any]]


def split_records(records: RecordMap, active: Set[TP]) -> tuple[dict[TP, list[Any]], dict[TP, int]]:
    """Split fetched records into those to deliver and, per other partition, the offset to fetch again from."""
    kept: dict[TP, list[Any]] = {}
    rewind: dict[TP, int] = {}
    for tp, batch in records.items():
        if tp in active:
            kept[tp] = batch
        elif batch:
            rewind[tp] = min(record.offset for record in batch)
    return kept, rewind


class Consumer(faust_aiokafka.Consumer):
    """Fetches with a snapshot of the active partitions and rewinds the partitions it does not deliver."""

    async def _getmany(self, active_partitions: set[TP] | None, timeout: float) -> RecordMap:
        if active_partitions is None:  # a client-only app reads every partition
            records: RecordMap = await super()._getmany(None, timeout)
            return records
        asked = set(active_partitions)
        if not asked:
            return {}
        records = await super()._getmany(asked, timeout)
        while True:
            # Faust delivers records of active partitions and of partitions paused because their stream is full.
            kept, rewind = split_records(records, active_partitions | self._buffered_partitions)
            if not rewind:
                return kept
            for tp, offset in rewind.items():
                await self._rewind(tp, offset, len(records[tp]))
            records = kept  # the set may have changed again while rewinding

    async def _rewind(self, tp: TP, offset: int, count: int) -> None:
        try:
            await self.seek_wait({tp: offset})
        except IllegalStateError:
            # No longer assigned here: its new owner reads it from the committed offset.
            log.info("%d records of %s/%d fetched during a rebalance are left to its new owner", count, *tp)
            return
        except TimeoutError:
            pass  # the seek is done; only the wait for the new position timed out
        log.warning(
            "%d records of %s/%d were fetched while the partition was not active (rebalance); "
            "fetching them again from offset %d",
            count,
            tp.topic,
            tp.partition,
            offset,
        )


class Transport(faust_aiokafka.Transport):
    """The aiokafka transport with :class:`Consumer`."""

    Consumer = Consumer
