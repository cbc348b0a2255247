-- depends: 0050.tasks
-- Implausible observations (rules of the catalog's plausibility.csv, checked by the worker) are kept here with
-- their reason and original bytes, and left out of values, scores, ranks and alerts. An operator accepts one
-- (qndti quarantine accept: it is sent again, marked, and then applied) or rejects it; a later revision of the
-- same unit, metric and time that passes the rules supersedes it. dti.revised marks values revisions changed.

CREATE TABLE IF NOT EXISTS dti.quarantine (
    id          text NOT NULL,
    ts          timestamptz NOT NULL,
    source      text NOT NULL,
    metric_code text NOT NULL,
    unit_code   text NOT NULL,
    kind        text NOT NULL,
    value       double precision NOT NULL,
    revision    bigint NOT NULL DEFAULT 0,
    reason      text NOT NULL,
    detail_vi   text NOT NULL DEFAULT '',
    detail_en   text NOT NULL DEFAULT '',
    topic       text NOT NULL,
    "partition" integer NOT NULL,
    "offset"    bigint NOT NULL,
    payload     bytea NOT NULL,
    status      text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'accepted', 'rejected')),
    decided_at  timestamptz,
    decided_by  text,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, ts)
);
COMMENT ON TABLE dti.quarantine IS 'Quan sát bất hợp lý bị cách ly (không tính vào giá trị) / implausible observations held out of the values';
COMMENT ON COLUMN dti.quarantine.id IS 'Mã quan sát / observation id';
COMMENT ON COLUMN dti.quarantine.ts IS 'Thời điểm quan sát / observation time';
COMMENT ON COLUMN dti.quarantine.source IS 'Hệ thống nguồn / source system';
COMMENT ON COLUMN dti.quarantine.metric_code IS 'Mã số liệu / metric code';
COMMENT ON COLUMN dti.quarantine.unit_code IS 'Mã đơn vị gửi / unit code';
COMMENT ON COLUMN dti.quarantine.kind IS 'Loại quan sát / observation kind';
COMMENT ON COLUMN dti.quarantine.value IS 'Giá trị gửi / value sent';
COMMENT ON COLUMN dti.quarantine.revision IS 'Lần sửa / revision';
COMMENT ON COLUMN dti.quarantine.reason IS 'Lý do: not_whole, below_minimum, above_maximum, jump, share_exceeds / reason';
COMMENT ON COLUMN dti.quarantine.detail_vi IS 'Giải thích tiếng Việt / explanation in Vietnamese';
COMMENT ON COLUMN dti.quarantine.detail_en IS 'Giải thích tiếng Anh / explanation in English';
COMMENT ON COLUMN dti.quarantine.topic IS 'Chủ đề Kafka gốc / original Kafka topic';
COMMENT ON COLUMN dti.quarantine."partition" IS 'Phân vùng Kafka gốc / original partition';
COMMENT ON COLUMN dti.quarantine."offset" IS 'Vị trí Kafka gốc / original offset';
COMMENT ON COLUMN dti.quarantine.payload IS 'Bản tin gốc / original message bytes';
COMMENT ON COLUMN dti.quarantine.status IS 'held (đang cách ly), accepted (đã chấp nhận), rejected (đã loại) / status';
COMMENT ON COLUMN dti.quarantine.decided_at IS 'Thời điểm quyết định / time decided';
COMMENT ON COLUMN dti.quarantine.decided_by IS 'Người quyết định / who decided';
COMMENT ON COLUMN dti.quarantine.received_at IS 'Thời điểm nhận / time received';
CREATE INDEX IF NOT EXISTS quarantine_held_idx ON dti.quarantine (unit_code, metric_code, ts) WHERE status = 'held';

CREATE OR REPLACE VIEW dti.quarantine_open AS
SELECT q.id, q.ts, q.source, q.metric_code, q.unit_code, u.name_vi AS unit_name_vi, u.name_en AS unit_name_en,
       q.value, q.revision, q.reason, q.detail_vi, q.detail_en, q.received_at
  FROM dti.quarantine AS q
  LEFT JOIN dti.unit AS u ON u.code = q.unit_code
 WHERE q.status = 'held'
   AND NOT EXISTS (SELECT 1 FROM dti.observation AS o
                    WHERE o.unit_code = q.unit_code AND o.metric_code = q.metric_code AND o.ts = q.ts
                      AND o.revision > q.revision);
COMMENT ON VIEW dti.quarantine_open IS
    'Quan sát đang bị cách ly, chưa được chấp nhận, loại hay thay bằng bản sửa / observations held, not yet accepted, rejected or superseded by a revision';
