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
SELECT plan(78);

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
-- where the datasets are (family_units reads the parents' names of two of them)
SELECT throws_ok($$SELECT * FROM brent_mdm.scorecard_events('2026-03-31')$$, '55000', NULL,
                 'no dataset located yet: 55000, with a hint');
SELECT throws_ok($$SELECT brent_mdm.scorecard_locate('no_such_schema')$$, '3F000', NULL, 'an unknown schema: 3F000');
SELECT throws_ok($$SELECT brent_mdm.scorecard_locate('offence', 'borough.ward')$$, '42703', NULL,
                 'a relation without the columns a dataset needs: 42703');
SELECT throws_ok($$SELECT brent_mdm.scorecard_locate('parking_fines', 'borough.ward')$$, '22023', NULL,
                 'a dataset the scorecard does not read: 22023');
SELECT is(brent_mdm.scorecard_locate('borough'), 24, 'scorecard_locate finds the 24 datasets of a generated borough (the scorecard''s 14, 5 more child_view reads, 5 family_units reads)');
\set d 2026-03-31
SELECT is((SELECT count(*) FROM brent_mdm.family_units('2021-03-31') WHERE role = 'child' AND age >= 18), 0::bigint,
          'children are under 18 on the date asked (2021)');
CREATE TEMP TABLE fm AS SELECT * FROM brent_mdm.family_units(:'d'::date);
-- the parents' names that health visiting and early years record place children
-- whose surname is not their parent's: without those datasets, fewer are placed
SAVEPOINT without_parents;
DELETE FROM brent_mdm.scorecard_dataset WHERE dataset IN ('health_visiting', 'early_years');
SELECT count(*) FILTER (WHERE role = 'child') AS children_without_parents FROM brent_mdm.family_units(:'d'::date) \gset
ROLLBACK TO SAVEPOINT without_parents;
SELECT cmp_ok((SELECT count(*) FROM fm WHERE role = 'child')::int, '>', :children_without_parents,
              'the parents'' names place more children (health visiting, early years)');
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

-- what separates a household's members in the Client Index, one case each (at
-- postcodes outside the borough, rolled back after):
SAVEPOINT cases;
-- (one statement each: the golden record of a multi-row INSERT's first record is left empty)
-- an adult known only by council tax's free-text lead liable name
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('council_tax', 'T-CT-1', NULL, NULL, 'QWERTYX, Jan', NULL, 'SW1A 1AA', '1 Test Road', '2020-01-01');
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('school_census', 'T-SC-1', 'Tim', 'Qwertyx', NULL, '2015-01-01', 'SW1A 1AA', NULL, NULL);
-- an occupation (council tax) and, 12 years later, a registration of another surname
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('council_tax', 'T-CT-2', NULL, NULL, 'Mr Abc Zyxwvu', NULL, 'SW1A 2AA', '2 Test Road', '2010-01-01');
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('electoral_register', 'T-ER-2', 'Mary', 'Ploughright', NULL, NULL, 'SW1A 2AA', '2 Test Road', '2022-05-01');
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('school_census', 'T-SC-2', 'Ann', 'Zyxwvu', NULL, '2016-03-01', 'SW1A 2AA', NULL, NULL);
-- a line of two occupations (two flats written alike): a registration far
-- from both stays apart; one begun with the second occupation joins it
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('council_tax', 'T-CT-3', NULL, NULL, 'QUIMBY, Al', NULL, 'EC1A 1BB', '3 Test Road', '2010-01-01');
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('council_tax', 'T-CT-4', NULL, NULL, 'Bob Yarrow', NULL, 'EC1A 1BB', '3 Test Road', '2018-01-01');
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('electoral_register', 'T-ER-3', 'Cy', 'Ostrander', NULL, NULL, 'EC1A 1BB', '3 Test Road', '2014-06-01');
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('electoral_register', 'T-ER-4', 'Eve', 'Pargeter', NULL, NULL, 'EC1A 1BB', '3 Test Road', '2018-02-01');
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('school_census', 'T-SC-3', 'Di', 'Quimby', NULL, '2015-05-01', 'EC1A 1BB', NULL, NULL);
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('school_census', 'T-SC-4', 'Flo', 'Yarrow', NULL, '2014-05-01', 'EC1A 1BB', NULL, NULL);
-- a family that moved: the parent's tenancy at the old postcode ended, its
-- council tax is at the new one; its child's health visiting record still
-- holds the old postcode (no adult of the family there now)
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from, address_to)
  VALUES ('housing', 'T-HO-5', 'Pat', 'Movedale', NULL, '1985-02-02', 'N1 1AA', '5 Old Road', '2015-01-01', '2023-06-01');
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from, address_to)
  VALUES ('council_tax', 'T-CT-5', 'Pat', 'Movedale', NULL, '1985-02-02', 'N1 2BB', '6 New Road', '2023-06-02', NULL);
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('health_visiting', 'T-HV-5', 'Kit', 'Movedale', NULL, '2022-01-01', 'N1 1AA', NULL, NULL);
-- and a child of another surname at that old postcode
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('school_census', 'T-SC-6', 'Lou', 'Otherly', NULL, '2015-01-01', 'N1 1AA', NULL, NULL);
-- the Client Index joined a parent's council tax account to a young child's
-- records (one client with the child's date of birth and the parent's address
-- line); the child's sibling is at that postcode
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('council_tax', 'T-CT-8', NULL, NULL, 'CHIMMER, Rosa', NULL, 'N1 3DD', '8 Test Road', '2019-01-01');
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('health_visiting', 'T-HV-8', 'Sam', 'Chimmer', NULL, '2023-01-01', 'N1 3DD', NULL, NULL);
SELECT brent_mdm.merge_clients((SELECT client_id FROM brent_mdm.client_record WHERE record_key = 'T-CT-8'),
                               (SELECT client_id FROM brent_mdm.client_record WHERE record_key = 'T-HV-8')) IS NOT NULL AS merged \gset
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('school_census', 'T-SC-9', 'Ivy', 'Chimmer', NULL, '2016-01-01', 'N1 3DD', NULL, NULL);
-- two families with a baby born in the year (for the flags of their mothers below)
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('council_tax', 'T-CT-10', NULL, NULL, 'BORNLEY, Jo', NULL, 'N1 4EE', '10 Test Road', '2020-01-01');
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('health_visiting', 'T-HV-10', 'Bea', 'Bornley', NULL, '2025-06-10', 'N1 4EE', NULL, NULL);
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('council_tax', 'T-CT-11', NULL, NULL, 'LATERBY, Max', NULL, 'N1 5FF', '11 Test Road', '2020-01-01');
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('health_visiting', 'T-HV-11', 'Lee', 'Laterby', NULL, '2025-04-01', 'N1 5FF', NULL, NULL);
-- a line's two occupations years apart, of adults whose surnames share a
-- part ("Said", "Shakir-Said"): one household
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('council_tax', 'T-CT-12', NULL, NULL, 'SAID, Omar', NULL, 'N1 6GG', '12 Test Road', '2015-01-01');
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('housing', 'T-HO-12', 'Amina', 'Shakir-Said', NULL, '1988-03-03', 'N1 6GG', '12 Test Road', '2019-06-01');
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('school_census', 'T-SC-12', 'Ali', 'Said', NULL, '2016-02-02', 'N1 6GG', NULL, NULL);
-- a line of two properties written alike (the UPRNs council tax and the
-- electoral register hold tell them apart): a registration years from both
-- occupations, at the first's property, joins the first household
INSERT INTO borough.council_tax (account_ref, lead_liable_name, uprn, address_line, postcode, liability_start)
VALUES ('T-CT-13', 'UPRAM, Al', 990000013, '13 Test Road', 'EC1A 2DD', '2010-01-01'),
       ('T-CT-14', 'Bob Yarrick', 990000014, '13 Test Road', 'EC1A 2DD', '2018-01-01');
