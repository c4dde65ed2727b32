-- The Client Index: building it, stable client ids through rebuilds, merges and
-- splits, review decisions, real-time matching, the change feed, survivorship,
-- and errors.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
SELECT count(*) > 0 AS generated FROM brent_mdm.generate_borough(1500, 3, 'ci', true);
INSERT INTO brent_mdm.client_source (system, trust, min_age) VALUES
  ('health_visiting', 90, 0), ('school_census', 85, 0), ('childrens_social_care', 80, 0), ('adult_social_care', 80, 18),
  ('housing', 75, 18), ('electoral_register', 70, 16), ('early_years', 65, 0), ('council_tax', 60, 18),
  ('revenues_benefits', 55, 16), ('youth_offending', 60, 0), ('asb_case', 40, 0);

-- an empty index builds to nothing, with a warning
SELECT records, clients FROM brent_mdm.build_client_index();

-- load and build: every record gets an active client; counts agree
SELECT records = (SELECT count(*) FROM ci.person_record) AS all_loaded, clients > 0 AS has_clients,
       created = clients AS all_new, merged, split, records_moved
  FROM brent_mdm.client_index_load('ci.person_record');
SELECT count(*) FILTER (WHERE client_id IS NULL) AS records_without_client,
       count(DISTINCT client_id) = (SELECT count(*) FROM brent_mdm.client WHERE status = 'active') AS clients_agree,
       count(*) FILTER (WHERE block_keys IS NULL OR cardinality(block_keys) = 0) AS records_without_keys
  FROM brent_mdm.client_record;
SELECT sum(records) = (SELECT count(*) FROM brent_mdm.client_record) AS record_counts_agree,
       count(*) FILTER (WHERE records = 0) AS empty_clients
  FROM brent_mdm.client WHERE status = 'active';
-- the model was trained and kept for real time
SELECT model_name, trained_on, records = (SELECT count(*) FROM brent_mdm.client_record) AS on_all_records
  FROM brent_mdm.link_model WHERE model_name = 'client_index';
-- accuracy against the generator's truth (pairs of records of one person)
WITH e AS (SELECT r.client_id, t.person_id FROM brent_mdm.client_record r
             JOIN ci_truth.source_record t ON t.system = r.system AND t.record_key = r.record_key),
     tp AS (SELECT sum(n * (n - 1) / 2) AS n FROM (SELECT count(*) AS n FROM e GROUP BY client_id, person_id) s),
     pp AS (SELECT sum(n * (n - 1) / 2) AS n FROM (SELECT count(*) AS n FROM e GROUP BY client_id) s),
     tt AS (SELECT sum(n * (n - 1) / 2) AS n FROM (SELECT count(*) AS n FROM e GROUP BY person_id) s)
SELECT tp.n / pp.n > 0.9 AS precision_over_90, tp.n / tt.n > 0.5 AS recall_over_50 FROM tp, pp, tt;

-- a rebuild with nothing new changes nothing
CREATE TEMP TABLE before AS SELECT record_id, client_id FROM brent_mdm.client_record;
SELECT created, merged, split, records_moved FROM brent_mdm.build_client_index();
SELECT count(*) AS records_that_changed_client
  FROM before b JOIN brent_mdm.client_record r USING (record_id) WHERE r.client_id <> b.client_id;

-- real time: a new record of a known person joins that person's client ...
CREATE TEMP TABLE known AS
SELECT r.* FROM brent_mdm.client_record r
 WHERE r.system = 'housing' AND r.date_of_birth IS NOT NULL AND r.given_name IS NOT NULL
 ORDER BY r.record_id LIMIT 1;
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, date_of_birth, postcode)
SELECT 'adult_social_care', 'RT-1', lower(given_name), upper(family_name), date_of_birth, postcode FROM known;
SELECT r.client_id = k.client_id AS joined_known_client, r.matched_record IS NOT NULL AS matched,
       r.match_probability >= 0.9 AS confident
  FROM brent_mdm.client_record r, known k WHERE r.record_key = 'RT-1';
