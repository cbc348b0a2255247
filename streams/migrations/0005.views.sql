-- depends: 0004.flavour
-- Public views for Grafana and integrations. They read the same relations on both flavours, so they answer
-- the same on TimescaleDB and plain PostgreSQL. Their columns are a public contract: add, never rename.

-- The expected value E = B + f(T − B) at time `at` of plan year `period` (local calendar year).
CREATE OR REPLACE FUNCTION dti.expected_value(baseline double precision, target double precision, period integer,
                                             at timestamptz)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT baseline + (target - baseline) * least(1.0, greatest(0.0,
           extract(epoch FROM at - make_timestamptz(period, 1, 1, 0, 0, 0, 'Asia/Ho_Chi_Minh'))
         / extract(epoch FROM make_timestamptz(period + 1, 1, 1, 0, 0, 0, 'Asia/Ho_Chi_Minh')
                            - make_timestamptz(period, 1, 1, 0, 0, 0, 'Asia/Ho_Chi_Minh'))))
$$;
COMMENT ON FUNCTION dti.expected_value(double precision, double precision, integer, timestamptz) IS
    'Giá trị kỳ vọng E = B + f(T − B) tại thời điểm at của năm kế hoạch / expected value E = B + f(T − B) at a time of the plan year';

DROP VIEW IF EXISTS dti.indicator_latest;
CREATE VIEW dti.indicator_latest AS
SELECT v.indicator_code, v.unit_code, v.ts, v.value, v.numerator, v.denominator,
       coalesce(s.target, t.target) AS target, s.expected, s.projected, s.status, s.score,
       v.period, v.bucket,
       coalesce(s.baseline, t.baseline) AS baseline, s.attainment, s.progress, s.fresh, s.ts AS evaluated_at,
       st.label_vi AS status_vi, st.label_en AS status_en,
       i.pillar, i.name_vi AS indicator_name_vi, i.name_en AS indicator_name_en, i.value_unit,
       u.name_vi AS unit_name_vi, u.name_en AS unit_name_en
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
  LEFT JOIN dti.unit AS u ON u.code = v.unit_code;
COMMENT ON VIEW dti.indicator_latest IS
    'Giá trị, mục tiêu, trạng thái mới nhất của mỗi chỉ tiêu tại mỗi đơn vị (kỳ hiện tại) / latest value, target and status of each indicator for each unit (current period)';
