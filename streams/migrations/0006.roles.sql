-- depends: 0005.views
-- Least privilege. grafana_reader reads the public views only; qndti_writer writes the time-series tables and
-- reads the rest, and owns nothing, so it cannot drop the schema or its tables. Both are created NOLOGIN:
-- a deployment grants LOGIN and a password from its secret store (ALTER ROLE … LOGIN PASSWORD …), never here.
-- Created only where missing: a deployment may have made them already (deploy/postgres/initdb), and a migrating
-- role without CREATEROLE is refused by CREATE ROLE even when the role exists.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'grafana_reader') THEN
        CREATE ROLE grafana_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'qndti_writer') THEN
        CREATE ROLE qndti_writer NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
-- Comments on roles need CREATEROLE; a deployment's init script comments them itself (deploy/postgres/initdb).
DO $$
BEGIN
    COMMENT ON ROLE grafana_reader IS 'Chỉ đọc các view công khai của dti / read-only access to the public views of dti';
    COMMENT ON ROLE qndti_writer IS 'Ghi các bảng chuỗi thời gian của dti / writes the time-series tables of dti';
EXCEPTION WHEN insufficient_privilege THEN NULL;
END $$;

REVOKE ALL ON SCHEMA dti FROM PUBLIC;
GRANT USAGE ON SCHEMA dti TO grafana_reader, qndti_writer;

GRANT SELECT ON dti.indicator_latest, dti.unit_score_latest, dti.indicator_series, dti.indicator_series_daily,
    dti.alerts_open TO grafana_reader;
GRANT EXECUTE ON FUNCTION dti.expected_value(double precision, double precision, integer, timestamptz)
    TO grafana_reader, qndti_writer;

GRANT SELECT ON ALL TABLES IN SCHEMA dti TO qndti_writer;
GRANT INSERT, UPDATE ON dti.indicator_value, dti.metric_value, dti.indicator_status, dti.unit_score,
    dti.observation, dti.alert, dti.dead_letter TO qndti_writer;
