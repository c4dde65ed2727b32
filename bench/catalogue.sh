#!/usr/bin/env bash
# Benchmark: the indicator catalogue (issue 13, Speed) on a generated borough
# (BRENT_BENCH_PEOPLE, default 100,000 people), every catalogue indicator installed
# as rollups (indicator_catalogue_install), against the same figures computed by
# plain SQL from the base tables in the same run:
#   1. "whole catalogue current after a 10,000-row change to the events": the
#      change (4,000 ASB incidents inserted, 3,000 benefit claims updated: moved
#      in time and between out of work and in work, 3,000 health visits deleted)
#      made on the borough's tables (their rollup triggers append deltas) and then
#      every figure of the catalogue read (indicator_values(): every indicator x
#      ward and borough x period of the window); plain SQL: the same change on
#      copies of the three tables without triggers, then the same figures by
#      GROUP BY over the base tables (the catalogue's own measures, the ward of
#      each row through the address gazetteer, census, social care and youth
#      offending records, population_estimate for the rates);
#   2. the 3-year trend (the last 3 years of the window) of every indicator x ward
#      (and the borough): indicator_trends() against plain SQL (Mann-Kendall S, tau-b and the
#      tie-corrected z by a self-join of the pairs, Sen's slope as
#      percentile_cont(0.5) of the pairs' slopes) over the plain SQL figures.
# The results are checked equal in the run (figures exactly; tau and Sen's slope
# to 1e-9; directions); each read is the best of 3.
#   ./run bench catalogue     or on a cluster of one's own: PGHOST=... PGPORT=... bash bench/catalogue.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
db=brent_bench_catalogue
people=${BRENT_BENCH_PEOPLE:-100000}
dropdb --if-exists "$db" 2>/dev/null || true
createdb "$db"
export PGDATABASE=$db
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

q <<SQL
SET client_min_messages = warning;
CREATE EXTENSION brent_mdm CASCADE;
SELECT count(*) FROM brent_mdm.generate_borough($people, 1, 'borough');
SELECT count(*) FROM brent_mdm.indicator_catalogue_install('borough');
SELECT sum(brent_mdm.fold_indicator(name)) FROM brent_mdm.indicator WHERE name LIKE 'ic\_%';
SELECT brent_mdm.indicator_catalogue_ward_fold('borough');
-- copies of the changed tables, without rollups, for the plain SQL side
CREATE SCHEMA plain;
CREATE TABLE plain.asb_incident AS SELECT * FROM borough.asb_incident;
CREATE TABLE plain.revenues_benefits AS SELECT * FROM borough.revenues_benefits;
CREATE TABLE plain.health_visiting AS SELECT * FROM borough.health_visiting;
ALTER TABLE plain.revenues_benefits ADD PRIMARY KEY (claim_ref);
ALTER TABLE plain.health_visiting ADD PRIMARY KEY (hv_client_id);
VACUUM ANALYZE;
SQL

# The catalogue's figures in plain SQL from the base tables: one GROUP BY per
# indicator over its source (the catalogue's measure as written), each row placed
# in a ward through the base tables (no rollup read).  \$1: the schema whose
# asb_incident, revenues_benefits and health_visiting are read (borough or plain).
q -f "$here/catalogue_plain.sql"

source "$(dirname "$0")/lib/timing.sh"
BEST_SETTINGS="SET jit = off;"
change() {  # $1: schema; prints the seconds of the 10,000-row change (one transaction)
  q <<SQL
SELECT clock_timestamp() AS t0 \gset
BEGIN;
INSERT INTO $1.asb_incident (incident_id, occurred_on, category, ward_code, geom)
SELECT 50000000 + g, date '2023-04-01' + g % 1000,
       (ARRAY['noise', 'fly-tipping', 'drug-related', 'street drinking', 'begging'])[1 + g % 5],
       'W' || lpad((1 + g % 22)::text, 2, '0'), (SELECT geom FROM $1.asb_incident ORDER BY incident_id LIMIT 1)
  FROM generate_series(1, 4000) g;
UPDATE $1.revenues_benefits SET claim_start = claim_start - 95, out_of_work = NOT out_of_work
 WHERE claim_ref IN (SELECT claim_ref FROM $1.revenues_benefits ORDER BY claim_ref LIMIT 3000);
DELETE FROM $1.health_visiting WHERE hv_client_id IN (SELECT hv_client_id FROM $1.health_visiting ORDER BY hv_client_id DESC LIMIT 3000);
COMMIT;
SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)::numeric, 4);
SQL
}

