-- pgTAP: brent_mdm.family_profile, the scorecard's aggregate in C (issue 14):
-- each criterion's edges on crafted families (exactly 10 % absence, the third
-- fixed-term exclusion, a window straddling terms, one problem against two,
-- the ends of a 12-month window, members and categories), progress over the
-- baseline and outcome windows, errors, and parallel aggregation (combine,
-- serialize, deserialize) giving what one process gives, on 4,000 families.
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
SELECT plan(52);

-- one row per event: family, member, role, source, category, dates, sessions
CREATE TEMP TABLE ev (f int, m bigint, role text, source text, category text, ef date, et date,
                      missed int, possible int);
-- the profile of each family on a date (troubled_families_2015 unless told)
CREATE FUNCTION pg_temp.prof(fam int, as_of date, rules text DEFAULT 'troubled_families_2015',
                             attached date DEFAULT NULL, closed date DEFAULT NULL) RETURNS jsonb
  LANGUAGE sql AS $$
  SELECT brent_mdm.family_profile(rules, as_of, attached, closed, m, role, source, category, ef, et, missed, possible)
    FROM pg_temp.ev WHERE f = fam $$;
CREATE FUNCTION pg_temp.problems(p jsonb) RETURNS text
  LANGUAGE sql AS $$ SELECT string_agg(x, ',' ORDER BY x) FROM jsonb_array_elements_text(p -> 'problems') x $$;

-- attendance: terms summer 2025, autumn 2025, spring 2026 are the last three
-- complete terms on 2026-03-31 (the last day of the spring term)
INSERT INTO ev VALUES
  (1, 11, 'child', 'school_attendance', NULL, '2025-04-01', '2025-08-31', 10, 100),
  (1, 11, 'child', 'school_attendance', NULL, '2025-09-01', '2025-12-31', 10, 100),
  (1, 11, 'child', 'school_attendance', NULL, '2026-01-01', '2026-03-31', 10, 100),
  (2, 21, 'child', 'school_attendance', NULL, '2025-04-01', '2025-08-31', 10, 100),
  (2, 21, 'child', 'school_attendance', NULL, '2025-09-01', '2025-12-31', 10, 100),
  (2, 21, 'child', 'school_attendance', NULL, '2026-01-01', '2026-03-31', 9, 100),
  -- 10 % or more, but only by adding a term before the window
  (3, 31, 'child', 'school_attendance', NULL, '2025-01-01', '2025-03-31', 90, 100),
  (3, 31, 'child', 'school_attendance', NULL, '2025-04-01', '2025-08-31', 0, 100),
  (3, 31, 'child', 'school_attendance', NULL, '2025-09-01', '2025-12-31', 0, 100),
  (3, 31, 'child', 'school_attendance', NULL, '2026-01-01', '2026-03-31', 0, 100),
  -- two children at 15 % and 5 %: the child's rate counts, not the family's
  (4, 41, 'child', 'school_attendance', NULL, '2025-04-01', '2025-08-31', 15, 100),
  (4, 41, 'child', 'school_attendance', NULL, '2025-09-01', '2025-12-31', 15, 100),
  (4, 41, 'child', 'school_attendance', NULL, '2026-01-01', '2026-03-31', 15, 100),
  (4, 42, 'child', 'school_attendance', NULL, '2025-09-01', '2025-12-31', 1, 100),
  (5, 51, 'child', 'school_attendance', NULL, '2025-09-01', '2025-12-31', 3, 100),
  (5, 52, 'child', 'school_attendance', NULL, '2025-09-01', '2025-12-31', 30, 300);
SELECT is(pg_temp.problems(pg_temp.prof(1, '2026-03-31')), 'not_attending_school',
          'exactly 10 % of sessions missed over three terms is persistent absence (>= 0.10)');
