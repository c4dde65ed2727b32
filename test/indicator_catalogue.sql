-- pgTAP: the indicator catalogue (issue 13): 40+ indicators over 8 themes,
-- installed as rollups over a generated borough; values recomputed by plain SQL
-- from the base tables (incident, claim, visit, reading, attendance rows; the
-- address gazetteer; population_estimate); the values follow inserts, updates and
-- deletes of the events; rates read the population table; trends, changes, ward
-- ranks and quartiles recomputed; bad input refused with its SQLSTATE.
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
SELECT plan(107);

-- ---- the catalogue ----
SELECT cmp_ok((SELECT count(*)::int FROM brent_mdm.indicator_catalogue WHERE shipped), '>=', 40,
              'at least 40 shipped indicators');
SELECT set_eq($$SELECT DISTINCT theme FROM brent_mdm.indicator_catalogue$$,
              ARRAY['community engagement', 'employment and enterprise', 'housing', 'safety', 'environment',
                    'health and wellbeing', 'skills and education', 'deprivation'],
              'the Data Explorer''s 8 themes');
SELECT is((SELECT min(n)::int FROM (SELECT count(*) n FROM brent_mdm.indicator_catalogue GROUP BY theme) x) >= 4, true,
          'each theme has at least 4 indicators');
SELECT ok((SELECT count(*) FROM brent_mdm.indicator_catalogue WHERE area_kind <> 'none') >= 40,
          'at least 40 at ward level (and all at borough level)');
SELECT is_empty($$SELECT indicator FROM brent_mdm.indicator_catalogue
                   WHERE coalesce(definition, '') = '' OR coalesce(unit, '') = '' OR coalesce(dpia, '') = ''
                      OR coalesce(disclosure_rule, '') = '' OR cardinality(source_tables) = 0
                      OR coalesce(numerator, '') = ''
                      OR (denominator_kind <> 'none' AND coalesce(denominator, '') = '')$$,
                'every indicator has its definition, unit, sources, numerator, denominator, DPIA and disclosure rule');
SELECT ok((SELECT bool_and(dpia LIKE 'None%') FROM brent_mdm.indicator_catalogue WHERE source = 'air_quality_reading')
          AND (SELECT bool_and(dpia NOT LIKE 'None%') FROM brent_mdm.indicator_catalogue
                WHERE source NOT IN ('air_quality_reading')),
          'aggregate sources need no DPIA, personal ones name theirs');
SELECT ok((SELECT count(*) FROM brent_mdm.indicator_catalogue WHERE source = 'air_quality_reading'
             AND (numerator_measure ILIKE '%no2%')) > 0
          AND (SELECT count(*) FROM brent_mdm.indicator_catalogue WHERE source = 'air_quality_reading'
             AND (numerator_measure ILIKE '%pm25%')) > 0, 'environment has NO2 and PM2.5');
SELECT ok((SELECT count(*) FROM brent_mdm.indicator_catalogue WHERE denominator_kind = 'population') >= 30,
          'rates per 1,000 on the population estimate');
SELECT throws_ok($$INSERT INTO brent_mdm.indicator_catalogue (indicator, theme, title, definition, unit, polarity,
                     source_tables, numerator, dpia, disclosure_rule, source, numerator_measure, denominator_kind,
                     area_kind, area_column, period_column, grain)
                   VALUES ('x_avg', 'safety', 't', 'd', 'u', 'lower_better', '{asb_incident}', 'n', 'None', 'None',
                           'asb_incident', 'avg(incident_id)', 'none', 'ward', 'ward_code', 'occurred_on', 'quarter')$$,
                 '23514', NULL, 'a measure that cannot be added up over areas (avg) is refused');
SELECT is((SELECT e.extcondition[array_position(e.extconfig, 'brent_mdm.indicator_catalogue'::regclass::oid)]
             FROM pg_extension e WHERE e.extname = 'brent_mdm'),
          'WHERE NOT shipped', 'pg_dump keeps the council''s rows, not the shipped ones');

-- ---- install over a borough ----
SELECT lives_ok($$SELECT * FROM brent_mdm.generate_borough(6000, 2, 'borough')$$, 'borough of 6000, seed 2');
CREATE TEMP TABLE installed AS SELECT * FROM brent_mdm.indicator_catalogue_install('borough');
SELECT is((SELECT count(*) FROM installed), (SELECT count(*) FROM brent_mdm.indicator_catalogue),
          'every catalogue indicator installs');
SELECT is((SELECT count(*) FROM brent_mdm.indicator WHERE name LIKE 'ic\_%'),
          (SELECT count(DISTINCT r) FROM (SELECT numerator_rollup r FROM installed UNION SELECT denominator_rollup FROM installed) x
            WHERE r IS NOT NULL) + 5,
          'one rollup per distinct measure, plus the 5 lookups');
SELECT is((SELECT sum(brent_mdm.verify_indicator(name)) FROM brent_mdm.indicator WHERE name LIKE 'ic\_%'), 0::numeric,
          'verify_indicator = 0 for every rollup of the catalogue');
SELECT is((SELECT sum(rollups_defined) FROM brent_mdm.indicator_catalogue_install('borough')), 0::bigint,
          'installing again defines nothing new');

-- ---- recounts in plain SQL from the base tables ----
-- postcode -> ward: the ward of most of the postcode's addresses
CREATE TEMP TABLE pc_ward AS
SELECT DISTINCT ON (k) k, ward_code FROM (SELECT brent_mdm.postcode_normalise(postcode) k, ward_code, count(*) n
                                            FROM borough.address GROUP BY 1, 2) x
 ORDER BY k, n DESC, ward_code;
CREATE TEMP TABLE quarters AS
SELECT q::date AS period FROM generate_series(date '2021-04-01', date '2026-01-01', '3 months') q;
CREATE TEMP TABLE areas AS SELECT ward_code AS area_code FROM borough.ward UNION ALL SELECT 'borough';
-- mid-year population of an age range (and sex), by area and quarter (the year of mid-quarter, 2021 to 2025)
CREATE FUNCTION pg_temp.pop(lo int, hi int, sx text) RETURNS TABLE (area_code text, period date, persons numeric)
LANGUAGE sql AS $$
  SELECT a.area_code, q.period,
         (SELECT sum(persons) FROM borough.population_estimate e
           WHERE (a.area_code = 'borough' OR e.ward_code = a.area_code) AND e.age BETWEEN lo AND hi
             AND (sx IS NULL OR e.sex = sx)
             AND e.year = least(greatest(extract(year FROM q.period + 45)::int, 2021), 2025))
    FROM areas a, quarters q
