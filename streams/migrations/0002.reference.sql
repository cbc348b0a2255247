-- depends: 0001.core
-- Reference tables loaded from the catalog by `qndti db migrate` (streams.reference.load_reference): units,
-- metrics, pillars, peer groups, indicators, targets, weights, completions, and the fixed list of status codes.

CREATE TABLE IF NOT EXISTS dti.unit (
    code        text PRIMARY KEY,
    name_vi     text NOT NULL,
    name_en     text NOT NULL,
    kind        text NOT NULL,
    parent_code text,
    peer_group  text NOT NULL,
    valid_from  date NOT NULL,
    valid_to    date
);
COMMENT ON TABLE dti.unit IS 'Đơn vị được đánh giá, có thời hạn hiệu lực / assessed units with validity dates';
COMMENT ON COLUMN dti.unit.code IS 'Mã đơn vị / unit code (e.g. QN, HALONG)';
COMMENT ON COLUMN dti.unit.name_vi IS 'Tên tiếng Việt / Vietnamese name';
COMMENT ON COLUMN dti.unit.name_en IS 'Tên tiếng Anh / English name';
COMMENT ON COLUMN dti.unit.kind IS 'Loại đơn vị (tỉnh, thành phố, huyện, sở…) / kind of unit';
COMMENT ON COLUMN dti.unit.parent_code IS 'Mã đơn vị cấp trên / parent unit code';
COMMENT ON COLUMN dti.unit.peer_group IS 'Nhóm xếp hạng / peer group the unit is ranked in';
COMMENT ON COLUMN dti.unit.valid_from IS 'Ngày bắt đầu hiệu lực / first day the unit exists';
COMMENT ON COLUMN dti.unit.valid_to IS 'Ngày hết hiệu lực (trống: còn hiệu lực) / last day the unit exists (empty: still exists)';

CREATE TABLE IF NOT EXISTS dti.metric (
    code            text PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('delta', 'cumulative', 'gauge')),
    unit_of_measure text NOT NULL,
    description_vi  text NOT NULL,
    description_en  text NOT NULL
);
COMMENT ON TABLE dti.metric IS 'Số liệu gốc mà bộ kết nối thu thập / metrics that connectors observe';
COMMENT ON COLUMN dti.metric.code IS 'Mã số liệu / metric code (e.g. dossier.processed)';
COMMENT ON COLUMN dti.metric.kind IS 'Loại quan sát: delta, cumulative, gauge / observation kind';
COMMENT ON COLUMN dti.metric.unit_of_measure IS 'Đơn vị đo / unit of measure';
COMMENT ON COLUMN dti.metric.description_vi IS 'Mô tả tiếng Việt / Vietnamese description';
COMMENT ON COLUMN dti.metric.description_en IS 'Mô tả tiếng Anh / English description';

CREATE TABLE IF NOT EXISTS dti.pillar (
    code    text PRIMARY KEY,
    name_vi text NOT NULL,
    name_en text NOT NULL,
    weight  double precision
);
COMMENT ON TABLE dti.pillar IS 'Trụ cột của chỉ số (CQS, KTS, XHS, NT) / pillars of the index';
COMMENT ON COLUMN dti.pillar.code IS 'Mã trụ cột / pillar code';
COMMENT ON COLUMN dti.pillar.name_vi IS 'Tên tiếng Việt / Vietnamese name';
COMMENT ON COLUMN dti.pillar.name_en IS 'Tên tiếng Anh / English name';
COMMENT ON COLUMN dti.pillar.weight IS 'Trọng số trong chỉ số đơn vị / weight in the unit index';

CREATE TABLE IF NOT EXISTS dti.peer_group (
    code    text PRIMARY KEY,
    name_vi text NOT NULL,
    name_en text NOT NULL,
    ranked  boolean NOT NULL
);
COMMENT ON TABLE dti.peer_group IS 'Nhóm đơn vị xếp hạng với nhau / groups of units ranked against each other';
COMMENT ON COLUMN dti.peer_group.code IS 'Mã nhóm / peer group code';
COMMENT ON COLUMN dti.peer_group.name_vi IS 'Tên tiếng Việt / Vietnamese name';
COMMENT ON COLUMN dti.peer_group.name_en IS 'Tên tiếng Anh / English name';
COMMENT ON COLUMN dti.peer_group.ranked IS 'Có xếp hạng không / whether its units are ranked';

