"""Rollup of metric values from units to their parents.

A unit's own value takes precedence over its children's sum; a parent's indicator is computed from summed
numerators and denominators, never by averaging its children's ratios. Sums use :func:`math.fsum`, so the
order of units never changes a result.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

from index_engine.catalog import Catalog, Indicator

MetricValues = Mapping[tuple[str, str], float]
"""Period values by ``(unit code, metric code)``: year-to-date sums for flows, the latest level for gauges."""

LastSeen = Mapping[tuple[str, str], dt.datetime]
"""When data last arrived, keyed by ``(unit code, metric code)``."""


def rollup_metric(
    catalog: Catalog, values: MetricValues, unit: str, metric: str, day: dt.date
) -> float | None:
    """The unit's own value of ``metric``, else the sum over its children that exist on ``day``."""
    own = values.get((unit, metric))
    if own is not None:
        return own
    parts = [
        v
        for child in catalog.children_on(unit, day)
        if (v := rollup_metric(catalog, values, child, metric, day)) is not None
    ]
    return math.fsum(parts) if parts else None


def rollup_pair(
    catalog: Catalog, values: MetricValues, unit: str, indicator: Indicator, day: dt.date
) -> tuple[float | None, float | None]:
    """The numerator and denominator of ``indicator`` for ``unit``.

    Own values win, metric by metric. Children contribute only where the indicator applies to them (both
    values present, denominator not zero), so a child without a denominator never inflates the numerator.
    """
    numerator = values.get((unit, indicator.numerator))
    if indicator.denominator is None:
        if numerator is None:
            numerator = rollup_metric(catalog, values, unit, indicator.numerator, day)
        return numerator, None
    denominator = values.get((unit, indicator.denominator))
    if numerator is not None and denominator is not None:
        return numerator, denominator
    nums: list[float] = []
    dens: list[float] = []
    for child in catalog.children_on(unit, day):
        n, d = rollup_pair(catalog, values, child, indicator, day)
        if n is not None and d:
            nums.append(n)
            dens.append(d)
    if numerator is None and nums:
        numerator = math.fsum(nums)
    if denominator is None and dens:
        denominator = math.fsum(dens)
    return numerator, denominator


def metric_last_seen(
    catalog: Catalog, last_seen: LastSeen, unit: str, metric: str, day: dt.date
) -> dt.datetime | None:
    """When the unit's own data for ``metric`` last came or, failing its own, its children's latest."""
    own = last_seen.get((unit, metric))
    if own is not None:
        return own
    below = [
        ts
        for child in catalog.children_on(unit, day)
        if (ts := metric_last_seen(catalog, last_seen, child, metric, day)) is not None
    ]
    return max(below) if below else None


def rollup_last_seen(
    catalog: Catalog, last_seen: LastSeen, unit: str, indicator: Indicator, day: dt.date
) -> dt.datetime | None:
    """When the indicator was last complete: its metrics' oldest arrival, ``None`` if one never came."""
    times = [metric_last_seen(catalog, last_seen, unit, m, day) for m in indicator.metrics]
    present = [ts for ts in times if ts is not None]
    return min(present) if len(present) == len(times) else None