rows=$(q -c "SELECT count(*) FROM borough.asb_incident") ; claims=$(q -c "SELECT count(*) FROM borough.revenues_benefits")
visits=$(q -c "SELECT count(*) FROM borough.health_visiting")
rollups=$(q -c "SELECT count(*) FROM brent_mdm.indicator WHERE name LIKE 'ic\_%'")
n_ind=$(q -c "SELECT count(*) FROM brent_mdm.indicator_catalogue_installed")
echo "== catalogue: $n_ind indicators ($rollups rollups, $(q -c "SELECT count(*) FROM brent_mdm.indicator_catalogue_ward_rollup") of them kept by ward too) over a borough of $people people ($rows ASB incidents, $claims benefit claims, $visits health visits); load average $(cut -d' ' -f1-3 /proc/loadavg)"

ours_change=$(change borough)
plain_change=$(change plain)
ours_read=$(best "$(timed ours_read "SELECT indicator, area_code, period, numerator, denominator, value FROM brent_mdm.indicator_values()")")
plain_read=$(best "$(timed plain_read "$(q -c "SELECT plain_catalogue_sql('plain')")")")
diff_read=$(q -c "
  SELECT count(*) FROM ours_read o FULL JOIN plain_read p USING (indicator, area_code, period)
   WHERE o.numerator IS DISTINCT FROM p.numerator OR o.denominator IS DISTINCT FROM p.denominator
      OR o.value IS DISTINCT FROM p.value")
figures=$(q -c "SELECT count(*) FROM ours_read")
verify=$(q -c "SELECT sum(brent_mdm.verify_indicator(name)) FROM brent_mdm.indicator WHERE name LIKE 'ic\_%'")
ward_verify=$(q -c "SELECT brent_mdm.indicator_catalogue_ward_verify('borough')")
ward_rollups=$(q -c "SELECT count(*) FROM brent_mdm.indicator_catalogue_ward_rollup WHERE target_schema = 'borough'")

ours_trend=$(best "$(timed ours_trend "SELECT * FROM brent_mdm.indicator_trends()")")
plain_trend=$(best "$(timed plain_trend "
  WITH v AS (SELECT p.*, k.polarity, k.grain,
                    CASE WHEN k.grain = 'quarter' THEN (extract(year FROM p.period) * 4 + extract(month FROM p.period) / 3)::int
                         ELSE extract(year FROM p.period)::int END AS k
               FROM ($(q -c "SELECT plain_catalogue_sql('plain')")) p JOIN brent_mdm.indicator_catalogue k USING (indicator)
              WHERE p.period > date '2026-03-31' - interval '3 years'),
  last AS (SELECT indicator, area_code, max(k) FILTER (WHERE value IS NOT NULL) AS kl,
                  CASE WHEN min(grain) = 'quarter' THEN 12 ELSE 3 END AS span FROM v GROUP BY 1, 2),
  w AS (SELECT v.indicator, v.area_code, v.polarity, v.k, v.value::float8 AS n FROM v JOIN last l USING (indicator, area_code)
         WHERE v.value IS NOT NULL AND v.k > l.kl - l.span),
  pairs AS (SELECT a.indicator, a.area_code, sign(b.n - a.n) AS sg, (b.n - a.n) / (b.k - a.k) AS slope
              FROM w a JOIN w b ON b.indicator = a.indicator AND b.area_code = a.area_code AND b.k > a.k),
  ps AS (SELECT indicator, area_code, sum(sg) AS s, count(*) AS n0, count(*) FILTER (WHERE sg = 0) AS tied,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY slope) AS sen_slope
           FROM pairs GROUP BY 1, 2),
  ties AS (SELECT indicator, area_code, sum(t * (t - 1) * (2 * t + 5)) AS tv
             FROM (SELECT indicator, area_code, count(*)::float8 AS t FROM w GROUP BY 1, 2, n) g GROUP BY 1, 2),
  cnt AS (SELECT indicator, area_code, min(polarity) AS polarity, count(*)::float8 AS m FROM w GROUP BY 1, 2),
  z AS (SELECT c.indicator, c.area_code, c.polarity, c.m, ps.s, ps.sen_slope,
               CASE WHEN ps.n0 > ps.tied THEN ps.s / sqrt((ps.n0 - ps.tied)::float8 * ps.n0) END AS tau,
               (ps.s - sign(ps.s)) / nullif(sqrt((c.m * (c.m - 1) * (2 * c.m + 5) - t.tv) / 18), 0) AS z
          FROM cnt c LEFT JOIN ps USING (indicator, area_code) LEFT JOIN ties t USING (indicator, area_code))
  SELECT l.indicator, l.area_code, coalesce(z.m, 0)::int AS points,
         CASE WHEN z.m >= 10 THEN z.tau END AS tau, CASE WHEN z.m >= 10 THEN z.sen_slope END AS sen_slope,
         CASE WHEN coalesce(z.m, 0) < 10 THEN 'not enough data'
              WHEN z.tau IS NULL OR abs(z.z) <= 1.959963984540054 THEN 'no significant change'
              WHEN z.polarity = 'neutral' THEN CASE WHEN z.s > 0 THEN 'increasing' ELSE 'decreasing' END
              WHEN (z.s > 0) = (z.polarity = 'higher_better') THEN 'improving' ELSE 'worsening' END AS direction
    FROM last l LEFT JOIN z USING (indicator, area_code)")")
