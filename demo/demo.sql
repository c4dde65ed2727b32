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
\echo '-- The Client Index: every person record of the 11 systems loaded, linked without labels'
\echo '-- (Fellegi-Sunter, EM-trained), clustered into clients with golden records'
INSERT INTO brent_mdm.client_source (system, trust, min_age) VALUES
  ('health_visiting', 90, 0), ('school_census', 85, 0), ('childrens_social_care', 80, 0), ('adult_social_care', 80, 18),
  ('housing', 75, 18), ('electoral_register', 70, 16), ('early_years', 65, 0), ('council_tax', 60, 18),
  ('youth_offending', 60, 0), ('revenues_benefits', 55, 16), ('asb_case', 40, 0);
\timing on
SELECT records, clients, review_pending, round(seconds::numeric, 1) AS seconds
  FROM brent_mdm.client_index_load('borough.person_record');
\timing off

\echo
\echo '-- Checked against the ground truth: pairs of records put in one client (precision)'
\echo '-- and pairs of one person found (recall)'
WITH e AS (SELECT r.client_id, t.person_id FROM brent_mdm.client_record r
             JOIN borough_truth.source_record t ON t.system = r.system AND t.record_key = r.record_key),
     tp AS (SELECT sum(n * (n - 1) / 2) AS n FROM (SELECT count(*) AS n FROM e GROUP BY client_id, person_id) s),
     pp AS (SELECT sum(n * (n - 1) / 2) AS n FROM (SELECT count(*) AS n FROM e GROUP BY client_id) s),
     tt AS (SELECT sum(n * (n - 1) / 2) AS n FROM (SELECT count(*) AS n FROM e GROUP BY person_id) s)
SELECT (SELECT count(*) FROM e) AS records, (SELECT count(DISTINCT client_id) FROM e) AS clients,
       (SELECT count(DISTINCT person_id) FROM e) AS true_people,
       round(tp.n / pp.n, 4) AS pair_precision, round(tp.n / tt.n, 4) AS pair_recall,
       round(2 * tp.n / (pp.n + tt.n), 4) AS pair_f1
  FROM tp, pp, tt;

\echo
\echo '-- Golden records of clients known to five systems or more'
SELECT client_id, given_name, family_name, date_of_birth, postcode, nhs_number, records, array_length(systems, 1) AS systems
  FROM brent_mdm.client WHERE status = 'active' AND array_length(systems, 1) >= 5
 ORDER BY client_id LIMIT 5;

\echo
\echo '-- Real time: housing registers a new tenant; the trigger matches her against the index'
\echo '-- (one of the residents above, her name typed differently) and tells other systems (LISTEN)'
LISTEN brent_mdm_client_change;
\timing on
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, date_of_birth, postcode)
SELECT 'housing', 'TEN-NEW-1', lower(given_name), upper(family_name), date_of_birth, postcode
  FROM brent_mdm.client WHERE status = 'active' AND array_length(systems, 1) >= 5 AND date_of_birth IS NOT NULL
 ORDER BY client_id LIMIT 1
RETURNING record_id, client_id, matched_record, round(match_probability::numeric, 6) AS match_probability;
\timing off
SELECT change_id, client_id, change, system, record_key FROM brent_mdm.client_changes()
 WHERE record_key = 'TEN-NEW-1';
UNLISTEN *;

\echo
\echo '-- Purpose-bound access: the Early Years DPIA.  The early years table is protected; the'
\echo '-- DPIA covers children under five, shows names, the year of birth and the postcode sector,'
\echo '-- and is granted to the analyst role ey_analyst.'
DO $$ BEGIN   -- roles are the cluster's: made once
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ey_owner') THEN CREATE ROLE ey_owner NOLOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ey_analyst') THEN CREATE ROLE ey_analyst LOGIN; END IF;
END $$;
ALTER TABLE borough.early_years OWNER TO ey_owner;
GRANT USAGE ON SCHEMA borough TO ey_analyst;
SELECT brent_mdm.protect('borough.early_years') AS masking_view;
SELECT brent_mdm.register_dpia('early_years', 'Early years support',
         'Offer support to families with children under five', 'public_task',
         'London Borough of Brent', 'Head of Early Years') AS dpia;
SELECT brent_mdm.set_table_scope('early_years', 'borough.early_years', 'read',
         $$child_dob > date '2026-03-31' - interval '5 years'$$) AS scope;
SELECT count(*) AS columns_in_scope FROM (
  SELECT brent_mdm.set_column_scope('early_years', 'borough.early_years', c, t)
    FROM (VALUES ('child_ref', 'clear'), ('child_first_name', 'clear'), ('child_last_name', 'clear'),
                 ('child_dob', 'year'), ('postcode', 'sector'), ('start_date', 'clear')) v(c, t)) s;
