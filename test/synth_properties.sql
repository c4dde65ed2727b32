-- pgTAP: the synthetic borough's error paths and its realism (what later
-- capabilities are developed against must actually be in the data).
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
SELECT plan(44);

-- ---- bad arguments: clear errors with proper SQLSTATEs, nothing written ----
SELECT throws_ok($$SELECT * FROM brent_mdm.generate_borough(-5)$$, '22023',
                 'people must be between 1 and 10000000, not -5', 'negative size refused');
SELECT throws_ok($$SELECT * FROM brent_mdm.generate_borough(0)$$, '22023', NULL, 'zero refused');
SELECT throws_ok($$SELECT * FROM brent_mdm.generate_borough(2000000000)$$, '22023', NULL,
                 'absurd size refused');
SELECT throws_ok($$SELECT * FROM brent_mdm.generate_borough(NULL)$$, '22004', NULL,
                 'NULL size refused');
SELECT throws_ok($$SELECT * FROM brent_mdm.generate_borough(10, NULL)$$, '22004', NULL,
                 'NULL seed refused');
SELECT throws_ok($$SELECT * FROM brent_mdm.generate_borough(10, 1, NULL)$$, '22004', NULL,
                 'NULL schema refused');
SELECT throws_ok($$SELECT * FROM brent_mdm.generate_borough(10, 1, 'public')$$, '42939', NULL,
                 'public is not a target');
SELECT throws_ok($$SELECT * FROM brent_mdm.generate_borough(10, 1, 'brent_mdm')$$, '42939', NULL,
                 'the extension schema is not a target');
SELECT throws_ok($$SELECT * FROM brent_mdm.generate_borough(10, 1, 'pg_catalog')$$, '42939', NULL,
                 'system schemas are not targets');
SELECT throws_ok($$SELECT * FROM brent_mdm.generate_borough(10, 1, repeat('x', 60))$$, '42622',
                 NULL, 'a name with no room for _truth is refused');
SELECT throws_ok($$SELECT * FROM brent_mdm.generate_borough(10, 1, '')$$, '3F000', NULL,
                 'an empty schema name is refused');

-- a schema of the user's own is never touched, replace or not
CREATE SCHEMA mine;
CREATE TABLE mine.precious (x int);
INSERT INTO mine.precious VALUES (1), (2);
SELECT throws_ok($$SELECT * FROM brent_mdm.generate_borough(10, 1, 'mine')$$, '42P06',
                 'schema "mine" already exists and is not empty', 'non-empty schema refused');
SELECT throws_ok($$SELECT * FROM brent_mdm.generate_borough(10, 1, 'mine', replace => true)$$,
                 '55000', NULL, 'replace refuses a schema the generator did not make');
SELECT is((SELECT count(*)::int FROM mine.precious), 2, 'the user''s table is intact');
CREATE SCHEMA mine2_truth;
CREATE TABLE mine2_truth.precious (x int);
SELECT throws_ok($$SELECT * FROM brent_mdm.generate_borough(10, 1, 'mine2', replace => true)$$,
                 '55000', NULL, 'replace refuses when only the truth schema is someone else''s');
SELECT hasnt_schema('mine2', 'and creates nothing');
-- an empty schema of that name is used as it is
CREATE SCHEMA empty_one;
SELECT lives_ok($$SELECT * FROM brent_mdm.generate_borough(50, 1, 'empty_one')$$,
                'an existing empty schema is used');

-- ---- realism, on 20 000 people ----
SELECT lives_ok($$SELECT * FROM brent_mdm.generate_borough(20000, 5, 'tb')$$, 'borough of 20 000');

SELECT is((SELECT count(DISTINCT kind)::int FROM tb_truth.household), 6,
          'six kinds of household, multi-generation and lone parents among them');
SELECT cmp_ok((SELECT count(*)::int FROM tb_truth.person WHERE date_of_birth > '2021-03-31'
                AND in_borough_to IS NULL), '>', 500, 'under-fives living in the borough');
SELECT cmp_ok((SELECT count(*)::int FROM tb_truth.person WHERE date_of_death IS NOT NULL), '>', 50,
              'deaths');
SELECT cmp_ok((SELECT count(*)::int FROM tb_truth.household WHERE arrived_on >= '2021-04-01'), '>', 500,
              'households moving in during the window');
SELECT cmp_ok((SELECT count(*)::int FROM tb_truth.household WHERE left_on IS NOT NULL), '>', 200,
              'households leaving');
SELECT cmp_ok((SELECT count(*)::int FROM (SELECT household_id FROM tb_truth.residence
                GROUP BY 1 HAVING count(*) > 1) m), '>', 100, 'moves within the borough');
SELECT cmp_ok((SELECT max(date_of_birth) - min(in_borough_from) FROM tb_truth.person
                WHERE in_borough_from >= '2021-04-01'), '>=', 4 * 365,
              'events span at least four years');
SELECT is((SELECT count(DISTINCT origin)::int FROM tb_truth.person), 19,
          'names of 19 origins, as Brent''s population');

-- names in original scripts, in source systems
SELECT ok(EXISTS (SELECT 1 FROM tb.health_visiting WHERE child_forename ~ '[\u0A80-\u0AFF]'),
          'Gujarati script');
