"""The flavour of the time-series schema: TimescaleDB where the extension exists, plain PostgreSQL elsewhere.

Both flavours end with the same relations and columns: ``dti.indicator_value_hourly`` and
``dti.indicator_value_daily`` are continuous aggregates with real-time aggregation on TimescaleDB and ordinary
views on PostgreSQL. Compression, retention and refresh policies are applied after the migrations from
settings (``streams.timescale.apply_policies``), so their intervals can change without a migration.
"""

from __future__ import annotations

from typing import Any

from yoyo import step

__depends__ = {"0003.series"}

# (table, time column, chunk interval, segment-by columns of compressed chunks)
HYPERTABLES = (
    ("dti.indicator_value", "bucket", "30 days", "indicator_code, unit_code"),
    ("dti.metric_value", "bucket", "30 days", "metric_code, unit_code"),
    ("dti.indicator_status", "bucket", "30 days", "indicator_code, unit_code"),
    ("dti.unit_score", "bucket", "30 days", "unit_code, pillar"),
    ("dti.observation", "ts", "7 days", "metric_code, unit_code"),
    ("dti.alert", "ts", "90 days", "indicator_code, unit_code"),
    ("dti.dead_letter", "ts", "30 days", "topic"),
)

# Days are local (Asia/Ho_Chi_Minh, UTC+7 all year): both flavours bucket from a local midnight.
LOCAL_ORIGIN = "TIMESTAMPTZ '2000-01-01 00:00:00+07'"
BUCKETS = (("hourly", "1 hour"), ("daily", "1 day"))

TIMESCALE_AGGREGATE = """
CREATE MATERIALIZED VIEW IF NOT EXISTS dti.indicator_value_{name}
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT indicator_code, unit_code,
       time_bucket(INTERVAL '{width}', bucket, origin => {origin}) AS bucket,
       last(value, ts) AS value, last(numerator, ts) AS numerator, last(denominator, ts) AS denominator,
       max(ts) AS ts, max(period) AS period, min(value) AS value_min, max(value) AS value_max
  FROM dti.indicator_value
 GROUP BY indicator_code, unit_code, time_bucket(INTERVAL '{width}', bucket, origin => {origin})
WITH NO DATA
"""

PLAIN_AGGREGATE = """
CREATE OR REPLACE VIEW dti.indicator_value_{name} AS
SELECT indicator_code, unit_code,
       date_bin(INTERVAL '{width}', bucket, {origin}) AS bucket,
       (array_agg(value ORDER BY ts DESC))[1] AS value,
       (array_agg(numerator ORDER BY ts DESC))[1] AS numerator,
       (array_agg(denominator ORDER BY ts DESC))[1] AS denominator,
       max(ts) AS ts, max(period) AS period, min(value) AS value_min, max(value) AS value_max
  FROM dti.indicator_value
 GROUP BY indicator_code, unit_code, date_bin(INTERVAL '{width}', bucket, {origin})
"""

COMMENTS = """
COMMENT ON VIEW dti.indicator_value_{name} IS
    'Giá trị chỉ tiêu gộp theo {label_vi} (giá trị cuối khung) / indicator values per {label_en} bucket (last value in the bucket)';
COMMENT ON COLUMN dti.indicator_value_{name}.indicator_code IS 'Mã chỉ tiêu / indicator code';
COMMENT ON COLUMN dti.indicator_value_{name}.unit_code IS 'Mã đơn vị / unit code';
COMMENT ON COLUMN dti.indicator_value_{name}.bucket IS 'Đầu khung thời gian (ngày theo giờ Việt Nam) / start of the bucket (days in local time)';
COMMENT ON COLUMN dti.indicator_value_{name}.value IS 'Giá trị cuối khung / last value in the bucket';
COMMENT ON COLUMN dti.indicator_value_{name}.numerator IS 'Tử số cuối khung / last numerator in the bucket';
COMMENT ON COLUMN dti.indicator_value_{name}.denominator IS 'Mẫu số cuối khung / last denominator in the bucket';
COMMENT ON COLUMN dti.indicator_value_{name}.ts IS 'Thời điểm quan sát mới nhất trong khung / newest observation time in the bucket';
COMMENT ON COLUMN dti.indicator_value_{name}.period IS 'Kỳ kế hoạch (năm) / plan period (local year)';
COMMENT ON COLUMN dti.indicator_value_{name}.value_min IS 'Giá trị nhỏ nhất trong khung / lowest value in the bucket';
COMMENT ON COLUMN dti.indicator_value_{name}.value_max IS 'Giá trị lớn nhất trong khung / highest value in the bucket';
"""

LABELS = {"hourly": ("giờ", "hour"), "daily": ("ngày", "day")}


def timescale_available(conn: Any) -> bool:
    """Whether this server can create the timescaledb extension."""
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")
        return cur.fetchone() is not None


def build(conn: Any) -> None:
    """Create the hypertables and continuous aggregates, or their plain twins."""
    timescale = timescale_available(conn)
    with conn.cursor() as cur:
        if timescale:
            cur.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
            for table, column, chunk, segment_by in HYPERTABLES:
                cur.execute(
                    f"SELECT create_hypertable('{table}', by_range('{column}', INTERVAL '{chunk}'),"
                    " migrate_data => true, if_not_exists => true)"
                )
                cur.execute(
                    f"ALTER TABLE {table} SET (timescaledb.compress,"
                    f" timescaledb.compress_segmentby = '{segment_by}',"
                    f" timescaledb.compress_orderby = '{column} DESC')"
                )
        template = TIMESCALE_AGGREGATE if timescale else PLAIN_AGGREGATE
        for name, width in BUCKETS:
            cur.execute(template.format(name=name, width=width, origin=LOCAL_ORIGIN))
            label_vi, label_en = LABELS[name]
            cur.execute(COMMENTS.format(name=name, label_vi=label_vi, label_en=label_en))


steps = [step(build)]
