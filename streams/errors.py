"""Errors of the streams package.

Hierarchy::

    StreamsError
    ├── CommitConflict     another worker committed first: the batch's transaction is rolled back
    │   ├── OffsetMoved        a partition's stored offset is not the one the batch started from
    │   └── AlreadyCounted     a delta id of the batch was counted by another transaction
    └── WorkerStuck        the database or the broker refused work for longer than the retry budget
"""


class StreamsError(Exception):
    """Base class of errors raised by the worker."""


class CommitConflict(StreamsError):
    """Another worker committed first: this batch's effects are rolled back and its partitions' state dropped."""


class OffsetMoved(CommitConflict):
    """A partition's stored offset moved since the batch started: the partition is another worker's now."""

    def __init__(self, topic: str, partition: int, expected: int | None) -> None:
        super().__init__(f"{topic}/{partition}: stored offset is no longer {expected}")
        self.topic = topic
        self.partition = partition


class AlreadyCounted(CommitConflict):
    """A delta id of the batch was already in ``dti.delta_id``: another worker applied the same records."""


class WorkerStuck(StreamsError):
    """The worker could not make progress within its retry budget; it exits for the supervisor to restart it."""
