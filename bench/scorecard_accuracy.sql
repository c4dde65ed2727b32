-- End-to-end accuracy of the scorecard (issue 14): eligibility computed through
-- the Client Index (family_scorecard) against eligibility computed from the
-- truth (true people and households) with the same rule set and the same
-- aggregate.  Needs a borough in borough / borough_truth, its Client Index,
-- scorecard_locate('borough'), and psql variables d (the date) and r (the rule set).
--
-- The truth side: a family is a household with a child under 18 present on
-- the date; each record goes to its true person (source systems' records
-- through source_record; CME, CSE and EHCP through child_record; UPN and NHS
-- number keyed records through the person's true identifiers; a domestic
-- abuse notification to the household living at its UPRN on its date; an early
-- help episode to the present adult with its lead's normalised name and date
-- of birth, when exactly one).  A family found through the Client Index stands
-- for the true household most of its members belong to.
-- Prints, per rule set: eligible families found and true, precision and
-- recall; then per problem.
CREATE TEMP TABLE acc_found AS SELECT * FROM brent_mdm.family_scorecard(:'d'::date, :'r');
CREATE TEMP TABLE acc_members AS SELECT * FROM brent_mdm.family_units(:'d'::date);
CREATE TEMP TABLE acc_client_person AS
SELECT DISTINCT ON (r.client_id) r.client_id, s.person_id
  FROM brent_mdm.client_record r
  JOIN borough_truth.source_record s ON s.system = r.system AND s.record_key = r.record_key
 GROUP BY r.client_id, s.person_id ORDER BY r.client_id, count(*) DESC, s.person_id;
CREATE TEMP TABLE acc_present AS
SELECT p.*, extract(year FROM age(:'d'::date, p.date_of_birth)) < 18 AS child
  FROM borough_truth.person p
 WHERE p.in_borough_from <= :'d'::date AND (p.in_borough_to IS NULL OR p.in_borough_to >= :'d'::date)
   AND p.date_of_birth <= :'d'::date AND (p.date_of_death IS NULL OR p.date_of_death > :'d'::date);
CREATE TEMP TABLE acc_true_family AS
SELECT p.person_id, p.household_id, p.child FROM acc_present p
 WHERE p.household_id IN (SELECT household_id FROM acc_present WHERE child);
-- the found family's household: where most of its members truly live
CREATE TEMP TABLE acc_family_household AS
SELECT DISTINCT ON (m.family_id) m.family_id, t.household_id
  FROM acc_members m JOIN acc_client_person cp USING (client_id) JOIN acc_true_family t USING (person_id)
 GROUP BY m.family_id, t.household_id ORDER BY m.family_id, count(*) DESC, t.household_id;

-- every dated record, to its true person
CREATE TEMP TABLE acc_events AS
SELECT p.person_id, 'school_attendance' AS source, NULL::text AS category,
       make_date(substr(a.academic_year, 1, 4)::int + CASE WHEN a.term = 'autumn' THEN 0 ELSE 1 END,
                 CASE a.term WHEN 'autumn' THEN 9 WHEN 'spring' THEN 1 ELSE 4 END, 1) AS ef,
       make_date(substr(a.academic_year, 1, 4)::int + CASE WHEN a.term = 'autumn' THEN 0 ELSE 1 END,
                 CASE a.term WHEN 'autumn' THEN 12 WHEN 'spring' THEN 3 ELSE 8 END, 31) AS et,
       a.sessions_authorised_absence + a.sessions_unauthorised_absence AS missed, a.sessions_possible AS possible
  FROM borough.school_attendance a JOIN borough_truth.person p ON p.upn = a.upn
 WHERE a.sessions_possible > 0
UNION ALL
SELECT p.person_id, 'school_exclusion', x.category, x.exclusion_date, x.exclusion_date, NULL, NULL
  FROM borough.school_exclusion x JOIN borough_truth.person p ON p.upn = x.upn
UNION ALL
SELECT t.person_id, 'cme_referral', NULL, x.referred_on, x.referred_on, NULL, NULL
  FROM borough.cme_referral x JOIN borough_truth.child_record t ON t.dataset = 'cme_referral' AND t.record_key = x.cme_referral_id
UNION ALL
SELECT s.person_id, 'childrens_social_care', x.category, x.referral_date, x.episode_end, NULL, NULL
  FROM borough.childrens_social_care x
  JOIN borough_truth.source_record s ON s.system = 'childrens_social_care' AND s.record_key = x.lcs_person_id
UNION ALL
SELECT s.person_id, 'missing_episode', NULL, x.went_missing, x.went_missing, NULL, NULL
  FROM borough.missing_episode x
  JOIN borough_truth.source_record s ON s.system = 'childrens_social_care' AND s.record_key = x.lcs_person_id
UNION ALL
SELECT t.person_id, 'cse_concern', lower(x.risk_level), x.assessed_on, x.assessed_on, NULL, NULL
  FROM borough.cse_concern x JOIN borough_truth.child_record t ON t.dataset = 'cse_concern' AND t.record_key = x.cse_assessment_id
UNION ALL
SELECT t.person_id, 'ehcp', x.primary_need, x.plan_start, x.ceased_on, NULL, NULL
  FROM borough.ehcp x JOIN borough_truth.child_record t ON t.dataset = 'ehcp' AND t.record_key = x.ehcp_id
