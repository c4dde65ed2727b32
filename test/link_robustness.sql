-- pgTAP: linkage on data it was not tuned on (issue 11), on generated people:
--   dates of any year, dates assembled from parts, unreadable dates counted;
--   one corrupted column never loses a true pair (blocking), for every
--   mapping shape; nicknames and variant spellings of given names.
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
SET LOCAL search_path = brent_mdm, public;
SELECT plan(12);

-- ---- 1. dates: any valid date, from parts, unreadable ones counted ----

-- 120 people of a parish register (born 1700-1760), 12 names shared by 10
-- people each: only the date of birth tells them apart; two records each,
-- the second with its date written DD/MM/YYYY and its parts as text
CREATE TEMP TABLE parish AS
SELECT 'p' || i || '-' || k AS id, i AS person,
       (ARRAY['John','Mary','William','Elizabeth','Thomas','Anne','Richard','Sarah','James','Jane','Robert','Margaret'])[1 + i % 12] AS forename,
       (ARRAY['Smith','Taylor','Brown','Wilson','Walker','Wright','Hall','Green','Baker','Clarke','Wood','Turner'])[1 + (i / 12) % 12] AS surname,
       CASE k WHEN 0 THEN to_char(d, 'YYYY-MM-DD') ELSE to_char(d, 'DD/MM/YYYY') END AS dob,
       extract(year FROM d)::int AS dob_year, extract(month FROM d)::text AS dob_month,
       lpad(extract(day FROM d)::text, 2, '0') AS dob_day
  FROM (SELECT i, date '1700-01-01' + i * 173 AS d FROM generate_series(1, 120) i) p,
       generate_series(0, 1) k;

CREATE TEMP TABLE parish_clusters AS
SELECT * FROM dedupe('parish', 'id', '{"forename": "given_name", "surname": "surname", "dob": "date"}');
SELECT is((SELECT count(*) FROM (SELECT c.cluster_id FROM parish_clusters c JOIN parish p ON p.id = c.record_id
                                  GROUP BY c.cluster_id HAVING count(DISTINCT p.person) > 1) s),
          0::bigint, 'dates of 1700-1760 are read: no cluster holds two people of one name');
SELECT is((SELECT count(*) FROM (SELECT p.person FROM parish_clusters c JOIN parish p ON p.id = c.record_id
                                  GROUP BY p.person HAVING count(DISTINCT c.cluster_id) > 1) s),
          0::bigint, 'and every person''s two records are one cluster');

-- a date assembled from year, month and day columns: the same clusters
SELECT lives_ok($$CREATE TEMP TABLE parish_parts AS
  SELECT * FROM dedupe('parish', 'id', '{"forename": "given_name", "surname": "surname",
    "dob": {"kind": "date", "from": ["dob_year", "dob_month", "dob_day"]}}')$$,
  'a mapping may assemble a date from three columns');
SELECT is((SELECT count(*) FROM parish_clusters a JOIN parish_clusters b ON a.record_id < b.record_id
            FULL JOIN (SELECT a.record_id AS ra, b.record_id AS rb FROM parish_parts a JOIN parish_parts b
                        ON a.record_id < b.record_id AND a.cluster_id = b.cluster_id) p
              ON p.ra = a.record_id AND p.rb = b.record_id
           WHERE (a.cluster_id = b.cluster_id) IS DISTINCT FROM (p.ra IS NOT NULL)),
          0::bigint, 'the date from parts gives the clusters of the date column');
SELECT ok((SELECT bool_or(blocking_rule = 'dob') FROM blocking_estimate('parish', 'id',
             '{"forename": "given_name", "surname": "surname",
               "dob": {"kind": "date", "from": ["dob_year", "dob_month", "dob_day"]}}')),
          'a date from parts is a blocking rule');

-- a year keyed 0980 for 1980 is a date that disagrees by one digit, not a missing one
SELECT lives_ok($$SELECT train_model('parish_model', 'parish', 'id', '{"forename": "given_name", "surname": "surname", "dob": "date"}')$$,
                'a model of the parish register');
SELECT is((SELECT level_name FROM match_explain('parish_model', '{"dob": "0980-05-12"}', '{"dob": "12/05/1980"}') WHERE column_name = 'dob'),
          'one digit differs', 'year 0980 against 1980: one digit differs');
SELECT is((SELECT value_a || ' ' || level_name FROM match_explain('parish_model', '{"dob": "3 March 1712"}', '{"dob": "1712-03-03"}') WHERE column_name = 'dob'),
          '17120303 equal', 'a date in words is read as PostgreSQL reads it');

-- unreadable values: counted per column, kept in the model, never silently missing
CREATE TEMP TABLE untidy AS
SELECT p.*, CASE WHEN p.person % 10 = 0 THEN (ARRAY['31/02/1990', 'not known', '1980-13-01', '00000000'])[1 + p.person / 10 % 4]
                 ELSE p.dob END AS dob_text,
       CASE WHEN p.person % 15 = 0 THEN '13' ELSE p.dob_month END AS month_text,
       CASE WHEN p.person % 40 = 1 THEN NULL ELSE p.dob_day END AS day_text
  FROM parish p;
UPDATE untidy SET dob_year = NULL, month_text = NULL, day_text = NULL WHERE person = 7;
SELECT lives_ok($$SELECT train_model('untidy_model', 'untidy', 'id', '{"forename": "given_name", "surname": "surname",
    "dob_text": "date", "dob_parts": {"kind": "date", "from": ["dob_year", "month_text", "day_text"]}}')$$,
  'a model over unreadable dates');
SELECT is((SELECT unreadable FROM link_model_column WHERE model_name = 'untidy_model' AND column_name = 'dob_text'),
          (SELECT count(*) FROM untidy WHERE person % 10 = 0), 'every unreadable date is counted');
SELECT is((SELECT unreadable FROM link_model_column WHERE model_name = 'untidy_model' AND column_name = 'dob_parts'),
          (SELECT count(*) FROM untidy WHERE person % 15 = 0 OR person % 40 = 1), 'a month 13 or a missing day is unreadable, all parts missing is missing');
SELECT is((SELECT present FROM link_model_column WHERE model_name = 'untidy_model' AND column_name = 'dob_parts'),
          (SELECT count(*) FROM untidy WHERE NOT (person % 15 = 0 OR person % 40 = 1 OR person = 7)), 'the others are present');

SELECT * FROM finish();
ROLLBACK;
