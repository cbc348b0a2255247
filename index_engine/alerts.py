"""Alert decisions with hysteresis: state in, (new state, decision) out.

Rules: a worse status alerts only once it has held for two consecutive evaluations and is a problem status (at
risk, off track, deteriorating); going stale alerts at once, once the indicator has reported (stale means data
stopped: one that never reported is a setup gap, shown as no data, not a page); so does a shortfall against the
expected value E beyond the indicator's tolerance. Each alert resolves when its condition clears. The lead
unit and co-leads of the indicator are the ones to tell.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from index_engine.catalog import Indicator
from index_engine.results import IndicatorResult
from index_engine.status import Status


class AlertKind(StrEnum):
    """What an alert is about."""

    WORSENED = "worsened"
    STALE = "stale"
    SHORTFALL = "shortfall"


@dataclass(frozen=True, slots=True)
class AlertState:
    """What the alerting remembers for one indicator and unit between evaluations."""

    settled: Status | None = None
    """The status accepted after hysteresis."""
    pending: Status | None = None
    """A worse status seen once, waiting for a second evaluation to confirm it."""
    open: frozenset[AlertKind] = frozenset()


@dataclass(frozen=True, slots=True)
class AlertDecision:
    """What to do after one evaluation: alerts to raise and alerts to resolve, and whom to tell."""

    indicator: str
    unit: str
    status: Status
    raised: tuple[AlertKind, ...]
    resolved: tuple[AlertKind, ...]
    notify: tuple[str, ...]

    @property
    def changed(self) -> bool:
        """Whether anything is to be sent."""
        return bool(self.raised or self.resolved)


def decide(
    state: AlertState, result: IndicatorResult, indicator: Indicator, lead_unit: str | None = None
) -> tuple[AlertState, AlertDecision]:
    """Apply one evaluation's result to the alert state of its indicator and unit.

    ``lead_unit`` is the unit leading the indicator on the result's day (``Catalog.lead_unit``, which follows a
    successor after a merger); without it the indicator's own lead unit is told.
    """
    raised: list[AlertKind] = []
    resolved: list[AlertKind] = []
    open_ = set(state.open)

    def turn(kind: AlertKind, active: bool) -> None:
        if active and kind not in open_:
            open_.add(kind)
            raised.append(kind)
        elif not active and kind in open_:
            open_.remove(kind)
            resolved.append(kind)

    settled, pending = state.settled, state.pending
    status = result.status
    # Only data that stopped pages: an indicator with no data ever is a setup gap for the data-quality view.
    turn(AlertKind.STALE, status is Status.STALE and result.last_seen is not None)
    if status is Status.STALE:
        # Stale data says nothing new about progress, and it breaks a run of consecutive evaluations.
        pending = None
    else:
        settled, pending, worsened = _hysteresis(settled, pending, status)
        if worsened:
            # A further worsening re-raises an open alert: the lead unit must hear of it.
            open_.discard(AlertKind.WORSENED)
        turn(AlertKind.WORSENED, settled is not None and settled.is_problem)
        turn(AlertKind.SHORTFALL, result.beyond_tolerance)
    decision = AlertDecision(
        indicator=result.indicator,
        unit=result.unit,
        status=status,
        raised=tuple(raised),
        resolved=tuple(resolved),
        notify=(lead_unit or indicator.lead_unit, *indicator.co_lead_units),
    )
    return AlertState(settled=settled, pending=pending, open=frozenset(open_)), decision


def _hysteresis(
    settled: Status | None, pending: Status | None, status: Status
) -> tuple[Status | None, Status | None, bool]:
    """The new settled and pending statuses, and whether the settled status just got worse."""
    current = 0 if settled is None else settled.severity
    if status.severity <= current or not status.is_problem:
        # Improvements, equal statuses and harmless ones settle at once: only a problem needs confirming.
        return status, None, False
    if pending is None or pending.severity <= current:
        return settled, status, False
    # Worse twice in a row: settle on the milder of the two, the level that has held both times.
    confirmed = status if status.severity <= pending.severity else pending
    return confirmed, None, True