SELECT brent_mdm.approve_dpia('early_years', 'Data Protection Officer', now() + interval '1 year') AS status;
SELECT brent_mdm.grant_purpose('early_years', 'ey_analyst') AS grant;
GRANT SELECT ON borough.early_years_masked TO ey_analyst;
\echo '-- The Client Index is under the same regime: protected, its reads audited, and the DPIA'
\echo '-- shows the names, dates of birth, postcodes and the dates a record at an address began and'
\echo '-- ended, which finding families needs (nothing else: NHS, NI numbers, addresses stay redacted)'
SELECT brent_mdm.protect('brent_mdm.client') AS masking_view;
SELECT brent_mdm.protect('brent_mdm.client_record') AS masking_view;
SELECT brent_mdm.set_table_scope('early_years', t, 'read') AS scope
  FROM unnest('{brent_mdm.client,brent_mdm.client_record}'::regclass[]) t;
SELECT count(*) AS columns_in_scope FROM (
  SELECT brent_mdm.set_column_scope('early_years', t::regclass, c, 'clear')
    FROM (VALUES ('brent_mdm.client', '{client_id,status,given_name,family_name,date_of_birth,postcode}'::text[]),
                 ('brent_mdm.client_record', '{client_id,system,full_name,family_name,address_from,address_to}')) v(t, cs),
         unnest(cs) c) s;
GRANT SELECT ON brent_mdm.client_masked, brent_mdm.client_record_masked, brent_mdm.client_source TO ey_analyst;
-- another DPIA, approved but not granted to the analyst
SELECT brent_mdm.register_dpia('adult_social_care', 'Adult social care reviews', 'Review care packages',
         'public_task', 'London Borough of Brent', 'Director of Adult Social Care') AS dpia;
SELECT brent_mdm.approve_dpia('adult_social_care', 'Data Protection Officer', now() + interval '1 year') AS status;

\echo
\echo '-- The analyst, without a purpose: the same query sees nothing'
SET SESSION AUTHORIZATION ey_analyst;
SELECT (SELECT count(*) FROM borough.early_years_masked) AS children,
       (SELECT count(*) FROM brent_mdm.client_masked) AS clients;
\echo '-- ... and cannot act under a purpose she has no grant for'
\set ON_ERROR_STOP 0
SELECT brent_mdm.begin_purpose('adult_social_care');
\set ON_ERROR_STOP 1
\echo
\echo '-- Under the Early Years DPIA: under-fives by postcode sector who started in the last three months'
SELECT brent_mdm.begin_purpose('early_years');
SELECT postcode AS sector, count(*) AS children, min(child_dob) AS born_from_year
  FROM borough.early_years_masked
 WHERE start_date >= date '2026-03-31' - interval '3 months'
 GROUP BY postcode ORDER BY children DESC, sector LIMIT 8;
\echo '-- (the date of birth shows only the year, the postcode its sector; the parent''s name is'
\echo '-- outside the DPIA''s scope and is redacted)'
SELECT child_ref, child_first_name, child_last_name, child_dob, postcode, parent_carer_name
  FROM borough.early_years_masked ORDER BY child_ref LIMIT 3;
\echo
\echo '-- Under the same DPIA: families with under-fives who moved into the borough in the last three'
\echo '-- months (reference date 2026-03-31), one query over the Client Index as the analyst sees it:'
\echo '-- an adult (a system that holds only adults knows them) whose earliest record at any address'
\echo '-- is recent and who is still here (not every dated record of theirs ended by that date), and'
\echo '-- the under-fives at the same postcode whose family name shares a name key'
\echo '-- with the adult''s names (patronymics included); unless someone of the child''s family name'
\echo '-- was recorded at that address before (a move within the borough, or a young adult of a'
\echo '-- family long there registering to vote)'
CREATE TEMP VIEW under_fives_moved_in AS
SELECT adult.postcode, coalesce(adult.family_name, a.name) AS family, a.first_seen AS moved_in,
       child.client_id, child.given_name, child.date_of_birth
  FROM brent_mdm.client_masked adult
  JOIN LATERAL (SELECT min(r.address_from) AS first_seen, bool_or(s.min_age > 0) AS adult_system,
                       max(coalesce(r.full_name, r.family_name)) AS name,
                       array_agg(DISTINCT k) AS name_keys,
                       bool_and(coalesce(r.address_to <= date '2026-03-31', false))
                         FILTER (WHERE r.address_from IS NOT NULL) AS gone
                  FROM brent_mdm.client_record_masked r JOIN brent_mdm.client_source s USING (system)
                  CROSS JOIN LATERAL unnest(brent_mdm.name_keys(coalesce(r.full_name, r.family_name))) k
                 WHERE r.client_id = adult.client_id) a ON true
  JOIN brent_mdm.client_masked child
    ON child.status = 'active'
   AND brent_mdm.postcode_normalise(child.postcode) = brent_mdm.postcode_normalise(adult.postcode)
   AND child.date_of_birth > date '2026-03-31' - interval '5 years'
   AND brent_mdm.name_keys(child.family_name) && a.name_keys
 WHERE adult.status = 'active' AND a.first_seen >= date '2026-03-31' - interval '3 months'
   AND NOT coalesce(a.gone, false)
   AND (a.adult_system OR adult.date_of_birth <= date '2026-03-31' - interval '16 years')
   AND NOT EXISTS (SELECT 1 FROM brent_mdm.client_masked o
                     JOIN brent_mdm.client_record_masked r ON r.client_id = o.client_id
                    WHERE o.status = 'active' AND o.postcode = adult.postcode
                      AND r.address_from < date '2026-03-31' - interval '3 months'
                      AND brent_mdm.name_keys(coalesce(r.full_name, r.family_name)) &&
                          ARRAY(SELECT k FROM unnest(brent_mdm.name_keys(child.family_name)) k
                                 WHERE k LIKE 'n:%'));
