"""Errors of the index engine.

Hierarchy::

    IndexEngineError
    ├── CatalogError          a catalog file is missing or one of its rows is invalid
    ├── InvalidObservation    an Observation v1 record cannot be accepted (carries a reason code)
    └── InvalidTaskReport     a TaskReport v1 record cannot be accepted (carries a reason code)
"""

from __future__ import annotations


class IndexEngineError(Exception):
    """Base class of every error raised by the index engine."""


class CatalogError(IndexEngineError):
    """A catalog file is missing or invalid; the message names the file, row and field."""

    def __init__(self, file: str, message: str, *, row: int | None = None, field: str | None = None) -> None:
        where = file if row is None else f"{file}, row {row}"
        if field is not None:
            where = f"{where}, field {field!r}"
        super().__init__(f"{where}: {message}")
        self.file = file
        self.row = row
        self.field = field


class InvalidObservation(IndexEngineError):
    """An observation was rejected; ``reason`` is a short stable code, ``detail`` says why."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class InvalidTaskReport(IndexEngineError):
    """A task report was rejected; ``reason`` is a short stable code, ``detail`` says why."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
