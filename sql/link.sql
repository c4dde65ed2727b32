-- Linkage engine: the evaluation interface (dedupe, link) on small tables,
-- its determinism, and its errors and warnings.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;

-- people with recording errors; the same person keeps a number in "person"
CREATE TABLE people (id text, forename text, surname text, dob text, postcode text, nhs text, person int);
INSERT INTO people
SELECT 'r' || i || '-' || k,
       CASE WHEN k = 1 AND i % 4 = 0 THEN left(f, 1) || 'h' || substr(f, 2) ELSE f END,
       CASE WHEN k = 1 AND i % 5 = 0 THEN upper(s) ELSE s END,
       CASE WHEN k = 1 AND i % 3 = 0 THEN to_char(d, 'DD/MM/YYYY') ELSE to_char(d, 'YYYYMMDD') END,
       CASE WHEN k = 1 AND i % 2 = 0 THEN lower(replace(pc, ' ', '')) ELSE pc END,
       CASE WHEN k = 1 AND i % 6 = 0 THEN NULL ELSE nhs END,
       i
  FROM (SELECT i,
               (ARRAY['Amira','John','Rajesh','Olena','Kwame','Siobhan','Mohammed','Maria','Dawit','Priya',
                      'Tomasz','Grace','Hassan','Chloe','Ionut','Abdi','Fatima','George','Nisha','Patrick'])[i] AS f,
               (ARRAY['Haddad','Smith','Patel','Melnyk','Mensah','Murphy','Khan','Silva','Tesfaye','Shah',
                      'Nowak','Okafor','Ali','Brown','Popescu','Farah','Begum','Jones','Desai','Kelly'])[i] AS s,
               date '1950-01-01' + i * 811 AS d,
               'HA' || (i % 10) || ' ' || (i % 9) || 'AB' AS pc,
               (4000000000 + i * 1234567)::text AS nhs
          FROM generate_series(1, 20) i) base,
       generate_series(0, CASE WHEN i <= 12 THEN 1 ELSE 0 END) k;
SELECT count(*) AS records, count(DISTINCT person) AS people FROM people;

-- what blocking would do, before doing it
SELECT * FROM brent_mdm.blocking_estimate('people', 'id',
  '{"forename": "given_name", "surname": "surname", "dob": "date", "postcode": "postcode", "nhs": "identifier"}');

-- dedupe: every record of a person in one cluster, no two people together
CREATE TEMP TABLE clusters AS
SELECT * FROM brent_mdm.dedupe('people', 'id',
  '{"forename": "given_name", "surname": "surname", "dob": "date", "postcode": "postcode", "nhs": "identifier"}');
SELECT count(*) AS records, count(DISTINCT cluster_id) AS clusters FROM clusters;
SELECT count(*) AS people_split
  FROM (SELECT p.person FROM clusters c JOIN people p ON p.id = c.record_id
         GROUP BY p.person HAVING count(DISTINCT c.cluster_id) > 1) s;
SELECT count(*) AS clusters_mixing_people
  FROM (SELECT c.cluster_id FROM clusters c JOIN people p ON p.id = c.record_id
         GROUP BY c.cluster_id HAVING count(DISTINCT p.person) > 1) s;
-- the same input gives the same clusters
SELECT count(*) AS differences
  FROM clusters c
  FULL JOIN brent_mdm.dedupe('people', 'id',
    '{"forename": "given_name", "surname": "surname", "dob": "date", "postcode": "postcode", "nhs": "identifier"}') d
    USING (record_id)
 WHERE c.cluster_id IS DISTINCT FROM d.cluster_id;

-- link: two tables, the same people, one record each
CREATE TABLE left_people AS SELECT * FROM people WHERE id LIKE '%-0';
CREATE TABLE right_people AS SELECT * FROM people WHERE id LIKE '%-1';
CREATE TEMP TABLE links AS
SELECT * FROM brent_mdm.link('left_people', 'right_people', 'id',
  '{"forename": "given_name", "surname": "surname", "dob": "date", "postcode": "postcode"}');
SELECT count(*) FILTER (WHERE match_probability >= 0.5) AS predicted,
       count(*) FILTER (WHERE match_probability >= 0.5 AND split_part(left_id, '-', 1) = split_part(right_id, '-', 1)) AS correct,
       (SELECT count(*) FROM right_people) AS true_pairs
  FROM links;
