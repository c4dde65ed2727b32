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

DROP TABLE people, left_people, right_people, nobody;
