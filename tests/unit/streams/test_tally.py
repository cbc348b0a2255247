"""A committed batch's metrics come from its tally, which keeps none of the batch's observations or rows."""

import datetime as dt

from prometheus_client import CollectorRegistry

from index_engine.catalog import load_catalog
from index_engine.observation import Observation, encode_observation
from streams.metrics import WorkerMetrics
from streams.processor import BatchProcessor, Message
from streams.state import UnitState
from streams.tally import record, tally_of
from streams.tasks import TaskBatch
from streams.topics import Topics

CATALOG = load_catalog()
TOPICS = Topics()
NOW = dt.datetime(2023, 7, 1, tzinfo=dt.UTC)
T0 = dt.datetime(2023, 6, 30, 3, 0, tzinfo=dt.UTC)


def observation(metric: str, value: float, minutes: int, id_: str) -> Message:
    ts = T0 + dt.timedelta(minutes=minutes)
    obs = Observation(id=id_, source="t", metric=metric, unit="HALONG", ts=ts, kind="delta", value=value)
    return Message(topic=TOPICS.observations, key=b"HALONG", value=encode_observation(obs))


def test_the_tally_counts_a_batch_by_role_and_outcome_and_its_record_fills_the_metrics() -> None:
    processor = BatchProcessor(CATALOG, rollup_topic=TOPICS.rollup)
    first = processor.process([observation("fee.paid", 4, 0, "a")], lambda unit: UnitState(), NOW)
    batch = [
        observation("fee.paid", 2, 10, "b"),
        observation("fee.paid", 2, 10, "b"),  # a repeated id
        observation("fee.paid_cashless", 1, 25, "c"),
        Message(topic=TOPICS.observations, key=b"HALONG", value=b"[]"),  # not an observation
        *(Message(topic=TOPICS.rollup, key=parent.encode(), value=raw) for parent, raw in first.rollups),
    ]
    result = processor.process(batch, lambda unit: UnitState(), NOW)
    tally = tally_of(TOPICS, batch, result, TaskBatch(), state_rows=7)
    assert dict(tally.messages) == {"observations": 4, "rollup": 1}
    assert (tally.size, tally.accepted, tally.repeated, list(tally.rejected)) == (5, 3, 1, ["schema"])
    assert tally.newest == T0 + dt.timedelta(minutes=25)

    registry = CollectorRegistry()
    record(WorkerMetrics(registry), tally, written=40)
    value = registry.get_sample_value
    assert value("qndti_worker_messages_total", {"role": "observations"}) == 4
    assert value("qndti_worker_messages_total", {"role": "rollup"}) == 1
    assert value("qndti_worker_observations_total", {"outcome": "accepted"}) == 3
    assert value("qndti_worker_observations_total", {"outcome": "repeated"}) == 1
    assert value("qndti_worker_observations_total", {"outcome": "rejected"}) == 1
    assert value("qndti_worker_dead_letters_total", {"reason": "schema"}) == 1
    assert value("qndti_worker_batch_messages_count") == 1
    assert value("qndti_worker_batch_messages_sum") == 5
    assert value("qndti_sink_rows_total") == 40
