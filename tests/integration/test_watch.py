"""``qndti watch`` driven by Textual's pilot against the real PostgreSQL of the test session.

Rows go into the real tables (reference data by the catalog loader, values, statuses, scores and alerts by
INSERT); what the screens show is read from Textual's own screenshot export, as a person would see it. Every
expected string below is written by hand from the rows inserted here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from textual.pilot import Pilot

from index_engine.catalog import load_catalog
from qndti.stack.postgres import EmbeddedPostgres
from qndti.watch.app import WatchApp
from qndti.watch.data import WatchSource
from qndti.watch.screens import IndicatorScreen, OverviewScreen, ScorecardScreen
from streams.db import migrate
from streams.reference import load_reference
from tests.conftest import free_port

pytestmark = pytest.mark.integration

AT = dt.datetime(2023, 6, 30, 3, 0, tzinfo=dt.UTC)
HALF_HOUR = dt.timedelta(minutes=30)
CLOCK = AT + dt.timedelta(minutes=10)
CATALOG = load_catalog()


def value(conn: psycopg.Connection, indicator: str, unit: str, x: float, *, ts: dt.datetime = AT) -> None:
    conn.execute(
        "INSERT INTO dti.indicator_value (indicator_code, unit_code, bucket, period, ts, value, numerator,"
        " denominator, version) VALUES (%s, %s, %s, 2023, %s, %s, %s, 100, 1)",
        (indicator, unit, AT, ts, x, x),
    )


def status(
    conn: psycopg.Connection,
    indicator: str,
    unit: str,
    code: str,
    *,
    target: float = 80.0,
    expected: float = 75.0,
    projected: float = 90.0,
    score: float = 1.0,
    attainment: float = 1.0,
    progress: float = 1.5,
) -> None:
    conn.execute(
        "INSERT INTO dti.indicator_status (indicator_code, unit_code, bucket, period, ts, status, score, attainment,"
        " baseline, target, expected, projected, progress, shortfall, fresh, version)"
        " VALUES (%s, %s, %s, 2023, %s, %s, %s, %s, 70, %s, %s, %s, %s, 0, %s, 1)",
        (indicator, unit, AT, AT, code, score, attainment, target, expected, projected, progress, code != "stale"),
    )


def score(
    conn: psycopg.Connection, unit: str, pillar: str, s: float, *, bucket: dt.datetime = AT, coverage: float = 1.0
) -> None:
    conn.execute(
        "INSERT INTO dti.unit_score (unit_code, pillar, bucket, period, ts, score, points, coverage, version)"
        " VALUES (%s, %s, %s, 2023, %s, %s, %s, %s, 1)",
        (unit, pillar, bucket, bucket, s, s * 1000, coverage),
    )


def alert(
    conn: psycopg.Connection,
    indicator: str,
    unit: str,
    code: str,
    vi: str,
    en: str,
    *,
    action: str = "raised",
    ts: dt.datetime = AT,
) -> None:
    conn.execute(
        "INSERT INTO dti.alert (indicator_code, unit_code, kind, action, ts, status, message_vi, message_en, notify)"
        " VALUES (%s, %s, 'worsened', %s, %s, %s, %s, %s, '{TTPVHCC}')",
        (indicator, unit, action, ts, code, vi, en),
    )


def task_state(conn: psycopg.Connection, code: str, status: str, progress: float) -> None:
    conn.execute(
        "INSERT INTO dti.task_state (task_code, progress, status, expected, days_left, silent_days, reason_vi,"
        " reason_en, lead_unit, evaluated_on) VALUES (%s, %s, %s, 50, 0, 0, 'lý do', 'why', 'STTTT', %s)",
        (code, progress, status, AT.date()),
    )


def fill(url: str) -> None:
    """The province with five indicators, three localities with scores, two open alerts."""
    with psycopg.connect(url) as conn:
        load_reference(conn, CATALOG)
        value(conn, "CQS-01", "QN", 97.5)
        status(conn, "CQS-01", "QN", "achieved", target=100, expected=95, projected=101)
        value(conn, "CQS-04", "QN", 93.4)
        status(conn, "CQS-04", "QN", "achieved", target=80, expected=74.94, projected=99.17)
        value(conn, "KTS-02", "QN", 97.6)
        status(conn, "KTS-02", "QN", "deteriorating", target=99, expected=98.49, projected=97.18, progress=-0.2)
        value(conn, "XHS-03", "QN", 85.1)
        status(conn, "XHS-03", "QN", "at_risk", target=88, expected=86.5, projected=87.2, progress=0.8)
        value(conn, "XHS-06", "QN", 10.0, ts=AT - dt.timedelta(days=100))
        status(conn, "XHS-06", "QN", "stale", target=10, expected=9, projected=10)
        for unit, x, s in (("HALONG", 95.0, "achieved"), ("CAMPHA", 61.5, "off_track"), ("UONGBI", 82.25, "on_track")):
            value(conn, "CQS-04", unit, x)
            status(conn, "CQS-04", unit, s, score={"HALONG": 1.0, "CAMPHA": 0.0, "UONGBI": 0.8}[unit])
        # Index trend of the province: 0.70 two hours ago, 0.72 an hour ago, 0.75 now.
        for hours, s in ((2, 0.70), (1, 0.72), (0, 0.75)):
            score(conn, "QN", "INDEX", s, bucket=AT - dt.timedelta(hours=hours))
        score(conn, "QN", "CQS", 0.6)
        score(conn, "QN", "XHS", 0.85, coverage=0.9)
        for unit, s in (("HALONG", 0.9), ("CAMPHA", 0.4), ("UONGBI", 0.6)):
            score(conn, unit, "INDEX", s)
        alert(conn, "KTS-02", "QN", "deteriorating", "KTS-02 tụt dưới lộ trình", "KTS-02 fell below its trajectory")
        alert(conn, "CQS-04", "CAMPHA", "off_track", "Cẩm Phả chậm tiến độ", "Cẩm Phả is off track")
        # An alert that fired and cleared: both events are in the feed, the newest first.
        fired = AT - dt.timedelta(hours=1)
        alert(conn, "XHS-03", "QN", "at_risk", "XHS-03 có nguy cơ", "XHS-03 at risk", ts=fired)
        alert(conn, "XHS-03", "QN", "on_track", "XHS-03 trở lại", "XHS-03 back", action="resolved", ts=AT - HALF_HOUR)
        task_state(conn, "NV23-02", "done", 100)
        task_state(conn, "NV23-03", "overdue", 60)


def screen_lines(app: WatchApp) -> list[str]:
    """The terminal's lines as Textual exports them (its SVG screenshot, text placed at its columns)."""
    svg = app.export_screenshot()
    lines: dict[int, list[str]] = {}
    pattern = r'<text[^>]*x="([\d.]+)"[^>]*textLength="[\d.]+"[^>]*line-(\d+)\)">([^<]*)</text>'
    for x, line, text in re.findall(pattern, svg):
        row = lines.setdefault(int(line), [])
        column = round(float(x) / 12.2)
        row.extend(" " * (column - len(row)))
        row[column:] = list(html.unescape(text).replace("\xa0", " "))
    return ["".join(lines.get(n, [])).rstrip() for n in range(max(lines, default=-1) + 1)]


