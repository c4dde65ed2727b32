-- pgTAP: the memory of a linkage run (issue 11, cause 8).  Records are read
-- through a cursor, 10,000 at a time, and kept prepared in an arena: records
-- read in different batches are compared and returned with their own ids.
-- brent_mdm.linkage_memory is honoured: a run that would take more stops with
-- an error while reading its records, or before it makes its candidate pairs;
-- a limit that the run fits in does not change its result; and a run of
-- 24,000 records fits in 16 MB more than the backend held before it.
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
SET LOCAL search_path = brent_mdm, public;
SELECT plan(23);

-- 12,000 people (values drawn by md5 of the person's number: deterministic),
-- two records each: the first copies have ids 000001 to 012000, the second
-- (two letters of the first given name swapped) 012001 to 024000, so that
-- records read in the first batch of 10,000 are the partners of records read
-- in the second and third.
CREATE FUNCTION pg_temp.h(i int, salt text) RETURNS int LANGUAGE sql IMMUTABLE
  AS $$ SELECT ('x' || substr(md5(salt || i), 1, 7))::bit(28)::int $$;
CREATE FUNCTION pg_temp.given(i int, salt text) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT (ARRAY['John','Mary','David','Sarah','James','Fatima','Mohammed','Priya','Daniel','Grace',
                'Michael','Aisha','Robert','Emma','Thomas','Olivia','Ahmed','Chloe','Peter','Hannah',
                'William','Sophie','Joseph','Laura','Samuel','Rachel','Andrew','Zara','Richard','Megan',
                'Anthony','Lucy','Patrick','Amelia','Hassan','Ruth','Oliver','Nadia','George','Helen',
                'Edward','Alice','Benjamin','Jessica','Matthew','Rebecca','Simon','Victoria','Martin','Fiona',
                'Stephen','Amina','Paul','Esther','Brian','Irene','Dennis','Yasmin','Frank','Wendy'])[1 + pg_temp.h(i, salt) % 60] $$;
CREATE TEMP TABLE recs AS
WITH p AS (
  SELECT i, pg_temp.given(i, 'g') AS g1, pg_temp.given(i, 'm') AS g2,
         (ARRAY['Patel','Khan','Jones','Okafor','Nowak','Murphy','Begum','Brown','Wang','Ali',
                'Singh','Taylor','Osei','Kowalski','Davies','Shah','Evans','Costa','Hughes','Mensah'])[1 + pg_temp.h(i, 's') % 20] AS last,
         date '1930-01-01' + pg_temp.h(i, 'b') % 29000 AS born,
         'NW' || (1 + pg_temp.h(i, 'd') % 11) || ' ' || (1 + pg_temp.h(i, 'u') % 9) ||
         (ARRAY['A','B','D','E','F','G','H','J','L','N','P','Q','R','S','T','U','W','X','Y','Z'])[1 + pg_temp.h(i, 'x') % 20] ||
         (ARRAY['A','B','D','E','F','G','H','J','L','N','P','Q','R','S','T','U','W','X','Y','Z'])[1 + pg_temp.h(i, 'y') % 20] AS postcode
    FROM generate_series(1, 12000) i)
SELECT lpad((k * 12000 + i)::text, 6, '0') AS id, i AS person,
       CASE WHEN k = 1 THEN left(g1, 1) || substr(g1, 3, 1) || substr(g1, 2, 1) || substr(g1, 4) ELSE g1 END
         || ' ' || g2 AS first,
       last, born, postcode
  FROM p, generate_series(0, 1) k;
\set mapping '{"first": "given_name", "last": "surname", "born": "date", "postcode": "postcode"}'

-- the backend's memory now, in kB (every memory context's blocks)
CREATE FUNCTION pg_temp.held_kb() RETURNS bigint LANGUAGE sql
  AS $$ SELECT (sum(total_bytes) / 1024)::bigint FROM pg_backend_memory_contexts $$;
