"""Trajectory: where the value should be now, where it is heading, and the progress ratio R."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from index_engine.catalog import Direction
from index_engine.periods import period_bounds
from index_engine.values import attainment, clip

MIN_FIT_POINTS = 3
"""Fewer points than this project by the straight line from the baseline instead of a fit."""

FLAT_SPREAD = 1e-15
"""Weighted time spread (per unit weight) below which points count as simultaneous."""


def elapsed_fraction(period: int, now: dt.datetime) -> float:
    """f: the fraction of the plan period elapsed at ``now`` (aware), in ``[0, 1]``."""
    start, end = period_bounds(period)
    return clip((now - start) / (end - start))


def expected_value(baseline: float, target: float, fraction: float) -> float:
    """E = B + f(T−B): where a straight path from baseline to target would be now."""
    return baseline + fraction * (target - baseline)


def projected_value(
    baseline: float, value: float, fraction: float, points: Sequence[tuple[float, float]] = ()
) -> float:
    """x̂: the value projected to the end of the period.

    ``points`` are this period's ``(fraction elapsed, value)`` pairs. With three or more at distinct times, x̂
    comes from a least-squares line weighted by time (a point at fraction t weighs t, so recent points count
    more). Otherwise x̂ = B + (x−B)/f, the straight line from the baseline through the current value; at f = 0
    there is no trend yet and x̂ = x.
    """
    if len(points) >= MIN_FIT_POINTS:
        fitted = _weighted_fit_at_end(points)
        if fitted is not None:
            return fitted
    if fraction <= 0:
        return value
    return baseline + (value - baseline) / fraction


def _weighted_fit_at_end(points: Sequence[tuple[float, float]]) -> float | None:
    total = sum(t for t, _ in points)
    if total <= 0:
        return None
    t_mean = sum(t * t for t, _ in points) / total
    x_mean = sum(t * x for t, x in points) / total
    s_tt = sum(t * (t - t_mean) ** 2 for t, _ in points)
    # Points at (almost) one time have no trend; rounding leaves a tiny positive spread rather than zero.
    if s_tt <= FLAT_SPREAD * total:
        return None
    s_tx = sum(t * (t - t_mean) * (x - x_mean) for t, x in points)
    return x_mean + s_tx / s_tt * (1.0 - t_mean)


def progress_ratio(projected: float, baseline: float, target: float, direction: Direction = "up") -> float:
    """R = d(x̂−B) / d(T−B): the share of the required change the projection delivers.

    Where the baseline already meets the target, R = 1 if x̂ still meets it, else the projected attainment.
    """
    d = 1 if direction == "up" else -1
    span = d * (target - baseline)
    if span > 0:
        return d * (projected - baseline) / span
    if d * (projected - target) >= 0:
        return 1.0
    return attainment(projected, target, direction) or 0.0