def screen(app: WatchApp) -> str:
    return "\n".join(screen_lines(app))


def line_with(app: WatchApp, text: str) -> str:
    found = [line for line in screen_lines(app) if text in line]
    assert found, f"{text!r} is not on the screen:\n{screen(app)}"
    return found[0]


async def until(pilot: Pilot[object], check: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        await pilot.pause(0.1)
        if check():
            return
    raise AssertionError(f"timed out waiting for {what}:\n{screen(pilot.app)}")  # type: ignore[arg-type]


LAST_LINE = "XHS-03 có nguy cơ"
"""The oldest alert event, shown last on the overview: once it is on screen, the whole refresh is."""
TASKS_2023 = len(CATALOG.plans[2023].tasks)


def make_app(url: str, **options: object) -> WatchApp:
    return WatchApp(WatchSource(url, "QN", timeout=2.0), CATALOG, clock=lambda: CLOCK, **options)  # type: ignore[arg-type]


@pytest.fixture
def filled(database_url: str) -> Iterator[str]:
    fill(database_url)
    return database_url


def test_overview_shows_what_the_views_hold(filled: str) -> None:
    async def run() -> None:
        app = make_app(filled, interval=30)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: app.refreshes > 0 and LAST_LINE in screen(app), "the first refresh on screen")
            assert isinstance(app.screen, OverviewScreen)
            text = screen(app)
            assert "0,750 · 750 điểm / points" in text
            # Trend over the three stored buckets: 700 → 750 points.
            assert "↑ +50,0 điểm / points (3 mốc / buckets)" in text
            assert "0,600" in line_with(app, "CQS  Chính quyền số")
            assert "phủ 90%" in line_with(app, "XHS  Xã hội số")
            assert "(5)" in line_with(app, "Trạng thái chỉ tiêu")
            for label, count in (
                ("Đạt / Achieved", 2),
                ("Hoàn thành / Completed", 0),
                ("Đúng tiến độ / On track", 0),
                ("Có nguy cơ / At risk", 1),
                ("Chậm tiến độ / Off track", 1),  # deteriorating counts as off track
                ("Thiếu dữ liệu / Stale", 1),
                ("Chưa có chỉ tiêu / No target", 0),
            ):
                assert line_with(app, label).split(label)[0].split()[-1] == str(count), label
            # The two lowest of the three localities, worst first, with their rank among the three.
            slow = [line for line in screen_lines(app) if "3/3" in line or "2/3" in line or "1/3" in line]
            assert len(slow) == 2, screen(app)
            assert "Thành phố Cẩm Phả" in slow[0]
            assert "400" in slow[0]
            assert "3/3" in slow[0]
            assert "Thành phố Uông Bí" in slow[1]
            assert "600" in slow[1]
            assert "2/3" in slow[1]
            # Freshness: the hospital systems' source (XHS-06) has one stale pair, 100 days old.
            hospital = CATALOG.indicators["XHS-06"].source_system
            assert "100 ngày / d" in line_with(app, hospital[:15])
            assert "1/1" in line_with(app, hospital[:15])
            assert "Cảnh báo / alerts · đang mở / open (2)" in text
            for label, count in (("nhiệm vụ 2023 xong / tasks done", f"1/{TASKS_2023}"), ("nhiệm vụ quá hạn", "1")):
                assert line_with(app, label).split(label)[0].split()[-1] == count, label
            feed = [line for line in screen_lines(app) if "▲" in line or "▼" in line]
            assert len(feed) == 4, screen(app)
            assert "KTS-02 tụt dưới lộ trình / KTS-02 fell below its trajectory" in text
            assert "Cẩm Phả chậm tiến độ / Cẩm Phả is off track" in text
            # Local time (UTC+7): raised at 09:00, resolved at 09:30.
            assert "09:30 ▼ XHS-03" in feed[2]
            assert "kết thúc / resolved: XHS-03 trở lại" in feed[2]
            assert "09:00 ▲ XHS-03" in feed[3]

    asyncio.run(run())


