"""A watchdog for partitions that are assigned, behind, and not moving.

After some rebalances the consumer of faust-streaming 0.15 can keep a partition assigned without fetching from it
(an open upstream issue: no error, the lag simply grows). The worker's timer takes a snapshot of each assigned
source partition's end offset and fetch position; a partition that is behind and has not moved for ``patience``
snapshots in a row is reported as stalled, and the worker re-activates it and seeks it to its position.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass
class StallWatch(Generic[K]):
    """Remembers each partition's position between snapshots."""

    patience: int = 2
    _last: dict[K, int] = field(default_factory=dict)
    _still: dict[K, int] = field(default_factory=dict)

    def observe(self, snapshot: Mapping[K, tuple[int, int]]) -> list[K]:
        """Take ``{partition: (end offset, position)}``; return the partitions stalled for ``patience`` snapshots."""
        stalled = []
        for tp, (end, position) in snapshot.items():
            behind = end > position
            if behind and self._last.get(tp) == position:
                self._still[tp] = self._still.get(tp, 0) + 1
            else:
                self._still[tp] = 0
            self._last[tp] = position
            if self._still[tp] >= self.patience:
                stalled.append(tp)
                self._still[tp] = 0
        for gone in set(self._last) - set(snapshot):
            self._last.pop(gone)
            self._still.pop(gone, None)
        return stalled
