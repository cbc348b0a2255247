import datetime as dt

from index_engine.observation import Observation
from streams.rows import AlertRow, IndicatorRow, Row, StatusRow
from streams.tables import TABLES, bucket_of

HOUR = dt.timedelta(hours=1)
T = dt.datetime(2023, 6, 30, 3, 25, tzinfo=dt.UTC)


def value(ts: dt.datetime, version: int, unit: str = "QN") -> IndicatorRow:
    return IndicatorRow("CQS-04", unit, 2023, ts, float(version), float(version), 100.0, version)


def test_bucket_of_floors_to_the_bucket_start_in_utc() -> None:
    assert bucket_of(T, HOUR) == dt.datetime(2023, 6, 30, 3, 0, tzinfo=dt.UTC)
    assert bucket_of(T.astimezone(dt.timezone(dt.timedelta(hours=7))), HOUR) == bucket_of(T, HOUR)


def test_batch_keeps_the_newest_version_of_each_key_in_any_order() -> None:
    rows = [value(T, 3), value(T + dt.timedelta(minutes=10), 5), value(T, 4), value(T, 1, unit="HALONG")]
    params = TABLES[IndicatorRow].batch(rows, HOUR)
    assert sorted((p[1], p[-1]) for p in params) == [("HALONG", 1), ("QN", 5)]


def test_unversioned_rows_keep_the_last_given_per_key() -> None:
    first = AlertRow("CQS-04", "QN", "stale", "raised", T, "stale", "cũ")
    again = AlertRow("CQS-04", "QN", "stale", "raised", T, "stale", "mới")
    assert [p[6] for p in TABLES[AlertRow].batch([first, again], HOUR)] == ["mới"]


def test_every_row_type_has_a_table_whose_params_match_its_columns() -> None:
    samples: list[Row] = [
        value(T, 1),
        StatusRow("CQS-04", "QN", 2023, T, "on_track", 0.5, 0.9, 70, 80, 75, 81, 1.1, None, True, 1),
        AlertRow("CQS-04", "QN", "stale", "raised", T, "stale"),
        Observation(id="a", source="sim", metric="m", unit="QN", ts=T, kind="gauge", value=1.0),
    ]
    for row in samples:
        table = TABLES[type(row)]
        assert len(table.params(row, HOUR)) == len(table.columns)
    assert set(TABLES) == set(Row.__args__)  # type: ignore[attr-defined]


def test_upserts_guard_versions_and_stamp_the_write_time() -> None:
    values = TABLES[IndicatorRow]
    assert values.upsert_values().endswith("WHERE dti.indicator_value.version <= EXCLUDED.version")
    assert "WHERE dti.indicator_value.version <= EXCLUDED.version RETURNING" in values.upsert_staged()
    assert "written_at = now()" in values.upsert_values()
    assert values.upsert_values().count("%s") == len(values.columns)
    assert TABLES[Observation].upsert_staged().endswith('ON CONFLICT ("id", "ts") DO NOTHING')
    assert "version" not in TABLES[AlertRow].upsert_staged()
