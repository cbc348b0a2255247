import datetime as dt

import pytest

from index_engine.catalog import load_catalog
from index_engine.observation import Observation, encode_observation
from streams.processor import BatchProcessor, Message
from streams.state import UnitState, load_rollup

CATALOG = load_catalog()
NOW = dt.datetime(2023, 7, 1, tzinfo=dt.UTC)
T0 = dt.datetime(2023, 6, 30, 3, 0, tzinfo=dt.UTC)


def message(value: bytes, key: bytes | None = b"HALONG", topic: str = "obs") -> Message:
    return Message(topic=topic, key=key, value=value, partition=0, offset=1)


def observation(metric: str, value: float, unit: str = "HALONG") -> bytes:
    return encode_observation(
        Observation(id=f"{unit}:{metric}", source="t", metric=metric, unit=unit, ts=T0, kind="cumulative", value=value)
    )


@pytest.fixture
def processor() -> BatchProcessor:
    return BatchProcessor(CATALOG, rollup_topic="rollup")


def test_a_batch_yields_indicator_rows_and_rollups_to_the_parent(processor: BatchProcessor) -> None:
    result = processor.process(
        [message(observation("dossier.processed", 200)), message(observation("dossier.processed_online", 150))],
        lambda unit: UnitState(),
        NOW,
    )
    assert result.accepted == 2
    # A row after each change; the sink keeps the newest version per time bucket.
    assert [(r.indicator_code, r.unit_code, r.value, r.numerator, r.denominator) for r in result.rows] == [
        ("CQS-04", "HALONG", None, None, 200.0),
        ("CQS-04", "HALONG", 75.0, 150.0, 200.0),
    ]
    assert {parent for parent, _ in result.rollups} == {"QN"}
    sent = [load_rollup(raw) for _, raw in result.rollups]
    assert [(m.child, m.indicator, m.numerator, m.denominator) for m in sent] == [("HALONG", "CQS-04", 150, 200)]


def test_rollup_messages_update_the_parent(processor: BatchProcessor) -> None:
    first = processor.process(
        [message(observation("dossier.processed", 200)), message(observation("dossier.processed_online", 50))],
        lambda u: UnitState(),
        NOW,
    )
    ((parent, raw),) = first.rollups
    result = processor.process([message(raw, key=parent.encode(), topic="rollup")], lambda u: UnitState(), NOW)
    assert [(r.unit_code, r.numerator, r.denominator, r.value) for r in result.rows] == [("QN", 50, 200, 25.0)]


@pytest.mark.parametrize(
    ("raw", "key", "reason"),
    [
        (b'{"id": "x"', b"HALONG", "malformed_json"),
        (b"\xff\xfe", b"HALONG", "bad_encoding"),
        (observation("dossier.processed", 1, unit="HALONG"), b"CAMPHA", "key_mismatch"),
        (observation("no.such.metric", 1), b"HALONG", "unknown_metric"),
    ],
)
def test_bad_messages_become_dead_letters_and_valid_neighbours_are_kept(
    processor: BatchProcessor, raw: bytes, key: bytes, reason: str
) -> None:
    good = message(observation("dossier.processed", 10))
    result = processor.process([good, message(raw, key=key), good], lambda u: UnitState(), NOW)
    assert [(d.reason, d.value, d.message.origin) for d in result.dead_letters] == [(reason, raw, "obs/0/1")]
    assert result.accepted == 2


def test_a_rollup_for_an_unknown_unit_is_a_dead_letter(processor: BatchProcessor) -> None:
    result = processor.process([message(b"not json", key=b"QN", topic="rollup")], lambda u: UnitState(), NOW)
    assert [d.reason for d in result.dead_letters] == ["bad_rollup"]
