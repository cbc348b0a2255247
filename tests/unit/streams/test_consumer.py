from dataclasses import dataclass

from faust.types import TP

from streams.consumer import acknowledged_from, fetched_spans, first_undelivered, label

P0, P1, P2 = (TP("qndti.observations", n) for n in range(3))


@dataclass(frozen=True)
class Record:
    offset: int


def test_spans_are_the_first_and_last_offset_fetched_per_partition() -> None:
    records = {P0: [Record(5), Record(6), Record(7)], P1: [Record(12)], P2: []}
    assert fetched_spans(records) == {P0: (5, 7), P1: (12, 12)}


def test_everything_delivered_leaves_nothing_to_give_back() -> None:
    assert first_undelivered({P0: (5, 7), P1: (12, 12)}, {P0: 7, P1: 12}) == {}


def test_a_partition_cut_short_resumes_after_its_last_delivered_record() -> None:
    # Faust stopped handing over records after offset 9 of P0 (say, the rebalance generation changed).
    assert first_undelivered({P0: (5, 20), P1: (12, 14)}, {P0: 9, P1: 14}) == {P0: 10}


def test_a_partition_with_nothing_delivered_resumes_at_its_first_fetched_record() -> None:
    # Fetched while the partition was not active (aiokafka read an emptied active set as "every partition").
    assert first_undelivered({P0: (5, 7), P1: (0, 86)}, {P0: 7}) == {P1: 0}


def test_a_commit_waits_for_the_offset_after_the_committed_one() -> None:
    assert acknowledged_from([], 125)
    assert acknowledged_from([125, 126, 127], 125)
    # Faust's own check lets exactly this through: offset 125 was never acknowledged.
    assert not acknowledged_from([127, 126], 125)
    # A partition with nothing committed and nothing fetched yet has nothing to wait for.
    assert acknowledged_from([3, 4], None)


def test_logs_name_a_partition_topic_slash_number() -> None:
    assert label(P2) == "qndti.observations/2"
