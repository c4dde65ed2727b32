-- pgTAP: the London reference data shipped with the extension (issue 13):
-- GLA London Borough Profiles 2017 and MPS recorded crime by borough 2008-2016.
-- The tables are compared cell by cell with the CSV files read here by
-- PostgreSQL's own CSV reader (\copy, LATIN1), not by the build's generator.
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
SELECT plan(47);

-- the files, as published (c1 .. c84 and c1 .. c111, header rows included)
DO $$
BEGIN
  EXECUTE format('CREATE TEMP TABLE csv_profile (%s)',
                 (SELECT string_agg(format('c%s text', i), ', ' ORDER BY i) FROM generate_series(1, 84) i));
  EXECUTE format('CREATE TEMP TABLE csv_crime (%s)',
                 (SELECT string_agg(format('c%s text', i), ', ' ORDER BY i) FROM generate_series(1, 111) i));
END $$;
\copy csv_profile FROM 'data/london/london-borough-profiles-2017.csv' WITH (FORMAT csv, ENCODING 'LATIN1')
\copy csv_profile FROM 'data/london/london-borough-profiles-2017-regions.csv' WITH (FORMAT csv, ENCODING 'LATIN1')
\copy csv_crime FROM 'data/london/mps-borough-crime-2008-2018.csv' WITH (FORMAT csv, ENCODING 'LATIN1')

-- long forms of the files: (code, label, raw text), (borough, major, minor, yyyymm, count)
CREATE TEMP VIEW csv_profile_cells AS
SELECT r.j->>'c1' AS area_code, h.j->>('c' || k) AS label, r.j->>('c' || k) AS raw
  FROM (SELECT DISTINCT to_jsonb(p) AS j FROM csv_profile p WHERE c1 = 'Code') h,
       (SELECT to_jsonb(p) AS j FROM csv_profile p WHERE c1 ~ '^[EK][0-9]{8}$') r,
       generate_series(3, 84) k;
CREATE TEMP VIEW csv_crime_cells AS
SELECT r.j->>'c1' AS borough, r.j->>'c2' AS major, r.j->>'c3' AS minor,
       h.j->>('c' || k) AS yyyymm, (r.j->>('c' || k))::integer AS offences
  FROM (SELECT to_jsonb(c) AS j FROM csv_crime c WHERE c1 = 'Borough') h,
       (SELECT to_jsonb(c) AS j FROM csv_crime c WHERE c1 <> 'Borough') r,
       generate_series(4, 111) k;