$$;
-- events by area and quarter: (ward or NULL, date) -> counts for wards and the borough
CREATE FUNCTION pg_temp.by_area(q text) RETURNS TABLE (area_code text, period date, n numeric)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format(
    'WITH e AS (%s) SELECT a.area_code, qq.period,'
    ' (SELECT coalesce(sum(e.v), 0) FROM e WHERE (a.area_code = ''borough'' OR e.ward = a.area_code)'
    '   AND e.d >= qq.period AND e.d < qq.period + interval ''3 months'')::numeric'
    ' FROM areas a, quarters qq', q);
END $$;
-- compares one indicator's values with (area_code, period, numerator, denominator) and a multiplier
CREATE FUNCTION pg_temp.differs(ind text, expected text, mult numeric) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format(
    'SELECT count(*) FROM (SELECT * FROM brent_mdm.indicator_values(%L)) v FULL JOIN (%s) x USING (area_code, period)'
    ' WHERE v.numerator IS DISTINCT FROM x.numerator OR v.denominator IS DISTINCT FROM x.denominator'
    '    OR v.value IS DISTINCT FROM CASE WHEN %L = ''none'' THEN x.numerator'
    '                                     ELSE round(x.numerator * %s / nullif(x.denominator, 0), 3) END',
    ind, expected, (SELECT denominator_kind FROM brent_mdm.indicator_catalogue WHERE indicator = ind), mult) INTO n;
  RETURN n;
END $$;

CREATE VIEW pg_temp.asb_expected AS
SELECT n.area_code, n.period, n.n AS numerator, p.persons AS denominator
  FROM pg_temp.by_area('SELECT ward_code AS ward, occurred_on AS d, 1 AS v FROM borough.asb_incident') n
  JOIN pg_temp.pop(0, 90, NULL) p USING (area_code, period);
SELECT is(pg_temp.differs('asb_incidents_rate', 'SELECT * FROM pg_temp.asb_expected', 1000), 0::bigint,
          'asb_incidents_rate: every ward, the borough, every quarter, recounted from asb_incident and population_estimate');
SELECT is((SELECT count(*) FROM brent_mdm.indicator_values('asb_incidents_rate')), 23 * 20::bigint,
          '22 wards and the borough x 20 quarters of the window');

