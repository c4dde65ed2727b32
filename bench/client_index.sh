#!/usr/bin/env bash
# Benchmark: the Client Index.
#   1. Build: client_index_load of a generated borough's person records (default
#      600,000 people, about a million records): load, train, cluster, golden records.
#      Accuracy of the clients against the generator's truth (pairwise P, R, F1).
#   2. Real time: 10,000 inserts, each its own transaction, against that master:
#      half are new records of residents already in the index (another system's
#      record of them, as generated), half are people the index has never seen
#      (from a second borough with another seed).  p50, p95 and p99 of the insert
#      (server side: matching trigger, golden record, history, change feed), and
#      how many joined the right client or correctly made a new one.
#      Peer, same records, same run: what a council writes with stock PostgreSQL,
#      an INSERT into a plain table with a trigger that looks for the person with
#      pg_trgm (the 10 nearest full names by trigram distance among records with the
#      same date of birth or postcode; best similarity at least 0.5).
#   3. Retrains: records moved to another client by a retrain on unchanged data, and by one
#      after one new record and one review decision (BENCH_CLIENT_RETRAIN=0 skips it).
#   ./run bench client_index          BENCH_CLIENT_PEOPLE=100000 ./run bench client_index
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
people=${BENCH_CLIENT_PEOPLE:-600000}
inserts=${BENCH_CLIENT_INSERTS:-10000}
db=brent_bench_client
createdb "$db" 2>/dev/null || true
export PGDATABASE=$db
psql -X -q -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE; CREATE EXTENSION IF NOT EXISTS pg_trgm"

printf '\n== client index: build from a borough of %s people\n' "$people"
psql -X -q -v ON_ERROR_STOP=1 -v people="$people" -v inserts="$inserts" <<'SQL'
SET client_min_messages = warning;
\pset footer off
DROP TABLE IF EXISTS held, arrival, expected_client, timing, peer_record, placed CASCADE;
DROP SEQUENCE IF EXISTS peer_client;
DROP FUNCTION IF EXISTS peer_match CASCADE;
DROP PROCEDURE IF EXISTS insert_arrivals, insert_arrivals_peer;
SELECT count(*) AS tables FROM brent_mdm.generate_borough(:people, 1, 'cb', true);
SELECT count(*) AS tables FROM brent_mdm.generate_borough(20000, 77, 'arrivals', true);
TRUNCATE brent_mdm.client_record, brent_mdm.client, brent_mdm.client_history, brent_mdm.client_change,
         brent_mdm.review_queue, brent_mdm.client_source CASCADE;
DELETE FROM brent_mdm.link_model WHERE model_name = 'client_index';
INSERT INTO brent_mdm.client_source (system, trust, min_age) VALUES
  ('health_visiting', 90, 0), ('school_census', 85, 0), ('childrens_social_care', 80, 0), ('adult_social_care', 80, 18),
  ('housing', 75, 18), ('electoral_register', 70, 16), ('early_years', 65, 0), ('council_tax', 60, 18),
  ('revenues_benefits', 55, 16), ('youth_offending', 60, 0), ('asb_case', 40, 0), ('realtime', 50, 0);
-- half the arrivals: records of residents already in the index, held back from the load
CREATE TABLE held AS
SELECT system, record_key FROM cb.person_record
 WHERE system IN ('housing', 'adult_social_care', 'school_census', 'childrens_social_care', 'revenues_benefits')
 ORDER BY md5(record_key) LIMIT :inserts / 2;
CREATE VIEW load_view AS SELECT r.* FROM cb.person_record r
 WHERE NOT EXISTS (SELECT FROM held h WHERE h.system = r.system AND h.record_key = r.record_key);
\timing on
SELECT records, clients, review_pending, round(seconds::numeric, 1) AS seconds
  FROM brent_mdm.client_index_load('load_view');
\timing off
\set truth cb_truth
WITH e AS (SELECT r.client_id, t.person_id FROM brent_mdm.client_record r
             JOIN cb_truth.source_record t ON t.system = r.system AND t.record_key = r.record_key),
     tp AS (SELECT sum(n * (n - 1) / 2) AS n FROM (SELECT count(*) AS n FROM e GROUP BY client_id, person_id) s),
     pp AS (SELECT sum(n * (n - 1) / 2) AS n FROM (SELECT count(*) AS n FROM e GROUP BY client_id) s),
     tt AS (SELECT sum(n * (n - 1) / 2) AS n FROM (SELECT count(*) AS n FROM e GROUP BY person_id) s)