COMMENT ON COLUMN dti.quarantine_open.id IS 'Mã quan sát / observation id';
COMMENT ON COLUMN dti.quarantine_open.ts IS 'Thời điểm quan sát / observation time';
COMMENT ON COLUMN dti.quarantine_open.source IS 'Hệ thống nguồn / source system';
COMMENT ON COLUMN dti.quarantine_open.metric_code IS 'Mã số liệu / metric code';
COMMENT ON COLUMN dti.quarantine_open.unit_code IS 'Mã đơn vị gửi / unit code';
COMMENT ON COLUMN dti.quarantine_open.unit_name_vi IS 'Tên đơn vị tiếng Việt / unit name in Vietnamese';
COMMENT ON COLUMN dti.quarantine_open.unit_name_en IS 'Tên đơn vị tiếng Anh / unit name in English';
COMMENT ON COLUMN dti.quarantine_open.value IS 'Giá trị gửi / value sent';
COMMENT ON COLUMN dti.quarantine_open.revision IS 'Lần sửa / revision';
COMMENT ON COLUMN dti.quarantine_open.reason IS 'Lý do / reason';
COMMENT ON COLUMN dti.quarantine_open.detail_vi IS 'Giải thích tiếng Việt / explanation in Vietnamese';
COMMENT ON COLUMN dti.quarantine_open.detail_en IS 'Giải thích tiếng Anh / explanation in English';
COMMENT ON COLUMN dti.quarantine_open.received_at IS 'Thời điểm nhận / time received';

-- The newest revision the worker applied per unit, metric and period: dashboards mark the values it changed.
CREATE TABLE IF NOT EXISTS dti.revised (
    unit_code   text NOT NULL,
    metric_code text NOT NULL,
    period      integer NOT NULL,
    ts          timestamptz NOT NULL,
    revision    bigint NOT NULL,
    written_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_code, metric_code, period)
);
COMMENT ON TABLE dti.revised IS 'Bản sửa mới nhất đã áp dụng cho mỗi đơn vị, số liệu và kỳ / newest revision applied per unit, metric and period';
COMMENT ON COLUMN dti.revised.unit_code IS 'Mã đơn vị / unit code';
COMMENT ON COLUMN dti.revised.metric_code IS 'Mã số liệu / metric code';
COMMENT ON COLUMN dti.revised.period IS 'Kỳ kế hoạch (năm) / plan period (local year)';
COMMENT ON COLUMN dti.revised.ts IS 'Thời điểm của số liệu được sửa / time of the figure revised';
COMMENT ON COLUMN dti.revised.revision IS 'Lần sửa / revision number';
COMMENT ON COLUMN dti.revised.written_at IS 'Thời điểm áp dụng bản sửa / time the revision was applied';

CREATE OR REPLACE VIEW dti.indicator_revised AS
SELECT i.code AS indicator_code, r.unit_code, r.period, max(r.written_at) AS revised_at, max(r.revision) AS revision,
       string_agg(DISTINCT r.metric_code, ', ') AS metrics
  FROM dti.indicator AS i
  JOIN dti.revised AS r ON r.metric_code IN (i.numerator_metric, i.denominator_metric)
 GROUP BY i.code, r.unit_code, r.period;
COMMENT ON VIEW dti.indicator_revised IS
    'Giá trị chỉ tiêu có số liệu đã được sửa (revision) / indicator values whose figures were revised';
COMMENT ON COLUMN dti.indicator_revised.indicator_code IS 'Mã chỉ tiêu / indicator code';
COMMENT ON COLUMN dti.indicator_revised.unit_code IS 'Mã đơn vị / unit code';
COMMENT ON COLUMN dti.indicator_revised.period IS 'Kỳ kế hoạch (năm) / plan period';
COMMENT ON COLUMN dti.indicator_revised.revised_at IS 'Lần sửa gần nhất được áp dụng lúc / newest revision applied at';
COMMENT ON COLUMN dti.indicator_revised.revision IS 'Số lần sửa cao nhất / highest revision number';
COMMENT ON COLUMN dti.indicator_revised.metrics IS 'Số liệu đã sửa / metrics revised';

GRANT SELECT ON dti.quarantine_open, dti.indicator_revised TO grafana_reader;
GRANT SELECT, INSERT ON dti.quarantine TO qndti_writer;
GRANT SELECT, INSERT, UPDATE ON dti.revised TO qndti_writer;
