-- depends: 0002.reference
-- Time-series tables. Every unique key includes the table's time column (`bucket`, or `ts` for events), as
-- TimescaleDB requires of hypertables; 0004.flavour turns them into hypertables where the extension exists.

CREATE TABLE IF NOT EXISTS dti.observation (
    id          text NOT NULL,
    source      text NOT NULL,
    metric_code text NOT NULL,
    unit_code   text NOT NULL,
    ts          timestamptz NOT NULL,
    kind        text NOT NULL,
    value       double precision NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, ts)
);
COMMENT ON TABLE dti.observation IS 'Quan sát gốc từ hệ thống nguồn (Observation v1) / raw observations from source systems';
COMMENT ON COLUMN dti.observation.id IS 'Mã quan sát, duy nhất / observation id, unique (repeats are ignored)';
COMMENT ON COLUMN dti.observation.source IS 'Hệ thống nguồn / source system';
COMMENT ON COLUMN dti.observation.metric_code IS 'Mã số liệu / metric code';
COMMENT ON COLUMN dti.observation.unit_code IS 'Mã đơn vị / unit code';
COMMENT ON COLUMN dti.observation.ts IS 'Thời điểm quan sát / observation time';
COMMENT ON COLUMN dti.observation.kind IS 'Loại: delta, cumulative, gauge / kind';
COMMENT ON COLUMN dti.observation.value IS 'Giá trị / value';
COMMENT ON COLUMN dti.observation.received_at IS 'Thời điểm ghi vào CSDL / time written to the database';
CREATE INDEX IF NOT EXISTS observation_metric_unit_idx ON dti.observation (metric_code, unit_code, ts DESC);

CREATE TABLE IF NOT EXISTS dti.metric_value (
    metric_code text NOT NULL,
    unit_code   text NOT NULL,
    bucket      timestamptz NOT NULL,
    period      integer NOT NULL,
    ts          timestamptz NOT NULL,
    value       double precision,
    version     bigint NOT NULL,
    written_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (metric_code, unit_code, bucket)
);
COMMENT ON TABLE dti.metric_value IS 'Giá trị số liệu theo đơn vị (lũy kế năm hoặc mới nhất), mỗi khung thời gian một dòng / metric values per unit (year to date or latest), one row per time bucket';
COMMENT ON COLUMN dti.metric_value.metric_code IS 'Mã số liệu / metric code';
COMMENT ON COLUMN dti.metric_value.unit_code IS 'Mã đơn vị / unit code';
COMMENT ON COLUMN dti.metric_value.bucket IS 'Đầu khung thời gian / start of the time bucket';
COMMENT ON COLUMN dti.metric_value.period IS 'Kỳ kế hoạch (năm, giờ Việt Nam) / plan period (local year)';
COMMENT ON COLUMN dti.metric_value.ts IS 'Thời điểm quan sát mới nhất / newest observation time behind the value';
COMMENT ON COLUMN dti.metric_value.value IS 'Giá trị / value';
COMMENT ON COLUMN dti.metric_value.version IS 'Phiên bản trạng thái đơn vị / unit state version (newer wins)';
COMMENT ON COLUMN dti.metric_value.written_at IS 'Thời điểm ghi / time the row was written';

