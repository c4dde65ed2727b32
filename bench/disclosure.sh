#!/usr/bin/env bash
# Benchmark: disclosure-controlled counts, brent_mdm's aggregates against the
# same done in plain SQL, on the same rows in the same run.
#
# Rows: BENCH_ROWS (default 10,000,000) events with a ward (22), an age band
# (19, skewed so that some groups are small) and a month (60): about 25,000
# groups, of which some fall under the threshold; client ids from 400,000.
# Each query is run 3 times and the best kept, with parallel query off, then
# with 2 workers per gather; work_mem is 256MB.  The ratio is plain / ours
# (above 1: ours is faster).  Then suppress_table on a ward by age band
# table and on a larger one.
#   ./run bench disclosure            BENCH_ROWS=1000000 ./run bench disclosure
set -euo pipefail
rows=${BENCH_ROWS:-10000000}
db=brent_bench_disclosure
createdb "$db" 2>/dev/null || true
export PGDATABASE=$db
psql -X -q -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
DROP TABLE IF EXISTS bench_events;
SELECT setseed(0.5) \g /dev/null
CREATE TABLE bench_events AS
SELECT g AS event_id, (g % 22)::smallint AS ward,
       floor(19 * random() ^ 3)::smallint AS band, (g / 7 % 60)::smallint AS month,
       floor(random() * 400000)::bigint AS client_id
  FROM generate_series(1, $rows) g;
VACUUM ANALYZE bench_events;
SQL

psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
SET jit = off;
SET work_mem = '256MB';
\pset footer off
CREATE OR REPLACE FUNCTION pg_temp.best_of_3(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; best float8 := 'infinity'; n bigint;
BEGIN
  FOR i IN 1..3 LOOP
    t0 := clock_timestamp();
    EXECUTE q INTO n;
    best := least(best, extract(epoch FROM clock_timestamp() - t0));
  END LOOP;
  RETURN best;
END $$;
-- the same answer both ways (sum of published counts, number published)
CREATE OR REPLACE FUNCTION pg_temp.answer(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE a text;
BEGIN
  EXECUTE 'SELECT count(n) || '' groups published, sum '' || sum(n) FROM (' || q || ') q' INTO a;
  RETURN a;
END $$;
CREATE TEMP TABLE cases (capability text, ours text, plain text);
INSERT INTO cases VALUES
 ('count, suppress under 10, round to 5',
  'SELECT ward, band, month, brent_mdm.safe_count(*) AS n FROM bench_events GROUP BY 1, 2, 3',
  'SELECT ward, band, month, CASE WHEN count(*) < 10 THEN NULL ELSE round(count(*) / 5.0) * 5 END AS n FROM bench_events GROUP BY 1, 2, 3'),
 ('distinct persons, suppress under 10, round to 5',
  'SELECT ward, band, month, brent_mdm.safe_count_distinct(client_id) AS n FROM bench_events GROUP BY 1, 2, 3',
  'SELECT ward, band, month, CASE WHEN count(DISTINCT client_id) < 10 THEN NULL ELSE round(count(DISTINCT client_id) / 5.0) * 5 END AS n FROM bench_events GROUP BY 1, 2, 3');

\echo
\echo '== rows and groups'
SELECT count(*) AS rows, count(DISTINCT (ward, band, month)) AS groups FROM bench_events;

\echo
\echo '== the same answers'
SELECT capability, pg_temp.answer(ours) AS ours, pg_temp.answer(plain) = pg_temp.answer(ours) AS plain_sql_agrees FROM cases;

\echo
\echo '== seconds, best of 3; ratio = plain / ours'
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS
SELECT capability, pg_temp.best_of_3('SELECT count(n) FROM (' || ours || ') q') AS t_ours,
       pg_temp.best_of_3('SELECT count(n) FROM (' || plain || ') q') AS t_plain FROM cases;
SET max_parallel_workers_per_gather = 2;
CREATE TEMP TABLE parallel AS
SELECT capability, pg_temp.best_of_3('SELECT count(n) FROM (' || ours || ') q') AS t_ours,
       pg_temp.best_of_3('SELECT count(n) FROM (' || plain || ') q') AS t_plain FROM cases;
SELECT capability, mode, round(t_ours::numeric, 2) AS ours_s, round(t_plain::numeric, 2) AS plain_sql_s,
       round((t_plain / t_ours)::numeric, 2) AS ratio
  FROM (SELECT *, 'serial' AS mode FROM serial UNION ALL SELECT *, '2 workers' FROM parallel) r
 ORDER BY capability, mode DESC;

\echo
\echo '== suppress_table (secondary suppression), best of 3'
CREATE TEMP TABLE ward_band AS
SELECT array_agg(ward::text ORDER BY ward, band) AS r, array_agg(band::text ORDER BY ward, band) AS c,
       array_agg(n ORDER BY ward, band) AS n
  FROM (SELECT ward, band, count(*) AS n FROM bench_events WHERE month = 0 AND client_id % 40 = 0 GROUP BY 1, 2) g;
SELECT setseed(0.5) \g /dev/null
CREATE TEMP TABLE large AS
SELECT array_agg(i::text ORDER BY i, j) AS r, array_agg(j::text ORDER BY i, j) AS c,
       array_agg(CASE WHEN random() < 0.2 THEN 1 + floor(random() * 9) ELSE 10 + floor(random() * 90) END::bigint ORDER BY i, j) AS n
  FROM generate_series(1, 200) i, generate_series(1, 50) j;
SELECT 'ward by age band (22 x 19), one month, 1 in 40 clients' AS table_,
       (SELECT count(*) FILTER (WHERE s.suppressed = 'primary') || ' primary, ' ||
               count(*) FILTER (WHERE s.suppressed = 'secondary') || ' secondary of ' || count(*)
          FROM ward_band, brent_mdm.suppress_table(r, c, n) s) AS suppressed,
       round((pg_temp.best_of_3('SELECT count(*) FROM ward_band, brent_mdm.suppress_table(r, c, n)') * 1000)::numeric, 2) AS ms
UNION ALL
SELECT '200 x 50, 20 % of cells small',
       (SELECT count(*) FILTER (WHERE s.suppressed = 'primary') || ' primary, ' ||
               count(*) FILTER (WHERE s.suppressed = 'secondary') || ' secondary of ' || count(*)
          FROM large, brent_mdm.suppress_table(r, c, n) s),
       round((pg_temp.best_of_3('SELECT count(*) FROM large, brent_mdm.suppress_table(r, c, n)') * 1000)::numeric, 2);
SQL
