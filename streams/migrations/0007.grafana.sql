-- depends: 0006.roles
-- What the dashboards read beyond 0005: the lead unit on dti.indicator_latest, unit scores over time
-- (dti.unit_score_series), and ranks computed in dti.unit_score_latest. The worker evaluates one unit at a time,
-- so it cannot know the other units' scores and leaves dti.unit_score.rank empty; the view ranks each unit's
-- latest row against its peers. CREATE OR REPLACE keeps every existing column, its comment and its grants, and
-- appends new columns at the end: the public contract only grows.

CREATE OR REPLACE VIEW dti.indicator_latest AS
SELECT v.indicator_code, v.unit_code, v.ts, v.value, v.numerator, v.denominator,
       coalesce(s.target, t.target) AS target, s.expected, s.projected, s.status, s.score,
       v.period, v.bucket,
       coalesce(s.baseline, t.baseline) AS baseline, s.attainment, s.progress, s.fresh, s.ts AS evaluated_at,
       st.label_vi AS status_vi, st.label_en AS status_en,
       i.pillar, i.name_vi AS indicator_name_vi, i.name_en AS indicator_name_en, i.value_unit,
       u.name_vi AS unit_name_vi, u.name_en AS unit_name_en,
       i.lead_unit, lu.name_vi AS lead_unit_name_vi, lu.name_en AS lead_unit_name_en
  FROM (SELECT DISTINCT ON (indicator_code, unit_code)
               indicator_code, unit_code, ts, value, numerator, denominator, period, bucket
          FROM dti.indicator_value
         ORDER BY indicator_code, unit_code, bucket DESC, ts DESC) AS v
  LEFT JOIN LATERAL (
        SELECT s.ts, s.status, s.score, s.attainment, s.baseline, s.target, s.expected, s.projected, s.progress,
               s.fresh
          FROM dti.indicator_status AS s
         WHERE s.indicator_code = v.indicator_code AND s.unit_code = v.unit_code AND s.period = v.period
         ORDER BY s.bucket DESC, s.ts DESC
         LIMIT 1) AS s ON true
  LEFT JOIN dti.target AS t
         ON t.indicator_code = v.indicator_code AND t.unit_code = v.unit_code AND t.period = v.period
  LEFT JOIN dti.status AS st ON st.code = s.status
  LEFT JOIN dti.indicator AS i ON i.code = v.indicator_code
  LEFT JOIN dti.unit AS u ON u.code = v.unit_code
  LEFT JOIN dti.unit AS lu ON lu.code = i.lead_unit;
COMMENT ON COLUMN dti.indicator_latest.lead_unit IS 'Mã đơn vị chủ trì chỉ tiêu / lead unit code of the indicator';
COMMENT ON COLUMN dti.indicator_latest.lead_unit_name_vi IS 'Tên đơn vị chủ trì tiếng Việt / lead unit name in Vietnamese';
COMMENT ON COLUMN dti.indicator_latest.lead_unit_name_en IS 'Tên đơn vị chủ trì tiếng Anh / lead unit name in English';

-- Ranks: rank() over the score, best first (ties share a rank), among the latest rows of the units of one ranked
-- peer group, per pillar (INDEX for the composite index) and plan period, so a unit whose newest score is from
-- an earlier year is not ranked against this year's. A withheld (empty) score has no rank and is not counted.
-- A rank stored by the writer wins over the computed one.
CREATE OR REPLACE VIEW dti.unit_score_latest AS
SELECT s.unit_code, s.pillar, s.ts, s.score, s.points, s.coverage, s.weight,
       coalesce(s.rank, CASE WHEN g.ranked AND s.score IS NOT NULL THEN (rank() OVER ranking)::integer END)
           AS rank,
       coalesce(s.rank_of, CASE WHEN g.ranked AND s.score IS NOT NULL THEN (count(s.score) OVER peers)::integer END)
           AS rank_of,
       coalesce(s.peer_group, u.peer_group) AS peer_group,
       s.period, s.bucket,
       u.name_vi AS unit_name_vi, u.name_en AS unit_name_en,
       coalesce(p.name_vi, CASE WHEN s.pillar = 'INDEX' THEN 'Chỉ số tổng hợp' END) AS pillar_name_vi,
       coalesce(p.name_en, CASE WHEN s.pillar = 'INDEX' THEN 'Composite index' END) AS pillar_name_en
  FROM (SELECT DISTINCT ON (unit_code, pillar)
               unit_code, pillar, ts, score, points, coverage, weight, rank, rank_of, peer_group, period, bucket
          FROM dti.unit_score
         ORDER BY unit_code, pillar, bucket DESC, ts DESC) AS s
  LEFT JOIN dti.unit AS u ON u.code = s.unit_code
  LEFT JOIN dti.pillar AS p ON p.code = s.pillar
  LEFT JOIN dti.peer_group AS g ON g.code = coalesce(s.peer_group, u.peer_group)