SELECT bool_and(match_probability BETWEEN 0 AND 1) AS probabilities_in_range FROM links;

-- a model kept, and a pair explained by it (a waterfall of weights)
SELECT count(*) AS levels FROM brent_mdm.train_model('people_model', 'people', 'id',
  '{"forename": "given_name", "surname": "surname", "dob": "date", "postcode": "postcode", "nhs": "identifier"}');
SELECT model_name, trained_on, records, converged FROM brent_mdm.link_model;
SELECT step, column_name, value_a, value_b, level, level_name,
       running_total = sum(match_weight) OVER (ORDER BY step) AS total_adds_up,
       match_probability BETWEEN 0 AND 1 AS probability_in_range
  FROM brent_mdm.match_explain('people_model',
         '{"forename": "Mohammed", "surname": "Khan", "dob": "1980-03-04", "postcode": "HA9 6AB"}',
         '{"forename": "Muhammad", "surname": "KHAN", "dob": "04/03/1980", "postcode": "ha96ab", "nhs": "x"}')
 ORDER BY step;
SELECT jsonb_array_length(brent_mdm.match_explain_json('people_model', '{"forename": "Ann"}', '{"forename": "Anne"}')) AS steps;
-- agreeing on a value held by two records: u is that value's share of records
SELECT column_name, level_name, round(term_frequency::numeric, 4) AS term_frequency,
       u = term_frequency AS u_is_the_term_frequency,
       round(match_weight::numeric, 6) = round((ln(m / term_frequency) / ln(2))::numeric, 6) AS weight_uses_it
  FROM brent_mdm.match_explain('people_model', '{"forename": "Amira"}', '{"forename": "AMIRA"}') WHERE step > 0;
SELECT * FROM brent_mdm.match_explain('no_such_model', '{}', '{}');
SELECT * FROM brent_mdm.match_explain('people_model', '[1]', '{}');
-- training again replaces the model
SELECT count(*) AS levels FROM brent_mdm.train_model('people_model', 'people', 'id', '{"forename": "given_name", "dob": "date"}');
SELECT count(*) AS levels_kept FROM brent_mdm.link_model_level WHERE model_name = 'people_model';
-- a model kept with its term frequencies: only values held by two records or more, by hash
SELECT column_name, count(*) AS values_kept, round(max(frequency)::numeric, 4) AS most_common
  FROM brent_mdm.link_model_tf WHERE model_name = 'people_model' GROUP BY 1 ORDER BY 1;

-- training from labelled pairs: m from the pairs reviewers said are one person
CREATE TABLE people_labels AS
SELECT a.id AS id_a, b.id AS id_b, a.person = b.person AS is_match
  FROM people a JOIN people b ON a.id < b.id AND (a.person = b.person OR a.person + 1 = b.person);
INSERT INTO people_labels VALUES ('r1-0', 'no-such-record', true);
SELECT column_name, level, level_name, round(m::numeric, 3) AS m
  FROM brent_mdm.train_model_labelled('labelled', 'people', 'id',
         '{"forename": "given_name", "surname": "surname", "dob": "date"}', 'people_labels')
 WHERE level <= 2 ORDER BY 1, 2;
SELECT trained_on FROM brent_mdm.link_model WHERE model_name = 'labelled';
SELECT column_name, m_from FROM brent_mdm.link_model_column WHERE model_name = 'labelled' ORDER BY 1;
-- m from labels: the share of labelled matching pairs at each level (smoothed)
SELECT count(*) AS labelled_matches,
       count(*) FILTER (WHERE brent_mdm.normalise_name(a.forename) = brent_mdm.normalise_name(b.forename)) AS forename_equal
  FROM people_labels l JOIN people a ON a.id = l.id_a JOIN people b ON b.id = l.id_b WHERE l.is_match;
CREATE TABLE bad_labels (a text, b text);
SELECT * FROM brent_mdm.train_model_labelled('labelled', 'people', 'id', '{"forename": "given_name"}', 'bad_labels');

