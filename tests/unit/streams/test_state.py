import datetime as dt

from index_engine.observation import Observation
from streams.state import (
    RollupMessage,
    UnitState,
    apply_contribution,
    apply_observation,
    dump_state,
    effective,
    load_state,
)

T0 = dt.datetime(2023, 6, 30, 3, 0, tzinfo=dt.UTC)


def obs(value: float, *, minutes: int = 0, kind: str = "cumulative", id_: str | None = None) -> Observation:
    ts = T0 + dt.timedelta(minutes=minutes)
    return Observation(
        id=id_ or f"x:{minutes}:{value}",
        source="t",
        metric="dossier.processed",
        unit="HALONG",
        ts=ts,
        kind=kind,
        value=value,  # type: ignore[arg-type]
    )


def test_cumulative_keeps_the_newest_timestamp_whatever_the_order() -> None:
    state = UnitState()
    assert apply_observation(state, obs(10, minutes=5)) == ("dossier.processed", 2023)
    assert apply_observation(state, obs(7, minutes=1)) is None
    assert apply_observation(state, obs(10, minutes=5)) is None
    assert effective(state, "dossier.processed", 2023) == (10, T0 + dt.timedelta(minutes=5))


def test_deltas_count_each_id_once_into_the_period_of_their_event_time() -> None:
    state = UnitState()
    apply_observation(state, obs(3, kind="delta", id_="a"))
    apply_observation(state, obs(4, kind="delta", id_="b", minutes=-60))
    assert apply_observation(state, obs(3, kind="delta", id_="a")) is None
    # 2023-12-31T17:30Z is already 2024 in Asia/Ho_Chi_Minh.
    new_year = Observation(
        id="c",
        source="t",
        metric="dossier.processed",
        unit="HALONG",
        ts=dt.datetime(2023, 12, 31, 17, 30, tzinfo=dt.UTC),
        kind="delta",
        value=5,
    )
    assert apply_observation(state, new_year) == ("dossier.processed", 2024)
    assert effective(state, "dossier.processed", 2023) == (7, T0)
    assert effective(state, "dossier.processed", 2024) == (5, new_year.ts)


def test_own_value_takes_precedence_over_children_and_children_sum_otherwise() -> None:
    state = UnitState()
    for child, value, version in (("HALONG", 10.0, 1), ("CAMPHA", 5.0, 1), ("HALONG", 12.0, 3), ("HALONG", 11.0, 2)):
        apply_contribution(
            state,
            RollupMessage(child=child, metric="dossier.processed", period=2023, version=version, ts=T0, value=value),
        )
    assert effective(state, "dossier.processed", 2023) == (17.0, T0)
    apply_observation(state, obs(100))
    assert effective(state, "dossier.processed", 2023) == (100, T0)
    assert effective(state, "dossier.processed_online", 2023) is None


def test_state_round_trips_through_the_changelog_codec() -> None:
    state = UnitState()
    apply_observation(state, obs(3, kind="delta", id_="a"))
    apply_contribution(state, RollupMessage(child="COTO", metric="m", period=2023, version=4, ts=T0, value=2.5))
    assert load_state(dump_state(state)) == state
    assert load_state(None) == UnitState()