SELECT postcode, string_agg(DISTINCT family, ', ') AS adults, min(moved_in) AS moved_in,
       string_agg(DISTINCT given_name || ' (' || date_of_birth || ')', ', ') AS under_fives
  FROM under_fives_moved_in GROUP BY postcode ORDER BY 3 DESC, 1 LIMIT 15;
-- the children found, kept for the comparison with the truth below
CREATE TEMP TABLE under_fives_found AS SELECT DISTINCT client_id FROM under_fives_moved_in;
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;

\echo
\echo '-- ... and how that answer compares with the ground truth (the superuser, who holds it)'
WITH found_households AS (
  SELECT DISTINCT t.household_id FROM under_fives_found f
    JOIN brent_mdm.client_record r USING (client_id)
    JOIN borough_truth.source_record t ON t.system = r.system AND t.record_key = r.record_key),
true_households AS (
  SELECT DISTINCT h.household_id FROM borough_truth.household h JOIN borough_truth.person p USING (household_id)
   WHERE h.arrived_on BETWEEN date '2026-03-31' - interval '3 months' AND date '2026-03-31'
     AND p.date_of_birth > date '2026-03-31' - interval '5 years'
     AND (p.in_borough_to IS NULL OR p.in_borough_to > date '2026-03-31'))
SELECT t.n AS true_families, f.n AS families_found, ft.n AS found_and_true,
       round(ft.n::numeric / nullif(f.n, 0), 3) AS precision, round(ft.n::numeric / nullif(t.n, 0), 3) AS recall
  FROM (SELECT count(*) AS n FROM true_households) t, (SELECT count(*) AS n FROM found_households) f,
       (SELECT count(*) AS n FROM found_households JOIN true_households USING (household_id)) ft;

\echo
\echo '-- The Joint Action Group''s month, March 2026: ASB hot spots on 250 m cells of the borough'
\echo '-- (Getis-Ord Gi*, Benjamini-Hochberg FDR), then the emerging ones over the 12 months to it'
SELECT hotspot, count(*) AS cells, sum(incidents) AS incidents
  FROM brent_mdm.hotspots('borough.asb_incident', 'geom', 'occurred_on', '2026-03-01', '2026-04-01')
 GROUP BY hotspot ORDER BY hotspot;
\echo '-- this month''s hot and cold cells and the emerging ones, hottest first: ward, incidents, change'
\echo '-- on last month, class, emerging category (hotspot_report)'
SELECT rank, ward_name, incidents, last_month, change, round(gi_z::numeric, 2) AS gi_z, hotspot, category
  FROM brent_mdm.hotspot_report('2026-03-01') ORDER BY rank LIMIT 10;
\echo '-- emerging hot spots over April 2025 - March 2026 (the generator planted one in Kingsbury)'
SELECT e.category, count(*) AS cells, string_agg(DISTINCT w.ward_name, ', ') AS wards
  FROM brent_mdm.emerging_hotspots('borough.asb_incident', 'geom', 'occurred_on', '2025-04-01', '2026-04-01') e
  JOIN borough.ward w ON ST_Intersects(w.geom, ST_Centroid(e.geom))
 WHERE e.category <> 'no pattern'
 GROUP BY e.category ORDER BY cells DESC, e.category;
