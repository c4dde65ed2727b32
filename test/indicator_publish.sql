-- pgTAP: publish_indicator (issue 13, open data): the CSV and its CSVW metadata,
-- counts through disclosure control (primary and secondary suppression,
-- rounding), personal data never published without it, the catalogue of
-- published datasets, errors.
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
SELECT plan(24);

-- incidents by ward: five wards of 62 and one of 1 in the first quarter
CREATE TABLE pub_events (ward text, kind text, day date, severity numeric);
INSERT INTO pub_events
SELECT 'W0' || (g % 5), CASE WHEN g % 3 = 0 THEN 'noise' ELSE 'litter' END, DATE '2025-01-01' + (g % 120), g % 7
  FROM generate_series(1, 400) g;
INSERT INTO pub_events VALUES ('Harrow Road, "North"', 'noise', '2025-01-05', 3);
SELECT brent_mdm.define_indicator('pub_by_ward', 'pub_events', 'count(*)', '{ward}', 'day', 'quarter');
SELECT brent_mdm.define_indicator('pub_severity', 'pub_events', 'avg(severity)', '{ward}', 'day', 'quarter');

CREATE TEMP TABLE p AS SELECT * FROM brent_mdm.publish_indicator('pub_by_ward', 'Incidents by ward', 'Test incidents');
-- the CSV as rows of fields (the test data has one quoted field)
CREATE TEMP TABLE lines AS
SELECT k, l FROM p, unnest(string_to_array(rtrim(p.csv, E'\r\n'), E'\r\n')) WITH ORDINALITY u(l, k);
SELECT is((SELECT l FROM lines WHERE k = 1), 'ward,period,value,note', 'the header: dimensions, period, value, note');
SELECT is((SELECT count(*) FROM lines)::int, 1 + 7 + 6, 'a row per ward and quarter, and a total per quarter');
SELECT ok((SELECT p.csv LIKE E'%\r\n"Harrow Road, ""North""",2025-01-01,,c\r\n%' FROM p),
          'a field with a comma and quotes is quoted (RFC 4180); the ward of 1 incident is suppressed (c)');
SELECT is((SELECT count(*) FROM lines WHERE l ~ ',c$')::int, 2,
          'two cells suppressed in the first quarter: the small one and a second so it cannot be worked out');
SELECT is((SELECT count(*) FROM lines WHERE k > 1 AND l !~ ',c$'
             AND (split_part(l, ',', 3)::int BETWEEN 1 AND 9 OR split_part(l, ',', 3)::int % 5 <> 0))::int, 0,
          'no published count from 1 to 9, every count a multiple of 5');
SELECT ok((SELECT l = 'Total,2025-01-01,310,' FROM lines WHERE l LIKE 'Total,2025-01-01%'),
          'the quarter''s total published, rounded (311 to 310)');
-- the suppressed cells cannot be recovered: total minus the published cells leaves two unknowns
SELECT ok((SELECT count(*) FROM lines WHERE l LIKE '%,2025-01-01,,c') = 2, 'the two hidden cells share one remainder');
SELECT is((SELECT metadata ->> 'dc:title' FROM p), 'Incidents by ward', 'metadata: the title');
SELECT is((SELECT metadata #>> '{dc:license,@id}' FROM p),
          'http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/', 'the licence (OGL v3 by default)');
SELECT is((SELECT metadata ->> 'dc:temporal' FROM p), '2025-01-01/2025-06-30', 'the temporal coverage: first to last quarter''s end');
SELECT is((SELECT metadata #>> '{brent:disclosureControl,threshold}' FROM p), '10', 'the disclosure control applied');
SELECT is((SELECT jsonb_array_length(metadata #> '{tableSchema,columns}') FROM p), 4, 'a CSVW column per CSV column');
SELECT is((SELECT (d.metadata ->> 'dc:identifier')::bigint FROM brent_mdm.published_dataset d JOIN p USING (dataset_id)),
          (SELECT dataset_id FROM p), 'recorded in the catalogue of published datasets, with its identifier');
SELECT is((SELECT d.csv FROM brent_mdm.published_dataset d JOIN p USING (dataset_id)), (SELECT csv FROM p),
          'with the CSV as published');

-- personal data never without disclosure control
SELECT throws_ok($$SELECT * FROM brent_mdm.publish_indicator('pub_by_ward', 'x', disclosure => 'none')$$,
                 '42501', NULL, 'a source not recorded as non-personal: no publication without disclosure control');
SELECT throws_ok($$SELECT * FROM brent_mdm.publish_indicator('pub_severity', 'x')$$,
                 '22023', NULL, 'an average of personal data: refused (suppression protects counts)');
INSERT INTO brent_mdm.open_data_source VALUES ('pub_events', false, 'test incidents: no person in them');
CREATE TEMP TABLE q AS SELECT * FROM brent_mdm.publish_indicator('pub_by_ward', 'Incidents, exact', disclosure => 'none');
SELECT ok((SELECT csv LIKE E'%\r\n"Harrow Road, ""North""",2025-01-01,1,\r\n%' AND csv LIKE E'%W00,2025-01-01,62,\r\n%' FROM q),
          'a source recorded as non-personal is published as it is, when asked');
SELECT is((SELECT metadata #>> '{brent:disclosureControl,reason}' FROM q), 'test incidents: no person in them',
          'and the metadata says why');
SELECT ok((SELECT csv ~ ',2\.\d+,' FROM brent_mdm.publish_indicator('pub_severity', 'Severity', disclosure => 'none')),
          'an average of a non-personal source, as it is');

-- errors and rights
SELECT throws_ok($$SELECT * FROM brent_mdm.publish_indicator('no_such', 'x')$$, '42704', NULL, 'an unknown indicator: 42704');
SELECT throws_ok($$SELECT * FROM brent_mdm.publish_indicator('pub_by_ward', NULL)$$, '22004', NULL, 'no title: 22004');
SELECT throws_ok($$SELECT * FROM brent_mdm.publish_indicator('pub_by_ward', 'x', disclosure => 'round')$$, '22023', NULL,
                 'an unknown disclosure rule: 22023');
SELECT ok(NOT has_function_privilege('public', 'brent_mdm.publish_indicator(text, text, text, text, integer, integer, text, text, text)', 'EXECUTE')
          AND has_function_privilege('brent_mdm_indicator_admin', 'brent_mdm.publish_indicator(text, text, text, text, integer, integer, text, text, text)', 'EXECUTE'),
          'publishing is for the indicator admins, not PUBLIC');
SELECT ok(has_table_privilege('public', 'brent_mdm.published_dataset', 'SELECT')
          AND NOT has_table_privilege('public', 'brent_mdm.published_dataset', 'INSERT'),
          'the catalogue of published data is readable by all, written by publish_indicator''s callers only');

SELECT * FROM finish();
ROLLBACK;
