"""Indicator score: how far the value has moved from the baseline towards the target, in ``[0, 1]``."""

from __future__ import annotations

from index_engine.catalog import Direction
from index_engine.values import attainment, clip


def indicator_score(value: float, baseline: float, target: float, direction: Direction = "up") -> float:
    """``s = clip(d(x−B) / d(T−B), 0, 1)``.

    Where the baseline already meets the target (``d(T−B) ≤ 0``) there is no distance to cover: ``s = 1``
    while the value stays at or beyond the target, else ``clip(x/T, 0, 1)``.
    """
    d = 1 if direction == "up" else -1
    span = d * (target - baseline)
    if span > 0:
        return clip(d * (value - baseline) / span)
    if d * (value - target) >= 0:
        return 1.0
    return clip(attainment(value, target, direction) or 0.0)
