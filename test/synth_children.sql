-- pgTAP: the children's datasets of the synthetic borough (CME referrals, CSE
-- risk assessments, EHCPs; issue 14, data): they come from a random stream of
-- their own, so every other table of a seed is exactly what it was before they
-- were added; their records carry errors and each has its truth.
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
SELECT plan(66);

-- ---- every other output for a seed unchanged ----
-- The checksums of seed 7, 4000 people (every table but "about", which names
-- the schemas), computed on main at 7240373 (before the
-- children's datasets).  A table whose generator is changed on purpose gets its
-- new checksum with that change, and the change goes in the changelog.
SELECT lives_ok($$SELECT * FROM brent_mdm.generate_borough(4000, 7, 'ck')$$, 'borough of 4000, seed 7');
CREATE TEMP TABLE before_children (tbl text, checksum text, rows bigint);
INSERT INTO before_children VALUES
  ('ck.address', '851393438096af4f549495a7cf17fa8e', 1674),
  ('ck.adult_social_care', 'c996ab57d9a94e7ece30963c518a5fbb', 122),
  ('ck.air_quality_reading', 'ffbbb8671802c27bc50f4981f782416f', 1800),
  ('ck.air_quality_site', '064c668fcc2826a7d640348a6e0c83cd', 30),
  ('ck.asb_case', '43be4fba44f48767a10d5c901aef4452', 26),
  ('ck.asb_incident', 'a5ec6404e28ae78c71f5d52e33c477f6', 220),   -- with the planted emerging hot spot (stream 3, issue 15), computed on 2cd427d
  ('ck.childrens_social_care', 'e46df403cf218eae3fae4776bfa1836c', 81),
  ('ck.council_tax', '62e6936a7b216a446b364a224586e9f0', 1632),
  ('ck.domestic_abuse_notification', '1f33cb3d3958ebbf974a870020b12263', 77),
  ('ck.early_help_episode', '230dbf2903fe7fc45062d6f97cb8bbef', 28),
  ('ck.early_years', 'e2645b0903cd4a0b1acbcc05cebcb438', 635),
  ('ck.electoral_register', '6da64a8a6b08f2d92a44f3c8e2c9a4ef', 1998),
  -- the health partner's demographics (given_name, family_name, date_of_birth,
  -- postcode) were added to health_flag from a stream of their own (STREAM_HEALTH,
  -- issue 14): its first three columns are what they were
  ('(SELECT nhs_number, flag, recorded_on FROM ck.health_flag)', '8f834c6b4874a6ff37a0608f40f4bb3d', 928),
  ('ck.health_visiting', '6929826403f09c7880f535f553a5d875', 944),
  ('ck.housing', '03d697ca3ad59dfde0fe09c0f4ec6a70', 429),
  ('ck.missing_episode', '63493eb859fdfed813857c436c7ab536', 3),
  ('ck.offence', 'f7c004dbe01a35a418ecf3758e236b87', 16),
  ('ck.revenues_benefits', '596c064eb98df5e15b0101095bae3c86', 427),
  ('ck.school', 'f97162f4be176203700f83c4a716eac7', 74),
  ('ck.school_attendance', 'd322395deea9ba30b42894a627395bb6', 4439),
  ('ck.school_census', '70d74c15a3f3def0395cf058b373f0a9', 584),
  ('ck.school_exclusion', '4cf7582a951b20783c782ec1f2f2a1bc', 37),
  ('ck.population_estimate', 'a5b39e2dc06c72ac1ae80781395a622c', 20020),   -- added (issue 13, population denominators): no draws, so no other table moved
  ('ck.ward', 'a408baaced1044af9c8e6fea4f0954db', 22),
  ('ck.youth_offending', 'ccfe036cf5bd3835cf678f184c888586', 5),
  ('ck_truth.household', 'cc21190e6a78e886070aeb8db205056a', 1468),
  ('ck_truth.person', 'ad65cf9907cfb3d44c7b2d53a91e3b86', 4000),
  ('ck_truth.residence', 'f9b801346c2ccc5c74b90acd44fc9ab6', 1674),
  ('ck_truth.source_record', '519d8fa93813342316329abd3575e725', 6883);
