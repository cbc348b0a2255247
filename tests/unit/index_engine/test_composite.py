import math
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from index_engine.catalog import Catalog
from index_engine.composite import pillar_scores, rank_units, unit_index
from index_engine.results import PillarScore, UnitIndex
from tests.unit.index_engine.conftest import CATALOG, make_result


def cqs(n: int, **overrides) -> list:
    return [make_result(indicator=f"CQS-0{i}", **overrides) for i in range(1, n + 1)]


def by_pillar(scores: tuple[PillarScore, ...]) -> dict[str, PillarScore]:
    return {p.pillar: p for p in scores}


def test_pillar_is_weighted_mean_of_fresh_applicable_scores() -> None:
    results = [*cqs(6, score=0.5), *[make_result(indicator=f"CQS-0{i}", score=1.0) for i in (7, 8, 9)]]
    pillar = by_pillar(pillar_scores(CATALOG, results))["CQS"]
    assert pillar.score == pytest.approx((6 * 0.5 + 3 * 1.0) / 9)
    assert pillar.coverage == 1.0
    assert pillar.applicable
    assert pillar.weight == 0.35
    assert len(pillar.indicators) == 9


def test_pillar_is_withheld_below_two_thirds_coverage() -> None:
    six_fresh = [*cqs(6, score=0.5), *[make_result(indicator=f"CQS-0{i}", fresh=False) for i in (7, 8, 9)]]
    five_fresh = [
        *cqs(5, score=0.5),
        *[make_result(indicator=f"CQS-0{i}", fresh=False) for i in (6, 7, 8, 9)],
    ]
    assert by_pillar(pillar_scores(CATALOG, six_fresh))["CQS"].score == 0.5  # exactly 2/3: kept
    withheld = by_pillar(pillar_scores(CATALOG, five_fresh))["CQS"]
    assert withheld.score is None
    assert withheld.coverage == pytest.approx(5 / 9)


def test_indicators_without_target_or_score_do_not_count() -> None:
    results = [*cqs(2, score=0.8), make_result(indicator="CQS-03", target=None, score=None)]
    pillars = by_pillar(pillar_scores(CATALOG, results))
    assert pillars["CQS"].score == pytest.approx(0.8)
    assert pillars["CQS"].coverage == 1.0
    assert not pillars["KTS"].applicable
    assert pillars["KTS"].score is None
    stale_only = by_pillar(pillar_scores(CATALOG, [make_result(score=None, value=None, fresh=False)]))["CQS"]
    assert stale_only.applicable
    assert stale_only.coverage == 0.0
    assert stale_only.score is None


def test_unit_index_renormalises_over_pillars_with_a_score() -> None:
    pillars = [
        PillarScore(pillar="CQS", weight=0.35, score=0.8, coverage=1, applicable=True, indicators=()),
        PillarScore(pillar="KTS", weight=0.25, score=0.4, coverage=1, applicable=True, indicators=()),
        PillarScore(pillar="XHS", weight=0.25, score=None, coverage=0.5, applicable=True, indicators=()),
        PillarScore(pillar="NT", weight=0.15, score=None, coverage=0, applicable=False, indicators=()),
    ]
    index = unit_index("QN", pillars)
    assert index.value == pytest.approx((0.35 * 0.8 + 0.25 * 0.4) / 0.6)
    assert index.points == pytest.approx(1000 * index.value)
    assert index.weight_used == pytest.approx(0.6)
    assert len(index.pillars) == 4
    empty = unit_index("QN", pillars[2:])
    assert (empty.value, empty.points, empty.weight_used) == (None, None, 0.0)


scores = st.floats(0, 1)


@given(
    st.lists(
        st.tuples(st.sampled_from(list(CATALOG.pillars)), scores),
        min_size=1,
        max_size=4,
        unique_by=lambda p: p[0],
    )
)
def test_index_weights_are_renormalised(chosen: list[tuple[str, float]]) -> None:
    pillars = [
        PillarScore(pillar=p, weight=CATALOG.pillars[p].weight, score=s, coverage=1, applicable=True, indicators=())
        for p, s in chosen
    ]
    index = unit_index("U", pillars)
    assert index.value is not None
    assert 0 <= index.value <= 1 + 1e-12
    same = [s for _, s in chosen]
    if all(math.isclose(s, same[0]) for s in same):
        assert index.value == pytest.approx(same[0])


def index(unit: str, value: float | None) -> UnitIndex:
    return UnitIndex(unit=unit, value=value, points=None, pillars=(), weight_used=1.0)


def test_ranking_within_peer_groups_with_ties() -> None:
    indices = [
        index("HALONG", 0.8),
        index("CAMPHA", 0.9),
        index("COTO", 0.8),
        index("UONGBI", 0.7),
        index("MONGCAI", None),
        index("TTPVHCC", 0.1),
        index("QN", 0.5),
    ]
    ranks = rank_units(CATALOG, indices)
    assert {u: (r.rank, r.of) for u, r in ranks.items() if r.peer_group == "locality"} == {
        "CAMPHA": (1, 4),
        "COTO": (2, 4),
        "HALONG": (2, 4),
        "UONGBI": (4, 4),
    }
    assert ranks["TTPVHCC"].rank == 1
    assert ranks["TTPVHCC"].peer_group == "department_services"
    assert "QN" not in ranks
    assert "MONGCAI" not in ranks


@given(
    st.permutations(["HALONG", "CAMPHA", "COTO", "UONGBI", "VANDON"]),
    st.lists(scores, min_size=5, max_size=5),
)
def test_ranking_does_not_depend_on_input_order(order: list[str], values: list[float]) -> None:
    by_unit = dict(zip(["HALONG", "CAMPHA", "COTO", "UONGBI", "VANDON"], values, strict=False))
    reference = rank_units(CATALOG, [index(u, by_unit[u]) for u in sorted(by_unit)])
    assert rank_units(CATALOG, [index(u, by_unit[u]) for u in order]) == reference


def test_a_catalog_without_scores(catalog: Catalog) -> None:
    assert all(not p.applicable for p in pillar_scores(replace(catalog), []))