-- bad input: clear errors, nothing changed
SELECT * FROM brent_mdm.dedupe('people', 'id', '{"forename": "nickname"}');
SELECT * FROM brent_mdm.dedupe('people', 'id', '{"middle_name": "given_name"}');
SELECT * FROM brent_mdm.dedupe('people', 'no_such_id', '{"forename": "given_name"}');
SELECT * FROM brent_mdm.dedupe('people', 'id', '{}');
SELECT * FROM brent_mdm.dedupe('people', 'id', '["forename"]');
SELECT * FROM brent_mdm.dedupe('people', 'id', '{"id": "exact"}');
SELECT * FROM brent_mdm.dedupe('people', 'id', '{"forename": 3}');
SELECT * FROM brent_mdm.dedupe('people', 'id', '{"surname": "exact"}');
SELECT * FROM brent_mdm.dedupe('no_such_table', 'id', '{"forename": "given_name"}');
-- columns whose text says nothing comparable (json, arrays, bytea) are refused; text,
-- numbers, dates and enums (through domains too) are read
CREATE DOMAIN forename_domain AS varchar(40);
CREATE TABLE odd_types (id int, doc jsonb, tags text[], photo bytea, forename forename_domain, dob date, age int);
SELECT * FROM brent_mdm.dedupe('odd_types', 'id', '{"doc": "text"}');
SELECT * FROM brent_mdm.dedupe('odd_types', 'id', '{"tags": "given_name"}');
SELECT * FROM brent_mdm.dedupe('odd_types', 'id', '{"photo": "identifier"}');
SELECT count(*) FROM brent_mdm.dedupe('odd_types', 'id', '{"forename": "given_name", "dob": "date", "age": "number"}');
DROP TABLE odd_types;
DROP DOMAIN forename_domain;
SELECT * FROM brent_mdm.blocking_estimate('people', NULL, '{"forename": "given_name"}');
INSERT INTO people (id, forename) VALUES (NULL, 'Nobody');
SELECT * FROM brent_mdm.dedupe('people', 'id', '{"forename": "given_name"}');
DELETE FROM people WHERE id IS NULL;
-- an empty table and an all-NULL column warn
SET client_min_messages = warning;
CREATE TABLE nobody (id text, forename text);
SELECT * FROM brent_mdm.dedupe('nobody', 'id', '{"forename": "given_name"}');
SELECT count(*) FROM brent_mdm.link('people', 'nobody', 'id', '{"forename": "given_name"}');
ALTER TABLE people ADD COLUMN email text;
SELECT count(DISTINCT cluster_id) > 0 AS clustered
  FROM brent_mdm.dedupe('people', 'id', '{"forename": "given_name", "surname": "surname", "email": "text"}');
-- dates that are not dates are missing values, not errors
UPDATE people SET dob = 'unknown' WHERE person = 1;
SELECT count(*) AS records FROM brent_mdm.dedupe('people', 'id', '{"forename": "given_name", "dob": "date"}');

-- address histories: a council-tax-like register of full names only (300 movers), where a person's
-- account at one address closes the day their next one opens, at another address in the same
-- district (even movers) or in another district (odd movers); at each old address a successor
-- (another person) opens an account that day, and some movers' partners, with the same
-- surname, register at the new address that day
CREATE TABLE movers AS
SELECT i, (ARRAY['Ravi','Agnieszka','Kwabena','Siobhan','Tariq','Lucia','Dmytro','Ngozi','Bogdan','Yusuf',
                 'Marta','Declan','Farhana','Jerome','Ilinca','Samir','Beatriz','Hamza','Orla','Kiran',
                 'Viktor','Precious','Anjali','Mateus','Halima','Piotr','Aoife','Emeka','Sunita','Radu'])[(i - 1) % 30 + 1] AS f,
       (ARRAY['Okonkwo','Wisniewska','Asante','Brennan','Qureshi','Ferreira','Kovalenko','Adeyemi','Ionescu','Osman',
              'Zielinska','Gallagher','Chowdhury','Baptiste','Dumitru','Haddad','Carvalho','Siddiqui','Mahony','Varsani',
              'Petrov','Mensah','Raval','Oliveira','Abdi','Kaminski','Doherty','Eze','Mistry','Popa'])[((i - 1) / 30 * 7 + i - 1) % 30 + 1] AS s,
       (ARRAY['Ada','Zofia','Akua','Niamh','Sana','Ines','Olena','Chioma','Elena','Amina',
              'Jan','Ciara','Rumana','Marie','Vlad','Rania','Joana','Aisha','Sean','Nita',
              'Irina','Kofi','Mehul','Rafaela','Hodan','Ewa','Conor','Ada','Mohan','Sorin'])[(i - 1) % 30 + 1] AS p,
       'HA' || (i % 9 + 1) AS district, date '2021-01-01' + i * 29 AS moved_on
  FROM generate_series(1, 300) i;
