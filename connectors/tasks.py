"""Task progress records (spreadsheet rows, webhook bodies) → TaskReport v1, read but never judged.

A record names its parts by header text (a spreadsheet) or key (JSON), matched folded (without diacritics, case
or punctuation, so ``Tiến độ (%)``, ``TIEN DO`` and ``tiến độ`` are one name). Known names, besides those a
source's ``tasks`` section adds:

- task code: ``Mã nhiệm vụ``, ``Mã NV``, ``Mã số nhiệm vụ``, ``Task``, ``Task code``, ``Code`` (trimmed, upper case);
- progress (%): ``Tiến độ (%)``, ``Tiến độ``, ``Tỷ lệ hoàn thành (%)``, ``Progress (%)``, ``Progress``: a number as
  written in the source's ``number_format`` (``60,5`` in ``vi``), with or without ``%``; a workbook cell shown as a
  percentage (``60%``, stored as 0.6) is 60;
- state: ``Trạng thái``, ``Tình trạng``, ``State``, ``Status``: ``Chưa thực hiện`` / ``Đang thực hiện`` /
  ``Hoàn thành`` (and the words in :data:`STATE_WORDS`), or ``not_started`` / ``in_progress`` / ``done``;
- date: ``Ngày báo cáo``, ``Ngày``, ``Report date``, ``Date``: ``2023-06-30``, ``30/06/2023``, ``30-06-2023``,
  ``30.06.2023``, a workbook date, or an ISO time (its local date in the source's time zone);
- evidence: ``Minh chứng``, ``Văn bản minh chứng``, ``Evidence``; note: ``Ghi chú``, ``Note``; id: ``Mã báo cáo``,
  ``Report id``, ``id``.

A blank state is ``not_started`` at progress 0 and ``in_progress`` otherwise (``done`` is never guessed: it needs
the lead unit's word and evidence). A blank progress is 100 for ``done``, 0 for ``not_started``, and missing
otherwise. What the worker judges (an unknown task, progress outside 0–100, a date before the plan, ``done``
without evidence) passes through as written. A record that cannot be a TaskReport at all (no task code, a
progress that is not a number, no date, a state not known) is a :class:`~connectors.errors.RecordRejected` naming
the record and the column or field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from zoneinfo import ZoneInfo

import msgspec

from connectors.config import SourceConfig, TaskFields
from connectors.errors import RecordRejected
from connectors.numbers import NumberFormat, parse_number
from connectors.units import fold
from index_engine.task_report import TaskReport, TaskState

PARTS: Final = ("task", "progress", "state", "date", "evidence", "note", "id")
KNOWN_NAMES: Final[Mapping[str, tuple[str, ...]]] = {
    "task": ("Mã nhiệm vụ", "Mã NV", "Mã số nhiệm vụ", "Task", "Task code", "Code"),
    "progress": ("Tiến độ (%)", "Tiến độ", "Tỷ lệ hoàn thành (%)", "Progress (%)", "Progress"),
    "state": ("Trạng thái", "Tình trạng", "State", "Status"),
    "date": ("Ngày báo cáo", "Ngày", "Report date", "Date"),
    "evidence": ("Minh chứng", "Văn bản minh chứng", "Evidence"),
    "note": ("Ghi chú", "Note", "Notes"),
    "id": ("Mã báo cáo", "Report id", "id"),
}
STATE_WORDS: Final[Mapping[str, TaskState]] = {
    "chua thuc hien": "not_started",
    "chua trien khai": "not_started",
    "chua bat dau": "not_started",
    "not started": "not_started",
    "not_started": "not_started",
    "dang thuc hien": "in_progress",
    "dang trien khai": "in_progress",
    "in progress": "in_progress",
    "in_progress": "in_progress",
    "hoan thanh": "done",
    "da hoan thanh": "done",
    "hoan thanh dung han": "done",
    "done": "done",
    "completed": "done",
}
"""Folded state words → TaskReport states."""

_DAY: Final = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO_DAY: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_schema: Final = msgspec.json.Decoder(TaskReport)


class TaskNames:
    """The folded names of each part of a record: the known ones and a source's own."""

    def __init__(self, extra: TaskFields) -> None:
        own = extra.model_dump()
        self.names: dict[str, tuple[str, ...]] = {
            part: tuple(dict.fromkeys(fold(n) for n in (*own[part], *KNOWN_NAMES[part]))) for part in PARTS
        }
        self.states: dict[str, TaskState] = {**STATE_WORDS, **{fold(k): v for k, v in extra.states.items()}}

    def find(self, keys: Mapping[str, object]) -> dict[str, str]:
        """Part → the key of ``keys`` that holds it (the first known name present), for the parts present."""
        found = {}
        for part, names in self.names.items():
            key = next((n for n in names if n in keys), None)
            if key is not None:
                found[part] = key
        return found


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_day(raw: object, zone: dt.tzinfo) -> dt.date:
    """A report date from a workbook date, ``YYYY-MM-DD``, ``dd/mm/yyyy`` (or ``-``, ``.``), or an ISO time."""
    if isinstance(raw, dt.datetime):
        return raw.astimezone(zone).date() if raw.tzinfo is not None else raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = _text(raw)
    try:
        if match := _DAY.match(text):
            day, month, year = (int(g) for g in match.groups())
            return dt.date(year, month, day)
        if _ISO_DAY.match(text):
            return dt.date.fromisoformat(text)
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not a date (2023-06-30 or 30/06/2023)") from None
    return moment.astimezone(zone).date() if moment.tzinfo is not None else moment.date()


