"""Errors of the streams package.

Hierarchy::

    StreamsError
    └── SinkUnavailable    the database cannot be reached; the batch is retried and its offsets held
"""


class StreamsError(Exception):
    """Base class of errors raised by the worker."""


class SinkUnavailable(StreamsError):
    """The database cannot be reached; the batch is retried and its offsets are not committed."""
