import datetime as dt

from index_engine.catalog import load_catalog
from index_engine.observation import Observation
from index_engine.status import Status
from streams.staleness import partition_of, sweep
from streams.state import UnitState, apply_observation

CATALOG = load_catalog()
SEEN = dt.datetime(2023, 6, 30, 3, 0, tzinfo=dt.UTC)


def state_with_dossiers() -> UnitState:
    state = UnitState()
    for metric, value in (("dossier.processed", 200.0), ("dossier.processed_online", 190.0)):
        apply_observation(
            state,
            Observation(id=metric, source="t", metric=metric, unit="QN", ts=SEEN, kind="cumulative", value=value),
        )
    return state


def test_silence_makes_an_indicator_stale_and_raises_a_stale_alert() -> None:
    state = state_with_dossiers()
    result = sweep(CATALOG, [("QN", state)], SEEN + dt.timedelta(days=30))
    (card,) = result.scorecards
    (cqs04,) = [r for r in card.results if r.indicator == "CQS-04"]
    assert cqs04.status is Status.STALE
    assert any(a.decision.indicator == "CQS-04" and a.decision.raised for a in result.alerts)
    assert state.memory["CQS-04"].open == ["stale"]


def test_fresh_data_is_not_stale() -> None:
    result = sweep(CATALOG, [("QN", state_with_dossiers())], SEEN + dt.timedelta(hours=1))
    (cqs04,) = [r for r in result.scorecards[0].results if r.indicator == "CQS-04"]
    assert cqs04.status is Status.ACHIEVED


def test_a_period_without_targets_and_unknown_units_are_left_alone() -> None:
    after_the_plans = dt.datetime(2030, 11, 28, tzinfo=dt.UTC)  # the catalog has plans for 2023-2026 only
    assert sweep(CATALOG, [("QN", state_with_dossiers()), ("ATLANTIS", UnitState())], after_the_plans).scorecards == []


def test_a_2026_sweep_evaluates_against_the_2026_plan() -> None:
    later = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
    (card,) = sweep(CATALOG, [("QN", state_with_dossiers())], later).scorecards
    (cqs04,) = [r for r in card.results if r.indicator == "CQS-04"]
    # The 2026 plan carries the 80% target; the state holds 2023 data only, so 2026 has none yet.
    assert (card.period, cqs04.target, cqs04.status) == (2026, 80.0, Status.STALE)


def test_partitions_follow_the_producers_default_partitioner() -> None:
    # Kafka's murmur2 of the key, as the broker-side tools and every Kafka client compute it.
    assert [partition_of(u, 4) for u in ("COTO", "QUANGYEN", "HALONG", "QN")] == [0, 1, 2, 0]
