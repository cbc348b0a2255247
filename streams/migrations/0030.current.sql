-- depends: 0007.grafana
-- Current rows for the wall screen and the alert rules. dti.indicator_latest, dti.unit_score_latest and
-- dti.alerts_open read the newest row of each key; a DISTINCT ON over the whole history grows with the years.
-- Each time-series table now keeps its newest row per key in a small table, maintained by a row trigger in the
-- same transaction as the write (so readers never see one without the other) and filled once from the history
-- here. The views keep every column, in order, and read those tables instead. The triggers run as the schema
-- owner (SECURITY DEFINER), so the writer role needs no rights on the current tables.
-- Ordering is the views' own: newest bucket (then newest ts) for values, statuses and scores; newest ts (then
-- resolved before raised) for alert events. A deleted or re-keyed current row is replaced by the next newest.

CREATE TABLE IF NOT EXISTS dti.indicator_value_current (
    indicator_code text NOT NULL,
    unit_code      text NOT NULL,
    bucket         timestamptz NOT NULL,
    period         integer NOT NULL,
    ts             timestamptz NOT NULL,
    value          double precision,
    numerator      double precision,
    denominator    double precision,
    PRIMARY KEY (indicator_code, unit_code)
);
COMMENT ON TABLE dti.indicator_value_current IS 'Giá trị mới nhất của mỗi chỉ tiêu tại mỗi đơn vị (trigger duy trì) / newest value of each indicator and unit (kept by a trigger)';

CREATE OR REPLACE FUNCTION dti.indicator_value_current_refresh() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, dti AS $fn$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND (TG_OP = 'DELETE' OR NEW.indicator_code IS DISTINCT FROM OLD.indicator_code OR NEW.unit_code IS DISTINCT FROM OLD.unit_code) THEN
        -- The old row may have been the current one: take the newest remaining row of its key.
        DELETE FROM dti.indicator_value_current AS c WHERE c.indicator_code = OLD.indicator_code AND c.unit_code = OLD.unit_code;
        INSERT INTO dti.indicator_value_current (indicator_code, unit_code, bucket, period, ts, value, numerator, denominator)
        SELECT b.indicator_code, b.unit_code, b.bucket, b.period, b.ts, b.value, b.numerator, b.denominator FROM dti.indicator_value AS b
         WHERE b.indicator_code = OLD.indicator_code AND b.unit_code = OLD.unit_code ORDER BY bucket DESC, ts DESC LIMIT 1;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO dti.indicator_value_current AS c (indicator_code, unit_code, bucket, period, ts, value, numerator, denominator) VALUES (NEW.indicator_code, NEW.unit_code, NEW.bucket, NEW.period, NEW.ts, NEW.value, NEW.numerator, NEW.denominator)
        ON CONFLICT (indicator_code, unit_code) DO UPDATE SET bucket = EXCLUDED.bucket, period = EXCLUDED.period, ts = EXCLUDED.ts, value = EXCLUDED.value, numerator = EXCLUDED.numerator, denominator = EXCLUDED.denominator WHERE EXCLUDED.bucket >= c.bucket;
    END IF;
    RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS indicator_value_current_refresh ON dti.indicator_value;
CREATE TRIGGER indicator_value_current_refresh AFTER INSERT OR UPDATE OR DELETE ON dti.indicator_value
    FOR EACH ROW EXECUTE FUNCTION dti.indicator_value_current_refresh();

INSERT INTO dti.indicator_value_current (indicator_code, unit_code, bucket, period, ts, value, numerator, denominator)
SELECT DISTINCT ON (indicator_code, unit_code) indicator_code, unit_code, bucket, period, ts, value, numerator, denominator FROM dti.indicator_value ORDER BY indicator_code, unit_code, bucket DESC, ts DESC
ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS dti.indicator_status_current (
    indicator_code text NOT NULL,
    unit_code      text NOT NULL,
    period         integer NOT NULL,
    bucket         timestamptz NOT NULL,
    ts             timestamptz NOT NULL,
    status         text NOT NULL,
    score          double precision,
    attainment     double precision,
    baseline       double precision,
    target         double precision,
    expected       double precision,
    projected      double precision,
    progress       double precision,
    fresh          boolean,
    PRIMARY KEY (indicator_code, unit_code, period)
);
COMMENT ON TABLE dti.indicator_status_current IS 'Trạng thái mới nhất của mỗi chỉ tiêu, đơn vị và kỳ (trigger duy trì) / newest status of each indicator, unit and period (kept by a trigger)';