CREATE FUNCTION pg_temp.table_checksum(t text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE h text;
BEGIN
  EXECUTE format('SELECT md5(string_agg(x::text, E''\n'' ORDER BY x::text)) FROM %s x', t) INTO h;
  RETURN h;
END $$;
SELECT is(pg_temp.table_checksum(tbl), checksum, tbl || ': same rows as before the children''s datasets')
  FROM before_children ORDER BY tbl;

-- ---- the new tables and their truth ----
SELECT has_table('ck', 'cme_referral', 'children missing education referrals');
SELECT has_table('ck', 'cse_concern', 'CSE risk assessments');
SELECT has_table('ck', 'ehcp', 'EHCPs');
SELECT has_table('ck_truth', 'child_record', 'their truth');
SELECT lives_ok($$SELECT * FROM brent_mdm.generate_borough(30000, 3, 'kids')$$, 'borough of 30000, seed 3');

SELECT is((SELECT count(*) FROM kids.cme_referral c
            WHERE NOT EXISTS (SELECT 1 FROM kids_truth.child_record t
                               WHERE t.dataset = 'cme_referral' AND t.record_key = c.cme_referral_id))
          + (SELECT count(*) FROM kids.cse_concern c
            WHERE NOT EXISTS (SELECT 1 FROM kids_truth.child_record t
                               WHERE t.dataset = 'cse_concern' AND t.record_key = c.cse_assessment_id))
          + (SELECT count(*) FROM kids.ehcp c
            WHERE NOT EXISTS (SELECT 1 FROM kids_truth.child_record t
                               WHERE t.dataset = 'ehcp' AND t.record_key = c.ehcp_id)),
          0::bigint, 'every CME, CSE and EHCP record has its truth');
SELECT is((SELECT count(*) FROM kids_truth.child_record), 
          (SELECT count(*) FROM kids.cme_referral) + (SELECT count(*) FROM kids.cse_concern)
          + (SELECT count(*) FROM kids.ehcp), 'and no truth without a record');
SELECT is((SELECT count(*) FROM kids_truth.child_record t JOIN kids_truth.person p USING (person_id)
            WHERE p.household_id <> t.household_id OR p.date_of_birth <> t.true_date_of_birth
               OR p.upn IS DISTINCT FROM t.true_upn),
          0::bigint, 'the truth names the child, their household, date of birth and UPN');

-- realistic amounts: share of the children of the ages concerned with a record
SELECT ok((SELECT count(DISTINCT t.person_id)::numeric FROM kids_truth.child_record t WHERE dataset = 'cme_referral')
          / (SELECT count(*) FROM kids_truth.person WHERE date_of_birth BETWEEN '2005-04-01' AND '2021-03-31')
          BETWEEN 0.01 AND 0.05, 'CME: 1 to 5 % of school-age children referred in five years');
SELECT ok((SELECT count(DISTINCT t.person_id)::numeric FROM kids_truth.child_record t WHERE dataset = 'cse_concern')
          / (SELECT count(DISTINCT s.person_id) FROM kids_truth.source_record s
              WHERE s.system = 'childrens_social_care')
          BETWEEN 0.02 AND 0.2, 'CSE: assessed for some of the children known to social care');
SELECT ok((SELECT count(DISTINCT t.person_id)::numeric FROM kids_truth.child_record t WHERE dataset = 'ehcp')
          / (SELECT count(*) FROM kids_truth.person WHERE date_of_birth BETWEEN '2005-04-01' AND '2024-03-31')
          BETWEEN 0.015 AND 0.06, 'EHCP: 1.5 to 6 % of children and young people have a plan');
SELECT ok((SELECT count(DISTINCT primary_need) FROM kids.ehcp) >= 10, 'EHCP: the SEN2 needs, most of the 12');
SELECT is((SELECT count(DISTINCT risk_level) FROM kids.cse_concern), 3::bigint, 'CSE: low, medium and high risk');
SELECT ok((SELECT count(DISTINCT reason) FROM kids.cme_referral) >= 4, 'CME: the reasons for referral');

-- (ages as the generator counts them: a birthday after the 28th of a month falls on
-- the 28th, hence the three days' grace)
-- CSE only for children known to social care, aged 10 to 17 when assessed, after their referral
SELECT is((SELECT count(*) FROM kids.cse_concern c
             JOIN kids_truth.child_record t ON t.dataset = 'cse_concern' AND t.record_key = c.cse_assessment_id
             JOIN kids.childrens_social_care s ON s.lcs_person_id = t.true_lcs_person_id
            WHERE c.assessed_on < s.referral_date
               OR c.assessed_on NOT BETWEEN (t.true_date_of_birth + interval '10 years')::date - 3
                                        AND t.true_date_of_birth + interval '18 years'),
          0::bigint, 'CSE assessments of children of 10 to 17, after their social care referral');
-- CME of compulsory school age (5 to 15 on the day of referral; 16 at the latest for a late referral)
SELECT is((SELECT count(*) FROM kids.cme_referral c
             JOIN kids_truth.child_record t ON t.dataset = 'cme_referral' AND t.record_key = c.cme_referral_id
            WHERE c.referred_on < (t.true_date_of_birth + interval '5 years')::date - 3
               OR c.referred_on >= t.true_date_of_birth + interval '17 years'),
          0::bigint, 'CME referrals of children of compulsory school age');
SELECT is((SELECT count(*) FROM kids.ehcp e
             JOIN kids_truth.child_record t ON t.dataset = 'ehcp' AND t.record_key = e.ehcp_id
            WHERE e.plan_start < (t.true_date_of_birth + interval '2 years')::date - 3
               OR e.ceased_on < e.plan_start),
          0::bigint, 'EHCPs start from age 2 and cease after they start');
-- nothing after the borough's reference date
SELECT is((SELECT count(*) FROM kids.cme_referral WHERE greatest(referred_on, resolved_on) > '2026-03-31')
          + (SELECT count(*) FROM kids.cse_concern WHERE greatest(assessed_on, closed_on) > '2026-03-31')
          + (SELECT count(*) FROM kids.ehcp WHERE greatest(plan_start, ceased_on) > '2026-03-31'),
          0::bigint, 'no date after as_of');
SELECT ok((SELECT count(*) FILTER (WHERE plan_start < '2021-04-01') > 0 FROM kids.ehcp),
          'some plans were issued before the window and are still in force');

-- the errors: as the referrer typed them, measured against the truth
SELECT ok((SELECT count(*) FILTER (WHERE c.upn IS NULL AND t.true_upn IS NOT NULL) > 0
              AND count(*) FILTER (WHERE c.date_of_birth IS DISTINCT FROM t.true_date_of_birth) > 0
              AND count(*) FILTER (WHERE c.postcode !~ '^[A-Z0-9]+ [0-9][A-Z]{2}$') > 0
           FROM kids.cme_referral c
           JOIN kids_truth.child_record t ON t.dataset = 'cme_referral' AND t.record_key = c.cme_referral_id),
          'CME: UPNs missing, dates of birth and postcodes mistyped');
SELECT ok((SELECT count(*) FILTER (WHERE c.lcs_person_id IS DISTINCT FROM t.true_lcs_person_id)::numeric / count(*)
           FROM kids.cse_concern c
           JOIN kids_truth.child_record t ON t.dataset = 'cse_concern' AND t.record_key = c.cse_assessment_id)
          BETWEEN 0.01 AND 0.15, 'CSE: a few social care numbers mistyped (case, spaces) or missing');
SELECT ok((SELECT count(*) FILTER (WHERE e.nhs_number IS NULL) > 0
              AND count(*) FILTER (WHERE e.forename || ' ' || e.surname
                                   <> p.given_name || ' ' || p.family_name) > 0
           FROM kids.ehcp e
           JOIN kids_truth.child_record t ON t.dataset = 'ehcp' AND t.record_key = e.ehcp_id
           JOIN kids_truth.person p USING (person_id)),
          'EHCP: NHS numbers missing, names not as the truth');
SELECT ok((SELECT count(*) FROM (SELECT person_id FROM kids_truth.child_record WHERE dataset = 'ehcp'
                                  GROUP BY person_id HAVING count(*) > 1) d) > 0,
          'EHCP: some children have two records (a plan transferred in)');
SELECT is((SELECT count(*) FROM kids.ehcp e
            WHERE e.upn IS NOT NULL AND e.upn !~ '^[A-HJ-NP-RT-Z][0-9O]{12}$'), 0::bigint,
          'EHCP: UPNs well formed but for a letter O typed for a zero');

-- the health flags' demographics, as the health partner shares them (GP
-- registration): against the truth of the person of the NHS number
CREATE TEMP TABLE hf AS
SELECT f.*, p.given_name AS t_given, p.family_name AS t_family, p.date_of_birth AS t_dob, p.household_id,
       p.in_borough_to IS NULL AS present
  FROM kids.health_flag f JOIN kids_truth.person p USING (nhs_number);
SELECT is((SELECT count(*) FROM hf), (SELECT count(*) FROM kids.health_flag), 'health flags: every NHS number is a resident''s');
SELECT ok((SELECT count(*) FILTER (WHERE date_of_birth = t_dob)::numeric / count(*) BETWEEN 0.98 AND 0.9999 FROM hf),
          'health flags: the date of birth is the true one but for a few errors');
SELECT ok((SELECT count(*) FILTER (WHERE brent_mdm.normalise_name(family_name) = brent_mdm.normalise_name(t_family))::numeric
                  / count(*) BETWEEN 0.7 AND 0.999 FROM hf),
          'health flags: the family name mostly the true one (spellings, one part of a double name, typos)');
SELECT is((SELECT count(*) FROM hf WHERE (postcode IS NULL) = present), 0::bigint,
          'health flags: a postcode for residents, none for those who have left the borough (out of area)');
SELECT ok((SELECT count(*) FILTER (WHERE EXISTS (SELECT FROM kids_truth.residence r JOIN kids.address a USING (uprn)
                                                  WHERE r.household_id = hf.household_id AND r.moved_out IS NULL
                                                    AND brent_mdm.postcode_normalise(a.postcode) = brent_mdm.postcode_normalise(hf.postcode)))::numeric
                  / count(*) BETWEEN 0.9 AND 0.999 FROM hf WHERE present),
          'health flags: the postcode is the current address''s, but for a few out of date');
SELECT is((SELECT count(*) FROM kids.health_flag WHERE given_name IS NULL OR family_name IS NULL), 0::bigint,
          'health flags: every one named');

-- deterministic: the same seed gives the same children's records
SELECT lives_ok($$SELECT * FROM brent_mdm.generate_borough(4000, 7, 'ck2')$$, 'seed 7 again');
SELECT is(pg_temp.table_checksum(t2), pg_temp.table_checksum(t1), t1 || ' the same for the same seed')
  FROM (VALUES ('ck.cme_referral', 'ck2.cme_referral'), ('ck.cse_concern', 'ck2.cse_concern'),
               ('ck.ehcp', 'ck2.ehcp'), ('ck_truth.child_record', 'ck2_truth.child_record'),
               ('ck.health_flag', 'ck2.health_flag')) v(t1, t2);

SELECT * FROM finish();
ROLLBACK;
