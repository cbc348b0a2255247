"""Partitions of keyed messages."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner

from streams.partitions import key_partition

PARTITIONS = [0, 1, 2, 3, 4, 5]


def test_a_key_goes_where_the_default_partitioner_sends_it_every_time() -> None:
    default = DefaultPartitioner()
    keys = [f"CQS-{n:02d}|UNIT{n * 7}".encode() for n in range(300)]
    for _ in range(2):  # the second round from the cached hashes
        assert [key_partition(k, PARTITIONS) for k in keys] == [default(k, PARTITIONS, PARTITIONS) for k in keys]


def test_java_clients_agree() -> None:
    # Kafka's own murmur2 partitioning of these keys over 4 partitions.
    assert [key_partition(u.encode(), range(4)) for u in ("COTO", "QUANGYEN", "HALONG", "QN")] == [0, 1, 2, 0]


def test_a_message_without_a_key_goes_to_one_of_the_partitions() -> None:
    assert {key_partition(None, PARTITIONS) for _ in range(200)} <= set(PARTITIONS)
