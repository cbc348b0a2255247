-- depends: 0040.plans
-- The key tasks of each plan year (catalog `plans/<year>/tasks.csv`, loaded by streams.reference.load_reference),
-- the progress reports lead units send (TaskReport v1 on qndti.task-reports) and what the worker makes of them:
-- each task's newest report, its status on the day with the reasons, and its alert events.

ALTER TABLE dti.plan ADD COLUMN IF NOT EXISTS task_tolerance double precision NOT NULL DEFAULT 20;
ALTER TABLE dti.plan ADD COLUMN IF NOT EXISTS task_cadence_days integer NOT NULL DEFAULT 31;
ALTER TABLE dti.plan ADD COLUMN IF NOT EXISTS task_reminder_days integer NOT NULL DEFAULT 14;
COMMENT ON COLUMN dti.plan.task_tolerance IS 'Ngưỡng chậm tiến độ (điểm %) so với thời gian đã qua / how far (percentage points) progress may lag the time elapsed';
COMMENT ON COLUMN dti.plan.task_cadence_days IS 'Chu kỳ báo cáo tiến độ (ngày) / reporting cadence of task progress (days)';
COMMENT ON COLUMN dti.plan.task_reminder_days IS 'Nhắc hạn trước (ngày) / days before a deadline that a reminder goes out';

CREATE TABLE IF NOT EXISTS dti.task (
    code          text PRIMARY KEY,
    period        integer NOT NULL REFERENCES dti.plan (period) ON DELETE CASCADE,
    title_vi      text NOT NULL,
    title_en      text NOT NULL,
    pillar        text NOT NULL,
    lead_unit     text NOT NULL REFERENCES dti.unit (code),
    co_lead_units text[] NOT NULL DEFAULT '{}',
    deadline      date NOT NULL,
    deliverable   text NOT NULL DEFAULT '',
    assumed       boolean NOT NULL,
    note          text NOT NULL DEFAULT ''
);
COMMENT ON TABLE dti.task IS 'Nhiệm vụ trọng tâm của kế hoạch năm / key tasks of a plan year';
COMMENT ON COLUMN dti.task.code IS 'Mã nhiệm vụ (duy nhất qua các năm) / task code (unique across years)';
COMMENT ON COLUMN dti.task.period IS 'Năm kế hoạch / plan year';
COMMENT ON COLUMN dti.task.title_vi IS 'Tên nhiệm vụ tiếng Việt / task title in Vietnamese';
COMMENT ON COLUMN dti.task.title_en IS 'Tên nhiệm vụ tiếng Anh / task title in English';
COMMENT ON COLUMN dti.task.pillar IS 'Trụ cột / pillar';
COMMENT ON COLUMN dti.task.lead_unit IS 'Đơn vị chủ trì theo kế hoạch / lead unit as the plan names it';
COMMENT ON COLUMN dti.task.co_lead_units IS 'Đơn vị phối hợp / co-lead units';
COMMENT ON COLUMN dti.task.deadline IS 'Hạn hoàn thành / deadline';
COMMENT ON COLUMN dti.task.deliverable IS 'Sản phẩm đầu ra / expected deliverable';
COMMENT ON COLUMN dti.task.assumed IS 'Dòng giả định (không có nguồn) / row assumed (not from a source)';
COMMENT ON COLUMN dti.task.note IS 'Ghi chú / note';

