-- pgTAP: trends over a series, the London crime series and nearest neighbours
-- (issue 13).  Every figure is recomputed here independently by plain SQL
-- (pairs by self-join and percentile_cont for Sen's slope, window functions,
-- stddev_pop for z-scores), not by the functions under test.
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
SELECT plan(91);

-- ---- sen_slope ----
SELECT ok(abs(brent_mdm.sen_slope('{1,2,4,8}') - 13.0::float8 / 6) < 1e-12,
          'sen_slope {1,2,4,8}: slopes 1, 1.5, 2, 7/3, 3, 4, median (2 + 7/3) / 2');
SELECT is(brent_mdm.sen_slope('{3,5,7,9,11,13}'), 2::float8, 'sen_slope of a straight line is its slope');
SELECT is(brent_mdm.sen_slope('{10,NULL,NULL,4}'), -2::float8, 'sen_slope: a NULL is a gap in time (positions 1 and 4: -6 / 3)');
SELECT is(brent_mdm.sen_slope('{1,2,3,4,5,6,7,100}'), 1::float8,
          'sen_slope is robust: one outlier of 8 leaves the slope of the others (1)');
SELECT ok(brent_mdm.sen_slope('{5}') IS NULL AND brent_mdm.sen_slope('{}') IS NULL AND brent_mdm.sen_slope('{NULL,4}') IS NULL,
          'sen_slope of fewer than two values is NULL');
-- random series with gaps: against the median of the pairs by self-join and percentile_cont
CREATE TEMP TABLE rs AS
SELECT s, i, CASE WHEN random() < 0.15 THEN NULL ELSE round((random() * 100 + i * (s - 5))::numeric, 2)::float8 END AS v
  FROM generate_series(1, 10) s, generate_series(1, 20 + s * 7) i;
SELECT is_empty($$
  WITH sql AS (SELECT a.s, percentile_cont(0.5) WITHIN GROUP (ORDER BY (b.v - a.v) / (b.i - a.i)) AS slope
                 FROM rs a JOIN rs b ON a.s = b.s AND b.i > a.i
                WHERE a.v IS NOT NULL AND b.v IS NOT NULL GROUP BY a.s),
       ours AS (SELECT s, brent_mdm.sen_slope(array_agg(v ORDER BY i)) AS slope FROM rs GROUP BY s)
  SELECT * FROM sql JOIN ours USING (s) WHERE abs(sql.slope - ours.slope) > 1e-9 * greatest(1, abs(sql.slope))$$,
  'sen_slope of 10 random series with gaps (27 to 90 values) equals percentile_cont over the self-joined pairs');
SELECT is((SELECT count(DISTINCT s)::int FROM rs), 10, '(the 10 random series were compared)');
SELECT throws_ok($$SELECT brent_mdm.sen_slope(array_fill(1::float8, ARRAY[5001]))$$, '54000',
                 'sen_slope takes at most 5000 values, not 5001', 'sen_slope refuses more than 5,000 values');
SELECT throws_ok($$SELECT brent_mdm.sen_slope('{1,NaN,3}')$$, '22023', NULL, 'sen_slope refuses NaN');
SELECT throws_ok($$SELECT brent_mdm.sen_slope('{1,Infinity}')$$, '22023', NULL, 'sen_slope refuses infinity');
SELECT throws_ok($$SELECT brent_mdm.sen_slope('{-1e308,1e308}')$$, '22003', NULL, 'sen_slope: a difference out of range');
SELECT throws_ok($$SELECT brent_mdm.sen_slope('{{1,2},{3,4}}')$$, '2202E', NULL, 'sen_slope refuses a 2-D array');
SELECT lives_ok($$SELECT brent_mdm.sen_slope(array(SELECT random() FROM generate_series(1, 5000)))$$,
                'sen_slope of 5,000 values (12.5 million pairs) runs');

-- ---- trend ----
SELECT results_eq($$SELECT points, tau, sen_slope, direction FROM brent_mdm.trend(array(SELECT g::float8 FROM generate_series(1, 12) g), 'higher_better')$$,
                  $$VALUES (12, 1::float8, 1::float8, 'improving')$$, 'a rising series: tau 1, slope 1, improving when higher is better');
SELECT cmp_ok((SELECT p FROM brent_mdm.trend(array(SELECT g::float8 FROM generate_series(1, 12) g))), '<', 0.05::float8,
              'a rising series of 12: p < 0.05');
SELECT is((SELECT direction FROM brent_mdm.trend(array(SELECT g::float8 FROM generate_series(1, 12) g), 'lower_better')),
          'worsening', 'a rising series is worsening when lower is better');
SELECT is((SELECT direction FROM brent_mdm.trend(array(SELECT g::float8 FROM generate_series(1, 12) g))),
          'increasing', 'a rising series with neutral polarity is increasing');
SELECT results_eq($$SELECT tau, direction FROM brent_mdm.trend(array(SELECT -g::float8 FROM generate_series(1, 12) g), 'lower_better')$$,
                  $$VALUES (-1::float8, 'improving')$$, 'a falling series: tau -1, improving when lower is better');
