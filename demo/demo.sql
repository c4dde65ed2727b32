-- brent_mdm demo: what a new user wants to see first.
\pset footer off
\echo
\echo '-- CREATE EXTENSION brent_mdm CASCADE;'
CREATE EXTENSION brent_mdm CASCADE;
SELECT brent_mdm.version() AS brent_mdm, postgis_lib_version() AS postgis;

\echo
\echo '-- Generate the synthetic borough (deterministic for a seed; progress is reported)'
\timing on
SELECT count(*) AS tables, sum(rows) AS rows_written
  FROM brent_mdm.generate_borough(:people, seed => 1);
\timing off

\echo
\echo '-- Per source system: records, true people behind them, duplicate rate'
\echo '-- (duplicate rate: share of records that are a second record of someone already in that system)'
SELECT s.system,
       count(*)                                   AS records,
       count(DISTINCT s.person_id)                AS people,
       round(100.0 * (count(*) - count(DISTINCT s.person_id)) / count(*), 2) AS duplicate_pct
  FROM borough_truth.source_record s
 GROUP BY s.system
 ORDER BY records DESC;

\echo
\echo '-- Residents and how many of them each system knows'
SELECT count(*) AS residents_ever,
       count(*) FILTER (WHERE in_borough_to IS NULL) AS resident_now,
       count(*) FILTER (WHERE date_of_death IS NOT NULL) AS died,
       count(*) FILTER (WHERE date_of_birth >= '2021-04-01') AS born_in_window,
       count(*) FILTER (WHERE in_borough_to IS NULL AND date_of_birth > '2021-03-31') AS under_fives_now,
       round(avg(n), 2) AS systems_per_person
  FROM borough_truth.person p
  LEFT JOIN LATERAL (SELECT count(DISTINCT system) AS n
                       FROM borough_truth.source_record s WHERE s.person_id = p.person_id) k ON true;

\echo
\echo '-- Households by kind'
SELECT kind, count(*) AS households,
       count(*) FILTER (WHERE arrived_on >= '2021-04-01') AS arrived_in_window,
       count(*) FILTER (WHERE left_on IS NOT NULL) AS left_borough
  FROM borough_truth.household GROUP BY kind ORDER BY households DESC;

\echo
\echo '-- Per ward: households living there now, addresses, ASB incidents'
SELECT w.ward_name,
       (SELECT count(*) FROM borough_truth.residence r JOIN borough.address a USING (uprn)
         WHERE a.ward_code = w.ward_code AND r.moved_out IS NULL) AS households_now,
       (SELECT count(*) FROM borough.address a WHERE a.ward_code = w.ward_code) AS addresses,
       (SELECT count(*) FROM borough.asb_incident i WHERE i.ward_code = w.ward_code) AS asb_incidents,
       round((ST_Area(w.geom) / 1e6)::numeric, 2) AS km2
  FROM borough.ward w
 ORDER BY w.ward_name;

\echo
\echo '-- One person as each system wrote them down (the ground truth says it is one person)'
WITH p AS (
  SELECT s.person_id FROM borough_truth.source_record s
   GROUP BY s.person_id HAVING count(DISTINCT s.system) >= 5
   ORDER BY s.person_id LIMIT 1),
records AS (
  SELECT 'council_tax' AS system, account_ref AS record_key, lead_liable_name AS name, NULL::text AS dob, postcode FROM borough.council_tax
  UNION ALL SELECT 'housing', tenancy_person_ref, concat_ws(' ', forename, surname), date_of_birth::text, postcode FROM borough.housing
  UNION ALL SELECT 'revenues_benefits', claim_ref, concat_ws(' ', claimant_forename, claimant_surname), claimant_dob::text, postcode FROM borough.revenues_benefits
  UNION ALL SELECT 'school_census', pupil_record_id, concat_ws(' ', legal_forename, legal_surname), date_of_birth::text, postcode FROM borough.school_census
  UNION ALL SELECT 'early_years', child_ref, concat_ws(' ', child_first_name, child_last_name), child_dob::text, postcode FROM borough.early_years
  UNION ALL SELECT 'childrens_social_care', lcs_person_id, concat_ws(' ', first_name, last_name), dob::text, postcode FROM borough.childrens_social_care
  UNION ALL SELECT 'youth_offending', yot_case_id, concat_ws(' ', forename, surname), date_of_birth::text, postcode FROM borough.youth_offending
  UNION ALL SELECT 'asb_case', asb_case_ref, party_name, date_of_birth, postcode FROM borough.asb_case
  UNION ALL SELECT 'adult_social_care', mosaic_id, concat_ws(' ', forename, surname), date_of_birth::text, postcode FROM borough.adult_social_care
  UNION ALL SELECT 'electoral_register', elector_number, concat_ws(' ', first_names, surname), NULL, postcode FROM borough.electoral_register
  UNION ALL SELECT 'health_visiting', hv_client_id, concat_ws(' ', child_forename, child_surname), child_dob::text, postcode FROM borough.health_visiting)
