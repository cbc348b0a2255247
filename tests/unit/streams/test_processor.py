import datetime as dt

import msgspec
import pytest

from index_engine.catalog import load_catalog
from index_engine.observation import Observation, encode_observation
from streams.processor import BatchProcessor, Message
from streams.state import Cell, Counted, RollupMessage, UnitState, dump_rollups, load_rollups

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
    # One row per indicator, unit and hour: as of the last change in that hour.
    assert [(r.indicator_code, r.unit_code, r.value, r.numerator, r.denominator) for r in result.rows] == [
        ("CQS-04", "HALONG", 75.0, 150.0, 200.0),
    ]
    assert {parent for parent, _ in result.rollups} == {"QN"}
    sent = [m for _, raw in result.rollups for m in load_rollups(raw)]
    assert [(m.child, m.indicator, m.numerator, m.denominator) for m in sent] == [("HALONG", "CQS-04", 150, 200)]


def at(metric: str, value: float, ts: dt.datetime) -> Message:
    obs = Observation(
        id=f"{metric}@{ts}", source="t", metric=metric, unit="HALONG", ts=ts, kind="cumulative", value=value
    )
    return message(encode_observation(obs))


def test_each_hour_gets_the_value_after_its_last_event(processor: BatchProcessor) -> None:
    hour = dt.timedelta(hours=1)
    batch = [
        at("dossier.processed", 100, T0),
        at("dossier.processed_online", 10, T0 + dt.timedelta(minutes=5)),
        at("dossier.processed_online", 40, T0 + dt.timedelta(minutes=50)),
        at("dossier.processed", 200, T0 + hour),  # the next hour: 40 of 100 stays the first hour's value
        at("dossier.processed_online", 30, T0 + dt.timedelta(minutes=20)),  # late, older than the cell: no change
        at("dossier.processed_online", 150, T0 + 2 * hour + dt.timedelta(minutes=1)),
        at("dossier.processed_online", 160, T0 + 2 * hour + dt.timedelta(minutes=2)),
    ]
    result = processor.process(batch, lambda unit: UnitState(), NOW)
    rows = [(r.ts, r.value, r.numerator, r.denominator) for r in result.rows]
    assert rows == [
        (T0 + dt.timedelta(minutes=50), 40.0, 40.0, 100.0),
        (T0 + hour, 20.0, 40.0, 200.0),
        (T0 + 2 * hour + dt.timedelta(minutes=2), 80.0, 160.0, 200.0),
    ]
    # Later rows carry later versions, so the sink never lets an earlier one replace them.
    assert [r.version for r in result.rows] == sorted({r.version for r in result.rows})


def test_the_same_hours_split_over_two_batches_give_the_same_rows(processor: BatchProcessor) -> None:
    hour = dt.timedelta(hours=1)
    batch = [
        at("dossier.processed", 100, T0),
        at("dossier.processed_online", 40, T0 + dt.timedelta(minutes=50)),
        at("dossier.processed", 200, T0 + hour),
        at("dossier.processed_online", 160, T0 + hour + dt.timedelta(minutes=2)),
    ]
    whole = processor.process(batch, lambda unit: UnitState(), NOW).rows
    states: dict[str, UnitState] = {}
    first = processor.process(batch[:3], lambda unit: states.setdefault(unit, UnitState()), NOW)
    second = processor.process(batch[3:], lambda unit: states.setdefault(unit, UnitState()), NOW)
    # Per hour, the row of the later batch wins in the sink (a higher version).
    by_hour = {r.ts.replace(minute=0): (r.value, r.numerator, r.denominator) for r in [*first.rows, *second.rows]}
    assert by_hour == {r.ts.replace(minute=0): (r.value, r.numerator, r.denominator) for r in whole}


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


def test_one_rollup_message_per_child_and_batch_carries_every_changed_indicator(processor: BatchProcessor) -> None:
    result = processor.process(
        [
            message(observation("dossier.processed", 200)),
            message(observation("dossier.processed_online", 150)),
            message(observation("dossier.processed", 90, unit="CAMPHA"), key=b"CAMPHA"),
        ],
        lambda unit: UnitState(),
        NOW,
    )
    assert sorted(parent for parent, _ in result.rollups) == ["QN", "QN"]
    children = sorted((m.child, m.indicator) for _, raw in result.rollups for m in load_rollups(raw))
    assert children == [("CAMPHA", "CQS-04"), ("HALONG", "CQS-04")]