WINDOW peers AS (PARTITION BY coalesce(s.peer_group, u.peer_group), s.pillar, s.period),
       ranking AS (peers ORDER BY s.score DESC NULLS LAST);
COMMENT ON COLUMN dti.unit_score_latest.rank IS
    'Thứ hạng trong nhóm theo điểm mới nhất (1 là cao nhất, bằng điểm cùng hạng; trống: nhóm không xếp hạng hoặc không đủ dữ liệu) / rank in the peer group by latest score (1 is best, ties share a rank; empty: group not ranked or score withheld)';
COMMENT ON COLUMN dti.unit_score_latest.rank_of IS
    'Số đơn vị có điểm trong nhóm xếp hạng / units with a score in the peer group';
COMMENT ON COLUMN dti.unit_score_latest.peer_group IS 'Nhóm xếp hạng (mặc định: nhóm của đơn vị) / peer group (default: the unit''s group)';

CREATE OR REPLACE VIEW dti.unit_score_series AS
SELECT s.unit_code, s.pillar, s.bucket, s.ts, s.score, s.points, s.coverage, s.weight, s.period,
       coalesce(s.peer_group, u.peer_group) AS peer_group,
       u.name_vi AS unit_name_vi, u.name_en AS unit_name_en,
       coalesce(p.name_vi, CASE WHEN s.pillar = 'INDEX' THEN 'Chỉ số tổng hợp' END) AS pillar_name_vi,
       coalesce(p.name_en, CASE WHEN s.pillar = 'INDEX' THEN 'Composite index' END) AS pillar_name_en
  FROM dti.unit_score AS s
  LEFT JOIN dti.unit AS u ON u.code = s.unit_code
  LEFT JOIN dti.pillar AS p ON p.code = s.pillar;
COMMENT ON VIEW dti.unit_score_series IS
    'Chuỗi điểm trụ cột và chỉ số tổng hợp (pillar = INDEX) của đơn vị theo khung thời gian / pillar and composite index (pillar = INDEX) scores of units per time bucket';
COMMENT ON COLUMN dti.unit_score_series.unit_code IS 'Mã đơn vị / unit code';
COMMENT ON COLUMN dti.unit_score_series.pillar IS 'Mã trụ cột; INDEX là chỉ số tổng hợp / pillar code; INDEX is the composite index';
COMMENT ON COLUMN dti.unit_score_series.bucket IS 'Đầu khung thời gian (dùng cho $__timeFilter) / start of the time bucket (use in $__timeFilter)';
COMMENT ON COLUMN dti.unit_score_series.ts IS 'Thời điểm đánh giá mới nhất trong khung / newest evaluation time in the bucket';
COMMENT ON COLUMN dti.unit_score_series.score IS 'Điểm 0–1 (trống: không đủ dữ liệu) / score 0–1 (empty: withheld)';
COMMENT ON COLUMN dti.unit_score_series.points IS 'Điểm trên thang 1000 / points on the 1000 scale';
COMMENT ON COLUMN dti.unit_score_series.coverage IS 'Độ phủ: tỷ trọng có dữ liệu mới / coverage: share of the weight with fresh data';
COMMENT ON COLUMN dti.unit_score_series.weight IS 'Trọng số / weight';
COMMENT ON COLUMN dti.unit_score_series.period IS 'Kỳ kế hoạch (năm) / plan period (local year)';
COMMENT ON COLUMN dti.unit_score_series.peer_group IS 'Nhóm xếp hạng / peer group';
COMMENT ON COLUMN dti.unit_score_series.unit_name_vi IS 'Tên đơn vị tiếng Việt / unit name in Vietnamese';
COMMENT ON COLUMN dti.unit_score_series.unit_name_en IS 'Tên đơn vị tiếng Anh / unit name in English';
COMMENT ON COLUMN dti.unit_score_series.pillar_name_vi IS 'Tên trụ cột tiếng Việt / pillar name in Vietnamese';
COMMENT ON COLUMN dti.unit_score_series.pillar_name_en IS 'Tên trụ cột tiếng Anh / pillar name in English';

GRANT SELECT ON dti.indicator_latest, dti.unit_score_latest, dti.unit_score_series TO grafana_reader;
