"""The time of an evaluation and what follows from it, worked out once per round rather than per indicator."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from index_engine.periods import LOCAL_TZ
from index_engine.status import stale_cutoff
from index_engine.trajectory import elapsed_fraction


@dataclass(frozen=True, slots=True)
class Moment:
    """``now`` (aware) with its plan period, local day, elapsed fraction f and stale cut-offs by cadence."""

    now: dt.datetime
    period: int
    day: dt.date
    fraction: float
    cutoffs: Mapping[float, dt.datetime]

    def stale_cutoff(self, cadence_hours: float) -> dt.datetime:
        """Data that last came at or before this time is stale (see :func:`~index_engine.status.is_fresh`)."""
        cutoff = self.cutoffs.get(cadence_hours)
        return stale_cutoff(self.now, cadence_hours) if cutoff is None else cutoff


def moment_at(now: dt.datetime, cadences: Iterable[float] = (), period: int | None = None) -> Moment:
    """The moment ``now`` in ``period`` (default: local year of ``now``) with cut-offs for ``cadences``."""
    local = now.astimezone(LOCAL_TZ)
    period = local.year if period is None else period
    return Moment(
        now=now,
        period=period,
        day=local.date(),
        fraction=elapsed_fraction(period, now),
        cutoffs={c: stale_cutoff(now, c) for c in cadences},
    )