SELECT r.system, r.record_key, r.name, r.dob, r.postcode,
       t.given_name || ' ' || t.family_name AS true_name, t.date_of_birth AS true_dob
  FROM borough_truth.source_record s JOIN p USING (person_id)
  JOIN borough_truth.person t USING (person_id)
  JOIN records r ON r.system = s.system AND r.record_key = s.record_key
 ORDER BY r.system, r.record_key;

\echo
\echo '-- Matching primitives on those records: names in other scripts, normalised and keyed'
SELECT h.child_forename || ' ' || h.child_surname AS recorded,
       brent_mdm.normalise_name(h.child_forename || ' ' || h.child_surname) AS normalised,
       p.given_name || ' ' || p.family_name AS true_name,
       round(brent_mdm.name_similarity(h.child_forename || ' ' || h.child_surname,
                                       p.given_name || ' ' || p.family_name)::numeric, 3) AS similarity,
       brent_mdm.name_keys(h.child_forename) && brent_mdm.name_keys(p.given_name) AS given_names_share_a_key
  FROM borough.health_visiting h
  JOIN borough_truth.source_record s ON s.system = 'health_visiting' AND s.record_key = h.hv_client_id
  JOIN borough_truth.person p USING (person_id)
 WHERE h.child_forename ~ '[^\u0000-\u024F]'
 ORDER BY h.hv_client_id LIMIT 8;

\echo
\echo '-- How well name_keys bring together a name in its original script and its Latin form'
SELECT count(*) AS names_in_original_script,
       round(100.0 * avg((brent_mdm.name_keys(h.child_forename) && brent_mdm.name_keys(p.given_name))::int), 1)
         AS pct_sharing_a_key
  FROM borough.health_visiting h
  JOIN borough_truth.source_record s ON s.system = 'health_visiting' AND s.record_key = h.hv_client_id
  JOIN borough_truth.person p USING (person_id)
 WHERE h.child_forename = p.native_given_name;

\echo
\echo '-- Record linkage (first slice): every person record of the 11 systems deduplicated into people,'
\echo '-- trained without labels, then checked against the ground truth'
CREATE TEMP TABLE demo_records AS
SELECT system || '/' || record_key AS id, * FROM borough.person_record;
\timing on
CREATE TEMP TABLE demo_clusters AS
SELECT * FROM brent_mdm.dedupe('demo_records', 'id',
  '{"given_name": "given_name", "family_name": "surname", "full_name": "full_name",
    "date_of_birth": "date", "postcode": "postcode",
    "nhs_number": "identifier", "ni_number": "identifier", "upn": "identifier"}');
\timing off
WITH x AS (
  SELECT c.record_id, c.cluster_id, s.person_id
    FROM demo_clusters c JOIN demo_records r ON r.id = c.record_id
    JOIN borough_truth.source_record s ON s.system = r.system AND s.record_key = r.record_key),
counts AS (
  SELECT (SELECT count(*) FROM x a JOIN x b ON a.cluster_id = b.cluster_id AND a.record_id < b.record_id) AS predicted,
         (SELECT count(*) FROM x a JOIN x b ON a.person_id = b.person_id AND a.record_id < b.record_id) AS truly,
         (SELECT count(*) FROM x a JOIN x b ON a.cluster_id = b.cluster_id AND a.record_id < b.record_id
           WHERE a.person_id = b.person_id) AS agreed)
SELECT (SELECT count(*) FROM x) AS records,
       (SELECT count(DISTINCT cluster_id) FROM x) AS people_found,
       (SELECT count(DISTINCT person_id) FROM x) AS true_people,
       round(agreed::numeric / nullif(predicted, 0), 4) AS pair_precision,
       round(agreed::numeric / nullif(truly, 0), 4) AS pair_recall,
       round(2 * agreed::numeric / nullif(predicted + truly, 0), 4) AS pair_f1
  FROM counts;
