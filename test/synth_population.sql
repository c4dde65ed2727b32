-- pgTAP: the synthetic borough's mid-year population estimates (issue 13,
-- population denominators): every cell equals a recount of the ground truth
-- (residents present on 30 June at the ward of their household's address),
-- the full grid of cells, deterministic, and like every generated table not
-- readable by PUBLIC.
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
SELECT plan(17);

SELECT lives_ok($$SELECT * FROM brent_mdm.generate_borough(20000, 2, 'pop')$$, 'borough of 20000, seed 2');
SELECT has_table('pop', 'population_estimate', 'population_estimate in the main schema');
SELECT hasnt_table('pop_truth', 'population_estimate', 'not in the truth schema');
SELECT col_is_pk('pop', 'population_estimate', ARRAY['ward_code', 'year', 'sex', 'age'],
                 'one row per ward, year, sex and single year of age');

-- the mid-years: each 30 June inside [window_start, as_of]
SELECT is(ARRAY(SELECT DISTINCT year FROM pop.population_estimate ORDER BY 1),
          ARRAY(SELECT extract(year FROM d)::int
                  FROM generate_series((SELECT value::date FROM pop.about WHERE key = 'window_start'),
                                       (SELECT value::date FROM pop.about WHERE key = 'as_of'), '1 day') d
                 WHERE extract(month FROM d) = 6 AND extract(day FROM d) = 30 ORDER BY 1),
          'one estimate per 30 June of the window');

-- the full grid: every ward x year x sex x 91 ages (0 to 89, 90+), zeros included
SELECT is((SELECT count(*) FROM pop.population_estimate),
          (SELECT count(*) FROM pop.ward) * (SELECT count(DISTINCT year) FROM pop.population_estimate) * 2 * 91,
          'every cell, zeros included');
SELECT is(ARRAY(SELECT DISTINCT age || ':' || age_band FROM pop.population_estimate ORDER BY 1),
          ARRAY(SELECT a || ':' || CASE WHEN a >= 85 THEN '85+' ELSE (a / 5 * 5) || '-' || (a / 5 * 5 + 4) END
                  FROM generate_series(0, 90) a ORDER BY 1),
          'single years 0 to 90 (90 and over), each in its ONS 5-year band (85+ open)');
SELECT ok((SELECT count(*) FROM pop.population_estimate WHERE persons = 0) > 0, 'zero cells are kept');

-- the recount from the ground truth, cell by cell (half-open intervals: counted from the
-- day of arrival or birth, not on the day of leaving or death; on a move day at the new address)
-- the borough has the edge cases the rule decides: residents leaving or dying on a 30 June,
-- households moving on a 30 June
SELECT ok((SELECT count(*) FROM pop_truth.person WHERE to_char(in_borough_to, 'MM-DD') = '06-30'
             AND in_borough_to BETWEEN '2021-06-30' AND '2025-06-30') > 0
          AND (SELECT count(*) FROM pop_truth.residence WHERE to_char(moved_out, 'MM-DD') = '06-30'
                 AND moved_out BETWEEN '2021-06-30' AND '2025-06-30') > 0,
          'leavers and moves on a 30 June are there to be counted (or not)');
CREATE TEMP TABLE recount AS
WITH y AS (SELECT DISTINCT year, make_date(year, 6, 30) AS t FROM pop.population_estimate)
SELECT a.ward_code, y.year, p.sex,
       least(extract(year FROM age(y.t, p.date_of_birth))::int, 90) AS age, count(*) AS n
  FROM pop_truth.person p
  JOIN pop_truth.residence r USING (household_id)
  JOIN pop.address a USING (uprn)
  CROSS JOIN y
 WHERE p.in_borough_from <= y.t AND (p.in_borough_to IS NULL OR y.t < p.in_borough_to)
   AND (p.date_of_death IS NULL OR y.t < p.date_of_death)
   AND r.moved_in <= y.t AND (r.moved_out IS NULL OR y.t < r.moved_out)
 GROUP BY 1, 2, 3, 4;
SELECT is((SELECT count(*) FROM pop.population_estimate e FULL JOIN recount c USING (ward_code, year, sex, age)
            WHERE e.persons IS DISTINCT FROM coalesce(c.n, 0)),
          0::bigint, 'every cell equals the recount from person, residence and address');
SELECT is((SELECT array_agg(s ORDER BY year) FROM (SELECT year, sum(persons) s FROM pop.population_estimate GROUP BY year) x),
          (SELECT array_agg(s ORDER BY year) FROM (SELECT year, sum(n)::bigint s FROM recount GROUP BY year) x),
          'persons per year equal the recount');
SELECT ok((SELECT bool_and(persons > 0) FROM (SELECT ward_code, year, sum(persons) persons
                                                FROM pop.population_estimate GROUP BY 1, 2) x),
          'every ward has residents every year');
-- each person counted at most once a year: the total never passes the people present
SELECT is((SELECT sum(persons) FROM pop.population_estimate WHERE year = 2023),
          (SELECT count(*) FROM pop_truth.person
            WHERE in_borough_from <= '2023-06-30' AND (in_borough_to IS NULL OR '2023-06-30' < in_borough_to))::bigint,
          '2023: as many persons as were in the borough on 30 June (each once)');

-- deterministic: a second run gives the same rows
CREATE TEMP TABLE first_run AS SELECT * FROM pop.population_estimate;
SELECT lives_ok($$SELECT * FROM brent_mdm.generate_borough(20000, 2, 'pop', replace => true)$$, 'generated again');
SELECT is((SELECT count(*) FROM (SELECT * FROM first_run EXCEPT SELECT * FROM pop.population_estimate) x)
          + (SELECT count(*) FROM (SELECT * FROM pop.population_estimate EXCEPT SELECT * FROM first_run) x),
          0::bigint, 'same rows for the same arguments');

-- an aggregate, yet like every generated table it is the DBA's to grant
SELECT ok(NOT has_table_privilege('public', 'pop.population_estimate', 'SELECT'), 'PUBLIC may not read it');
SELECT ok(obj_description('pop.population_estimate'::regclass) LIKE '%no personal data%', 'its comment says what it is');

SELECT * FROM finish();
ROLLBACK;
