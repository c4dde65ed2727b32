-- How often a true same-person name pair that differs in script or spelling
-- shares a name_keys element, on a synthetic borough in schema :schema.
-- psql -v schema=borough -f bench/name_keys_rate.sql
\set truth :schema _truth
CREATE TEMP TABLE name_pairs AS
WITH recorded AS (
  SELECT 'housing' AS sys, tenancy_person_ref AS k, forename AS given, surname AS family FROM :schema.housing
  UNION ALL SELECT 'health_visiting', hv_client_id, child_forename, child_surname FROM :schema.health_visiting
  UNION ALL SELECT 'childrens_social_care', lcs_person_id, first_name, last_name FROM :schema.childrens_social_care
  UNION ALL SELECT 'adult_social_care', mosaic_id, forename, surname FROM :schema.adult_social_care
  UNION ALL SELECT 'early_years', child_ref, child_first_name, child_last_name FROM :schema.early_years
  UNION ALL SELECT 'youth_offending', yot_case_id, forename, surname FROM :schema.youth_offending)
SELECT 'given' AS part, r.given AS recorded, p.given_name AS true_name, p.native_given_name AS native,
       p.family_name AS other_part
  FROM recorded r JOIN :"truth".source_record s ON s.system = r.sys AND s.record_key = r.k
  JOIN :"truth".person p USING (person_id)
 WHERE r.given !~ ' ' AND length(r.given) > 1
UNION ALL
SELECT 'family', r.family, p.family_name, p.native_family_name, p.given_name
  FROM recorded r JOIN :"truth".source_record s ON s.system = r.sys AND s.record_key = r.k
  JOIN :"truth".person p USING (person_id)
 WHERE r.family !~ '[ -]' AND p.family_name !~ '[ -]' AND length(r.family) > 1;

CREATE TEMP TABLE name_pair_kinds AS
SELECT CASE WHEN recorded = native THEN 'original script'
            ELSE 'other spelling or nickname' END AS kind,
       recorded, true_name,
       brent_mdm.name_keys(recorded) AS kr, brent_mdm.name_keys(true_name) AS kt
  FROM name_pairs
 WHERE recorded = native
    OR (recorded !~ '[^\u0000-\u024F]'
        AND brent_mdm.normalise_name(recorded) <> brent_mdm.normalise_name(true_name)
        AND brent_mdm.normalise_name(recorded) <> brent_mdm.normalise_name(other_part)
        AND brent_mdm.damerau_levenshtein(brent_mdm.normalise_name(recorded), brent_mdm.normalise_name(true_name)) >= 2);

SELECT kind, count(*) AS pairs,
       round(avg((kr && kt)::int), 4) AS share_a_key,
       round(avg((ARRAY(SELECT k FROM unnest(kr) k WHERE k !~ '^v:') &&
                  ARRAY(SELECT k FROM unnest(kt) k WHERE k !~ '^v:'))::int), 4) AS without_dictionary
  FROM name_pair_kinds GROUP BY kind ORDER BY kind;