CREATE VIEW pg_temp.claims_expected AS
SELECT n.area_code, n.period, n.n AS numerator, p.persons AS denominator
  FROM pg_temp.by_area('SELECT w.ward_code AS ward, claim_start AS d, 1 AS v FROM borough.revenues_benefits r
                        LEFT JOIN pc_ward w ON w.k = brent_mdm.postcode_normalise(r.postcode)
                        WHERE claim_type = ''Council Tax Reduction''') n
  JOIN pg_temp.pop(18, 90, NULL) p USING (area_code, period);
SELECT is(pg_temp.differs('ctr_claims_rate', 'SELECT * FROM pg_temp.claims_expected', 1000), 0::bigint,
          'ctr_claims_rate (postcode to ward, adults 18+) recounted');

SELECT is(pg_temp.differs('out_of_work_claims_share',
  $$SELECT n.area_code, n.period, CASE WHEN d.n > 0 THEN n.n END AS numerator, nullif(d.n, 0) AS denominator
      FROM pg_temp.by_area('SELECT w.ward_code AS ward, claim_start AS d, CASE WHEN out_of_work THEN 1 ELSE 0 END AS v
                            FROM borough.revenues_benefits r LEFT JOIN pc_ward w ON w.k = brent_mdm.postcode_normalise(r.postcode)') n
      JOIN pg_temp.by_area('SELECT w.ward_code AS ward, claim_start AS d, 1 AS v
                            FROM borough.revenues_benefits r LEFT JOIN pc_ward w ON w.k = brent_mdm.postcode_normalise(r.postcode)') d
     USING (area_code, period)$$, 100), 0::bigint,
  'out_of_work_claims_share (a share of two measures; no value where there is no claim) recounted');

SELECT is(pg_temp.differs('hv_visit_14_days_share',
  $$SELECT n.area_code, n.period, CASE WHEN d.n > 0 THEN n.n END AS numerator, nullif(d.n, 0) AS denominator
      FROM pg_temp.by_area('SELECT w.ward_code AS ward, first_visit_date AS d,
                                   CASE WHEN first_visit_date - child_dob <= 14 THEN 1 ELSE 0 END AS v
                            FROM borough.health_visiting r LEFT JOIN pc_ward w ON w.k = brent_mdm.postcode_normalise(r.postcode)') n
      JOIN pg_temp.by_area('SELECT w.ward_code AS ward, first_visit_date AS d, 1 AS v
                            FROM borough.health_visiting r LEFT JOIN pc_ward w ON w.k = brent_mdm.postcode_normalise(r.postcode)') d
     USING (area_code, period)$$, 100), 0::bigint,
  'hv_visit_14_days_share (JSNA: new birth visits within 14 days) recounted');

SELECT is(pg_temp.differs('ey_30_hours_share',
  $$SELECT n.area_code, n.period, CASE WHEN d.n > 0 THEN n.n END AS numerator, nullif(d.n, 0) AS denominator
      FROM pg_temp.by_area('SELECT w.ward_code AS ward, start_date AS d,
                                   CASE WHEN funded_entitlement = ''3-4 extended 30 hours'' THEN 1 ELSE 0 END AS v
                            FROM borough.early_years r LEFT JOIN pc_ward w ON w.k = brent_mdm.postcode_normalise(r.postcode)') n
      JOIN pg_temp.by_area('SELECT w.ward_code AS ward, start_date AS d,
                                   CASE WHEN funded_entitlement IN (''3-4 extended 30 hours'', ''3-4 universal 15 hours'') THEN 1 ELSE 0 END AS v
                            FROM borough.early_years r LEFT JOIN pc_ward w ON w.k = brent_mdm.postcode_normalise(r.postcode)') d
     USING (area_code, period)$$, 100), 0::bigint,
  'ey_30_hours_share: where early years rows exist but none counts in the denominator, no value (not 0 of 0)');
SELECT is(pg_temp.differs('proven_offences_rate',
  $$SELECT n.area_code, n.period, n.n AS numerator, p.persons AS denominator
      FROM pg_temp.by_area('SELECT w.ward_code AS ward, o.offence_date AS d, 1 AS v FROM borough.offence o
                            LEFT JOIN borough.youth_offending y USING (yot_case_id)
                            LEFT JOIN pc_ward w ON w.k = brent_mdm.postcode_normalise(y.postcode)') n
      JOIN pg_temp.pop(10, 17, NULL) p USING (area_code, period)$$, 1000), 0::bigint,
  'proven_offences_rate (offence -> youth offending case -> postcode -> ward; aged 10-17) recounted');

SELECT is(pg_temp.differs('no2_max',
  $$SELECT a.area_code, q.period,
           (SELECT max(r.no2)::numeric FROM borough.air_quality_reading r JOIN borough.air_quality_site s USING (site_id)
             WHERE (a.area_code = 'borough' OR s.ward_code = a.area_code)
               AND r.month >= q.period AND r.month < q.period + interval '3 months') AS numerator, NULL::numeric AS denominator
      FROM areas a, quarters q$$, 1), 0::bigint,
  'no2_max (site -> ward, highest monthly mean) recomputed');

SELECT is(pg_temp.differs('pm25_exceed_share',
  $$SELECT a.area_code, q.period, CASE WHEN x.d > 0 THEN x.n END AS numerator, nullif(x.d, 0) AS denominator
      FROM areas a CROSS JOIN quarters q
      CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE r.pm25 > 10)::numeric n, count(r.pm25)::numeric d
                            FROM borough.air_quality_reading r JOIN borough.air_quality_site s USING (site_id)
                           WHERE (a.area_code = 'borough' OR s.ward_code = a.area_code)
                             AND r.month >= q.period AND r.month < q.period + interval '3 months') x$$, 100), 0::bigint,
  'pm25_exceed_share recomputed');

SELECT is(pg_temp.differs('new_mother_rate',
  $$SELECT 'borough' AS area_code, q.period,
           (SELECT count(*) FROM borough.health_flag f WHERE f.flag = 'new_mother'
             AND f.recorded_on >= q.period AND f.recorded_on < q.period + interval '3 months')::numeric AS numerator,
           p.persons AS denominator
      FROM quarters q JOIN pg_temp.pop(15, 44, 'F') p ON p.area_code = 'borough' AND p.period = q.period$$, 1000), 0::bigint,
  'new_mother_rate (borough only: health flags carry no address; women 15-44) recounted');

-- attendance: upn -> the pupil's census postcode -> ward; by academic year
CREATE VIEW pg_temp.attendance_expected AS
WITH u AS (SELECT DISTINCT ON (upn) upn, w.ward_code FROM borough.school_census c
             JOIN pc_ward w ON w.k = brent_mdm.postcode_normalise(c.postcode) WHERE upn IS NOT NULL
            ORDER BY upn, w.ward_code),
e AS (SELECT u.ward_code, make_date(left(academic_year, 4)::int, 9, 1) AS period,
             sessions_unauthorised_absence AS n, sessions_possible AS d
        FROM borough.school_attendance a LEFT JOIN u USING (upn)),
years AS (SELECT y::date AS period FROM generate_series(date '2020-09-01', date '2025-09-01', '1 year') y)
SELECT a.area_code, y.period,
       (SELECT sum(n) FROM e WHERE (a.area_code = 'borough' OR e.ward_code = a.area_code) AND e.period = y.period)::numeric AS numerator,
       (SELECT sum(d) FROM e WHERE (a.area_code = 'borough' OR e.ward_code = a.area_code) AND e.period = y.period)::numeric AS denominator
  FROM areas a, years y;
SELECT is(pg_temp.differs('unauthorised_absence_share', 'SELECT * FROM pg_temp.attendance_expected', 100), 0::bigint,
          'unauthorised_absence_share (upn -> census postcode -> ward, by academic year) recomputed');

SELECT ok((SELECT count(*) FROM brent_mdm.indicator_values() WHERE value IS NOT NULL) > 20000,
          'the whole catalogue reads (over 20,000 values)');
SELECT is_empty($$SELECT v.indicator, v.period FROM brent_mdm.indicator_values() v
                    JOIN brent_mdm.indicator_catalogue k USING (indicator)
                   WHERE k.numerator_measure !~* '^\s*(min|max)' AND k.area_kind = 'postcode'
                   GROUP BY v.indicator, v.period
                  HAVING max(v.numerator) FILTER (WHERE v.area_code = 'borough')
                         < sum(v.numerator) FILTER (WHERE v.area_code <> 'borough')$$,
                'a borough count is never below the sum of its wards (records whose postcode has no ward count in the borough only)');

-- ---- rates read population_estimate ----
UPDATE borough.population_estimate SET persons = persons * 2 WHERE ward_code = 'W05' AND year = 2023;
SELECT is((SELECT denominator FROM brent_mdm.indicator_values('asb_incidents_rate', area => 'W05', period_from => '2023-07-01',
                                                               period_to => '2023-07-01')),
          (SELECT sum(persons)::numeric FROM borough.population_estimate WHERE ward_code = 'W05' AND year = 2023),
          'a rate''s denominator is read from population_estimate (doubled, it follows)');
SELECT is(pg_temp.differs('asb_incidents_rate', 'SELECT * FROM pg_temp.asb_expected', 1000), 0::bigint,
          'and every value follows it');
UPDATE borough.population_estimate SET persons = persons / 2 WHERE ward_code = 'W05' AND year = 2023;

-- ---- the values follow the events (rollups) ----
INSERT INTO borough.asb_incident (incident_id, occurred_on, category, ward_code, geom)
SELECT 900000 + g, date '2024-05-01' + g % 60, CASE WHEN g % 2 = 0 THEN 'noise' ELSE 'fly-tipping' END,
       'W0' || (1 + g % 9), geom
  FROM generate_series(1, 300) g, (SELECT geom FROM borough.asb_incident LIMIT 1) x;
UPDATE borough.asb_incident SET ward_code = 'W12' WHERE incident_id IN (SELECT incident_id FROM borough.asb_incident
                                                                       WHERE ward_code = 'W01' ORDER BY incident_id LIMIT 20);
DELETE FROM borough.asb_incident WHERE incident_id % 7 = 0 AND incident_id < 900000;
UPDATE borough.revenues_benefits SET postcode = (SELECT postcode FROM borough.address WHERE ward_code = 'W20' LIMIT 1),
                                     claim_start = claim_start - 100
 WHERE claim_ref IN (SELECT claim_ref FROM borough.revenues_benefits ORDER BY claim_ref LIMIT 60);
DELETE FROM borough.revenues_benefits WHERE claim_ref IN (SELECT claim_ref FROM borough.revenues_benefits ORDER BY claim_ref DESC LIMIT 40);
INSERT INTO borough.revenues_benefits (claim_ref, postcode, claim_type, claim_start, out_of_work)
SELECT 'NEW-' || g, lower(replace((SELECT postcode FROM borough.address ORDER BY uprn OFFSET g LIMIT 1), ' ', '')),
       'Council Tax Reduction', date '2025-02-01' + g, g % 3 = 0
  FROM generate_series(1, 80) g;
UPDATE borough.air_quality_reading SET no2 = 99.5 WHERE site_id = 4 AND month = '2024-02-01';
UPDATE borough.school_attendance SET sessions_unauthorised_absence = sessions_unauthorised_absence + 5
 WHERE upn IN (SELECT upn FROM borough.school_attendance ORDER BY upn LIMIT 100);
SELECT is(pg_temp.differs('asb_incidents_rate', 'SELECT * FROM pg_temp.asb_expected', 1000), 0::bigint,
          'after inserts, updates (moved between wards) and deletes of incidents: asb_incidents_rate still equals the recount');
SELECT is(pg_temp.differs('ctr_claims_rate', 'SELECT * FROM pg_temp.claims_expected', 1000), 0::bigint,
          'after claims moved (postcode and date), deleted and inserted (unformatted postcodes): ctr_claims_rate equals the recount');
SELECT is(pg_temp.differs('out_of_work_claims_share',
  $$SELECT n.area_code, n.period, CASE WHEN d.n > 0 THEN n.n END AS numerator, nullif(d.n, 0) AS denominator
      FROM pg_temp.by_area('SELECT w.ward_code AS ward, claim_start AS d, CASE WHEN out_of_work THEN 1 ELSE 0 END AS v
                            FROM borough.revenues_benefits r LEFT JOIN pc_ward w ON w.k = brent_mdm.postcode_normalise(r.postcode)') n
      JOIN pg_temp.by_area('SELECT w.ward_code AS ward, claim_start AS d, 1 AS v
                            FROM borough.revenues_benefits r LEFT JOIN pc_ward w ON w.k = brent_mdm.postcode_normalise(r.postcode)') d
     USING (area_code, period)$$, 100), 0::bigint, 'and so does out_of_work_claims_share');
SELECT is(pg_temp.differs('fly_tipping_rate',
  $$SELECT n.area_code, n.period, n.n AS numerator, p.persons AS denominator
      FROM pg_temp.by_area('SELECT ward_code AS ward, occurred_on AS d, 1 AS v FROM borough.asb_incident WHERE category = ''fly-tipping''') n
      JOIN pg_temp.pop(0, 90, NULL) p USING (area_code, period)$$, 1000), 0::bigint, 'fly_tipping_rate follows');
