-- pgTAP: blocks of more than 500 distinct records (issue 11, cause 4), on
-- generated people: split by sorted neighbourhood, not skipped; their pairs
-- counted before any is made (max_candidate_pairs still refuses a run); linear
-- in the block's size; scored but not trained on.
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
SET LOCAL search_path = brent_mdm, public;
SELECT plan(22);

-- 1,400 people in 11 towns (values drawn by md5 of the person's number:
-- deterministic); 720 of them Smiths of Wembley (one block of the city rule of
-- 750 distinct records), each with two given names, an address and a year of
-- birth.  Smiths 1-30 are loaded twice, identically; Smiths 31-60 twice, the
-- second time with a typo in the first letter of the given names (K, or T
-- for a K sound: another sound, so that no name key brings the two together):
-- only the city's block holds those pairs.  The people of the other towns
-- are loaded twice, half identically and half with two letters of the given
-- name swapped: pairs the model learns from.
CREATE FUNCTION pg_temp.h(i int, salt text) RETURNS int LANGUAGE sql IMMUTABLE
  AS $$ SELECT ('x' || substr(md5(salt || i), 1, 7))::bit(28)::int $$;
CREATE FUNCTION pg_temp.given(i int, salt text) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT (ARRAY['John','Mary','David','Sarah','James','Fatima','Mohammed','Priya','Daniel','Grace',
                'Michael','Aisha','Robert','Emma','Thomas','Olivia','Ahmed','Chloe','Peter','Hannah',
                'William','Sophie','Joseph','Laura','Samuel','Rachel','Andrew','Zara','Richard','Megan',
                'Anthony','Lucy','Patrick','Amelia','Hassan','Ruth','Oliver','Nadia','George','Helen',
                'Edward','Alice','Benjamin','Jessica','Matthew','Rebecca','Simon','Victoria','Martin','Fiona',
                'Stephen','Amina','Paul','Esther','Brian','Irene','Dennis','Yasmin','Frank','Wendy'])[1 + pg_temp.h(i, salt) % 60] $$;
CREATE TEMP TABLE smiths AS
WITH p AS (
  SELECT i,
         pg_temp.given(i, 'g') || CASE WHEN i <= 720 THEN ' ' || pg_temp.given(i, 'm') ELSE '' END AS given,
         CASE WHEN i <= 720 THEN 'Smith'
              ELSE (ARRAY['Patel','Khan','Jones','Okafor','Nowak','Murphy','Begum','Brown','Wang','Ali',
                          'Singh','Taylor','Osei','Kowalski','Davies','Shah','Evans','Costa','Hughes','Mensah'])[1 + pg_temp.h(i, 's') % 20] END AS last,
         CASE WHEN i <= 720 THEN 'Wembley'
              ELSE (ARRAY['Harrow','Kilburn','Willesden','Neasden','Kingsbury','Alperton','Sudbury','Preston','Queensbury','Kensal'])[1 + pg_temp.h(i, 'c') % 10] END AS city,
         (1 + pg_temp.h(i, 'n') % 300) || ' ' ||
         (ARRAY['Acacia Avenue','Harrow Road','High Street','Park Lane','Church Road','Elm Grove','Mill Lane','Station Road'])[1 + pg_temp.h(i, 'r') % 8] AS street,
         1930 + pg_temp.h(i, 'b') % 80 AS born
    FROM generate_series(1, 1400) i)
SELECT i || '-' || k AS id, i AS person,
       CASE WHEN k = 1 AND i BETWEEN 31 AND 60
            THEN CASE WHEN left(given, 1) IN ('K', 'C', 'G', 'Q') THEN 'T' ELSE 'K' END || substr(given, 2)
            WHEN k = 1 AND i > 720 AND i % 2 = 0 THEN left(given, 1) || substr(given, 3, 1) || substr(given, 2, 1) || substr(given, 4)
            ELSE given END AS first,
       last, city, street, born
  FROM p, generate_series(0, 1) k
 WHERE k = 0 OR i <= 60 OR i > 720;
CREATE TEMP VIEW typo_pairs AS
SELECT a.id AS a, b.id AS b FROM smiths a JOIN smiths b ON a.person = b.person AND a.id < b.id
 WHERE a.person BETWEEN 31 AND 60;

\set mapping '{"first": "given_name", "last": "surname", "city": "text", "street": "exact", "born": "exact"}'

