"""Task status on a day and task alerts with hysteresis; figures worked out by hand from the dates."""

from __future__ import annotations

import datetime as dt

import pytest

from index_engine.catalog import Task, TaskRules
from index_engine.tasks import (
    Progress,
    TaskAlertKind,
    TaskAlertState,
    TaskAssessment,
    TaskStatus,
    alert_text,
    assess,
    decide_task,
)

RULES = TaskRules(tolerance=20, cadence_days=31, reminder_days=14)
STARTS = dt.date(2023, 2, 20)
TASK = Task(
    code="NV23-02",
    year=2023,
    title_vi="Kế hoạch hỗ trợ DNNVV",
    title_en="SME support plan",
    pillar="KTS",
    lead_unit="SKHDT",
    co_lead_units=("STTTT",),
    deadline=dt.date(2023, 6, 30),  # 130 days after 20 February
    deliverable="Kế hoạch",
    assumed=False,
)
APR_26 = dt.date(2023, 4, 26)  # 65 of 130 days: 50 % of the time elapsed


def at(day: dt.date, progress: float | None, reported: dt.date | None = None, done: bool = False) -> TaskAssessment:
    latest = None if progress is None else Progress(reported or day, progress, done, "KH 111/KH-UBND" if done else "")
    return assess(TASK, RULES, STARTS, latest, day)


def test_on_schedule_within_the_tolerance() -> None:
    result = at(APR_26, 35)
    assert (result.status, result.expected, result.days_left, result.silent_days) == (
        TaskStatus.ON_SCHEDULE,
        50.0,
        65,
        0,
    )
    assert result.reason_vi == "Tiến độ 35%, kỳ vọng 50%; còn 65 ngày đến hạn"
    assert result.reason_en == "Progress 35%, expected 50%; 65 days to the deadline"


def test_at_risk_when_behind_the_time_line_by_more_than_the_tolerance() -> None:
    result = at(APR_26, 25)
    assert result.status is TaskStatus.AT_RISK
    assert result.reason_vi == "Tiến độ 25% chậm hơn mức kỳ vọng 50% theo thời gian đã qua (ngưỡng 20 điểm %)"
    assert result.reason_en == "Progress 25% is behind the 50% expected from the time elapsed (tolerance 20 pp)"


def test_at_risk_when_silent_longer_than_the_cadence() -> None:
    result = at(APR_26, 60, reported=dt.date(2023, 3, 25))  # 32 days before
    assert (result.status, result.silent_days) == (TaskStatus.AT_RISK, 32)
    assert result.reason_en == "No report for 32 days since the last report (reporting cadence 31 days)"
    assert result.reason_vi == "Không có báo cáo 32 ngày từ báo cáo gần nhất (chu kỳ báo cáo 31 ngày)"


def test_never_reported() -> None:
    early = at(dt.date(2023, 3, 1), None)  # 9 days in: expected 6.9 %, within the tolerance
    assert (early.status, early.progress, early.silent_days) == (TaskStatus.ON_SCHEDULE, 0.0, 9)
    behind = at(dt.date(2023, 3, 24), None)  # 32 days in: 24.6 % expected, more than 20 points ahead of 0 %
    assert behind.status is TaskStatus.AT_RISK
    assert behind.reason_en.startswith("Progress 0% is behind the 25% expected")


def test_silent_since_the_plan_began() -> None:
    task = Task(
        code="NV23-09",
        year=2023,
        title_vi="t",
        title_en="t",
        pillar="NT",
        lead_unit="STTTT",
        co_lead_units=(),
        deadline=dt.date(2024, 12, 31),
        deliverable="",
        assumed=True,
    )
    # 40 days of 680: 5.9 % expected, within the tolerance; but no report for 40 days.
    result = assess(task, RULES, STARTS, None, dt.date(2023, 4, 1))
    assert (result.status, result.silent_days) == (TaskStatus.AT_RISK, 40)
    assert result.reason_en == "No report for 40 days since the plan began (reporting cadence 31 days)"
    assert result.reason_vi == "Không có báo cáo 40 ngày từ khi kế hoạch bắt đầu (chu kỳ báo cáo 31 ngày)"


def test_overdue_after_the_deadline_and_done_with_evidence() -> None:
    assert at(dt.date(2023, 6, 30), 80).status is TaskStatus.ON_SCHEDULE  # the deadline day itself
    late = at(dt.date(2023, 7, 12), 80)
    assert (late.status, late.days_left, late.expected) == (TaskStatus.OVERDUE, -12, 100.0)
    assert late.reason_vi == "Quá hạn 12 ngày (hạn 2023-06-30), tiến độ 80%"
    assert late.reason_en == "12 days overdue (deadline 2023-06-30), progress 80%"
    done = at(dt.date(2023, 7, 12), 100, reported=APR_26, done=True)
    assert done.status is TaskStatus.DONE
    assert done.reason_en == "Done on 2023-04-26; evidence: KH 111/KH-UBND"
    assert done.reason_vi == "Hoàn thành ngày 2023-04-26; minh chứng: KH 111/KH-UBND"


