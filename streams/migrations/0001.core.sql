-- depends:
-- Core schema of QN-DTI Monitor: computed indicator values and the public view dti.indicator_latest.
CREATE SCHEMA IF NOT EXISTS dti;
COMMENT ON SCHEMA dti IS 'QN-DTI Monitor: chỉ số chuyển đổi số Quảng Ninh / Quảng Ninh digital-transformation index';

CREATE TABLE IF NOT EXISTS dti.indicator_value (
    indicator_code text NOT NULL,
    unit_code      text NOT NULL,
    bucket         timestamptz NOT NULL,
    period         integer NOT NULL,
    ts             timestamptz NOT NULL,
    value          double precision,
    numerator      double precision,
    denominator    double precision,
    version        bigint NOT NULL,
    written_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (indicator_code, unit_code, bucket)
);
COMMENT ON TABLE dti.indicator_value IS
    'Giá trị chỉ tiêu theo đơn vị, mỗi khung thời gian một dòng / indicator values per unit, one row per time bucket';
COMMENT ON COLUMN dti.indicator_value.indicator_code IS 'Mã chỉ tiêu / indicator code (e.g. CQS-04)';
COMMENT ON COLUMN dti.indicator_value.unit_code IS 'Mã đơn vị / unit code (e.g. QN, HALONG)';
COMMENT ON COLUMN dti.indicator_value.bucket IS 'Đầu khung thời gian / start of the time bucket (hourly by default)';
COMMENT ON COLUMN dti.indicator_value.period IS 'Kỳ kế hoạch (năm, giờ Việt Nam) / plan period (local year)';
COMMENT ON COLUMN dti.indicator_value.ts IS 'Thời điểm quan sát mới nhất / newest observation time behind the value';
COMMENT ON COLUMN dti.indicator_value.value IS 'Giá trị chỉ tiêu (tử số / mẫu số × hệ số) / indicator value';
COMMENT ON COLUMN dti.indicator_value.numerator IS 'Tử số lũy kế / numerator (year to date or latest)';
COMMENT ON COLUMN dti.indicator_value.denominator IS 'Mẫu số lũy kế / denominator (year to date or latest)';
COMMENT ON COLUMN dti.indicator_value.version IS 'Phiên bản trạng thái đơn vị / unit state version (newer wins)';
COMMENT ON COLUMN dti.indicator_value.written_at IS 'Thời điểm ghi / time the row was written';

CREATE INDEX IF NOT EXISTS indicator_value_latest_idx
    ON dti.indicator_value (indicator_code, unit_code, bucket DESC);

CREATE OR REPLACE VIEW dti.indicator_latest AS
SELECT DISTINCT ON (indicator_code, unit_code)
       indicator_code, unit_code, ts, value, numerator, denominator, period, bucket
  FROM dti.indicator_value
 ORDER BY indicator_code, unit_code, bucket DESC, ts DESC;
COMMENT ON VIEW dti.indicator_latest IS
    'Giá trị mới nhất của mỗi chỉ tiêu tại mỗi đơn vị / latest value of each indicator for each unit';