SELECT is((pg_temp.prof(1, '2026-03-31') #>> '{evidence,not_attending_school,criteria,absence,value}')::numeric, 0.1,
          'and the evidence gives the rate, 0.1');
SELECT is(pg_temp.problems(pg_temp.prof(2, '2026-03-31')), NULL, '29 sessions of 300 (9.7 %) is not');
SELECT is(pg_temp.problems(pg_temp.prof(3, '2026-03-31')), NULL,
          'a term before the last three is not counted');
SELECT is(pg_temp.problems(pg_temp.prof(3, '2025-12-31')), 'not_attending_school',
          'but it is on the last day of the autumn term, when it is one of the three');
SELECT is(pg_temp.problems(pg_temp.prof(4, '2026-03-31')), 'not_attending_school',
          'one child of two at 15 %: the family has the problem');
SELECT is((pg_temp.prof(4, '2026-03-31') #>> '{evidence,not_attending_school,criteria,absence,members}')::int, 1,
          'evidenced by one member');
SELECT is(pg_temp.problems(pg_temp.prof(5, '2026-03-31')), 'not_attending_school',
          'a child at 10 % (30 of 300) beside one at 3 %: the rate is per child');

-- exclusions: the third fixed-term exclusion in three terms
INSERT INTO ev VALUES
  (10, 101, 'child', 'school_exclusion', 'suspension', '2025-05-01', '2025-05-01', NULL, NULL),
  (10, 101, 'child', 'school_exclusion', 'suspension', '2025-10-01', '2025-10-01', NULL, NULL),
  (11, 111, 'child', 'school_exclusion', 'suspension', '2025-05-01', '2025-05-01', NULL, NULL),
  (11, 111, 'child', 'school_exclusion', 'suspension', '2025-10-01', '2025-10-01', NULL, NULL),
  (11, 111, 'child', 'school_exclusion', 'suspension', '2026-03-31', '2026-03-31', NULL, NULL),
  (12, 121, 'child', 'school_exclusion', 'suspension', '2025-03-31', '2025-03-31', NULL, NULL),
  (12, 121, 'child', 'school_exclusion', 'suspension', '2025-05-01', '2025-05-01', NULL, NULL),
  (12, 121, 'child', 'school_exclusion', 'suspension', '2025-10-01', '2025-10-01', NULL, NULL),
  -- three, of two children: per child, so not
  (13, 131, 'child', 'school_exclusion', 'suspension', '2025-05-01', '2025-05-01', NULL, NULL),
  (13, 131, 'child', 'school_exclusion', 'suspension', '2025-10-01', '2025-10-01', NULL, NULL),
  (13, 132, 'child', 'school_exclusion', 'suspension', '2025-11-01', '2025-11-01', NULL, NULL),
  (14, 141, 'child', 'school_exclusion', 'permanent', '2025-06-01', '2025-06-01', NULL, NULL),
  -- an adult's suspension (data error) does not count for a child criterion
  (15, 151, 'adult', 'school_exclusion', 'suspension', '2025-05-01', '2025-05-01', NULL, NULL),
  (15, 151, 'adult', 'school_exclusion', 'suspension', '2025-06-01', '2025-06-01', NULL, NULL),
  (15, 151, 'adult', 'school_exclusion', 'suspension', '2025-07-01', '2025-07-01', NULL, NULL);
SELECT is(pg_temp.problems(pg_temp.prof(10, '2026-03-31')), NULL, 'two fixed-term exclusions: not yet');
SELECT is(pg_temp.problems(pg_temp.prof(11, '2026-03-31')), 'not_attending_school',
          'the third, on the date itself, makes the problem');
SELECT is(pg_temp.prof(11, '2026-03-31') #>> '{evidence,not_attending_school,criteria,suspensions,records}', '3',
          'evidenced by 3 records');
SELECT is(pg_temp.prof(11, '2026-03-31') #>> '{evidence,not_attending_school,since}', '2025-05-01',
          'since the first of them');
SELECT is(pg_temp.problems(pg_temp.prof(11, '2026-03-30')), NULL,
          'the day before, the spring term is not complete and its exclusion not counted');
SELECT is(pg_temp.problems(pg_temp.prof(12, '2026-03-31')), NULL,
          'one of three in the term before the window: two');
SELECT is(pg_temp.problems(pg_temp.prof(13, '2026-03-31')), NULL, 'three between two children: no child has three');
SELECT is(pg_temp.problems(pg_temp.prof(14, '2026-03-31')), 'not_attending_school', 'one permanent exclusion is enough');
SELECT ok(pg_temp.prof(14, '2026-03-31') #> '{evidence,not_attending_school,criteria,suspensions}' IS NULL
          AND pg_temp.prof(14, '2026-03-31') #> '{evidence,not_attending_school,criteria,permanent_exclusion}' IS NOT NULL,
          'under the permanent exclusion criterion only (categories)');
SELECT is(pg_temp.problems(pg_temp.prof(15, '2026-03-31')), NULL, 'an adult''s records do not meet a child criterion');

-- a window straddling terms: on 2026-02-15 (mid spring term) the window is
-- spring, summer and autumn 2025; on 2026-03-31 it is summer 2025 to spring 2026
INSERT INTO ev VALUES
  (20, 201, 'child', 'school_exclusion', 'suspension', '2025-01-02', '2025-01-02', NULL, NULL),
  (20, 201, 'child', 'school_exclusion', 'suspension', '2025-06-01', '2025-06-01', NULL, NULL),
  (20, 201, 'child', 'school_exclusion', 'suspension', '2025-12-31', '2025-12-31', NULL, NULL),
  (21, 211, 'child', 'school_attendance', NULL, '2025-01-01', '2025-03-31', 0, 100),
  (21, 211, 'child', 'school_attendance', NULL, '2025-04-01', '2025-08-31', 0, 100),
  (21, 211, 'child', 'school_attendance', NULL, '2025-09-01', '2025-12-31', 0, 100),
  (21, 211, 'child', 'school_attendance', NULL, '2026-01-01', '2026-03-31', 100, 100);
SELECT is(pg_temp.problems(pg_temp.prof(20, '2026-02-15')), 'not_attending_school',
          'mid-term: spring 2025 to autumn 2025 hold all three exclusions');
SELECT is(pg_temp.problems(pg_temp.prof(20, '2026-03-31')), NULL, 'at the end of spring 2026: two');
SELECT is(pg_temp.problems(pg_temp.prof(21, '2026-02-15')), NULL,
          'mid-term: the incomplete spring 2026 term''s attendance is not counted');
SELECT is(pg_temp.problems(pg_temp.prof(21, '2026-03-31')), 'not_attending_school', 'complete, it is (33 %)');

-- one problem only, two problems; the ends of a 12-month window; episodes open in it
INSERT INTO ev VALUES
  (30, 301, 'adult', 'offence', NULL, '2025-04-01', '2025-04-01', NULL, NULL),
  (31, 311, 'adult', 'offence', NULL, '2025-04-01', '2025-04-01', NULL, NULL),
  (31, 311, 'adult', 'out_of_work_benefit', NULL, '2020-01-01', NULL, NULL, NULL),
  (32, 321, 'adult', 'offence', NULL, '2025-03-31', '2025-03-31', NULL, NULL),
  (33, 331, 'child', 'childrens_social_care', 'CIN', '2024-01-01', '2025-04-02', NULL, NULL),
  (34, 341, 'child', 'childrens_social_care', 'CIN', '2024-01-01', '2025-03-31', NULL, NULL),
  (35, 351, 'child', 'cse_concern', 'low', '2025-06-01', '2025-06-01', NULL, NULL),
  (36, 361, 'child', 'cse_concern', 'high', '2025-06-01', '2025-06-01', NULL, NULL),
  (37, 371, 'adult', 'offence', NULL, '2025-04-01', '2025-04-01', NULL, NULL),
  (37, 372, 'child', 'cse_concern', 'medium', '2025-06-01', '2025-06-01', NULL, NULL),
  (37, 373, 'adult', 'health_flag', 'mental_health', '2025-06-01', '2025-06-01', NULL, NULL);
SELECT is(pg_temp.prof(30, '2026-03-31') ->> 'eligible', 'false', 'one problem only: not eligible (two needed)');
SELECT is(pg_temp.prof(30, '2026-03-31') ->> 'problem_count', '1', '(one problem)');
SELECT is(pg_temp.prof(31, '2026-03-31') ->> 'eligible', 'true', 'two problems: eligible');
SELECT is(pg_temp.problems(pg_temp.prof(31, '2026-03-31')), 'crime_asb,worklessness',
          'crime and a claim still open in the last 6 months');
SELECT is(pg_temp.problems(pg_temp.prof(32, '2026-03-31')), NULL, 'an offence 12 months to the day before is outside');
SELECT is(pg_temp.problems(pg_temp.prof(30, '2026-03-31')), 'crime_asb', 'the day after, inside');
SELECT is(pg_temp.problems(pg_temp.prof(33, '2026-03-31')), 'children_need_help',
          'an episode that ended inside the window counts (open at any time in it)');
SELECT is(pg_temp.problems(pg_temp.prof(34, '2026-03-31')), NULL, 'one that ended on the window''s first edge does not');
SELECT is(pg_temp.problems(pg_temp.prof(35, '2026-03-31')), NULL, 'a low CSE risk is not a problem');
SELECT is(pg_temp.problems(pg_temp.prof(36, '2026-03-31')), 'children_need_help', 'a high one is');
SELECT is(pg_temp.prof(37, '2026-03-31', 'supporting_families_2022') ->> 'problem_count', '3',
          'Supporting Families: crime, abuse and exploitation, mental health');
SELECT is(pg_temp.prof(37, '2026-03-31', 'supporting_families_2022') ->> 'eligible', 'true', 'three: a claim may be made');
SELECT is(pg_temp.prof(30, '2026-03-31', 'supporting_families_2022') ->> 'eligible', 'false', 'one: not under that set');

-- an event of the family itself (no member): a notification at its address
INSERT INTO ev VALUES
  (38, NULL, NULL, 'domestic_abuse', NULL, '2025-06-01', '2025-06-01', NULL, NULL),
  (39, NULL, NULL, 'school_exclusion', 'permanent', '2025-06-01', '2025-06-01', NULL, NULL);
SELECT is(pg_temp.problems(pg_temp.prof(38, '2026-03-31')), 'domestic_abuse',
          'a family''s own event (no member) meets a criterion for any member');
SELECT is(pg_temp.problems(pg_temp.prof(39, '2026-03-31')), NULL, 'but not one for children');

-- progress from attachment: no offence in the 6 months after it
INSERT INTO ev VALUES
  (40, 401, 'adult', 'offence', NULL, '2025-05-01', '2025-05-01', NULL, NULL),
  (40, 402, 'child', 'childrens_social_care', 'CP', '2025-04-10', '2025-05-10', NULL, NULL),
  (41, 411, 'adult', 'offence', NULL, '2025-05-01', '2025-05-01', NULL, NULL),
  (41, 411, 'adult', 'offence', NULL, '2025-08-01', '2025-08-01', NULL, NULL),
  (41, 412, 'child', 'childrens_social_care', 'CP', '2025-04-10', '2025-05-10', NULL, NULL);
SELECT is(pg_temp.prof(40, '2026-03-31', attached => '2025-06-01') ->> 'progress', 'achieved',
          'no offence in the 6 months after attachment: achieved');
SELECT is(pg_temp.prof(40, '2026-03-31', attached => '2025-06-01') #>> '{outcomes,no_offence_6_months,baseline}', '1',
          'against a baseline of 1 offence in the 6 months before');
SELECT is(pg_temp.prof(41, '2026-03-31', attached => '2025-06-01') ->> 'progress', 'not achieved',
          'an offence in those 6 months: not achieved');
SELECT is(pg_temp.prof(40, '2026-03-31', attached => '2026-01-01') ->> 'progress', 'pending',
          'an outcome window that has not ended: pending');
SELECT is(pg_temp.prof(40, '2026-03-31') ->> 'progress', 'not attached', 'no attachment: not attached');

-- errors
SELECT throws_ok($$SELECT pg_temp.prof(1, '2026-03-31', 'no_such_rules')$$, '42704', NULL, 'an unknown rule set: 42704');
SELECT throws_ok($$SELECT brent_mdm.family_profile(NULL, '2026-03-31', NULL, NULL, 1, 'child', 'offence', NULL,
                                                   '2025-01-01', NULL, NULL, NULL)$$, '22004', NULL,
                 'a NULL rule set: 22004');
SELECT throws_ok($$SELECT brent_mdm.family_profile('troubled_families_2015', '2026-03-31', NULL, NULL, 1, 'child',
                                                   'school_attendance', NULL, '2025-09-01', '2025-12-31', 120, 100)$$,
                 '22023', NULL, 'more sessions missed than possible: 22023');
SELECT throws_ok($$SELECT brent_mdm.family_profile('troubled_families_2015', '2026-03-31', a, NULL, 1, 'child',
                                                   'offence', NULL, '2025-09-01', NULL, NULL, NULL)
                     FROM (VALUES ('2025-01-01'::date), ('2025-02-01')) v(a)$$,
                 '22023', NULL, 'two attachment dates in one family: 22023');

-- parallel aggregation gives what one process gives (combine, serialize,
-- deserialize), and both give what the scorecard in plain SQL gives
-- (bench/scorecard_plain.sql), on 4,000 families of random events
\set members 12000
\set events 120000
\i bench/scorecard_data.sql
CREATE FUNCTION pg_temp.scorecard_query(rules text) RETURNS text LANGUAGE sql AS $$
  SELECT format($q$
    SELECT m.family_id, brent_mdm.family_profile(%L, '2026-03-31', a.attached, a.closed, m.client_id, m.role,
                                                 e.source, e.category, e.ef, e.et, e.missed, e.possible) AS p
      FROM sc_member m JOIN sc_event e USING (client_id) LEFT JOIN sc_att a USING (family_id)
     GROUP BY m.family_id$q$, rules) $$;
DO $$ BEGIN
  EXECUTE 'CREATE TEMP TABLE serial_tf AS ' || pg_temp.scorecard_query('troubled_families_2015');
  EXECUTE 'CREATE TEMP TABLE serial_sf AS ' || pg_temp.scorecard_query('supporting_families_2022');
END $$;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL enable_sort = off;
DO $$
DECLARE l text; s text := '';
BEGIN
  FOR l IN EXECUTE 'EXPLAIN (COSTS OFF) ' || pg_temp.scorecard_query('troubled_families_2015') LOOP
    s := s || l || E'\n';
  END LOOP;
  PERFORM set_config('sc.plan', s, true);
  EXECUTE 'CREATE TEMP TABLE parallel_tf AS ' || pg_temp.scorecard_query('troubled_families_2015');
  EXECUTE 'CREATE TEMP TABLE parallel_sf AS ' || pg_temp.scorecard_query('supporting_families_2022');
END $$;
SELECT ok(current_setting('sc.plan') LIKE '%Partial%Aggregate%' AND current_setting('sc.plan') LIKE '%Gather%',
          'the planner aggregates in parallel (a partial aggregate under Gather)');
SELECT is((SELECT count(*) FROM serial_tf s FULL JOIN parallel_tf p USING (family_id) WHERE s.p IS DISTINCT FROM p.p),
          0::bigint, 'parallel and serial profiles are equal for all 4,000 families (Troubled Families)');
SELECT is((SELECT count(*) FROM serial_sf s FULL JOIN parallel_sf p USING (family_id) WHERE s.p IS DISTINCT FROM p.p),
          0::bigint, 'and under Supporting Families');
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather; RESET enable_sort;
\set d 2026-03-31
\set r troubled_families_2015
\i bench/scorecard_plain.sql
SELECT is((SELECT count(*) FROM plain_scorecard p FULL JOIN serial_tf s USING (family_id)
            WHERE p.problems IS DISTINCT FROM ARRAY(SELECT jsonb_array_elements_text(s.p -> 'problems'))
               OR p.eligible IS DISTINCT FROM (s.p ->> 'eligible')::boolean
               OR p.progress IS DISTINCT FROM s.p ->> 'progress'),
          0::bigint, 'the aggregate gives what plain SQL gives: problems, eligibility, progress (Troubled Families)');
CREATE TEMP TABLE plain_tf AS SELECT * FROM plain_scorecard;
\set r supporting_families_2022
\i bench/scorecard_plain.sql
SELECT is((SELECT count(*) FROM plain_scorecard p FULL JOIN serial_sf s USING (family_id)
            WHERE p.problems IS DISTINCT FROM ARRAY(SELECT jsonb_array_elements_text(s.p -> 'problems'))
               OR p.eligible IS DISTINCT FROM (s.p ->> 'eligible')::boolean
               OR p.progress IS DISTINCT FROM s.p ->> 'progress'),
          0::bigint, 'and under Supporting Families');
SELECT ok((SELECT count(*) FILTER (WHERE eligible) > 200 AND count(DISTINCT progress) >= 5 FROM plain_tf)
          AND (SELECT count(*) FILTER (WHERE progress = 'achieved') > 10 FROM plain_tf),
          'the data is not trivial: eligible families, achieved and other outcomes');

SELECT * FROM finish();
ROLLBACK;
