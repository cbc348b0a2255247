"""Indicator arithmetic: ``numerator / denominator × scale`` and plan attainment ``x / T``."""

from __future__ import annotations

from index_engine.catalog import Direction, Indicator


def indicator_value(indicator: Indicator, numerator: float | None, denominator: float | None) -> float | None:
    """The indicator's value, or ``None`` when it does not apply (no numerator, no or zero denominator)."""
    if numerator is None:
        return None
    if indicator.denominator is None:
        return numerator * indicator.scale
    if denominator is None or denominator == 0:
        return None
    return numerator / denominator * indicator.scale


def attainment(value: float, target: float, direction: Direction = "up") -> float | None:
    """Plan attainment: ``x / T`` (``T / x`` when lower is better); ``None`` when it would divide by zero."""
    if direction == "up":
        return value / target if target != 0 else None
    return target / value if value != 0 else None


def clip(value: float, low: float = 0.0, high: float = 1.0) -> float:
    """``value`` bounded to ``[low, high]``."""
    return low if value < low else high if value > high else value
