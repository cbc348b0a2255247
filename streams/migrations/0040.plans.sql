-- depends: 0030.current
-- Plans by year and the map with its successions (catalog `plans/<year>/`, `successions.csv`), loaded by
-- streams.reference.load_reference. The lead unit of an indicator depends on the day: the plan of the day's
-- year names it and it follows its successor when it ends (Sở TT&TT's indicators are led by Sở KH&CN from
-- 2025-03-01). dti.lead_assignment holds those spans, worked out from the catalog; the views take the lead unit
-- of the row's local day from it, and expose each unit's validity so that dashboards list the map of their time.
-- CREATE OR REPLACE keeps every existing column, its comment and its grants and appends new ones at the end.

ALTER TABLE dti.unit ADD COLUMN IF NOT EXISTS confidence text NOT NULL DEFAULT '';
ALTER TABLE dti.unit ADD COLUMN IF NOT EXISTS note text NOT NULL DEFAULT '';
COMMENT ON COLUMN dti.unit.confidence IS 'Độ tin cậy của nguồn (resolution-excerpt, news-source, checked-list, names-only, unverified) / how sure the source is';
COMMENT ON COLUMN dti.unit.note IS 'Ghi chú nguồn gốc đơn vị / where the unit comes from';

CREATE TABLE IF NOT EXISTS dti.plan (
    period    integer PRIMARY KEY,
    name_vi   text NOT NULL,
    name_en   text NOT NULL,
    reference text NOT NULL DEFAULT '',
    issued_on date,
    assumed   boolean NOT NULL,
    note      text NOT NULL DEFAULT ''
);
COMMENT ON TABLE dti.plan IS 'Kế hoạch chuyển đổi số theo năm / the digital-transformation plan of each year';
COMMENT ON COLUMN dti.plan.period IS 'Năm kế hoạch / plan year';
COMMENT ON COLUMN dti.plan.name_vi IS 'Tên kế hoạch tiếng Việt / plan name in Vietnamese';
COMMENT ON COLUMN dti.plan.name_en IS 'Tên kế hoạch tiếng Anh / plan name in English';
COMMENT ON COLUMN dti.plan.reference IS 'Số hiệu văn bản (trống: chưa tìm thấy) / plan document (empty: not found)';
COMMENT ON COLUMN dti.plan.issued_on IS 'Ngày ban hành / date issued';
COMMENT ON COLUMN dti.plan.assumed IS 'Chỉ tiêu và mục tiêu giả định hoặc kế thừa / indicators and targets assumed or carried forward';
COMMENT ON COLUMN dti.plan.note IS 'Ghi chú / note';

CREATE TABLE IF NOT EXISTS dti.plan_indicator (
    period         integer NOT NULL REFERENCES dti.plan (period) ON DELETE CASCADE,
    indicator_code text NOT NULL REFERENCES dti.indicator (code),
    lead_unit      text NOT NULL,
    co_lead_units  text[] NOT NULL DEFAULT '{}',
    note           text NOT NULL DEFAULT '',
    PRIMARY KEY (period, indicator_code)
);
COMMENT ON TABLE dti.plan_indicator IS 'Chỉ tiêu của kế hoạch năm và đơn vị chủ trì được giao / indicators of a plan year and their lead units';
COMMENT ON COLUMN dti.plan_indicator.period IS 'Năm kế hoạch / plan year';
COMMENT ON COLUMN dti.plan_indicator.indicator_code IS 'Mã chỉ tiêu / indicator code';
COMMENT ON COLUMN dti.plan_indicator.lead_unit IS 'Đơn vị chủ trì theo kế hoạch / lead unit as the plan names it';
COMMENT ON COLUMN dti.plan_indicator.co_lead_units IS 'Đơn vị phối hợp / co-lead units';
COMMENT ON COLUMN dti.plan_indicator.note IS 'Ghi chú / note';