SELECT is((SELECT direction FROM brent_mdm.trend(array(SELECT -g::float8 FROM generate_series(1, 12) g), 'higher_better')),
          'worsening', 'a falling series is worsening when higher is better');
SELECT results_eq($$SELECT points, tau, p, sen_slope, direction, reason FROM brent_mdm.trend(array(SELECT g::float8 FROM generate_series(1, 9) g), 'higher_better')$$,
                  $$VALUES (9, NULL::float8, NULL::float8, NULL::float8, 'not enough data', '9 values; a trend needs at least 10')$$,
                  'a series of 9 values gives no trend: not enough data, and why');
SELECT is((SELECT points FROM brent_mdm.trend('{1,NULL,2,NULL,3,NULL,4,NULL,5,NULL,6,NULL,7,NULL,8,NULL,9}')), 9,
          'NULLs do not count as values: 17 elements, 9 values');
SELECT is((SELECT direction FROM brent_mdm.trend('{1,NULL,2,NULL,3,NULL,4,NULL,5,NULL,6,NULL,7,NULL,8,NULL,9}')),
          'not enough data', '... and so no trend');
SELECT is((SELECT direction FROM brent_mdm.trend(array(SELECT g::float8 FROM generate_series(1, 10) g), 'higher_better')),
          'improving', 'a steady series of 10 values has a trend (the minimum)');
SELECT is(brent_mdm.trend_min_points(), 10, 'the minimum is 10 values');
SELECT results_eq($$SELECT tau, sen_slope, direction, reason FROM brent_mdm.trend(array_fill(7::float8, ARRAY[12]))$$,
                  $$VALUES (NULL::float8, 0::float8, 'no significant change', 'every value is the same')$$,
                  'a constant series: no significant change, slope 0, tau undefined');
SELECT results_eq($$SELECT direction FROM brent_mdm.trend('{5,1,4,2,6,1,5,2,4,3,5,2}', 'higher_better')$$,
                  $$SELECT 'no significant change'::text FROM brent_mdm.mann_kendall('{5,1,4,2,6,1,5,2,4,3,5,2}') WHERE p >= 0.05$$,
                  'a series without a trend (Mann-Kendall p >= 0.05) has no significant change');
-- tau and the direction's rule against Kendall tau computed by SQL for the random series
SELECT is_empty($$
  WITH s AS (SELECT rs.s, i, v FROM rs WHERE v IS NOT NULL),
  k AS (SELECT a.s, sum(sign(b.v - a.v)) AS big_s, count(*) AS pairs, count(*) FILTER (WHERE b.v = a.v) AS tied
          FROM s a JOIN s b ON a.s = b.s AND b.i > a.i GROUP BY a.s),
  t AS (SELECT rs.s, (brent_mdm.trend(array_agg(v ORDER BY i), 'higher_better')).* FROM rs GROUP BY rs.s)
  SELECT * FROM k JOIN t USING (s)
   WHERE abs(t.tau - k.big_s / sqrt((k.pairs - k.tied) * k.pairs)) > 1e-9     -- tau-b: ties in values only
      OR t.direction <> CASE WHEN t.p >= 0.05 THEN 'no significant change' WHEN k.big_s > 0 THEN 'improving' ELSE 'worsening' END$$,
  'trend: tau-b = S / sqrt((pairs - tied pairs) pairs) (by self-join) and the direction follows p and the sign, on the random series');
SELECT throws_ok($$SELECT * FROM brent_mdm.trend('{1,2}', 'up')$$, '22023',
                 'polarity must be higher_better, lower_better or neutral, not ''up''', 'trend refuses an unknown polarity');

CREATE TEMP TABLE long_msg (m text);
DO $$
DECLARE m text;
BEGIN
  PERFORM * FROM brent_mdm.trend('{1}', repeat('x', 1000000));
EXCEPTION WHEN invalid_parameter_value THEN
  GET STACKED DIAGNOSTICS m = MESSAGE_TEXT;
  INSERT INTO long_msg VALUES (m);