INSERT INTO borough.electoral_register (elector_number, first_names, surname, uprn, address_line, postcode, registered_on)
VALUES ('T-ER-13', 'Hal', 'Ostrova', 990000013, '13 Test Road', 'EC1A 2DD', '2014-06-01');
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('council_tax', 'T-CT-13', NULL, NULL, 'UPRAM, Al', NULL, 'EC1A 2DD', '13 Test Road', '2010-01-01');
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('council_tax', 'T-CT-14', NULL, NULL, 'Bob Yarrick', NULL, 'EC1A 2DD', '13 Test Road', '2018-01-01');
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('electoral_register', 'T-ER-13', 'Hal', 'Ostrova', NULL, NULL, 'EC1A 2DD', '13 Test Road', '2014-06-01');
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('school_census', 'T-SC-13', 'Ivo', 'Upram', NULL, '2016-08-08', 'EC1A 2DD', NULL, NULL);
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('school_census', 'T-SC-14', 'Gus', 'Yarrick', NULL, '2013-09-09', 'EC1A 2DD', NULL, NULL);
-- children with no adult of their names at their postcode: one whose surname
-- was lost (its given name twice), whose mother health visiting names is of
-- the family name of an adult there (another given name); one whose surname
-- is an adult's given name spelt otherwise ("Suleymaan" of "Suleiman");
-- a sibling of the first of a like surname
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('council_tax', 'T-CT-15', NULL, NULL, 'WEAKDALE, Andrei', NULL, 'N1 7HH', '15 Test Road', '2012-01-01');
INSERT INTO borough.health_visiting (hv_client_id, child_forename, child_surname, child_dob, mother_name, postcode)
VALUES ('T-HV-15', 'Antonia', 'Antonia', '2024-02-02', 'Ioana Weakdale', 'N1 7HH');
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('health_visiting', 'T-HV-15', 'Antonia', 'Antonia', NULL, '2024-02-02', 'N1 7HH', NULL, NULL);
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('housing', 'T-HO-16', 'Suleiman', 'Xaladin', NULL, '1980-04-04', 'N1 8JJ', '16 Test Road', '2012-01-01');
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('school_census', 'T-SC-16', 'Nasteho', 'Suleymaan', NULL, '2012-03-03', 'N1 8JJ', NULL, NULL);
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('council_tax', 'T-CT-17', NULL, NULL, 'OKAFOR, Ada', NULL, 'N1 9LL', '17 Test Road', '2012-01-01');
INSERT INTO borough.health_visiting (hv_client_id, child_forename, child_surname, child_dob, mother_name, postcode)
VALUES ('T-HV-17', 'Kola', 'Abdinaser', '2023-03-03', 'Ada Okafor', 'N1 9LL');
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('health_visiting', 'T-HV-17', 'Kola', 'Abdinaser', NULL, '2023-03-03', 'N1 9LL', NULL, NULL);
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, full_name, date_of_birth, postcode, address_line, address_from)
  VALUES ('school_census', 'T-SC-17', 'Daud', 'Abdinasir', NULL, '2013-07-07', 'N1 9LL', NULL, NULL);