SELECT is((SELECT numerator FROM brent_mdm.indicator_values('no2_max', area => (SELECT ward_code FROM borough.air_quality_site WHERE site_id = 4),
                                                            period_from => '2024-01-01', period_to => '2024-01-01')),
          99.5, 'no2_max follows a corrected reading');
SELECT is(pg_temp.differs('unauthorised_absence_share', 'SELECT * FROM pg_temp.attendance_expected', 100), 0::bigint,
          'unauthorised_absence_share follows the attendance updates');
-- a pupil moves: the census postcode (the lookup) changes, the attendance follows the pupil to the new ward
UPDATE borough.school_census SET postcode = (SELECT postcode FROM borough.address WHERE ward_code = 'W22' LIMIT 1)
 WHERE upn IN (SELECT upn FROM borough.school_census WHERE upn IS NOT NULL ORDER BY upn LIMIT 50);
SELECT is(pg_temp.differs('unauthorised_absence_share', 'SELECT * FROM pg_temp.attendance_expected', 100), 0::bigint,
          'and a change of the lookup (pupils'' census postcodes) moves their attendance to the new ward');
SELECT is((SELECT sum(brent_mdm.verify_indicator(name)) FROM brent_mdm.indicator WHERE name LIKE 'ic\_%'), 0::numeric,
          'verify_indicator = 0 for every rollup after the changes');

-- ---- the ward stage: the rollups placed by a lookup are kept by ward too ----
SELECT is((SELECT count(*) FROM brent_mdm.indicator_catalogue_ward_rollup WHERE target_schema = 'borough'),
          (SELECT count(DISTINCT r) FROM installed i JOIN brent_mdm.indicator_catalogue c USING (indicator)
             CROSS JOIN LATERAL (VALUES (i.numerator_rollup), (i.denominator_rollup)) x(r)
            WHERE r IS NOT NULL AND c.area_kind IN ('postcode', 'upn', 'lcs_person', 'yot_case')),
          'every rollup placed by a postcode, pupil, social care person or youth offending case is kept by ward');
SELECT ok(brent_mdm.indicator_catalogue_sql('borough', '{ctr_claims_rate,unauthorised_absence_share,proven_offences_rate}', NULL)
            LIKE '%\_ward r %'
          AND brent_mdm.indicator_catalogue_sql('borough', '{ctr_claims_rate,unauthorised_absence_share,proven_offences_rate}', NULL)
            NOT LIKE '%lk\_postcode%',
          'the readers read them by ward, without computing a lookup');
SELECT is(brent_mdm.indicator_catalogue_ward_verify('borough'), 0::bigint,
          'after the changes of events and of the census postcodes, the ward stage equals its recompute');
-- the gazetteer changes: the addresses of 5 postcodes with claims move to another ward, those of a
-- postcode with claims are deleted, and a postcode the gazetteer did not know (claims there) is added
CREATE TEMP TABLE ctr_before AS SELECT * FROM brent_mdm.indicator_values('ctr_claims_rate');
CREATE TEMP TABLE att_before AS SELECT * FROM brent_mdm.indicator_values('unauthorised_absence_share');
CREATE TEMP TABLE moved_postcodes AS
SELECT a.postcode FROM borough.address a
 WHERE EXISTS (SELECT FROM borough.revenues_benefits r WHERE brent_mdm.postcode_normalise(r.postcode) = a.postcode)
   AND EXISTS (SELECT FROM borough.school_census c WHERE brent_mdm.postcode_normalise(c.postcode) = a.postcode)
 GROUP BY a.postcode ORDER BY a.postcode LIMIT 5;
UPDATE borough.address SET ward_code = CASE WHEN ward_code = 'W21' THEN 'W22' ELSE 'W21' END
 WHERE postcode IN (SELECT postcode FROM moved_postcodes);