-- a figure of the files as a number: thousands separators removed, a pound sign before it
-- (the regions' income column) dropped; NULL when it is not a number
CREATE FUNCTION pg_temp.csv_number(raw text) RETURNS numeric LANGUAGE sql IMMUTABLE
RETURN CASE WHEN btrim(ltrim(raw, chr(163))) ~ '^-?[0-9][0-9.,]*$' THEN replace(btrim(ltrim(raw, chr(163))), ',', '')::numeric END;

-- counts
SELECT is((SELECT count(*)::int FROM brent_mdm.london_area WHERE kind IN ('london_borough', 'city')), 33, '33 London authorities');
SELECT set_eq($$SELECT area_code, kind FROM brent_mdm.london_area WHERE kind NOT IN ('london_borough', 'city')$$,
              $$VALUES ('E13000001', 'sub_region'), ('E13000002', 'sub_region'), ('E12000007', 'region'),
                       ('E92000001', 'country'), ('K02000001', 'country')$$,
              'Inner and Outer London, London, England and the United Kingdom, each of its kind');
SELECT is((SELECT count(*)::int FROM brent_mdm.london_area WHERE kind = 'london_borough'), 32, '32 London boroughs');
SELECT is((SELECT area_code FROM brent_mdm.london_area WHERE kind = 'city'), 'E09000001', 'the City of London is the one city');
SELECT is((SELECT area_name FROM brent_mdm.london_area WHERE area_code = 'E09000005'), 'Brent', 'E09000005 is Brent');
SELECT is((SELECT count(*)::int FROM brent_mdm.london_profile_measure), 82, '82 figures (84 columns but code and name)');
SELECT is((SELECT count(*)::int FROM brent_mdm.london_profile WHERE area_code ~ '^E09'), 33 * 82 - 42, '2,664 figures of the authorities: 33 x 82 less the 42 missing');
SELECT is((SELECT count(*)::int FROM brent_mdm.london_profile WHERE area_code !~ '^E09'), 5 * 82 - 95,
          '315 figures of the regions and countries: 5 x 82 less the 90 missing and the 5 empty Inner/Outer columns');
SELECT is((SELECT count(*)::int FROM brent_mdm.london_crime), 32 * 33 * 108, '114,048 crime rows: 32 boroughs x 33 minor categories x 108 months');
SELECT is((SELECT count(DISTINCT month)::int FROM brent_mdm.london_crime
            WHERE month BETWEEN '2008-01-01' AND '2016-12-01'), 108, '108 months, January 2008 to December 2016');
SELECT is((SELECT count(DISTINCT area_code)::int FROM brent_mdm.london_crime
            WHERE area_code <> 'E09000001'), 32, 'crime for the 32 boroughs, none for the City of London');

-- known values (read from the files by eye)
SELECT is((SELECT value FROM brent_mdm.london_profile
            WHERE area_code = 'E09000005' AND measure = 'gla_population_estimate_2017'), 332100::numeric,
          'Brent''s GLA population estimate 2017 is 332,100');
SELECT is((SELECT value FROM brent_mdm.london_profile
            WHERE area_code = 'E09000005' AND measure = 'overseas_nationals_entering_the_uk_nino_2015_16'), 22162::numeric,
          'a quoted "22,162" is 22162');
SELECT is((SELECT value_text FROM brent_mdm.london_profile
            WHERE area_code = 'E09000005' AND measure = 'political_control_in_council'), 'Lab',
          'a text figure is kept as text (Brent: Lab)');
SELECT is((SELECT offences FROM brent_mdm.london_crime
            WHERE borough = 'Brent' AND minor_category = 'Burglary in a Dwelling' AND month = '2016-12-01'), 198,
          'Brent, burglary in a dwelling, December 2016: 198');
SELECT is((SELECT offences FROM brent_mdm.london_crime
            WHERE area_code = 'E09000005' AND minor_category = 'Burglary in a Dwelling' AND month = '2008-01-01'), 237,
          'Brent, burglary in a dwelling, January 2008: 237');
SELECT is((SELECT sum(offences)::int FROM brent_mdm.london_crime
            WHERE area_code = 'E09000005' AND month = '2016-12-01'), 2362, 'Brent, December 2016: 2,362 offences');

-- cell by cell against the files
SELECT set_eq($$SELECT area_code, label, pg_temp.csv_number(raw) FROM csv_profile_cells
                 WHERE label IN (SELECT label FROM brent_mdm.london_profile_measure WHERE value_type = 'number')
                   AND raw NOT IN ('NaN', '-', '.')$$,
              $$SELECT p.area_code, m.label, p.value FROM brent_mdm.london_profile p JOIN brent_mdm.london_profile_measure m USING (measure)
                 WHERE m.value_type = 'number'$$,
              'every number of the profiles equals the files'' (thousands separators and pound signs removed)');
SELECT set_eq($$SELECT area_code, label, raw FROM csv_profile_cells
                 WHERE label IN (SELECT label FROM brent_mdm.london_profile_measure WHERE value_type = 'text')
                   AND raw NOT IN ('NaN', '-', '.')$$,
              $$SELECT p.area_code, m.label, p.value_text FROM brent_mdm.london_profile p JOIN brent_mdm.london_profile_measure m USING (measure)
                 WHERE m.value_type = 'text'$$,
              'every text figure of the profiles equals the file''s');
SELECT set_eq($$SELECT c1, c2 FROM csv_profile WHERE c1 ~ '^[EK][0-9]{8}$'$$,
              $$SELECT area_code, area_name FROM brent_mdm.london_area$$, 'the areas are the files''');
SELECT set_eq($$SELECT borough, major, minor, to_date(yyyymm, 'YYYYMM'), offences FROM csv_crime_cells$$,
              $$SELECT borough, major_category, minor_category, month, offences FROM brent_mdm.london_crime$$,
              'every monthly count equals the file''s');
SELECT is_empty($$SELECT c.borough FROM brent_mdm.london_crime c JOIN brent_mdm.london_area a USING (area_code)
                   WHERE a.area_name <> c.borough$$, 'each borough''s GSS code is the profiles'' one for its name');

-- the LATIN1 header: the pound sign is decoded
SELECT is((SELECT label FROM brent_mdm.london_profile_measure WHERE measure = 'average_band_d_council_tax_charge_gbp_2015_16'),
          'Average_Band_D_Council_Tax_charge_(' || chr(163) || '),_2015/16', 'the pound sign of a column''s name is decoded');
SELECT set_eq('SELECT label FROM brent_mdm.london_profile_measure',
              $$SELECT label FROM csv_profile_cells WHERE area_code = 'E09000005'$$,
              'every label is the file''s column name');

-- missing values are absent, never 0
SELECT is((SELECT count(*)::int FROM csv_profile_cells WHERE raw IN ('NaN', '-', '.') AND area_code ~ '^E09'), 42, 'the file has 42 missing figures');
SELECT is_empty($$SELECT c.area_code, c.label FROM csv_profile_cells c
                    JOIN brent_mdm.london_profile_measure m USING (label)
                    JOIN brent_mdm.london_profile p ON p.area_code = c.area_code AND p.measure = m.measure
                   WHERE c.raw IN ('NaN', '-', '.')$$, 'no missing figure has a row (none became 0)');
SELECT ok(NOT EXISTS (SELECT FROM brent_mdm.london_profile
                       WHERE area_code = 'E09000001' AND measure = 'male_employment_rate_2015'),
          'the City of London''s male employment rate (NaN) is absent');

-- PUBLIC reads, cannot write; not configuration (not dumped)
CREATE ROLE london_reader_tap;
SET ROLE london_reader_tap;
SELECT is((SELECT count(*)::int FROM brent_mdm.london_crime WHERE area_code = 'E09000005' AND month = '2016-12-01'), 33,
          'a role with no grant reads the crime table');
SELECT throws_ok($$INSERT INTO brent_mdm.london_area VALUES ('E09000099', 'Nowhere', 'london_borough')$$, '42501',
                 NULL, 'a role with no grant cannot insert');
SELECT throws_ok($$UPDATE brent_mdm.london_profile SET value = 0$$, '42501', NULL, 'a role with no grant cannot update');
RESET ROLE;
SELECT is_empty($$SELECT c.relname FROM pg_extension e JOIN pg_class c ON c.oid = ANY (e.extconfig)
                   WHERE e.extname = 'brent_mdm' AND c.relname LIKE 'london%'$$,
                'the London tables are not dumped as configuration');

-- attribution
SELECT ok(brent_mdm.london_attribution() LIKE 'Contains public sector information licensed under the Open Government Licence%'
          AND brent_mdm.london_attribution() LIKE '%Greater London Authority%'
          AND brent_mdm.london_attribution() LIKE '%Metropolitan Police Service%',
          'london_attribution names the licence and both sources');
SELECT is_empty($$SELECT c.relname FROM pg_class c
                   WHERE c.relnamespace = 'brent_mdm'::regnamespace AND c.relkind = 'r' AND c.relname LIKE 'london%'
                     AND obj_description(c.oid, 'pg_class') NOT LIKE '%Contains public sector information licensed under the Open Government Licence%'$$,
                'every London table''s comment carries the attribution');

-- london_rank: every number figure, Brent against the file (rank 1 = highest, ties share)
SELECT set_eq($$SELECT m.measure, 1 + (SELECT count(*)::int FROM csv_profile_cells o
                                        WHERE o.label = c.label AND o.raw NOT IN ('NaN', '-', '.') AND o.area_code ~ '^E09'
                                          AND pg_temp.csv_number(o.raw) > pg_temp.csv_number(c.raw))
                 FROM csv_profile_cells c JOIN brent_mdm.london_profile_measure m USING (label)
                WHERE c.area_code = 'E09000005' AND m.value_type = 'number' AND c.raw NOT IN ('NaN', '-', '.')$$,
              $$SELECT m.measure, r.rank FROM brent_mdm.london_profile_measure m, brent_mdm.london_rank(m.measure) r
                WHERE m.value_type = 'number'$$,
              'london_rank: Brent''s rank on each of its figures is 1 + the authorities above it in the file');
SELECT results_eq($$SELECT value, rank, authorities, quartile, london_value, england_value
                      FROM brent_mdm.london_rank('gla_population_estimate_2017')$$,
                  $$SELECT 332100::numeric, r, 33, ceil(4.0 * r / 33)::int, 8835500::numeric, 55609600::numeric
                      FROM (SELECT count(*)::int + 1 AS r FROM csv_profile WHERE c1 ~ '^E09' AND c4::numeric > 332100) s$$,
                  'london_rank: Brent''s population, its rank and quartile among the 33 authorities (not the regions), London''s and England''s');
SELECT set_eq($$SELECT m.measure, r.london_value, r.england_value
                 FROM brent_mdm.london_profile_measure m, brent_mdm.london_rank(m.measure, 'E09000030') r
                WHERE m.value_type = 'number'$$,
              $$SELECT m.measure, pg_temp.csv_number(l.raw) AS london, pg_temp.csv_number(e.raw) AS england
                  FROM brent_mdm.london_profile_measure m
                  JOIN csv_profile_cells l ON l.label = m.label AND l.area_code = 'E12000007'
                  JOIN csv_profile_cells e ON e.label = m.label AND e.area_code = 'E92000001'
                 WHERE m.value_type = 'number'$$,
              'london_rank: on every number figure, London''s and England''s values are the file''s (NULL where missing)');
SELECT is((SELECT count(*)::int FROM brent_mdm.london_profile_measure m, brent_mdm.london_rank(m.measure) r
            WHERE m.value_type = 'number' AND r.england_value IS NULL), 13,
          'london_rank: England has no figure for 13 of them (NaN in the file: households, density, council tax, elections...)');
SELECT is((SELECT england_value FROM brent_mdm.london_rank('male_life_expectancy_2012_14')), 79.54587555,
          'England''s male life expectancy as published, 79.54587555');
SELECT is((SELECT london_value FROM brent_mdm.london_rank('modelled_household_median_income_estimates_2012_13')), 39110::numeric,
          'London''s household income, written with a pound sign in the file, is 39110');
SELECT results_eq($$SELECT value, rank, authorities, quartile FROM brent_mdm.london_rank('male_employment_rate_2015', 'E09000001')$$,
                  $$VALUES (NULL::numeric, NULL::int, 32, NULL::int)$$,
                  'london_rank: a missing figure has no rank, and is not counted among the authorities');
SELECT throws_ok($$SELECT * FROM brent_mdm.london_rank('no_such_measure')$$, '22023',
                 'unknown London profile measure ''no_such_measure''', 'london_rank: an unknown measure');
SELECT throws_ok($$SELECT * FROM brent_mdm.london_rank('political_control_in_council')$$, '22023',
                 NULL, 'london_rank: a text measure cannot be ranked');
SELECT throws_ok($$SELECT * FROM brent_mdm.london_rank('gla_population_estimate_2017', 'E99')$$, '22023',
                 NULL, 'london_rank: an unknown area');
SELECT ok(has_function_privilege('public', 'brent_mdm.london_rank(text, text)', 'EXECUTE'), 'PUBLIC may run london_rank');
SELECT throws_ok($$SELECT * FROM brent_mdm.london_rank('gla_population_estimate_2017', 'E12000007')$$, '22023',
                 NULL, 'london_rank: London is not an authority to rank');

-- the region rows agree with the authorities: they are the same edition, in the right columns
SELECT is((SELECT value FROM brent_mdm.london_profile WHERE area_code = 'E13000001' AND measure = 'gla_population_estimate_2017')
        + (SELECT value FROM brent_mdm.london_profile WHERE area_code = 'E13000002' AND measure = 'gla_population_estimate_2017'),
          (SELECT value FROM brent_mdm.london_profile WHERE area_code = 'E12000007' AND measure = 'gla_population_estimate_2017'),
          'Inner London + Outer London = London (population)');
SELECT is_empty($$SELECT p.measure FROM brent_mdm.london_profile p
                   WHERE p.area_code = 'E12000007'
                     AND p.measure IN ('gla_population_estimate_2017', 'gla_household_estimate_2017', 'inland_area_hectares',
                                       'net_internal_migration_2015', 'net_international_migration_2015', 'net_natural_change_2015')
                     AND abs(p.value - (SELECT sum(b.value) FROM brent_mdm.london_profile b JOIN brent_mdm.london_area a USING (area_code)
                                         WHERE b.measure = p.measure AND a.kind IN ('london_borough', 'city'))) > 0.0001 * abs(p.value)$$,
                'London''s counts are the sums of its 33 authorities'' (to 0.01 %: the file rounds)');

SELECT * FROM finish();
ROLLBACK;