SELECT ok(EXISTS (SELECT 1 FROM tb.childrens_social_care WHERE first_name ~ '[\u0600-\u06FF]'
                  UNION ALL SELECT 1 FROM tb.health_visiting WHERE child_forename ~ '[\u0600-\u06FF]'),
          'Arabic script');
SELECT ok(EXISTS (SELECT 1 FROM tb.health_visiting WHERE child_forename ~ '[\u0980-\u09FF]'
                  UNION ALL SELECT 1 FROM tb.adult_social_care WHERE forename ~ '[\u0980-\u09FF]'),
          'Bengali script');
SELECT ok(EXISTS (SELECT 1 FROM tb.health_visiting WHERE child_forename ~ '[\u0400-\u04FF]'
                  UNION ALL SELECT 1 FROM tb.adult_social_care WHERE forename ~ '[\u0400-\u04FF]'),
          'Cyrillic script');

-- differing transliterations and nicknames of one true name
SELECT ok(EXISTS (SELECT 1 FROM tb.person_record r JOIN tb_truth.source_record s
                    USING (system, record_key)
                  JOIN tb_truth.person p USING (person_id)
                  WHERE p.given_name IN ('Mohammed', 'Muhammad', 'Mohamed', 'Mohammad')
                    AND r.given_name IN ('Mohammed', 'Muhammad', 'Mohamed', 'Mohammad')
                    AND r.given_name <> p.given_name), 'Mohammed spelt another way');
SELECT ok(EXISTS (SELECT 1 FROM tb.youth_offending y JOIN tb_truth.source_record s
                    ON s.system = 'youth_offending' AND s.record_key = y.yot_case_id
                  JOIN tb_truth.person p USING (person_id)
                  WHERE length(y.forename) < length(p.given_name)
                    AND lower(p.given_name) NOT LIKE lower(y.forename) || '%'
                    AND y.forename !~ ' ') OR
          EXISTS (SELECT 1 FROM tb.asb_case a WHERE party_name ~ '^(Bob|Bill|Peggy|Jim|Mo|Dave) '),
          'nicknames');
SELECT ok(EXISTS (SELECT 1 FROM tb_truth.person WHERE family_name ~ '-'), 'hyphenated surnames');
SELECT ok(EXISTS (SELECT 1 FROM tb_truth.person WHERE family_name ~ '^\S+ \S+$'),
          'double (Portuguese) surnames');
SELECT ok(EXISTS (SELECT 1 FROM tb.council_tax WHERE lead_liable_name ~ '^(Mr |Mrs |Ms |Miss )?[A-Z] [A-Z]'),
          'initials only');

-- the error model, measured against the truth
CREATE TEMP VIEW hv AS
SELECT h.*, p.given_name, p.family_name, p.date_of_birth AS true_dob, p.sex AS true_sex
  FROM tb.health_visiting h
  JOIN tb_truth.source_record s ON s.system = 'health_visiting' AND s.record_key = h.hv_client_id
  JOIN tb_truth.person p USING (person_id);
SELECT ok(EXISTS (SELECT 1 FROM tb.childrens_social_care c
                  JOIN tb_truth.source_record s ON s.system = 'childrens_social_care'
                   AND s.record_key = c.lcs_person_id
                  JOIN tb_truth.person p USING (person_id)
                  WHERE c.dob <> p.date_of_birth
                    AND extract(day FROM c.dob) = extract(month FROM p.date_of_birth)
                    AND extract(month FROM c.dob) = extract(day FROM p.date_of_birth)),
          'day and month transposed');
SELECT ok(EXISTS (SELECT 1 FROM hv WHERE (sex = '1') <> (true_sex = 'M')), 'wrong sex codes');
SELECT ok(EXISTS (SELECT 1 FROM hv WHERE child_forename = family_name AND child_surname = given_name),
          'given and family names swapped');
SELECT ok(EXISTS (SELECT 1 FROM tb.childrens_social_care WHERE nhs_number IS NULL), 'missing identifiers');
SELECT cmp_ok((SELECT count(*)::int FROM (SELECT system, person_id FROM tb_truth.source_record
                 WHERE system IN ('early_years', 'youth_offending', 'school_census')
                 GROUP BY 1, 2 HAVING count(*) > 1) d), '>', 10,
              'duplicates within systems');
SELECT ok(EXISTS (SELECT 1 FROM tb.revenues_benefits r
                  JOIN tb_truth.source_record s ON s.system = 'revenues_benefits' AND s.record_key = r.claim_ref
                  JOIN tb_truth.residence res USING (household_id)
                  JOIN tb.address a ON a.uprn = res.uprn
                  WHERE res.moved_out IS NOT NULL AND r.claim_start > res.moved_out
                    AND r.postcode = a.postcode), 'stale addresses');

-- every system and every event table has rows; air quality for 30 sites
SELECT is_empty($$SELECT table_name FROM brent_mdm.generate_borough(3000, 9, 'every', true)
                  WHERE rows = 0$$, 'no empty table even at 3 000 people');
SELECT is((SELECT count(DISTINCT site_id)::int FROM tb.air_quality_reading), 30, '30 air quality sites');
SELECT cmp_ok((SELECT count(DISTINCT month)::int FROM tb.air_quality_reading), '>=', 48,
              'monthly readings over at least four years');

SELECT * FROM finish();
ROLLBACK;