def test_a_single_rollup_message_of_the_earlier_format_is_still_read(processor: BatchProcessor) -> None:
    first = processor.process(
        [message(observation("dossier.processed", 200)), message(observation("dossier.processed_online", 50))],
        lambda u: UnitState(),
        NOW,
    )
    ((parent, raw),) = first.rollups
    (single,) = load_rollups(raw)
    old = msgspec.json.encode(single)
    assert load_rollups(old) == [single]
    result = processor.process([message(old, key=parent.encode(), topic="rollup")], lambda u: UnitState(), NOW)
    assert [(r.unit_code, r.numerator, r.denominator, r.value) for r in result.rows] == [("QN", 50, 200, 25.0)]


def test_a_rollup_message_with_an_unknown_indicator_is_a_dead_letter_as_a_whole(processor: BatchProcessor) -> None:
    good = RollupMessage(
        child="HALONG", indicator="CQS-04", period=2023, version=1, ts=T0, numerator=1, denominator=2, seen=T0
    )
    bad = msgspec.structs.replace(good, indicator="NO-SUCH")
    result = processor.process(
        [message(dump_rollups([good, bad]), key=b"QN", topic="rollup")], lambda u: UnitState(), NOW
    )
    assert [d.reason for d in result.dead_letters] == ["bad_rollup"]
    assert result.rows == []
    assert result.states == {}


def delta(id_: str, value: float, unit: str = "HALONG") -> bytes:
    return encode_observation(
        Observation(id=id_, source="t", metric="fee.paid", unit=unit, ts=T0, kind="delta", value=value)
    )


def test_a_delta_id_counts_once_within_a_batch_and_not_at_all_when_counted_before(processor: BatchProcessor) -> None:
    state = UnitState()
    result = processor.process(
        [message(delta("a", 3)), message(delta("b", 4)), message(delta("a", 30)), message(delta("c", 5))],
        lambda u: state,
        NOW,
        counted={"c": Counted(0, "fee.paid", 2023, 5.0)},
    )
    # "a" again (whatever it carries) and "c" (counted by an earlier batch) change nothing.
    assert state.own[("fee.paid", 2023)].value == 7
    assert sorted(result.deltas) == ["a", "b"]
    assert (result.accepted, result.repeated) == (4, 2)
    assert [o.id for o in result.observations] == ["a", "b"]


def revised_delta(figure: str, revision: int, value: float) -> bytes:
    return encode_observation(
        Observation(
            id=f"{figure}@{revision}" if revision else figure,
            source="t",
            metric="fee.paid",
            unit="HALONG",
            ts=T0,
            kind="delta",
            value=value,
            revision=revision,
        )
    )


def test_a_higher_revision_of_a_delta_figure_replaces_the_value_counted(processor: BatchProcessor) -> None:
    state = UnitState()
    result = processor.process(
        [
            message(revised_delta("f1", 0, 3)),
            message(revised_delta("f2", 5, 10)),
            message(revised_delta("f1", 7, 4)),  # corrects f1: 3 becomes 4
            message(revised_delta("f2", 5, 99)),  # the same revision again: a repeat
            message(revised_delta("f2", 2, 50)),  # an older revision: changes nothing
        ],
        lambda u: state,
        NOW,
        counted={"f3": Counted(1, "fee.paid", 2023, 2.0)},
    )
    assert state.own[("fee.paid", 2023)].value == 14  # 4 + 10
    assert (result.repeated, len(result.revised)) == (2, 1)
    assert result.deltas["f1"][1] == Counted(7, "fee.paid", 2023, 4.0)
    # A revision of a figure counted by an earlier batch takes that batch's value out.
    earlier = UnitState()
    earlier.own[("fee.paid", 2023)] = Cell(ts=T0, value=2.0)
    processor.process(
        [message(revised_delta("f3", 4, 6))], lambda u: earlier, NOW, {"f3": Counted(1, "fee.paid", 2023, 2.0)}
    )
    assert earlier.own[("fee.paid", 2023)].value == 6


def test_a_cumulative_correction_at_the_same_time_replaces_the_value_with_a_higher_revision(
    processor: BatchProcessor,
) -> None:
    state = UnitState()

    def total(value: float, revision: int) -> bytes:
        return encode_observation(
            Observation(
                id=f"t@{revision}",
                source="t",
                metric="dossier.processed",
                unit="HALONG",
                ts=T0,
                kind="cumulative",
                value=value,
                revision=revision,
            )
        )

    result = processor.process(
        [message(total(200, 1)), message(total(180, 3)), message(total(150, 2))], lambda u: state, NOW
    )
    assert state.own[("dossier.processed", 2023)].value == 180
    assert len(result.revised) == 1