SELECT is((SELECT (count(*), count(DISTINCT (first, street, born)))::text FROM smiths WHERE city = 'Wembley'), '(780,750)',
          'the data: 780 Smiths of Wembley, 750 distinct');
-- the rules that would compare each typo pair's two records, alone
CREATE FUNCTION pg_temp.rules_comparing(a text, b text) RETURNS SETOF text LANGUAGE plpgsql AS $f$
BEGIN
  DROP TABLE IF EXISTS pg_temp.one_pair;
  CREATE TEMP TABLE one_pair AS SELECT * FROM smiths WHERE id IN (a, b);
  RETURN QUERY SELECT blocking_rule FROM brent_mdm.blocking_estimate('one_pair', 'id',
    '{"first": "given_name", "last": "surname", "city": "text", "street": "exact", "born": "exact"}') WHERE comparisons > 0;
END $f$;
SELECT is((SELECT array_agg(DISTINCT r) FROM typo_pairs t, pg_temp.rules_comparing(t.a, t.b) r), ARRAY['city'],
          'no rule but the city''s compares a typo pair');

-- ---- blocking_estimate: the city's block is split, and says how ----
CREATE TEMP TABLE est AS SELECT * FROM blocking_estimate('smiths', 'id', :'mapping');
SELECT is((SELECT split_blocks FROM est WHERE blocking_rule = 'city'), 1::bigint,
          'blocking_estimate: the city rule splits its one block of 750 distinct records');
SELECT is((SELECT largest_block FROM est WHERE blocking_rule = 'city'), 780,
          'its largest block is Wembley''s 780 records');
SELECT is((SELECT split_by FROM est WHERE blocking_rule = 'city'),
          'the next 10 in orders led by first, last, born',
          'split_by: each group with the next 10 in three orders, led by the given name, the surname, the year of birth (not the city: one value)');
SELECT is((SELECT comparisons - split_comparisons FROM est WHERE blocking_rule = 'city'),
          (SELECT sum(n * (n - 1) / 2)::bigint FROM (SELECT count(*) AS n FROM smiths WHERE city <> 'Wembley' GROUP BY city) c),
          'the city rule''s other comparisons are its small blocks'', pair by pair');
-- linear: at most 3 orders x the next 10 for each of 750 groups, and each copy with its first record
SELECT cmp_ok((SELECT split_comparisons FROM est WHERE blocking_rule = 'city'), '<=', (3 * 10 * 750 + 30)::bigint,
              'linear in the block: at most 3 x 10 pairs a group, and the copies');
SELECT cmp_ok((SELECT split_comparisons FROM est WHERE blocking_rule = 'city'), '>', (10 * 720)::bigint,
              'and more than one order of 10');
SELECT is((SELECT count(*) FROM est WHERE blocking_rule <> 'city' AND (split_blocks <> 0 OR split_by IS NOT NULL)), 0::bigint,
          'no other rule splits a block');

-- brent_mdm.split_window: the groups each is compared with, in each order
SET LOCAL brent_mdm.split_window = 3;
SELECT is((SELECT split_by || ' / ' || (split_comparisons < (SELECT split_comparisons FROM est WHERE blocking_rule = 'city'))
             FROM blocking_estimate('smiths', 'id', :'mapping') WHERE blocking_rule = 'city'),
          'the next 3 in orders led by first, last, born / true', 'split_window 3: the next 3, fewer comparisons');
RESET brent_mdm.split_window;
SELECT throws_ok($$SET brent_mdm.split_window = 0$$, '22023', NULL, 'a window of 0 is refused');

-- ---- dedupe: the typo pairs found, no two people merged ----
CREATE TEMP TABLE clusters AS SELECT * FROM dedupe('smiths', 'id', :'mapping');
SELECT is((SELECT count(*) FROM typo_pairs t JOIN clusters a ON a.record_id = t.a JOIN clusters b ON b.record_id = t.b
            WHERE a.cluster_id = b.cluster_id), 30::bigint,
          'dedupe: the 30 pairs with a typo in the given name, inside a block of 750 distinct records, are clustered (the block was skipped: none)');
SELECT is((SELECT count(*) FROM (SELECT c.cluster_id FROM clusters c JOIN smiths s ON s.id = c.record_id
                                  GROUP BY c.cluster_id HAVING count(DISTINCT s.person) > 1) x), 0::bigint,
          'and no cluster holds two people');
SELECT is((SELECT count(DISTINCT cluster_id) FROM clusters), 1400::bigint, '1,400 people, 1,400 clusters');

