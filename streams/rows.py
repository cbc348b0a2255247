"""Rows the worker writes to the database: absolute values, so writing one twice is harmless."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IndicatorRow:
    """An indicator's value for a unit and period as of ``ts`` (absolute, so rewriting it is harmless)."""

    indicator_code: str
    unit_code: str
    period: int
    ts: dt.datetime
    value: float | None
    numerator: float | None
    denominator: float | None
    version: int