CREATE TABLE IF NOT EXISTS dti.indicator (
    code               text PRIMARY KEY,
    pillar             text NOT NULL,
    name_vi            text NOT NULL,
    name_en            text NOT NULL,
    numerator_metric   text NOT NULL,
    denominator_metric text,
    scale              double precision NOT NULL,
    direction          text NOT NULL CHECK (direction IN ('up', 'down')),
    aggregation        text NOT NULL,
    cadence_hours      double precision NOT NULL,
    lead_unit          text NOT NULL,
    co_lead_units      text[] NOT NULL DEFAULT '{}',
    source_system      text NOT NULL,
    value_unit         text NOT NULL DEFAULT '',
    weight             double precision NOT NULL DEFAULT 1,
    assumed            boolean NOT NULL
);
COMMENT ON TABLE dti.indicator IS 'Danh mục chỉ tiêu / indicator catalog';
COMMENT ON COLUMN dti.indicator.code IS 'Mã chỉ tiêu / indicator code (e.g. CQS-04)';
COMMENT ON COLUMN dti.indicator.pillar IS 'Trụ cột / pillar code';
COMMENT ON COLUMN dti.indicator.name_vi IS 'Tên tiếng Việt / Vietnamese name';
COMMENT ON COLUMN dti.indicator.name_en IS 'Tên tiếng Anh / English name';
COMMENT ON COLUMN dti.indicator.numerator_metric IS 'Số liệu tử số / numerator metric';
COMMENT ON COLUMN dti.indicator.denominator_metric IS 'Số liệu mẫu số (trống: chỉ một số liệu) / denominator metric (empty: one metric alone)';
COMMENT ON COLUMN dti.indicator.scale IS 'Hệ số nhân (100 cho %) / scale factor (100 for a percentage)';
COMMENT ON COLUMN dti.indicator.direction IS 'Chiều tốt: up (càng cao càng tốt) hoặc down / better direction';
COMMENT ON COLUMN dti.indicator.aggregation IS 'Cách gộp theo thời gian: ytd (lũy kế năm) hoặc latest / aggregation over time';
COMMENT ON COLUMN dti.indicator.cadence_hours IS 'Chu kỳ cập nhật dự kiến (giờ) / expected update cadence in hours';
COMMENT ON COLUMN dti.indicator.lead_unit IS 'Đơn vị chủ trì / lead unit code';
COMMENT ON COLUMN dti.indicator.co_lead_units IS 'Đơn vị phối hợp chủ trì / co-lead unit codes';
COMMENT ON COLUMN dti.indicator.source_system IS 'Hệ thống nguồn / source system';
COMMENT ON COLUMN dti.indicator.value_unit IS 'Đơn vị của giá trị (%, điểm…) / unit of the value';
COMMENT ON COLUMN dti.indicator.weight IS 'Trọng số trong trụ cột / weight within its pillar';
COMMENT ON COLUMN dti.indicator.assumed IS 'Chỉ tiêu giả định (chưa có nguồn chính thức) / assumed row (no official source)';

CREATE TABLE IF NOT EXISTS dti.target (
    indicator_code   text NOT NULL REFERENCES dti.indicator (code),
    unit_code        text NOT NULL REFERENCES dti.unit (code),
    period           integer NOT NULL,
    baseline         double precision NOT NULL,
    target           double precision NOT NULL,
    tolerance        double precision NOT NULL,
    baseline_assumed boolean NOT NULL,
    target_assumed   boolean NOT NULL,
    note             text NOT NULL DEFAULT '',
    PRIMARY KEY (indicator_code, unit_code, period)
);
COMMENT ON TABLE dti.target IS 'Kế hoạch: giá trị nền và mục tiêu theo chỉ tiêu, đơn vị, năm / plan: baseline and target per indicator, unit and year';
COMMENT ON COLUMN dti.target.indicator_code IS 'Mã chỉ tiêu / indicator code';
COMMENT ON COLUMN dti.target.unit_code IS 'Mã đơn vị / unit code';
COMMENT ON COLUMN dti.target.period IS 'Năm kế hoạch / plan year';
COMMENT ON COLUMN dti.target.baseline IS 'Giá trị nền B (31/12 năm trước) / baseline B (value on 31 Dec of the previous year)';
COMMENT ON COLUMN dti.target.target IS 'Mục tiêu T / target T';
COMMENT ON COLUMN dti.target.tolerance IS 'Ngưỡng hụt so với giá trị kỳ vọng để cảnh báo / shortfall against E that raises an alert';
COMMENT ON COLUMN dti.target.baseline_assumed IS 'Giá trị nền giả định / baseline is assumed';
COMMENT ON COLUMN dti.target.target_assumed IS 'Mục tiêu giả định / target is assumed';
COMMENT ON COLUMN dti.target.note IS 'Ghi chú / note';

