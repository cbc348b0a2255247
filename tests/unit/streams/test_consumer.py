from dataclasses import dataclass

from faust.types import TP

from streams.consumer import split_records

P0, P1, P2 = (TP("qndti.observations", n) for n in range(3))


@dataclass(frozen=True)
class Record:
    offset: int


def test_records_of_active_partitions_are_delivered_and_the_others_rewound_to_their_first_offset() -> None:
    records = {P0: [Record(5), Record(6)], P1: [Record(12), Record(11), Record(13)], P2: []}
    kept, rewind = split_records(records, {P0})
    assert kept == {P0: [Record(5), Record(6)]}
    assert rewind == {P1: 11}


def test_nothing_is_rewound_when_every_fetched_partition_is_still_active() -> None:
    records = {P0: [Record(1)], P1: [Record(2)]}
    assert split_records(records, {P0, P1, P2}) == (records, {})


def test_an_emptied_active_set_delivers_nothing_and_rewinds_everything() -> None:
    # aiokafka reads an empty set as "every partition": what it returns then must all be fetched again.
    kept, rewind = split_records({P0: [Record(3)], P1: [Record(8)]}, set())
    assert kept == {}
    assert rewind == {P0: 3, P1: 8}