SELECT round(tp.n / pp.n, 4) AS precision, round(tp.n / tt.n, 4) AS recall,
       round(2 * tp.n / (pp.n + tt.n), 4) AS f1 FROM tp, pp, tt;
-- the same for pairs where one name is in another script or transliterated, and for pairs
-- where both carry a common surname (as bench/link_borough.sql counts them)
CREATE TEMP TABLE eval_x AS
SELECT r.record_id, r.client_id, t.person_id, coalesce(r.full_name, concat_ws(' ', r.given_name, r.family_name)) AS name
  FROM brent_mdm.client_record r JOIN cb_truth.source_record t ON t.system = r.system AND t.record_key = r.record_key;
CREATE INDEX ON eval_x (client_id); CREATE INDEX ON eval_x (person_id);
CREATE TEMP TABLE eval_pairs AS
SELECT true AS predicted, a.person_id = b.person_id AS truly, a.name AS name_a, b.name AS name_b
  FROM eval_x a JOIN eval_x b ON a.client_id = b.client_id AND a.record_id < b.record_id
UNION ALL
SELECT false, true, a.name, b.name
  FROM eval_x a JOIN eval_x b ON a.person_id = b.person_id AND a.record_id < b.record_id WHERE a.client_id <> b.client_id;
SELECT pairs, round(count(*) FILTER (WHERE predicted AND truly)::numeric / nullif(count(*) FILTER (WHERE predicted), 0), 4) AS precision,
       round(count(*) FILTER (WHERE predicted AND truly)::numeric / nullif(count(*) FILTER (WHERE truly), 0), 4) AS recall,
       round(2 * count(*) FILTER (WHERE predicted AND truly)::numeric /
             nullif(count(*) FILTER (WHERE predicted) + count(*) FILTER (WHERE truly), 0), 4) AS f1
  FROM (SELECT 'cross-script or transliterated' AS pairs, * FROM eval_pairs
         WHERE (name_a ~ '[^\u0000-\u024F]') <> (name_b ~ '[^\u0000-\u024F]')
            OR (brent_mdm.normalise_name(name_a) <> brent_mdm.normalise_name(name_b)
                AND brent_mdm.name_keys(name_a) && brent_mdm.name_keys(name_b)
                AND NOT (string_to_array(brent_mdm.normalise_name(name_a), ' ') && string_to_array(brent_mdm.normalise_name(name_b), ' ')))
        UNION ALL
        SELECT 'common surnames (Patel, Shah, Khan, Smith, Ali, Begum, Singh)', * FROM eval_pairs
         WHERE brent_mdm.normalise_name(name_a) ~ '\m(patel|shah|khan|smith|ali|begum|singh)\M'
           AND brent_mdm.normalise_name(name_b) ~ '\m(patel|shah|khan|smith|ali|begum|singh)\M') s
 GROUP BY pairs ORDER BY 1;

-- the arrivals, in a fixed shuffled order
CREATE TABLE arrival AS
SELECT row_number() OVER (ORDER BY md5(a.record_key || a.system)) AS n, a.*
  FROM (SELECT r.*, t.person_id, true AS known
          FROM cb.person_record r JOIN held h USING (system, record_key)
          JOIN cb_truth.source_record t USING (system, record_key)
        UNION ALL
        (SELECT r.*, NULL::bigint, false FROM arrivals.person_record r
         WHERE r.system IN ('housing', 'adult_social_care', 'school_census', 'childrens_social_care', 'revenues_benefits')
         ORDER BY 1 LIMIT :inserts / 2)) a;
-- the client each known arrival should join: the client holding most of its person's records
CREATE TABLE expected_client AS
SELECT DISTINCT ON (t.person_id) t.person_id, r.client_id
  FROM brent_mdm.client_record r JOIN cb_truth.source_record t ON t.system = r.system AND t.record_key = r.record_key
 WHERE t.person_id IN (SELECT person_id FROM arrival WHERE known)
 GROUP BY t.person_id, r.client_id ORDER BY t.person_id, count(*) DESC;

