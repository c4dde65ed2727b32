-- pgTAP: errors on bad input say what is wrong, and the Client Index does not
-- keep a model trained on a toy load (issue 10, "bad input").  The sweep of
-- every function over bad values, and the checks needing two sessions or
-- another database, are in test/bad_input.sh.
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
SET LOCAL search_path = brent_mdm, public;
SELECT plan(25);

-- ---- clear errors ----
SELECT throws_ok($$SELECT * FROM dedupe(0, 'id', '{"a": "given_name"}')$$, '42P01',
                 'relation with OID 0 does not exist',
                 'dedupe of a relation that is not there names it (said "does not exist in (null)")');
SELECT throws_ok($$SELECT * FROM blocking_estimate(123456789, 'id', '{"a": "given_name"}')$$, '42P01',
                 'relation with OID 123456789 does not exist', 'blocking_estimate too');
SELECT throws_ok($$SELECT * FROM client_index_load(NULL)$$, '22004',
                 'client_index_load: source must not be NULL',
                 'client_index_load(NULL) says so (said "in <NULL>")');
SELECT throws_ok($$SELECT * FROM client_index_load(0)$$, '42P01', NULL,
                 'client_index_load of a relation that is not there');
CREATE TEMP TABLE src_null (system text, record_key text, given_name text);
INSERT INTO src_null VALUES ('housing', 'h1', 'Ann'), (NULL, 'h2', 'Bob');
SELECT throws_ok($$SELECT * FROM client_index_load('src_null')$$, '23502',
                 'client_index_load: a record of src_null has no system (record_key h2)',
                 'a source record without a system is named (was a raw not-null violation)');