COMMENT ON COLUMN dti.indicator_latest.indicator_code IS 'Mã chỉ tiêu / indicator code (e.g. CQS-04)';
COMMENT ON COLUMN dti.indicator_latest.unit_code IS 'Mã đơn vị / unit code (e.g. QN, HALONG)';
COMMENT ON COLUMN dti.indicator_latest.ts IS 'Thời điểm quan sát mới nhất / newest observation time behind the value';
COMMENT ON COLUMN dti.indicator_latest.value IS 'Giá trị chỉ tiêu (tử số / mẫu số × hệ số) / indicator value';
COMMENT ON COLUMN dti.indicator_latest.numerator IS 'Tử số / numerator';
COMMENT ON COLUMN dti.indicator_latest.denominator IS 'Mẫu số / denominator';
COMMENT ON COLUMN dti.indicator_latest.target IS 'Mục tiêu T của năm / target T of the year';
COMMENT ON COLUMN dti.indicator_latest.expected IS 'Giá trị kỳ vọng theo tiến độ E / expected value now E';
COMMENT ON COLUMN dti.indicator_latest.projected IS 'Giá trị dự báo cuối kỳ / projected end-of-period value';
COMMENT ON COLUMN dti.indicator_latest.status IS 'Mã trạng thái (xem dti.status) / status code (see dti.status)';
COMMENT ON COLUMN dti.indicator_latest.score IS 'Điểm chỉ tiêu 0–1 / indicator score 0–1';
COMMENT ON COLUMN dti.indicator_latest.period IS 'Kỳ kế hoạch (năm, giờ Việt Nam) / plan period (local year)';
COMMENT ON COLUMN dti.indicator_latest.bucket IS 'Đầu khung thời gian của giá trị / start of the value''s time bucket';
COMMENT ON COLUMN dti.indicator_latest.baseline IS 'Giá trị nền B / baseline B';
COMMENT ON COLUMN dti.indicator_latest.attainment IS 'Tỷ lệ đạt kế hoạch x/T / plan attainment x/T';
COMMENT ON COLUMN dti.indicator_latest.progress IS 'Tỷ số tiến độ R / progress ratio R';
COMMENT ON COLUMN dti.indicator_latest.fresh IS 'Dữ liệu còn mới / data is fresh';
COMMENT ON COLUMN dti.indicator_latest.evaluated_at IS 'Thời điểm đánh giá trạng thái / time the status was evaluated';
COMMENT ON COLUMN dti.indicator_latest.status_vi IS 'Nhãn trạng thái tiếng Việt / status label in Vietnamese';
COMMENT ON COLUMN dti.indicator_latest.status_en IS 'Nhãn trạng thái tiếng Anh / status label in English';
COMMENT ON COLUMN dti.indicator_latest.pillar IS 'Trụ cột / pillar code';
COMMENT ON COLUMN dti.indicator_latest.indicator_name_vi IS 'Tên chỉ tiêu tiếng Việt / indicator name in Vietnamese';
COMMENT ON COLUMN dti.indicator_latest.indicator_name_en IS 'Tên chỉ tiêu tiếng Anh / indicator name in English';
COMMENT ON COLUMN dti.indicator_latest.value_unit IS 'Đơn vị của giá trị (%, điểm…) / unit of the value';
COMMENT ON COLUMN dti.indicator_latest.unit_name_vi IS 'Tên đơn vị tiếng Việt / unit name in Vietnamese';
COMMENT ON COLUMN dti.indicator_latest.unit_name_en IS 'Tên đơn vị tiếng Anh / unit name in English';

CREATE OR REPLACE VIEW dti.unit_score_latest AS
SELECT s.unit_code, s.pillar, s.ts, s.score, s.points, s.coverage, s.weight, s.rank, s.rank_of, s.peer_group,
       s.period, s.bucket,
       u.name_vi AS unit_name_vi, u.name_en AS unit_name_en,
       coalesce(p.name_vi, CASE WHEN s.pillar = 'INDEX' THEN 'Chỉ số tổng hợp' END) AS pillar_name_vi,
       coalesce(p.name_en, CASE WHEN s.pillar = 'INDEX' THEN 'Composite index' END) AS pillar_name_en
  FROM (SELECT DISTINCT ON (unit_code, pillar)
               unit_code, pillar, ts, score, points, coverage, weight, rank, rank_of, peer_group, period, bucket
          FROM dti.unit_score
         ORDER BY unit_code, pillar, bucket DESC, ts DESC) AS s
  LEFT JOIN dti.unit AS u ON u.code = s.unit_code
  LEFT JOIN dti.pillar AS p ON p.code = s.pillar;
COMMENT ON VIEW dti.unit_score_latest IS
    'Điểm mới nhất của mỗi đơn vị theo trụ cột và tổng hợp (pillar = INDEX), độ phủ, thứ hạng / latest pillar and overall (pillar = INDEX) scores of each unit, coverage and rank';