CREATE TABLE IF NOT EXISTS dti.task_report (
    task_code   text NOT NULL,
    report_id   text NOT NULL,
    source      text NOT NULL,
    report_date date NOT NULL,
    progress    double precision NOT NULL,
    state       text NOT NULL CHECK (state IN ('not_started', 'in_progress', 'done')),
    evidence    text NOT NULL DEFAULT '',
    note        text NOT NULL DEFAULT '',
    topic       text NOT NULL,
    "partition" integer NOT NULL,
    "offset"    bigint NOT NULL,
    latest      boolean NOT NULL,
    written_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (task_code, report_id)
);
COMMENT ON TABLE dti.task_report IS 'Báo cáo tiến độ nhiệm vụ đã nhận (mỗi mã báo cáo một lần) / task progress reports received (each report id once)';
COMMENT ON COLUMN dti.task_report.task_code IS 'Mã nhiệm vụ / task code';
COMMENT ON COLUMN dti.task_report.report_id IS 'Mã báo cáo của bên gửi (gửi lại không thay đổi gì) / the sender''s report id (a repeat changes nothing)';
COMMENT ON COLUMN dti.task_report.source IS 'Nguồn gửi / source';
COMMENT ON COLUMN dti.task_report.report_date IS 'Ngày báo cáo / day reported for';
COMMENT ON COLUMN dti.task_report.progress IS 'Tiến độ (%) / progress (%)';
COMMENT ON COLUMN dti.task_report.state IS 'not_started, in_progress hoặc done / state reported';
COMMENT ON COLUMN dti.task_report.evidence IS 'Minh chứng (số văn bản, đường dẫn) / evidence (document number, link)';
COMMENT ON COLUMN dti.task_report.note IS 'Ghi chú / note';
COMMENT ON COLUMN dti.task_report.topic IS 'Chủ đề Kafka / Kafka topic';
COMMENT ON COLUMN dti.task_report."partition" IS 'Phân vùng Kafka / Kafka partition';
COMMENT ON COLUMN dti.task_report."offset" IS 'Vị trí Kafka (thứ tự nhận) / Kafka offset (order received)';
COMMENT ON COLUMN dti.task_report.latest IS 'Là báo cáo mới nhất lúc nhận (báo cáo cũ đến sau không thay đổi tiến độ) / newest when received (an older report arriving later changes nothing)';
COMMENT ON COLUMN dti.task_report.written_at IS 'Thời điểm ghi / time written';

CREATE TABLE IF NOT EXISTS dti.task_state (
    task_code      text PRIMARY KEY,
    report_id      text,
    report_date    date,
    progress       double precision NOT NULL DEFAULT 0,
    state          text,
    evidence       text NOT NULL DEFAULT '',
    report_source  text NOT NULL DEFAULT '',
    report_offset  bigint,
    status         text NOT NULL,
    expected       double precision NOT NULL,
    days_left      integer NOT NULL,
    silent_days    integer NOT NULL,
    reason_vi      text NOT NULL,
    reason_en      text NOT NULL,
    lead_unit      text NOT NULL,
    evaluated_on   date NOT NULL,
    alert_settled  text,
    alert_pending  text,
    alerts_open    text[] NOT NULL DEFAULT '{}',
    reminded       boolean NOT NULL DEFAULT false,
    written_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE dti.task_state IS 'Trạng thái hiện tại của mỗi nhiệm vụ (worker cập nhật) / current state of each task (kept by the worker)';
COMMENT ON COLUMN dti.task_state.task_code IS 'Mã nhiệm vụ / task code';
COMMENT ON COLUMN dti.task_state.report_id IS 'Mã báo cáo mới nhất / id of the newest report';
COMMENT ON COLUMN dti.task_state.report_date IS 'Ngày của báo cáo mới nhất / day of the newest report';
COMMENT ON COLUMN dti.task_state.progress IS 'Tiến độ (%) / progress (%)';
COMMENT ON COLUMN dti.task_state.state IS 'Tình trạng báo cáo / state reported';
COMMENT ON COLUMN dti.task_state.evidence IS 'Minh chứng / evidence';
COMMENT ON COLUMN dti.task_state.report_source IS 'Nguồn báo cáo / source of the report';
COMMENT ON COLUMN dti.task_state.report_offset IS 'Vị trí Kafka của báo cáo (thứ tự nhận) / Kafka offset of the report (order received)';
COMMENT ON COLUMN dti.task_state.status IS 'Trạng thái: done, on_schedule, at_risk, overdue / status';
COMMENT ON COLUMN dti.task_state.expected IS 'Tiến độ kỳ vọng theo thời gian (%) / progress expected from the time elapsed (%)';
COMMENT ON COLUMN dti.task_state.days_left IS 'Số ngày đến hạn / days to the deadline';
COMMENT ON COLUMN dti.task_state.silent_days IS 'Số ngày không có báo cáo / days without a report';
COMMENT ON COLUMN dti.task_state.reason_vi IS 'Lý do tiếng Việt / why, in Vietnamese';
COMMENT ON COLUMN dti.task_state.reason_en IS 'Lý do tiếng Anh / why, in English';
COMMENT ON COLUMN dti.task_state.lead_unit IS 'Đơn vị chủ trì vào ngày đánh giá / lead unit on the day evaluated';
COMMENT ON COLUMN dti.task_state.evaluated_on IS 'Ngày đánh giá (giờ Việt Nam) / local day evaluated';
COMMENT ON COLUMN dti.task_state.alert_settled IS 'Trạng thái đã xác lập (độ trễ cảnh báo) / status settled by the hysteresis';
COMMENT ON COLUMN dti.task_state.alert_pending IS 'Trạng thái chờ xác nhận / status waiting for confirmation';
COMMENT ON COLUMN dti.task_state.alerts_open IS 'Cảnh báo đang mở / open alert kinds';
COMMENT ON COLUMN dti.task_state.reminded IS 'Đã nhắc hạn / reminder sent';
COMMENT ON COLUMN dti.task_state.written_at IS 'Thời điểm ghi / time written';

CREATE TABLE IF NOT EXISTS dti.task_alert (
    task_code  text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('at_risk', 'overdue', 'reminder')),
    action     text NOT NULL CHECK (action IN ('raised', 'resolved')),
    ts         timestamptz NOT NULL,
    status     text NOT NULL,
    message_vi text NOT NULL DEFAULT '',
    message_en text NOT NULL DEFAULT '',
    notify     text[] NOT NULL DEFAULT '{}',
    written_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (task_code, kind, ts, action)
);
COMMENT ON TABLE dti.task_alert IS 'Sự kiện cảnh báo nhiệm vụ: phát sinh và kết thúc / task alert events: raised and resolved';
COMMENT ON COLUMN dti.task_alert.task_code IS 'Mã nhiệm vụ / task code';
COMMENT ON COLUMN dti.task_alert.kind IS 'Loại: at_risk (nguy cơ chậm), overdue (quá hạn), reminder (nhắc hạn) / kind';
COMMENT ON COLUMN dti.task_alert.action IS 'raised (phát sinh) hoặc resolved (kết thúc) / raised or resolved';
COMMENT ON COLUMN dti.task_alert.ts IS 'Thời điểm sự kiện / event time';
COMMENT ON COLUMN dti.task_alert.status IS 'Trạng thái nhiệm vụ lúc đó / task status at the time';
COMMENT ON COLUMN dti.task_alert.message_vi IS 'Nội dung tiếng Việt / message in Vietnamese';
COMMENT ON COLUMN dti.task_alert.message_en IS 'Nội dung tiếng Anh / message in English';
COMMENT ON COLUMN dti.task_alert.notify IS 'Đơn vị cần thông báo: chủ trì trước, rồi phối hợp / units to notify: the lead unit first, then the co-leads';
COMMENT ON COLUMN dti.task_alert.written_at IS 'Thời điểm ghi / time written';
CREATE INDEX IF NOT EXISTS task_alert_ts_idx ON dti.task_alert (ts DESC);

