-- Pairwise precision, recall and F1 of brent_mdm.dedupe on a synthetic
-- borough's person records, against its ground truth; overall, for names
-- recorded in another script or spelling, and for common surnames.  The mapping has
-- each system's youngest age (min_age), as the Client Index's client_source has.
--   psql -v schema=borough -f bench/link_borough.sql
\set truth :schema _truth
\timing on
DROP TABLE IF EXISTS eval_records, eval_clusters;
CREATE TABLE eval_records AS
SELECT r.system || '/' || r.record_key AS id, r.*, s.person_id,
       -- the youngest age each system holds, as the demo's client_source says
       CASE r.system WHEN 'council_tax' THEN 18 WHEN 'housing' THEN 18 WHEN 'adult_social_care' THEN 18
                     WHEN 'electoral_register' THEN 16 WHEN 'revenues_benefits' THEN 16 ELSE 0 END AS min_age
  FROM :schema.person_record r
  JOIN :"truth".source_record s ON s.system = r.system AND s.record_key = r.record_key;
CREATE TABLE eval_clusters AS
SELECT * FROM brent_mdm.dedupe('eval_records', 'id',
  '{"given_name": "given_name", "family_name": "surname", "full_name": "full_name",
    "date_of_birth": "date", "postcode": "postcode",
    "nhs_number": "identifier", "ni_number": "identifier", "upn": "identifier",
    "address_from": "moved_in", "address_to": "moved_out", "min_age": "min_age"}');
\timing off
CREATE INDEX ON eval_clusters (cluster_id);
CREATE TEMP TABLE eval_x AS
SELECT c.record_id, c.cluster_id, r.person_id, r.full_name, r.system
  FROM eval_clusters c JOIN eval_records r ON r.id = c.record_id;
CREATE INDEX ON eval_x (cluster_id); CREATE INDEX ON eval_x (person_id);
-- predicted pairs (same cluster) and true pairs (same person)
CREATE TEMP TABLE eval_pairs AS
SELECT a.record_id AS a, b.record_id AS b, true AS predicted, a.person_id = b.person_id AS truly,
       a.full_name AS name_a, b.full_name AS name_b
  FROM eval_x a JOIN eval_x b ON a.cluster_id = b.cluster_id AND a.record_id < b.record_id
UNION ALL
SELECT a.record_id, b.record_id, false, true, a.full_name, b.full_name
  FROM eval_x a JOIN eval_x b ON a.person_id = b.person_id AND a.record_id < b.record_id
 WHERE a.cluster_id <> b.cluster_id;
SELECT 'overall' AS pairs,
       count(*) FILTER (WHERE predicted AND truly) AS true_positive,
       count(*) FILTER (WHERE predicted AND NOT truly) AS false_positive,
       count(*) FILTER (WHERE NOT predicted) AS false_negative,
       round(count(*) FILTER (WHERE predicted AND truly)::numeric / nullif(count(*) FILTER (WHERE predicted), 0), 4) AS precision,
       round(count(*) FILTER (WHERE predicted AND truly)::numeric / nullif(count(*) FILTER (WHERE truly), 0), 4) AS recall,
       round(2 * count(*) FILTER (WHERE predicted AND truly)::numeric /
             nullif(count(*) FILTER (WHERE predicted) + count(*) FILTER (WHERE truly), 0), 4) AS f1
  FROM eval_pairs
UNION ALL
SELECT 'cross-script or transliterated', count(*) FILTER (WHERE predicted AND truly), count(*) FILTER (WHERE predicted AND NOT truly),
       count(*) FILTER (WHERE NOT predicted),
       round(count(*) FILTER (WHERE predicted AND truly)::numeric / nullif(count(*) FILTER (WHERE predicted), 0), 4),
       round(count(*) FILTER (WHERE predicted AND truly)::numeric / nullif(count(*) FILTER (WHERE truly), 0), 4),
       round(2 * count(*) FILTER (WHERE predicted AND truly)::numeric /
             nullif(count(*) FILTER (WHERE predicted) + count(*) FILTER (WHERE truly), 0), 4)
  FROM eval_pairs
 WHERE (name_a ~ '[^\u0000-\u024F]') <> (name_b ~ '[^\u0000-\u024F]')
    OR (brent_mdm.normalise_name(name_a) <> brent_mdm.normalise_name(name_b)
        AND brent_mdm.name_keys(name_a) && brent_mdm.name_keys(name_b)
        AND NOT (string_to_array(brent_mdm.normalise_name(name_a), ' ') && string_to_array(brent_mdm.normalise_name(name_b), ' ')))
UNION ALL
SELECT 'common surnames (Patel, Shah, Khan, Smith, Ali, Begum, Singh)', count(*) FILTER (WHERE predicted AND truly),
       count(*) FILTER (WHERE predicted AND NOT truly), count(*) FILTER (WHERE NOT predicted),
       round(count(*) FILTER (WHERE predicted AND truly)::numeric / nullif(count(*) FILTER (WHERE predicted), 0), 4),
       round(count(*) FILTER (WHERE predicted AND truly)::numeric / nullif(count(*) FILTER (WHERE truly), 0), 4),
       round(2 * count(*) FILTER (WHERE predicted AND truly)::numeric /
             nullif(count(*) FILTER (WHERE predicted) + count(*) FILTER (WHERE truly), 0), 4)
  FROM eval_pairs
 WHERE brent_mdm.normalise_name(name_a) ~ '\m(patel|shah|khan|smith|ali|begum|singh)\M'
   AND brent_mdm.normalise_name(name_b) ~ '\m(patel|shah|khan|smith|ali|begum|singh)\M';
