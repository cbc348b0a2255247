"""Evaluation: from metric values to indicator results, pillar scores and the unit index.

Time is always an argument (``now``, aware); nothing here reads a clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import msgspec

from index_engine.catalog import Catalog, Indicator, Target
from index_engine.composite import pillar_scores, unit_index
from index_engine.periods import LOCAL_TZ
from index_engine.results import IndicatorResult, Scorecard
from index_engine.rollup import LastSeen, MetricValues, rollup_last_seen, rollup_pair
from index_engine.scoring import indicator_score
from index_engine.status import classify, is_fresh
from index_engine.trajectory import elapsed_fraction, expected_value, progress_ratio, projected_value
from index_engine.values import attainment, indicator_value

History = Mapping[tuple[str, str], Sequence[tuple[dt.datetime, float]]]
"""This period's earlier indicator values keyed by ``(indicator code, unit code)``, for the projection."""


class Reading(msgspec.Struct, frozen=True, kw_only=True):
    """What is known of one indicator for one unit: period values, when data last came, earlier values."""

    numerator: float | None
    denominator: float | None
    last_seen: dt.datetime | None
    history: Sequence[tuple[dt.datetime, float]] = ()


def evaluate_indicator(
    indicator: Indicator,
    unit: str,
    reading: Reading,
    target: Target | None,
    now: dt.datetime,
    *,
    period: int | None = None,
    completed: bool = False,
) -> IndicatorResult | None:
    """Evaluate one indicator for one unit at ``now``; ``None`` when it does not apply to the unit.

    It does not apply when fresh data leaves it without a value (no or zero denominator). Without fresh data
    and without a value it is stale: the unit may simply not have reported yet.
    """
    period = now.astimezone(LOCAL_TZ).year if period is None else period
    value = indicator_value(indicator, reading.numerator, reading.denominator)
    fresh = is_fresh(reading.last_seen, now, indicator.cadence_hours)
    if value is None and fresh:
        return None
    fraction = elapsed_fraction(period, now)
    score = achieved = expected = projected = progress = shortfall = None
    points = [(elapsed_fraction(period, ts), x) for ts, x in reading.history]
    if target is not None and value is not None:
        b, t, d = target.baseline, target.target, indicator.sign
        score = indicator_score(value, b, t, indicator.direction)
        achieved = attainment(value, t, indicator.direction)
        expected = expected_value(b, t, fraction)
        projected = projected_value(b, value, fraction, [*points, (fraction, value)] if points else ())
        progress = progress_ratio(projected, b, t, indicator.direction)
        shortfall = d * (expected - value)
    status = classify(
        value,
        None if target is None else target.target,
        progress,
        fresh=fresh,
        completed=completed,
        direction=indicator.direction,
    )
    return IndicatorResult(
        indicator=indicator.code,
        unit=unit,
        period=period,
        numerator=reading.numerator,
        denominator=reading.denominator,
        value=value,
        baseline=None if target is None else target.baseline,
        target=None if target is None else target.target,
        tolerance=None if target is None else target.tolerance,
        score=score,
        attainment=achieved,
        fraction=fraction,
        expected=expected,
        projected=projected,
        progress=progress,
        shortfall=shortfall,
        fit_points=len(points) + 1 if points else 0,
        last_seen=reading.last_seen,
        fresh=fresh,
        status=status,
    )


def evaluate_unit(
    catalog: Catalog,
    unit: str,
    now: dt.datetime,
    values: MetricValues,
    last_seen: LastSeen,
    history: History | None = None,
) -> Scorecard:
    """Evaluate every indicator for a unit (rolling its children up where it has no values of its own).

    ``values`` and ``last_seen`` hold the period's metric values and arrival times by ``(unit, metric)``;
    completions confirmed in the catalog on or before today count.
    """
    local = now.astimezone(LOCAL_TZ)
    period, day = local.year, local.date()
    results: list[IndicatorResult] = []
    for indicator in catalog.indicators.values():
        numerator, denominator = rollup_pair(catalog, values, unit, indicator, day)
        reading = Reading(
            numerator=numerator,
            denominator=denominator,
            last_seen=rollup_last_seen(catalog, last_seen, unit, indicator, day),
            history=() if history is None else history.get((indicator.code, unit), ()),
        )
        confirmation = catalog.completion(indicator.code, unit, period)
        completed = confirmation is not None and confirmation.confirmed_on <= day
        target = catalog.target(indicator.code, unit, period)
        result = evaluate_indicator(indicator, unit, reading, target, now, period=period, completed=completed)
        if result is not None:
            results.append(result)
    index = unit_index(unit, pillar_scores(catalog, results))
    return Scorecard(unit=unit, period=period, at=now, results=tuple(results), index=index)
