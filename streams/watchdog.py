"""A watchdog for partitions that are assigned and behind while the worker sits idle.

A partition can stop reaching the agent with no error: faust-streaming 0.15 used to skip records fetched while
a rebalance changed the active partitions (fixed in :mod:`streams.consumer`), and any such fault in the consumer
would show the same way: the lag grows while the worker waits. The worker's timer takes a snapshot of each
assigned source partition's end offset and committed offset; a partition that is behind, whose committed offset
has not moved for ``patience`` snapshots in a row while the agent was idle (so not a slow batch or a database
outage), is reported as stalled. The worker then exits with :data:`STALLED_EXIT_CODE` for its supervisor
(systemd, Kubernetes, Compose) to restart it: a restart is as safe as a kill -9, which the tests show.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Final, Generic, TypeVar

K = TypeVar("K", bound=Hashable)

STALLED_EXIT_CODE: Final = 75
"""EX_TEMPFAIL: the worker stopped itself because a partition stalled; restarting it is the remedy."""


@dataclass
class StallWatch(Generic[K]):
    """Remembers each partition's committed offset between snapshots."""

    patience: int = 3
    _last: dict[K, int] = field(default_factory=dict)
    _still: dict[K, int] = field(default_factory=dict)

    def observe(self, snapshot: Mapping[K, tuple[int, int]], *, idle: bool) -> list[K]:
        """Take ``{partition: (end offset, committed offset)}``; return the partitions stalled for ``patience``.

        ``idle`` says whether the agent was between batches; a busy agent is working, not stalled.
        """
        stalled = []
        for tp, (end, committed) in snapshot.items():
            behind = end > committed
            if idle and behind and self._last.get(tp) == committed:
                self._still[tp] = self._still.get(tp, 0) + 1
            else:
                self._still[tp] = 0
            self._last[tp] = committed
            if self._still[tp] >= self.patience:
                stalled.append(tp)
                self._still[tp] = 0
        for gone in set(self._last) - set(snapshot):
            self._last.pop(gone)
            self._still.pop(gone, None)
        return stalled
