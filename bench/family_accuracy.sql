-- Family formation (brent_mdm.family_units) against the truth households:
-- pairwise precision and recall of "same family" over the clients of the
-- Client Index.  Needs a borough in borough / borough_truth loaded into the
-- Client Index, and psql variable d (the date).  A client stands for the true
-- person most of its records belong to; a true family is a household with a
-- child under 18 present on the date; its members are the clients of its
-- people present on the date.  Prints families, members, pairs, precision, recall.
CREATE TEMP TABLE fam_member AS SELECT * FROM brent_mdm.family_units(:'d'::date);
CREATE TEMP TABLE fam_client_person AS
SELECT DISTINCT ON (r.client_id) r.client_id, s.person_id
  FROM brent_mdm.client_record r
  JOIN borough_truth.source_record s ON s.system = r.system AND s.record_key = r.record_key
 GROUP BY r.client_id, s.person_id ORDER BY r.client_id, count(*) DESC, s.person_id;
CREATE TEMP TABLE fam_present AS
SELECT p.person_id, p.household_id, p.date_of_birth > (:'d'::date - interval '18 years') AS child
  FROM borough_truth.person p
 WHERE p.in_borough_from <= :'d'::date AND (p.in_borough_to IS NULL OR p.in_borough_to >= :'d'::date)
   AND p.date_of_birth <= :'d'::date;
CREATE TEMP TABLE fam_true AS
SELECT cp.client_id, pr.household_id
  FROM fam_client_person cp JOIN fam_present pr USING (person_id)
 WHERE pr.household_id IN (SELECT household_id FROM fam_present WHERE child);
CREATE TEMP TABLE fam_pred_pairs AS
SELECT a.client_id AS a, b.client_id AS b FROM fam_member a JOIN fam_member b
    ON a.family_id = b.family_id AND a.client_id < b.client_id;
CREATE TEMP TABLE fam_true_pairs AS
SELECT a.client_id AS a, b.client_id AS b FROM fam_true a JOIN fam_true b
    ON a.household_id = b.household_id AND a.client_id < b.client_id;
CREATE TEMP TABLE family_accuracy AS
SELECT (SELECT count(DISTINCT family_id) FROM fam_member) AS families,
       (SELECT count(*) FROM fam_member) AS members,
       (SELECT count(*) FROM fam_pred_pairs) AS pairs,
       (SELECT count(*) FROM fam_true_pairs) AS true_pairs,
       round((SELECT count(*) FROM fam_pred_pairs JOIN fam_true_pairs USING (a, b))::numeric
             / nullif((SELECT count(*) FROM fam_pred_pairs), 0), 4) AS precision,
       round((SELECT count(*) FROM fam_pred_pairs JOIN fam_true_pairs USING (a, b))::numeric
             / nullif((SELECT count(*) FROM fam_true_pairs), 0), 4) AS recall;