CREATE TEMP TABLE src_empty (system text, record_key text, given_name text);
INSERT INTO src_empty VALUES ('', 'e1', 'Ann');
SELECT throws_ok($$SELECT * FROM client_index_load('src_empty')$$, '23514',
                 'client_index_load: src_empty has a record whose system '''' is not a system name',
                 'an empty system is named (was a raw check violation)');
CREATE TEMP TABLE src_int (system integer, record_key integer, given_name text);
INSERT INTO src_int VALUES (7, 1, 'Ann');
SELECT throws_ok($$SELECT * FROM client_index_load('src_int')$$, '23514',
                 'client_index_load: src_int has a record whose system ''7'' is not a system name',
                 'an integer system is named');
CREATE TEMP TABLE src_nokey (system text, record_key text, given_name text);
INSERT INTO src_nokey VALUES ('housing', NULL, 'Ann');
SELECT throws_ok($$SELECT * FROM client_index_load('src_nokey')$$, '23502',
                 'client_index_load: a record of src_nokey from system housing has no record_key',
                 'a record without a key is named');
SELECT throws_ok($$SELECT client_index_cache_invalidate()$$, '39P01',
                 'client_index_cache_invalidate() must be called as a trigger',
                 'the cache trigger called directly names itself (named name_variant_changed)');
SELECT is((SELECT count(*)::int FROM match_explain('no model', NULL, '{}')), 0,
          'match_explain with a NULL record returns nothing (crashed the server)');
SELECT is(match_explain_json('no model', '{}', NULL), NULL, 'match_explain_json likewise');

-- ---- oversized blocks: duplicates still link (3,000 identical records were 3,000 singletons) ----
-- Every blocking key of these tables is shared by more than 500 records (blocks once skipped,
-- now compared by their groups of identical records, or split by sorted neighbourhood).
CREATE TEMP TABLE same AS
  SELECT g AS id, 'John'::text AS first_name, 'Smith'::text AS surname, date '1980-01-02' AS dob,
         'HA9 0AA'::text AS postcode
    FROM generate_series(1, 3000) g;
SELECT is((SELECT count(DISTINCT cluster_id)::int FROM dedupe('same', 'id',
             '{"first_name": "given_name", "surname": "surname", "dob": "date", "postcode": "postcode"}')),
          1, '3,000 identical records (name, date of birth, postcode) are one person (were 3,000 singletons)');
SELECT is((SELECT count(DISTINCT cluster_id)::int FROM dedupe('same', 'id',
             '{"first_name": "given_name", "surname": "surname", "dob": "date"}')),
          1, 'and without the postcode');
-- n persons, each loaded per_person times: one cluster per person, no two persons together
CREATE FUNCTION pg_temp.copies(persons int, per_person int) RETURNS TABLE (clusters bigint, mixed bigint)
LANGUAGE plpgsql AS $f$
BEGIN
  DROP TABLE IF EXISTS pg_temp.dup_copies;
  CREATE TEMP TABLE dup_copies AS
    SELECT g AS id, g % persons AS person,
           (ARRAY['John','Mary','Ahmed','Priya','Tomasz','Grace','Liam','Fatima','Oliver','Chen'])[g % persons + 1] AS first_name,
           (ARRAY['Smith','Patel','Khan','Nowak','Okafor','Jones','Murphy','Ali','Brown','Wang'])[g % persons + 1] AS surname,
           date '1970-01-01' + (g % persons) * 997 AS dob,
           (ARRAY['HA9 0AA','NW10 1AB','HA0 2CD','NW2 3EF','HA8 4GH','NW6 5JK','HA3 6LM','NW9 7NP','HA1 8QR','NW4 9ST'])[g % persons + 1] AS postcode
      FROM generate_series(1, persons * per_person) g;
  RETURN QUERY
    SELECT count(*), count(*) FILTER (WHERE m.n > 1)
      FROM (SELECT d.cluster_id, count(DISTINCT c.person) AS n
              FROM dedupe('dup_copies', 'id', '{"first_name": "given_name", "surname": "surname", "dob": "date", "postcode": "postcode"}') d
              JOIN dup_copies c ON c.id::text = d.record_id
             GROUP BY d.cluster_id) m;
END $f$;
SELECT is((SELECT (clusters, mixed)::text FROM pg_temp.copies(10, 300)), '(10,0)',
          '10 persons x 300 copies: 10 clusters, none with two persons');
SELECT is((SELECT (clusters, mixed)::text FROM pg_temp.copies(5, 600)), '(5,0)',
          '5 persons x 600 copies (blocks of 600, over the limit): 5 clusters, none with two persons (were 3,000 singletons)');
SELECT is((SELECT sum(split_blocks)::int FROM blocking_estimate('same', 'id',
             '{"first_name": "given_name", "surname": "surname", "dob": "date", "postcode": "postcode"}')),
          0, 'blocking_estimate splits no block of 3,000 records that are one record 3,000 times (one group)');
CREATE TEMP TABLE same_left AS SELECT * FROM same WHERE id <= 1500;
CREATE TEMP TABLE same_right AS SELECT * FROM same WHERE id > 1500;
SELECT is((SELECT (count(DISTINCT left_id), count(DISTINCT right_id))::text
             FROM link('same_left', 'same_right', 'id', '{"first_name": "given_name", "surname": "surname", "dob": "date", "postcode": "postcode"}')
            WHERE match_probability >= 0.5),
          '(1500,1500)', 'link of 1,500 identical records to 1,500 more pairs each of them (gave no pair)');
SELECT lives_ok($$SELECT * FROM train_model('same', 'same', 'id', '{"first_name": "given_name", "surname": "surname", "dob": "date"}')$$,
                'a model trains on 3,000 identical records');
SELECT is((SELECT candidate_pairs FROM link_model WHERE model_name = 'same'), 2999::bigint,
          'each of 3,000 identical records is compared with the first of them (blocks of 3,000 were skipped: 0 pairs)');
-- A block of more than 500 different records is split by sorted neighbourhood (was skipped).
CREATE TEMP TABLE crowd AS
  SELECT g AS id, md5(g::text) AS nm, date '1980-01-02' AS dob, 'HA9 0AA'::text AS postcode
    FROM generate_series(1, 3000) g;
SELECT is((SELECT sum(split_blocks)::int FROM blocking_estimate('crowd', 'id', '{"nm": "text", "dob": "date", "postcode": "postcode"}')),
          2, 'blocking_estimate: 3,000 different records sharing a date and a postcode are two split blocks (were two skipped blocks)');
SELECT is((SELECT count(DISTINCT cluster_id)::int FROM dedupe('crowd', 'id', '{"nm": "text", "dob": "date", "postcode": "postcode"}')),
          3000, 'and 3,000 different people stay 3,000');

-- ---- the Client Index retrains a model the records outgrew ----
SELECT lives_ok($$SELECT * FROM generate_borough(1500, 5, 'bi_ci')$$, 'a borough');
INSERT INTO client_source (system) SELECT DISTINCT system FROM bi_ci.person_record;
CREATE TEMP VIEW toy AS SELECT * FROM bi_ci.person_record ORDER BY system, record_key LIMIT 2;
SELECT lives_ok($$SELECT * FROM client_index_load('toy')$$, 'a first load of 2 records trains a model on them');
SELECT is((SELECT records FROM link_model WHERE model_name = 'client_index'), 2::bigint, 'the model knows 2 records');
SELECT ok((SELECT clients < 0.9 * records FROM client_index_load('bi_ci.person_record'))
          AND (SELECT records FROM link_model WHERE model_name = 'client_index') = (SELECT count(*) FROM client_record),
          'loading the borough trains the model again on all its records, and records join clients '
          '(the toy model was kept: every record became a client)');

SELECT * FROM finish();
ROLLBACK;
