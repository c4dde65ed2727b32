#!/usr/bin/env bash
# Benchmark: record linkage.
#   1. FEBRL accuracy through the evaluation interface (../shared/tools/febrl_eval.sh),
#      when the shared data is there.
#   2. Accuracy on a synthetic borough (bench/link_borough.sql): pairwise precision,
#      recall and F1 of dedupe over every person record, against the ground truth;
#      then its robustness (bench/link_robustness.sql): dates of birth split into
#      three columns, mapped as a date from parts, against leaving them out; a town
#      column (the postcode's district as text: blocks of thousands of records, split
#      by sorted neighbourhood).
#   2b. Accuracy on public sets kept outside the repository (bench/link_external.sh,
#      BENCH_EXTERNAL_DIR; skipped with a message where they are not there).
#   3. link() against a plain-SQL peer on the same data: health visiting records
#      against early years records (children in both), the peer being what an analyst
#      writes with pg_trgm and fuzzystrmatch: candidates sharing a date of birth or a
#      postcode, a match when trigram similarity of the full names is 0.5 or more.
#   4. Scaling of dedupe (load, block, train, score, cluster) with the number of records.
#   ./run bench link          BENCH_LINK_SIZES="60000 180000 600000" (people) ./run bench link
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
db=brent_bench_link
createdb "$db" 2>/dev/null || true
export PGDATABASE=$db
psql -X -q -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE; CREATE EXTENSION IF NOT EXISTS pg_trgm; CREATE EXTENSION IF NOT EXISTS fuzzystrmatch"

printf '\n== link: FEBRL (pairwise precision, recall, F1; dedupe pairs counted after clustering)\n'
if [ -x "$here/../../shared/tools/febrl_eval.sh" ] || [ -f "$here/../../shared/tools/febrl_eval.sh" ]; then
  (cd "$here/.." && bash ../shared/tools/febrl_eval.sh) 2>&1 | grep -v NOTICE
else
  echo "skipped: ../shared/tools/febrl_eval.sh and ../shared/data/febrl are not here"
fi

printf '\n== link: synthetic borough of 100,000 people, dedupe of every person record\n'
psql -X -q -c "SET client_min_messages = warning; SELECT count(*) FROM brent_mdm.generate_borough(100000, 1, 'lb', true)" >/dev/null
psql -X -q -v schema=lb -f "$here/link_borough.sql" 2>&1 | grep -v NOTICE

printf '\n== link: robustness, the same borough with its dates of birth split into three columns, then with a town column (blocks over 500 records) (pairwise F1 of dedupe)\n'
psql -X -q -v schema=lb -c "SET client_min_messages = warning" -f "$here/link_robustness.sql" 2>&1 | grep -v NOTICE

bash "$here/link_external.sh"

printf '\n== link: health visiting x early years, brent_mdm.link against plain SQL (pg_trgm)\n'
psql -X -q <<'SQL'
SET client_min_messages = warning;
\pset footer off
DROP TABLE IF EXISTS hv, ey;
CREATE TABLE hv AS SELECT 'hv/' || record_key AS id, given_name, family_name, full_name, date_of_birth, postcode, s.person_id
  FROM lb.person_record r JOIN lb_truth.source_record s USING (system, record_key) WHERE system = 'health_visiting';
CREATE TABLE ey AS SELECT 'ey/' || record_key AS id, given_name, family_name, full_name, date_of_birth, postcode, s.person_id
  FROM lb.person_record r JOIN lb_truth.source_record s USING (system, record_key) WHERE system = 'early_years';
CREATE INDEX ON ey (date_of_birth); CREATE INDEX ON ey (postcode);
CREATE TEMP TABLE truth AS SELECT hv.id AS a, ey.id AS b FROM hv JOIN ey USING (person_id);
CREATE OR REPLACE FUNCTION pg_temp.timed(q text, OUT seconds float8) LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp(); BEGIN EXECUTE q; seconds := extract(epoch FROM clock_timestamp() - t0); END $$;
CREATE TEMP TABLE ours (a text, b text);
CREATE TEMP TABLE peer (a text, b text);
CREATE TEMP TABLE runs AS
SELECT 'brent_mdm.link' AS method, pg_temp.timed($$INSERT INTO ours SELECT left_id, right_id FROM brent_mdm.link('hv', 'ey', 'id',
    '{"given_name": "given_name", "family_name": "surname", "date_of_birth": "date", "postcode": "postcode"}')
    WHERE match_probability >= 0.5$$) AS seconds
UNION ALL
SELECT 'plain SQL: pg_trgm similarity >= 0.5 on full names, same dob or postcode',
       pg_temp.timed($$INSERT INTO peer
         SELECT hv.id, ey.id FROM hv JOIN ey ON hv.date_of_birth = ey.date_of_birth
          WHERE similarity(hv.full_name, ey.full_name) >= 0.5
         UNION
         SELECT hv.id, ey.id FROM hv JOIN ey ON upper(replace(hv.postcode, ' ', '')) = upper(replace(ey.postcode, ' ', ''))
          WHERE similarity(hv.full_name, ey.full_name) >= 0.5$$);
SELECT r.method, round(r.seconds::numeric, 2) AS seconds,
       round(tp::numeric / nullif(p, 0), 4) AS precision, round(tp::numeric / t, 4) AS recall,
       round(2 * tp::numeric / (p + t), 4) AS f1
  FROM runs r,
       LATERAL (SELECT count(*) AS p, count(*) FILTER (WHERE EXISTS (SELECT 1 FROM truth WHERE truth.a = x.a AND truth.b = x.b)) AS tp
                  FROM (SELECT * FROM ours WHERE r.method = 'brent_mdm.link' UNION ALL
                        SELECT * FROM peer WHERE r.method <> 'brent_mdm.link') x) c,
       LATERAL (SELECT count(*) AS t FROM truth) tt;
SQL

printf '\n== link: dedupe time by number of records (load, block, train, score, cluster)\n'
printf '%10s %10s %12s %14s\n' people records seconds records/s
for people in ${BENCH_LINK_SIZES:-60000 180000 600000}; do
  psql -X -q -c "SET client_min_messages = warning; SELECT count(*) FROM brent_mdm.generate_borough($people, 1, 'ls', true)" >/dev/null
  psql -X -q -c "DROP TABLE IF EXISTS lr" -c "CREATE TABLE lr AS SELECT system || '/' || record_key AS id, * FROM ls.person_record" >/dev/null
  n=$(psql -X -Atc "SELECT count(*) FROM lr")
  t0=$(date +%s.%N)
  psql -X -q -c "SET client_min_messages = warning" -c "SELECT count(DISTINCT cluster_id) FROM brent_mdm.dedupe('lr', 'id',
    '{\"given_name\": \"given_name\", \"family_name\": \"surname\", \"full_name\": \"full_name\", \"date_of_birth\": \"date\",
      \"postcode\": \"postcode\", \"nhs_number\": \"identifier\", \"ni_number\": \"identifier\", \"upn\": \"identifier\",
      \"address_from\": \"moved_in\", \"address_to\": \"moved_out\"}')" >/dev/null
  t1=$(date +%s.%N)
  printf '%10s %10s %12.1f %14.0f\n' "$people" "$n" "$(echo "$t1 - $t0" | bc -l)" "$(echo "$n / ($t1 - $t0)" | bc -l)"
done