COMMENT ON COLUMN dti.unit_score_latest.unit_code IS 'Mã đơn vị / unit code';
COMMENT ON COLUMN dti.unit_score_latest.pillar IS 'Mã trụ cột; INDEX là chỉ số tổng hợp / pillar code; INDEX is the composite index';
COMMENT ON COLUMN dti.unit_score_latest.ts IS 'Thời điểm đánh giá / evaluation time';
COMMENT ON COLUMN dti.unit_score_latest.score IS 'Điểm 0–1 (trống: không đủ dữ liệu) / score 0–1 (empty: withheld)';
COMMENT ON COLUMN dti.unit_score_latest.points IS 'Điểm trên thang 1000 / points on the 1000 scale';
COMMENT ON COLUMN dti.unit_score_latest.coverage IS 'Độ phủ: tỷ trọng có dữ liệu mới / coverage: share of the weight with fresh data';
COMMENT ON COLUMN dti.unit_score_latest.weight IS 'Trọng số / weight';
COMMENT ON COLUMN dti.unit_score_latest.rank IS 'Thứ hạng trong nhóm (1 là cao nhất) / rank in the peer group (1 is best)';
COMMENT ON COLUMN dti.unit_score_latest.rank_of IS 'Số đơn vị trong nhóm xếp hạng / units ranked in the peer group';
COMMENT ON COLUMN dti.unit_score_latest.peer_group IS 'Nhóm xếp hạng / peer group';
COMMENT ON COLUMN dti.unit_score_latest.period IS 'Kỳ kế hoạch (năm) / plan period (local year)';
COMMENT ON COLUMN dti.unit_score_latest.bucket IS 'Đầu khung thời gian / start of the time bucket';
COMMENT ON COLUMN dti.unit_score_latest.unit_name_vi IS 'Tên đơn vị tiếng Việt / unit name in Vietnamese';
COMMENT ON COLUMN dti.unit_score_latest.unit_name_en IS 'Tên đơn vị tiếng Anh / unit name in English';
COMMENT ON COLUMN dti.unit_score_latest.pillar_name_vi IS 'Tên trụ cột tiếng Việt / pillar name in Vietnamese';
COMMENT ON COLUMN dti.unit_score_latest.pillar_name_en IS 'Tên trụ cột tiếng Anh / pillar name in English';

CREATE OR REPLACE VIEW dti.indicator_series AS
SELECT v.indicator_code, v.unit_code, v.bucket, v.ts, v.value, v.numerator, v.denominator, v.period,
       t.target, t.baseline, dti.expected_value(t.baseline, t.target, v.period, v.bucket) AS expected,
       s.projected, s.status, s.score, v.value_min, v.value_max
  FROM dti.indicator_value_hourly AS v
  LEFT JOIN dti.target AS t
         ON t.indicator_code = v.indicator_code AND t.unit_code = v.unit_code AND t.period = v.period
  LEFT JOIN LATERAL (
        SELECT s.projected, s.status, s.score
          FROM dti.indicator_status AS s
         WHERE s.indicator_code = v.indicator_code AND s.unit_code = v.unit_code
           AND s.bucket >= v.bucket AND s.bucket < v.bucket + INTERVAL '1 hour'
         ORDER BY s.bucket DESC, s.ts DESC
         LIMIT 1) AS s ON true;

CREATE OR REPLACE VIEW dti.indicator_series_daily AS
SELECT v.indicator_code, v.unit_code, v.bucket, v.ts, v.value, v.numerator, v.denominator, v.period,
       t.target, t.baseline, dti.expected_value(t.baseline, t.target, v.period, v.bucket) AS expected,
       s.projected, s.status, s.score, v.value_min, v.value_max
  FROM dti.indicator_value_daily AS v
  LEFT JOIN dti.target AS t
         ON t.indicator_code = v.indicator_code AND t.unit_code = v.unit_code AND t.period = v.period
  LEFT JOIN LATERAL (
        SELECT s.projected, s.status, s.score
          FROM dti.indicator_status AS s
         WHERE s.indicator_code = v.indicator_code AND s.unit_code = v.unit_code
           AND s.bucket >= v.bucket AND s.bucket < v.bucket + INTERVAL '1 day'
         ORDER BY s.bucket DESC, s.ts DESC
         LIMIT 1) AS s ON true;

COMMENT ON VIEW dti.indicator_series IS
    'Chuỗi giá trị chỉ tiêu theo giờ với đường mục tiêu và đường kỳ vọng / hourly indicator values with the target and expected-trajectory lines';
