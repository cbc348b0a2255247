"""Rollup of metric values from units to their parents.

A unit's own value takes precedence over its children's sum; a parent's indicator is computed from summed
numerators and denominators, never by averaging its children's ratios. Sums use :func:`math.fsum`, so the
order of units never changes a result.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence

from index_engine.catalog import Catalog, Indicator

MetricValues = Mapping[str, Mapping[str, float]]
"""Period values by unit code, then metric code: year-to-date sums for flows, the latest level for gauges."""

LastSeen = Mapping[str, Mapping[str, dt.datetime]]
"""When data last arrived, by unit code, then metric code."""

_NONE: Mapping[str, float] = {}
_NEVER: Mapping[str, dt.datetime] = {}


def rollup_metric(catalog: Catalog, values: MetricValues, unit: str, metric: str, day: dt.date) -> float | None:
    """The unit's own value of ``metric``, else the sum over its children.

    A gauge sums the children that exist on ``day``; a flow (delta or cumulative) every child that existed this
    year up to ``day`` (see :meth:`~index_engine.catalog.Catalog.rollup_children`).
    """
    own = values.get(unit, _NONE).get(metric)
    if own is not None:
        return own
    children = (
        catalog.children_on(unit, day)
        if catalog.metrics[metric].kind == "gauge"
        else catalog.children_of_year(unit, day)
    )
    parts = [v for child in children if (v := rollup_metric(catalog, values, child, metric, day)) is not None]
    return math.fsum(parts) if parts else None


Inputs = tuple[float | None, float | None, dt.datetime | None]
"""An indicator's numerator, denominator and the time it was last complete, for one unit."""


def own_inputs(indicator: Indicator, own: Mapping[str, float], own_seen: Mapping[str, dt.datetime]) -> Inputs:
    """A unit's inputs for ``indicator`` from its own data alone: complete when its oldest metric came."""
    seen = own_seen.get(indicator.numerator)
    code = indicator.denominator
    if code is None:
        return own.get(indicator.numerator), None, seen
    other = own_seen.get(code)
    if seen is not None and (other is None or other < seen):
        seen = other
    return own.get(indicator.numerator), own.get(code), seen


def combine(
    indicator: Indicator,
    own: Mapping[str, float],
    own_seen: Mapping[str, dt.datetime],
    below: Sequence[Inputs],
) -> Inputs:
    """The unit's inputs for ``indicator`` from its own data and its children's inputs (``below``).

    Own values win, metric by metric. Children contribute only where the indicator applies to them (numerator
    present, denominator present and not zero), so a child without a denominator never inflates the numerator.
    A metric the unit reports itself dates from its own arrival, the others from the latest child's; the
    indicator was last complete at the oldest of those times.
    """
    if not below:
        return own_inputs(indicator, own, own_seen)
    code = indicator.denominator
    numerator, denominator = own.get(indicator.numerator), None if code is None else own.get(code)
    seen_numerator = own_seen.get(indicator.numerator)
    seen_denominator = None if code is None else own_seen.get(code)
    nums: list[float] = []
    dens: list[float] = []
    latest: dt.datetime | None = None
    for n, d, ts in below:
        if ts is not None and (latest is None or ts > latest):
            latest = ts
        if n is not None and (code is None or d):
            nums.append(n)
            dens.append(d or 0.0)
    if numerator is None:
        numerator, seen_numerator = (math.fsum(nums) if nums else None), latest
    if code is None:
        return numerator, None, seen_numerator
    if denominator is None:
        denominator, seen_denominator = (math.fsum(dens) if dens else None), latest
    if seen_numerator is None or seen_denominator is None:
        return numerator, denominator, None
    return numerator, denominator, min(seen_numerator, seen_denominator)


def rollup_inputs(
    catalog: Catalog, values: MetricValues, last_seen: LastSeen, unit: str, indicator: Indicator, day: dt.date
) -> Inputs:
    """One indicator's inputs for ``unit``, rolled up from its children of ``day`` (:meth:`Catalog.rollup_children`)."""
    below = [
        rollup_inputs(catalog, values, last_seen, child, indicator, day)
        for child in catalog.rollup_children(unit, indicator, day)
    ]
    return combine(indicator, values.get(unit, _NONE), last_seen.get(unit, _NEVER), below)


def _kept(column: Sequence[Inputs], kept: Sequence[bool]) -> list[Inputs]:
    """The children's inputs of ``column`` whose flag in ``kept`` is set."""
    return [inputs for inputs, keep in zip(column, kept, strict=True) if keep]


def unit_inputs(
    catalog: Catalog,
    values: MetricValues,
    last_seen: LastSeen,
    unit: str,
    day: dt.date,
    memo: dict[str, list[Inputs]] | None = None,
) -> list[Inputs]:
    """Every indicator's inputs for ``unit`` in catalog order: :func:`rollup_inputs` for all at once.

    Each descendant is visited once rather than once per indicator. ``memo`` keeps each unit's inputs, so that
    evaluating a province after its units (see :func:`~index_engine.evaluate.evaluate_units`) reuses them.
    """
    if memo is not None and unit in memo:
        return memo[unit]
    # Every child of this year up to the day: flows count them all, levels only those that exist on the day.
    children = catalog.children_of_year(unit, day) if catalog.children(unit) else ()
    below = [unit_inputs(catalog, values, last_seen, child, day, memo) for child in children]
    own, own_seen = values.get(unit, _NONE), last_seen.get(unit, _NEVER)
    if below:
        on_day = [catalog.units[child].valid_on(day) for child in children]
        # Transposed: one column of children's inputs per indicator.
        columns = zip(*below, strict=True)
        inputs = [
            combine(indicator, own, own_seen, _kept(column, on_day) if indicator.aggregation == "latest" else column)
            for indicator, column in zip(catalog.indicators.values(), columns, strict=True)
        ]
    else:
        inputs = [own_inputs(indicator, own, own_seen) for indicator in catalog.indicators.values()]
    if memo is not None:
        memo[unit] = inputs
    return inputs