CREATE TEMP TABLE cases AS
SELECT r.record_key, f.family_id, f.role FROM brent_mdm.client_record r
  LEFT JOIN brent_mdm.family_units(:'d') f USING (client_id) WHERE r.record_key LIKE 'T-%';
SELECT is((SELECT count(DISTINCT family_id) FROM cases WHERE record_key IN ('T-CT-1', 'T-SC-1') AND family_id IS NOT NULL
             HAVING count(*) = 2), 1::bigint,
          'an adult known by a free-text name only ("QWERTYX, Jan") is placed with the child of its surname');
SELECT is((SELECT count(DISTINCT family_id) FROM cases WHERE record_key IN ('T-CT-2', 'T-ER-2', 'T-SC-2') AND family_id IS NOT NULL
             HAVING count(*) = 3), 1::bigint,
          'a registration years after the line''s one occupation (a partner, a young adult) joins that household');
SELECT is((SELECT count(DISTINCT family_id) FROM cases WHERE record_key IN ('T-CT-3', 'T-SC-3') AND family_id IS NOT NULL
             HAVING count(*) = 2), 1::bigint, 'a line of two occupations: the first household with its child');
SELECT is((SELECT family_id FROM cases WHERE record_key = 'T-ER-3'), NULL,
          'a registration far from both occupations of the line joins neither family');
SELECT is((SELECT count(DISTINCT family_id) FROM cases WHERE record_key IN ('T-CT-4', 'T-ER-4', 'T-SC-4') AND family_id IS NOT NULL
             HAVING count(*) = 3), 1::bigint,
          'a registration begun with the second occupation joins the second household, apart from the first');
