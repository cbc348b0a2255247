import datetime as dt

import pytest

from index_engine.status import Status, classify, is_fresh, progress_status
from tests.unit.index_engine.conftest import MID_2023, evaluate, make_target


def test_codes_and_labels() -> None:
    assert [s.value for s in Status] == [
        "achieved",
        "completed",
        "on_track",
        "at_risk",
        "off_track",
        "deteriorating",
        "stale",
        "no_target",
    ]
    assert Status.ON_TRACK.label_vi == "Đúng tiến độ"
    assert Status.STALE.label_vi == "Thiếu dữ liệu"
    assert Status.NO_TARGET.label_en == "No target"
    assert all(s.label_vi and s.label_en for s in Status)
    assert [s.is_problem for s in (Status.ON_TRACK, Status.AT_RISK, Status.STALE)] == [False, True, False]


@pytest.mark.parametrize(
    ("progress", "status"),
    [
        (0.95, Status.ON_TRACK),
        (0.9499999, Status.AT_RISK),
        (0.60, Status.AT_RISK),
        (0.5999999, Status.OFF_TRACK),
        (0.0, Status.OFF_TRACK),
        (-0.0000001, Status.DETERIORATING),
    ],
)
def test_progress_boundaries(progress: float, status: Status) -> None:
    assert progress_status(progress) is status


def test_fresh_until_exactly_one_and_a_half_cadences() -> None:
    now = MID_2023
    assert is_fresh(now - dt.timedelta(hours=36) + dt.timedelta(microseconds=1), now, 24)
    assert not is_fresh(now - dt.timedelta(hours=36), now, 24)
    assert not is_fresh(None, now, 24)


def test_classify_rule_order() -> None:
    assert classify(50, 80, 0.1, False, True) is Status.COMPLETED
    assert classify(50, None, None, True, False) is Status.NO_TARGET
    assert classify(90, 80, 2.0, False, False) is Status.STALE
    assert classify(None, 80, None, True, False) is Status.STALE
    assert classify(80, 80, 1.0, True, False) is Status.ACHIEVED
    assert classify(8, 10, 1.0, True, False, "down") is Status.ACHIEVED
    assert classify(79, 80, None, True, False) is Status.OFF_TRACK


# At MID_2023 exactly half of 2023 has elapsed (f = 0.5); B = 70, T = 80, so x̂ = 70 + 2(x − 70) and
# R = (x − 70) / 5.
@pytest.mark.parametrize(
    ("value", "progress", "status"),
    [
        (80.0, 2.0, Status.ACHIEVED),
        (79.99, 1.998, Status.ON_TRACK),
        (74.75, 0.95, Status.ON_TRACK),
        (74.7, 0.94, Status.AT_RISK),
        (73.0, 0.60, Status.AT_RISK),
        (72.95, 0.59, Status.OFF_TRACK),
        (70.0, 0.0, Status.OFF_TRACK),
        (69.9, -0.02, Status.DETERIORATING),
    ],
)
def test_status_boundaries_by_hand(value: float, progress: float, status: Status) -> None:
    result = evaluate(value)
    assert result is not None
    assert result.fraction == 0.5
    assert result.expected == 75.0
    assert result.progress == pytest.approx(progress)
    assert result.status is status


def test_exact_boundaries_are_inclusive() -> None:
    on_track, at_risk = evaluate(74.75), evaluate(73.0)
    assert on_track is not None
    assert on_track.progress == 0.95
    assert on_track.status is Status.ON_TRACK
    assert at_risk is not None
    assert at_risk.progress == 0.6
    assert at_risk.status is Status.AT_RISK


def test_stale_at_exactly_one_and_a_half_cadences() -> None:
    fresh = evaluate(75.0, seen_hours_ago=35.99)
    stale = evaluate(75.0, seen_hours_ago=36.0)
    assert fresh is not None
    assert fresh.status is Status.ON_TRACK
    assert stale is not None
    assert stale.status is Status.STALE
    assert not stale.fresh


def test_completed_only_by_confirmation() -> None:
    achieved = evaluate(85.0)
    completed = evaluate(60.0, completed=True, seen_hours_ago=None)
    assert achieved is not None
    assert achieved.status is Status.ACHIEVED
    assert completed is not None
    assert completed.status is Status.COMPLETED


def test_no_target() -> None:
    result = evaluate(75.0, no_target=True)
    assert result is not None
    assert result.status is Status.NO_TARGET
    assert (result.score, result.expected, result.progress, result.shortfall) == (None, None, None, None)


def test_not_applicable_or_never_reported() -> None:
    assert evaluate(None) is None
    never = evaluate(None, seen_hours_ago=None)
    assert never is not None
    assert never.status is Status.STALE
    assert never.value is None


def test_projection_uses_this_periods_points() -> None:
    points = ((MID_2023 - dt.timedelta(days=120), 71.0), (MID_2023 - dt.timedelta(days=60), 73.0))
    result = evaluate(75.0, history=points)
    assert result is not None
    assert result.fit_points == 3
    assert result.projected is not None
    assert result.projected > 80


def test_baseline_meeting_target() -> None:
    result = evaluate(99.0, target=make_target(baseline=100.0, target=100.0))
    assert result is not None
    assert result.score == pytest.approx(0.99)
    assert result.status is Status.ON_TRACK