CREATE TABLE IF NOT EXISTS dti.indicator_status (
    indicator_code text NOT NULL,
    unit_code      text NOT NULL,
    bucket         timestamptz NOT NULL,
    period         integer NOT NULL,
    ts             timestamptz NOT NULL,
    status         text NOT NULL,
    score          double precision,
    attainment     double precision,
    baseline       double precision,
    target         double precision,
    expected       double precision,
    projected      double precision,
    progress       double precision,
    shortfall      double precision,
    fresh          boolean NOT NULL,
    version        bigint NOT NULL,
    written_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (indicator_code, unit_code, bucket)
);
COMMENT ON TABLE dti.indicator_status IS 'Lịch sử điểm, quỹ đạo và trạng thái chỉ tiêu theo đơn vị / history of indicator scores, trajectory and status per unit';
COMMENT ON COLUMN dti.indicator_status.indicator_code IS 'Mã chỉ tiêu / indicator code';
COMMENT ON COLUMN dti.indicator_status.unit_code IS 'Mã đơn vị / unit code';
COMMENT ON COLUMN dti.indicator_status.bucket IS 'Đầu khung thời gian / start of the time bucket';
COMMENT ON COLUMN dti.indicator_status.period IS 'Kỳ kế hoạch (năm) / plan period (local year)';
COMMENT ON COLUMN dti.indicator_status.ts IS 'Thời điểm đánh giá / evaluation time';
COMMENT ON COLUMN dti.indicator_status.status IS 'Trạng thái (xem dti.status) / status code (see dti.status)';
COMMENT ON COLUMN dti.indicator_status.score IS 'Điểm chỉ tiêu 0–1 / indicator score 0–1';
COMMENT ON COLUMN dti.indicator_status.attainment IS 'Tỷ lệ đạt kế hoạch x/T / plan attainment x/T';
COMMENT ON COLUMN dti.indicator_status.baseline IS 'Giá trị nền B / baseline B';
COMMENT ON COLUMN dti.indicator_status.target IS 'Mục tiêu T / target T';
COMMENT ON COLUMN dti.indicator_status.expected IS 'Giá trị kỳ vọng theo tiến độ E / expected value now E';
COMMENT ON COLUMN dti.indicator_status.projected IS 'Giá trị dự báo cuối kỳ / projected end-of-period value';
COMMENT ON COLUMN dti.indicator_status.progress IS 'Tỷ số tiến độ R / progress ratio R';
COMMENT ON COLUMN dti.indicator_status.shortfall IS 'Mức hụt so với E / shortfall against E';
COMMENT ON COLUMN dti.indicator_status.fresh IS 'Dữ liệu còn mới / data is fresh';
COMMENT ON COLUMN dti.indicator_status.version IS 'Phiên bản (mới hơn thắng) / version (newer wins)';
COMMENT ON COLUMN dti.indicator_status.written_at IS 'Thời điểm ghi / time the row was written';

CREATE TABLE IF NOT EXISTS dti.unit_score (
    unit_code  text NOT NULL,
    pillar     text NOT NULL,
    bucket     timestamptz NOT NULL,
    period     integer NOT NULL,
    ts         timestamptz NOT NULL,
    score      double precision,
    points     double precision,
    coverage   double precision,
    weight     double precision,
    rank       integer,
    rank_of    integer,
    peer_group text,
    version    bigint NOT NULL,
    written_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_code, pillar, bucket)
);
COMMENT ON TABLE dti.unit_score IS 'Điểm trụ cột và chỉ số tổng hợp của đơn vị (pillar = INDEX) / pillar scores and the composite index of units (pillar = INDEX)';
COMMENT ON COLUMN dti.unit_score.unit_code IS 'Mã đơn vị / unit code';
COMMENT ON COLUMN dti.unit_score.pillar IS 'Mã trụ cột; INDEX là chỉ số tổng hợp / pillar code; INDEX is the composite index';
COMMENT ON COLUMN dti.unit_score.bucket IS 'Đầu khung thời gian / start of the time bucket';
COMMENT ON COLUMN dti.unit_score.period IS 'Kỳ kế hoạch (năm) / plan period (local year)';
COMMENT ON COLUMN dti.unit_score.ts IS 'Thời điểm đánh giá / evaluation time';
COMMENT ON COLUMN dti.unit_score.score IS 'Điểm 0–1 (trống: không đủ dữ liệu) / score 0–1 (empty: withheld)';
COMMENT ON COLUMN dti.unit_score.points IS 'Điểm trên thang 1000 / points on the 1000 scale';
COMMENT ON COLUMN dti.unit_score.coverage IS 'Độ phủ: tỷ trọng có dữ liệu mới / coverage: share of the weight with fresh data';
COMMENT ON COLUMN dti.unit_score.weight IS 'Trọng số / weight';
COMMENT ON COLUMN dti.unit_score.rank IS 'Thứ hạng trong nhóm (1 là cao nhất) / rank in the peer group (1 is best)';
COMMENT ON COLUMN dti.unit_score.rank_of IS 'Số đơn vị trong nhóm xếp hạng / units ranked in the peer group';
COMMENT ON COLUMN dti.unit_score.peer_group IS 'Nhóm xếp hạng / peer group';
COMMENT ON COLUMN dti.unit_score.version IS 'Phiên bản (mới hơn thắng) / version (newer wins)';
COMMENT ON COLUMN dti.unit_score.written_at IS 'Thời điểm ghi / time the row was written';

