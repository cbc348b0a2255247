"""TaskReport v1: the public record of a task's progress, produced to ``qndti.task-reports`` keyed by task code.

Lead units report through a progress spreadsheet, the signed webhook or ``qndti tasks report``; every path
produces this record. ``decode_task_report`` turns one Kafka message into a validated :class:`TaskReport` or
raises :class:`~index_engine.errors.InvalidTaskReport` with a stable reason code, which the worker puts on the
task dead-letter topic next to the original bytes.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Final, Literal

import msgspec

from index_engine.catalog import Catalog, Task
from index_engine.errors import InvalidTaskReport

TaskState = Literal["not_started", "in_progress", "done"]
NonEmpty = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]

MAX_BYTES: Final = 8192
"""Largest accepted message; a report with a long evidence text is under 1 KiB."""

FUTURE_TOLERANCE: Final = dt.timedelta(days=1)
"""How far past the worker's local day a report's ``date`` may be (a report is for a day that has begun)."""

REASONS: Final = (
    "too_large",
    "bad_encoding",
    "malformed_json",
    "schema",
    "unknown_task",
    "bad_progress",
    "before_plan",
    "future_date",
    "no_evidence",
)
"""Every reason code a rejected task report can carry."""


class TaskReport(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The progress of one task as its lead unit reports it on one day.

    ``id`` is the sender's id of the report: a repeated id is a no-op. ``progress`` is a percentage (0–100).
    ``done`` needs ``evidence`` (a document number, a link): a completion is confirmed by what proves it.
    """

    id: NonEmpty
    source: NonEmpty
    task: str
    date: dt.date
    progress: float
    state: TaskState = "in_progress"
    evidence: str = ""
    note: str = ""


_decoder: Final = msgspec.json.Decoder(TaskReport)
_encoder: Final = msgspec.json.Encoder()


def encode_task_report(report: TaskReport) -> bytes:
    """Serialise a report as TaskReport v1 JSON (UTF-8)."""
    return _encoder.encode(report)


def decode_task_report(raw: bytes, catalog: Catalog, today: dt.date) -> tuple[TaskReport, Task]:
    """Decode and check one message against the catalog's tasks; ``today`` is the worker's local day."""
    if len(raw) > MAX_BYTES:
        raise InvalidTaskReport("too_large", f"{len(raw)} bytes is more than the limit of {MAX_BYTES}")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidTaskReport("bad_encoding", f"not UTF-8: {exc}") from None
    try:
        report = _decoder.decode(raw)
    except msgspec.ValidationError as exc:
        raise InvalidTaskReport("schema", str(exc)) from None
    except msgspec.DecodeError as exc:
        raise InvalidTaskReport("malformed_json", str(exc)) from None
    return report, check_task_report(report, catalog, today)


def check_task_report(report: TaskReport, catalog: Catalog, today: dt.date) -> Task:
    """The task a report is for, or :class:`InvalidTaskReport` saying why the report cannot be accepted."""
    task = catalog.task(report.task)
    if task is None:
        raise InvalidTaskReport("unknown_task", f"no plan has a task {report.task!r}")
    if not (math.isfinite(report.progress) and 0 <= report.progress <= 100):
        raise InvalidTaskReport("bad_progress", f"progress {report.progress!r} is not a percentage from 0 to 100")
    plan = catalog.plans[task.year]
    if report.date < plan.starts_on:
        raise InvalidTaskReport("before_plan", f"{report.date} is before the {task.year} plan began ({plan.starts_on})")
    if report.date > today + FUTURE_TOLERANCE:
        raise InvalidTaskReport("future_date", f"{report.date} is after today ({today})")
    if report.state == "done" and not report.evidence.strip():
        raise InvalidTaskReport("no_evidence", f"task {task.code} reported done without evidence")
    return task