SELECT is((SELECT count(DISTINCT family_id) FROM cases WHERE record_key IN ('T-CT-13', 'T-ER-13', 'T-SC-13') AND family_id IS NOT NULL
             HAVING count(*) = 3), 1::bigint,
          'a line of two properties (UPRNs): a registration years from both occupations joins the household of its property');
SELECT is((SELECT count(*) FROM cases a JOIN cases b USING (family_id) WHERE a.record_key = 'T-CT-13' AND b.record_key = 'T-CT-14'),
          0::bigint, 'and the other property''s household is apart');
SELECT is((SELECT count(DISTINCT family_id) FROM cases WHERE record_key IN ('T-CT-15', 'T-HV-15') AND family_id IS NOT NULL
             HAVING count(*) = 2), 1::bigint,
          'a child whose surname was lost joins the adult of its postcode of its named mother''s family name');
SELECT is((SELECT count(DISTINCT family_id) FROM cases WHERE record_key IN ('T-HO-16', 'T-SC-16') AND family_id IS NOT NULL
             HAVING count(*) = 2), 1::bigint,
          'a child whose surname is an adult''s given name spelt otherwise ("Suleymaan", "Suleiman") joins that adult');
SELECT is((SELECT count(DISTINCT family_id) FROM cases WHERE record_key IN ('T-CT-17', 'T-HV-17', 'T-SC-17') AND family_id IS NOT NULL
             HAVING count(*) = 3), 1::bigint,
          'a child of a like surname to a placed child''s ("Abdinasir", "Abdinaser") joins its sibling');
SELECT is((SELECT count(DISTINCT family_id) FROM cases WHERE record_key IN ('T-CT-12', 'T-HO-12', 'T-SC-12') AND family_id IS NOT NULL
             HAVING count(*) = 3), 1::bigint,
          'occupations of a line years apart whose adults'' surnames share a part ("Said", "Shakir-Said") are one family');
SELECT is((SELECT count(DISTINCT client_id) FROM brent_mdm.client_record WHERE record_key IN ('T-HO-5', 'T-CT-5')), 1::bigint,
          'the moved parent''s tenancy and council tax are one client');
SELECT is((SELECT count(DISTINCT family_id) FROM cases WHERE record_key IN ('T-CT-5', 'T-HV-5') AND family_id IS NOT NULL
             HAVING count(*) = 2), 1::bigint,
          'a child whose postcode is its parent''s former address (an ended tenancy) joins the parent''s family at the new address');
SELECT is((SELECT f.postcode FROM brent_mdm.family_units(:'d') f JOIN brent_mdm.client_record r USING (client_id)
            WHERE r.record_key = 'T-HV-5'), 'N1 2BB', 'that family is at the parent''s postcode now');
SELECT is((SELECT family_id FROM cases WHERE record_key = 'T-SC-6'), NULL,
          'a child of another surname at the former address does not join it');
SELECT is((SELECT array[extract(year FROM age(:'d', c.date_of_birth))::int::text, c.address_line]
             FROM brent_mdm.client c JOIN brent_mdm.client_record r USING (client_id) WHERE r.record_key = 'T-CT-8'),
          array['3', '8 Test Road'], 'a client joining a parent''s council tax to a child of 3: the child''s age, the parent''s line');
SELECT is((SELECT count(DISTINCT family_id) FROM cases WHERE record_key IN ('T-CT-8', 'T-SC-9') AND family_id IS NOT NULL
             HAVING count(*) = 2), 1::bigint,
          'such a client anchors its address line: the sibling at its postcode joins it in a family');
SELECT is((SELECT f.role || '/' || coalesce(f.age::text, '-') FROM brent_mdm.family_units(:'d') f
             JOIN brent_mdm.client_record r USING (client_id) WHERE r.record_key = 'T-CT-8'), 'lead/-', 'as its lead adult (age unknown), the family''s only adult');