CREATE TABLE IF NOT EXISTS dti.alert (
    indicator_code text NOT NULL,
    unit_code      text NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('worsened', 'stale', 'shortfall')),
    action         text NOT NULL CHECK (action IN ('raised', 'resolved')),
    ts             timestamptz NOT NULL,
    status         text NOT NULL,
    message_vi     text NOT NULL DEFAULT '',
    message_en     text NOT NULL DEFAULT '',
    notify         text[] NOT NULL DEFAULT '{}',
    written_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (indicator_code, unit_code, kind, ts, action)
);
COMMENT ON TABLE dti.alert IS 'Sự kiện cảnh báo: phát sinh và kết thúc / alert events: raised and resolved';
COMMENT ON COLUMN dti.alert.indicator_code IS 'Mã chỉ tiêu / indicator code';
COMMENT ON COLUMN dti.alert.unit_code IS 'Mã đơn vị / unit code';
COMMENT ON COLUMN dti.alert.kind IS 'Loại: worsened (xấu đi), stale (thiếu dữ liệu), shortfall (hụt so với kỳ vọng) / kind';
COMMENT ON COLUMN dti.alert.action IS 'raised (phát sinh) hoặc resolved (kết thúc) / raised or resolved';
COMMENT ON COLUMN dti.alert.ts IS 'Thời điểm sự kiện / event time';
COMMENT ON COLUMN dti.alert.status IS 'Trạng thái chỉ tiêu lúc đó / indicator status at the time';
COMMENT ON COLUMN dti.alert.message_vi IS 'Nội dung tiếng Việt / message in Vietnamese';
COMMENT ON COLUMN dti.alert.message_en IS 'Nội dung tiếng Anh / message in English';
COMMENT ON COLUMN dti.alert.notify IS 'Đơn vị cần thông báo / units to notify';
COMMENT ON COLUMN dti.alert.written_at IS 'Thời điểm ghi / time the row was written';

CREATE TABLE IF NOT EXISTS dti.dead_letter (
    topic      text NOT NULL,
    partition  integer NOT NULL,
    "offset"   bigint NOT NULL,
    ts         timestamptz NOT NULL,
    reason     text NOT NULL,
    detail     text NOT NULL DEFAULT '',
    payload    bytea NOT NULL,
    written_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, partition, "offset", ts)
);
COMMENT ON TABLE dti.dead_letter IS 'Thông điệp bị từ chối kèm lý do / rejected messages with the reason';
COMMENT ON COLUMN dti.dead_letter.topic IS 'Chủ đề Kafka gốc / original Kafka topic';
COMMENT ON COLUMN dti.dead_letter.partition IS 'Phân vùng / partition';
COMMENT ON COLUMN dti.dead_letter."offset" IS 'Vị trí trong phân vùng / offset in the partition';
COMMENT ON COLUMN dti.dead_letter.ts IS 'Thời điểm của thông điệp gốc / time of the original message';
COMMENT ON COLUMN dti.dead_letter.reason IS 'Mã lý do từ chối / rejection reason code';
COMMENT ON COLUMN dti.dead_letter.detail IS 'Chi tiết / detail';
COMMENT ON COLUMN dti.dead_letter.payload IS 'Nội dung gốc (byte) / original bytes';
COMMENT ON COLUMN dti.dead_letter.written_at IS 'Thời điểm ghi / time the row was written';