CREATE OR REPLACE FUNCTION dti.indicator_status_current_refresh() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, dti AS $fn$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND (TG_OP = 'DELETE' OR NEW.indicator_code IS DISTINCT FROM OLD.indicator_code OR NEW.unit_code IS DISTINCT FROM OLD.unit_code OR NEW.period IS DISTINCT FROM OLD.period) THEN
        -- The old row may have been the current one: take the newest remaining row of its key.
        DELETE FROM dti.indicator_status_current AS c WHERE c.indicator_code = OLD.indicator_code AND c.unit_code = OLD.unit_code AND c.period = OLD.period;
        INSERT INTO dti.indicator_status_current (indicator_code, unit_code, period, bucket, ts, status, score, attainment, baseline, target, expected, projected, progress, fresh)
        SELECT b.indicator_code, b.unit_code, b.period, b.bucket, b.ts, b.status, b.score, b.attainment, b.baseline, b.target, b.expected, b.projected, b.progress, b.fresh FROM dti.indicator_status AS b
         WHERE b.indicator_code = OLD.indicator_code AND b.unit_code = OLD.unit_code AND b.period = OLD.period ORDER BY bucket DESC, ts DESC LIMIT 1;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO dti.indicator_status_current AS c (indicator_code, unit_code, period, bucket, ts, status, score, attainment, baseline, target, expected, projected, progress, fresh) VALUES (NEW.indicator_code, NEW.unit_code, NEW.period, NEW.bucket, NEW.ts, NEW.status, NEW.score, NEW.attainment, NEW.baseline, NEW.target, NEW.expected, NEW.projected, NEW.progress, NEW.fresh)
        ON CONFLICT (indicator_code, unit_code, period) DO UPDATE SET bucket = EXCLUDED.bucket, ts = EXCLUDED.ts, status = EXCLUDED.status, score = EXCLUDED.score, attainment = EXCLUDED.attainment, baseline = EXCLUDED.baseline, target = EXCLUDED.target, expected = EXCLUDED.expected, projected = EXCLUDED.projected, progress = EXCLUDED.progress, fresh = EXCLUDED.fresh WHERE EXCLUDED.bucket >= c.bucket;
    END IF;
    RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS indicator_status_current_refresh ON dti.indicator_status;
CREATE TRIGGER indicator_status_current_refresh AFTER INSERT OR UPDATE OR DELETE ON dti.indicator_status
    FOR EACH ROW EXECUTE FUNCTION dti.indicator_status_current_refresh();

INSERT INTO dti.indicator_status_current (indicator_code, unit_code, period, bucket, ts, status, score, attainment, baseline, target, expected, projected, progress, fresh)
SELECT DISTINCT ON (indicator_code, unit_code, period) indicator_code, unit_code, period, bucket, ts, status, score, attainment, baseline, target, expected, projected, progress, fresh FROM dti.indicator_status ORDER BY indicator_code, unit_code, period, bucket DESC, ts DESC
ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS dti.unit_score_current (
    unit_code      text NOT NULL,
    pillar         text NOT NULL,
    bucket         timestamptz NOT NULL,
    period         integer NOT NULL,
    ts             timestamptz NOT NULL,
    score          double precision,
    points         double precision,
    coverage       double precision,
    weight         double precision,
    rank           integer,
    rank_of        integer,
    peer_group     text,
    PRIMARY KEY (unit_code, pillar)
);
COMMENT ON TABLE dti.unit_score_current IS 'Điểm mới nhất của mỗi đơn vị và trụ cột (trigger duy trì) / newest score of each unit and pillar (kept by a trigger)';

CREATE OR REPLACE FUNCTION dti.unit_score_current_refresh() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, dti AS $fn$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND (TG_OP = 'DELETE' OR NEW.unit_code IS DISTINCT FROM OLD.unit_code OR NEW.pillar IS DISTINCT FROM OLD.pillar) THEN
        -- The old row may have been the current one: take the newest remaining row of its key.
        DELETE FROM dti.unit_score_current AS c WHERE c.unit_code = OLD.unit_code AND c.pillar = OLD.pillar;
        INSERT INTO dti.unit_score_current (unit_code, pillar, bucket, period, ts, score, points, coverage, weight, rank, rank_of, peer_group)
        SELECT b.unit_code, b.pillar, b.bucket, b.period, b.ts, b.score, b.points, b.coverage, b.weight, b.rank, b.rank_of, b.peer_group FROM dti.unit_score AS b
         WHERE b.unit_code = OLD.unit_code AND b.pillar = OLD.pillar ORDER BY bucket DESC, ts DESC LIMIT 1;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO dti.unit_score_current AS c (unit_code, pillar, bucket, period, ts, score, points, coverage, weight, rank, rank_of, peer_group) VALUES (NEW.unit_code, NEW.pillar, NEW.bucket, NEW.period, NEW.ts, NEW.score, NEW.points, NEW.coverage, NEW.weight, NEW.rank, NEW.rank_of, NEW.peer_group)
        ON CONFLICT (unit_code, pillar) DO UPDATE SET bucket = EXCLUDED.bucket, period = EXCLUDED.period, ts = EXCLUDED.ts, score = EXCLUDED.score, points = EXCLUDED.points, coverage = EXCLUDED.coverage, weight = EXCLUDED.weight, rank = EXCLUDED.rank, rank_of = EXCLUDED.rank_of, peer_group = EXCLUDED.peer_group WHERE EXCLUDED.bucket >= c.bucket;
    END IF;
    RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS unit_score_current_refresh ON dti.unit_score;
