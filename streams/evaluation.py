"""Scores, statuses and alert decisions of a unit from its streaming state, with the index engine.

A unit is evaluated as of the newest event time among its changes, so replays evaluate exactly as the first run
did. Inputs are combined exactly as the engine's own rollup does (:func:`streams.state.inputs`), then each
indicator goes through :func:`index_engine.evaluate.evaluate_indicator`, the pillars and the unit index through
:mod:`index_engine.composite`. Each evaluation adds one point a day to the unit's indicator history (for the
least-squares projection) and moves the alert hysteresis one step.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import msgspec

from index_engine.alerts import AlertDecision, AlertState, decide
from index_engine.catalog import Catalog
from index_engine.composite import pillar_scores, unit_index
from index_engine.evaluate import Reading, catalog_moment, evaluate_indicator
from index_engine.explain import explain_alert
from index_engine.periods import LOCAL_TZ
from index_engine.results import IndicatorResult, Scorecard
from streams.state import UnitState, inputs, key, own_values

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


def scorecard(catalog: Catalog, unit: str, state: UnitState, at: dt.datetime) -> Scorecard:
    """The unit's scorecard as of ``at`` from its state (pure: the state is not changed)."""
    moment = catalog_moment(catalog, at)
    period, day = moment.period, moment.day
    own = own_values(state, period)
    # Earlier days only: today's point is the value being evaluated now.
    history = {
        k: tuple((ts, v) for ts, v in points if ts.astimezone(LOCAL_TZ).date() < day)
        for k, points in state.history.items()
    }
    results = []
    for code, indicator in catalog.indicators.items():
        numerator, denominator, seen = inputs(catalog, state, unit, indicator, period, day, own)
        completion = catalog.completion(code, unit, period)
        result = evaluate_indicator(
            indicator,
            unit,
            Reading(
                numerator=numerator,
                denominator=denominator,
                last_seen=seen,
                history=history.get(key(code, period), ()),
            ),
            catalog.target(code, unit, period),
            moment,
            completed=completion is not None and completion.confirmed_on <= day,
        )
        if result is not None:
            results.append(result)
    index = unit_index(unit, pillar_scores(catalog, results))
    return Scorecard(unit=unit, period=period, at=at, results=tuple(results), index=index)


def evaluate_state(catalog: Catalog, unit: str, state: UnitState, at: dt.datetime) -> tuple[Scorecard, list[Alert]]:
    """Evaluate ``unit`` as of ``at``; add today's points to its history and step its alert state, in place."""
    card = scorecard(catalog, unit, state, at)
    alerts = []
    for result in card.results:
        if result.value is not None:
            _remember(state, key(result.indicator, card.period), at, result.value)
        previous = state.alerts.get(result.indicator, AlertState())
        new_state, decision = decide(previous, result, catalog.indicators[result.indicator])
        if new_state != previous:
            state.alerts[result.indicator] = new_state
        if decision.changed:
            alerts.append(Alert(decision, result, at))
    return card, alerts


def _remember(state: UnitState, history_key: str, at: dt.datetime, value: float) -> None:
    points = state.history.setdefault(history_key, [])
    day = at.astimezone(LOCAL_TZ).date()
    if points and points[-1][0].astimezone(LOCAL_TZ).date() == day:
        points[-1] = (at, value)
    elif not points or at > points[-1][0]:
        points.append((at, value))
        del points[:-HISTORY_DAYS]
