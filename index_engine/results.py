"""What the engine returns: immutable records of one evaluation.

They are frozen msgspec Structs rather than dataclasses because the engine builds hundreds of thousands of
them per evaluation round and a Struct is about five times cheaper to create; they encode to JSON as is.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from index_engine.status import Status


class IndicatorResult(msgspec.Struct, frozen=True, gc=False):
    """One indicator for one unit at one time: value, score, trajectory and status, with every input.

    Fields are positional as well (the engine builds these on its hot path); keep their order.
    """

    indicator: str
    pillar: str
    unit: str
    period: int
    numerator: float | None
    denominator: float | None
    value: float | None
    baseline: float | None
    target: float | None
    tolerance: float | None
    score: float | None
    attainment: float | None
    fraction: float
    expected: float | None
    projected: float | None
    progress: float | None
    shortfall: float | None
    fit_points: int
    last_seen: dt.datetime | None
    fresh: bool
    status: Status

    @property
    def beyond_tolerance(self) -> bool:
        """Whether the shortfall against the expected value E exceeds the alert tolerance."""
        return self.shortfall is not None and self.tolerance is not None and self.shortfall > self.tolerance


class PillarScore(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A unit's score on one pillar; ``score`` is ``None`` when withheld or when nothing applies."""

    pillar: str
    weight: float
    score: float | None
    coverage: float
    applicable: bool
    indicators: tuple[str, ...]
    """The indicators whose scores were averaged."""


class UnitIndex(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A unit's composite index, 0–1 and ×1000 points, over the pillars that have a score."""

    unit: str
    value: float | None
    points: float | None
    pillars: tuple[PillarScore, ...]
    weight_used: float
    """The sum of the weights of the pillars that entered the index, before renormalising."""


class Rank(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A unit's place in its peer group (1 is best; tied units share a place)."""

    unit: str
    peer_group: str
    rank: int
    of: int


class Scorecard(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Everything evaluated for one unit at one time."""

    unit: str
    period: int
    at: dt.datetime
    results: tuple[IndicatorResult, ...]
    index: UnitIndex
