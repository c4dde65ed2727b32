#!/usr/bin/env bash
# Benchmark: trends over the real crime series (issue 13, Speed).  Every
# borough x major category of brent_mdm.london_crime (32 x 9 = 288 monthly
# series, January 2008 to December 2016):
#   1. changes: per month, the previous month, the same month a year before and
#      the rolling 12 months (108 months x 288 series): ours = series_changes()
#      over each series' arrays; plain SQL = lag() and a 12-row window sum;
#   2. the 3-year trend 2014-2016 (36 months): ours = series_trend(...,
#      'lower_better'); plain SQL = Mann-Kendall S, tau-b and the tie-corrected
#      z by a self-join of the pairs, Sen's slope as percentile_cont(0.5) of the
#      pairs' slopes, the direction from |z| > 1.959964 (the same test as
#      p < 0.05: SQL has no erfc);
#   3. london_crime_trend() for every borough x category (the analyst's call:
#      each also gives the Metropolitan Police area's trend), timed alone.
# The results of 1 and 2 are checked equal in the run (changes exactly; tau and
# Sen's slope to 1e-9; directions); each timing is the best of 3.
#   ./run bench trends       or on a cluster of one's own: PGHOST=... PGPORT=... bash bench/trends.sh
set -euo pipefail
db=brent_bench_trends
dropdb --if-exists "$db" 2>/dev/null || true
createdb "$db"
export PGDATABASE=$db
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

q <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION brent_mdm CASCADE;
-- the monthly series, as both sides start from it
CREATE TABLE series AS
SELECT area_code, major_category, month, sum(offences)::numeric AS n
  FROM brent_mdm.london_crime GROUP BY 1, 2, 3;
ANALYZE series;
SQL
echo "== trends: $(q -c "SELECT count(DISTINCT (area_code, major_category)) FROM series") monthly series of $(q -c "SELECT count(DISTINCT month) FROM series") months (MPS crime by borough and major category)"

source "$(dirname "$0")/lib/timing.sh"

ours_changes=$(best "$(timed ours_changes "
  SELECT s.area_code, s.major_category, c.*
    FROM (SELECT area_code, major_category, array_agg(month) AS ps, array_agg(n) AS vs FROM series GROUP BY 1, 2) s,
         LATERAL brent_mdm.series_changes(s.ps, s.vs, 'month') c")")
sql_changes=$(best "$(timed sql_changes "
  SELECT area_code, major_category, month AS period, n AS value,
         CASE WHEN lag(month) OVER o = month - interval '1 month' THEN lag(n) OVER o END AS previous_value,
         CASE WHEN lag(month, 12) OVER o = month - interval '1 year' THEN lag(n, 12) OVER o END AS year_ago_value,
         CASE WHEN count(*) OVER r = 12 AND min(month) OVER r = month - interval '11 months' THEN sum(n) OVER r END AS rolling_year
    FROM series
  WINDOW o AS (PARTITION BY area_code, major_category ORDER BY month),
         r AS (o ROWS 11 PRECEDING)")")
