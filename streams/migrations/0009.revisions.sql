-- depends: 0008.worker-state
-- Revisions (Observation v1's optional `revision`): kept with each stored observation and each metric cell, and
-- delta ids are kept per figure (the id without its `@revision`) with the revision and value last counted.
ALTER TABLE dti.observation ADD COLUMN IF NOT EXISTS revision bigint NOT NULL DEFAULT 0;
COMMENT ON COLUMN dti.observation.revision IS
    'Lần sửa của số liệu (0: bản đầu) / revision of the figure (0: the first); each revision is its own row';
ALTER TABLE dti.state_cell ADD COLUMN IF NOT EXISTS revision bigint NOT NULL DEFAULT 0;
ALTER TABLE dti.delta_id ADD COLUMN IF NOT EXISTS revision bigint NOT NULL DEFAULT 0;
ALTER TABLE dti.delta_id ADD COLUMN IF NOT EXISTS metric_code text;
ALTER TABLE dti.delta_id ADD COLUMN IF NOT EXISTS period integer;
ALTER TABLE dti.delta_id ADD COLUMN IF NOT EXISTS value double precision;
COMMENT ON TABLE dti.delta_id IS
    'Số liệu delta đã cộng, theo mã số liệu (không kèm @lần sửa) / delta figures counted: id without its @revision, with the revision, metric, period and value counted';
COMMENT ON COLUMN dti.state_cell.revision IS 'Lần sửa của giá trị giữ lại / revision of the value kept';
COMMENT ON COLUMN dti.delta_id.revision IS 'Lần sửa đã cộng / revision counted';
COMMENT ON COLUMN dti.delta_id.metric_code IS 'Mã số liệu đã cộng vào / metric the value went to';
COMMENT ON COLUMN dti.delta_id.period IS 'Kỳ đã cộng vào / period the value went to';
COMMENT ON COLUMN dti.delta_id.value IS 'Giá trị đã cộng / value counted';