def test_overview_fits_80_by_24(filled: str) -> None:
    async def run() -> None:
        app = make_app(filled, interval=30)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.refreshes > 0 and "KTS-02 tụt" in screen(app), "the first refresh on screen")
            # The export holds the 80×24 terminal only: what is below the fold is not in it.
            text = screen(app)
            for visible in (
                "0,750 · 750 điểm",
                "Trụ cột / pillars",
                "Đạt / Achieved",
                "Chậm nhất theo nhóm",
                "Độ mới dữ liệu",
                "Cảnh báo / alerts · đang mở / open (2)",
            ):
                assert visible in text, visible
            # Both alerts are on the screen, not below it.
            assert "KTS-02 tụt dưới" in text, text
            assert "Cẩm Phả chậm tiến" in text, text

    asyncio.run(run())


def test_keys_switch_screens_and_each_shows_its_rows(filled: str) -> None:
    async def run() -> None:
        app = make_app(filled, interval=30, indicator="CQS-04")
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: app.refreshes > 0 and LAST_LINE in screen(app), "the first refresh on screen")
            await pilot.press("u")
            await until(pilot, lambda: "Thẻ điểm / scorecard" in screen(app), "the scorecard")
            assert isinstance(app.screen, ScorecardScreen)
            assert "QN · Tỉnh Quảng Ninh / Quảng Ninh province" in screen(app)
            row = line_with(app, "CQS-04 ").split()
            assert row[:5] == ["CQS-04", "93,40", "80,00", "74,94", "99,17"], row
            assert "Đạt / Achieved" in line_with(app, "CQS-04 ")
            assert "Suy giảm / Deteriorating" in line_with(app, "KTS-02 ")
            # The cursor starts on CQS-01; two rows down is KTS-02, whose open alert explains it.
            assert "Vì sao: Đạt; đạt 100,0% mục tiêu; tỷ số tiến độ R = 1,50" in screen(app)
            await pilot.press("down", "down")
            await until(pilot, lambda: "Vì sao: KTS-02 tụt dưới lộ trình" in screen(app), "the alert's text")
            assert "Why: KTS-02 fell below its trajectory" in screen(app)

            # Units step root first, then by code: QN → CAMPHA → HALONG.
            await pilot.press("n", "n")
            await until(pilot, lambda: "HALONG · Thành phố Hạ Long" in screen(app), "Hạ Long's scorecard")
            assert "hạng / rank 1/3 (Huyện, thị xã, thành phố)" in screen(app)
            assert line_with(app, "CQS-04 ").split()[:2] == ["CQS-04", "95,00"]

            await pilot.press("i")
            await until(
                pilot,
                lambda: isinstance(app.screen, IndicatorScreen) and "(4 đơn vị / units)" in screen(app),
                "the indicator screen",
            )
            order = ["Thành phố Hạ Long", "Tỉnh Quảng Ninh", "Thành phố Uông Bí", "Thành phố Cẩm Phả"]  # by value ↓

            def positions() -> list[int]:
                text = screen(app)
                return [text.index(name) for name in order]

            assert positions() == sorted(positions()), screen(app)
            assert "95,00" in line_with(app, "Thành phố Hạ Long")
            assert "82,25" in line_with(app, "Thành phố Uông Bí")
            await pilot.press("d")  # ascending
            await until(pilot, lambda: "giá trị / value ↑" in screen(app), "ascending order")
            assert positions() == sorted(positions(), reverse=True), screen(app)
            await pilot.press("s")  # by score, best first; ties (1.0) by unit code: HALONG before QN
            await until(pilot, lambda: "điểm / score ↓" in screen(app), "order by score")
            assert positions() == sorted(positions()), screen(app)

            await pilot.press("o")
            await until(pilot, lambda: isinstance(app.screen, OverviewScreen), "the overview")
            assert "0,750 · 750 điểm / points" in screen(app)

    asyncio.run(run())