DELETE FROM borough.address WHERE postcode = (SELECT a.postcode FROM borough.address a
  WHERE EXISTS (SELECT FROM borough.revenues_benefits r WHERE brent_mdm.postcode_normalise(r.postcode) = a.postcode)
    AND a.postcode NOT IN (SELECT postcode FROM moved_postcodes) ORDER BY a.postcode DESC LIMIT 1);
INSERT INTO borough.revenues_benefits (claim_ref, postcode, claim_type, claim_start, out_of_work)
SELECT 'UNKNOWN-' || g, 'nw10 9zz', 'Council Tax Reduction', date '2024-01-10' + g, true FROM generate_series(1, 12) g;
INSERT INTO borough.address (uprn, address_line, postcode, ward_code, geom)
SELECT 990000000 + g, g || ' New Road', 'NW10 9ZZ', 'W03', geom
  FROM generate_series(1, 3) g, (SELECT geom FROM borough.address LIMIT 1) x;
TRUNCATE pc_ward;
INSERT INTO pc_ward
SELECT DISTINCT ON (k) k, ward_code FROM (SELECT brent_mdm.postcode_normalise(postcode) k, ward_code, count(*) n
                                            FROM borough.address GROUP BY 1, 2) x
 ORDER BY k, n DESC, ward_code;
SELECT ok((SELECT count(*) FROM brent_mdm.indicator_values('ctr_claims_rate') v JOIN ctr_before b USING (area_code, period)
            WHERE v.numerator IS DISTINCT FROM b.numerator) > 0
          AND (SELECT count(*) FROM brent_mdm.indicator_values('unauthorised_absence_share') v JOIN att_before b USING (area_code, period)
                WHERE v.numerator IS DISTINCT FROM b.numerator) > 0,
          'a change of the gazetteer moves claims and pupils'' attendance between wards');
SELECT is(pg_temp.differs('ctr_claims_rate', 'SELECT * FROM pg_temp.claims_expected', 1000), 0::bigint,
          'after the gazetteer moved postcodes between wards, dropped one and learnt one: ctr_claims_rate equals the recount');