CREATE TABLE IF NOT EXISTS dti.unit_succession (
    unit_code        text NOT NULL REFERENCES dti.unit (code),
    predecessor_code text NOT NULL REFERENCES dti.unit (code),
    share            text NOT NULL CHECK (share IN ('whole', 'part')),
    takes_over       boolean NOT NULL,
    confidence       text NOT NULL DEFAULT '',
    note             text NOT NULL DEFAULT '',
    PRIMARY KEY (unit_code, predecessor_code)
);
COMMENT ON TABLE dti.unit_succession IS 'Đơn vị kế thừa (toàn bộ hoặc một phần) đơn vị cũ / units formed from (the whole or a part of) earlier units';
COMMENT ON COLUMN dti.unit_succession.unit_code IS 'Đơn vị mới / successor unit';
COMMENT ON COLUMN dti.unit_succession.predecessor_code IS 'Đơn vị cũ / predecessor unit';
COMMENT ON COLUMN dti.unit_succession.share IS 'whole (toàn bộ) hoặc part (một phần) / whole or part of the predecessor';
COMMENT ON COLUMN dti.unit_succession.takes_over IS 'Đơn vị tiếp nhận nhiệm vụ (chủ trì chỉ tiêu) / takes over the predecessor''s roles';
COMMENT ON COLUMN dti.unit_succession.confidence IS 'Độ tin cậy của nguồn / how sure the source is';
COMMENT ON COLUMN dti.unit_succession.note IS 'Ghi chú / note';

CREATE TABLE IF NOT EXISTS dti.lead_assignment (
    indicator_code text NOT NULL REFERENCES dti.indicator (code),
    valid_from     date NOT NULL,
    valid_to       date NOT NULL,
    lead_unit      text NOT NULL,
    PRIMARY KEY (indicator_code, valid_from)
);
COMMENT ON TABLE dti.lead_assignment IS 'Đơn vị chủ trì chỉ tiêu theo ngày (theo kế hoạch năm và đơn vị kế thừa) / lead unit of an indicator by day (the year''s plan, followed to its successor)';
COMMENT ON COLUMN dti.lead_assignment.indicator_code IS 'Mã chỉ tiêu / indicator code';
COMMENT ON COLUMN dti.lead_assignment.valid_from IS 'Từ ngày (giờ địa phương) / first local day';
COMMENT ON COLUMN dti.lead_assignment.valid_to IS 'Đến ngày (giờ địa phương) / last local day';
COMMENT ON COLUMN dti.lead_assignment.lead_unit IS 'Đơn vị chủ trì / lead unit code';

CREATE OR REPLACE VIEW dti.unit_map AS
SELECT code AS unit_code, name_vi AS unit_name_vi, name_en AS unit_name_en, kind, parent_code, peer_group,
       valid_from, valid_to, confidence
  FROM dti.unit;
COMMENT ON VIEW dti.unit_map IS 'Bản đồ đơn vị với thời hạn hiệu lực / the map of units with their validity';
COMMENT ON COLUMN dti.unit_map.unit_code IS 'Mã đơn vị / unit code';
COMMENT ON COLUMN dti.unit_map.unit_name_vi IS 'Tên đơn vị tiếng Việt / unit name in Vietnamese';
COMMENT ON COLUMN dti.unit_map.unit_name_en IS 'Tên đơn vị tiếng Anh / unit name in English';
COMMENT ON COLUMN dti.unit_map.kind IS 'Loại đơn vị / kind of unit';
COMMENT ON COLUMN dti.unit_map.parent_code IS 'Mã đơn vị cấp trên / parent unit code';
COMMENT ON COLUMN dti.unit_map.peer_group IS 'Nhóm xếp hạng / peer group';
COMMENT ON COLUMN dti.unit_map.valid_from IS 'Ngày bắt đầu hiệu lực (giờ địa phương) / first local day the unit exists';
COMMENT ON COLUMN dti.unit_map.valid_to IS 'Ngày hết hiệu lực (trống: còn hiệu lực) / last local day (empty: still exists)';
COMMENT ON COLUMN dti.unit_map.confidence IS 'Độ tin cậy của nguồn / how sure the source is';