CREATE TABLE tenancy (id text, full_name text, postcode text, address_from date, address_to date, person int);
INSERT INTO tenancy
SELECT 'old-' || i, CASE WHEN i % 4 < 2 THEN upper(s) || ', ' || f ELSE 'Mr ' || f || ' ' || s END,
       district || ' ' || (i % 7 + 1) || 'AB', moved_on - 3000 + i * 17, moved_on, i
  FROM movers
UNION ALL
SELECT 'new-' || i, CASE WHEN i % 3 = 0 THEN left(f, 1) || ' ' || s ELSE f || ' ' || s END,
       CASE WHEN i % 2 = 0 THEN district ELSE 'NW' || (i % 9 + 1) END || ' ' || (i % 5 + 1) || 'XY', moved_on, NULL, i
  FROM movers
UNION ALL
SELECT 'next-' || i, 'Occupier ' || i || ' ' || (ARRAY['Green','Hill','Ward','Lane'])[i % 4 + 1],
       district || ' ' || (i % 7 + 1) || 'AB', moved_on, NULL, 1000 + i
  FROM movers
UNION ALL
SELECT 'partner-' || i, p || ' ' || s, CASE WHEN i % 2 = 0 THEN district ELSE 'NW' || (i % 9 + 1) END || ' ' || (i % 5 + 1) || 'XY',
       moved_on, NULL, 2000 + i
  FROM movers WHERE i % 3 = 1;
SELECT count(*) AS records, count(DISTINCT person) AS people FROM tenancy;
CREATE TEMP TABLE moved AS
SELECT * FROM brent_mdm.dedupe('tenancy', 'id',
  '{"full_name": "full_name", "postcode": "postcode", "address_from": "moved_in", "address_to": "moved_out"}');
CREATE TEMP TABLE unmoved AS
SELECT * FROM brent_mdm.dedupe('tenancy', 'id', '{"full_name": "full_name", "postcode": "postcode"}');
-- with the address history, movers' two accounts are one person; without it (a name and
-- another address, even in the same district), none is
SELECT CASE WHEN m.i % 2 = 0 THEN 'same district' ELSE 'another district' END AS moved_to, count(*) AS movers,
       count(*) FILTER (WHERE a.cluster_id = b.cluster_id) AS linked,
       count(*) FILTER (WHERE c.cluster_id = d.cluster_id) AS linked_without_history
  FROM movers m
  JOIN moved a ON a.record_id = 'old-' || m.i JOIN moved b ON b.record_id = 'new-' || m.i
  JOIN unmoved c ON c.record_id = 'old-' || m.i JOIN unmoved d ON d.record_id = 'new-' || m.i
 GROUP BY 1 ORDER BY 1;
-- and no successor or partner is taken for the mover
SELECT count(*) AS clusters_mixing_people
  FROM (SELECT m.cluster_id FROM moved m JOIN tenancy t ON t.id = m.record_id
         GROUP BY m.cluster_id HAVING count(DISTINCT t.person) > 1) s;
-- explained: the move counts, the postcodes' disagreement (which it explains) does not
SELECT count(*) AS levels FROM brent_mdm.train_model('tenancy_model', 'tenancy', 'id',
  '{"full_name": "full_name", "postcode": "postcode", "address_from": "moved_in", "address_to": "moved_out"}');
SELECT column_name, kind, level, level_name, match_weight > 0 AS for_a_match
  FROM brent_mdm.match_explain('tenancy_model',
         '{"full_name": "PATEL, Ravi", "postcode": "HA1 1AB", "address_from": "2015-01-01", "address_to": "2021-06-30"}',
         '{"full_name": "Ravi Patel", "postcode": "NW2 2XY", "address_from": "2021-06-30"}')
 WHERE step > 0 ORDER BY step;
