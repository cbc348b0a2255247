"""History across the 1 July 2025 map in the database views, on both flavours (PostgreSQL and TimescaleDB).

Values are written into ``dti.indicator_value`` as the worker writes them; what the views must answer is worked
out by hand below each scenario.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg
import pytest

from index_engine.catalog import load_catalog
from streams.reference import load_reference
from tests.integration.timescale_engine import flavour_database, timescale, timescale_installed

__all__ = ["flavour_database", "timescale", "timescale_installed"]

pytestmark = pytest.mark.integration

LOCAL = dt.timezone(dt.timedelta(hours=7))


def at(day: int, hour: int, month: int = 6) -> dt.datetime:
    """A local time in 2025."""
    return dt.datetime(2025, month, day, hour, tzinfo=LOCAL)


# (indicator, unit, local time, numerator, denominator): hourly rows as the worker writes them.
ROWS = [
    ("CQS-04", "VANDON", at(29, 10), 40.0, 50.0),
    ("CQS-04", "VANDON", at(30, 9), 45.0, 60.0),
    ("CQS-04", "VANDON", at(30, 15), 48.0, 64.0),  # the last of 30 June
    ("CQS-04", "COTO", at(30, 11), 2.0, 16.0),
    ("CQS-04", "HALONG", at(30, 11), 900.0, 1000.0),
    ("CQS-04", "DK_VANDON", at(1, 10, month=7), 3.0, 4.0),
    ("CQS-09", "VANDON", at(30, 10), 70.0, None),
]
HISTORY = """SELECT (bucket AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, round(value::numeric, 6), numerator, denominator,
                    derived, source_units
               FROM dti.indicator_history_daily WHERE indicator_code = %s AND unit_code = %s ORDER BY bucket"""


def _connect(url: str) -> psycopg.Connection[tuple[Any, ...]]:
    # No server-side prepared statements: the TimescaleDB engine shares one backend between clients.
    return psycopg.connect(url, prepare_threshold=None)


@pytest.fixture
def reform_db(flavour_database: str) -> str:
    with _connect(flavour_database) as conn:
        load_reference(conn, load_catalog())
        # A unit of this test only, formed from the whole of two localities: derived days need both.
        conn.execute(
            """INSERT INTO dti.unit (code, name_vi, name_en, kind, parent_code, peer_group, valid_from)
               VALUES ('T_BOTH', 'Đơn vị thử', 'Test unit', 'special_zone', 'QN', 'special_zone', '2025-07-01')"""
        )
        conn.execute(
            """INSERT INTO dti.unit_succession (unit_code, predecessor_code, share, takes_over)
               VALUES ('T_BOTH', 'VANDON', 'whole', false), ('T_BOTH', 'COTO', 'whole', false)"""
        )
        for indicator, unit, ts, numerator, denominator in ROWS:
            scale = 100 if denominator else 1
            value = numerator / denominator * scale if denominator else numerator * scale
            conn.execute(
                """INSERT INTO dti.indicator_value (indicator_code, unit_code, bucket, period, ts, value, numerator,
                       denominator, version)
                   VALUES (%s, %s, %s, 2025, %s, %s, %s, %s, 1)""",
                (indicator, unit, ts.replace(minute=0), ts, value, numerator, denominator),
            )
    return flavour_database


def _rows(url: str, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with _connect(url) as conn:
        return conn.execute(sql, args).fetchall()


def test_a_unit_formed_from_a_whole_locality_shows_its_summed_history_before_it_starts(reform_db: str) -> None:
    rows = _rows(reform_db, HISTORY, "CQS-04", "DK_VANDON")
    # Before 1 July: Vân Đồn's last numerator and denominator of each day, 40/50 and 48/64; then its own 3/4.
    assert [(r[0], float(r[1]), r[2], r[3], r[4], r[5]) for r in rows] == [
        (dt.date(2025, 6, 29), 80.0, 40.0, 50.0, True, "VANDON"),
        (dt.date(2025, 6, 30), 75.0, 48.0, 64.0, True, "VANDON"),
        (dt.date(2025, 7, 1), 75.0, 3.0, 4.0, False, "DK_VANDON"),
    ]
    # A one-metric indicator: the numerator × scale (1).
    single = _rows(reform_db, HISTORY, "CQS-09", "DK_VANDON")
    assert [(r[0], float(r[1]), r[4]) for r in single] == [(dt.date(2025, 6, 30), 70.0, True)]


def test_derived_days_need_every_whole_predecessor(reform_db: str) -> None:
    rows = _rows(reform_db, HISTORY, "CQS-04", "T_BOTH")
    # 29 June: only Vân Đồn has a value, so no day; 30 June: (48 + 2) / (64 + 16) × 100 = 62.5.
    assert [(r[0], float(r[1]), r[2], r[3], r[4], r[5]) for r in rows] == [
        (dt.date(2025, 6, 30), 62.5, 50.0, 80.0, True, "COTO, VANDON"),
    ]


def test_a_ward_formed_from_parts_has_no_derived_history_and_says_it_is_not_comparable(reform_db: str) -> None:
    assert _rows(reform_db, HISTORY, "CQS-04", "P_BAICHAY") == []
    lineage = {
        r[0]: r[1:]
        for r in _rows(
            reform_db,
            """SELECT unit_code, predecessors, derived_history, comparable, note_vi, note_en FROM dti.unit_lineage
                WHERE unit_code IN ('P_BAICHAY', 'DK_VANDON', 'STC', 'HALONG')""",
        )
    }
    assert lineage["P_BAICHAY"][:3] == (["HALONG"], False, False)
    assert lineage["P_BAICHAY"][3] == (
        "Lịch sử trước ngày thành lập 01/07/2025 không so sánh được: đơn vị được hình thành từ một phần của "
        "Thành phố Hạ Long"
    )
    assert lineage["P_BAICHAY"][4] == "Earlier history not comparable: formed on 2025-07-01 from a part of Hạ Long city"
    assert lineage["DK_VANDON"][:3] == (["VANDON"], True, True)
    assert lineage["DK_VANDON"][3].startswith("Trước ngày thành lập 01/07/2025: số liệu suy ra")
    # Sở Tài chính took over the whole of Sở KH&ĐT but existed before it: its own history, nothing derived.
    assert lineage["STC"][:3] == (["SKHDT"], False, True)
    assert lineage["HALONG"] == ([], False, True, "", "")
    # Hạ Long's own rows are its own, never derived.
    assert [r[4] for r in _rows(reform_db, HISTORY, "CQS-04", "HALONG")] == [False]


def test_the_map_of_a_past_day(reform_db: str) -> None:
    def units(day: str) -> set[str]:
        return {r[0] for r in _rows(reform_db, "SELECT unit_code FROM dti.units_on(%s::date)", day)}

    before, after = units("2025-06-30"), units("2025-07-01")
    assert {"VANDON", "COTO", "HALONG"} <= before
    assert not {"DK_VANDON", "P_BAICHAY"} & before
    assert {"DK_VANDON", "DK_COTO", "P_BAICHAY"} <= after
    assert not {"VANDON", "HALONG"} & after
    # 54 wards, communes and special zones and the test's own unit under the province on 1 July.
    commune_level = ("ward", "commune", "special_zone")
    assert len([u for u in after if u.startswith(("P_", "X_", "DK_", "T_"))]) == 55
    assert len(_rows(reform_db, "SELECT 1 FROM dti.units_on('2025-07-01') WHERE peer_group = ANY(%s)",
                     list(commune_level))) == 55  # fmt: skip


def test_grafana_reader_reads_the_history_views(reform_db: str) -> None:
    with _connect(reform_db) as conn:
        conn.execute("SET ROLE grafana_reader")
        # 6 days of the units' own; derived: Vân Đồn special zone 3 (two of CQS-04, one of CQS-09), Cô Tô 1, the
        # test's unit 1 (CQS-04 on 30 June; Cô Tô has no CQS-09).
        assert conn.execute("SELECT count(*) FROM dti.indicator_history_daily").fetchone() == (11,)
        assert conn.execute("SELECT count(*) FROM dti.unit_lineage WHERE unit_code = 'DK_COTO'").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM dti.units_on('2025-07-01') WHERE unit_code = 'QN'").fetchone() == (1,)