CREATE TABLE IF NOT EXISTS dti.task_status (
    code     text PRIMARY KEY,
    label_vi text NOT NULL,
    label_en text NOT NULL,
    severity integer NOT NULL
);
COMMENT ON TABLE dti.task_status IS 'Trạng thái nhiệm vụ và nhãn / task statuses and their labels';
COMMENT ON COLUMN dti.task_status.code IS 'Mã trạng thái / status code';
COMMENT ON COLUMN dti.task_status.label_vi IS 'Nhãn tiếng Việt / label in Vietnamese';
COMMENT ON COLUMN dti.task_status.label_en IS 'Nhãn tiếng Anh / label in English';
COMMENT ON COLUMN dti.task_status.severity IS 'Mức nghiêm trọng, để sắp xếp / severity, for sorting';
INSERT INTO dti.task_status (code, label_vi, label_en, severity) VALUES
    ('done', 'Hoàn thành', 'Done', 0),
    ('on_schedule', 'Đúng tiến độ', 'On schedule', 1),
    ('at_risk', 'Có nguy cơ chậm', 'At risk', 2),
    ('overdue', 'Quá hạn', 'Overdue', 3)
ON CONFLICT (code) DO UPDATE SET label_vi = EXCLUDED.label_vi, label_en = EXCLUDED.label_en, severity = EXCLUDED.severity;