CREATE OR REPLACE VIEW dti.indicator_latest AS
SELECT v.indicator_code, v.unit_code, v.ts, v.value, v.numerator, v.denominator,
       coalesce(s.target, t.target) AS target, s.expected, s.projected, s.status, s.score,
       v.period, v.bucket,
       coalesce(s.baseline, t.baseline) AS baseline, s.attainment, s.progress, s.fresh, s.ts AS evaluated_at,
       st.label_vi AS status_vi, st.label_en AS status_en,
       i.pillar, i.name_vi AS indicator_name_vi, i.name_en AS indicator_name_en, i.value_unit,
       u.name_vi AS unit_name_vi, u.name_en AS unit_name_en,
       coalesce(la.lead_unit, i.lead_unit) AS lead_unit, lu.name_vi AS lead_unit_name_vi,
       lu.name_en AS lead_unit_name_en,
       u.valid_from AS unit_valid_from, u.valid_to AS unit_valid_to, u.peer_group AS unit_peer_group
  FROM dti.indicator_value_current AS v
  LEFT JOIN dti.indicator_status_current AS s
         ON s.indicator_code = v.indicator_code AND s.unit_code = v.unit_code AND s.period = v.period
  LEFT JOIN dti.target AS t
         ON t.indicator_code = v.indicator_code AND t.unit_code = v.unit_code AND t.period = v.period
  LEFT JOIN dti.status AS st ON st.code = s.status
  LEFT JOIN dti.indicator AS i ON i.code = v.indicator_code
  LEFT JOIN dti.unit AS u ON u.code = v.unit_code
  LEFT JOIN dti.lead_assignment AS la
         ON la.indicator_code = v.indicator_code
        AND (v.ts AT TIME ZONE 'Asia/Ho_Chi_Minh')::date BETWEEN la.valid_from AND la.valid_to
  LEFT JOIN dti.unit AS lu ON lu.code = coalesce(la.lead_unit, i.lead_unit);
COMMENT ON COLUMN dti.indicator_latest.lead_unit IS 'Mã đơn vị chủ trì chỉ tiêu vào ngày của giá trị / lead unit code of the indicator on the value''s local day';
COMMENT ON COLUMN dti.indicator_latest.unit_valid_from IS 'Ngày bắt đầu hiệu lực của đơn vị / first day the unit exists';
COMMENT ON COLUMN dti.indicator_latest.unit_valid_to IS 'Ngày hết hiệu lực của đơn vị (trống: còn hiệu lực) / last day the unit exists (empty: still exists)';
COMMENT ON COLUMN dti.indicator_latest.unit_peer_group IS 'Nhóm xếp hạng của đơn vị / the unit''s peer group';

CREATE OR REPLACE VIEW dti.alerts_open AS
SELECT a.indicator_code, a.unit_code, a.kind, a.ts, a.status, st.label_vi AS status_vi, st.label_en AS status_en,
       a.message_vi, a.message_en, a.notify, coalesce(la.lead_unit, i.lead_unit) AS lead_unit,
       i.name_vi AS indicator_name_vi, i.name_en AS indicator_name_en,
       u.name_vi AS unit_name_vi, u.name_en AS unit_name_en
  FROM dti.alert_current AS a
  LEFT JOIN dti.status AS st ON st.code = a.status
  LEFT JOIN dti.indicator AS i ON i.code = a.indicator_code
  LEFT JOIN dti.unit AS u ON u.code = a.unit_code
  LEFT JOIN dti.lead_assignment AS la
         ON la.indicator_code = a.indicator_code
        AND (a.ts AT TIME ZONE 'Asia/Ho_Chi_Minh')::date BETWEEN la.valid_from AND la.valid_to
 WHERE a.action = 'raised';
COMMENT ON COLUMN dti.alerts_open.lead_unit IS 'Đơn vị chủ trì chỉ tiêu vào ngày phát sinh / lead unit of the indicator on the day raised';

GRANT SELECT ON dti.unit_map TO grafana_reader;