END $$;
SELECT is((SELECT m FROM long_msg), 'polarity must be higher_better, lower_better or neutral, not ''' || repeat('x', 100) || '''',
          'trend: a 1 MB polarity is quoted to its first 100 characters in the error, not echoed whole');

-- ---- series_changes ----
-- a crafted monthly series: 2015-01 .. 2016-02 with 2015-06 missing, values 10, 20, 30, ...
CREATE TEMP TABLE cs AS
SELECT d::date AS p, (row_number() OVER (ORDER BY d) * 10)::numeric AS v
  FROM generate_series(date '2015-01-01', '2016-02-01', '1 month') d WHERE d <> '2015-06-01';
SELECT results_eq($$SELECT period, value, previous_value, change, change_pct, year_ago_value, change_on_year, rolling_year
                      FROM brent_mdm.series_changes((SELECT array_agg(p ORDER BY p) FROM cs), (SELECT array_agg(v ORDER BY p) FROM cs))
                     WHERE period IN ('2015-02-01', '2015-07-01', '2016-01-01', '2016-02-01') ORDER BY period$$,
                  $$VALUES ('2015-02-01'::date, 20::numeric, 10::numeric, 10::numeric, 100.00::numeric, NULL::numeric, NULL::numeric, NULL::numeric),
                           ('2015-07-01', 60, NULL, NULL, NULL, NULL, NULL, NULL),
                           ('2016-01-01', 120, 110, 10, 9.09, 10, 110, NULL),
                           ('2016-02-01', 130, 120, 10, 8.33, 20, 110, NULL)$$,
                  'series_changes on a crafted series: the previous period, not the previous element (July after a missing June: NULL); the same month a year before; no rolling year while a month of it (June 2015) is missing');
SELECT is((SELECT count(*)::int FROM brent_mdm.series_changes((SELECT array_agg(p ORDER BY p) FROM cs), (SELECT array_agg(v ORDER BY p) FROM cs))
            WHERE rolling_year IS NOT NULL), 0, 'with June 2015 missing, no rolling year of 2015-2016 is complete');
-- a random complete monthly series: against window functions over the table
CREATE TEMP TABLE ms AS
SELECT d::date AS p, round((random() * 1000)::numeric) AS v FROM generate_series(date '2010-01-01', '2016-12-01', '1 month') d;
SELECT is_empty($$
  WITH sql AS (
    SELECT p, v, lag(v) OVER o AS prev, lag(v, 12) OVER o AS ago,
           CASE WHEN count(*) OVER r = 12 THEN sum(v) OVER r END AS roll
      FROM ms WINDOW o AS (ORDER BY p), r AS (ORDER BY p ROWS 11 PRECEDING))
  SELECT * FROM sql JOIN brent_mdm.series_changes((SELECT array_agg(p) FROM ms), (SELECT array_agg(v) FROM ms)) c ON c.period = sql.p
   WHERE c.value IS DISTINCT FROM sql.v OR c.previous_value IS DISTINCT FROM sql.prev OR c.change IS DISTINCT FROM sql.v - sql.prev
      OR c.year_ago_value IS DISTINCT FROM sql.ago OR c.change_on_year IS DISTINCT FROM sql.v - sql.ago
      OR c.rolling_year IS DISTINCT FROM sql.roll$$,
  'series_changes of a random complete monthly series equals lag() and a 12-row window sum');
-- random series with missing periods and NULL values, monthly and quarterly: against self-joins by date
CREATE TEMP TABLE gs AS
SELECT st, d::date AS p, CASE WHEN random() < 0.1 THEN NULL ELSE round((random() * 200 - 50)::numeric, 1) END AS v
  FROM (VALUES ('month', interval '1 month'), ('quarter', interval '3 months')) s(st, iv),
       generate_series(date '2005-01-01', '2016-12-01', s.iv) d
 WHERE random() > 0.1;
SELECT is_empty($$
  WITH sql AS (
    SELECT g.st, g.p, g.v, pr.v AS prev, ya.v AS ago,
           (SELECT CASE WHEN count(w.v) = CASE g.st WHEN 'month' THEN 12 ELSE 4 END THEN sum(w.v) END
              FROM gs w WHERE w.st = g.st AND w.p > g.p - interval '1 year' AND w.p <= g.p) AS roll
      FROM gs g
      LEFT JOIN gs pr ON pr.st = g.st AND pr.p = g.p - CASE g.st WHEN 'month' THEN interval '1 month' ELSE interval '3 months' END
      LEFT JOIN gs ya ON ya.st = g.st AND ya.p = g.p - interval '1 year'),
  ours AS (
    SELECT s.st, c.* FROM (VALUES ('month'), ('quarter')) s(st),
           brent_mdm.series_changes((SELECT array_agg(p) FROM gs WHERE gs.st = s.st), (SELECT array_agg(v) FROM gs WHERE gs.st = s.st), s.st) c)
  SELECT * FROM sql FULL JOIN ours o ON o.st = sql.st AND o.period = sql.p
   WHERE o.value IS DISTINCT FROM sql.v OR o.previous_value IS DISTINCT FROM sql.prev
      OR o.change IS DISTINCT FROM sql.v - sql.prev
      OR o.change_pct IS DISTINCT FROM CASE WHEN sql.prev <> 0 THEN round(100 * (sql.v - sql.prev) / sql.prev, 2) END
      OR o.year_ago_value IS DISTINCT FROM sql.ago OR o.change_on_year IS DISTINCT FROM sql.v - sql.ago
      OR o.change_on_year_pct IS DISTINCT FROM CASE WHEN sql.ago <> 0 THEN round(100 * (sql.v - sql.ago) / sql.ago, 2) END
      OR o.rolling_year IS DISTINCT FROM sql.roll$$,
  'series_changes of random monthly and quarterly series with missing periods and NULL values equals self-joins by date');
SELECT throws_ok($$SELECT * FROM brent_mdm.series_changes('{2015-01-01,NULL}', '{1,2}')$$, '22023',
                 'period NULL is not the first day of a month', 'series_changes: a NULL period');
SELECT throws_ok($$SELECT * FROM brent_mdm.series_changes('{infinity}', '{1}')$$, '22023',
                 'period infinity is not the first day of a month', 'series_changes: an infinite period');
SELECT is((SELECT count(*)::int FROM brent_mdm.series_changes(
             ARRAY(SELECT d::date FROM generate_series(date '0001-01-01', '4000-12-01', '1 month') d),
             ARRAY(SELECT 1::numeric FROM generate_series(date '0001-01-01', '4000-12-01', '1 month') d))
            WHERE rolling_year = 12), 48000 - 11, 'series_changes: 48,000 months (years 1 to 4000), every complete rolling year 12');
SELECT is((SELECT count(*)::int FROM brent_mdm.series_changes((SELECT array_agg(p ORDER BY p DESC) FROM ms), (SELECT array_agg(v ORDER BY p DESC) FROM ms))),
          84, 'series_changes: the order of the arrays does not matter (84 months given backwards)');
SELECT results_eq($$SELECT period, previous_value, year_ago_value, rolling_year
                      FROM brent_mdm.series_changes('{2015-01-01,2015-04-01,2015-07-01,2015-10-01,2016-01-01}', '{1,2,3,4,5}', 'quarter')
                     WHERE period >= '2015-10-01'$$,
                  $$VALUES ('2015-10-01'::date, 3::numeric, NULL::numeric, 10::numeric), ('2016-01-01', 4, 1, 14)$$,
                  'series_changes by quarter: previous quarter, a year (4 quarters) before, rolling four quarters');
SELECT throws_ok($$SELECT * FROM brent_mdm.series_changes('{2015-01-01,2015-02-01}', '{1}')$$, '22023',
                 '2 periods but 1 values', 'series_changes: as many values as periods');
SELECT throws_ok($$SELECT * FROM brent_mdm.series_changes('{2015-01-15}', '{1}')$$, '22023',
                 'period 2015-01-15 is not the first day of a month', 'series_changes: a period not on its step');
SELECT throws_ok($$SELECT * FROM brent_mdm.series_changes('{2015-02-01}', '{1}', 'quarter')$$, '22023',
                 'period 2015-02-01 is not the first day of a quarter', 'series_changes: February does not start a quarter');
SELECT throws_ok($$SELECT * FROM brent_mdm.series_changes('{2015-01-01,2015-01-01}', '{1,2}')$$, '22023',
                 'period 2015-01-01 is given more than once', 'series_changes: a repeated period');
SELECT throws_ok($$SELECT * FROM brent_mdm.series_changes('{2015-01-01}', '{1}', 'week')$$, '22023',
                 'step must be month, quarter or year, not ''week''', 'series_changes: an unknown step');