def test_an_outage_shows_a_message_and_the_screen_recovers() -> None:
    # Not under pytest's temporary root, which pytest keeps at mode 0700: the server may run as a system user.
    home = Path(tempfile.mkdtemp(prefix="qndti-watch-outage-"))
    server = EmbeddedPostgres(home=home / "postgres", port=free_port())
    server.start()
    try:
        migrate(server.url)
        fill(server.url)

        async def run() -> None:
            app = make_app(server.url, interval=0.5)
            async with app.run_test(size=(100, 30)) as pilot:
                await until(
                    pilot, lambda: app.refreshes > 0 and LAST_LINE in screen(app), "the first refresh on screen"
                )
                assert "Không đọc được" not in screen(app)
                await asyncio.to_thread(server.stop)
                await until(pilot, lambda: "Không đọc được cơ sở dữ liệu" in screen(app), "the outage message")
                text = screen(app)
                assert "Cannot read the database" in text
                # What was read before the outage stays on screen.
                assert "0,750 · 750 điểm / points" in text
                failures = app.failures
                await until(pilot, lambda: app.failures > failures, "a retry")
                await asyncio.to_thread(server.start)
                with psycopg.connect(server.url) as conn:
                    score(conn, "QN", "INDEX", 0.8, bucket=AT + dt.timedelta(hours=1))
                await until(pilot, lambda: "0,800 · 800 điểm / points" in screen(app), "the new index", timeout=30)
                assert "Không đọc được" not in screen(app)
                assert app.failures == 0

        asyncio.run(run())
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def test_the_guard_ends_the_app_with_its_message(filled: str) -> None:
    calls: list[int] = []

    def guard() -> str | None:
        calls.append(1)
        return "the demo's worker exited early" if len(calls) > 2 else None

    async def run() -> str | None:
        app = make_app(filled, interval=0.5, guard=guard)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.return_value is not None, "the app to exit")
        return app.return_value

    assert asyncio.run(run()) == "the demo's worker exited early"
    assert len(calls) == 3
