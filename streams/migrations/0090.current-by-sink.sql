-- depends: 0080.fillfactor
-- The sink keeps the current rows of values, statuses and scores itself: each staged batch's upsert returns the
-- rows it wrote and upserts the newest of each key into the current table, in the same statement. One
-- set-based write per batch costs the database far less than a trigger call per row. A session that writes this
-- way says so (dti.sink_keeps_current = on, set by the sink when it prepares its connection) and the row
-- triggers skip its rows; every other write (SQL by hand, deletes, a key that changes) still goes through them.

DROP TRIGGER IF EXISTS indicator_value_current_refresh ON dti.indicator_value;
CREATE TRIGGER indicator_value_current_refresh AFTER INSERT OR UPDATE OR DELETE ON dti.indicator_value
    FOR EACH ROW WHEN (current_setting('dti.sink_keeps_current', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION dti.indicator_value_current_refresh();

DROP TRIGGER IF EXISTS indicator_status_current_refresh ON dti.indicator_status;
CREATE TRIGGER indicator_status_current_refresh AFTER INSERT OR UPDATE OR DELETE ON dti.indicator_status
    FOR EACH ROW WHEN (current_setting('dti.sink_keeps_current', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION dti.indicator_status_current_refresh();

DROP TRIGGER IF EXISTS unit_score_current_refresh ON dti.unit_score;
CREATE TRIGGER unit_score_current_refresh AFTER INSERT OR UPDATE OR DELETE ON dti.unit_score
    FOR EACH ROW WHEN (current_setting('dti.sink_keeps_current', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION dti.unit_score_current_refresh();

GRANT INSERT, UPDATE ON dti.indicator_value_current, dti.indicator_status_current, dti.unit_score_current
    TO qndti_writer;

COMMENT ON TABLE dti.indicator_value_current IS 'Giá trị mới nhất của mỗi chỉ tiêu tại mỗi đơn vị (sink ghi cùng lô, trigger với các lệnh ghi khác) / newest value of each indicator and unit (written by the sink with each batch, by a trigger for other writes)';
COMMENT ON TABLE dti.indicator_status_current IS 'Trạng thái mới nhất của mỗi chỉ tiêu, đơn vị và kỳ (sink ghi cùng lô, trigger với các lệnh ghi khác) / newest status of each indicator, unit and period (written by the sink with each batch, by a trigger for other writes)';
COMMENT ON TABLE dti.unit_score_current IS 'Điểm mới nhất của mỗi đơn vị và trụ cột (sink ghi cùng lô, trigger với các lệnh ghi khác) / newest score of each unit and pillar (written by the sink with each batch, by a trigger for other writes)';
