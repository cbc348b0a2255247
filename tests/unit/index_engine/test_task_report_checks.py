"""TaskReport v1 as the connectors write it, and each reason a report is refused for."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from index_engine.catalog import Catalog
from index_engine.errors import InvalidTaskReport
from index_engine.task_report import REASONS, TaskReport, decode_task_report, encode_task_report

TODAY = dt.date(2023, 6, 30)
GOOD = (
    b'{"id":"cli:NV23-02:1","source":"cli","task":"NV23-02","date":"2023-06-30","progress":100.0,"state":"done",'
    b'"evidence":"K\xe1\xba\xbf ho\xe1\xba\xa1ch 111/KH-UBND"}'
)


def test_a_report_is_written_without_its_defaults() -> None:
    report = TaskReport(id="r-1", source="cli", task="NV23-07", date=TODAY, progress=60.5)
    assert encode_task_report(report) == (
        b'{"id":"r-1","source":"cli","task":"NV23-07","date":"2023-06-30","progress":60.5}'
    )


def test_a_good_report_decodes_with_its_task(catalog: Catalog) -> None:
    report, task = decode_task_report(GOOD, catalog, TODAY)
    assert report == TaskReport(
        id="cli:NV23-02:1",
        source="cli",
        task="NV23-02",
        date=TODAY,
        progress=100.0,
        state="done",
        evidence="Kế hoạch 111/KH-UBND",
    )
    assert task.lead_unit == "SKHDT"
    assert encode_task_report(report) == GOOD


def body(**fields: object) -> bytes:
    base: dict[str, object] = {"id": "r", "source": "s", "task": "NV23-07", "date": "2023-06-30", "progress": 50}
    base.update(fields)
    return json.dumps(base, ensure_ascii=False).encode()


@pytest.mark.parametrize(
    ("raw", "reason", "detail"),
    [
        (b"x" * 8193, "too_large", "8193 bytes is more than the limit of 8192"),
        (b'{"id": "\xff"}', "bad_encoding", "not UTF-8"),
        (b'{"id": "r",', "malformed_json", ""),
        (body(progress="60"), "schema", "Expected `float`"),
        (body(state="paused"), "schema", "state"),
        (body(id=""), "schema", "id"),
        (body(task="NV99-01"), "unknown_task", "no plan has a task 'NV99-01'"),
        (body(progress=120), "bad_progress", "progress 120.0 is not a percentage from 0 to 100"),
        (body(progress=-1), "bad_progress", "progress -1.0"),
        (body(date="2023-02-19"), "before_plan", "2023-02-19 is before the 2023 plan began (2023-02-20)"),
        (body(date="2023-07-02"), "future_date", "2023-07-02 is after today (2023-06-30)"),
        (body(state="done", evidence="  "), "no_evidence", "task NV23-07 reported done without evidence"),
    ],
)
def test_refused_reports_say_why(catalog: Catalog, raw: bytes, reason: str, detail: str) -> None:
    with pytest.raises(InvalidTaskReport) as caught:
        decode_task_report(raw, catalog, TODAY)
    assert caught.value.reason == reason
    assert reason in REASONS
    assert detail in caught.value.detail


def test_a_report_dated_tomorrow_is_still_today_somewhere(catalog: Catalog) -> None:
    report, _ = decode_task_report(body(date="2023-07-01"), catalog, TODAY)
    assert report.date == dt.date(2023, 7, 1)