-- ---- series_trend ----
SELECT results_eq($$SELECT period_from, period_to, points, sen_slope
                      FROM brent_mdm.series_trend((SELECT array_agg(p) FROM ms), (SELECT array_agg(v) FROM ms), 'neutral')$$,
                  $$SELECT date '2014-01-01', date '2016-12-01', 36,
                           brent_mdm.sen_slope((SELECT array_agg(v::float8 ORDER BY p) FROM ms WHERE p >= '2014-01-01'))$$,
                  'series_trend: the last 3 years of an 84-month series (36 values)');
SELECT results_eq($$SELECT points, sen_slope FROM brent_mdm.series_trend(
                      (SELECT array_agg(p) FROM cs WHERE p <> '2015-09-01'), (SELECT array_agg(v) FROM cs WHERE p <> '2015-09-01'), 'neutral', 'month', 1)$$,
                  $$SELECT 10, brent_mdm.sen_slope((SELECT array_agg(CASE WHEN d IN ('2015-06-01', '2015-09-01') THEN NULL ELSE v::float8 END ORDER BY d)
                                                     FROM generate_series(date '2015-03-01', '2016-02-01', '1 month') d LEFT JOIN cs ON cs.p = d))$$,
                  'series_trend: missing months are gaps on the grid (1 year: 12 months, 2 missing, 10 values)');
SELECT is((SELECT direction FROM brent_mdm.series_trend('{2014-01-01,2015-01-01,2016-01-01}', '{1,2,3}', 'higher_better', 'year')),
          'not enough data', 'series_trend: a 3-year trend of yearly figures has 3 values: not enough data');
SELECT throws_ok($$SELECT * FROM brent_mdm.series_trend('{2015-01-01}', '{1}', 'neutral', 'month', 0)$$, '22023',
                 'years must be between 1 and 50, not 0', 'series_trend: years out of range');

-- ---- the London crime series ----
CREATE TEMP VIEW m AS
SELECT month, sum(offences)::float8 AS n FROM brent_mdm.london_crime
 WHERE area_code = 'E09000005' AND major_category = 'Robbery' AND month >= '2014-01-01' GROUP BY month;