SELECT is(pg_temp.differs('out_of_work_claims_share',
  $$SELECT n.area_code, n.period, CASE WHEN d.n > 0 THEN n.n END AS numerator, nullif(d.n, 0) AS denominator
      FROM pg_temp.by_area('SELECT w.ward_code AS ward, claim_start AS d, CASE WHEN out_of_work THEN 1 ELSE 0 END AS v
                            FROM borough.revenues_benefits r LEFT JOIN pc_ward w ON w.k = brent_mdm.postcode_normalise(r.postcode)') n
      JOIN pg_temp.by_area('SELECT w.ward_code AS ward, claim_start AS d, 1 AS v
                            FROM borough.revenues_benefits r LEFT JOIN pc_ward w ON w.k = brent_mdm.postcode_normalise(r.postcode)') d
     USING (area_code, period)$$, 100), 0::bigint, 'and so does out_of_work_claims_share');
SELECT is(pg_temp.differs('hv_visit_14_days_share',
  $$SELECT n.area_code, n.period, CASE WHEN d.n > 0 THEN n.n END AS numerator, nullif(d.n, 0) AS denominator
      FROM pg_temp.by_area('SELECT w.ward_code AS ward, first_visit_date AS d,
                                   CASE WHEN first_visit_date - child_dob <= 14 THEN 1 ELSE 0 END AS v
                            FROM borough.health_visiting r LEFT JOIN pc_ward w ON w.k = brent_mdm.postcode_normalise(r.postcode)') n
      JOIN pg_temp.by_area('SELECT w.ward_code AS ward, first_visit_date AS d, 1 AS v
                            FROM borough.health_visiting r LEFT JOIN pc_ward w ON w.k = brent_mdm.postcode_normalise(r.postcode)') d
     USING (area_code, period)$$, 100), 0::bigint, 'and hv_visit_14_days_share');
SELECT is(pg_temp.differs('unauthorised_absence_share', 'SELECT * FROM pg_temp.attendance_expected', 100), 0::bigint,
          'and attendance (pupil -> census postcode -> ward: the pupils at the moved postcodes follow)');
SELECT is(pg_temp.differs('proven_offences_rate',
  $$SELECT n.area_code, n.period, n.n AS numerator, p.persons AS denominator
      FROM pg_temp.by_area('SELECT w.ward_code AS ward, o.offence_date AS d, 1 AS v FROM borough.offence o
                            LEFT JOIN borough.youth_offending y USING (yot_case_id)
                            LEFT JOIN pc_ward w ON w.k = brent_mdm.postcode_normalise(y.postcode)') n
      JOIN pg_temp.pop(10, 17, NULL) p USING (area_code, period)$$, 1000), 0::bigint,
  'and proven_offences_rate (offence -> youth offending case -> postcode -> ward)');
-- a youth offending case moves (the lookup of offences), offences are added to it
UPDATE borough.youth_offending SET postcode = (SELECT postcode FROM moved_postcodes LIMIT 1)
 WHERE yot_case_id IN (SELECT yot_case_id FROM borough.offence ORDER BY yot_case_id LIMIT 3);
SELECT is(pg_temp.differs('proven_offences_rate',
  $$SELECT n.area_code, n.period, n.n AS numerator, p.persons AS denominator
      FROM pg_temp.by_area('SELECT w.ward_code AS ward, o.offence_date AS d, 1 AS v FROM borough.offence o
                            LEFT JOIN borough.youth_offending y USING (yot_case_id)
                            LEFT JOIN pc_ward w ON w.k = brent_mdm.postcode_normalise(y.postcode)') n
      JOIN pg_temp.pop(10, 17, NULL) p USING (area_code, period)$$, 1000), 0::bigint,
  'a youth offending case that moves takes its offences to the new ward');
SELECT is(brent_mdm.indicator_catalogue_ward_verify('borough'), 0::bigint,
          'after the gazetteer and case changes, the ward stage equals its recompute');
SELECT cmp_ok(brent_mdm.indicator_catalogue_ward_fold('borough'), '>', 0::bigint, 'the ward stage''s deltas fold');
SELECT is((SELECT count(*) FROM brent_mdm.indicator_values('ctr_claims_rate') v FULL JOIN pg_temp.claims_expected e
             USING (area_code, period) WHERE v.numerator IS DISTINCT FROM e.numerator), 0::bigint,
          'folded, the figures are the same');
SELECT is(brent_mdm.indicator_catalogue_ward_verify('borough'), 0::bigint, 'and the ward stage is exact');
TRUNCATE borough.cme_referral;
SELECT is((SELECT sum(numerator) FROM brent_mdm.indicator_values('cme_referrals_rate')), 0::numeric,
          'TRUNCATE of a source empties its ward figures');
SELECT is(brent_mdm.indicator_catalogue_ward_verify('borough'), 0::bigint, 'and the ward stage stays exact');
SELECT throws_ok($$CREATE TRIGGER t AFTER INSERT ON borough.ward FOR EACH STATEMENT
                   EXECUTE FUNCTION brent_mdm.indicator_catalogue_ward_trigger('borough');
                   INSERT INTO borough.ward SELECT * FROM borough.ward LIMIT 0$$, '42501', NULL,
                 'the ward stage''s trigger on a table that is neither a source nor a lookup: refused');

-- ---- ward ranks and quartiles, with polarity ----
CREATE TEMP TABLE ranks_expected AS
WITH latest AS (SELECT indicator, max(period) AS period FROM brent_mdm.indicator_values()
                 WHERE area_code = 'borough' AND value IS NOT NULL GROUP BY indicator),
v AS (SELECT v.*, k.polarity FROM brent_mdm.indicator_values() v JOIN latest USING (indicator, period)
        JOIN brent_mdm.indicator_catalogue k USING (indicator) WHERE v.area_code <> 'borough' AND v.value IS NOT NULL)
SELECT indicator, area_code,
       (SELECT count(*) FROM v v2 WHERE v2.indicator = v.indicator
          AND CASE WHEN v.polarity = 'lower_better' THEN v2.value < v.value ELSE v2.value > v.value END) + 1 AS rank,
       (SELECT count(*) FROM v v2 WHERE v2.indicator = v.indicator) AS wards
  FROM v;
SELECT is((SELECT count(*) FROM brent_mdm.indicator_ward_ranks() r
             FULL JOIN ranks_expected e ON e.indicator = r.indicator AND e.area_code = r.ward_code
            WHERE (r.rank IS NOT NULL OR e.rank IS NOT NULL)
              AND (r.rank IS DISTINCT FROM e.rank OR r.wards IS DISTINCT FROM e.wards
                   OR r.quartile IS DISTINCT FROM ceil(4.0 * e.rank / e.wards)::int)), 0::bigint,
          'ranks (1 = best by polarity, ties share), wards and quartiles recomputed for every indicator');
SELECT is((SELECT count(*) FROM brent_mdm.indicator_ward_ranks() r JOIN ranks_expected e
             ON e.indicator = r.indicator AND e.area_code = r.ward_code
            WHERE r.rank = e.rank AND r.quartile = ceil(4.0 * e.rank / e.wards)::int),
          (SELECT count(*) FROM ranks_expected), 'every ward with a value is ranked as recomputed');
SELECT is((SELECT array_agg(ward_code ORDER BY rank, ward_code) FROM brent_mdm.indicator_ward_ranks('asb_incidents_rate')
            WHERE rank = 1),
          (SELECT array_agg(area_code ORDER BY area_code) FROM brent_mdm.indicator_values('asb_incidents_rate')
            WHERE area_code <> 'borough' AND period = '2026-01-01'
              AND value = (SELECT min(value) FROM brent_mdm.indicator_values('asb_incidents_rate')
                            WHERE area_code <> 'borough' AND period = '2026-01-01')),
          'lower_better: the lowest rate ranks first');
SELECT is((SELECT ward_code FROM brent_mdm.indicator_ward_ranks('ey_2yo_funded_rate', at_period => '2024-04-01')
            ORDER BY rank, ward_code LIMIT 1),
          (SELECT area_code FROM brent_mdm.indicator_values('ey_2yo_funded_rate', period_from => '2024-04-01', period_to => '2024-04-01')
            WHERE area_code <> 'borough' ORDER BY value DESC, area_code LIMIT 1),
          'higher_better, a chosen period: the highest ranks first');
SELECT is((SELECT count(*) FROM brent_mdm.indicator_ward_ranks('mental_health_flag_rate')), 0::bigint,
          'no ward ranks for a borough-only indicator');

-- ---- trends and changes per indicator and ward ----
CREATE TEMP TABLE all_values AS SELECT * FROM brent_mdm.indicator_values();
SELECT is((SELECT count(*) FROM brent_mdm.indicator_trends() t
             JOIN (SELECT indicator, area_code, array_agg(period ORDER BY period) ps, array_agg(value ORDER BY period) vs
                     FROM all_values WHERE period > date '2026-03-31' - interval '3 years'
                    GROUP BY indicator, area_code) s USING (indicator, area_code)
             JOIN brent_mdm.indicator_catalogue k USING (indicator)
             LEFT JOIN LATERAL brent_mdm.series_trend(s.ps, s.vs, k.polarity, 'quarter', 3) e ON true
            WHERE k.grain = 'quarter'
              AND (e.points, e.tau, e.p, e.sen_slope, e.direction, e.period_from, e.period_to)
                  IS DISTINCT FROM (t.points, t.tau, t.p, t.sen_slope, t.direction, t.period_from, t.period_to)), 0::bigint,
          'indicator_trends = series_trend of each indicator x area''s series over the last 3 years of the window, for every quarterly indicator');
SELECT is((SELECT count(*) FROM brent_mdm.indicator_trends()), (SELECT count(*) FROM
            (SELECT DISTINCT indicator, area_code FROM all_values) x),
          'a trend for every indicator x ward (and the borough)');
SELECT is((SELECT array_agg(DISTINCT points) FROM brent_mdm.indicator_trends('asb_incidents_rate')), ARRAY[12],
          '3-year trend of a quarterly indicator: 12 quarters');
SELECT is((SELECT count(*) FROM brent_mdm.indicator_trends('unauthorised_absence_share') WHERE direction = 'not enough data'),
          23::bigint, 'a yearly indicator''s 3-year trend has too few values: not enough data, no trend');
SELECT is((SELECT array_agg(DISTINCT period_from) FROM brent_mdm.indicator_trends('unauthorised_absence_share', years => 5)),
          ARRAY[date '2021-09-01'], 'academic years keep their September start');
SELECT is((SELECT count(*) FROM brent_mdm.indicator_changes('asb_incidents_rate', area => 'W03') c
             FULL JOIN (SELECT v.period, v.value, lag(v.value) OVER (ORDER BY v.period) AS prev,
                               lag(v.value, 4) OVER (ORDER BY v.period) AS year_ago
                          FROM brent_mdm.indicator_values('asb_incidents_rate', area => 'W03') v) e USING (period)
            WHERE c.value IS DISTINCT FROM e.value OR c.previous_value IS DISTINCT FROM e.prev
               OR c.year_ago_value IS DISTINCT FROM e.year_ago OR c.change IS DISTINCT FROM e.value - e.prev), 0::bigint,
          'indicator_changes: previous quarter and same quarter a year before, recomputed with lag()');
SELECT is((SELECT count(*) FROM brent_mdm.indicator_changes('no2_exceed_share') WHERE rolling_year IS NOT NULL), 0::bigint,
          'no rolling year of a share');

-- ---- a council's own indicator ----
INSERT INTO brent_mdm.indicator_catalogue (indicator, theme, title, definition, unit, polarity, source_tables, numerator,
  denominator, dpia, disclosure_rule, source, numerator_measure, denominator_kind, population_age_from, area_kind,
  area_column, period_column, grain)
VALUES ('asb_over_65s_rate', 'safety', 'ASB per older resident', 'ASB incidents per 1,000 residents aged 65+', 'per 1,000',
        'lower_better', '{asb_incident,population_estimate}', 'incidents', 'residents 65+', 'Community safety DPIA', 'as shipped',
        'asb_incident', 'count(*)', 'population', 65, 'ward', 'ward_code', 'occurred_on', 'financial_year');
SELECT is((SELECT rollups_defined FROM brent_mdm.indicator_catalogue_install('borough', '{asb_over_65s_rate}')), 1,
          'a council''s own indicator installs');
SELECT is((SELECT numerator FROM brent_mdm.indicator_values('asb_over_65s_rate', area => 'W02', period_from => '2023-04-01',
                                                            period_to => '2023-04-01')),
          (SELECT count(*)::numeric FROM borough.asb_incident WHERE ward_code = 'W02'
            AND occurred_on >= '2023-04-01' AND occurred_on < '2024-04-01'),
          'and reads by financial year');
SELECT is((SELECT denominator FROM brent_mdm.indicator_values('asb_over_65s_rate', area => 'W02', period_from => '2023-04-01',
                                                              period_to => '2023-04-01')),
          (SELECT sum(persons)::numeric FROM borough.population_estimate WHERE ward_code = 'W02' AND year = 2023 AND age >= 65),
          'on the 2023 mid-year estimate of those aged 65+');
SELECT is((SELECT sum(numerator) FROM brent_mdm.indicator_values('asb_incidents_rate', area => 'W02', grain => 'financial_year')
            WHERE period = '2023-04-01'),
          (SELECT count(*)::numeric FROM borough.asb_incident WHERE ward_code = 'W02'
            AND occurred_on >= '2023-04-01' AND occurred_on < '2024-04-01'),
          'quarters read by financial year');

-- ---- published figures: each indicator's disclosure control applied ----
CREATE TEMP TABLE pub AS
SELECT p.*, k.disclosure_control AS dc, k.denominator_kind AS dk, k.multiplier AS mult, v.numerator AS raw_n, v.denominator AS raw_d
  FROM brent_mdm.indicator_values_published() p JOIN brent_mdm.indicator_catalogue k USING (indicator)
  JOIN brent_mdm.indicator_values() v USING (indicator, area_code, period);
SELECT is((SELECT count(*) FROM pub), (SELECT count(*) FROM brent_mdm.indicator_values()), 'every figure has its published form');
SELECT is_empty($$SELECT indicator, area_code, period FROM pub WHERE dc LIKE 'suppress%'
                    AND (numerator BETWEEN 1 AND 9 OR (dk = 'measure' AND denominator BETWEEN 1 AND 9))$$,
                'no count from 1 to 9 about people leaves');
SELECT is_empty($$SELECT indicator, area_code, period FROM pub WHERE dc LIKE 'suppress%'
                    AND (raw_n BETWEEN 1 AND 9 AND numerator IS NOT NULL OR (dk = 'measure' AND raw_d BETWEEN 1 AND 9 AND denominator IS NOT NULL))$$,
                'every true count from 1 to 9 is suppressed');
SELECT is_empty($$SELECT indicator, area_code, period FROM pub WHERE dc LIKE 'suppress%'
                    AND (numerator <> brent_mdm.round_to_base(raw_n::bigint) OR (dk = 'measure' AND denominator <> brent_mdm.round_to_base(raw_d::bigint)))$$,
                'a published count is the true count rounded to 5');
SELECT ok((SELECT count(*) FROM pub WHERE dc LIKE 'suppress%' AND note = 'c' AND NOT (raw_n BETWEEN 1 AND 9)) > 0,
          'and counts of 10 or more are suppressed too where they would give a small one away (secondary suppression)');
SELECT is_empty($$SELECT indicator, area_code, period FROM pub
                   WHERE value IS DISTINCT FROM CASE WHEN dk = 'none' THEN numerator ELSE round(numerator * mult / nullif(denominator, 0), 3) END$$,
                'values are computed from the published figures only');
SELECT is_empty($$SELECT indicator, area_code, period FROM pub WHERE dc = 'suppress_wards_by_year' AND area_code <> 'borough'
                    AND numerator IS NOT NULL$$,
                'children''s data: no ward figure by quarter');
SELECT is_empty($$SELECT p.indicator, p.area_code, p.period FROM pub p WHERE p.dc = 'suppress_borough_only' AND p.area_code <> 'borough'
                    AND p.numerator IS NOT NULL
                    AND EXISTS (SELECT FROM pub q WHERE q.indicator = p.indicator AND q.period = p.period
                                  AND q.area_code <> 'borough' AND q.raw_n < 10)$$,
                'health data: ward figures only where every ward counts 10 or more');
SELECT is_empty($$SELECT indicator, area_code, period FROM pub WHERE dc = 'none'
                    AND (numerator IS DISTINCT FROM raw_n OR denominator IS DISTINCT FROM raw_d OR note IS NOT NULL)$$,
                'measurements not about people (air quality) are published as they are');
SELECT is((SELECT array_length(string_to_array(rtrim(csv, E'\r\n'), E'\r\n'), 1)
             FROM brent_mdm.publish_indicator('ctr_claims_rate', 'New council tax reduction claims')),
          1 + 23 * 20, 'publish_indicator of a catalogue indicator: a CSV of every ward and the borough x quarter');
SELECT is((SELECT count(*) FROM brent_mdm.published_dataset d, unnest(string_to_array(d.csv, E'\r\n')) l
            WHERE d.indicator = 'borough.ctr_claims_rate' AND split_part(l, ',', 4) ~ '^[1-9]$'), 0::bigint,
          'recorded in published_dataset, with no count from 1 to 9');
SELECT throws_ok($$SELECT * FROM brent_mdm.publish_indicator('ctr_claims_rate', 'x', disclosure => 'none')$$, '42501', NULL,
                 'a catalogue indicator about people is not published without its disclosure control');

-- ---- bad input ----
SELECT throws_ok($$SELECT * FROM brent_mdm.indicator_values('no_such_indicator')$$, '42704', NULL, 'unknown indicator: 42704');
SELECT throws_ok($$SELECT * FROM brent_mdm.indicator_values('asb_incidents_rate', area => 'W99')$$, '22023',
                 'unknown area "W99"', 'unknown area: 22023');
SELECT throws_ok($$SELECT * FROM brent_mdm.indicator_values('asb_incidents_rate', period_from => '2030-01-01')$$, '22023', NULL,
                 'a period outside the window: 22023');
SELECT throws_ok($$SELECT * FROM brent_mdm.indicator_values('asb_incidents_rate', period_from => '2024-01-01', period_to => '2023-01-01')$$,
                 '22023', NULL, 'period_from after period_to: 22023');
SELECT throws_ok($$SELECT * FROM brent_mdm.indicator_values('unauthorised_absence_share', grain => 'quarter')$$, '22023', NULL,
                 'a grain that does not hold whole periods: 22023');
SELECT throws_ok($$SELECT * FROM brent_mdm.indicator_ward_ranks('asb_incidents_rate', at_period => '2024-02-01')$$, '22023', NULL,
                 'a period that is not the first day of a quarter: 22023');
SELECT throws_ok($$SELECT * FROM brent_mdm.indicator_trends('asb_incidents_rate', years => 0)$$, '22023', NULL, 'years 0: 22023');
SELECT throws_ok($$SELECT * FROM brent_mdm.indicator_catalogue_install('no_such_schema')$$, '3F000', NULL, 'install: unknown schema');
SELECT throws_ok($$SELECT * FROM brent_mdm.indicator_catalogue_install('borough', '{asb_incidents_rate,nope}')$$, '42704', NULL,
                 'install: unknown indicator');
SELECT lives_ok($$SELECT * FROM brent_mdm.generate_borough(50, 3, 'tiny')$$, 'a second borough');
SELECT throws_ok($$SELECT * FROM brent_mdm.indicator_values('asb_incidents_rate', 'tiny')$$, '55000', NULL,
                 'an indicator not installed over that borough: 55000');

-- a borough generated again over itself (replace => true) with the catalogue installed
-- (review of 2026-11-27): its rollups go with its tables (DROP SCHEMA ... CASCADE), and
-- installing again makes them and the ward stage anew; it failed with a syntax error at a
-- dropped table's oid (the ward stage's records of the old tables), the rollups having
-- outlived their tables
SELECT lives_ok($$SELECT * FROM brent_mdm.indicator_catalogue_install('tiny', '{asb_incidents_rate,ctr_claims_rate,csc_cin_rate}')$$,
                'the catalogue over the second borough');
SELECT lives_ok($$SELECT * FROM brent_mdm.generate_borough(60, 4, 'tiny', replace => true)$$, 'that borough generated again');
SELECT lives_ok($$SELECT * FROM brent_mdm.indicator_catalogue_install('tiny', '{asb_incidents_rate,ctr_claims_rate,csc_cin_rate}')$$,
                'and the catalogue installed again over it');
SELECT is(brent_mdm.indicator_catalogue_ward_verify('tiny'), 0::bigint,
          'its ward stage equals its recompute (the wards of the new borough''s keys)');
SELECT is((SELECT count(*) FROM brent_mdm.indicator_catalogue_installed i
             CROSS JOIN LATERAL (VALUES (i.numerator_rollup), (i.denominator_rollup)) r(n)
            WHERE i.target_schema = 'tiny' AND r.n IS NOT NULL
              AND (NOT EXISTS (SELECT FROM brent_mdm.indicator x WHERE x.name = r.n) OR brent_mdm.verify_indicator(r.n) <> 0)),
          0::bigint, 'its rollups exist and equal their recompute over the new tables');

-- ---- privileges ----
SELECT ok(NOT has_function_privilege('public', 'brent_mdm.indicator_catalogue_install(name, text[])', 'EXECUTE'),
          'installing is the DBA''s');
SELECT ok(has_function_privilege('public', 'brent_mdm.indicator_values(text, name, text, date, date, text)', 'EXECUTE')
          AND has_table_privilege('public', 'brent_mdm.indicator_catalogue', 'SELECT')
          AND NOT has_table_privilege('public', 'brent_mdm.indicator_catalogue', 'INSERT'),
          'the catalogue and its readers are public (the rollups they read are not: granted by the DBA)');
-- a role that is not a superuser: a member of brent_mdm_indicator_admin granted the rollups
-- and the borough's published tables reads every reader; a role without the grants is
-- refused by PostgreSQL's privileges (once every role but a superuser was refused, by the
-- readers' own helpers)
CREATE ROLE brent_cat_reader NOLOGIN;
CREATE ROLE brent_cat_other NOLOGIN;
GRANT brent_mdm_indicator_admin TO brent_cat_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA brent_mdm_rollup TO brent_cat_reader;
GRANT USAGE ON SCHEMA borough TO brent_cat_reader;
GRANT SELECT ON borough.population_estimate, borough.ward, borough.about TO brent_cat_reader;
SET LOCAL ROLE brent_cat_reader;
SELECT is((SELECT count(*) FROM brent_mdm.indicator_values('asb_incidents_rate', 'borough') v
            WHERE v.value IS NOT NULL) > 0, true, 'a member with the grants: indicator_values');
SELECT lives_ok($$SELECT * FROM brent_mdm.indicator_values_published('asb_incidents_rate', 'borough')$$,
                'a member with the grants: indicator_values_published');
SELECT lives_ok($$SELECT * FROM brent_mdm.indicator_trends('asb_incidents_rate', 'borough')$$,
                'a member with the grants: indicator_trends');
SELECT lives_ok($$SELECT * FROM brent_mdm.indicator_ward_ranks('asb_incidents_rate', 'borough')$$,
                'a member with the grants: indicator_ward_ranks');
SELECT lives_ok($$SELECT * FROM brent_mdm.indicator_changes('asb_incidents_rate', 'borough')$$,
                'a member with the grants: indicator_changes');
RESET ROLE;
SET LOCAL ROLE brent_cat_other;
SELECT throws_ok($$SELECT * FROM brent_mdm.indicator_values('asb_incidents_rate', 'borough')$$, '42501', NULL,
                 'a role without the grants: refused (42501)');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