\echo '-- over the five years the six town centres stand out (and the kernel density surface agrees)'
SELECT h.hotspot, count(*) AS cells, round(avg(k.density)::numeric, 1) AS mean_density_per_km2
  FROM brent_mdm.hotspots('borough.asb_incident', 'geom', 'occurred_on', '2021-04-01', '2026-04-01') h
  JOIN brent_mdm.kernel_density('borough.asb_incident', 'geom', 'occurred_on', '2021-04-01', '2026-04-01', 400, 250) k
 USING (cell_id)
 GROUP BY h.hotspot ORDER BY h.hotspot;
\echo '-- the map (SVG) and the layer for QGIS or a web map (GeoJSON), written to files:'
\set svg_file :outdir '/jag_hotspots_2026-03.svg'
\set geojson_file :outdir '/jag_hotspots_2026-03.geojson'
\pset tuples_only on
\pset format unaligned
\o :svg_file
SELECT brent_mdm.hotspot_report_svg('2026-03-01');
\o :geojson_file
SELECT brent_mdm.hotspot_report_geojson('2026-03-01');
\o
\pset tuples_only off
\pset format aligned
\echo :svg_file
\echo :geojson_file

\echo
\echo '-- Indicators kept current as rows are written (rollups): ASB incidents by ward and month,'
\echo '-- unauthorised absence by academic year, children''s social care referrals by category and quarter'
SELECT brent_mdm.define_indicator('asb_by_ward_month', 'borough.asb_incident', 'count(*)',
                                  '{ward_code}', 'occurred_on', 'month') AS indicator;
SELECT brent_mdm.define_indicator('unauthorised_absence', 'borough.school_attendance',
                                  'sum(sessions_unauthorised_absence)', '{academic_year}', NULL, NULL) AS indicator;
SELECT brent_mdm.define_indicator('csc_referrals', 'borough.childrens_social_care', 'count(*)',
                                  '{category}', 'referral_date', 'quarter') AS indicator;
SELECT ward_code, period, value AS incidents FROM brent_mdm_rollup.asb_by_ward_month
 WHERE period >= date '2026-01-01' ORDER BY value DESC, ward_code, period LIMIT 5;
\echo '-- a change: 200 new incidents in one ward, one incident moved to another month, a school'
\echo '-- term''s absences corrected, a referral withdrawn; the indicators follow at once'
INSERT INTO borough.asb_incident (incident_id, occurred_on, category, ward_code, geom)
SELECT (SELECT max(incident_id) FROM borough.asb_incident) + g, date '2026-03-15', 'noise', w.ward_code, w.geom
  FROM generate_series(1, 200) g,
       (SELECT ward_code, geom FROM borough.asb_incident ORDER BY incident_id LIMIT 1) w;
UPDATE borough.asb_incident SET occurred_on = occurred_on - 31
 WHERE incident_id = (SELECT min(incident_id) FROM borough.asb_incident);
UPDATE borough.school_attendance SET sessions_unauthorised_absence = sessions_unauthorised_absence + 1
 WHERE academic_year = '2024/25' AND term = 'summer';
DELETE FROM borough.childrens_social_care
 WHERE lcs_person_id = (SELECT min(lcs_person_id) FROM borough.childrens_social_care);
SELECT ward_code, period, value AS incidents FROM brent_mdm_rollup.asb_by_ward_month
 WHERE period = date '2026-03-01' ORDER BY value DESC, ward_code LIMIT 3;
SELECT name, brent_mdm.verify_indicator(name) AS groups_that_differ_from_a_recount
  FROM brent_mdm.indicator ORDER BY name;
\echo '-- one of them published as open data: a CSV and its CSVW metadata, the counts through disclosure'
\echo '-- control (small counts suppressed, secondary suppression, rounding to 5), recorded in the catalogue'
CREATE TEMP TABLE demo_published AS
SELECT * FROM brent_mdm.publish_indicator('asb_by_ward_month', 'Anti-social behaviour incidents by ward and month',
                                          'Incidents reported to the council, by ward of the incident and month');
SELECT dataset_id, metadata ->> 'dc:title' AS title, metadata ->> 'dc:temporal' AS temporal,
       metadata #>> '{brent:disclosureControl,rule}' AS disclosure,
       (SELECT suppressed FROM brent_mdm.published_dataset d WHERE d.dataset_id = p.dataset_id) AS cells_suppressed
  FROM demo_published p;
SELECT l AS first_lines_of_the_csv
  FROM demo_published, unnest((string_to_array(csv, E'\r\n'))[1:6]) l;
\set open_csv :outdir '/asb_by_ward_month.csv'
\set open_meta :outdir '/asb_by_ward_month.csv-metadata.json'
\pset tuples_only on
\pset format unaligned
\o :open_csv
SELECT rtrim(csv, E'\r\n') FROM demo_published;
\o :open_meta
SELECT jsonb_pretty(metadata) FROM demo_published;
\o
\pset tuples_only off
\pset format aligned
\echo :open_csv
\echo :open_meta