CREATE TEMP TABLE pop AS
SELECT area_code, value AS pop FROM brent_mdm.london_profile WHERE measure = 'gla_population_estimate_2017' AND area_code ~ '^E09';
SELECT is_empty($$
  WITH m AS (SELECT month, sum(offences) AS n FROM brent_mdm.london_crime
              WHERE area_code = 'E09000005' AND major_category = 'Burglary' GROUP BY month),
  sql AS (SELECT month, n, round(1000 * n / (SELECT pop FROM pop WHERE area_code = 'E09000005'), 3) AS rate,
                 n - lag(n) OVER o AS change, n - lag(n, 12) OVER o AS on_year, sum(n) OVER (o ROWS 11 PRECEDING) AS roll
            FROM m WINDOW o AS (ORDER BY month))
  SELECT * FROM sql FULL JOIN (SELECT * FROM brent_mdm.london_crime_series('E09000005', 'Burglary', '2014-01-01', '2016-12-01')
                                WHERE code = 'E09000005') c ON c.period = sql.month
   WHERE (sql.month >= '2014-01-01' OR c.period IS NOT NULL)
     AND (c.offences IS DISTINCT FROM sql.n OR c.rate_per_1000 IS DISTINCT FROM sql.rate OR c.change IS DISTINCT FROM sql.change
          OR c.change_on_year IS DISTINCT FROM sql.on_year OR c.rolling_year IS DISTINCT FROM sql.roll)$$,
  'london_crime_series: Brent''s burglaries 2014-2016 by month, rate per 1,000, changes and rolling year equal a recount');
SELECT is_empty($$
  WITH sql AS (SELECT date_trunc('quarter', month)::date AS q, sum(offences) AS n FROM brent_mdm.london_crime GROUP BY 1)
  SELECT * FROM sql JOIN (SELECT * FROM brent_mdm.london_crime_series('E09000005', NULL, '2008-01-01', '2016-12-01', 'quarter')
                           WHERE code = 'E23000001') c ON c.period = sql.q
   WHERE c.offences <> sql.n
      OR c.rate_per_1000 <> round(1000 * sql.n / (SELECT sum(pop) FROM pop WHERE area_code <> 'E09000001'), 3)$$,
  'london_crime_series: the Metropolitan Police area is the sum of the 32 boroughs, its rate on their population');
SELECT is((SELECT count(*)::int FROM brent_mdm.london_crime_series('E09000005', NULL, '2008-01-01', '2016-12-01', 'quarter')),
          72, 'london_crime_series: 36 quarters for the borough and 36 for London');
SELECT ok((SELECT t.points = 36 AND abs(t.tau - mk.tau) < 1e-12 AND abs(t.sen_slope - sql.slope) < 1e-9
              FROM brent_mdm.london_crime_trend('E09000005', 'Robbery') t,
                   (SELECT array_agg(n ORDER BY month) AS xs FROM m) a, brent_mdm.mann_kendall(a.xs) mk,
                   (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY (b.n - a.n) / ((extract(year FROM age(b.month, a.month)) * 12
                                                                               + extract(month FROM age(b.month, a.month)))::float8)) AS slope
                      FROM m a JOIN m b ON b.month > a.month) sql
             WHERE t.code = 'E09000005'),
          'london_crime_trend: Brent''s robberies 2014-2016: 36 months, tau of mann_kendall, Sen''s slope = percentile_cont of the pairs per month');
SELECT is((SELECT direction FROM brent_mdm.london_crime_trend() WHERE code = 'E09000005'),
          (SELECT CASE WHEN p >= 0.05 THEN 'no significant change' WHEN tau > 0 THEN 'worsening' ELSE 'improving' END
             FROM brent_mdm.mann_kendall((SELECT array_agg(n ORDER BY month) FROM
                   (SELECT month, sum(offences)::float8 AS n FROM brent_mdm.london_crime
                     WHERE area_code = 'E09000005' AND month >= '2014-01-01' GROUP BY month) m))),
          'london_crime_trend: the direction of all crime in Brent 2014-2016, lower is better');
SELECT is((SELECT direction FROM brent_mdm.london_crime_trend('E09000005', NULL, '2016-01-01', '2016-06-01') WHERE code = 'E09000005'),
          'not enough data', 'london_crime_trend: six months are not enough for a trend');
SELECT is_empty($$
  WITH y AS (SELECT area_code, extract(year FROM month)::int AS yr, sum(offences) / (SELECT pop FROM pop WHERE pop.area_code = c.area_code) AS rate
               FROM brent_mdm.london_crime c WHERE major_category = 'Violence Against the Person' GROUP BY 1, 2, c.area_code),
  sql AS (SELECT yr, 1 + (SELECT count(*) FROM y o WHERE o.yr = y.yr AND o.rate > y.rate) AS rank FROM y WHERE area_code = 'E09000005')
  SELECT * FROM sql FULL JOIN brent_mdm.london_crime_rank('E09000005', 'Violence Against the Person') r ON r.year = sql.yr
   WHERE r.rank IS DISTINCT FROM sql.rank OR r.boroughs <> 32 OR r.quartile <> ceil(4.0 * sql.rank / 32)$$,
  'london_crime_rank: Brent''s rank among the 32 on violence per resident, each year 2008-2016, is 1 + the boroughs above it');
