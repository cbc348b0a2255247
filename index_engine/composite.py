"""Pillar scores, the unit index and rankings within peer groups."""

from __future__ import annotations

import math
from collections.abc import Iterable

from index_engine.catalog import Catalog
from index_engine.results import IndicatorResult, PillarScore, Rank, UnitIndex

MIN_COVERAGE = 2 / 3
"""A pillar score is withheld when fresh, scored indicators carry less than this share of its weight."""

POINTS = 1000
"""The index is also reported on the national DTI's 1000-point scale."""

_EPSILON = 1e-12
"""Tolerance for comparing sums of weights, so 6 of 9 equal weights count as exactly 2/3."""


def pillar_scores(
    catalog: Catalog, results: Iterable[IndicatorResult], period: int | None = None
) -> tuple[PillarScore, ...]:
    """The score of every pillar for one unit's results, in catalog order, with the weights of the period's plan.

    ``period`` defaults to the results' own (the newest plan's weights when there are none). A pillar's score
    is the weighted mean of the scores of its indicators that apply to the unit and have fresh data. An
    indicator applies when it has a target for the unit (results for indicators that don't apply at all are
    never produced). Coverage is the fresh, scored weight over the applicable weight; below 2/3 the score is
    withheld.
    """
    materialised = tuple(results)
    if period is None and materialised:
        period = materialised[0].period
    pillar_weights, weights = catalog.weights_of(period)
    groups: dict[str, _Sums] = {pillar: _Sums() for pillar in catalog.pillars}
    for result in materialised:
        if result.target is None:
            continue
        sums = groups[result.pillar]
        weight = weights.get(result.indicator, 1.0)
        sums.applicable.append(weight)
        if result.fresh and result.score is not None:
            sums.covered.append(weight)
            sums.weighted.append(weight * result.score)
            sums.scored.append(result.indicator)
    return tuple(sums.score(pillar_weights[pillar], pillar) for pillar, sums in groups.items())


class _Sums:
    """The running sums of one pillar."""

    __slots__ = ("applicable", "covered", "scored", "weighted")

    def __init__(self) -> None:
        self.applicable: list[float] = []
        self.covered: list[float] = []
        self.weighted: list[float] = []
        self.scored: list[str] = []

    def score(self, weight: float, pillar: str) -> PillarScore:
        total = math.fsum(self.applicable)
        if total == 0:
            return PillarScore(pillar=pillar, weight=weight, score=None, coverage=0.0, applicable=False, indicators=())
        covered = math.fsum(self.covered)
        coverage = covered / total
        score = math.fsum(self.weighted) / covered if coverage + _EPSILON >= MIN_COVERAGE else None
        return PillarScore(
            pillar=pillar,
            weight=weight,
            score=score,
            coverage=coverage,
            applicable=True,
            indicators=tuple(self.scored),
        )


def unit_index(unit: str, pillars: Iterable[PillarScore]) -> UnitIndex:
    """Σ W_k·P_k over the pillars that have a score, renormalised by the weight used; ``None`` if none has."""
    materialised = tuple(pillars)
    scored = [(p.weight, p.score) for p in materialised if p.score is not None]
    used = math.fsum(w for w, _ in scored)
    if not scored:
        return UnitIndex(unit=unit, value=None, points=None, pillars=materialised, weight_used=0.0)
    value = math.fsum(w * s for w, s in scored) / used
    return UnitIndex(unit=unit, value=value, points=value * POINTS, pillars=materialised, weight_used=used)


def rank_units(catalog: Catalog, indices: Iterable[UnitIndex]) -> dict[str, Rank]:
    """Rank units with an index within their peer group (groups marked ranked only).

    Higher is better; equal indices share a place and the next place is skipped (1, 2, 2, 4). Tied units are
    listed by unit code, so the result never depends on the order of the input.
    """
    groups: dict[str, list[tuple[float, str]]] = {}
    for index in indices:
        group = catalog.units[index.unit].peer_group
        if index.value is not None and catalog.peer_groups[group].ranked:
            # Rounding keeps values that differ only by float noise tied.
            groups.setdefault(group, []).append((round(index.value, 9), index.unit))
    ranks: dict[str, Rank] = {}
    for group, members in groups.items():
        members.sort(key=lambda m: (-m[0], m[1]))
        place = 0
        previous: float | None = None
        for position, (value, unit) in enumerate(members, start=1):
            if value != previous:
                place, previous = position, value
            ranks[unit] = Rank(unit=unit, peer_group=group, rank=place, of=len(members))
    return ranks
