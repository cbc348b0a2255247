import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from index_engine.moment import moment_at
from index_engine.periods import LOCAL_TZ, period_bounds, period_of
from index_engine.trajectory import elapsed_fraction, expected_value, progress_ratio, projected_value


def test_elapsed_fraction_is_local_time() -> None:
    assert elapsed_fraction(2023, dt.datetime(2023, 1, 1, tzinfo=LOCAL_TZ)) == 0.0
    # 1 Jan 2023 00:00 in Hà Nội is still 2022 in UTC: nothing has elapsed a moment before.
    assert elapsed_fraction(2023, dt.datetime(2022, 12, 31, 16, 59, tzinfo=dt.UTC)) == 0.0
    assert elapsed_fraction(2023, dt.datetime(2024, 3, 1, tzinfo=LOCAL_TZ)) == 1.0
    middle = dt.datetime(2023, 7, 2, 12, tzinfo=LOCAL_TZ)
    assert elapsed_fraction(2023, middle) == pytest.approx(0.5, abs=0.001)


def test_periods() -> None:
    assert period_of(dt.datetime(2022, 12, 31, 17, 30, tzinfo=dt.UTC)) == 2023
    start, end = period_bounds(2023)
    assert (start.year, end.year, start.tzinfo) == (2023, 2024, LOCAL_TZ)


def test_expected_value() -> None:
    assert expected_value(70, 80, 0.5) == 75
    assert expected_value(70, 80, 0.0) == 70
    assert expected_value(70, 80, 1.0) == 80


def test_projection_from_the_baseline_with_fewer_than_three_points() -> None:
    assert projected_value(70, 75, 0.5) == 80
    assert projected_value(70, 72, 0.25, [(0.1, 71), (0.25, 72)]) == 78
    assert projected_value(70, 72, 0.0) == 72


def test_projection_by_time_weighted_least_squares() -> None:
    # Points on the line x = 70 + 20 t project to 90 at the end of the period, whatever their weights.
    points = [(0.2, 74.0), (0.4, 78.0), (0.6, 82.0)]
    assert projected_value(70, 82, 0.6, points) == pytest.approx(90)
    # Later points weigh more (weight t): solve the weighted normal equations by hand.
    bent = [(0.1, 70.0), (0.2, 70.0), (0.5, 76.0), (0.6, 78.0)]
    sw = sum(t for t, _ in bent)
    swt = sum(t * t for t, _ in bent)
    swtt = sum(t**3 for t, _ in bent)
    swx = sum(t * x for t, x in bent)
    swtx = sum(t * t * x for t, x in bent)
    slope = (sw * swtx - swt * swx) / (sw * swtt - swt**2)
    intercept = (swx - slope * swt) / sw
    assert projected_value(70, 78, 0.6, bent) == pytest.approx(intercept + slope)


def test_projection_falls_back_when_points_share_one_time() -> None:
    assert projected_value(70, 75, 0.5, [(0.5, 74.0), (0.5, 75.0), (0.5, 76.0)]) == 80
    assert projected_value(70, 75, 0.5, [(0.0, 74.0), (0.0, 75.0), (0.0, 76.0)]) == 80


@given(
    st.floats(0.01, 1.0),
    st.floats(-100, 100),
    st.floats(-100, 100),
)
def test_straight_line_projection_passes_through_the_value(fraction: float, baseline: float, slope: float) -> None:
    value = baseline + slope * fraction
    assert projected_value(baseline, value, fraction) == pytest.approx(baseline + slope, abs=1e-6)


@pytest.mark.parametrize(
    ("projected", "b", "t", "direction", "expected"),
    [
        (80, 70, 80, "up", 1.0),
        (79.5, 70, 80, "up", 0.95),
        (76, 70, 80, "up", 0.6),
        (70, 70, 80, "up", 0.0),
        (65, 70, 80, "up", -0.5),
        (15, 20, 10, "down", 0.5),
        (100, 100, 100, "up", 1.0),
        (90, 100, 100, "up", 0.9),
        (0, 100, 100, "up", 0.0),
        (20, 10, 10, "down", 0.5),
        (0, -10, -5, "down", 0.0),
    ],
)
def test_progress_ratio(projected: float, b: float, t: float, direction: str, expected: float) -> None:
    assert progress_ratio(projected, b, t, direction) == pytest.approx(expected)  # type: ignore[arg-type]


def test_moment() -> None:
    now = dt.datetime(2023, 7, 2, 5, tzinfo=dt.UTC)
    at = moment_at(now, [24.0])
    assert (at.period, at.day) == (2023, dt.date(2023, 7, 2))
    assert at.stale_cutoff(24.0) == now - dt.timedelta(hours=36)
    assert at.stale_cutoff(2.0) == now - dt.timedelta(hours=3)
    assert moment_at(now, period=2022).fraction == 1.0