SELECT throws_ok($$SELECT * FROM brent_mdm.london_crime_series('E09000001')$$, '22023', NULL,
                 'london_crime_series: the City of London is not in the MPS series');
SELECT throws_ok($$SELECT * FROM brent_mdm.london_crime_trend('E09000005', 'Piracy')$$, '22023',
                 'unknown major category of crime ''Piracy''', 'london_crime_trend: an unknown category');
SELECT throws_ok($$SELECT * FROM brent_mdm.london_crime_trend('E09000005', NULL, '2020-01-01', '2021-01-01')$$, '22023', NULL,
                 'london_crime_trend: a period outside the series');

-- london_crime_band: the boroughs' rates by period, their spread recomputed with SQL's own percentiles
SELECT is_empty($$
  WITH r AS (SELECT date_trunc('quarter', month)::date AS q, c.area_code,
                    1000 * sum(offences) / (SELECT pop FROM pop WHERE pop.area_code = c.area_code) AS rate
               FROM brent_mdm.london_crime c WHERE major_category = 'Burglary' AND month >= '2015-01-01'
              GROUP BY 1, 2),
  sql AS (SELECT q, count(*)::int AS n, round(min(rate), 3) AS lo,
                 round((percentile_cont(0.25) WITHIN GROUP (ORDER BY rate))::numeric, 3) AS p25,
                 round((percentile_cont(0.5) WITHIN GROUP (ORDER BY rate))::numeric, 3) AS p50,
                 round((percentile_cont(0.75) WITHIN GROUP (ORDER BY rate))::numeric, 3) AS p75,
                 round(max(rate), 3) AS hi FROM r GROUP BY q)
  SELECT * FROM sql FULL JOIN brent_mdm.london_crime_band('Burglary', '2015-01-01', '2016-12-01', 'quarter') b ON b.period = sql.q
   WHERE (b.period, b.boroughs, b.rate_min, b.rate_p25, b.rate_median, b.rate_p75, b.rate_max)
         IS DISTINCT FROM (sql.q, 32, sql.lo, sql.p25, sql.p50, sql.p75, sql.hi)$$,
  'london_crime_band: the 32 boroughs'' burglary rates by quarter 2015-2016, min, quartiles, median and max equal SQL''s');
SELECT is((SELECT count(*)::int FROM brent_mdm.london_crime_band()), 36, 'london_crime_band: 36 months by default (2014-2016)');
SELECT is_empty($$
  WITH r AS (SELECT c.month, c.area_code, 1000 * sum(offences) / (SELECT pop FROM pop WHERE pop.area_code = c.area_code) AS rate
               FROM brent_mdm.london_crime c WHERE area_code IN ('E09000009', 'E09000015', 'E09000026') AND month >= '2016-01-01'
              GROUP BY 1, 2),
  sql AS (SELECT month, count(*)::int AS n, round((percentile_cont(0.5) WITHIN GROUP (ORDER BY rate))::numeric, 3) AS p50,
                 round(min(rate), 3) AS lo, round(max(rate), 3) AS hi FROM r GROUP BY month)
  SELECT * FROM sql FULL JOIN brent_mdm.london_crime_band(NULL, '2016-01-01', '2016-12-01', 'month',
                                                          ARRAY['E09000009', 'E09000015', 'E09000026', 'E09000015']) b
         ON b.period = sql.month
   WHERE (b.boroughs, b.rate_median, b.rate_min, b.rate_max) IS DISTINCT FROM (3, sql.p50, sql.lo, sql.hi)$$,
  'london_crime_band: over three peers (one named twice counts once), the median and range of their rates');
SELECT throws_ok($$SELECT * FROM brent_mdm.london_crime_band(peers => ARRAY['E09000005', 'E09000001'])$$, '22023', NULL,
                 'london_crime_band: the City of London is not a peer of the MPS series');
SELECT throws_ok($$SELECT * FROM brent_mdm.london_crime_band(peers => ARRAY[]::text[])$$, '22023',
                 'peers must be NULL (all 32 boroughs) or an array of borough codes without NULL', 'london_crime_band: no peers');
SELECT throws_ok($$SELECT * FROM brent_mdm.london_crime_band(peers => ARRAY['E09000005', NULL])$$, '22023',
                 'peers must be NULL (all 32 boroughs) or an array of borough codes without NULL', 'london_crime_band: a NULL peer');
SELECT throws_ok($$SELECT * FROM brent_mdm.london_crime_band(peers => '{{E09000005},{E09000009}}')$$, '22023',
                 'peers must be NULL (all 32 boroughs) or an array of borough codes without NULL', 'london_crime_band: peers in two dimensions');