UNION ALL
SELECT s.person_id, 'offence', NULL, x.offence_date, x.offence_date, NULL, NULL
  FROM borough.offence x JOIN borough_truth.source_record s ON s.system = 'youth_offending' AND s.record_key = x.yot_case_id
UNION ALL
SELECT s.person_id, 'asb_case', lower(x.party_role), x.opened_on, x.opened_on, NULL, NULL
  FROM borough.asb_case x JOIN borough_truth.source_record s ON s.system = 'asb_case' AND s.record_key = x.asb_case_ref
UNION ALL
SELECT s.person_id, 'out_of_work_benefit', NULL, x.claim_start, x.claim_end, NULL, NULL
  FROM borough.revenues_benefits x JOIN borough_truth.source_record s ON s.system = 'revenues_benefits' AND s.record_key = x.claim_ref
 WHERE x.out_of_work
UNION ALL
SELECT p.person_id, 'health_flag', x.flag, x.recorded_on, x.recorded_on, NULL, NULL
  FROM borough.health_flag x JOIN borough_truth.person p ON p.nhs_number = x.nhs_number;
DELETE FROM acc_events WHERE ef > :'d'::date;
-- early help, to the present adult with the lead's name and date of birth
CREATE TEMP TABLE acc_early_help AS
SELECT a.person_id, x.started_on, x.ended_on
  FROM borough.early_help_episode x
  JOIN acc_present a ON NOT a.child AND a.date_of_birth = x.lead_dob
                    AND brent_mdm.normalise_name(a.family_name) = brent_mdm.normalise_name(x.lead_surname)
 WHERE x.started_on <= :'d'::date
   AND (SELECT count(*) FROM acc_present b WHERE NOT b.child AND b.date_of_birth = x.lead_dob
          AND brent_mdm.normalise_name(b.family_name) = brent_mdm.normalise_name(x.lead_surname)) = 1;
CREATE TEMP TABLE acc_true_att AS
SELECT DISTINCT ON (t.household_id) t.household_id, e.started_on AS attached,
       CASE WHEN e.ended_on <= :'d'::date THEN e.ended_on END AS closed
  FROM acc_true_family t JOIN acc_early_help e USING (person_id)
 ORDER BY t.household_id, e.started_on DESC, e.ended_on DESC NULLS FIRST;
CREATE TEMP TABLE acc_true_da AS
SELECT r.household_id, x.notified_on
  FROM borough.domestic_abuse_notification x
  JOIN borough_truth.residence r ON r.uprn = x.uprn AND r.moved_in <= x.notified_on
                                AND (r.moved_out IS NULL OR r.moved_out > x.notified_on)
 WHERE x.notified_on <= :'d'::date AND r.household_id IN (SELECT household_id FROM acc_true_family);
CREATE TEMP TABLE acc_truth AS
SELECT r.household_id,
       brent_mdm.family_profile(:'r', :'d'::date, a.attached, a.closed, r.person_id, r.role, r.source, r.category,
                                r.ef, r.et, r.missed, r.possible) AS p
  FROM (SELECT t.household_id, t.person_id, CASE WHEN t.child THEN 'child' ELSE 'adult' END AS role,
               e.source, e.category, e.ef, e.et, e.missed, e.possible
          FROM acc_true_family t LEFT JOIN acc_events e USING (person_id)
        UNION ALL
        SELECT d.household_id, NULL, NULL, 'domestic_abuse', NULL, d.notified_on, d.notified_on, NULL, NULL
          FROM acc_true_da d) r
  LEFT JOIN acc_true_att a USING (household_id)
 GROUP BY r.household_id;

CREATE TEMP TABLE acc_pairs AS
SELECT 'eligible' AS what, h.household_id AS found, NULL::bigint AS truth
  FROM acc_found f JOIN acc_family_household h USING (family_id) WHERE f.eligible
UNION ALL
SELECT 'eligible', NULL, t.household_id FROM acc_truth t WHERE (t.p ->> 'eligible')::boolean
UNION ALL
SELECT 'problem: ' || x, h.household_id, NULL
  FROM acc_found f JOIN acc_family_household h USING (family_id) CROSS JOIN unnest(f.problems) x
UNION ALL
SELECT 'problem: ' || x, NULL, t.household_id FROM acc_truth t CROSS JOIN jsonb_array_elements_text(t.p -> 'problems') x;
CREATE TEMP TABLE scorecard_accuracy AS
WITH f AS (SELECT DISTINCT what, found AS household_id FROM acc_pairs WHERE found IS NOT NULL),
     t AS (SELECT DISTINCT what, truth AS household_id FROM acc_pairs WHERE truth IS NOT NULL)
SELECT what,
       (SELECT count(*) FROM f WHERE f.what = w.what) AS found,
       (SELECT count(*) FROM t WHERE t.what = w.what) AS truth,
       (SELECT count(*) FROM f JOIN t USING (what, household_id) WHERE f.what = w.what) AS both_,
       round((SELECT count(*) FROM f JOIN t USING (what, household_id) WHERE f.what = w.what)::numeric
             / nullif((SELECT count(*) FROM f WHERE f.what = w.what), 0), 4) AS precision,
       round((SELECT count(*) FROM f JOIN t USING (what, household_id) WHERE f.what = w.what)::numeric
             / nullif((SELECT count(*) FROM t WHERE t.what = w.what), 0), 4) AS recall
  FROM (SELECT DISTINCT what FROM acc_pairs) w
 ORDER BY what <> 'eligible', what;