CREATE OR REPLACE VIEW dti.task_latest AS
SELECT t.period, t.code AS task_code, t.title_vi, t.title_en, t.pillar,
       coalesce(s.lead_unit, t.lead_unit) AS lead_unit, lu.name_vi AS lead_unit_name_vi, lu.name_en AS lead_unit_name_en,
       t.co_lead_units, t.deadline, t.deliverable, t.assumed,
       s.progress, s.state, s.report_date, s.evidence, s.report_source,
       s.status, st.label_vi AS status_vi, st.label_en AS status_en, st.severity,
       s.reason_vi, s.reason_en, s.expected, s.days_left, s.silent_days, s.evaluated_on, s.written_at AS evaluated_at,
       coalesce(s.status = 'done', false) AS done, coalesce(s.status = 'overdue', false) AS overdue
  FROM dti.task AS t
  LEFT JOIN dti.task_state AS s ON s.task_code = t.code
  LEFT JOIN dti.task_status AS st ON st.code = s.status
  LEFT JOIN dti.unit AS lu ON lu.code = coalesce(s.lead_unit, t.lead_unit);
COMMENT ON VIEW dti.task_latest IS
    'Mỗi nhiệm vụ với báo cáo mới nhất, trạng thái và lý do / each task with its newest report, status and why';
COMMENT ON COLUMN dti.task_latest.period IS 'Năm kế hoạch / plan year';
COMMENT ON COLUMN dti.task_latest.task_code IS 'Mã nhiệm vụ / task code';
COMMENT ON COLUMN dti.task_latest.title_vi IS 'Tên nhiệm vụ tiếng Việt / task title in Vietnamese';
COMMENT ON COLUMN dti.task_latest.title_en IS 'Tên nhiệm vụ tiếng Anh / task title in English';
COMMENT ON COLUMN dti.task_latest.pillar IS 'Trụ cột / pillar';
COMMENT ON COLUMN dti.task_latest.lead_unit IS 'Đơn vị chủ trì vào ngày đánh giá (theo đơn vị kế thừa) / lead unit on the day evaluated (follows successors)';
COMMENT ON COLUMN dti.task_latest.lead_unit_name_vi IS 'Tên đơn vị chủ trì tiếng Việt / lead unit name in Vietnamese';
COMMENT ON COLUMN dti.task_latest.lead_unit_name_en IS 'Tên đơn vị chủ trì tiếng Anh / lead unit name in English';
COMMENT ON COLUMN dti.task_latest.co_lead_units IS 'Đơn vị phối hợp / co-lead units';
COMMENT ON COLUMN dti.task_latest.deadline IS 'Hạn hoàn thành / deadline';
COMMENT ON COLUMN dti.task_latest.deliverable IS 'Sản phẩm đầu ra / expected deliverable';
COMMENT ON COLUMN dti.task_latest.assumed IS 'Dòng giả định / row assumed';
COMMENT ON COLUMN dti.task_latest.progress IS 'Tiến độ (%) theo báo cáo mới nhất / progress (%) of the newest report';
COMMENT ON COLUMN dti.task_latest.state IS 'Tình trạng báo cáo: not_started, in_progress, done / state reported';
COMMENT ON COLUMN dti.task_latest.report_date IS 'Ngày của báo cáo mới nhất / day of the newest report';
COMMENT ON COLUMN dti.task_latest.evidence IS 'Minh chứng / evidence';
COMMENT ON COLUMN dti.task_latest.report_source IS 'Nguồn báo cáo / source of the report';
COMMENT ON COLUMN dti.task_latest.status IS 'Trạng thái: done, on_schedule, at_risk, overdue (trống: chưa đánh giá) / status (empty: not evaluated yet)';
COMMENT ON COLUMN dti.task_latest.status_vi IS 'Nhãn trạng thái tiếng Việt / status label in Vietnamese';
COMMENT ON COLUMN dti.task_latest.status_en IS 'Nhãn trạng thái tiếng Anh / status label in English';
COMMENT ON COLUMN dti.task_latest.severity IS 'Mức nghiêm trọng (0 hoàn thành … 3 quá hạn), để sắp xếp / severity (0 done … 3 overdue), for sorting';
COMMENT ON COLUMN dti.task_latest.reason_vi IS 'Lý do tiếng Việt / why, in Vietnamese';
COMMENT ON COLUMN dti.task_latest.reason_en IS 'Lý do tiếng Anh / why, in English';
COMMENT ON COLUMN dti.task_latest.expected IS 'Tiến độ kỳ vọng theo thời gian đã qua (%) / progress expected from the time elapsed (%)';
COMMENT ON COLUMN dti.task_latest.days_left IS 'Số ngày đến hạn (âm: đã quá hạn) / days to the deadline (negative: past it)';
COMMENT ON COLUMN dti.task_latest.silent_days IS 'Số ngày không có báo cáo / days without a report';
COMMENT ON COLUMN dti.task_latest.evaluated_on IS 'Ngày đánh giá (giờ Việt Nam) / local day evaluated';
COMMENT ON COLUMN dti.task_latest.evaluated_at IS 'Thời điểm đánh giá / time evaluated';
COMMENT ON COLUMN dti.task_latest.done IS 'Đã hoàn thành (có minh chứng) / done (with evidence)';
COMMENT ON COLUMN dti.task_latest.overdue IS 'Quá hạn chưa hoàn thành / past its deadline and not done';

