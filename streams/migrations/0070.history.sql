-- depends: 0060.quarantine
-- History across a change of the map (successions.csv, dti.unit_succession). A unit formed from whole
-- predecessors only, and started after all of them (the special zones Vân Đồn and Cô Tô on 1 July 2025), shows
-- before its first day the sum of its predecessors: per local day, each predecessor's last numerator and
-- denominator of the day, summed, on the days where every predecessor has a value, with value = numerator /
-- denominator × scale (numerator × scale for a one-metric indicator) as the index engine computes it; those rows
-- are marked derived. A unit formed from a part of any predecessor gets no derived rows: its earlier history is
-- not comparable, and dti.unit_lineage says so. dti.units_on(day) lists the map in force on a day. Views over
-- dti.indicator_value_daily, so they answer the same on PostgreSQL and TimescaleDB.

CREATE OR REPLACE VIEW dti.unit_lineage AS
SELECT u.code AS unit_code, u.name_vi AS unit_name_vi, u.name_en AS unit_name_en, u.valid_from, u.valid_to,
       coalesce(f.predecessors, '{}') AS predecessors,
       coalesce(f.whole AND f.started_after, false) AS derived_history,
       coalesce(f.whole, true) AS comparable,
       CASE
           WHEN f.unit_code IS NULL THEN ''
           WHEN NOT f.whole THEN 'Lịch sử trước ngày thành lập ' || to_char(u.valid_from, 'DD/MM/YYYY')
                || ' không so sánh được: đơn vị được hình thành từ một phần của ' || f.names_vi
           WHEN f.started_after THEN 'Trước ngày thành lập ' || to_char(u.valid_from, 'DD/MM/YYYY')
                || ': số liệu suy ra (cộng tử số và mẫu số) của ' || f.names_vi
           ELSE 'Tiếp nhận toàn bộ ' || f.names_vi
       END AS note_vi,
       CASE
           WHEN f.unit_code IS NULL THEN ''
           WHEN NOT f.whole THEN 'Earlier history not comparable: formed on ' || u.valid_from
                || ' from a part of ' || f.names_en
           WHEN f.started_after THEN 'Before ' || u.valid_from || ': derived (summed numerators and denominators) from '
                || f.names_en
           ELSE 'Took over the whole of ' || f.names_en
       END AS note_en
  FROM dti.unit AS u
  LEFT JOIN (
        SELECT s.unit_code, array_agg(s.predecessor_code ORDER BY s.predecessor_code) AS predecessors,
               bool_and(s.share = 'whole') AS whole,
               bool_and(p.valid_to IS NOT NULL AND p.valid_to < su.valid_from AND p.valid_from < su.valid_from)
                   AS started_after,
               string_agg(p.name_vi, ', ' ORDER BY p.code) AS names_vi,
               string_agg(p.name_en, ', ' ORDER BY p.code) AS names_en
          FROM dti.unit_succession AS s
          JOIN dti.unit AS p ON p.code = s.predecessor_code
          JOIN dti.unit AS su ON su.code = s.unit_code
         GROUP BY s.unit_code) AS f ON f.unit_code = u.code;
COMMENT ON VIEW dti.unit_lineage IS 'Đơn vị được hình thành từ đơn vị nào, lịch sử trước ngày thành lập có so sánh được không / what each unit was formed from and whether its earlier history is comparable';
COMMENT ON COLUMN dti.unit_lineage.unit_code IS 'Mã đơn vị / unit code';
COMMENT ON COLUMN dti.unit_lineage.unit_name_vi IS 'Tên đơn vị tiếng Việt / unit name in Vietnamese';
COMMENT ON COLUMN dti.unit_lineage.unit_name_en IS 'Tên đơn vị tiếng Anh / unit name in English';
COMMENT ON COLUMN dti.unit_lineage.valid_from IS 'Ngày bắt đầu hiệu lực / first day the unit exists';
COMMENT ON COLUMN dti.unit_lineage.valid_to IS 'Ngày hết hiệu lực (trống: còn hiệu lực) / last day the unit exists (empty: still exists)';
COMMENT ON COLUMN dti.unit_lineage.predecessors IS 'Mã các đơn vị tiền thân (trống: không có) / predecessor unit codes (empty: none)';
COMMENT ON COLUMN dti.unit_lineage.derived_history IS 'Có lịch sử suy ra từ đơn vị tiền thân (toàn bộ) trước ngày thành lập / has history derived from whole predecessors before its first day';
COMMENT ON COLUMN dti.unit_lineage.comparable IS 'Lịch sử trước ngày thành lập so sánh được (sai: hình thành từ một phần) / earlier history comparable (false: formed from a part)';
COMMENT ON COLUMN dti.unit_lineage.note_vi IS 'Ghi chú lịch sử tiếng Việt / note on the history in Vietnamese';
COMMENT ON COLUMN dti.unit_lineage.note_en IS 'Ghi chú lịch sử tiếng Anh / note on the history in English';

