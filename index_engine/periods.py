"""Plan periods: year-to-date in local time (Asia/Ho_Chi_Minh)."""

from __future__ import annotations

import datetime as dt
from typing import Final
from zoneinfo import ZoneInfo

LOCAL_TZ: Final = ZoneInfo("Asia/Ho_Chi_Minh")


def period_of(ts: dt.datetime) -> int:
    """The plan period (local calendar year) an aware timestamp falls in."""
    return ts.astimezone(LOCAL_TZ).year


def period_bounds(period: int) -> tuple[dt.datetime, dt.datetime]:
    """The aware start (inclusive) and end (exclusive) of a period."""
    return (
        dt.datetime(period, 1, 1, tzinfo=LOCAL_TZ),
        dt.datetime(period + 1, 1, 1, tzinfo=LOCAL_TZ),
    )