SELECT event, detail->>'system' AS system FROM brent_mdm.client_history
 WHERE record_id = (SELECT record_id FROM brent_mdm.client_record WHERE record_key = 'RT-1');
-- ... and a stranger gets a new client, created now
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, date_of_birth, postcode)
VALUES ('housing', 'RT-2', 'Zebedee', 'Quintrell-Okonkwo', '1931-02-28', 'HA9 0ZZ');
SELECT c.status, c.records, c.given_name, c.family_name, c.date_of_birth, c.systems, h.event
  FROM brent_mdm.client_record r JOIN brent_mdm.client c USING (client_id)
  JOIN brent_mdm.client_history h ON h.client_id = c.client_id
 WHERE r.record_key = 'RT-2';
-- two strangers in one statement: each gets its client, golden record and history (every
-- BEFORE trigger of a multi-row INSERT runs before the first AFTER trigger)
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, date_of_birth, postcode)
VALUES ('housing', 'RT-7', 'Ottoline', 'Vasquez-Brierley', '1933-05-17', 'HA9 0ZY'),
       ('housing', 'RT-8', 'Barnabus', 'Featherstonehaugh', '1929-11-03', 'NW10 0ZZ');
SELECT r.record_key, c.records, c.given_name, c.family_name, c.postcode, h.event
  FROM brent_mdm.client_record r JOIN brent_mdm.client c USING (client_id)
  LEFT JOIN brent_mdm.client_history h ON h.record_id = r.record_id
 WHERE r.record_key IN ('RT-7', 'RT-8') ORDER BY r.record_key;
-- a system that holds only adults never joins a child: a council tax account in a
-- baby's exact name at the baby's postcode gets a client of its own
INSERT INTO brent_mdm.client_record (system, record_key, full_name, postcode)
SELECT 'council_tax', 'RT-4', given_name || ' ' || family_name, postcode FROM brent_mdm.client_record
 WHERE system = 'health_visiting' AND date_of_birth > date '2026-03-31' - interval '3 years' AND postcode IS NOT NULL
 ORDER BY record_id LIMIT 1;
SELECT r.client_id <> c.client_id AS not_the_baby, cl.records
  FROM brent_mdm.client_record r JOIN brent_mdm.client cl ON cl.client_id = r.client_id,
       (SELECT client_id FROM brent_mdm.client_record WHERE system = 'health_visiting'
           AND date_of_birth > date '2026-03-31' - interval '3 years' AND postcode IS NOT NULL ORDER BY record_id LIMIT 1) c
 WHERE r.record_key = 'RT-4';
DELETE FROM brent_mdm.client_record WHERE record_key = 'RT-4';
-- a move: a council tax account closes (its client stays), and an account in the same name
-- opens that day at a postcode in another area: it joins the client of the one that closed,
-- where the same account opened on another day is not even a candidate (a client of its own)
CREATE TEMP TABLE closing AS
SELECT r.* FROM brent_mdm.client_record r
 WHERE r.system = 'council_tax' AND r.address_to IS NULL AND r.full_name ~ '^[A-Z]+, [A-Z][a-z]{3,}$'
 ORDER BY r.record_id LIMIT 1;
UPDATE brent_mdm.client_record r SET address_to = '2026-04-30' FROM closing c WHERE r.record_id = c.record_id;
SELECT r.client_id = c.client_id AS kept_its_client FROM brent_mdm.client_record r JOIN closing c USING (record_id);
INSERT INTO brent_mdm.client_record (system, record_key, full_name, postcode, address_from)
SELECT 'council_tax', 'RT-6', full_name, 'SE1 7PB', '2025-01-15' FROM closing;
CREATE TEMP TABLE not_moved AS SELECT client_id, match_probability FROM brent_mdm.client_record WHERE record_key = 'RT-6';
DELETE FROM brent_mdm.client_record WHERE record_key = 'RT-6';
INSERT INTO brent_mdm.client_record (system, record_key, full_name, postcode, address_from)
SELECT 'council_tax', 'RT-5', full_name, 'SE1 7PB', '2026-04-30' FROM closing;
SELECT r.client_id = c.client_id AS joined_the_mover, r.match_probability >= 0.9 AS confident,
       n.client_id <> c.client_id AS on_another_day_apart, n.match_probability IS NULL AS on_another_day_no_candidate
  FROM brent_mdm.client_record r, closing c, not_moved n WHERE r.record_key = 'RT-5';