CREATE TABLE timing (who text, n bigint, ms float8);
CREATE PROCEDURE insert_arrivals(first bigint, last bigint, who text DEFAULT 'brent_mdm') LANGUAGE plpgsql AS $$
DECLARE a record; t0 timestamptz;
BEGIN
  FOR a IN SELECT * FROM arrival WHERE n BETWEEN first AND last ORDER BY n LOOP
    t0 := clock_timestamp();
    INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth,
                                         sex, postcode, address_line, nhs_number, ni_number, upn, address_from, address_to)
    VALUES ('realtime', a.system || '/' || a.record_key || '/' || a.n, a.given_name, a.family_name, a.full_name,
            a.date_of_birth, a.sex, a.postcode, a.address_line, a.nhs_number, a.ni_number, a.upn, a.address_from,
            a.address_to);
    INSERT INTO timing VALUES (who, a.n, extract(epoch FROM clock_timestamp() - t0) * 1000);
    COMMIT;
  END LOOP;
END $$;

-- the peer: a plain table of the same records, trigram index, a PL/pgSQL matching trigger
CREATE TABLE peer_record AS SELECT record_id, client_id, full_name, date_of_birth, postcode FROM brent_mdm.client_record;
CREATE INDEX ON peer_record USING gist (full_name gist_trgm_ops);
CREATE INDEX ON peer_record (date_of_birth);
CREATE INDEX ON peer_record (postcode);
CREATE SEQUENCE peer_client START 100000000;
CREATE FUNCTION peer_match() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE best record;
BEGIN
  SELECT p.client_id, similarity(p.full_name, NEW.full_name) AS s INTO best
    FROM (SELECT * FROM peer_record
           WHERE date_of_birth = NEW.date_of_birth OR postcode = NEW.postcode
           ORDER BY full_name <-> NEW.full_name LIMIT 10) p
   ORDER BY 2 DESC LIMIT 1;
  NEW.client_id := CASE WHEN best.s >= 0.5 THEN best.client_id ELSE nextval('peer_client') END;
  RETURN NEW;
END $$;
CREATE TRIGGER peer_match BEFORE INSERT ON peer_record FOR EACH ROW EXECUTE FUNCTION peer_match();
CREATE PROCEDURE insert_arrivals_peer(first bigint, last bigint) LANGUAGE plpgsql AS $$
DECLARE a record; t0 timestamptz;
BEGIN
  FOR a IN SELECT * FROM arrival WHERE n BETWEEN first AND last ORDER BY n LOOP
    t0 := clock_timestamp();
    INSERT INTO peer_record (record_id, full_name, date_of_birth, postcode)
    VALUES (-a.n, a.full_name, a.date_of_birth, a.postcode);
    INSERT INTO timing VALUES ('pg_trgm peer', a.n, extract(epoch FROM clock_timestamp() - t0) * 1000);
    COMMIT;
  END LOOP;
END $$;
SQL

printf '\n== client index: %s real-time inserts against the master, each committed (ours, then the peer)\n' "$inserts"
psql -X -q -c "CALL insert_arrivals(1, $inserts)"
psql -X -q -c "CALL insert_arrivals_peer(1, $inserts)"
# ours again, matching alone (the AFTER trigger, which keeps golden records, history and the
# feed, switched off), on the same arrivals: the part comparable with the peer's trigger
psql -X -q <<'SQL'
SET client_min_messages = warning;
CREATE TABLE placed AS SELECT record_key, client_id FROM brent_mdm.client_record WHERE system = 'realtime';
ALTER TABLE brent_mdm.client_record DISABLE TRIGGER client_record_changed;
DELETE FROM brent_mdm.client_record WHERE system = 'realtime';
SQL
psql -X -q -c "CALL insert_arrivals(1, $inserts, 'brent_mdm, matching only')"
psql -X -q <<'SQL'
SET client_min_messages = warning;
DELETE FROM brent_mdm.client_record WHERE system = 'realtime';
ALTER TABLE brent_mdm.client_record ENABLE TRIGGER client_record_changed;
INSERT INTO brent_mdm.client_record (system, record_key, client_id)
SELECT 'realtime', p.record_key, p.client_id FROM placed p;
SQL
psql -X -q <<'SQL'
\pset footer off
SELECT who, count(*) AS inserts,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 2) AS p50_ms,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY ms)::numeric, 2) AS p95_ms,
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 2) AS p99_ms,
       round(max(ms)::numeric, 1) AS max_ms
  FROM timing GROUP BY who ORDER BY who;