CREATE OR REPLACE VIEW dti.task_history AS
SELECT r.task_code, t.period, t.title_vi, t.title_en, r.report_date, r.progress, r.state, r.evidence, r.note,
       r.source, r.report_id, r.latest, r.written_at AS received_at
  FROM dti.task_report AS r
  LEFT JOIN dti.task AS t ON t.code = r.task_code;
COMMENT ON VIEW dti.task_history IS 'Mọi báo cáo tiến độ đã nhận / every progress report received';
COMMENT ON COLUMN dti.task_history.task_code IS 'Mã nhiệm vụ / task code';
COMMENT ON COLUMN dti.task_history.period IS 'Năm kế hoạch / plan year';
COMMENT ON COLUMN dti.task_history.title_vi IS 'Tên nhiệm vụ tiếng Việt / task title in Vietnamese';
COMMENT ON COLUMN dti.task_history.title_en IS 'Tên nhiệm vụ tiếng Anh / task title in English';
COMMENT ON COLUMN dti.task_history.report_date IS 'Ngày báo cáo / day reported for';
COMMENT ON COLUMN dti.task_history.progress IS 'Tiến độ (%) / progress (%)';
COMMENT ON COLUMN dti.task_history.state IS 'not_started, in_progress hoặc done / state reported';
COMMENT ON COLUMN dti.task_history.evidence IS 'Minh chứng / evidence';
COMMENT ON COLUMN dti.task_history.note IS 'Ghi chú / note';
COMMENT ON COLUMN dti.task_history.source IS 'Nguồn gửi / source';
COMMENT ON COLUMN dti.task_history.report_id IS 'Mã báo cáo / report id';
COMMENT ON COLUMN dti.task_history.latest IS 'Là báo cáo mới nhất lúc nhận / newest when received';
COMMENT ON COLUMN dti.task_history.received_at IS 'Thời điểm nhận / time received';

CREATE OR REPLACE VIEW dti.task_alerts_open AS
SELECT a.task_code, a.kind, a.ts, a.status, st.label_vi AS status_vi, st.label_en AS status_en,
       a.message_vi, a.message_en, a.notify, t.title_vi, t.title_en, t.period, t.deadline
  FROM (SELECT DISTINCT ON (task_code, kind) task_code, kind, action, ts, status, message_vi, message_en, notify
          FROM dti.task_alert
         ORDER BY task_code, kind, ts DESC, action DESC) AS a
  LEFT JOIN dti.task_status AS st ON st.code = a.status
  LEFT JOIN dti.task AS t ON t.code = a.task_code
 WHERE a.action = 'raised';