COMMENT ON VIEW dti.indicator_series_daily IS
    'Chuỗi giá trị chỉ tiêu theo ngày (giờ Việt Nam) với đường mục tiêu và đường kỳ vọng / daily (local days) indicator values with the target and expected-trajectory lines';
COMMENT ON COLUMN dti.indicator_series.indicator_code IS 'Mã chỉ tiêu / indicator code';
COMMENT ON COLUMN dti.indicator_series.unit_code IS 'Mã đơn vị / unit code';
COMMENT ON COLUMN dti.indicator_series.bucket IS 'Đầu khung giờ (dùng cho $__timeFilter) / start of the hour (use in $__timeFilter)';
COMMENT ON COLUMN dti.indicator_series.ts IS 'Thời điểm quan sát mới nhất trong khung / newest observation time in the bucket';
COMMENT ON COLUMN dti.indicator_series.value IS 'Giá trị cuối khung / last value in the bucket';
COMMENT ON COLUMN dti.indicator_series.numerator IS 'Tử số cuối khung / last numerator in the bucket';
COMMENT ON COLUMN dti.indicator_series.denominator IS 'Mẫu số cuối khung / last denominator in the bucket';
COMMENT ON COLUMN dti.indicator_series.period IS 'Kỳ kế hoạch (năm) / plan period (local year)';
COMMENT ON COLUMN dti.indicator_series.target IS 'Mục tiêu T (đường mục tiêu) / target T (the target line)';
COMMENT ON COLUMN dti.indicator_series.baseline IS 'Giá trị nền B / baseline B';
COMMENT ON COLUMN dti.indicator_series.expected IS 'Giá trị kỳ vọng E tại đầu khung (đường tiến độ) / expected value E at the bucket start (the trajectory line)';
COMMENT ON COLUMN dti.indicator_series.projected IS 'Giá trị dự báo cuối kỳ tại khung này / projected end-of-period value in this bucket';
COMMENT ON COLUMN dti.indicator_series.status IS 'Trạng thái tại khung này / status in this bucket';
COMMENT ON COLUMN dti.indicator_series.score IS 'Điểm chỉ tiêu 0–1 tại khung này / indicator score 0–1 in this bucket';
COMMENT ON COLUMN dti.indicator_series.value_min IS 'Giá trị nhỏ nhất trong khung / lowest value in the bucket';
COMMENT ON COLUMN dti.indicator_series.value_max IS 'Giá trị lớn nhất trong khung / highest value in the bucket';
COMMENT ON COLUMN dti.indicator_series_daily.indicator_code IS 'Mã chỉ tiêu / indicator code';
COMMENT ON COLUMN dti.indicator_series_daily.unit_code IS 'Mã đơn vị / unit code';
COMMENT ON COLUMN dti.indicator_series_daily.bucket IS 'Đầu ngày theo giờ Việt Nam (dùng cho $__timeFilter) / start of the local day (use in $__timeFilter)';
COMMENT ON COLUMN dti.indicator_series_daily.ts IS 'Thời điểm quan sát mới nhất trong ngày / newest observation time in the day';
COMMENT ON COLUMN dti.indicator_series_daily.value IS 'Giá trị cuối ngày / last value of the day';
COMMENT ON COLUMN dti.indicator_series_daily.numerator IS 'Tử số cuối ngày / last numerator of the day';
COMMENT ON COLUMN dti.indicator_series_daily.denominator IS 'Mẫu số cuối ngày / last denominator of the day';
COMMENT ON COLUMN dti.indicator_series_daily.period IS 'Kỳ kế hoạch (năm) / plan period (local year)';
COMMENT ON COLUMN dti.indicator_series_daily.target IS 'Mục tiêu T (đường mục tiêu) / target T (the target line)';
COMMENT ON COLUMN dti.indicator_series_daily.baseline IS 'Giá trị nền B / baseline B';
COMMENT ON COLUMN dti.indicator_series_daily.expected IS 'Giá trị kỳ vọng E đầu ngày (đường tiến độ) / expected value E at the start of the day (the trajectory line)';
COMMENT ON COLUMN dti.indicator_series_daily.projected IS 'Giá trị dự báo cuối kỳ trong ngày / projected end-of-period value that day';
COMMENT ON COLUMN dti.indicator_series_daily.status IS 'Trạng thái trong ngày / status that day';
COMMENT ON COLUMN dti.indicator_series_daily.score IS 'Điểm chỉ tiêu 0–1 trong ngày / indicator score 0–1 that day';
COMMENT ON COLUMN dti.indicator_series_daily.value_min IS 'Giá trị nhỏ nhất trong ngày / lowest value of the day';
COMMENT ON COLUMN dti.indicator_series_daily.value_max IS 'Giá trị lớn nhất trong ngày / highest value of the day';

