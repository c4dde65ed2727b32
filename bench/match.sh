#!/usr/bin/env bash
# Benchmark: the matching primitives against the peers packaged for Debian,
# on the same name pairs in the same run.
#
# Pairs: every full name a source system recorded, against the person's true
# name and against another person's name (synthetic borough, realistic errors,
# 5 % in other scripts), cut to BENCH_PAIRS (default 1,000,000).  Each function
# is run over all pairs with parallel query off; the time of a plain scan of
# the same rows is subtracted; the best of 3 runs is kept; per-pair
# nanoseconds and the ratio (peer / ours) are printed.  Then the peers'
# results are compared with ours and disagreements counted (fuzzystrmatch
# counts bytes, not characters, in UTF-8).
#   ./run bench match            BENCH_PAIRS=200000 ./run bench match
set -euo pipefail
pairs=${BENCH_PAIRS:-1000000}
people=$(( pairs * 4 / 10 ))
[ "$people" -lt 2000 ] && people=2000
db=brent_bench_match
createdb "$db" 2>/dev/null || true
export PGDATABASE=$db
psql -X -q -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;
CREATE EXTENSION IF NOT EXISTS pg_similarity;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
SELECT count(*) FROM brent_mdm.generate_borough($people, 1, 'bm', true);
DROP TABLE IF EXISTS pairs;
CREATE TABLE pairs AS
WITH recorded AS (
  SELECT s.person_id, concat_ws(' ', h.forename, h.surname) AS name
    FROM bm.housing h JOIN bm_truth.source_record s ON s.system = 'housing' AND s.record_key = h.tenancy_person_ref
  UNION ALL SELECT s.person_id, concat_ws(' ', r.claimant_forename, r.claimant_surname)
    FROM bm.revenues_benefits r JOIN bm_truth.source_record s ON s.system = 'revenues_benefits' AND s.record_key = r.claim_ref
  UNION ALL SELECT s.person_id, concat_ws(' ', c.legal_forename, c.legal_surname)
    FROM bm.school_census c JOIN bm_truth.source_record s ON s.system = 'school_census' AND s.record_key = c.pupil_record_id
  UNION ALL SELECT s.person_id, concat_ws(' ', e.child_first_name, e.child_last_name)
    FROM bm.early_years e JOIN bm_truth.source_record s ON s.system = 'early_years' AND s.record_key = e.child_ref
  UNION ALL SELECT s.person_id, concat_ws(' ', c.first_name, c.last_name)
    FROM bm.childrens_social_care c JOIN bm_truth.source_record s ON s.system = 'childrens_social_care' AND s.record_key = c.lcs_person_id
  UNION ALL SELECT s.person_id, concat_ws(' ', a.forename, a.surname)
    FROM bm.adult_social_care a JOIN bm_truth.source_record s ON s.system = 'adult_social_care' AND s.record_key = a.mosaic_id
  UNION ALL SELECT s.person_id, concat_ws(' ', e.first_names, e.surname)
    FROM bm.electoral_register e JOIN bm_truth.source_record s ON s.system = 'electoral_register' AND s.record_key = e.elector_number
  UNION ALL SELECT s.person_id, concat_ws(' ', v.child_forename, v.child_surname)
    FROM bm.health_visiting v JOIN bm_truth.source_record s ON s.system = 'health_visiting' AND s.record_key = v.hv_client_id),
all_pairs AS (
  SELECT r.name AS a, p.given_name || ' ' || p.family_name AS b FROM recorded r JOIN bm_truth.person p USING (person_id)
  UNION ALL
  SELECT r.name, q.given_name || ' ' || q.family_name FROM recorded r
    JOIN bm_truth.person q ON q.person_id = (r.person_id * 7919) % $people + 1)
SELECT a, b FROM all_pairs ORDER BY md5(a || b) LIMIT $pairs;
VACUUM ANALYZE pairs;
SQL

psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
SET max_parallel_workers_per_gather = 0;
SET jit = off;
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
CREATE TEMP TABLE timing AS
SELECT (SELECT count(*) FROM pairs) AS n,
       pg_temp.best_of_3('SELECT count(*) FROM pairs WHERE a IS NOT NULL AND b IS NOT NULL') AS scan;

\echo
\echo '== match: per-pair nanoseconds, net of a plain scan (parallel query off, best of 3)'
SELECT pairs AS "pairs", round((scan / n * 1e9)::numeric, 1) AS "plain scan ns/pair" FROM timing, LATERAL (SELECT n AS pairs) x;
WITH cases(capability, ours, peer_name, peer) AS (VALUES
  ('jaro_winkler', 'brent_mdm.jaro_winkler(a, b)', 'pg_similarity jarowinkler', 'jarowinkler(a, b)'),
  ('jaro', 'brent_mdm.jaro(a, b)', 'pg_similarity jaro', 'jaro(a, b)'),
  ('levenshtein', 'brent_mdm.levenshtein(a, b)', 'fuzzystrmatch levenshtein', 'public.levenshtein(a, b)'),
  ('levenshtein', 'brent_mdm.levenshtein(a, b)', 'pg_similarity lev', 'lev(a, b)'),
  ('levenshtein_within k=2', 'CASE WHEN brent_mdm.levenshtein_within(a, b, 2) THEN 1 END', 'fuzzystrmatch levenshtein_less_equal', 'CASE WHEN levenshtein_less_equal(a, b, 2) <= 2 THEN 1 END'),
  ('soundex (first word)', 'brent_mdm.soundex(split_part(a, '' '', 1))', 'fuzzystrmatch soundex', 'public.soundex(split_part(a, '' '', 1))'),
  ('double_metaphone (first word)', 'brent_mdm.double_metaphone(split_part(a, '' '', 1))', 'fuzzystrmatch dmetaphone', 'dmetaphone(split_part(a, '' '', 1))'),
  ('jaro_winkler vs trigrams', 'brent_mdm.jaro_winkler(a, b)', 'pg_trgm similarity', 'similarity(a, b)'),
  ('name_similarity vs trigrams', 'brent_mdm.name_similarity(a, b)', 'pg_trgm similarity', 'similarity(a, b)')),
