"""TaskReport v1: decoding and the checks that send a report to the dead-letter topic with its reason."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from index_engine.catalog import Catalog
from index_engine.errors import InvalidTaskReport
from index_engine.task_report import MAX_BYTES, TaskReport, check_task_report, decode_task_report, encode_task_report

TODAY = dt.date(2023, 6, 30)


def raw(**fields: object) -> bytes:
    report = {"id": "r1", "source": "test", "task": "NV23-02", "date": "2023-04-26", "progress": 100.0}
    report.update(fields)
    return json.dumps({k: v for k, v in report.items() if v is not None}).encode()


def test_round_trip_and_defaults(catalog: Catalog) -> None:
    report = TaskReport(id="r1", source="cli", task="NV23-02", date=dt.date(2023, 4, 26), progress=40.0)
    assert encode_task_report(report) == (
        b'{"id":"r1","source":"cli","task":"NV23-02","date":"2023-04-26","progress":40.0}'
    )
    decoded, task = decode_task_report(encode_task_report(report), catalog, TODAY)
    assert decoded == report
    assert decoded.state == "in_progress"
    assert decoded.evidence == ""
    assert task.code == "NV23-02"


def test_done_with_evidence_is_accepted(catalog: Catalog) -> None:
    decoded, _ = decode_task_report(raw(state="done", evidence="KH 111/KH-UBND"), catalog, TODAY)
    assert (decoded.state, decoded.evidence) == ("done", "KH 111/KH-UBND")


@pytest.mark.parametrize(
    ("message", "reason", "detail"),
    [
        (b"x" * (MAX_BYTES + 1), "too_large", "8193 bytes is more than the limit of 8192"),
        (b"\xff\xfe", "bad_encoding", "not UTF-8"),
        (b"{not json", "malformed_json", ""),
        (raw(progress="sáu mươi"), "schema", "Expected `float`, got `str` - at `$.progress`"),
        (raw(state="finished"), "schema", "at `$.state`"),
        (raw(id=""), "schema", "at `$.id`"),
        (raw(date="30/06/2023"), "schema", "at `$.date`"),
        (raw(task="NV99-01"), "unknown_task", "no plan has a task 'NV99-01'"),
        (raw(progress=120), "bad_progress", "progress 120.0 is not a percentage from 0 to 100"),
        (raw(progress=-1), "bad_progress", "progress -1.0"),
        (raw(date="2023-02-19"), "before_plan", "2023-02-19 is before the 2023 plan began (2023-02-20)"),
        (raw(date="2023-07-02"), "future_date", "2023-07-02 is after today (2023-06-30)"),
        (raw(state="done"), "no_evidence", "task NV23-02 reported done without evidence"),
        (raw(state="done", evidence="  "), "no_evidence", "reported done without evidence"),
    ],
)
def test_rejected_reports_carry_a_reason(catalog: Catalog, message: bytes, reason: str, detail: str) -> None:
    with pytest.raises(InvalidTaskReport) as caught:
        decode_task_report(message, catalog, TODAY)
    assert caught.value.reason == reason
    assert detail in caught.value.detail


def test_a_report_for_tomorrow_is_within_the_clock_tolerance(catalog: Catalog) -> None:
    decoded, _ = decode_task_report(raw(date="2023-07-01"), catalog, TODAY)
    assert decoded.date == dt.date(2023, 7, 1)


def test_a_report_built_in_python_is_checked_the_same(catalog: Catalog) -> None:
    report = TaskReport(id="r", source="cli", task="NV23-02", date=TODAY, progress=float("nan"))
    with pytest.raises(InvalidTaskReport) as caught:
        check_task_report(report, catalog, TODAY)
    assert (caught.value.reason, caught.value.detail) == (
        "bad_progress",
        "progress nan is not a percentage from 0 to 100",
    )