\echo
\echo '-- The Troubled Families scorecard on 2026-03-31: families formed from the Client Index, each'
\echo '-- member''s records in the eight datasets (and benefits, health, domestic abuse) reached through'
\echo '-- it, folded per family by an aggregate in C under the rule set troubled_families_2015'
SELECT brent_mdm.scorecard_locate('borough') AS datasets_located;
CREATE TEMP TABLE demo_scorecard AS SELECT * FROM brent_mdm.family_scorecard('2026-03-31');
\echo '-- by ward: families, eligible (two problems or more), families with each problem, progress'
SELECT w.ward_name, count(*) AS families, count(*) FILTER (WHERE s.eligible) AS eligible,
       count(*) FILTER (WHERE 'crime_asb' = ANY (s.problems)) AS crime,
       count(*) FILTER (WHERE 'not_attending_school' = ANY (s.problems)) AS school,
       count(*) FILTER (WHERE 'children_need_help' = ANY (s.problems)) AS children,
       count(*) FILTER (WHERE 'worklessness' = ANY (s.problems)) AS work,
       count(*) FILTER (WHERE 'domestic_abuse' = ANY (s.problems)) AS abuse,
       count(*) FILTER (WHERE 'health' = ANY (s.problems)) AS health,
       count(*) FILTER (WHERE s.eligible AND s.attached IS NOT NULL) AS attached,
       count(*) FILTER (WHERE s.eligible AND s.progress = 'achieved') AS progress_achieved
  FROM demo_scorecard s JOIN borough.ward w USING (ward_code)
 GROUP BY w.ward_name ORDER BY eligible DESC, w.ward_name;
\echo '-- the same eligible families by ward as they may be published (small counts suppressed,'
\echo '-- secondary suppression so none can be worked out, the rest rounded to 5)'
SELECT coalesce(w.ward_name, 'Brent') AS ward, p.families AS eligible_families, p.suppressed
  FROM brent_mdm.scorecard_by_ward_published('2026-03-31') p LEFT JOIN borough.ward w USING (ward_code)
 WHERE p.measure = 'eligible' ORDER BY p.ward_code NULLS LAST;
\echo '-- one eligible family''s evidence, as the key worker and the claim would show it'
SELECT family_id, members, problems, jsonb_pretty(evidence -> 'evidence') AS evidence
  FROM demo_scorecard WHERE eligible ORDER BY problem_count DESC, family_id LIMIT 1;
\echo '-- end to end, checked against the ground truth (true people and households, the same rules'
\echo '-- and the same aggregate): eligible families and each problem, precision and recall'
\set d 2026-03-31
\set r troubled_families_2015
\ir ../bench/scorecard_accuracy.sql
SELECT what, found, truth, both_ AS found_and_true, precision, recall FROM scorecard_accuracy;
\echo '-- (health flags are keyed by adults'' NHS numbers, which none of the eleven systems holds:'
\echo '-- that problem is found only where adult social care knows the person)'

\echo '-- the ward map of eligible families per 100 families (quartiles; red is worse), written to a file:'
\set scorecard_map :outdir '/scorecard_eligible_by_ward_2026-03.svg'
\pset tuples_only on
\pset format unaligned
\o :scorecard_map
SELECT brent_mdm.svg_area_map('Families eligible for Troubled Families support, per 100 families, 31 March 2026',
                              array_agg(w.ward_name ORDER BY w.ward_code), array_agg(w.geom ORDER BY w.ward_code),
                              array_agg(round(100.0 * x.eligible / x.families, 1)::float8 ORDER BY w.ward_code),
                              'lower_better', 'per 100 families')
  FROM borough.ward w
  LEFT JOIN (SELECT ward_code, count(*) FILTER (WHERE eligible) AS eligible, count(*) AS families
               FROM demo_scorecard GROUP BY ward_code) x USING (ward_code);
\o
\pset tuples_only off
\pset format aligned
\echo :scorecard_map

\echo
\echo '-- The single view of a child, for the safeguarding hub: a DPIA that covers children''s data'
\echo '-- (the Client Index and four children''s datasets, protected), granted to a social worker'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'demo_data_owner') THEN CREATE ROLE demo_data_owner NOLOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'social_worker') THEN CREATE ROLE social_worker LOGIN; END IF;
END $$;
CREATE TEMP TABLE child_datasets AS
SELECT relation FROM brent_mdm.scorecard_dataset
 WHERE dataset IN ('school_exclusion', 'missing_episode', 'cse_concern', 'offence');
DO $$
DECLARE t regclass;
BEGIN
  FOR t IN SELECT relation FROM child_datasets LOOP
    EXECUTE format('ALTER TABLE %s OWNER TO demo_data_owner', t);
    PERFORM brent_mdm.protect(t);
  END LOOP;
