"""Plan periods: the local (Asia/Ho_Chi_Minh) calendar year of an instant, whatever offset it is written in."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from index_engine.periods import period_of

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
OFFSETS = (dt.UTC, dt.timezone(dt.timedelta(hours=7)), dt.timezone(dt.timedelta(hours=-5)), HANOI)


@pytest.mark.parametrize("zone", OFFSETS, ids=str)
def test_the_period_is_the_local_year_on_both_sides_of_every_new_year(zone: dt.tzinfo) -> None:
    for year in range(1960, 2061):
        new_year = dt.datetime(year, 1, 1, tzinfo=HANOI).astimezone(dt.UTC)
        for step in (-dt.timedelta(seconds=1), -dt.timedelta(microseconds=1), dt.timedelta(0), dt.timedelta(hours=5)):
            ts = (new_year + step).astimezone(zone)
            assert period_of(ts) == (year - 1 if step < dt.timedelta(0) else year), ts.isoformat()


def test_the_new_year_of_vietnam_is_seven_hours_before_the_utc_one() -> None:
    assert period_of(dt.datetime(2025, 12, 31, 16, 59, 59, tzinfo=dt.UTC)) == 2025
    assert period_of(dt.datetime(2025, 12, 31, 17, 0, 0, tzinfo=dt.UTC)) == 2026
    assert period_of(dt.datetime(2026, 1, 1, 0, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))) == 2026