SELECT round((SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) FROM timing WHERE who = 'pg_trgm peer')::numeric /
             (SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) FROM timing WHERE who = 'brent_mdm')::numeric, 2)
       AS p95_ratio_peer_over_ours,
       round((SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) FROM timing WHERE who = 'pg_trgm peer')::numeric /
             (SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) FROM timing WHERE who = 'brent_mdm, matching only')::numeric, 2)
       AS p95_ratio_peer_over_our_matching;
-- were they placed right?
WITH ours AS (
  SELECT a.known, r.client_id = e.client_id AS joined_right,
         NOT EXISTS (SELECT FROM brent_mdm.client_record o WHERE o.client_id = r.client_id AND o.record_id <> r.record_id
                        AND o.system <> 'realtime') AS new_client
    FROM arrival a JOIN brent_mdm.client_record r ON r.system = 'realtime' AND r.record_key = a.system || '/' || a.record_key || '/' || a.n
    LEFT JOIN expected_client e ON e.person_id = a.person_id),
peer AS (
  SELECT a.known, p.client_id = e.client_id AS joined_right, p.client_id >= 100000000 AS new_client
    FROM arrival a JOIN peer_record p ON p.record_id = -a.n LEFT JOIN expected_client e ON e.person_id = a.person_id)
SELECT 'brent_mdm' AS who,
       round(avg(joined_right::int) FILTER (WHERE known), 4) AS known_joined_right_client,
       round(avg(new_client::int) FILTER (WHERE NOT known), 4) AS strangers_got_new_client FROM ours
UNION ALL
SELECT 'pg_trgm peer', round(avg(joined_right::int) FILTER (WHERE known), 4),
       round(avg(new_client::int) FILTER (WHERE NOT known), 4) FROM peer;
SELECT count(*) AS history_events, (SELECT count(*) FROM brent_mdm.client_change) AS changes_in_feed
  FROM brent_mdm.client_history WHERE at > now() - interval '1 hour' AND event IN ('created', 'record_joined');
SQL

# 3. Retrains: build_client_index(retrain => true) on the master as it now is, then after
#    one new record (another system's copy of a resident) and one review decision (the
#    most likely pending pair, must_link): records whose client changed in each.
if [ "${BENCH_CLIENT_RETRAIN:-1}" = 1 ]; then
printf '\n== client index: records moved to another client by each retrain\n'
psql -X -q <<'SQL'
SET client_min_messages = warning;
\pset footer off
DROP TABLE IF EXISTS retrain_before, retrain_moves;
CREATE TABLE retrain_moves (retrain text, records bigint, moved bigint, merged bigint, split bigint);
CREATE TABLE retrain_before AS SELECT record_id, client_id FROM brent_mdm.client_record;
WITH b AS (SELECT * FROM brent_mdm.build_client_index(retrain => true))
INSERT INTO retrain_moves SELECT 'on unchanged data', b.records, NULL, b.merged, b.split FROM b;
UPDATE retrain_moves SET moved = (SELECT count(*) FROM retrain_before o JOIN brent_mdm.client_record r USING (record_id)
                                   WHERE r.client_id <> o.client_id) WHERE moved IS NULL;
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, date_of_birth, postcode, nhs_number)
  SELECT system, record_key || '/again', given_name, family_name, date_of_birth, postcode, nhs_number
    FROM brent_mdm.client_record WHERE system = 'housing' ORDER BY record_id LIMIT 1;
SELECT brent_mdm.review_decide((SELECT review_id FROM brent_mdm.review_queue WHERE status = 'pending'
                                 ORDER BY match_probability DESC, review_id LIMIT 1), 'must_link') IS NOT NULL AS decided \g /dev/null
TRUNCATE retrain_before;
INSERT INTO retrain_before SELECT record_id, client_id FROM brent_mdm.client_record;
WITH b AS (SELECT * FROM brent_mdm.build_client_index(retrain => true))
INSERT INTO retrain_moves SELECT 'after one new record and one review decision', b.records, NULL, b.merged, b.split FROM b;
UPDATE retrain_moves SET moved = (SELECT count(*) FROM retrain_before o JOIN brent_mdm.client_record r USING (record_id)
                                   WHERE r.client_id <> o.client_id) WHERE moved IS NULL;
SELECT retrain, records, moved, round(100.0 * moved / records, 3) AS moved_pct, merged, split FROM retrain_moves;
DROP TABLE retrain_before, retrain_moves;
SQL
fi