END $$;
SELECT brent_mdm.register_dpia('child_safeguarding', 'Children''s safeguarding',
         'A single view of a child at risk for the multi-agency safeguarding hub', 'public_task',
         'London Borough of Brent', 'Director of Children''s Services') AS dpia;
SELECT count(brent_mdm.set_table_scope('child_safeguarding', t)) AS tables_in_scope
  FROM (SELECT 'brent_mdm.client'::regclass UNION ALL SELECT 'brent_mdm.client_record'
        UNION ALL SELECT relation FROM child_datasets) s(t);
SELECT count(brent_mdm.set_column_scope('child_safeguarding', a.attrelid::regclass, a.attname, 'clear')) AS columns_in_clear
  FROM pg_attribute a
 WHERE a.attrelid IN (SELECT relation FROM child_datasets UNION ALL SELECT 'brent_mdm.client_record'::regclass)
   AND a.attnum > 0 AND NOT a.attisdropped;
SELECT count(brent_mdm.set_column_scope('child_safeguarding', 'brent_mdm.client', c, 'clear')) AS client_columns_in_clear
  FROM unnest('{client_id,status,merged_into,date_of_birth,given_name,family_name,sex,postcode,address_line,upn}'::name[]) c;
SELECT brent_mdm.approve_dpia('child_safeguarding', 'Data Protection Officer', now() + interval '1 year') AS status,
       brent_mdm.grant_purpose('child_safeguarding', 'social_worker') AS granted;
GRANT USAGE ON SCHEMA borough TO social_worker;
GRANT SELECT ON borough.school, borough.address TO social_worker;
GRANT SELECT ON brent_mdm.client_masked, brent_mdm.client_record_masked TO social_worker;
DO $$ BEGIN
  EXECUTE (SELECT 'GRANT SELECT ON ' || string_agg(p.masked_view::text, ', ') || ' TO social_worker'
             FROM brent_mdm.protected_table p WHERE p.table_name IN (SELECT relation FROM child_datasets));
END $$;
GRANT EXECUTE ON FUNCTION brent_mdm.child_view(bigint, date) TO social_worker;
-- the child with the most exclusions (chosen by the superuser, who holds the data)
SELECT r.client_id AS child FROM brent_mdm.client_record r JOIN borough.school_exclusion x ON x.upn = r.upn
  JOIN brent_mdm.client c ON c.client_id = r.client_id
 WHERE c.status = 'active' AND c.date_of_birth > date '2026-03-31' - interval '18 years'
 GROUP BY r.client_id ORDER BY count(*) DESC, r.client_id LIMIT 1 \gset
SET SESSION AUTHORIZATION social_worker;
\echo '-- without a purpose: refused'
\set ON_ERROR_STOP 0
SELECT brent_mdm.child_view(:child, '2026-03-31');
\set ON_ERROR_STOP 1
\echo '-- under the DPIA: the risk factors, each a flag with its evidence and dates (never a score);'
\echo '-- what the DPIA does not cover is said, not guessed'
SELECT brent_mdm.begin_purpose('child_safeguarding') AS purpose;
CREATE TEMP TABLE demo_child AS SELECT brent_mdm.child_view(:child, '2026-03-31') AS v;
SELECT f ->> 'factor' AS risk_factor, coalesce(f ->> 'present', 'not assessed') AS present,
       jsonb_array_length(f -> 'evidence') AS evidence, f ->> 'first' AS first, f ->> 'last' AS last
  FROM demo_child, jsonb_array_elements(v -> 'risk_factors') f;
SELECT jsonb_pretty(v -> 'exclusions') AS exclusions FROM demo_child;
SELECT string_agg(n ->> 'dataset', ', ' ORDER BY n ->> 'dataset') AS not_covered_by_the_dpia
  FROM demo_child, jsonb_array_elements(v -> 'not_covered') n;
SELECT brent_mdm.end_purpose() AS ended;
RESET SESSION AUTHORIZATION;
\echo '-- the call is in the audit log with the child''s client id (so in the child''s subject access report)'
SELECT brent_mdm.audit_flush() AS audit_stored;
SELECT role_name, dpia_id, action, count(*) AS calls FROM brent_mdm.audit_log
 WHERE action = 'child_view' AND :child = ANY (client_ids) GROUP BY 1, 2, 3;

\echo
\echo '-- The borough''s indicator catalogue (66 indicators over the 8 themes of a borough data explorer),'
\echo '-- here the safety theme installed as rollups: every figure current as the council''s tables are written.'
\echo '-- Not its indicators over tables the DPIA policy protects (missing episodes and offences, protected for the'
\echo '-- child''s view above): a rollup would show aggregates of personal data outside any purpose'
SELECT k.indicator AS not_installed, k.source AS protected_source
  FROM brent_mdm.indicator_catalogue k JOIN brent_mdm.protected_table p ON p.table_name = to_regclass('borough.' || k.source)
 WHERE k.theme = 'safety' ORDER BY 1;