-- and a health flag of that adult, under an NHS number no record holds, reaches it
-- by the names read from its free text
INSERT INTO borough.health_flag (nhs_number, flag, recorded_on, given_name, family_name, date_of_birth, postcode)
VALUES ('9990000003', 'substance_misuse', '2025-07-01', 'Jan', 'Qwertyx', '1985-01-01', 'SW1A 1AA');
SELECT is((SELECT count(*) FROM brent_mdm.scorecard_events(:'d') e JOIN brent_mdm.client_record r USING (client_id)
            WHERE e.source = 'health_flag' AND e.event_from = '2025-07-01' AND r.record_key = 'T-CT-1'), 1::bigint,
          'a health flag reaches a client known by a free-text name only ("QWERTYX, Jan")');
-- a flag of someone the Client Index does not hold, at a family's postcode under
-- the family name of one of its members, is the family's; under another name it is not
INSERT INTO borough.health_flag (nhs_number, flag, recorded_on, given_name, family_name, date_of_birth, postcode)
VALUES ('9990000004', 'mental_health', '2025-08-01', 'Zed', 'Zyxwvu', '1990-01-01', 'SW1A 2AA'),
       ('9990000005', 'mental_health', '2025-08-01', 'Quentin', 'Quux', '1990-01-01', 'EC1A 1BB');
-- a flag that reached no client (its names written otherwise than the Client
-- Index holds them): the family with a member of those names, its two names
-- swapped, at the flag's postcode; not under a like name with another date of birth
INSERT INTO borough.health_flag (nhs_number, flag, recorded_on, given_name, family_name, date_of_birth, postcode)
VALUES ('9990000006', 'mental_health', '2025-09-01', 'Chimmer', 'Rosa', '1980-05-05', 'N1 3DD'),
       ('9990000007', 'mental_health', '2025-09-01', 'Pat', 'Movedail', '1970-01-01', 'N1 2BB'),
-- a flag of someone no client holds, under a family name no member has, at a
-- family's postcode two days after its baby's birth (its mother) is the
-- family's; one two months after a birth is not
       ('9990000008', 'new_mother', '2025-06-12', 'Amara', 'Quist', '1995-01-01', 'N1 4EE'),
       ('9990000009', 'new_mother', '2025-06-01', 'Zola', 'Quist', '1995-01-01', 'N1 5FF');
CREATE TEMP TABLE case_sc AS
SELECT r.record_key, s.problems FROM brent_mdm.family_scorecard(:'d') s
  JOIN brent_mdm.family_units(:'d') f USING (family_id) JOIN brent_mdm.client_record r USING (client_id)
 WHERE r.record_key IN ('T-SC-2', 'T-SC-3', 'T-SC-9', 'T-HV-5', 'T-HV-10', 'T-HV-11');
SELECT ok((SELECT 'health' = ANY (problems) FROM case_sc WHERE record_key = 'T-SC-2'),
          'a flag of a person no client holds, at the family''s postcode under a member''s family name, gives the family the health problem');
SELECT ok((SELECT NOT ('health' = ANY (problems)) FROM case_sc WHERE record_key = 'T-SC-3'),
          'one under a family name of no member does not');
SELECT ok((SELECT 'health' = ANY (problems) FROM case_sc WHERE record_key = 'T-SC-9'),
          'a flag whose given and family names are swapped ("Chimmer Rosa" for council tax''s "CHIMMER, Rosa") is the family''s');
SELECT ok((SELECT NOT ('health' = ANY (problems)) FROM case_sc WHERE record_key = 'T-HV-5'),
          'one under a like name ("Pat Movedail") with another date of birth than the member''s is not');
SELECT ok((SELECT 'health' = ANY (problems) FROM case_sc WHERE record_key = 'T-HV-10'),
          'a new mother''s flag two days after the birth of a family''s baby, at its postcode, is the family''s');
SELECT ok((SELECT NOT ('health' = ANY (problems)) FROM case_sc WHERE record_key = 'T-HV-11'),
          'one two months after the birth is not');
ROLLBACK TO SAVEPOINT cases;

