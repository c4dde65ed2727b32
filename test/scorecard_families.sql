-- pgTAP: family units from the Client Index (issue 14, families): their shape,
-- their errors, and their accuracy against the truth households of a borough
-- (pairwise precision and recall of "same family", bench/family_accuracy.sql).
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
SELECT plan(16);

SELECT throws_ok($$SELECT * FROM brent_mdm.family_units(NULL)$$, '22004', 'as_of must not be NULL',
                 'a NULL date: 22004');
SELECT throws_ok($$SELECT * FROM brent_mdm.family_units(current_date + 1)$$, '22008', NULL,
                 'a date in the future: 22008');
SELECT ok(NOT has_function_privilege('public', 'brent_mdm.family_units(date)', 'EXECUTE'),
          'PUBLIC may not form families (personal data)');
SELECT ok(NOT has_function_privilege('public', 'brent_mdm.family_units_internal(date)', 'EXECUTE'),
          'nor call the internal function');
SELECT is((SELECT prosecdef FROM pg_proc WHERE oid = 'brent_mdm.family_units(date)'::regprocedure), false,
          'family_units runs with the caller''s rights (the policy layer applies)');

SELECT lives_ok($$SELECT * FROM brent_mdm.generate_borough(6000, 2, 'borough')$$, 'a borough of 6000');
SELECT lives_ok($$SELECT * FROM brent_mdm.client_index_load('borough.person_record')$$, 'its Client Index');
\set d 2026-03-31
SELECT is((SELECT count(*) FROM brent_mdm.family_units('2021-03-31') WHERE role = 'child' AND age >= 18), 0::bigint,
          'children are under 18 on the date asked (2021)');
CREATE TEMP TABLE fm AS SELECT * FROM brent_mdm.family_units(:'d'::date);
SELECT cmp_ok((SELECT count(DISTINCT family_id) FROM fm)::int, '>', 300, 'families are formed');
SELECT is((SELECT count(*) FROM (SELECT family_id FROM fm GROUP BY family_id
                                  HAVING count(*) FILTER (WHERE role = 'child') = 0
                                      OR count(*) FILTER (WHERE role = 'lead') <> 1) x),
          0::bigint, 'every family has a child and exactly one lead adult');
SELECT is((SELECT count(*) FROM fm WHERE (role = 'child') <> (age < 18) OR (role <> 'child' AND age < 18)),
          0::bigint, 'children are under 18, adults 18 or over (or of unknown age)');
SELECT is((SELECT count(*) - count(DISTINCT client_id) FROM fm), 0::bigint, 'no client is in two families');
SELECT is((SELECT count(*) FROM fm f JOIN brent_mdm.client c USING (client_id) WHERE c.status <> 'active'),
          0::bigint, 'members are active clients');

-- accuracy against the truth households.  Goal 0.95 each at 100,000 people;
-- measured (2026-11-26): precision 0.97, recall 0.81 (bench/families.sh).
-- The floors here fail if the precision or recall falls well below that.
\i bench/family_accuracy.sql
SELECT cmp_ok((SELECT precision FROM family_accuracy), '>=', 0.95, 'precision of "same family" at least 0.95');
SELECT cmp_ok((SELECT recall FROM family_accuracy), '>=', 0.75, 'recall of "same family" at least 0.75 (goal 0.95: not met)');
SELECT cmp_ok((SELECT pairs FROM family_accuracy), '>', 0::bigint, 'pairs were measured');

SELECT * FROM finish();
ROLLBACK;