CREATE TRIGGER unit_score_current_refresh AFTER INSERT OR UPDATE OR DELETE ON dti.unit_score
    FOR EACH ROW EXECUTE FUNCTION dti.unit_score_current_refresh();

INSERT INTO dti.unit_score_current (unit_code, pillar, bucket, period, ts, score, points, coverage, weight, rank, rank_of, peer_group)
SELECT DISTINCT ON (unit_code, pillar) unit_code, pillar, bucket, period, ts, score, points, coverage, weight, rank, rank_of, peer_group FROM dti.unit_score ORDER BY unit_code, pillar, bucket DESC, ts DESC
ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS dti.alert_current (
    indicator_code text NOT NULL,
    unit_code      text NOT NULL,
    kind           text NOT NULL,
    action         text NOT NULL,
    ts             timestamptz NOT NULL,
    status         text,
    message_vi     text,
    message_en     text,
    notify         text[],
    PRIMARY KEY (indicator_code, unit_code, kind)
);
COMMENT ON TABLE dti.alert_current IS 'Sự kiện cảnh báo mới nhất của mỗi chỉ tiêu, đơn vị và loại (trigger duy trì) / newest alert event of each indicator, unit and kind (kept by a trigger)';

CREATE OR REPLACE FUNCTION dti.alert_current_refresh() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, dti AS $fn$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND (TG_OP = 'DELETE' OR NEW.indicator_code IS DISTINCT FROM OLD.indicator_code OR NEW.unit_code IS DISTINCT FROM OLD.unit_code OR NEW.kind IS DISTINCT FROM OLD.kind) THEN
        -- The old row may have been the current one: take the newest remaining row of its key.
        DELETE FROM dti.alert_current AS c WHERE c.indicator_code = OLD.indicator_code AND c.unit_code = OLD.unit_code AND c.kind = OLD.kind;
        INSERT INTO dti.alert_current (indicator_code, unit_code, kind, action, ts, status, message_vi, message_en, notify)
        SELECT b.indicator_code, b.unit_code, b.kind, b.action, b.ts, b.status, b.message_vi, b.message_en, b.notify FROM dti.alert AS b
         WHERE b.indicator_code = OLD.indicator_code AND b.unit_code = OLD.unit_code AND b.kind = OLD.kind ORDER BY ts DESC, action DESC LIMIT 1;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO dti.alert_current AS c (indicator_code, unit_code, kind, action, ts, status, message_vi, message_en, notify) VALUES (NEW.indicator_code, NEW.unit_code, NEW.kind, NEW.action, NEW.ts, NEW.status, NEW.message_vi, NEW.message_en, NEW.notify)
        ON CONFLICT (indicator_code, unit_code, kind) DO UPDATE SET action = EXCLUDED.action, ts = EXCLUDED.ts, status = EXCLUDED.status, message_vi = EXCLUDED.message_vi, message_en = EXCLUDED.message_en, notify = EXCLUDED.notify WHERE (EXCLUDED.ts, EXCLUDED.action) >= (c.ts, c.action);
    END IF;
    RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS alert_current_refresh ON dti.alert;
CREATE TRIGGER alert_current_refresh AFTER INSERT OR UPDATE OR DELETE ON dti.alert
    FOR EACH ROW EXECUTE FUNCTION dti.alert_current_refresh();

INSERT INTO dti.alert_current (indicator_code, unit_code, kind, action, ts, status, message_vi, message_en, notify)
SELECT DISTINCT ON (indicator_code, unit_code, kind) indicator_code, unit_code, kind, action, ts, status, message_vi, message_en, notify FROM dti.alert ORDER BY indicator_code, unit_code, kind, ts DESC, action DESC
ON CONFLICT DO NOTHING;

-- Each column of a current table means what the same column of its base table means: copy the comments.
DO $$
DECLARE
    pair text[];
    col record;
