"""Scores, statuses and alert decisions of a unit from its streaming state, with the index engine.

A unit is evaluated as of the newest event time among its changes, so replays evaluate exactly as the first run
did; the stale check of a quiet unit runs on the wall clock from a timer. Each evaluation adds one point a day to
the unit's indicator history (for the least-squares projection) and moves the alert hysteresis one step.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import msgspec

from index_engine.alerts import AlertDecision, AlertState, decide
from index_engine.catalog import Catalog
from index_engine.evaluate import evaluate_unit
from index_engine.explain import explain_alert
from index_engine.periods import LOCAL_TZ, period_of
from index_engine.results import IndicatorResult, Scorecard
from streams.state import UnitState, effective

HISTORY_DAYS: Final = 90
"""Daily points kept per indicator for the projection (the most recent ones weigh most anyway)."""


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert decision that changed something, with the result and the explanation behind it."""

    decision: AlertDecision
    result: IndicatorResult
    at: dt.datetime

    def to_json(self) -> bytes:
        """The message on ``qndti.alerts`` (key ``indicator|unit``)."""
        why = explain_alert(self.decision, self.result)
        return msgspec.json.encode(
            {
                "indicator": self.decision.indicator,
                "unit": self.decision.unit,
                "at": self.at,
                "status": self.decision.status.value,
                "status_vi": self.decision.status.label_vi,
                "raised": [k.value for k in self.decision.raised],
                "resolved": [k.value for k in self.decision.resolved],
                "notify": list(self.decision.notify),
                "value": self.result.value,
                "target": self.result.target,
                "expected": self.result.expected,
                "shortfall": self.result.shortfall,
                "why_vi": why.text_vi,
                "why_en": why.text_en,
            }
        )


def evaluate_state(catalog: Catalog, unit: str, state: UnitState, at: dt.datetime) -> tuple[Scorecard, list[Alert]]:
    """Evaluate ``unit`` as of ``at`` from its state; update its history and alert state in place."""
    period = period_of(at)
    values: dict[str, float] = {}
    seen: dict[str, dt.datetime] = {}
    for metric in catalog.metrics:
        current = effective(state, metric, period)
        if current is not None:
            values[metric], seen[metric] = current
    history = {(code, unit): tuple(state.history.get(f"{code}|{period}", ())) for code in catalog.indicators}
    card = evaluate_unit(catalog, unit, at, {unit: values}, {unit: seen}, history)
    alerts = []
    for result in card.results:
        if result.value is not None:
            _remember(state, f"{result.indicator}|{period}", at, result.value)
        previous = state.alerts.get(result.indicator, AlertState())
        new_state, decision = decide(previous, result, catalog.indicators[result.indicator])
        if new_state != previous:
            state.alerts[result.indicator] = new_state
        if decision.changed:
            alerts.append(Alert(decision, result, at))
    return card, alerts


def _remember(state: UnitState, key: str, at: dt.datetime, value: float) -> None:
    points = state.history.setdefault(key, [])
    day = at.astimezone(LOCAL_TZ).date()
    if points and points[-1][0].astimezone(LOCAL_TZ).date() == day:
        points[-1] = (at, value)
    elif not points or at > points[-1][0]:
        points.append((at, value))
        del points[:-HISTORY_DAYS]