CREATE OR REPLACE VIEW dti.indicator_history_daily AS
SELECT v.indicator_code, v.unit_code, v.bucket, v.ts, v.value, v.numerator, v.denominator, v.period,
       false AS derived, v.unit_code AS source_units
  FROM dti.indicator_value_daily AS v
UNION ALL
SELECT d.indicator_code, d.unit_code, d.bucket, d.ts,
       CASE
           WHEN i.denominator_metric IS NULL THEN d.numerator * i.scale
           WHEN d.denominator IS NULL OR d.denominator = 0 THEN NULL
           ELSE d.numerator / d.denominator * i.scale
       END AS value,
       d.numerator, d.denominator, d.period, true AS derived, d.source_units
  FROM (SELECT v.indicator_code, l.unit_code, v.bucket, max(v.ts) AS ts, sum(v.numerator) AS numerator,
               sum(v.denominator) AS denominator, max(v.period) AS period,
               string_agg(v.unit_code, ', ' ORDER BY v.unit_code) AS source_units,
               count(v.numerator) AS reported, cardinality(l.predecessors) AS needed
          FROM dti.unit_lineage AS l
          JOIN dti.indicator_value_daily AS v ON v.unit_code = ANY (l.predecessors)
         WHERE l.derived_history AND (v.bucket AT TIME ZONE 'Asia/Ho_Chi_Minh')::date < l.valid_from
         GROUP BY v.indicator_code, l.unit_code, v.bucket, l.predecessors) AS d
  JOIN dti.indicator AS i ON i.code = d.indicator_code
 WHERE d.reported = d.needed;
COMMENT ON VIEW dti.indicator_history_daily IS 'Lịch sử giá trị chỉ tiêu theo ngày, kể cả trước ngày thành lập của đơn vị hình thành từ toàn bộ đơn vị cũ (suy ra) / daily indicator history, with derived days before a unit formed from whole predecessors started';
COMMENT ON COLUMN dti.indicator_history_daily.indicator_code IS 'Mã chỉ tiêu / indicator code';
COMMENT ON COLUMN dti.indicator_history_daily.unit_code IS 'Mã đơn vị / unit code';
COMMENT ON COLUMN dti.indicator_history_daily.bucket IS 'Đầu ngày theo giờ Việt Nam (dùng cho $__timeFilter) / start of the local day (use in $__timeFilter)';
COMMENT ON COLUMN dti.indicator_history_daily.ts IS 'Thời điểm quan sát mới nhất trong ngày / newest observation time in the day';
COMMENT ON COLUMN dti.indicator_history_daily.value IS 'Giá trị cuối ngày (suy ra: tổng tử số / tổng mẫu số × hệ số) / last value of the day (derived: summed numerators / summed denominators × scale)';
COMMENT ON COLUMN dti.indicator_history_daily.numerator IS 'Tử số cuối ngày (suy ra: tổng của các đơn vị tiền thân) / last numerator of the day (derived: the predecessors'' sum)';
COMMENT ON COLUMN dti.indicator_history_daily.denominator IS 'Mẫu số cuối ngày (suy ra: tổng của các đơn vị tiền thân) / last denominator of the day (derived: the predecessors'' sum)';
COMMENT ON COLUMN dti.indicator_history_daily.period IS 'Kỳ kế hoạch (năm) / plan period (local year)';
COMMENT ON COLUMN dti.indicator_history_daily.derived IS 'Suy ra từ đơn vị tiền thân trước ngày thành lập / derived from the predecessors before the unit started';
COMMENT ON COLUMN dti.indicator_history_daily.source_units IS 'Đơn vị có số liệu gốc / units whose figures the row holds';

CREATE OR REPLACE FUNCTION dti.units_on(day date) RETURNS SETOF dti.unit_map
    LANGUAGE sql STABLE AS $$
    SELECT * FROM dti.unit_map WHERE valid_from <= day AND (valid_to IS NULL OR valid_to >= day)
$$;
COMMENT ON FUNCTION dti.units_on(date) IS 'Bản đồ đơn vị có hiệu lực vào một ngày (giờ địa phương) / the map of units in force on a local day';

GRANT SELECT ON dti.unit_lineage, dti.indicator_history_daily TO grafana_reader;
GRANT EXECUTE ON FUNCTION dti.units_on(date) TO grafana_reader, qndti_writer;
