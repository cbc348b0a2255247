"""The worker's Kafka consumer: faust-streaming's aiokafka consumer, made to give back what it did not deliver.

Faust asks its consumer thread for records and then hands them to the agents one by one. Two things can make it
skip some of them after aiokafka has already moved the fetch position past them:

- it passes its *live* set of active partitions to the thread; a rebalance on the event loop can shrink or
  empty that set while the thread waits, and aiokafka reads an empty set as "every assigned partition";
- while it hands records over, it stops at the first record of a partition that is no longer active, or at the
  first record after the rebalance generation changed, and skips the rest.

Faust then reads the next record of such a partition after a jump in offsets, takes the skipped offsets for a
gap (as compaction leaves) and commits past them: those records are never processed. If nothing follows, the
partition's committed offset stands still instead. Three workers joining one after the other show both.

This consumer fetches with a copy of the active set and, after each fetch has been handed over, moves the
fetch position of every partition with skipped records back to the first of them, unless a rebalance already
moved it there or earlier. Moving back never skips a record; at worst a record is processed twice, which the
worker's versioned writes make harmless.

A record can also be handed over and never reach the agent: the stream drops the records it reads while flow
control is suspended for a rebalance, and Faust then seeks every partition back to its committed offset to read
them again. aiokafka ignores that seek for a partition that has no committed offset yet, so this consumer seeks
such partitions to their earliest offset (where the group starts reading them). Faust also commits the run of
acknowledged offsets that follows the committed one, but its check lets one unacknowledged record through, and
any number while a partition has no committed offset: this consumer never commits past an offset that was not
acknowledged. A partition whose committed offset then stands still is the watchdog's case
(:mod:`streams.watchdog`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from aiokafka.errors import IllegalStateError
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, Message

log = logging.getLogger(__name__)

RecordMap = Mapping[TP, list[Any]]


def label(tp: TP) -> str:
    """``topic/partition``, as logs name a partition."""
    return f"{tp.topic}/{tp.partition}"


def fetched_spans(records: RecordMap) -> dict[TP, tuple[int, int]]:
    """First and last offset fetched per partition."""
    return {tp: (batch[0].offset, batch[-1].offset) for tp, batch in records.items() if batch}


def first_undelivered(fetched: Mapping[TP, tuple[int, int]], delivered: Mapping[TP, int]) -> dict[TP, int]:
    """Per partition with records fetched but not handed over, the offset of the first of them.

    ``delivered`` holds the last offset handed over per partition; records are handed over in offset order.
    """
    skipped: dict[TP, int] = {}
    for tp, (first, last) in fetched.items():
        resume = delivered[tp] + 1 if tp in delivered else first
        if resume <= last:
            skipped[tp] = resume
    return skipped


def acknowledged_from(acked: Sequence[int], expected: int | None) -> bool:
    """Whether the offset a commit would start from, ``expected``, is acknowledged (or nothing is)."""
    return not acked or expected is None or min(acked) <= expected


async def rewind(consumer: Any, offsets: Mapping[TP, int]) -> dict[TP, int]:
    """Move each assigned partition's fetch position back to ``offsets``; return those moved (consumer thread)."""
    moved: dict[TP, int] = {}
    for tp, offset in offsets.items():
        try:
            if await consumer.position(tp) > offset:
                consumer.seek(tp, offset)
                moved[tp] = offset
        except IllegalStateError:
            pass  # revoked: its new owner reads it from the committed offset
    return moved


class Consumer(faust_aiokafka.Consumer):
    """Fetches with a snapshot of the active partitions and gives back the records it did not deliver."""

    _fetched: dict[TP, tuple[int, int]] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lowest_fetched: dict[TP, int] = {}  # per partition, since it was assigned

    async def _getmany(self, active_partitions: set[TP] | None, timeout: float) -> RecordMap:
        # A copy: an empty set would mean "every partition", and the live set changes during a rebalance.
        asked = None if active_partitions is None else set(active_partitions)
        records: RecordMap = {} if asked == set() else await super()._getmany(asked, timeout)
        self._fetched = fetched_spans(records)
        for tp, (first, _last) in self._fetched.items():
            self._lowest_fetched[tp] = min(first, self._lowest_fetched.get(tp, first))
        return records

    async def perform_seek(self) -> None:
        """Seek every partition to its committed offset, and those with none to their earliest offset.

        Faust seeks back to the committed offsets to read again what it dropped during a rebalance; aiokafka
        leaves a partition without a committed offset where it is, past the dropped records.
        """
        await super().perform_seek()
        fresh = [
            tp
            for tp in self.assignment()
            if self._committed_offset.get(tp) is None
            and not self._is_changelog_tp(tp)
            and self.app.topics.acks_enabled_for(tp.topic)
        ]
        if fresh:
            earliest = await self.earliest_offsets(*fresh)
            await self.seek_wait({tp: earliest[tp] for tp in fresh if tp in earliest})

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        """Forget what was fetched from revoked partitions, then let Faust do its part."""
        for tp in revoked:
            self._lowest_fetched.pop(tp, None)
        await super().on_partitions_revoked(revoked)

    def _new_offset(self, tp: TP) -> int | None:
        """Faust's next offset to commit, unless the offset after the committed one was never acknowledged."""
        committed = self._committed_offset.get(tp)
        if not acknowledged_from(self._acked[tp], committed if committed is not None else self._lowest_fetched.get(tp)):
            return None
        offset: int | None = super()._new_offset(tp)
        return offset

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Message]]:
        """Hand over fetched records as Faust does, then give back those it skipped."""
        self._fetched = None
        delivered: dict[TP, int] = {}
        async for tp, message in super().getmany(timeout):
            delivered[tp] = message.offset
            yield tp, message
        skipped = first_undelivered(self._fetched or {}, delivered)
        if skipped:
            moved = await self._thread.call_thread(rewind, self._thread._ensure_consumer(), skipped)
            for tp, offset in moved.items():
                log.warning(
                    "records of %s from offset %d were fetched during a rebalance and not delivered; "
                    "fetching them again",
                    label(tp),
                    offset,
                )


class Transport(faust_aiokafka.Transport):
    """The aiokafka transport with :class:`Consumer`."""

    Consumer = Consumer


async def describe(consumer: Any, tps: list[TP]) -> dict[str, object]:
    """What the consumer knows about ``tps``: for the log when a partition stalls."""
    positions = {}
    for tp in tps:
        try:
            positions[label(tp)] = await consumer.position(tp)
        except Exception as exc:  # a description, never a failure
            positions[label(tp)] = repr(exc)
    return {
        "flow_active": consumer.flow_active,
        "active": sorted(label(tp) for tp in consumer._active_partitions or ()),
        "paused": sorted(label(tp) for tp in consumer._paused_partitions),
        "buffered": sorted(label(tp) for tp in consumer._buffered_partitions),
        "read_offsets": {label(tp): consumer._read_offset.get(tp) for tp in tps},
        "positions": positions,
    }
