import datetime as dt

import msgspec

from index_engine.catalog import load_catalog
from index_engine.observation import Observation
from streams.state import (
    Cell,
    Memory,
    RollupMessage,
    UnitState,
    apply_contribution,
    apply_observation,
    dump_memory,
    inputs,
    load_memory,
    newest,
)
from streams.store import state_rows

CATALOG = load_catalog()
CQS04 = CATALOG.indicators["CQS-04"]
T0 = dt.datetime(2023, 6, 30, 3, 0, tzinfo=dt.UTC)
DAY = dt.date(2023, 6, 30)


def obs(
    value: float,
    *,
    minutes: int = 0,
    kind: str = "cumulative",
    id_: str | None = None,
    metric: str = "dossier.processed",
) -> Observation:
    ts = T0 + dt.timedelta(minutes=minutes)
    return Observation(
        id=id_ or f"x:{minutes}:{value}",
        source="t",
        metric=metric,
        unit="HALONG",
        ts=ts,
        kind=kind,
        value=value,  # type: ignore[arg-type]
    )


def contribution(child: str, num: float | None, den: float | None, version: int) -> RollupMessage:
    return RollupMessage(
        child=child, indicator="CQS-04", period=2023, version=version, ts=T0, numerator=num, denominator=den, seen=T0
    )


def test_cumulative_keeps_the_newest_timestamp_whatever_the_order() -> None:
    state = UnitState()
    assert apply_observation(state, obs(10, minutes=5)) == ("dossier.processed", 2023)
    assert apply_observation(state, obs(7, minutes=1)) is None
    assert apply_observation(state, obs(10, minutes=5)) is None
    assert state.own == {("dossier.processed", 2023): Cell(ts=T0 + dt.timedelta(minutes=5), value=10)}


def test_deltas_add_up_into_the_period_of_their_event_time() -> None:
    state = UnitState()
    apply_observation(state, obs(3, kind="delta", id_="a"))
    apply_observation(state, obs(4, kind="delta", id_="b", minutes=-60))
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
    assert {key: cell.value for key, cell in state.own.items()} == {
        ("dossier.processed", 2023): 7,
        ("dossier.processed", 2024): 5,
    }


def test_children_inputs_are_summed_and_a_newer_version_replaces_an_older_one() -> None:
    state = UnitState()
    for message in (
        contribution("HALONG", 8, 10, 1),
        contribution("CAMPHA", 4, 5, 1),
        contribution("HALONG", 9, 12, 3),
        contribution("HALONG", 1, 1, 2),
    ):
        apply_contribution(state, message)
    assert inputs(CATALOG, state, "QN", CQS04, 2023, DAY) == (13, 17, T0)
    assert newest(state, CQS04, 2023) == T0


def test_own_values_win_metric_by_metric_over_the_childrens_sum() -> None:
    state = UnitState()
    apply_contribution(state, contribution("HALONG", 8, 10, 1))
    apply_observation(state, obs(100, minutes=30))
    numerator, denominator, _ = inputs(CATALOG, state, "QN", CQS04, 2023, DAY)
    assert (numerator, denominator) == (8, 100)


def test_a_child_without_a_denominator_does_not_inflate_the_numerator() -> None:
    state = UnitState()
    apply_contribution(state, contribution("HALONG", 8, 10, 1))
    apply_contribution(state, contribution("CAMPHA", 50, None, 1))
    assert inputs(CATALOG, state, "QN", CQS04, 2023, DAY)[:2] == (8, 10)


def test_changes_are_recorded_until_written() -> None:
    state = UnitState()
    apply_observation(state, obs(3, kind="delta", id_="a"))
    apply_observation(state, obs(7, minutes=1, metric="dossier.processed_online"))
    apply_contribution(state, contribution("COTO", 2.5, 3, 4))
    assert state.changed_cells == {("dossier.processed", 2023), ("dossier.processed_online", 2023)}
    assert state.changed_contributions == {("CQS-04", 2023, "COTO")}
    assert state.version == 3
    state.memory_of("CQS-04")
    state.changed_memory.add("CQS-04")
    # The unit's row, two cells, one contribution and one memory.
    assert state.changed_rows == 5 == len(list(state_rows("HALONG", state)))
    state.mark_written()
    assert not state.changed
    assert state.changed_rows == 0 == len(list(state_rows("HALONG", state)))
    # An older total and an older contribution change nothing, so nothing is to be written.
    apply_observation(state, obs(1, minutes=0, metric="dossier.processed_online"))
    apply_contribution(state, contribution("COTO", 1, 1, 2))
    assert not state.changed
    assert state.version == 3


def test_memory_round_trips_through_its_codec() -> None:
    memory = Memory(history={2023: [(T0, 12.5)]}, open=[], written=("on_track", 0.5, 12.5))
    assert load_memory(dump_memory(memory)) == memory


def test_a_memory_stored_before_the_written_period_decodes() -> None:
    memory = Memory(history={2025: [(T0, 60.0)]}, open=[], written=("achieved", 1.0, 90.0), written_period=2025)
    assert load_memory(dump_memory(memory)) == memory
    older = msgspec.msgpack.encode({"history": {}, "open": [], "written": ["achieved", 1.0, 90.0]})
    assert load_memory(older).written_period is None
