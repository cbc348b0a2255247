"""What a batch writes to the database, as the worker's pipeline relies on it."""

import datetime as dt

from index_engine.catalog import load_catalog
from index_engine.observation import Observation, encode_observation
from streams.outputs import database_rows
from streams.processor import BatchProcessor, Message
from streams.rows import Row
from streams.state import UnitState

CATALOG = load_catalog()
NOW = dt.datetime(2023, 7, 1, tzinfo=dt.UTC)
T0 = dt.datetime(2023, 6, 30, 3, 0, tzinfo=dt.UTC)


def message(unit: str, metric: str, kind: str, value: float, id_: str, topic: str = "obs") -> Message:
    obs = Observation(id=id_, source="t", metric=metric, unit=unit, ts=T0, kind=kind, value=value)  # type: ignore[arg-type]
    return Message(topic=topic, key=unit.encode(), value=encode_observation(obs), partition=0, offset=1)


def units_of(row: Row) -> set[str]:
    """Every unit a row names, whatever its field is called."""
    names = ("unit_code", "unit", "parent_code")
    return {value for name in names if isinstance(value := getattr(row, name, None), str)}


def test_a_batch_writes_rows_of_the_units_it_holds_states_of_and_of_no_other() -> None:
    """A batch in flight blocks reads of the units in its states only: every row it writes is of one of them."""
    processor = BatchProcessor(CATALOG, rollup_topic="rollup")
    children = processor.process(
        [
            message("HALONG", "dossier.processed", "cumulative", 200, "a"),
            message("CAMPHA", "dossier.processed_online", "cumulative", 50, "b"),
        ],
        lambda unit: UnitState(),
        NOW,
    )
    batch = [
        message("HALONG", "dossier.processed_online", "cumulative", 150, "c"),
        message("HALONG", "fee.paid", "delta", 3, "d"),
        message("HALONG", "dossier.processed", "cumulative", 2.5, "e"),  # not a whole count: quarantined
        Message(topic="obs", key=b"UONGBI", value=b"{not json", partition=0, offset=2),  # a dead letter
        *(Message(topic="rollup", key=parent.encode(), value=raw) for parent, raw in children.rollups),
    ]
    result = processor.process(batch, lambda unit: UnitState(), NOW)
    # Every kind of row is there: quarantined, dead-lettered, counted as a delta.
    assert len(result.quarantined) == 1
    assert len(result.dead_letters) == 1
    assert list(result.deltas) == ["d"]
    rows = database_rows(CATALOG, result, store_observations=True)
    named = set().union(*map(units_of, rows))
    assert named == {"HALONG", "QN"}
    assert set(result.states) == {"HALONG", "QN"}