SELECT throws_ok($$SELECT * FROM brent_mdm.london_crime_band(peers => ARRAY['E99999999'])$$, '22023',
                 '''E99999999'' is not one of the 32 London boroughs of brent_mdm.london_crime', 'london_crime_band: an unknown peer, its own error (not a NULL detail)');
SELECT throws_ok($$SELECT * FROM brent_mdm.london_crime_series('E99999999')$$, '22023',
                 '''E99999999'' is not one of the 32 London boroughs of brent_mdm.london_crime', 'london_crime_series: an unknown area, its own error (not a NULL detail)');
SELECT throws_ok($$SELECT * FROM brent_mdm.london_crime_band('Piracy')$$, '22023',
                 'unknown major category of crime ''Piracy''', 'london_crime_band: an unknown category');

-- ---- z-scores and nearest neighbours ----
CREATE TEMP TABLE zv AS
SELECT p.area_code, u.i, ((p.value - avg(p.value) OVER w) / stddev_pop(p.value) OVER w)::float8 AS z
  FROM unnest(brent_mdm.london_neighbour_variables()) WITH ORDINALITY u(measure, i)
  JOIN brent_mdm.london_profile p USING (measure)
 WHERE p.area_code ~ '^E09'   -- the 33 authorities, not London, England...
WINDOW w AS (PARTITION BY u.i);
SELECT is_empty($$
  SELECT * FROM brent_mdm.london_profile_z() o, unnest(o.z) WITH ORDINALITY x(z, i)
    JOIN zv ON zv.i = x.i WHERE zv.area_code = o.area_code AND abs(zv.z - x.z) > 1e-9$$,
  'london_profile_z equals (value - avg) / stddev_pop recomputed for each default variable');
SELECT set_eq($$SELECT area_code FROM brent_mdm.london_profile_z()$$,
              $$SELECT area_code FROM zv GROUP BY area_code HAVING count(*) = 15$$,
              'london_profile_z: the authorities with all 15 variables (the City of London lacks some: left out)');
SELECT results_eq($$SELECT rank, neighbour_code, round(distance::numeric, 9) FROM brent_mdm.london_neighbours()$$,
                  $$WITH c AS (SELECT area_code FROM zv GROUP BY area_code HAVING count(*) = 15),
                    d AS (SELECT o.area_code, sqrt(sum((o.z - b.z) ^ 2)) AS dist
                            FROM zv o JOIN zv b ON b.i = o.i AND b.area_code = 'E09000005'
                           WHERE o.area_code IN (SELECT area_code FROM c) AND o.area_code <> 'E09000005' GROUP BY o.area_code)
                    SELECT (row_number() OVER (ORDER BY dist, area_code))::int, area_code, round(dist::numeric, 9) FROM d ORDER BY dist, area_code LIMIT 15$$,
                  'london_neighbours: Brent''s 15 nearest, ordered as plain SQL orders the Euclidean distances');
SELECT is((SELECT count(*)::int FROM brent_mdm.london_neighbours('E09000033', ARRAY['median_house_price_2015'], 32)), 32,
          'london_neighbours: k = 32 gives every other authority on a figure all 33 have');
SELECT results_eq($$SELECT neighbour_code, z[1] FROM brent_mdm.london_neighbours('E09000005', ARRAY['median_house_price_2015', 'gla_population_estimate_2017'], 3) ORDER BY rank$$,
                  $$WITH z AS (SELECT area_code, ((value - avg(value) OVER ()) / stddev_pop(value) OVER ())::float8 AS z1
                                 FROM brent_mdm.london_profile WHERE measure = 'median_house_price_2015' AND area_code ~ '^E09'),
                         z2 AS (SELECT area_code, ((value - avg(value) OVER ()) / stddev_pop(value) OVER ())::float8 AS z2
                                 FROM brent_mdm.london_profile WHERE measure = 'gla_population_estimate_2017' AND area_code ~ '^E09'),
                         b AS (SELECT z1, z2 FROM z JOIN z2 USING (area_code) WHERE area_code = 'E09000005')
                    SELECT area_code, z.z1 FROM z JOIN z2 USING (area_code), b
                     WHERE area_code <> 'E09000005' ORDER BY sqrt((z.z1 - b.z1) ^ 2 + (z2.z2 - b.z2) ^ 2), area_code LIMIT 3$$,
                  'london_neighbours with two chosen variables: order and the neighbour''s z of the first, recomputed');
SELECT throws_ok($$SELECT * FROM brent_mdm.london_neighbours('E09000005', ARRAY['no_such_measure'])$$, '22023',
                 'unknown London profile measure ''no_such_measure''', 'london_neighbours: an unknown measure');
SELECT throws_ok($$SELECT * FROM brent_mdm.london_neighbours('E09000005', ARRAY['political_control_in_council'])$$, '22023',
                 'London profile measure ''political_control_in_council'' is text, not a number', 'london_neighbours: a text measure');
INSERT INTO brent_mdm.london_profile_measure (measure, label, value_type, position) VALUES ('tap_empty', 'tap_empty', 'number', 1000);
SELECT throws_ok($$SELECT * FROM brent_mdm.london_neighbours('E09000005', ARRAY['tap_empty'])$$, '22023',
                 'London profile measure ''tap_empty'' has no values', 'london_neighbours: a measure with no values');
INSERT INTO brent_mdm.london_profile_measure (measure, label, value_type, position) VALUES ('tap_flat', 'tap_flat', 'number', 1001);
INSERT INTO brent_mdm.london_profile (area_code, measure, value) SELECT area_code, 'tap_flat', 5 FROM brent_mdm.london_area;
SELECT throws_ok($$SELECT * FROM brent_mdm.london_neighbours('E09000005', ARRAY['tap_flat'])$$, '22023',
                 'London profile measure ''tap_flat'' has the same value for every authority', 'london_neighbours: a measure that does not vary');
SELECT throws_ok($$SELECT * FROM brent_mdm.london_neighbours('E09000005', NULL)$$, '22023',
                 'give at least one variable (a one-dimensional text array of measures)', 'london_neighbours: NULL variables');
SELECT throws_ok($$SELECT * FROM brent_mdm.london_neighbours('E09000005', '{}')$$, '22023',
                 'give at least one variable (a one-dimensional text array of measures)', 'london_neighbours: no variables');
SELECT throws_ok($$SELECT * FROM brent_mdm.london_neighbours('E09000005', k => 0)$$, '22023',
                 'k must be between 1 and 32, not 0', 'london_neighbours: k = 0');
SELECT throws_ok($$SELECT * FROM brent_mdm.london_neighbours('E09000005', k => 33)$$, '22023',
                 'k must be between 1 and 32, not 33', 'london_neighbours: k = 33');
SELECT throws_ok($$SELECT * FROM brent_mdm.london_neighbours('E99999999')$$, '22023',
                 '''E99999999'' is not a London authority of brent_mdm.london_area', 'london_neighbours: an unknown area');
SELECT throws_ok($$SELECT * FROM brent_mdm.london_neighbours('E09000001')$$, '22023', NULL,
                 'london_neighbours: the City of London lacks default variables: refused, not placed');
SELECT throws_ok($$SELECT * FROM brent_mdm.london_neighbours('E09000005', ARRAY['median_house_price_2015', 'median_house_price_2015'])$$, '22023',
                 'a variable is given more than once', 'london_neighbours: a repeated variable');
SELECT throws_ok($$SELECT * FROM brent_mdm.london_neighbours('E09000005', ARRAY['median_house_price_2015', NULL])$$, '22004',
                 'a variable is NULL', 'london_neighbours: a NULL variable');
-- the error's detail and hint
CREATE TEMP TABLE diag (detail text, hint text);
DO $$
DECLARE d text; h text;
BEGIN
  PERFORM * FROM brent_mdm.london_neighbours('E09000005', ARRAY['political_control_in_council']);
EXCEPTION WHEN invalid_parameter_value THEN
  GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
  INSERT INTO diag VALUES (d, h);
END $$;
SELECT results_eq('SELECT detail, hint FROM diag',
                  $$VALUES ('Column Political_control_in_council holds names, not numbers.', 'Choose measures whose value_type is number.')$$,
                  'london_neighbours: a text measure''s error says which column and what to do');
SELECT ok(has_function_privilege('public', 'brent_mdm.london_neighbours(text, text[], integer)', 'EXECUTE')
          AND has_function_privilege('public', 'brent_mdm.series_trend(date[], numeric[], text, text, integer)', 'EXECUTE'),
          'PUBLIC runs the trend and peer functions');
-- and a role that is not a superuser can run them (their helpers were once not granted:
-- every call but a superuser's was refused)
CREATE ROLE brent_trend_reader NOLOGIN;
SET LOCAL ROLE brent_trend_reader;
SELECT lives_ok($$SELECT * FROM brent_mdm.series_trend('{2014-01-01,2015-01-01,2016-01-01}', '{1,2,3}', 'higher_better', 'year')$$,
                'a role that is not a superuser: series_trend');
SELECT lives_ok($$SELECT * FROM brent_mdm.london_crime_series('E09000005', 'Burglary', '2014-01-01', '2016-12-01')$$,
                'a role that is not a superuser: london_crime_series');
SELECT lives_ok($$SELECT * FROM brent_mdm.london_crime_trend('E09000005', 'Robbery')$$,
                'a role that is not a superuser: london_crime_trend');
SELECT lives_ok($$SELECT * FROM brent_mdm.london_crime_rank('E09000005', 'Violence Against the Person')$$,
                'a role that is not a superuser: london_crime_rank');
SELECT lives_ok($$SELECT * FROM brent_mdm.london_neighbours()$$,
                'a role that is not a superuser: london_neighbours');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