COMMENT ON VIEW dti.task_alerts_open IS 'Cảnh báo nhiệm vụ đang mở / task alerts raised and not yet resolved';
COMMENT ON COLUMN dti.task_alerts_open.task_code IS 'Mã nhiệm vụ / task code';
COMMENT ON COLUMN dti.task_alerts_open.kind IS 'Loại: at_risk (nguy cơ chậm), overdue (quá hạn), reminder (nhắc hạn) / kind';
COMMENT ON COLUMN dti.task_alerts_open.ts IS 'Thời điểm phát sinh / time raised';
COMMENT ON COLUMN dti.task_alerts_open.status IS 'Trạng thái nhiệm vụ khi phát sinh / task status when raised';
COMMENT ON COLUMN dti.task_alerts_open.status_vi IS 'Nhãn trạng thái tiếng Việt / status label in Vietnamese';
COMMENT ON COLUMN dti.task_alerts_open.status_en IS 'Nhãn trạng thái tiếng Anh / status label in English';
COMMENT ON COLUMN dti.task_alerts_open.message_vi IS 'Nội dung tiếng Việt / message in Vietnamese';
COMMENT ON COLUMN dti.task_alerts_open.message_en IS 'Nội dung tiếng Anh / message in English';
COMMENT ON COLUMN dti.task_alerts_open.notify IS 'Đơn vị cần thông báo: chủ trì trước, rồi phối hợp / units to notify: the lead unit first, then the co-leads';
COMMENT ON COLUMN dti.task_alerts_open.title_vi IS 'Tên nhiệm vụ tiếng Việt / task title in Vietnamese';
COMMENT ON COLUMN dti.task_alerts_open.title_en IS 'Tên nhiệm vụ tiếng Anh / task title in English';
COMMENT ON COLUMN dti.task_alerts_open.period IS 'Năm kế hoạch / plan year';
COMMENT ON COLUMN dti.task_alerts_open.deadline IS 'Hạn hoàn thành / deadline';

CREATE OR REPLACE VIEW dti.alert_feed AS
SELECT a.ts, a.action, 'indicator' AS subject, a.indicator_code AS code, a.unit_code, a.kind, a.status,
       st.label_vi AS status_vi, st.label_en AS status_en, a.message_vi, a.message_en, a.notify
  FROM dti.alert AS a
  LEFT JOIN dti.status AS st ON st.code = a.status
UNION ALL
SELECT a.ts, a.action, 'task', a.task_code, t.lead_unit, a.kind, a.status,
       st.label_vi, st.label_en, a.message_vi, a.message_en, a.notify
  FROM dti.task_alert AS a
  LEFT JOIN dti.task AS t ON t.code = a.task_code
  LEFT JOIN dti.task_status AS st ON st.code = a.status;
COMMENT ON VIEW dti.alert_feed IS 'Mọi sự kiện cảnh báo (chỉ tiêu và nhiệm vụ), phát sinh và kết thúc; đọc theo ts giảm dần / every alert event (indicators and tasks), raised and resolved; read by ts descending';
COMMENT ON COLUMN dti.alert_feed.ts IS 'Thời điểm sự kiện / event time';
COMMENT ON COLUMN dti.alert_feed.action IS 'raised (phát sinh) hoặc resolved (kết thúc) / raised or resolved';
COMMENT ON COLUMN dti.alert_feed.subject IS 'indicator (chỉ tiêu) hoặc task (nhiệm vụ) / what the alert is about';
COMMENT ON COLUMN dti.alert_feed.code IS 'Mã chỉ tiêu hoặc nhiệm vụ / indicator or task code';
COMMENT ON COLUMN dti.alert_feed.unit_code IS 'Đơn vị (của chỉ tiêu; chủ trì theo kế hoạch với nhiệm vụ) / unit (of the indicator; the planned lead unit of a task)';
COMMENT ON COLUMN dti.alert_feed.kind IS 'Loại cảnh báo / alert kind';
COMMENT ON COLUMN dti.alert_feed.status IS 'Trạng thái lúc đó / status at the time';
COMMENT ON COLUMN dti.alert_feed.status_vi IS 'Nhãn trạng thái tiếng Việt / status label in Vietnamese';
COMMENT ON COLUMN dti.alert_feed.status_en IS 'Nhãn trạng thái tiếng Anh / status label in English';
COMMENT ON COLUMN dti.alert_feed.message_vi IS 'Nội dung tiếng Việt / message in Vietnamese';
COMMENT ON COLUMN dti.alert_feed.message_en IS 'Nội dung tiếng Anh / message in English';
COMMENT ON COLUMN dti.alert_feed.notify IS 'Đơn vị cần thông báo / units to notify';

CREATE INDEX IF NOT EXISTS alert_ts_idx ON dti.alert (ts DESC);

GRANT SELECT ON dti.task_latest, dti.task_history, dti.task_alerts_open, dti.alert_feed
    TO grafana_reader;
GRANT SELECT ON dti.task, dti.task_status, dti.task_report, dti.task_state, dti.task_alert TO qndti_writer;
GRANT INSERT, UPDATE ON dti.task_report, dti.task_state, dti.task_alert TO qndti_writer;