CREATE TABLE IF NOT EXISTS dti.weight (
    level  text NOT NULL CHECK (level IN ('pillar', 'indicator')),
    code   text NOT NULL,
    weight double precision NOT NULL,
    PRIMARY KEY (level, code)
);
COMMENT ON TABLE dti.weight IS 'Trọng số của trụ cột và chỉ tiêu / weights of pillars and indicators';
COMMENT ON COLUMN dti.weight.level IS 'Cấp: pillar (trụ cột) hoặc indicator (chỉ tiêu) / level';
COMMENT ON COLUMN dti.weight.code IS 'Mã trụ cột hoặc chỉ tiêu / pillar or indicator code';
COMMENT ON COLUMN dti.weight.weight IS 'Trọng số / weight';

CREATE TABLE IF NOT EXISTS dti.completion (
    indicator_code text NOT NULL REFERENCES dti.indicator (code),
    unit_code      text NOT NULL REFERENCES dti.unit (code),
    period         integer NOT NULL,
    confirmed_on   date NOT NULL,
    reference      text NOT NULL,
    note           text NOT NULL DEFAULT '',
    PRIMARY KEY (indicator_code, unit_code, period)
);
COMMENT ON TABLE dti.completion IS 'Xác nhận hoàn thành của đơn vị chủ trì / lead unit''s confirmation that an indicator is completed';
COMMENT ON COLUMN dti.completion.indicator_code IS 'Mã chỉ tiêu / indicator code';
COMMENT ON COLUMN dti.completion.unit_code IS 'Mã đơn vị / unit code';
COMMENT ON COLUMN dti.completion.period IS 'Năm kế hoạch / plan year';
COMMENT ON COLUMN dti.completion.confirmed_on IS 'Ngày xác nhận / date confirmed';
COMMENT ON COLUMN dti.completion.reference IS 'Văn bản xác nhận / reference document';
COMMENT ON COLUMN dti.completion.note IS 'Ghi chú / note';

CREATE TABLE IF NOT EXISTS dti.status (
    code     text PRIMARY KEY,
    label_vi text NOT NULL,
    label_en text NOT NULL,
    severity integer NOT NULL
);
COMMENT ON TABLE dti.status IS 'Mã trạng thái chỉ tiêu và nhãn hiển thị / indicator status codes and their labels';
COMMENT ON COLUMN dti.status.code IS 'Mã trạng thái / status code';
COMMENT ON COLUMN dti.status.label_vi IS 'Nhãn tiếng Việt / Vietnamese label';
COMMENT ON COLUMN dti.status.label_en IS 'Nhãn tiếng Anh / English label';
COMMENT ON COLUMN dti.status.severity IS 'Mức nghiêm trọng (0 đạt hoặc trung tính … 4 suy giảm) / severity (0 met or neutral … 4 deteriorating)';
INSERT INTO dti.status (code, label_vi, label_en, severity) VALUES
    ('achieved', 'Đạt', 'Achieved', 0),
    ('completed', 'Hoàn thành', 'Completed', 0),
    ('on_track', 'Đúng tiến độ', 'On track', 1),
    ('at_risk', 'Có nguy cơ', 'At risk', 2),
    ('off_track', 'Chậm tiến độ', 'Off track', 3),
    ('deteriorating', 'Suy giảm', 'Deteriorating', 4),
    ('stale', 'Thiếu dữ liệu', 'Stale', 0),
    ('no_target', 'Chưa có chỉ tiêu', 'No target', 0)
ON CONFLICT (code) DO NOTHING;