def test_before_the_plan_starts_nothing_is_expected() -> None:
    assert at(dt.date(2023, 2, 1), None).expected == 0.0


def test_labels() -> None:
    assert [(s.label_vi, s.label_en) for s in TaskStatus] == [
        ("Hoàn thành", "Done"),
        ("Đúng tiến độ", "On schedule"),
        ("Có nguy cơ chậm", "At risk"),
        ("Quá hạn", "Overdue"),
    ]


def run(days: list[tuple[dt.date, float | None]]) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Evaluate in order; each step's (raised, resolved) kinds."""
    state = TaskAlertState()
    out = []
    for day, progress in days:
        done = progress == 100
        state, decision = decide_task(state, at(day, progress, done=done), TASK, RULES, "SKHDT")
        assert decision.notify == ("SKHDT", "STTTT")
        assert decision.changed is bool(decision.raised or decision.resolved)
        out.append((tuple(decision.raised), tuple(decision.resolved)))
    return out


def test_at_risk_pages_after_two_evaluations_and_a_flap_does_not_page_twice() -> None:
    assert run([(APR_26, 25), (APR_26, 25), (APR_26, 35), (APR_26, 25), (APR_26, 35), (APR_26, 35)]) == [
        ((), ()),
        (("at_risk",), ()),
        ((), ()),
        ((), ()),
        ((), ()),
        ((), ("at_risk",)),
    ]


def test_a_single_at_risk_evaluation_never_pages() -> None:
    assert run([(APR_26, 35), (APR_26, 25), (APR_26, 35)]) == [((), ()), ((), ()), ((), ())]


def test_reminder_once_then_overdue_then_done_clears() -> None:
    june_20 = dt.date(2023, 6, 20)  # 10 days before the deadline
    assert run(
        [
            (june_20, 90),
            (dt.date(2023, 6, 21), 90),
            (dt.date(2023, 7, 1), 90),
            (dt.date(2023, 7, 2), 90),
            (dt.date(2023, 7, 3), 100),
        ]
    ) == [
        (("reminder",), ()),
        ((), ()),
        (("overdue",), ("reminder",)),
        ((), ()),
        ((), ("overdue",)),
    ]


def test_a_reminder_is_sent_once_even_after_the_task_was_reopened() -> None:
    june_20 = dt.date(2023, 6, 20)
    assert run([(june_20, 90), (june_20, 100), (june_20, 90)]) == [(("reminder",), ()), ((), ("reminder",)), ((), ())]


def test_tasks_of_an_earlier_plan_page_nobody_but_still_clear() -> None:
    state = TaskAlertState(settled=TaskStatus.OVERDUE, open=frozenset({TaskAlertKind.OVERDUE}))
    next_year = dt.date(2024, 1, 10)
    state, decision = decide_task(state, at(next_year, 100, done=True), TASK, RULES, "SKHDT")
    assert (decision.raised, decision.resolved) == ((), ("overdue",))
    fresh, decision = decide_task(TaskAlertState(), at(next_year, 50), TASK, RULES, "SKHDT")
    assert decision.status is TaskStatus.OVERDUE
    assert decision.raised == ()
    assert fresh.open == frozenset()


@pytest.mark.parametrize(
    ("kind", "raised", "vi", "en"),
    [
        (
            TaskAlertKind.OVERDUE,
            True,
            "Nhiệm vụ NV23-02 quá hạn: Quá hạn 2 ngày (hạn 2023-06-30), tiến độ 90%",
            "Task NV23-02 overdue: 2 days overdue (deadline 2023-06-30), progress 90%",
        ),
        (
            TaskAlertKind.OVERDUE,
            False,
            "Nhiệm vụ NV23-02 hết cảnh báo (Quá hạn): Quá hạn 2 ngày (hạn 2023-06-30), tiến độ 90%",
            "Task NV23-02 alert cleared (Overdue): 2 days overdue (deadline 2023-06-30), progress 90%",
        ),
    ],
)
def test_alert_text(kind: TaskAlertKind, raised: bool, vi: str, en: str) -> None:
    assert alert_text(kind, raised, at(dt.date(2023, 7, 2), 90), TASK) == (vi, en)


def test_reminder_text() -> None:
    vi, en = alert_text(TaskAlertKind.REMINDER, True, at(dt.date(2023, 6, 20), 90), TASK)
    assert vi == "Nhắc hạn: nhiệm vụ NV23-02 đến hạn ngày 2023-06-30 (còn 10 ngày), tiến độ 90%"
    assert en == "Reminder: task NV23-02 is due on 2023-06-30 (10 days left), progress 90%"
