-- depends: 0007.grafana
-- The worker's own tables: consumed offsets and unit state as rows, written in the same transaction as the
-- batch's values. Not time-series tables (no hypertables): each holds one row per key, updated in place.
-- One database serves one worker group: state rows are the group's, offsets are kept per group.

CREATE TABLE IF NOT EXISTS dti.consumer_offset (
    group_id    text NOT NULL,
    topic       text NOT NULL,
    partition   integer NOT NULL,
    next_offset bigint NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, topic, partition)
);
COMMENT ON TABLE dti.consumer_offset IS
    'Vị trí đã xử lý của worker theo phân vùng Kafka / next offset to consume per worker group and partition, committed with the batch';
COMMENT ON COLUMN dti.consumer_offset.next_offset IS
    'Offset kế tiếp cần đọc / next offset to read (compare-and-set: a worker that lost its partition cannot commit)';

CREATE TABLE IF NOT EXISTS dti.delta_id (
    id         text PRIMARY KEY,
    unit_code  text NOT NULL,
    counted_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE dti.delta_id IS
    'Mã các quan sát delta đã cộng / ids of delta observations already counted (a repeated id is counted once)';

CREATE TABLE IF NOT EXISTS dti.state_unit (
    unit_code text PRIMARY KEY,
    version   bigint NOT NULL
);
COMMENT ON TABLE dti.state_unit IS
    'Phiên bản trạng thái đơn vị / version of each unit''s state (one step per change; newer wins downstream)';

CREATE TABLE IF NOT EXISTS dti.state_cell (
    unit_code   text NOT NULL,
    metric_code text NOT NULL,
    period      integer NOT NULL,
    ts          timestamptz NOT NULL,
    value       double precision NOT NULL,
    PRIMARY KEY (unit_code, metric_code, period)
);
COMMENT ON TABLE dti.state_cell IS
    'Giá trị số liệu của chính đơn vị trong kỳ / a unit''s own metric value in a period (sum of deltas, or newest total or level)';

CREATE TABLE IF NOT EXISTS dti.state_contribution (
    parent_code    text NOT NULL,
    indicator_code text NOT NULL,
    period         integer NOT NULL,
    child_code     text NOT NULL,
    version        bigint NOT NULL,
    ts             timestamptz NOT NULL,
    numerator      double precision,
    denominator    double precision,
    seen           timestamptz,
    PRIMARY KEY (parent_code, indicator_code, period, child_code)
);
COMMENT ON TABLE dti.state_contribution IS
    'Đầu vào chỉ tiêu do đơn vị con gửi lên / a child''s indicator inputs as its parent last received them';

CREATE TABLE IF NOT EXISTS dti.state_indicator (
    unit_code      text NOT NULL,
    indicator_code text NOT NULL,
    memory         bytea NOT NULL,
    PRIMARY KEY (unit_code, indicator_code)
);
COMMENT ON TABLE dti.state_indicator IS
    'Bộ nhớ đánh giá của chỉ tiêu (lịch sử ngày, trễ cảnh báo, kết quả gần nhất) / an indicator''s evaluation memory per unit: daily history, alert hysteresis, last result (msgpack)';

GRANT SELECT, INSERT, UPDATE ON dti.consumer_offset, dti.delta_id, dti.state_unit, dti.state_cell,
    dti.state_contribution, dti.state_indicator TO qndti_writer;

COMMENT ON COLUMN dti.consumer_offset.group_id IS 'Nhóm worker (QNDTI_WORKER_ID) / worker consumer group';
COMMENT ON COLUMN dti.consumer_offset.topic IS 'Chủ đề Kafka / Kafka topic';
COMMENT ON COLUMN dti.consumer_offset.partition IS 'Phân vùng Kafka / Kafka partition';
COMMENT ON COLUMN dti.consumer_offset.updated_at IS 'Thời điểm ghi / time of the last commit';
COMMENT ON COLUMN dti.delta_id.id IS 'Mã số liệu delta / delta observation id (figure)';
COMMENT ON COLUMN dti.delta_id.unit_code IS 'Mã đơn vị / unit code';
COMMENT ON COLUMN dti.delta_id.counted_at IS 'Thời điểm cộng / time it was counted';
COMMENT ON COLUMN dti.state_unit.unit_code IS 'Mã đơn vị / unit code';
COMMENT ON COLUMN dti.state_unit.version IS 'Phiên bản trạng thái / state version';
COMMENT ON COLUMN dti.state_cell.unit_code IS 'Mã đơn vị / unit code';
COMMENT ON COLUMN dti.state_cell.metric_code IS 'Mã số liệu / metric code';
COMMENT ON COLUMN dti.state_cell.period IS 'Kỳ (năm, giờ Việt Nam) / period (local year)';
COMMENT ON COLUMN dti.state_cell.ts IS 'Thời điểm quan sát mới nhất / newest observation time';
COMMENT ON COLUMN dti.state_cell.value IS 'Giá trị / value';
COMMENT ON COLUMN dti.state_contribution.parent_code IS 'Mã đơn vị cha / parent unit code';
COMMENT ON COLUMN dti.state_contribution.indicator_code IS 'Mã chỉ tiêu / indicator code';
COMMENT ON COLUMN dti.state_contribution.period IS 'Kỳ (năm, giờ Việt Nam) / period (local year)';
COMMENT ON COLUMN dti.state_contribution.child_code IS 'Mã đơn vị con / child unit code';
COMMENT ON COLUMN dti.state_contribution.version IS 'Phiên bản trạng thái của đơn vị con / the child''s state version';
COMMENT ON COLUMN dti.state_contribution.ts IS 'Thời điểm dữ liệu mới nhất / newest data time';
COMMENT ON COLUMN dti.state_contribution.numerator IS 'Tử số / numerator';
COMMENT ON COLUMN dti.state_contribution.denominator IS 'Mẫu số / denominator';
COMMENT ON COLUMN dti.state_contribution.seen IS 'Lần cuối đủ dữ liệu / when the inputs were last complete';
COMMENT ON COLUMN dti.state_indicator.unit_code IS 'Mã đơn vị / unit code';
COMMENT ON COLUMN dti.state_indicator.indicator_code IS 'Mã chỉ tiêu / indicator code';
COMMENT ON COLUMN dti.state_indicator.memory IS 'Bộ nhớ đánh giá (msgpack) / evaluation memory (msgpack)';
