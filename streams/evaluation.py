"""Scores, statuses and alert decisions of a unit from its streaming state, with the index engine.

A unit is evaluated as of the newest event time among its changes, so replays evaluate exactly as the first run
did. Only the indicators whose inputs changed are evaluated again; the others keep their last result (in the
unit's memory), and the pillars and the unit index are recomputed from all of them. What moves with the date
alone (expected value, staleness) is the wall-clock sweep's job: it evaluates every indicator.

Inputs are combined exactly as the engine's own rollup does (:func:`streams.state.inputs`), then each
indicator goes through :func:`index_engine.evaluate.evaluate_indicator`, the pillars and the unit index through
:mod:`index_engine.composite`. Each evaluation adds one point a day to the indicator's history (for the
least-squares projection) and moves its alert hysteresis one step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

import msgspec

from index_engine.alerts import AlertDecision, decide
from index_engine.catalog import Catalog
from index_engine.composite import pillar_scores, unit_index
from index_engine.evaluate import Reading, catalog_moment, evaluate_indicator
from index_engine.explain import explain_alert
from index_engine.moment import Moment
from index_engine.periods import LOCAL_TZ
from index_engine.results import IndicatorResult, Scorecard
from streams.state import Memory, UnitState, inputs

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


def _evaluate_one(catalog: Catalog, unit: str, state: UnitState, code: str, moment: Moment) -> IndicatorResult | None:
    indicator = catalog.indicators[code]
    period, day = moment.period, moment.day
    numerator, denominator, seen = inputs(catalog, state, unit, indicator, period, day)
    kept = state.memory.get(code)
    points = kept.history.get(period, []) if kept is not None else []
    # Earlier days only: today's point is the value being evaluated now.
    history = tuple((ts, v) for ts, v in points if ts.astimezone(LOCAL_TZ).date() < day)
    completion = catalog.completion(code, unit, period)
    return evaluate_indicator(
        indicator,
        unit,
        Reading(numerator=numerator, denominator=denominator, last_seen=seen, history=history),
        catalog.target(code, unit, period),
        moment,
        completed=completion is not None and completion.confirmed_on <= day,
    )


def evaluate_state(
    catalog: Catalog,
    unit: str,
    state: UnitState,
    at: dt.datetime,
    only: Collection[str] | None = None,
) -> tuple[Scorecard, list[Alert]]:
    """Evaluate ``unit`` as of ``at``: the indicators in ``only`` (every indicator when ``None``) afresh.

    Indicators left out keep the result of their last evaluation in the same period; one never evaluated in it is
    evaluated now. Each fresh evaluation adds today's point to the indicator's history and steps its alert
    state, in place.
    """
    moment = catalog_moment(catalog, at)
    results: list[IndicatorResult] = []
    alerts: list[Alert] = []
    for code in catalog.indicators:
        kept = state.memory.get(code)
        last = kept.result if kept is not None else None
        if only is not None and code not in only and last is not None and last.period == moment.period:
            results.append(last)
            continue
        result = _evaluate_one(catalog, unit, state, code, moment)
        if result is None:
            if kept is not None and last is not None:
                kept.result = None
                state.changed_memory.add(code)
            continue
        results.append(result)
        alert = _remember(catalog, state, result, at)
        if alert is not None:
            alerts.append(alert)
    index = unit_index(unit, pillar_scores(catalog, results))
    card = Scorecard(unit=unit, period=moment.period, at=at, results=tuple(results), index=index)
    return card, alerts


def _remember(catalog: Catalog, state: UnitState, result: IndicatorResult, at: dt.datetime) -> Alert | None:
    """Keep the result, today's point and the new hysteresis in the indicator's memory; the alert if any."""
    memory = state.memory_of(result.indicator)
    memory.result = result
    if result.value is not None:
        _add_point(memory, result.period, at, result.value)
    # The lead unit of the evaluation's local day: after a merger, its successor is the one to tell.
    lead = catalog.lead_unit(result.indicator, at.astimezone(LOCAL_TZ).date())
    new_state, decision = decide(memory.alert_state(), result, catalog.indicators[result.indicator], lead_unit=lead)
    memory.set_alert_state(new_state)
    state.changed_memory.add(result.indicator)
    return Alert(decision, result, at) if decision.changed else None


def _add_point(memory: Memory, period: int, at: dt.datetime, value: float) -> None:
    # Two periods are enough: the current one and the one just closed, for late data.
    for old in [p for p in memory.history if p < period - 1]:
        del memory.history[old]
    points = memory.history.setdefault(period, [])
    day = at.astimezone(LOCAL_TZ).date()
    if points and points[-1][0].astimezone(LOCAL_TZ).date() == day:
        points[-1] = (at, value)
    elif not points or at > points[-1][0]:
        points.append((at, value))
        del points[:-HISTORY_DAYS]