-- ---- the estimate counts the split block before any pair is made: the limit still refuses ----
SELECT set_config('brent_mdm.max_candidate_pairs', ((SELECT sum(comparisons) FROM est) - 1)::text, true) AS limit_set \gset
SELECT throws_ok($$SELECT * FROM dedupe('smiths', 'id', '{"first": "given_name", "last": "surname", "city": "text", "street": "exact", "born": "exact"}')$$,
                 '54000', NULL, 'max_candidate_pairs one below the comparisons: refused');
SELECT set_config('brent_mdm.max_candidate_pairs', ((SELECT sum(comparisons) - sum(split_comparisons) FROM est))::text, true) AS limit_set \gset
SELECT throws_ok($$SELECT * FROM dedupe('smiths', 'id', '{"first": "given_name", "last": "surname", "city": "text", "street": "exact", "born": "exact"}')$$,
                 '54000', NULL, 'a limit the run would meet without its split block: refused (the split pairs are counted)');
SELECT set_config('brent_mdm.max_candidate_pairs', (SELECT sum(comparisons) FROM est)::text, true) AS limit_set \gset
SELECT lives_ok($$SELECT * FROM dedupe('smiths', 'id', '{"first": "given_name", "last": "surname", "city": "text", "street": "exact", "born": "exact"}')$$,
                'a limit of the comparisons counted: the run goes ahead (the count is an upper bound of the pairs made)');
RESET brent_mdm.max_candidate_pairs;

-- ---- link: the same across two tables ----
CREATE TEMP TABLE smiths_a AS SELECT * FROM smiths WHERE id LIKE '%-0';
CREATE TEMP TABLE smiths_b AS SELECT * FROM smiths WHERE id LIKE '%-1';
CREATE TEMP TABLE linked AS SELECT * FROM link('smiths_a', 'smiths_b', 'id', :'mapping') WHERE match_probability >= 0.5;
SELECT is((SELECT count(*) FROM linked l JOIN typo_pairs t ON t.a = l.left_id AND t.b = l.right_id), 30::bigint,
          'link: the 30 typo pairs are linked across the two tables');
SELECT is((SELECT count(*) FROM linked l WHERE split_part(l.left_id, '-', 1) <> split_part(l.right_id, '-', 1)), 0::bigint,
          'and nothing else is linked wrongly');

-- ---- the sounds of names: blocking keeps the Double Metaphone codes of the words it has
-- coded in a table of the backend's (32,768 slots, the last word of each); 37,751 distinct
-- words (more than the slots: words evict others), each in two records, share 989 codes.
-- The rule on the sounds pairs exactly the records whose given names' codes (8 letters, as
-- double_metaphone gives them) agree, whether the table is cold or warm.
CREATE TEMP TABLE sounds AS
WITH w AS (
  SELECT g, (SELECT string_agg(substr('bdfgklmnprstvz', 1 + (abs(hashint4(g * 7 + k)) % 14), 1) ||
                               substr('aeiou', 1 + (abs(hashint4(g * 13 + k)) % 5), 1), '' ORDER BY k)
             FROM generate_series(1, 3) k) AS word
  FROM generate_series(1, 40000) g)
SELECT 'w' || g || '-' || copy AS id, word AS given, 'Smith' AS last, date '1990-01-01' AS born
FROM w, generate_series(1, 2) copy;
SELECT is((SELECT count(DISTINCT given) FROM sounds), 37751::bigint, 'the data: 37,751 distinct words, more than the table''s 32,768 slots');
CREATE FUNCTION pg_temp.sound_pairs() RETURNS bigint LANGUAGE sql AS $$
  SELECT comparisons FROM brent_mdm.blocking_estimate('sounds', 'id', '{"given": "given_name", "last": "surname", "born": "date"}')
  WHERE blocking_rule = 'sound of given + sound of last + year of born' $$;
SELECT is(pg_temp.sound_pairs(),
          (SELECT sum(n * (n - 1) / 2)::bigint FROM (SELECT count(*) AS n FROM sounds GROUP BY double_metaphone(given, 8)) x),
          'the sound rule pairs the records whose words'' codes agree: every pair, no other');
SELECT is(pg_temp.sound_pairs(),
          (SELECT sum(n * (n - 1) / 2)::bigint FROM (SELECT count(*) AS n FROM sounds GROUP BY double_metaphone(given, 8)) x),
          'and the same again, the table warm');

SELECT * FROM finish();
ROLLBACK;