-- accuracy against the truth households.  Goal 0.95 each at 100,000 people,
-- met since 2026-11-27 (bench/families.sh: precision 0.9818, recall 0.9504;
-- 0.9676 and 0.9027 before properties were told apart by UPRN and children
-- placed on weaker evidence; 0.9766 and 0.8440 before occupations were told
-- from registrations and free-text names were read).  This borough of 6,000
-- is smaller: precision 0.9856, recall 0.9146 (0.9536 when ./run test ran
-- every pgTAP file in one database, where two files commit and this one
-- found their Client Index model; each file now has a database of its own).
-- The floors here fail if the precision or recall falls well below that.
\i bench/family_accuracy.sql
SELECT cmp_ok((SELECT precision FROM family_accuracy), '>=', 0.95, 'precision of "same family" at least 0.95');
SELECT diag('family formation at 6,000 people: precision ' || precision || ', recall ' || recall) FROM family_accuracy;
SELECT cmp_ok((SELECT recall FROM family_accuracy), '>=', 0.85, 'recall of "same family" at least 0.85 (a floor: the goal, 0.95 at 100,000 people, is bench/families.sh''s)');
SELECT cmp_ok((SELECT pairs FROM family_accuracy), '>', 0::bigint, 'pairs were measured');

SELECT ok(NOT has_function_privilege('public', 'brent_mdm.family_scorecard(date, text)', 'EXECUTE')
          AND NOT has_function_privilege('public', 'brent_mdm.scorecard_events(date)', 'EXECUTE'),
          'PUBLIC may not run the scorecard (personal data)');
SELECT is((SELECT count(*) FROM pg_proc WHERE prosecdef AND proname IN ('family_scorecard', 'scorecard_events',
             'scorecard_claims', 'scorecard_by_ward', 'scorecard_by_ward_published')), 0::bigint,
          'the scorecard runs with the caller''s rights (the policy layer applies)');
SELECT throws_ok($$SELECT * FROM brent_mdm.family_scorecard(current_date + 1)$$, '22008', NULL, 'a date in the future: 22008');
SELECT throws_ok($$SELECT * FROM brent_mdm.family_scorecard('2026-03-31', 'no_such_rules')$$, '42704', NULL, 'an unknown rule set: 42704');
SELECT throws_ok($$SELECT * FROM brent_mdm.family_scorecard(NULL)$$, '22004', NULL, 'a NULL date: 22004');

CREATE TEMP TABLE sc AS SELECT * FROM brent_mdm.family_scorecard(:'d');
SELECT set_eq('SELECT family_id, count(*)::int FROM fm GROUP BY family_id', 'SELECT family_id, members FROM sc',
              'one row per family of family_units, with its member count');
SELECT is((SELECT count(*) FROM sc WHERE eligible <> (problem_count >= 2) OR problem_count <> cardinality(problems)), 0::bigint,
          'eligible exactly with two problems or more (Troubled Families)');
SELECT cmp_ok((SELECT count(*) FROM sc WHERE eligible)::int, '>', 10, 'some families are eligible');
SELECT is((SELECT count(*) FROM sc WHERE ward_code IS NULL), 0::bigint, 'every family has a ward (from the gazetteer)');
-- the crime problem, independently: a member with an offence or an ASB case as
-- perpetrator in the 12 months to the date
SELECT set_eq($$SELECT family_id FROM sc WHERE 'crime_asb' = ANY (problems)$$,
              $$SELECT DISTINCT f.family_id FROM fm f JOIN brent_mdm.scorecard_events('2026-03-31') e USING (client_id)
                 WHERE ((e.source = 'offence') OR (e.source = 'asb_case' AND e.category = 'perpetrator'))
                   AND e.event_from > DATE '2026-03-31' - interval '12 months' AND e.event_from <= DATE '2026-03-31'$$,
              'families with the crime problem are those with an offence or ASB as perpetrator in the 12 months');
SELECT set_eq($$SELECT family_id FROM brent_mdm.scorecard_claims('2026-03-31')$$,
              $$SELECT family_id FROM sc WHERE eligible AND progress = 'achieved'$$,
              'claims are the eligible families whose progress is achieved');
-- by ward: true counts add up; published counts hide every small one
SELECT is((SELECT sum(families) FROM brent_mdm.scorecard_by_ward(:'d') WHERE measure = 'eligible'),
          (SELECT count(*) FROM sc WHERE eligible)::numeric, 'eligible families by ward add up to the borough''s');
CREATE TEMP TABLE pub AS SELECT * FROM brent_mdm.scorecard_by_ward_published(:'d');
SELECT is((SELECT count(*) FROM pub WHERE families BETWEEN 1 AND 9 OR families % 5 <> 0), 0::bigint,
          'published: no count from 1 to 9, every count a multiple of 5');