diff_changes=$(q -c "
  SELECT count(*) FROM ours_changes o FULL JOIN sql_changes s USING (area_code, major_category, period)
   WHERE o.value IS DISTINCT FROM s.value OR o.previous_value IS DISTINCT FROM s.previous_value
      OR o.change IS DISTINCT FROM s.value - s.previous_value OR o.year_ago_value IS DISTINCT FROM s.year_ago_value
      OR o.change_on_year IS DISTINCT FROM s.value - s.year_ago_value OR o.rolling_year IS DISTINCT FROM s.rolling_year")
rows_changes=$(q -c "SELECT count(*) FROM ours_changes")

ours_trend=$(best "$(timed ours_trend "
  SELECT s.area_code, s.major_category, t.*
    FROM (SELECT area_code, major_category, array_agg(month) AS ps, array_agg(n) AS vs
            FROM series WHERE month >= '2014-01-01' GROUP BY 1, 2) s,
         LATERAL brent_mdm.series_trend(s.ps, s.vs, 'lower_better', 'month', 3) t")")
sql_trend=$(best "$(timed sql_trend "
  WITH w AS (SELECT area_code, major_category, month, n::float8 AS n,
                    (extract(year FROM month) * 12 + extract(month FROM month))::int AS k
               FROM series WHERE month >= '2014-01-01'),
  pairs AS (SELECT a.area_code, a.major_category, sign(b.n - a.n) AS sg, (b.n - a.n) / (b.k - a.k) AS slope
              FROM w a JOIN w b ON b.area_code = a.area_code AND b.major_category = a.major_category AND b.k > a.k),
  ps AS (SELECT area_code, major_category, sum(sg) AS s, count(*) AS n0, count(*) FILTER (WHERE sg = 0) AS tied,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY slope) AS sen_slope
           FROM pairs GROUP BY 1, 2),
  ties AS (SELECT area_code, major_category, sum(t * (t - 1) * (2 * t + 5)) AS tv
             FROM (SELECT area_code, major_category, count(*)::float8 AS t FROM w GROUP BY 1, 2, n) g GROUP BY 1, 2),
  cnt AS (SELECT area_code, major_category, count(*)::float8 AS m FROM w GROUP BY 1, 2),
  z AS (SELECT ps.*, c.m, CASE WHEN ps.n0 > ps.tied THEN ps.s / sqrt((ps.n0 - ps.tied)::float8 * ps.n0) END AS tau,
               (ps.s - sign(ps.s)) / sqrt((c.m * (c.m - 1) * (2 * c.m + 5) - t.tv) / 18) AS z
          FROM ps JOIN ties t USING (area_code, major_category) JOIN cnt c USING (area_code, major_category))
  SELECT area_code, major_category, m::int AS points, tau, sen_slope,
         CASE WHEN m < 10 THEN 'not enough data' WHEN tau IS NULL OR abs(z) <= 1.959963984540054 THEN 'no significant change'
              WHEN s > 0 THEN 'worsening' ELSE 'improving' END AS direction
    FROM z")")
diff_trend=$(q -c "
  SELECT count(*) FROM ours_trend o FULL JOIN sql_trend s USING (area_code, major_category)
   WHERE o.points IS DISTINCT FROM s.points OR abs(o.tau - s.tau) > 1e-9 OR (o.tau IS NULL) <> (s.tau IS NULL)
      OR abs(o.sen_slope - s.sen_slope) > 1e-9 * greatest(1, abs(s.sen_slope)) OR o.direction IS DISTINCT FROM s.direction")
rows_trend=$(q -c "SELECT count(*) FROM ours_trend")
directions=$(q -c "SELECT string_agg(direction || ' ' || n, ', ' ORDER BY direction) FROM (SELECT direction, count(*) n FROM ours_trend GROUP BY 1) d")

ours_lct=$(best "$(timed ours_lct "
  SELECT b.area_code, c.major_category, t.*
    FROM brent_mdm.london_area b CROSS JOIN (SELECT DISTINCT major_category FROM series) c,
         LATERAL brent_mdm.london_crime_trend(b.area_code, c.major_category) t
   WHERE b.kind = 'london_borough' AND t.code = b.area_code")")
diff_lct=$(q -c "
  SELECT count(*) FROM ours_lct o FULL JOIN ours_trend s USING (area_code, major_category)
   WHERE o.tau IS DISTINCT FROM s.tau OR o.sen_slope IS DISTINCT FROM s.sen_slope OR o.direction IS DISTINCT FROM s.direction")

ratio() { echo "scale=1; $1 / $2" | bc; }
echo "changes (108 months x 288 series, $rows_changes rows): series_changes ${ours_changes} s, plain SQL (lag, window sum) ${sql_changes} s, ratio plain/ours $(ratio "$sql_changes" "$ours_changes")x; rows differing: $diff_changes"
echo "3-year trend 2014-2016 (288 series of 36 months, $rows_trend rows): series_trend ${ours_trend} s, plain SQL (pairs self-join, percentile_cont) ${sql_trend} s, ratio plain/ours $(ratio "$sql_trend" "$ours_trend")x; rows differing: $diff_trend"
echo "  directions: $directions"
echo "london_crime_trend for every borough x category (288 calls, each with the MPS area's trend too): ${ours_lct} s; differing from series_trend: $diff_lct"
[ "$diff_changes" = 0 ] && [ "$diff_trend" = 0 ] && [ "$diff_lct" = 0 ] || { echo "RESULTS DIFFER"; exit 1; }
dropdb "$db"
