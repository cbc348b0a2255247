"""Plausibility of an observation: the catalog's rules and the unit's figures in, a problem or ``None`` out.

A problem carries a stable reason code and its explanation in Vietnamese and English; the worker quarantines the
observation: it is kept, flagged, and left out of values, scores, ranks and alerts until a revision replaces it
or an operator accepts it. Reasons: ``not_whole`` (a count with a fraction), ``below_minimum`` and
``above_maximum`` (bounds of the metric), ``jump`` (a gauge beyond its factor of the unit's previous value),
``share_exceeds`` (the part of a share above its whole, both of the same time).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from index_engine.catalog import Indicator, Plausibility
from index_engine.observation import Observation

REASONS: Final = ("not_whole", "below_minimum", "above_maximum", "jump", "share_exceeds")
"""Every reason code a quarantined observation can carry."""


@dataclass(frozen=True, slots=True)
class Problem:
    """Why an observation is implausible."""

    reason: str
    detail_vi: str
    detail_en: str


def _n(value: float) -> str:
    return f"{value:g}"


def check_value(rules: Plausibility, obs: Observation, previous: float | None) -> Problem | None:
    """The first rule of the observation's metric it breaks; ``previous`` is the unit's value before it."""
    metric, value = obs.metric, obs.value
    if metric in rules.whole and not float(value).is_integer():
        return Problem(
            "not_whole",
            f"{metric} = {_n(value)}: số đếm phải là số nguyên",
            f"{metric} = {_n(value)}: a count must be a whole number",
        )
    low, high = rules.minimum.get(metric), rules.maximum.get(metric)
    if low is not None and value < low:
        return Problem(
            "below_minimum",
            f"{metric} = {_n(value)} nhỏ hơn mức tối thiểu {_n(low)}",
            f"{metric} = {_n(value)} is below {_n(low)}",
        )
    if high is not None and value > high:
        return Problem(
            "above_maximum",
            f"{metric} = {_n(value)} lớn hơn mức tối đa {_n(high)}",
            f"{metric} = {_n(value)} is above {_n(high)}",
        )
    factor = rules.jump.get(metric)
    if (
        factor is not None
        and previous is not None
        and previous > 0
        and not previous / factor <= value <= previous * factor
    ):
        return Problem(
            "jump",
            f"{metric} = {_n(value)} thay đổi quá {_n(factor)} lần so với giá trị trước {_n(previous)}",
            f"{metric} = {_n(value)} is more than {_n(factor)} times away from the previous value {_n(previous)}",
        )
    return None


def check_share(indicator: Indicator, obs: Observation, partner: tuple[dt.datetime, float] | None) -> Problem | None:
    """Whether ``obs`` puts a share's part above its whole; ``partner`` is the other metric's (time, value).

    Only a partner of the same time is compared: the two metrics of a pair arrive one after the other.
    """
    if partner is None or partner[0] != obs.ts or indicator.denominator is None:
        return None
    if obs.metric == indicator.numerator:
        part, whole = obs.value, partner[1]
    else:
        part, whole = partner[1], obs.value
    if part <= whole:
        return None
    pair = f"{indicator.code}: {indicator.numerator} = {_n(part)}"
    return Problem(
        "share_exceeds",
        f"{pair} lớn hơn {indicator.denominator} = {_n(whole)} cùng thời điểm",
        f"{pair} exceeds {indicator.denominator} = {_n(whole)} of the same time",
    )