CREATE OR REPLACE VIEW dti.alerts_open AS
SELECT a.indicator_code, a.unit_code, a.kind, a.ts, a.status, st.label_vi AS status_vi, st.label_en AS status_en,
       a.message_vi, a.message_en, a.notify, i.lead_unit,
       i.name_vi AS indicator_name_vi, i.name_en AS indicator_name_en,
       u.name_vi AS unit_name_vi, u.name_en AS unit_name_en
  FROM (SELECT DISTINCT ON (indicator_code, unit_code, kind)
               indicator_code, unit_code, kind, action, ts, status, message_vi, message_en, notify
          FROM dti.alert
         ORDER BY indicator_code, unit_code, kind, ts DESC, action DESC) AS a
  LEFT JOIN dti.status AS st ON st.code = a.status
  LEFT JOIN dti.indicator AS i ON i.code = a.indicator_code
  LEFT JOIN dti.unit AS u ON u.code = a.unit_code
 WHERE a.action = 'raised';
COMMENT ON VIEW dti.alerts_open IS
    'Cảnh báo đang mở (đã phát sinh, chưa kết thúc) / open alerts (raised and not yet resolved)';
COMMENT ON COLUMN dti.alerts_open.indicator_code IS 'Mã chỉ tiêu / indicator code';
COMMENT ON COLUMN dti.alerts_open.unit_code IS 'Mã đơn vị / unit code';
COMMENT ON COLUMN dti.alerts_open.kind IS 'Loại: worsened (xấu đi), stale (thiếu dữ liệu), shortfall (hụt so với kỳ vọng) / kind';
COMMENT ON COLUMN dti.alerts_open.ts IS 'Thời điểm phát sinh / time raised';
COMMENT ON COLUMN dti.alerts_open.status IS 'Trạng thái chỉ tiêu khi phát sinh / indicator status when raised';
COMMENT ON COLUMN dti.alerts_open.status_vi IS 'Nhãn trạng thái tiếng Việt / status label in Vietnamese';
COMMENT ON COLUMN dti.alerts_open.status_en IS 'Nhãn trạng thái tiếng Anh / status label in English';
COMMENT ON COLUMN dti.alerts_open.message_vi IS 'Nội dung tiếng Việt / message in Vietnamese';
COMMENT ON COLUMN dti.alerts_open.message_en IS 'Nội dung tiếng Anh / message in English';
COMMENT ON COLUMN dti.alerts_open.notify IS 'Đơn vị cần thông báo / units to notify';
COMMENT ON COLUMN dti.alerts_open.lead_unit IS 'Đơn vị chủ trì chỉ tiêu / lead unit of the indicator';
COMMENT ON COLUMN dti.alerts_open.indicator_name_vi IS 'Tên chỉ tiêu tiếng Việt / indicator name in Vietnamese';
COMMENT ON COLUMN dti.alerts_open.indicator_name_en IS 'Tên chỉ tiêu tiếng Anh / indicator name in English';
COMMENT ON COLUMN dti.alerts_open.unit_name_vi IS 'Tên đơn vị tiếng Việt / unit name in Vietnamese';
COMMENT ON COLUMN dti.alerts_open.unit_name_en IS 'Tên đơn vị tiếng Anh / unit name in English';