runs AS (
  SELECT capability, peer_name,
         pg_temp.best_of_3(format('SELECT count(%s) FROM pairs', ours)) AS t_ours,
         pg_temp.best_of_3(format('SELECT count(%s) FROM pairs', peer)) AS t_peer
    FROM cases)
SELECT capability, peer_name AS peer,
       round(((t_ours - scan) / n * 1e9)::numeric, 1) AS ours_ns,
       round(((t_peer - scan) / n * 1e9)::numeric, 1) AS peer_ns,
       round(((t_peer - scan) / nullif(t_ours - scan, 0))::numeric, 2) AS ratio
  FROM runs, timing;

\echo
\echo '== normalise_name on ASCII input (goal: under 150 ns per call, net of the scan)'
CREATE TEMP TABLE ascii_names AS SELECT a FROM pairs WHERE a !~ '[^\x01-\x7f]';
SELECT count(*) AS ascii_names,
       round(((pg_temp.best_of_3('SELECT count(brent_mdm.normalise_name(a)) FROM ascii_names')
              - pg_temp.best_of_3('SELECT count(a) FROM ascii_names')) / count(*) * 1e9)::numeric, 1) AS ns_per_call,
       round(((pg_temp.best_of_3('SELECT count(lower(a)) FROM ascii_names')
              - pg_temp.best_of_3('SELECT count(a) FROM ascii_names')) / count(*) * 1e9)::numeric, 1) AS lower_ns_for_scale
  FROM ascii_names;

\echo
\echo '== the peers against ours on the same pairs (disagreements)'
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE public.levenshtein(a, b) <> brent_mdm.levenshtein(a, b)) AS fuzzystrmatch_levenshtein_differs,
       count(*) FILTER (WHERE a ~ '[^\x01-\x7f]' OR b ~ '[^\x01-\x7f]') AS non_ascii_pairs,
       count(*) FILTER (WHERE abs(jaro(a, b) - brent_mdm.jaro(a, b)) > 1e-9) AS pg_similarity_jaro_differs,
       count(*) FILTER (WHERE abs(jarowinkler(a, b) - brent_mdm.jaro_winkler(a, b)) > 1e-9) AS pg_similarity_jw_differs,
       count(*) FILTER (WHERE abs(jarowinkler(a, b) - brent_mdm.jaro_winkler(a, b)) > 1e-9
                          AND a !~ '[^\x01-\x7f]' AND b !~ '[^\x01-\x7f]') AS jw_differs_on_ascii,
       count(*) FILTER (WHERE public.soundex(w) <> brent_mdm.soundex(w)) AS soundex_differs,
       count(*) FILTER (WHERE public.soundex(w) <> brent_mdm.soundex(w) AND w !~ '[^\x01-\x7f]') AS soundex_differs_ascii,
       count(*) FILTER (WHERE dmetaphone(w) <> brent_mdm.double_metaphone(w)) AS dmetaphone_differs,
       count(*) FILTER (WHERE dmetaphone(w) <> brent_mdm.double_metaphone(w) AND w !~ '[^\x01-\x7f]') AS dmetaphone_differs_ascii
  FROM (SELECT a, b, split_part(a, ' ', 1) AS w FROM pairs) p;
\echo 'examples:'
(SELECT 'levenshtein' AS f, a, b, public.levenshtein(a, b)::text AS peer, brent_mdm.levenshtein(a, b)::text AS ours
   FROM pairs WHERE public.levenshtein(a, b) <> brent_mdm.levenshtein(a, b) LIMIT 3)
UNION ALL
(SELECT 'jarowinkler', a, b, round(jarowinkler(a, b)::numeric, 4)::text, round(brent_mdm.jaro_winkler(a, b)::numeric, 4)::text
   FROM pairs WHERE abs(jarowinkler(a, b) - brent_mdm.jaro_winkler(a, b)) > 1e-9
    AND a !~ '[^\x01-\x7f]' AND b !~ '[^\x01-\x7f]' LIMIT 3)
UNION ALL
(SELECT 'soundex', w, '', public.soundex(w), brent_mdm.soundex(w)
   FROM (SELECT DISTINCT split_part(a, ' ', 1) AS w FROM pairs) p
  WHERE public.soundex(w) <> brent_mdm.soundex(w) AND w !~ '[^\x01-\x7f]' LIMIT 3)
UNION ALL
(SELECT 'soundex', w, '', public.soundex(w), brent_mdm.soundex(w)
   FROM (SELECT DISTINCT split_part(a, ' ', 1) AS w FROM pairs) p
  WHERE public.soundex(w) <> brent_mdm.soundex(w) AND w ~ '[^\x01-\x7f]' LIMIT 3)
UNION ALL
(SELECT 'dmetaphone', w, '', dmetaphone(w), brent_mdm.double_metaphone(w)
   FROM (SELECT DISTINCT split_part(a, ' ', 1) AS w FROM pairs) p
  WHERE dmetaphone(w) <> brent_mdm.double_metaphone(w) LIMIT 3);
SQL
echo "ratio = peer ns / ours ns (above 1: brent_mdm is faster)"