SELECT count(*) AS safety_indicators, sum(rollups_defined) AS rollups_defined
  FROM brent_mdm.indicator_catalogue_install('borough',
         (SELECT array_agg(k.indicator) FROM brent_mdm.indicator_catalogue k
           WHERE k.theme = 'safety'
             AND NOT EXISTS (SELECT FROM brent_mdm.protected_table p WHERE p.table_name = to_regclass('borough.' || k.source))));
CREATE TEMP TABLE demo_safety_ranks AS SELECT * FROM brent_mdm.indicator_ward_ranks();
CREATE TEMP TABLE demo_safety_trends AS SELECT * FROM brent_mdm.indicator_trends();
\echo '-- the safety theme in its latest quarter: the borough''s value and 3-year trend (Mann-Kendall, Sen''s'
\echo '-- slope; direction by polarity), the wards'' directions, the best and the worst wards'
SELECT k.title AS indicator, r.period, min(r.borough_value) AS borough, k.unit,
       min(b.direction) AS borough_trend_3y,
       count(*) FILTER (WHERE t.direction = 'improving') AS wards_improving,
       count(*) FILTER (WHERE t.direction = 'worsening') AS wards_worsening,
       CASE WHEN count(*) FILTER (WHERE r.rank = 1) > 3 THEN count(*) FILTER (WHERE r.rank = 1) || ' wards tied'
            ELSE string_agg(r.ward_name, ', ' ORDER BY r.ward_code) FILTER (WHERE r.rank = 1) END AS best_wards,
       CASE WHEN count(*) FILTER (WHERE r.rank = m.last_rank AND m.last_rank > 1) > 3
            THEN count(*) FILTER (WHERE r.rank = m.last_rank AND m.last_rank > 1) || ' wards tied'
            ELSE string_agg(r.ward_name, ', ' ORDER BY r.ward_code) FILTER (WHERE r.rank = m.last_rank AND m.last_rank > 1) END AS worst_wards
  FROM demo_safety_ranks r JOIN brent_mdm.indicator_catalogue k USING (indicator)
  JOIN (SELECT indicator, max(rank) AS last_rank FROM demo_safety_ranks GROUP BY 1) m USING (indicator)
  LEFT JOIN demo_safety_trends t ON t.indicator = r.indicator AND t.area_code = r.ward_code
  LEFT JOIN demo_safety_trends b ON b.indicator = r.indicator AND b.area_code = 'borough'
 GROUP BY k.indicator, k.title, k.unit, r.period, m.last_rank ORDER BY k.indicator;
\echo '-- by ward: four of them, each ward''s value in the quarter (rank among the 22, 1 the best) and its 3-year trend'
SELECT r.ward_name AS ward,
       max(format('%s (#%s) %s', r.value, r.rank, t.direction)) FILTER (WHERE r.indicator = 'asb_incidents_rate') AS asb_incidents_per_1000,
       max(format('%s (#%s) %s', r.value, r.rank, t.direction)) FILTER (WHERE r.indicator = 'domestic_abuse_rate') AS domestic_abuse_per_1000_16_plus,
       max(format('%s (#%s) %s', r.value, r.rank, t.direction)) FILTER (WHERE r.indicator = 'yot_cases_rate') AS youth_offending_per_1000_10_17,
       max(format('%s (#%s) %s', r.value, r.rank, t.direction)) FILTER (WHERE r.indicator = 'csc_cp_rate') AS child_protection_per_1000_0_17
  FROM demo_safety_ranks r
  LEFT JOIN demo_safety_trends t ON t.indicator = r.indicator AND t.area_code = r.ward_code
 GROUP BY r.ward_code, r.ward_name ORDER BY r.ward_code;
\echo '-- the safety dashboard: one self-contained page (XHTML, inline SVG maps and charts, no script, no'
\echo '-- external asset) that a council could publish, made from the rollups (indicator_dashboard), written to a file:'
\set dashboard_file :outdir '/safety_dashboard.html'
\set dashboard_png :outdir '/safety_dashboard.png'
\pset tuples_only on
\pset format unaligned
\o :dashboard_file
SELECT brent_mdm.indicator_dashboard('safety');
\o
\pset tuples_only off
\pset format aligned
\echo :dashboard_file
\echo '-- and drawn by a browser (Debian''s chromium, headless) to a PNG, to prove it draws:'
\setenv BRENT_DASHBOARD_FILE :dashboard_file
\setenv BRENT_DASHBOARD_PNG :dashboard_png
\! if [ -x /usr/bin/chromium ]; then prof=$(mktemp -d); if timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$prof" --screenshot="$BRENT_DASHBOARD_PNG" --window-size=1200,2400 "file://$BRENT_DASHBOARD_FILE" >"$prof.log" 2>&1 && [ -s "$BRENT_DASHBOARD_PNG" ]; then echo "$BRENT_DASHBOARD_PNG"; else echo "chromium could not draw the page (its log: $prof.log)"; fi; rm -rf "$prof"; else echo '(chromium is not installed: apt-get install chromium to draw the page to a PNG; the page opens in any browser)'; fi

