"""Which partition a keyed message goes to: the producers' default partitioner, with each key hashed once."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from aiokafka.partitioner import DefaultPartitioner, murmur2

_partitioner = DefaultPartitioner()


@functools.lru_cache(maxsize=1 << 16)
def _key_hash(key: bytes) -> int:
    """The key's hash as the default partitioner takes it (murmur2, as Kafka's Java clients compute it).

    aiokafka hashes in pure Python, a few µs a key, and a batch sends the same keys (units, indicator and unit)
    again and again: each is hashed once.
    """
    return int(murmur2(key)) & 0x7FFFFFFF


def key_partition(key: bytes | None, partitions: Sequence[int]) -> int:
    """The one of ``partitions`` (sorted) a message with ``key`` goes to; a message without a key, any of them."""
    if key is None:
        return int(_partitioner(None, list(partitions), list(partitions)))
    return partitions[_key_hash(key) % len(partitions)]