BEGIN
    FOREACH pair SLICE 1 IN ARRAY ARRAY[['indicator_value_current', 'indicator_value'],
                                        ['indicator_status_current', 'indicator_status'],
                                        ['unit_score_current', 'unit_score'],
                                        ['alert_current', 'alert']]
    LOOP
        FOR col IN SELECT a.attname, col_description(b.attrelid, b.attnum) AS comment
                     FROM pg_attribute AS a
                     JOIN pg_attribute AS b ON b.attrelid = ('dti.' || pair[2])::regclass AND b.attname = a.attname
                    WHERE a.attrelid = ('dti.' || pair[1])::regclass AND a.attnum > 0 AND NOT a.attisdropped
        LOOP
            EXECUTE format('COMMENT ON COLUMN dti.%I.%I IS %L', pair[1], col.attname, col.comment);
        END LOOP;
    END LOOP;
END $$;

-- The newest value per key came from a backward scan of this index; the views no longer need it, and the primary
-- key (indicator_code, unit_code, bucket) serves every other lookup. One index less for every write.
DROP INDEX IF EXISTS dti.indicator_value_latest_idx;

GRANT SELECT ON dti.indicator_value_current, dti.indicator_status_current, dti.unit_score_current,
    dti.alert_current TO qndti_writer;

CREATE OR REPLACE VIEW dti.indicator_latest AS
SELECT v.indicator_code, v.unit_code, v.ts, v.value, v.numerator, v.denominator,
       coalesce(s.target, t.target) AS target, s.expected, s.projected, s.status, s.score,
       v.period, v.bucket,
       coalesce(s.baseline, t.baseline) AS baseline, s.attainment, s.progress, s.fresh, s.ts AS evaluated_at,
       st.label_vi AS status_vi, st.label_en AS status_en,
       i.pillar, i.name_vi AS indicator_name_vi, i.name_en AS indicator_name_en, i.value_unit,
       u.name_vi AS unit_name_vi, u.name_en AS unit_name_en,
       i.lead_unit, lu.name_vi AS lead_unit_name_vi, lu.name_en AS lead_unit_name_en
  FROM dti.indicator_value_current AS v
  LEFT JOIN dti.indicator_status_current AS s
         ON s.indicator_code = v.indicator_code AND s.unit_code = v.unit_code AND s.period = v.period
  LEFT JOIN dti.target AS t
         ON t.indicator_code = v.indicator_code AND t.unit_code = v.unit_code AND t.period = v.period
  LEFT JOIN dti.status AS st ON st.code = s.status
  LEFT JOIN dti.indicator AS i ON i.code = v.indicator_code
  LEFT JOIN dti.unit AS u ON u.code = v.unit_code
  LEFT JOIN dti.unit AS lu ON lu.code = i.lead_unit;

CREATE OR REPLACE VIEW dti.unit_score_latest AS
SELECT s.unit_code, s.pillar, s.ts, s.score, s.points, s.coverage, s.weight,
       coalesce(s.rank, CASE WHEN g.ranked AND s.score IS NOT NULL THEN (rank() OVER ranking)::integer END)
           AS rank,
       coalesce(s.rank_of, CASE WHEN g.ranked AND s.score IS NOT NULL THEN (count(s.score) OVER peers)::integer END)
           AS rank_of,
       coalesce(s.peer_group, u.peer_group) AS peer_group,
       s.period, s.bucket,
       u.name_vi AS unit_name_vi, u.name_en AS unit_name_en,
       coalesce(p.name_vi, CASE WHEN s.pillar = 'INDEX' THEN 'Chỉ số tổng hợp' END) AS pillar_name_vi,
       coalesce(p.name_en, CASE WHEN s.pillar = 'INDEX' THEN 'Composite index' END) AS pillar_name_en
  FROM dti.unit_score_current AS s
  LEFT JOIN dti.unit AS u ON u.code = s.unit_code
  LEFT JOIN dti.pillar AS p ON p.code = s.pillar
  LEFT JOIN dti.peer_group AS g ON g.code = coalesce(s.peer_group, u.peer_group)
WINDOW peers AS (PARTITION BY coalesce(s.peer_group, u.peer_group), s.pillar, s.period),
       ranking AS (peers ORDER BY s.score DESC NULLS LAST);

CREATE OR REPLACE VIEW dti.alerts_open AS
SELECT a.indicator_code, a.unit_code, a.kind, a.ts, a.status, st.label_vi AS status_vi, st.label_en AS status_en,
       a.message_vi, a.message_en, a.notify, i.lead_unit,
       i.name_vi AS indicator_name_vi, i.name_en AS indicator_name_en,
       u.name_vi AS unit_name_vi, u.name_en AS unit_name_en
  FROM dti.alert_current AS a
  LEFT JOIN dti.status AS st ON st.code = a.status
  LEFT JOIN dti.indicator AS i ON i.code = a.indicator_code
  LEFT JOIN dti.unit AS u ON u.code = a.unit_code
 WHERE a.action = 'raised';