-- a successor at the same address is no move; nor are addresses a year apart
SELECT (SELECT level_name FROM brent_mdm.match_explain('tenancy_model',
          '{"full_name": "Ravi Patel", "postcode": "HA1 1AB", "address_to": "2021-06-30"}',
          '{"full_name": "Ravi Patel", "postcode": "HA1 1AB", "address_from": "2021-06-30"}') WHERE column_name = 'address_from') AS same_address,
       (SELECT level_name FROM brent_mdm.match_explain('tenancy_model',
          '{"full_name": "Ravi Patel", "postcode": "HA1 1AB", "address_to": "2020-06-30"}',
          '{"full_name": "Ravi Patel", "postcode": "NW2 2XY", "address_from": "2021-06-30"}') WHERE column_name = 'address_from') AS a_year_apart;
-- one without the other is refused
SELECT * FROM brent_mdm.dedupe('tenancy', 'id', '{"full_name": "full_name", "address_from": "moved_in"}');
-- a system that holds only adults: a council tax account in a child's exact name at the
-- child's address is the parent, not the child, when the mapping says which systems hold
-- whom (min_age: the youngest age a record's system holds)
CREATE TABLE household (id text, given_name text, family_name text, dob date, postcode text, min_age text, person int);
INSERT INTO household
SELECT 'child-' || i || '-' || k, g, f, date '2026-01-01' - 400 * (i % 4 + 1), pc, NULL, i
  FROM (SELECT i, (ARRAY['Gary','Amara','Tejinder','Olumide','Zainab','Kacper'])[i % 6 + 1] AS g,
               (ARRAY['Phillips','Okafor','Sidhu','Oni','Rahman','Nowak','Byrne','Osei','Varga','Lungu'])[i % 10 + 1] AS f,
               'HA' || (i % 9 + 1) || ' ' || (i % 8 + 1) || 'CD' AS pc
          FROM generate_series(1, 60) i) c, generate_series(1, 2) k
UNION ALL
SELECT 'account-' || i, g, f, NULL, pc, CASE WHEN i = 1 THEN 'any' ELSE '18' END, 1000 + i
  FROM (SELECT i, (ARRAY['Gary','Amara','Tejinder','Olumide','Zainab','Kacper'])[i % 6 + 1] AS g,
               (ARRAY['Phillips','Okafor','Sidhu','Oni','Rahman','Nowak','Byrne','Osei','Varga','Lungu'])[i % 10 + 1] AS f,
               'HA' || (i % 9 + 1) || ' ' || (i % 8 + 1) || 'CD' AS pc
          FROM generate_series(1, 60) i) a;
CREATE TEMP TABLE without_ages AS
SELECT * FROM brent_mdm.dedupe('household', 'id',
  '{"given_name": "given_name", "family_name": "surname", "dob": "date", "postcode": "postcode"}');
CREATE TEMP TABLE with_ages AS
SELECT * FROM brent_mdm.dedupe('household', 'id',
  '{"given_name": "given_name", "family_name": "surname", "dob": "date", "postcode": "postcode", "min_age": "min_age"}');
-- accounts put with a child; with the ages, only the account whose min_age is not a number
SELECT (SELECT count(*) FROM without_ages a JOIN without_ages c ON c.cluster_id = a.cluster_id
         WHERE a.record_id LIKE 'account-%' AND c.record_id LIKE 'child-%-1') AS without_ages,
       (SELECT count(*) FROM with_ages a JOIN with_ages c ON c.cluster_id = a.cluster_id
         WHERE a.record_id LIKE 'account-%' AND c.record_id LIKE 'child-%-1') AS with_ages,
       (SELECT count(*) FROM with_ages a JOIN with_ages c ON c.cluster_id = a.cluster_id AND c.record_id = 'child-1-2'
         WHERE a.record_id = 'child-1-1') AS child_records_still_together;
-- link() leaves such pairs out
CREATE TABLE household_accounts AS SELECT * FROM household WHERE id LIKE 'account-%';
CREATE TABLE household_children AS SELECT * FROM household WHERE id LIKE 'child-%-1';
SELECT (SELECT count(*) FROM brent_mdm.link('household_accounts', 'household_children', 'id',
          '{"given_name": "given_name", "family_name": "surname", "dob": "date", "postcode": "postcode"}')
         WHERE match_probability >= 0.5) AS pairs_over_half_without_ages,
       (SELECT count(*) FROM brent_mdm.link('household_accounts', 'household_children', 'id',
          '{"given_name": "given_name", "family_name": "surname", "dob": "date", "postcode": "postcode", "min_age": "min_age"}')
         WHERE match_probability >= 0.5) AS with_ages;
DROP TABLE household, household_accounts, household_children;

-- settings: a run whose rules would compare more pairs than brent_mdm.max_candidate_pairs is
-- refused, with a hint; brent_mdm.u_sample_pairs is how many random pairs estimate u
SET brent_mdm.max_candidate_pairs = 100;
SELECT count(*) FROM brent_mdm.dedupe('tenancy', 'id', '{"full_name": "full_name", "postcode": "postcode"}');
SELECT count(*) > 0 AS blocking_estimate_still_answers
  FROM brent_mdm.blocking_estimate('tenancy', 'id', '{"full_name": "full_name", "postcode": "postcode"}');
RESET brent_mdm.max_candidate_pairs;
SET brent_mdm.u_sample_pairs = 10;
SET brent_mdm.u_sample_pairs = 1000;
CREATE TEMP TABLE u_small AS
SELECT column_name, level, u FROM brent_mdm.train_model('u_model', 'tenancy', 'id', '{"full_name": "full_name", "postcode": "postcode"}');
RESET brent_mdm.u_sample_pairs;
SELECT count(*) FILTER (WHERE s.u <> d.u) > 0 AS u_depends_on_the_sample
  FROM u_small s JOIN brent_mdm.train_model('u_model', 'tenancy', 'id', '{"full_name": "full_name", "postcode": "postcode"}') d
       USING (column_name, level);
-- dates are read the same whatever the session's DateStyle (as text, MDY swapped day and month)
CREATE FUNCTION pg_temp.differences_under(style text) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('datestyle', style, true);
  RETURN (SELECT count(*)
            FROM moved m FULL JOIN brent_mdm.dedupe('tenancy', 'id',
              '{"full_name": "full_name", "postcode": "postcode", "address_from": "moved_in", "address_to": "moved_out"}') d
              USING (record_id)
           WHERE m.cluster_id IS DISTINCT FROM d.cluster_id);
END $$;
SELECT style, pg_temp.differences_under(style) AS differences
  FROM unnest(ARRAY['SQL, MDY', 'German', 'Postgres, DMY']) AS style;

-- dates of any year PostgreSQL's date holds (a parish register, a year keyed 0980, BC);
-- values that are no date count as missing, and each column's count is reported
CREATE TABLE dated (id text, forename text, dob text, born date, born_year int, born_month text, born_day text);
INSERT INTO dated VALUES
  ('a', 'Ann', '1750-03-04', '1750-03-04', 1750, '3', '4'),
  ('b', 'Ann', '04/03/1750', '0044-03-15 BC', 1750, 'March', '04'),
  ('c', 'Bob', '31/02/1990', 'infinity', 1990, '2', '31'),
  ('d', 'Bob', 'not known', NULL, NULL, NULL, NULL),
  ('e', 'Cy', '0980-05-12', '10000-01-01', 980, '5', NULL),
  ('f', 'Cy', '', '1980-05-12', 1980, 'Mai', '12');
SET client_min_messages = notice;
SELECT count(*) AS records FROM brent_mdm.dedupe('dated', 'id', '{"forename": "given_name", "dob": "date", "born": "date",
  "born_parts": {"kind": "date", "from": ["born_year", "born_month", "born_day"]}}');
SET client_min_messages = warning;
SELECT count(*) AS levels FROM brent_mdm.train_model('dated_model', 'dated', 'id', '{"forename": "given_name", "dob": "date", "born": "date",
  "born_parts": {"kind": "date", "from": ["born_year", "born_month", "born_day"]}}');
SELECT column_name, present, unreadable FROM brent_mdm.link_model_column WHERE model_name = 'dated_model' ORDER BY 1;
-- the mapping of a date from parts: errors
SELECT * FROM brent_mdm.dedupe('dated', 'id', '{"born_parts": {"kind": "date", "from": ["born_year", "born_month"]}}');
SELECT * FROM brent_mdm.dedupe('dated', 'id', '{"born_parts": {"kind": "given_name", "from": ["born_year", "born_month", "born_day"]}}');
SELECT * FROM brent_mdm.dedupe('dated', 'id', '{"born_parts": {"kind": "date", "form": ["born_year", "born_month", "born_day"]}}');
SELECT * FROM brent_mdm.dedupe('dated', 'id', '{"born_parts": {"kind": "date", "from": ["born_year", "born_month", "no_such_column"]}}');
SELECT * FROM brent_mdm.dedupe('dated', 'id', '{"born_parts": {"from": ["born_year", "born_month", "born_day"]}}');
SELECT * FROM brent_mdm.dedupe('dated', 'id', '{"born_parts": ["born_year", "born_month", "born_day"]}');
DROP TABLE dated;

-- records past brent_mdm.linkage_work_mem are spilled to a temporary file (in chunks of
-- 64 kB, read back when needed), and the run says so; the clusters are the same
CREATE TABLE crowd AS
  SELECT lpad(i::text, 5, '0') AS id,
         (ARRAY['Ann','Bob','Cy','Dee','Eve','Fay','Gus','Hal'])[1 + i % 8] || ' ' || md5('g' || (i % 4000)) AS forename,
         md5('s' || (i % 4000)) AS surname, date '1950-01-01' + (i % 4000) AS born
    FROM generate_series(1, 8000) i;
CREATE TEMP TABLE crowd_in_memory AS
  SELECT * FROM brent_mdm.dedupe('crowd', 'id', '{"forename": "given_name", "surname": "surname", "born": "date"}');
SET brent_mdm.linkage_work_mem = '1MB';
SET client_min_messages = notice;
-- (the notice's detail, chunks written and read back, follows how the store is used: not pinned)
\set VERBOSITY terse
CREATE TEMP TABLE crowd_spilled AS
  SELECT * FROM brent_mdm.dedupe('crowd', 'id', '{"forename": "given_name", "surname": "surname", "born": "date"}');
\set VERBOSITY default
SET client_min_messages = warning;
RESET brent_mdm.linkage_work_mem;
SELECT count(DISTINCT cluster_id) AS clusters,
       (SELECT count(*) FROM ((SELECT * FROM crowd_spilled EXCEPT SELECT * FROM crowd_in_memory)
                              UNION ALL (SELECT * FROM crowd_in_memory EXCEPT SELECT * FROM crowd_spilled)) d) AS differences
  FROM crowd_spilled;
DROP TABLE crowd;

-- An identifier is a person's own number: two different values say two people, and the join
-- guard keeps such records apart. Mapped as one, an e-mail address a person holds two of splits
-- each person in two, and the clustering's notice says which column kept how many pairs
-- scored as matches apart, and hints that it is better mapped as text: then compared, it
-- splits no one. 60 people with three records each: two give a home address, the third (from
-- another system) a work address; a third of the second records misspell the surname.
CREATE TABLE contacts (id text, given text, family text, dob date, email text);
INSERT INTO contacts
SELECT p || '-' || r,
       (ARRAY['Amir','Beatrice','Chidi','Dorota','Emeka','Fatima','Gareth','Hana','Ivan','Jasmine'])[1 + p % 10],
       (ARRAY['Okafor','Nowak','Patel','Kowalski','Hughes','Begum','Silva'])[1 + (p / 10) % 7] || CASE WHEN r = 2 AND p % 3 = 0 THEN 'e' ELSE '' END,
       date '1950-01-01' + (p * 397) % 20000,
       CASE WHEN r < 3 THEN 'home' || p || '@mail.example' ELSE 'p' || p || '@work' || (p % 4) || '.example' END
FROM generate_series(1, 60) p, generate_series(1, 3) r;
SET client_min_messages = notice;
SELECT count(DISTINCT cluster_id) AS people FROM brent_mdm.dedupe('contacts', 'id',
  '{"given": "given_name", "family": "surname", "dob": "date", "email": "identifier"}');
SELECT count(DISTINCT cluster_id) AS people FROM brent_mdm.dedupe('contacts', 'id',
  '{"given": "given_name", "family": "surname", "dob": "date", "email": "text"}');
SET client_min_messages = warning;
DROP TABLE contacts;

DROP TABLE people, left_people, right_people, nobody, tenancy, movers;