-- the error a statement raises: its message and detail, or NULL
CREATE FUNCTION pg_temp.failure(q text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE msg text; det text;
BEGIN
  EXECUTE q;
  RETURN NULL;
EXCEPTION WHEN program_limit_exceeded OR configuration_limit_exceeded THEN
  GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
  RETURN msg || ' / ' || det;
END $f$;

SELECT is(current_setting('brent_mdm.linkage_memory'), '4GB', 'brent_mdm.linkage_memory is 4 GB by default');

-- ---- records read in three batches ----
CREATE TEMP TABLE unlimited AS SELECT * FROM dedupe('recs', 'id', :'mapping');
SELECT is((SELECT (count(*), count(DISTINCT u.record_id), count(r.id))::text FROM unlimited u LEFT JOIN recs r ON r.id = u.record_id),
          '(24000,24000,24000)', 'dedupe returns each of the 24,000 records once, by its own id');
SELECT is((SELECT count(*) FROM (SELECT r.person FROM unlimited u JOIN recs r ON r.id = u.record_id
                                  GROUP BY r.person HAVING count(DISTINCT u.cluster_id) = 1) s),
          12000::bigint, 'each person''s two records, read in different batches, are in one cluster');
SELECT is((SELECT count(*) FROM (SELECT u.cluster_id FROM unlimited u JOIN recs r ON r.id = u.record_id
                                  GROUP BY u.cluster_id HAVING count(DISTINCT r.person) > 1) s),
          0::bigint, 'and no cluster holds two people');

-- ---- the limit is honoured ----
SET LOCAL brent_mdm.linkage_memory = '1MB';
SELECT matches(pg_temp.failure($$SELECT count(*) FROM brent_mdm.dedupe('recs', 'id',
                 '{"first": "given_name", "last": "surname", "born": "date", "postcode": "postcode"}')$$),
               '^linkage would take more memory than brent_mdm.linkage_memory allows \(1 MB\) / .*reading the records',
               'a limit below what the backend holds: stopped while reading the records (54000)');

-- 20,000 records at 50 postcodes, 400 at each: about 4 million candidate pairs,
-- refused before any is made when the limit leaves 100 MB for the run
CREATE TEMP TABLE crowded AS
SELECT lpad(i::text, 6, '0') AS id, 'NW' || (1 + i % 50) || ' 1AB' AS postcode FROM generate_series(1, 20000) i;
SELECT set_config('brent_mdm.linkage_memory', (pg_temp.held_kb() + 100 * 1024)::text, true) IS NOT NULL AS set \gset
SELECT matches(pg_temp.failure($$SELECT count(*) FROM brent_mdm.dedupe('crowded', 'id', '{"postcode": "postcode"}')$$),
               '^linkage would take more memory .* / .*making and comparing [0-9]+ candidate pairs would take about [0-9]+ MB more',
               'a run whose candidate pairs would not fit: stopped before they are made');
SELECT cmp_ok((SELECT sum(comparisons) FROM blocking_estimate('crowded', 'id', '{"postcode": "postcode"}')), '>=',
              3990000::numeric, 'blocking_estimate still answers (it makes no pair): about 4 million comparisons');

-- a run of 24,000 records fits in 16 MB more than the backend holds (before
-- records were read in batches into an arena, they alone took more)
SELECT set_config('brent_mdm.linkage_memory', (pg_temp.held_kb() + 16 * 1024)::text, true) IS NOT NULL AS set \gset
SELECT is(pg_temp.failure($$CREATE TEMP TABLE limited AS SELECT * FROM brent_mdm.dedupe('recs', 'id',
            '{"first": "given_name", "last": "surname", "born": "date", "postcode": "postcode"}')$$),
          NULL, 'dedupe of the 24,000 records runs in 16 MB more than the backend held');
SELECT is((SELECT count(*) FROM (SELECT * FROM limited EXCEPT SELECT * FROM unlimited) d), 0::bigint,
          'the same clusters as without a limit');
SET LOCAL brent_mdm.linkage_memory = 0;
SELECT is(pg_temp.failure($$SELECT count(*) FROM brent_mdm.dedupe('recs', 'id',
            '{"first": "given_name", "last": "surname", "born": "date", "postcode": "postcode"}')$$),
          NULL, '0: no limit');

-- ---- records and pairs spilled past brent_mdm.linkage_work_mem (store.c) ----
-- The 24,000 records take about 4 MB: with 1 MB they, and their candidate
-- pairs, are written to a temporary file in chunks and read back (sql/link.sql
-- shows the notice that says so); the pairs are sorted chunk by chunk and
-- merged in two steps, and compared in windows; every result is the same as
-- in memory.
SELECT is(current_setting('brent_mdm.linkage_work_mem'), '256MB', 'brent_mdm.linkage_work_mem is 256 MB by default');
SELECT throws_ok($$SET LOCAL brent_mdm.linkage_work_mem = '512kB'$$, '22023', NULL,
                 'less than 1 MB (16 chunks, the least a run keeps) is refused');
SET LOCAL brent_mdm.linkage_work_mem = '1MB';
CREATE TEMP TABLE spilled AS SELECT * FROM dedupe('recs', 'id', :'mapping');
SELECT is((SELECT count(*) FROM ((SELECT * FROM spilled EXCEPT SELECT * FROM unlimited)
                                 UNION ALL (SELECT * FROM unlimited EXCEPT SELECT * FROM spilled)) d),
          0::bigint, 'records spilled: dedupe gives the same clusters, record for record');
-- link: the first table's records, then the second's, spilled alike
CREATE TEMP TABLE recs_a AS SELECT * FROM recs WHERE id <= '012000';
CREATE TEMP TABLE recs_b AS SELECT * FROM recs WHERE id > '012000';
CREATE TEMP TABLE linked_spilled AS SELECT * FROM link('recs_a', 'recs_b', 'id', :'mapping');
RESET brent_mdm.linkage_work_mem;
CREATE TEMP TABLE linked AS SELECT * FROM link('recs_a', 'recs_b', 'id', :'mapping');
SELECT cmp_ok((SELECT count(*) FROM linked), '>=', 11000::bigint, 'link pairs most of the 12,000 people (in memory)');
SELECT is((SELECT count(*) FROM ((SELECT * FROM linked_spilled EXCEPT SELECT * FROM linked)
                                 UNION ALL (SELECT * FROM linked EXCEPT SELECT * FROM linked_spilled)) d),
          0::bigint, 'records spilled: link gives the same pairs with the same probabilities');
-- a model trained with its records spilled: the same m, u and term frequencies
SELECT count(*) > 0 AS trained FROM train_model('mem_in_memory', 'recs', 'id', :'mapping') \gset
SET LOCAL brent_mdm.linkage_work_mem = '1MB';
SELECT count(*) > 0 AS trained FROM train_model('mem_spilled', 'recs', 'id', :'mapping') \gset
SELECT is((SELECT count(*) FROM ((SELECT column_name, level, m, u FROM link_model_level WHERE model_name = 'mem_spilled'
                                  EXCEPT SELECT column_name, level, m, u FROM link_model_level WHERE model_name = 'mem_in_memory')
                                 UNION ALL
                                 (SELECT column_name, level, m, u FROM link_model_level WHERE model_name = 'mem_in_memory'
                                  EXCEPT SELECT column_name, level, m, u FROM link_model_level WHERE model_name = 'mem_spilled')) d),
          0::bigint, 'records spilled: train_model keeps the same m and u');
SELECT is((SELECT count(*) FROM ((SELECT column_name, value_hash, frequency FROM link_model_tf WHERE model_name = 'mem_spilled'
                                  EXCEPT SELECT column_name, value_hash, frequency FROM link_model_tf WHERE model_name = 'mem_in_memory')
                                 UNION ALL
                                 (SELECT column_name, value_hash, frequency FROM link_model_tf WHERE model_name = 'mem_in_memory'
                                  EXCEPT SELECT column_name, value_hash, frequency FROM link_model_tf WHERE model_name = 'mem_spilled')) d),
          0::bigint, 'and the same term frequencies');
-- labelled training finds the labels' records by their ids (an index in the store), spilled or not
CREATE TEMP TABLE labels AS
  SELECT a.id AS id_a, b.id AS id_b, true AS is_match
    FROM recs a JOIN recs b ON b.person = a.person AND b.id > a.id WHERE a.person % 20 = 0;
SELECT count(*) > 0 AS trained FROM train_model_labelled('lab_spilled', 'recs', 'id', :'mapping', 'labels') \gset
RESET brent_mdm.linkage_work_mem;
SELECT count(*) > 0 AS trained FROM train_model_labelled('lab_in_memory', 'recs', 'id', :'mapping', 'labels') \gset
SELECT is((SELECT count(*) FROM ((SELECT column_name, level, m, u FROM link_model_level WHERE model_name = 'lab_spilled'
                                  EXCEPT SELECT column_name, level, m, u FROM link_model_level WHERE model_name = 'lab_in_memory')
                                 UNION ALL
                                 (SELECT column_name, level, m, u FROM link_model_level WHERE model_name = 'lab_in_memory'
                                  EXCEPT SELECT column_name, level, m, u FROM link_model_level WHERE model_name = 'lab_spilled')) d)
          + (SELECT count(*) FROM link_model WHERE model_name = 'lab_spilled' AND trained_on NOT LIKE '%600 labelled pairs%'),
          0::bigint, 'records spilled: train_model_labelled finds the 600 labelled pairs and keeps the same m and u');
SET LOCAL brent_mdm.linkage_work_mem = '1MB';
-- a record larger than a chunk (64 kB) has a chunk of its own, spilled and read back whole
CREATE TEMP TABLE big AS
  SELECT id, first, last, born, postcode, NULL::text AS note FROM recs
  UNION ALL SELECT '900001', 'Mary Ann', 'Okafor', date '1950-01-01', 'NW1 1AB', repeat('long note ', 20000)
  UNION ALL SELECT '900002', 'Mary Ann', 'Okafor', date '1950-01-01', 'NW1 1AB', repeat('long note ', 20000);
SELECT is((SELECT count(DISTINCT cluster_id) FROM dedupe('big', 'id',
             '{"first": "given_name", "last": "surname", "born": "date", "postcode": "postcode", "note": "text"}')
            WHERE record_id IN ('900001', '900002')),
          1::bigint, 'two records of 200 kB each, spilled, are compared whole (one cluster)');
-- the temporary file is bounded by temp_file_limit: a clear error, nothing kept
SET LOCAL temp_file_limit = '64kB';
SELECT matches(pg_temp.failure($$SELECT count(*) FROM dedupe('recs', 'id',
                 '{"first": "given_name", "last": "surname", "born": "date", "postcode": "postcode"}')$$),
               'temporary file size exceeds temp_file_limit',
               'records that do not fit in temp_file_limit: the run stops with the server''s error (53400)');

RESET temp_file_limit;

-- ---- memory flat as records grow (store.c; brent_mdm.linkage_last_run) ----
-- Nothing of a run is kept in memory by record or by pair beside its store:
-- the records' places are kept in their chunks, and clustering's, blocking's
-- and training's arrays are arrays of the store.  So a run of twelve times
-- the records holds no more beside its store (before, about 80 bytes more a
-- record: 8.6 MB more here).  Plain tables (a temporary table's buffers are
-- backend memory), work_mem at its least (sorts and the result's tuplestore),
-- and a first run to load what a session keeps (the name variants).
CREATE FUNCTION pg_temp.people(n int) RETURNS TABLE (id text, first text, last text, born date, postcode text)
  LANGUAGE sql AS $$
  SELECT lpad((k * n + i)::text, 7, '0'),
         CASE WHEN k = 1 THEN left(g, 1) || substr(g, 3, 1) || substr(g, 2, 1) || substr(g, 4) ELSE g END,
         (ARRAY['Patel','Khan','Jones','Okafor','Nowak','Murphy','Begum','Brown','Wang','Ali',
                'Singh','Taylor','Osei','Kowalski','Davies','Shah','Evans','Costa','Hughes','Mensah'])[1 + pg_temp.h(i, 's') % 20],
         date '1930-01-01' + pg_temp.h(i, 'b') % 29000,
         'NW' || (1 + pg_temp.h(i, 'd') % 11) || ' ' || (1 + pg_temp.h(i, 'u') % 9) ||
         (ARRAY['A','B','D','E','F','G','H','J','L','N','P','Q','R','S','T','U','W','X','Y','Z'])[1 + pg_temp.h(i, 'x') % 20] ||
         (ARRAY['A','B','D','E','F','G','H','J','L','N','P','Q','R','S','T','U','W','X','Y','Z'])[1 + pg_temp.h(i, 'y') % 20]
    FROM (SELECT i, pg_temp.given(i, 'g') || ' ' || pg_temp.given(i, 'm') AS g FROM generate_series(1, n) i) p,
         generate_series(0, 1) k $$;
CREATE TABLE public.mem_small AS SELECT * FROM pg_temp.people(5000);
CREATE TABLE public.mem_big AS SELECT * FROM pg_temp.people(60000);
SET LOCAL work_mem = '64kB';
SET LOCAL brent_mdm.linkage_work_mem = '1MB';
SELECT count(*) AS warm FROM dedupe('public.mem_small', 'id', :'mapping') \gset
SELECT count(*) AS small FROM dedupe('public.mem_small', 'id', :'mapping') \gset
CREATE TEMP TABLE run_small AS SELECT * FROM linkage_last_run();
SELECT count(*) AS big FROM dedupe('public.mem_big', 'id', :'mapping') \gset
CREATE TEMP TABLE run_big AS SELECT * FROM linkage_last_run();
SELECT is((SELECT (records, candidate_pairs > 0, work_mem_kb, spilled, chunks_written > 0, chunks_read > 0)::text FROM run_big),
          '(120000,t,1024,t,t,t)', 'linkage_last_run: the run''s records and pairs, its setting, spilled, chunks written and read back');
SELECT cmp_ok((SELECT store_peak_kb FROM run_big), '<=', 1024::bigint,
              'the store held no more than brent_mdm.linkage_work_mem');
-- each step apart: a step's own arrays would be hidden under the peak of another
SELECT is((SELECT array_agg(step ORDER BY step) FROM run_big b, run_small s,
                  LATERAL (VALUES ('reading', b.beside_reading_kb - s.beside_reading_kb),
                                  ('blocking', b.beside_blocking_kb - s.beside_blocking_kb),
                                  ('training', b.beside_training_kb - s.beside_training_kb),
                                  ('clustering', b.beside_clustering_kb - s.beside_clustering_kb),
                                  ('the whole run', b.beside_peak_kb - s.beside_peak_kb)) v(step, more_kb)
            WHERE more_kb * 1024 >= 8 * (120000 - 10000)),
          NULL,
          '120,000 records hold less than 8 bytes a record more beside the store than 10,000, in every step');
RESET work_mem;

SELECT * FROM finish();
ROLLBACK;