\echo
\echo '-- Brent among the London boroughs, on real open data (GLA London Borough Profiles 2017 and the'
\echo '-- Metropolitan Police''s recorded crime; Open Government Licence): rank and quartile on a few figures,'
\echo '-- with the values the profiles publish for London and England'
SELECT r.label, r.value, r.rank || ' of ' || r.authorities AS rank, r.quartile, r.london_value AS london,
       r.england_value AS england
  FROM unnest(ARRAY['gla_population_estimate_2017', 'employment_rate_pct_2015', 'median_house_price_2015',
                    'crime_rates_per_thousand_population_2014_15', 'male_life_expectancy_2012_14',
                    'happiness_score_2011_14_out_of_10']) m
  CROSS JOIN LATERAL brent_mdm.london_rank(m) r;
\echo '-- its 15 nearest neighbours the CIPFA way (z-scores of socio-economic figures, Euclidean distance)'
SELECT rank, neighbour_name, round(distance::numeric, 2) AS distance FROM brent_mdm.london_neighbours();
\echo '-- recorded crime 2014-2016, Brent against London: 3-year trend (Mann-Kendall, Sen''s slope)'
SELECT name, offences, round(rate_per_1000, 1) AS rate_per_1000, round(tau::numeric, 2) AS tau,
       round(p::numeric, 4) AS p, round(sen_slope::numeric, 1) AS offences_a_month, direction
  FROM brent_mdm.london_crime_trend('E09000005', NULL, '2014-01-01', '2016-12-01');
\echo '-- the London peer band: the spread of the 32 boroughs'' monthly rates (and of Brent''s 15 nearest neighbours), a few months'
SELECT b.period, s.rate_per_1000 AS brent, b.rate_p25 AS london_p25, b.rate_median AS london_median, b.rate_p75 AS london_p75,
       n.rate_p25 AS neighbours_p25, n.rate_p75 AS neighbours_p75
  FROM brent_mdm.london_crime_band() b
  JOIN brent_mdm.london_crime_band(peers => (SELECT array_agg(neighbour_code) FROM brent_mdm.london_neighbours())) n USING (period)
  JOIN brent_mdm.london_crime_series() s ON s.period = b.period AND s.code = 'E09000005'
 WHERE b.period IN ('2014-01-01', '2015-01-01', '2016-01-01', '2016-12-01') ORDER BY b.period;
\echo '-- and as a chart, Brent''s monthly rate in the band of the middle half of the London boroughs, written to a file:'
\set crime_chart :outdir '/brent_crime_2014-2016.svg'
\pset tuples_only on
\pset format unaligned
\o :crime_chart
SELECT brent_mdm.svg_line_chart('Recorded crime in Brent, offences per 1,000 residents a month, 2014-2016',
                                array_agg(s.period ORDER BY s.period), array_agg(s.rate_per_1000::float8 ORDER BY s.period),
                                'lower_better', array_agg(b.rate_p25::float8 ORDER BY s.period),
                                array_agg(b.rate_p75::float8 ORDER BY s.period),
                                'London boroughs, middle half (25th to 75th percentile)', 'per 1,000')
  FROM brent_mdm.london_crime_series('E09000005', NULL, '2014-01-01', '2016-12-01') s
  JOIN brent_mdm.london_crime_band(NULL, '2014-01-01', '2016-12-01') b USING (period)
 WHERE s.code = 'E09000005';
\o
\pset tuples_only off
\pset format aligned
\echo :crime_chart
SELECT brent_mdm.london_attribution() AS attribution;

\echo
\echo '-- The governance officer: who used which personal data, under which DPIA, this quarter and last'
SELECT brent_mdm.audit_flush() AS audit_stored;
SELECT role_name, coalesce(dpia_id, '(no purpose)') AS dpia, action, table_name,
       count(*) AS statements, sum(rows) AS rows
  FROM brent_mdm.audit_log
 WHERE logged_at >= date_trunc('quarter', now() - interval '3 months')
 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4;
SELECT dpia_id, lawful_basis, status, tables, roles, statements, rows_read FROM brent_mdm.ropa;