def parse_progress(raw: object, number_format: NumberFormat) -> float:
    """A percentage as written: ``60``, ``60,5`` (vi), ``60.5``, ``60%``, ``60,5 %``."""
    if isinstance(raw, str):
        raw = raw.strip().removesuffix("%").strip()
    return parse_number(raw, number_format)


def report_id(source: str, seed: str, report: TaskReport) -> str:
    """A deterministic id: the same file (``seed``) with the same row content gives the same id."""
    content = [seed, report.task, report.date.isoformat(), report.progress, report.state, report.evidence, report.note]
    digest = hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()[:16]
    return f"{source}:{report.task}:{report.date.isoformat()}:{digest}"


@dataclass(frozen=True)
class Where:
    """How errors name a record's parts: ``column 'Tiến độ (%)'`` in a file, ``field 'progress'`` in JSON."""

    what: str
    labels: Mapping[str, str]

    def __call__(self, key: str) -> str:
        """How errors name the part kept under ``key``."""
        return f"{self.what} {self.labels.get(key, key)!r}"


class TaskRecordParser:
    """Turns one source's records into TaskReport v1 records."""

    def __init__(self, config: SourceConfig) -> None:
        self.config = config
        self.names = TaskNames(config.tasks)
        self.zone = ZoneInfo(config.timezone)

    def _reject(self, where: str, message: str) -> RecordRejected:
        return RecordRejected(self.config.name, where, message)

    def parse(
        self,
        record: Mapping[str, Any],
        keys: Mapping[str, str],
        where: Where,
        *,
        day: dt.date | None = None,
        record_id: str | None = None,
        seed: str | None = None,
    ) -> TaskReport:
        """The report of one record whose folded keys for each part are ``keys`` (from :meth:`TaskNames.find`).

        ``day`` dates a record without a date; the id is the record's own, else ``record_id``, else derived from
        ``seed`` and the content. Raise RecordRejected naming the part.
        """

        def cell(part: str) -> object:
            return record.get(keys[part]) if part in keys else None

        code = _text(cell("task")).upper()
        if not code:
            raise self._reject(where(keys.get("task", "task")), "no task code")
        state = self._state(cell("state"), where(keys.get("state", "state")))
        progress = self._progress(cell("progress"), state, where(keys.get("progress", "progress")))
        if state is None:
            state = "not_started" if progress == 0 else "in_progress"
        raw_day = cell("date")
        if _text(raw_day):
            try:
                day = parse_day(raw_day, self.zone)
            except ValueError as exc:
                raise self._reject(where(keys["date"]), str(exc)) from None
        if day is None:
            raise self._reject(where(keys.get("date", "date")), "no report date")
        report = TaskReport(
            id="-",
            source=self.config.name,
            task=code,
            date=day,
            progress=progress,
            state=state,
            evidence=_text(cell("evidence")),
            note=_text(cell("note")),
        )
        given = _text(cell("id")) or record_id
        if given is None:
            given = report_id(self.config.name, seed or "", report)
        report = msgspec.structs.replace(report, id=given)
        try:  # what the worker's schema check would refuse (an id longer than 200 characters, …)
            _schema.decode(msgspec.json.encode(report))
        except msgspec.ValidationError as exc:
            raise self._reject(where(keys.get("id", "id")), f"not a TaskReport v1: {exc}") from None
        return report

    def _state(self, raw: object, where: str) -> TaskState | None:
        text = _text(raw)
        if not text:
            return None
        state = self.names.states.get(fold(text))
        if state is None:
            raise self._reject(
                where,
                f"state {text!r} is not known (Chưa thực hiện, Đang thực hiện, Hoàn thành; add it in tasks.states)",
            )
        return state

    def _progress(self, raw: object, state: TaskState | None, where: str) -> float:
        if not _text(raw):
            if state == "done":
                return 100.0
            if state == "not_started":
                return 0.0
            raise self._reject(where, "no progress (a percentage such as 60 or 60,5)")
        try:
            return parse_progress(raw, self.config.number_format)
        except ValueError as exc:
            raise self._reject(where, f"progress {exc}") from None
