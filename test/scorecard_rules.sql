-- pgTAP: scorecard rule sets are data (issue 14, rules): the two shipped sets,
-- their read-only guard, copies the council edits, and every faulty criterion
-- refused with its SQLSTATE, message and hint before it is written.
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
SELECT plan(43);

-- the error a statement raises: SQLSTATE, message and hint (NULL if it succeeds)
CREATE FUNCTION pg_temp.error_of(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; hint text;
BEGIN
  EXECUTE stmt;
  RETURN NULL;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
  RETURN st || ': ' || msg || ' / ' || coalesce(hint, '');
END $$;

-- ---- the shipped sets ----
SELECT results_eq($$SELECT rule_set, problems_required, sustained_months, shipped
                      FROM brent_mdm.scorecard_rule_set ORDER BY rule_set$$,
                  $$VALUES ('supporting_families_2022', 3, 6, true), ('troubled_families_2015', 2, 0, true)$$,
                  'two shipped sets: Supporting Families (3 problems to claim, sustained 6 months), Troubled Families (2)');
SELECT is(brent_mdm.check_rule_set('troubled_families_2015'), 6, 'Troubled Families 2015: 6 headline problems');
SELECT is(brent_mdm.check_rule_set('supporting_families_2022'), 10, 'Supporting Families 2022: 10 headline problems');
SELECT results_eq($$SELECT criterion, source, measure, categories, operator, threshold, window_unit, window_from, window_to
                      FROM brent_mdm.scorecard_criterion
                     WHERE rule_set = 'troubled_families_2015' AND problem = 'not_attending_school' AND kind = 'identify'
                     ORDER BY criterion$$,
                  $$VALUES ('absence', 'school_attendance', 'absence_rate', NULL::text[], '>=', 0.10, 'term', -3, 0),
                           ('missing_education', 'cme_referral', 'referrals', NULL, '>=', 1, 'month', -12, 0),
                           ('permanent_exclusion', 'school_exclusion', 'exclusions', '{permanent}', '>=', 1, 'term', -3, 0),
                           ('suspensions', 'school_exclusion', 'exclusions', '{suspension}', '>=', 3, 'term', -3, 0)$$,
                  'not attending school: 10 % absence or 3 suspensions or a permanent exclusion over three terms, or missing education');
SELECT results_eq($$SELECT criterion, operator, threshold, window_unit, reference, window_from, window_to, baseline_from, baseline_to
                      FROM brent_mdm.scorecard_criterion
                     WHERE rule_set = 'troubled_families_2015' AND kind = 'progress' ORDER BY criterion$$,
                  $$VALUES ('attendance_90', '<', 0.10, 'term', 'attachment', 1, 4, -3, 0),
                           ('continuous_employment', '=', 0, 'month', 'attachment', 0, 6, -6, 0),
                           ('no_offence_6_months', '=', 0, 'month', 'attachment', 0, 6, -6, 0)$$,
                  'Troubled Families progress: attendance 90 % for three terms, no offence for 6 months, continuous employment');
SELECT is((SELECT count(*) FROM brent_mdm.scorecard_problem p
            WHERE NOT EXISTS (SELECT FROM brent_mdm.scorecard_criterion c
                               WHERE c.rule_set = p.rule_set AND c.problem = p.problem)),
          0::bigint, 'every shipped problem has criteria');
SELECT set_eq($$SELECT DISTINCT source FROM brent_mdm.scorecard_criterion$$,
              $$SELECT source FROM brent_mdm.scorecard_source$$,
              'the shipped sets use every source, among them the 8 datasets of Brent''s scorecard');

-- ---- shipped sets are read-only ----
SELECT alike(pg_temp.error_of($$UPDATE brent_mdm.scorecard_criterion SET threshold = 0.2
                               WHERE rule_set = 'troubled_families_2015' AND criterion = 'absence'$$),
            '42501: rule set "troubled_families_2015" is shipped with brent_mdm and cannot be changed / Copy it and edit the copy: SELECT brent_mdm.copy_rule_set(%',
            'a shipped criterion cannot be changed (42501, hint: copy it)');
SELECT alike(pg_temp.error_of($$DELETE FROM brent_mdm.scorecard_criterion WHERE rule_set = 'troubled_families_2015'$$),
            '42501: %', 'nor deleted');
SELECT alike(pg_temp.error_of($$DELETE FROM brent_mdm.scorecard_rule_set WHERE rule_set = 'supporting_families_2022'$$),
            '42501: %', 'a shipped set cannot be deleted');
SELECT alike(pg_temp.error_of($$UPDATE brent_mdm.scorecard_rule_set SET problems_required = 1
                               WHERE rule_set = 'troubled_families_2015'$$),
            '42501: %', 'nor its threshold changed');
SELECT alike(pg_temp.error_of($$INSERT INTO brent_mdm.scorecard_problem VALUES
                               ('troubled_families_2015', 'extra', 7, 'Extra', false)$$),
            '42501: %', 'no problem is added to a shipped set');
SELECT alike(pg_temp.error_of($$INSERT INTO brent_mdm.scorecard_criterion
                               (rule_set, problem, criterion, source, measure, operator, threshold, window_unit, window_from, window_to)
                               VALUES ('troubled_families_2015', 'health', 'x', 'health_flag', 'flags', '>=', 1, 'month', -12, 0)$$),
            '42501: %', 'no criterion is added to a shipped set');

-- ---- a copy is the council's to edit ----
SELECT is(brent_mdm.copy_rule_set('troubled_families_2015', 'brent_tf'), 'brent_tf', 'copy_rule_set');
SELECT is((SELECT count(*) FROM brent_mdm.scorecard_criterion WHERE rule_set = 'brent_tf'),
          (SELECT count(*) FROM brent_mdm.scorecard_criterion WHERE rule_set = 'troubled_families_2015'),
          'the copy has every criterion');
SELECT ok(NOT (SELECT shipped FROM brent_mdm.scorecard_rule_set WHERE rule_set = 'brent_tf'), 'the copy is not shipped');
SELECT lives_ok($$UPDATE brent_mdm.scorecard_criterion SET threshold = 0.15
                   WHERE rule_set = 'brent_tf' AND criterion = 'absence'$$, 'the copy''s criteria can be changed');
SELECT lives_ok($$INSERT INTO brent_mdm.scorecard_rule_set (rule_set, title, problems_required, shipped)
                  VALUES ('mine', 'Mine', 1, true)$$, 'a council''s set claiming to be shipped ...');
SELECT ok(NOT (SELECT shipped FROM brent_mdm.scorecard_rule_set WHERE rule_set = 'mine'),
          '... is not marked shipped (it would not be dumped)');
SELECT alike(pg_temp.error_of($$SELECT brent_mdm.copy_rule_set('no_such_set', 'x')$$), '42704: rule set "no_such_set" does not exist%',
            'copying an unknown set: 42704');
SELECT alike(pg_temp.error_of($$SELECT brent_mdm.copy_rule_set('brent_tf', 'brent_tf')$$), '42710: %',
            'copying onto an existing name: 42710');
SELECT alike(pg_temp.error_of($$SELECT brent_mdm.copy_rule_set('brent_tf', 'Bad Name')$$), '22023: %',
            'a name that is not an identifier: 22023');

-- ---- faulty criteria are refused before they are written ----
CREATE FUNCTION pg_temp.add(src text, meas text, cats text[], mem text, op text, thr numeric, unit text,
                            wf int, wt int, kind text DEFAULT 'identify', ref text DEFAULT 'as_of',
                            bf int DEFAULT NULL, bt int DEFAULT NULL) RETURNS text LANGUAGE sql AS $$
  SELECT pg_temp.error_of(format(
    'INSERT INTO brent_mdm.scorecard_criterion (rule_set, problem, criterion, kind, source, measure, categories,'
    ' member, operator, threshold, window_unit, reference, window_from, window_to, baseline_from, baseline_to)'
    ' VALUES (''brent_tf'', ''health'', ''c'' || (random() * 1e9)::bigint, %L, %L, %L, %L, %L, %L, %s, %L, %L, %s, %s, %s, %s)',
    kind, src, meas, cats, mem, op, thr, unit, ref, wf, wt, coalesce(bf::text, 'NULL'), coalesce(bt::text, 'NULL')))
$$;
SELECT is(pg_temp.add('health_flag', 'flags', '{mental_health}', 'any', '>=', 2, 'month', -24, 0), NULL,
          'a good criterion is accepted');
SELECT alike(pg_temp.add('gp_records', 'visits', NULL, 'any', '>=', 1, 'month', -12, 0),
            '23503: criterion "%" of rule set "brent_tf" refers to source "gp_records", which does not exist / Sources: asb_case, %',
            'a missing source: 23503, the hint lists the sources');
SELECT alike(pg_temp.add('offence', 'convictions', NULL, 'any', '>=', 1, 'month', -12, 0),
            '23503: % measures "convictions", which source "offence" does not have / Measures of offence: offences%',
            'a measure the source lacks: 23503, the hint lists its measures');
SELECT alike(pg_temp.add('school_exclusion', 'exclusions', '{expelled}', 'child', '>=', 1, 'term', -3, 0),
            '22023: % counts categories expelled that source "school_exclusion" does not have / Categories of school_exclusion: suspension, permanent.',
            'a category the source lacks: 22023');
SELECT alike(pg_temp.add('offence', 'offences', '{theft}', 'any', '>=', 1, 'month', -12, 0),
            '22023: % / Source offence has no categories: leave categories NULL.',
            'categories on a source without any: 22023');
SELECT alike(pg_temp.add('school_attendance', 'absence_rate', NULL, 'adult', '>=', 0.1, 'term', -3, 0),
            '22023: % is for adult members, but source "school_attendance" holds records of child members only / Set member to ''child''.',
            'adults measured on a children''s source: 22023');
SELECT alike(pg_temp.add('school_attendance', 'absence_rate', NULL, 'child', '>=', 10, 'term', -3, 0),
            '22023: %rate threshold 10 is not between 0 and 1 / A rate is a share: 10 % is 0.10.',
            'a rate threshold given as a percentage: 22023');
SELECT alike(pg_temp.add('offence', 'offences', NULL, 'any', '>=', 1, 'month', 0, 0),
            '22023: %window [0, 0) is empty%', 'an empty window: 22023');
SELECT alike(pg_temp.add('offence', 'offences', NULL, 'any', '>=', 1, 'month', -6, 6),
            '22023: %looks past the date it is evaluated on%', 'an identification window in the future: 22023');
SELECT alike(pg_temp.add('offence', 'offences', NULL, 'any', '=', 0, 'month', 0, 6, 'progress', 'attachment', -6, 1),
            '23514: progress criterion "%" of rule set "brent_tf": baseline window [-6, 1) and outcome window [0, 6) overlap / Make baseline_to <= window_from (the outcome after the baseline).',
            'overlapping baseline and outcome windows: 23514 with a hint');
SELECT is(pg_temp.add('offence', 'offences', NULL, 'any', '=', 0, 'month', 0, 6, 'progress', 'attachment', -6, 0), NULL,
          'windows that meet without overlapping are accepted');
SELECT alike(pg_temp.add('offence', 'offences', NULL, 'any', '=', 0, 'month', 0, 6, 'progress', 'attachment'),
            '22023: progress criterion % needs a baseline window%', 'a progress criterion without a baseline: 22023');
SELECT alike(pg_temp.add('offence', 'offences', NULL, 'any', '=', 0, 'month', -6, 0, 'identify', 'as_of', -12, -6),
            '22023: identification criterion % has a baseline%', 'an identification criterion with a baseline: 22023');
SELECT alike(pg_temp.error_of($$UPDATE brent_mdm.scorecard_criterion SET source = 'nowhere'
                               WHERE rule_set = 'brent_tf' AND criterion = 'offence'$$),
            '23503: %refers to source "nowhere"%', 'an update is checked too');
SELECT is((SELECT count(*) FROM brent_mdm.scorecard_criterion WHERE rule_set = 'brent_tf'),
          (SELECT count(*) FROM brent_mdm.scorecard_criterion WHERE rule_set = 'troubled_families_2015') + 2,
          'nothing refused was written (the two good criteria only)');
SELECT alike(pg_temp.error_of($$DELETE FROM brent_mdm.scorecard_source WHERE source = 'offence'$$),
            '23503: %', 'a source in use cannot be removed');

-- ---- whole-set checks ----
SELECT alike(pg_temp.error_of($$SELECT brent_mdm.check_rule_set('no_such_set')$$),
            '42704: rule set "no_such_set" does not exist / Rule sets: brent_tf, mine, supporting_families_2022, troubled_families_2015.',
            'check_rule_set: an unknown set, 42704, the hint lists the sets');
INSERT INTO brent_mdm.scorecard_problem VALUES ('brent_tf', 'housing', 7, 'Housing', false);
SELECT alike(pg_temp.error_of($$SELECT brent_mdm.check_rule_set('brent_tf')$$),
            '23514: problem "housing" of rule set "brent_tf" has no identification criterion%',
            'check_rule_set: a problem without criteria, 23514');
UPDATE brent_mdm.scorecard_rule_set SET problems_required = 9 WHERE rule_set = 'brent_tf';
DELETE FROM brent_mdm.scorecard_problem WHERE rule_set = 'brent_tf' AND problem = 'housing';
SELECT alike(pg_temp.error_of($$SELECT brent_mdm.check_rule_set('brent_tf')$$),
            '23514: rule set "brent_tf" needs 9 problems for eligibility but has 6%',
            'check_rule_set: a threshold no family can reach, 23514');
SELECT lives_ok($$DELETE FROM brent_mdm.scorecard_rule_set WHERE rule_set = 'brent_tf'$$,
                'a council''s set is deleted with its problems and criteria');
SELECT is((SELECT count(*) FROM brent_mdm.scorecard_criterion WHERE rule_set = 'brent_tf'), 0::bigint,
          'its criteria went with it');

SELECT * FROM finish();
ROLLBACK;