SELECT ok((SELECT count(*) FROM pub WHERE suppressed = 'primary') > 0 AND (SELECT count(*) FROM pub WHERE ward_code IS NULL) > 0,
          'small counts suppressed, borough totals given');
-- a member of brent_mdm_scorecard who may read the Client Index and the datasets
-- runs the scorecard (and gets the same); without the group, it cannot
CREATE ROLE sc_analyst_t NOLOGIN;
GRANT USAGE ON SCHEMA borough TO sc_analyst_t;
GRANT SELECT ON ALL TABLES IN SCHEMA borough TO sc_analyst_t;
GRANT SELECT ON brent_mdm.client, brent_mdm.client_record TO sc_analyst_t;
SET LOCAL ROLE sc_analyst_t;
SELECT throws_ok($$SELECT count(*) FROM brent_mdm.family_scorecard('2026-03-31')$$, '42501', NULL,
                 'without brent_mdm_scorecard: permission denied');
RESET ROLE;
GRANT brent_mdm_scorecard TO sc_analyst_t;
SET LOCAL ROLE sc_analyst_t;
CREATE TEMP TABLE sc_member_run AS SELECT * FROM brent_mdm.family_scorecard('2026-03-31');
RESET ROLE;
SELECT is((SELECT count(*) FROM sc_member_run s JOIN sc USING (family_id)
            WHERE s.problems = sc.problems AND s.eligible = sc.eligible),
          (SELECT count(*) FROM sc), 'a member of brent_mdm_scorecard runs it, and gets the same');

-- snapshots, and counts by ward and month kept as rollups over them
SELECT is(brent_mdm.scorecard_snapshot(:'d'), (SELECT count(*) FROM sc), 'a snapshot keeps one row per family');
SELECT lives_ok($$SELECT brent_mdm.define_indicator('tf_eligible', 'brent_mdm.scorecard_result',
                    'count(*) filter (where eligible)', '{rule_set,ward_code}', 'as_of', 'month')$$,
                'an indicator over the snapshots: eligible families by rule set, ward and month');
SELECT is(brent_mdm.scorecard_snapshot('2025-09-30'), (SELECT count(*) FROM brent_mdm.family_scorecard('2025-09-30')),
          'a second date');
SELECT is(brent_mdm.scorecard_snapshot(:'d'), (SELECT count(*) FROM sc), 'the first date again (replaced, not doubled)');
SELECT set_eq($$SELECT ward_code, value::bigint FROM brent_mdm_rollup.tf_eligible
                 WHERE rule_set = 'troubled_families_2015' AND period = '2026-03-01' AND value > 0$$,
              $$SELECT ward_code, families FROM brent_mdm.scorecard_by_ward('2026-03-31')
                 WHERE measure = 'eligible' AND families > 0$$,
              'the rollup''s eligible families by ward equal the scorecard''s');
SELECT is(brent_mdm.verify_indicator('tf_eligible'), 0::bigint, 'and a recount from the snapshots');

-- health flags: by NHS number where the Client Index holds it, else by the
-- name, date of birth and postcode the health partner gives with it.  An
-- adult the Client Index holds only from the electoral register (no NHS
-- number, no date of birth), flagged under an NHS number no record carries:
SELECT c.client_id AS voter, c.given_name AS voter_given, c.family_name AS voter_family, c.postcode AS voter_pc
  FROM brent_mdm.client c
 WHERE c.status = 'active' AND c.given_name IS NOT NULL AND c.family_name IS NOT NULL AND c.postcode IS NOT NULL
   AND NOT EXISTS (SELECT FROM brent_mdm.client_record r WHERE r.client_id = c.client_id AND r.system <> 'electoral_register')
   AND (SELECT count(DISTINCT r.client_id) FROM brent_mdm.client_record r
         WHERE brent_mdm.normalise_name(r.family_name) = brent_mdm.normalise_name(c.family_name)
           AND brent_mdm.postcode_normalise(r.postcode) = brent_mdm.postcode_normalise(c.postcode)) = 1
 ORDER BY c.client_id LIMIT 1 \gset
