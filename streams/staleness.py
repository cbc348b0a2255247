"""The wall-clock sweep: quiet units are evaluated as of now, so indicators go stale when data stops coming.

Event-time evaluation (on every change) cannot notice silence; this sweep, run by a timer, can. It evaluates only
units this worker owns (their partition is one of its active ones) and only where the plan sets targets for the
current period, so historical data never raises stale alerts for a plan that is over.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from index_engine.catalog import Catalog
from index_engine.periods import period_of
from index_engine.results import Scorecard
from streams.evaluation import Alert, evaluate_state
from streams.partitions import key_partition
from streams.state import UnitState


def partition_of(unit: str, partitions: int) -> int:
    """The partition a unit's messages and state live in (the producers' default partitioner)."""
    return key_partition(unit.encode(), range(partitions))


@dataclass(slots=True)
class Sweep:
    """What one sweep changed."""

    states: dict[str, UnitState] = field(default_factory=dict)
    scorecards: list[Scorecard] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


def sweep(catalog: Catalog, units: Iterable[tuple[str, UnitState]], now: dt.datetime) -> Sweep:
    """Evaluate ``units`` as of ``now`` where the plan has targets for them in the current period."""
    result = Sweep()
    period = period_of(now)
    for unit, state in units:
        if unit not in catalog.units or not catalog.unit_targets(unit, period):
            continue
        card, alerts = evaluate_state(catalog, unit, state, now)
        result.states[unit] = state
        result.scorecards.append(card)
        result.alerts.extend(alerts)
    return result