SELECT level_name FROM brent_mdm.client_record a, brent_mdm.client_record b,
       brent_mdm.match_explain('client_index', to_jsonb(a), to_jsonb(b)) x
 WHERE a.record_id = (SELECT record_id FROM closing) AND b.record_key = 'RT-5' AND x.column_name = 'address_from';
DELETE FROM brent_mdm.client_record WHERE record_key IN ('RT-5', 'RT-6');
UPDATE brent_mdm.client_record r SET address_to = NULL FROM closing c WHERE r.record_id = c.record_id;
-- an unrelated arrival does not change anyone's client id on rebuild
SELECT created, merged, split, records_moved FROM brent_mdm.build_client_index();
SELECT count(*) AS records_that_changed_client
  FROM before b JOIN brent_mdm.client_record r USING (record_id) WHERE r.client_id <> b.client_id;

-- an update that moves the person keeps the client and refreshes the golden record
UPDATE brent_mdm.client_record SET postcode = 'NW10 4AB', address_from = '2026-03-30' WHERE record_key = 'RT-2';
SELECT r.client_id = h.client_id AS same_client, c.postcode, c.address_from
  FROM brent_mdm.client_record r JOIN brent_mdm.client c USING (client_id),
       (SELECT client_id FROM brent_mdm.client_history WHERE event = 'created' AND detail->>'record_key' = 'RT-2') h
 WHERE r.record_key = 'RT-2';

-- the change feed: ordered, and a consumer passing next_since sees each change once
SELECT change, system, record_key FROM brent_mdm.client_change WHERE record_key IN ('RT-1', 'RT-2') ORDER BY xid, change_id;
-- (what client_changes() hands out while an older transaction runs, and that a
-- consumer passing next_since sees each change once, need two sessions: test/feed.sh)

-- clerical review: a must_link decision merges two clients and binds later builds
CREATE TEMP TABLE pair AS
SELECT (SELECT min(record_id) FROM brent_mdm.client_record WHERE record_key = 'RT-2') AS a,
       (SELECT min(record_id) FROM brent_mdm.client_record WHERE record_key LIKE 'ASB%') AS b;
INSERT INTO brent_mdm.review_queue (record_a, record_b, match_probability)
SELECT least(a, b), greatest(a, b), 0.6 FROM pair;
CREATE TEMP TABLE clients_before AS
SELECT (SELECT client_id FROM brent_mdm.client_record WHERE record_id = a) AS ca,
       (SELECT client_id FROM brent_mdm.client_record WHERE record_id = b) AS cb FROM pair;
SELECT brent_mdm.review_decide(review_id, 'must_link', 'same person: checked with the housing officer') LIKE 'merged client % into %' AS merged
  FROM brent_mdm.review_queue WHERE (record_a, record_b) = (SELECT least(a, b), greatest(a, b) FROM pair);
SELECT c.status, c.merged_into = least(cb.ca, cb.cb) AS into_older,
       brent_mdm.resolve_client(greatest(cb.ca, cb.cb)) = least(cb.ca, cb.cb) AS resolves
  FROM clients_before cb JOIN brent_mdm.client c ON c.client_id = greatest(cb.ca, cb.cb);
SELECT event FROM brent_mdm.client_history h, clients_before cb
 WHERE h.client_id = least(cb.ca, cb.cb) AND h.other_client_id = greatest(cb.ca, cb.cb);
-- the survivor's lineage includes the merged client's own history
SELECT count(*) FILTER (WHERE l.client_id = greatest(cb.ca, cb.cb)) > 0 AS has_merged_clients_events,
       count(*) FILTER (WHERE l.event = 'merged') AS merges
  FROM clients_before cb, brent_mdm.client_lineage(least(cb.ca, cb.cb)) l;