diff_trend=$(q -c "
  SELECT count(*) FROM ours_trend o FULL JOIN plain_trend s USING (indicator, area_code)
   WHERE coalesce(o.points, 0) IS DISTINCT FROM s.points OR abs(o.tau - s.tau) > 1e-9 OR (o.tau IS NULL) <> (s.tau IS NULL)
      OR abs(o.sen_slope - s.sen_slope) > 1e-9 * greatest(1, abs(s.sen_slope)) OR (o.sen_slope IS NULL) <> (s.sen_slope IS NULL)
      OR o.direction IS DISTINCT FROM s.direction")
trends=$(q -c "SELECT count(*) FROM ours_trend")
directions=$(q -c "SELECT string_agg(direction || ' ' || n, ', ' ORDER BY direction) FROM (SELECT direction, count(*) n FROM ours_trend GROUP BY 1) d")

ratio() { echo "scale=1; $1 / $2" | bc; }
sum() { echo "$1 + $2" | bc; }
ours_cur=$(sum "$ours_change" "$ours_read"); plain_cur=$(sum "$plain_change" "$plain_read")
echo "10,000-row change (4,000 inserts, 3,000 updates, 3,000 deletes): with the catalogue's rollups ${ours_change} s, on tables without ${plain_change} s"
echo "whole catalogue read ($figures figures: every indicator x ward and borough x period): indicator_values ${ours_read} s, plain SQL from the base tables ${plain_read} s, ratio $(ratio "$plain_read" "$ours_read")x; figures differing: $diff_read; verify_indicator: $verify; ward stage ($ward_rollups rollups) differing: $ward_verify"
echo "whole catalogue current after the change (change + read): ours ${ours_cur} s, plain SQL ${plain_cur} s, ratio $(ratio "$plain_cur" "$ours_cur")x"
echo "3-year trend of every indicator x ward and borough ($trends): indicator_trends ${ours_trend} s, plain SQL (pairs self-join, percentile_cont) ${plain_trend} s, ratio $(ratio "$plain_trend" "$ours_trend")x; differing: $diff_trend"
echo "  directions: $directions"
echo "  load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$diff_read" = 0 ] && [ "$diff_trend" = 0 ] && [ "$verify" = 0 ] && [ "$ward_verify" = 0 ] || { echo "RESULTS DIFFER"; [ -n "${BENCH_KEEP:-}" ] || dropdb "$db"; exit 1; }
[ -n "${BENCH_KEEP:-}" ] || dropdb "$db"
