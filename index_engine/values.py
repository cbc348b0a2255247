"""Indicator arithmetic: ``numerator / denominator × scale``, and sums for rollups."""

from __future__ import annotations

from index_engine.catalog import Indicator


def indicator_value(indicator: Indicator, numerator: float | None, denominator: float | None) -> float | None:
    """The indicator's value, or ``None`` when it does not apply (no numerator, no or zero denominator)."""
    if numerator is None:
        return None
    if indicator.denominator is None:
        return numerator * indicator.scale
    if denominator is None or denominator == 0:
        return None
    return numerator / denominator * indicator.scale