SELECT records_moved >= 0 AS rebuilt FROM brent_mdm.build_client_index();
SELECT count(DISTINCT r.client_id) AS clients_of_the_pair
  FROM brent_mdm.client_record r, pair WHERE r.record_id IN (pair.a, pair.b);

-- cannot_link splits them again, and binds too
SELECT brent_mdm.review_decide(review_id, 'cannot_link') LIKE 'split record % off client % as client %' AS split
  FROM brent_mdm.review_queue WHERE (record_a, record_b) = (SELECT least(a, b), greatest(a, b) FROM pair);
SELECT count(DISTINCT r.client_id) AS clients_of_the_pair
  FROM brent_mdm.client_record r, pair WHERE r.record_id IN (pair.a, pair.b);
SELECT records_moved >= 0 AS rebuilt FROM brent_mdm.build_client_index();
SELECT count(DISTINCT r.client_id) AS clients_of_the_pair
  FROM brent_mdm.client_record r, pair WHERE r.record_id IN (pair.a, pair.b);
SELECT event FROM brent_mdm.client_history
 WHERE event = 'split' AND detail->>'by' = 'split_client';

-- deleting a client's only record retires the client
DELETE FROM brent_mdm.client_record WHERE record_key = 'RT-2';
SELECT c.status, c.records FROM brent_mdm.client c, pair
 WHERE c.client_id = (SELECT client_id FROM brent_mdm.client_history WHERE record_id = pair.a AND event = 'record_left');

-- survivorship: the golden given name follows the rule
CREATE TEMP TABLE c1 AS SELECT client_id FROM brent_mdm.client WHERE status = 'active' AND records >= 3 ORDER BY client_id LIMIT 1;
INSERT INTO brent_mdm.client_record (system, record_key, client_id, given_name, family_name)
SELECT 'asb_case', 'RT-3', client_id, 'Zz-least-trusted', 'Zz' FROM c1;
INSERT INTO brent_mdm.survivorship_rule VALUES ('given_name', 'most_trusted');
SELECT * FROM brent_mdm.survivorship_rules WHERE attribute IN ('given_name', 'postcode') ORDER BY 1;
SELECT brent_mdm.refresh_golden(array(SELECT client_id FROM c1)) AS refreshed;
SELECT given_name <> 'Zz-least-trusted' AS most_trusted_wins FROM brent_mdm.client JOIN c1 USING (client_id);
UPDATE brent_mdm.client_source SET trust = 100 WHERE system = 'asb_case';
SELECT brent_mdm.refresh_golden(array(SELECT client_id FROM c1)) AS refreshed;
SELECT given_name FROM brent_mdm.client JOIN c1 USING (client_id);
UPDATE brent_mdm.client_source SET trust = 40 WHERE system = 'asb_case';
DELETE FROM brent_mdm.survivorship_rule;

-- bulk mode ends with the transaction
BEGIN;
SELECT brent_mdm.client_index_bulk(true) AS was_bulk, brent_mdm.client_index_in_bulk() AS in_bulk;
COMMIT;
SELECT brent_mdm.client_index_in_bulk() AS in_bulk_after_commit;

-- errors
\set VERBOSITY sqlstate
CREATE TABLE not_people (id int);
SELECT * FROM brent_mdm.client_index_load('not_people');
SELECT brent_mdm.merge_clients(1, 1);
SELECT brent_mdm.merge_clients(-1, -2);
SELECT brent_mdm.split_client(ARRAY[-1]::bigint[]);
SELECT brent_mdm.review_decide(-1, 'must_link');
SELECT brent_mdm.review_decide(1, 'maybe');
INSERT INTO brent_mdm.client_setting (link_threshold, review_threshold) VALUES (0.3, 0.6);
INSERT INTO brent_mdm.client_setting (max_candidates) VALUES (0);
INSERT INTO brent_mdm.client_record (system, record_key) VALUES ('no_such_system', 'x');
INSERT INTO brent_mdm.client_record (system, record_key) VALUES ('housing', (SELECT record_key FROM known));
\set VERBOSITY default
DROP SCHEMA ci, ci_truth CASCADE;