SAVEPOINT flags;
INSERT INTO borough.health_flag (nhs_number, flag, recorded_on, given_name, family_name, date_of_birth, postcode) VALUES
  ('9990000001', 'mental_health', '2025-06-01', upper(:'voter_given'), :'voter_family', '1980-01-01', lower(:'voter_pc')),
  ('9990000002', 'substance_misuse', '2025-06-02', :'voter_given', :'voter_family', NULL, 'ZZ99 9ZZ');
SELECT is((SELECT array_agg(e.category ORDER BY e.category) FROM brent_mdm.scorecard_events(:'d') e
            WHERE e.source = 'health_flag' AND e.event_from IN ('2025-06-01', '2025-06-02') AND e.client_id = :voter),
          '{mental_health}',
          'a flag under an NHS number the Client Index does not hold reaches its person by name and postcode; one at another postcode does not');
ROLLBACK TO SAVEPOINT flags;
CREATE TEMP VIEW flags_without_demographics AS SELECT nhs_number, flag, recorded_on FROM borough.health_flag;
SELECT throws_ok($$SELECT brent_mdm.scorecard_locate('health_flag', 'flags_without_demographics')$$, '42703', NULL,
                 'health flags are read with the partner''s demographics: a relation without them is refused (42703)');
CREATE TEMP TABLE hf_events AS SELECT * FROM brent_mdm.scorecard_events(:'d') e WHERE e.source = 'health_flag';
CREATE TEMP TABLE hf_reach AS
SELECT p.person_id,
       EXISTS (SELECT FROM brent_mdm.client_record r JOIN borough_truth.source_record s USING (system, record_key)
                WHERE s.person_id = p.person_id) AS has_client,
       EXISTS (SELECT FROM brent_mdm.client_record r WHERE replace(r.nhs_number, ' ', '') = p.nhs_number) AS nhs_held,
       EXISTS (SELECT FROM hf_events e JOIN brent_mdm.client_record r USING (client_id)
                 JOIN borough_truth.source_record s USING (system, record_key)
                WHERE s.person_id = p.person_id) AS reached
  FROM borough_truth.person p
 WHERE p.nhs_number IN (SELECT nhs_number FROM borough.health_flag) AND p.in_borough_to IS NULL;
SELECT cmp_ok((SELECT count(*) FILTER (WHERE reached)::numeric / count(*) FROM hf_reach WHERE has_client), '>=', 0.8,
              'health flags reach at least 80 % of the flagged residents the Client Index holds (measured 0.88 at 100,000)');
SELECT cmp_ok((SELECT count(*) FILTER (WHERE reached) FROM hf_reach WHERE has_client AND NOT nhs_held), '>',
              10 * (SELECT count(*) FILTER (WHERE reached) FROM hf_reach WHERE nhs_held),
              'most of them through the demographics (the NHS number reaches few adults)');

-- accuracy of eligibility against the truth (bench/scorecard_accuracy.sql):
-- measured at 100,000 people (seed 1): precision 0.984, recall 0.955 (goal 0.9
-- each, met; 0.41 before the health flags carried the partner's
-- demographics); floors that fail well below
\set r troubled_families_2015
\i bench/scorecard_accuracy.sql
SELECT cmp_ok((SELECT precision FROM scorecard_accuracy WHERE what = 'eligible'), '>=', 0.9,
              'precision of eligible families against the truth at least 0.9');
SELECT cmp_ok((SELECT recall FROM scorecard_accuracy WHERE what = 'eligible'), '>=', 0.7,
              'recall of eligible families against the truth at least 0.7 (a floor: the goal, 0.9 at 100,000 people, is bench/scorecard_accuracy.sql''s)');
SELECT cmp_ok((SELECT recall FROM scorecard_accuracy WHERE what = 'problem: worklessness'), '>=', 0.85,
              'recall of worklessness against the truth at least 0.85');
SELECT cmp_ok((SELECT recall FROM scorecard_accuracy WHERE what = 'problem: health'), '>=', 0.6,
              'recall of the health problem against the truth at least 0.6 (0.02 when flags were reached by NHS number only)');
SELECT cmp_ok((SELECT precision FROM scorecard_accuracy WHERE what = 'problem: health'), '>=', 0.95,
              'precision of the health problem at least 0.95');

SELECT * FROM finish();
ROLLBACK;
