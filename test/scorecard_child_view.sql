-- pgTAP: brent_mdm.child_view (issue 14), the single view of a child, on a small
-- generated borough under a DPIA: its refusals (no purpose, a DPIA that does not
-- cover children's data, bad input: nothing written), its values against
-- independent queries of the datasets (exclusions, attendance, social care,
-- missing episodes, CSE, offences, household = family_units), each risk flag
-- present exactly when its evidence exists, masking by the DPIA's column scope,
-- a merged id followed, the audit record with the child's client id and its
-- place in the subject access report, and attacks (a superuser's SECURITY
-- DEFINER function, the audit and scope helpers called directly).  Needs
-- shared_preload_libraries = 'brent_mdm'.  Everything but the audit records is
-- rolled back.
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
-- the extension committed: the audit worker stores records in its own transactions
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
BEGIN;
SELECT plan(53);
\set d 2026-03-31

-- ---- the function's markings ----
SELECT ok(NOT has_function_privilege('public', 'brent_mdm.child_view(bigint, date)', 'EXECUTE'),
          'PUBLIC may not call child_view (the DBA grants it)');
SELECT is((SELECT count(*) FROM pg_proc WHERE oid IN ('brent_mdm.child_view(bigint, date)'::regprocedure,
                                                      'brent_mdm.purpose_scope()'::regprocedure,
                                                      'brent_mdm.child_view_audit(bigint, bigint, date)'::regprocedure)
                                           AND NOT prosecdef), 3::bigint,
          'child_view and its helpers run with the caller''s rights (the row and column policies apply)');

-- ---- a borough, its Client Index, its datasets protected under a DPIA ----
SELECT lives_ok($$SELECT * FROM brent_mdm.generate_borough(6000, 2, 'borough')$$, 'a borough of 6000');
SELECT lives_ok($$SELECT * FROM brent_mdm.client_index_load('borough.person_record')$$, 'its Client Index');
SELECT cmp_ok(brent_mdm.scorecard_locate('borough'), '>=', 19, 'its datasets located');

-- a merge (before the protection): client :other is merged into :kept, two children
SELECT c.client_id AS kept FROM brent_mdm.client c
 WHERE c.status = 'active' AND c.date_of_birth BETWEEN date :'d' - interval '15 years' AND date :'d' - interval '8 years'
   AND 'school_census' = ANY (c.systems) ORDER BY c.client_id LIMIT 1 \gset
SELECT c.client_id AS other FROM brent_mdm.client c
 WHERE c.status = 'active' AND c.date_of_birth BETWEEN date :'d' - interval '15 years' AND date :'d' - interval '8 years'
   AND c.client_id <> :kept AND 'childrens_social_care' = ANY (c.systems) ORDER BY c.client_id LIMIT 1 \gset
SELECT is(brent_mdm.merge_clients(:kept, :other, 'test'), :kept::bigint, 'two children''s clients merged');

CREATE ROLE cvt_owner NOLOGIN;
CREATE ROLE cvt_analyst LOGIN;
GRANT USAGE ON SCHEMA borough TO cvt_analyst;
GRANT EXECUTE ON FUNCTION brent_mdm.child_view(bigint, date) TO cvt_analyst;
SELECT brent_mdm.register_dpia(d, 'Child view test ' || d, 'Single view of a child at risk', 'public_task',
                               'London Borough of Brent', 'Director of Children''s Services')
  FROM unnest('{cvt_safeguarding,cvt_limited,cvt_index_only,cvt_no_index,cvt_hidden}'::text[]) d;
SELECT count(brent_mdm.protect(t)) FROM unnest('{brent_mdm.client,brent_mdm.client_record}'::regclass[]) t;
CREATE FUNCTION pg_temp.scope_all(dpia text, t regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE a name;
BEGIN
  PERFORM brent_mdm.set_table_scope(dpia, t, 'read');
  FOR a IN SELECT attname FROM pg_attribute WHERE attrelid = t AND attnum > 0 AND NOT attisdropped LOOP
    PERFORM brent_mdm.set_column_scope(dpia, t, a, 'clear');
  END LOOP;
END $$;
DO $$
DECLARE t regclass;
BEGIN
  FOR t IN SELECT d.relation FROM brent_mdm.scorecard_dataset d
            WHERE d.dataset NOT IN ('school', 'gazetteer', 'gazetteer_point') LOOP
    EXECUTE format('ALTER TABLE %s OWNER TO cvt_owner', t);
    PERFORM brent_mdm.protect(t);
  END LOOP;
  -- the safeguarding DPIA: the Client Index and every children's dataset, every column in clear
  FOR t IN SELECT 'brent_mdm.client'::regclass UNION ALL SELECT 'brent_mdm.client_record'::regclass
           UNION ALL SELECT d.relation FROM brent_mdm.scorecard_dataset d
            WHERE d.dataset NOT IN ('school', 'gazetteer', 'gazetteer_point') LOOP
    PERFORM pg_temp.scope_all('cvt_safeguarding', t);
    EXECUTE format('GRANT SELECT ON %s TO cvt_analyst', (SELECT masked_view FROM brent_mdm.protected_table WHERE table_name = t));
  END LOOP;
  -- limited: the Client Index's finding columns, and exclusions without their category
  PERFORM brent_mdm.set_table_scope(d, tt, 'read')
     FROM unnest('{cvt_limited,cvt_index_only,cvt_hidden}'::text[]) d,
          unnest('{brent_mdm.client,brent_mdm.client_record}'::regclass[]) tt;
  PERFORM brent_mdm.set_column_scope(d, 'brent_mdm.client', c, 'clear')
     FROM unnest('{cvt_limited,cvt_index_only}'::text[]) d, unnest('{client_id,status,merged_into,date_of_birth}'::name[]) c;
  PERFORM brent_mdm.set_column_scope('cvt_hidden', 'brent_mdm.client', c, 'clear')
     FROM unnest('{client_id,status,merged_into}'::name[]) c;
  PERFORM brent_mdm.set_column_scope('cvt_hidden', 'brent_mdm.client', 'date_of_birth', 'year');
  PERFORM brent_mdm.set_column_scope(d, 'brent_mdm.client_record', c, 'clear')
     FROM unnest('{cvt_limited,cvt_index_only,cvt_hidden}'::text[]) d, unnest('{client_id,system,record_key,upn}'::name[]) c;
  PERFORM brent_mdm.set_table_scope(d, 'borough.school_exclusion', 'read') FROM unnest('{cvt_limited,cvt_no_index,cvt_hidden}'::text[]) d;
  PERFORM brent_mdm.set_column_scope('cvt_limited', 'borough.school_exclusion', c, 'clear')
     FROM unnest('{upn,exclusion_date}'::name[]) c;
END $$;
GRANT SELECT ON borough.school, borough.address TO cvt_analyst;
SELECT brent_mdm.approve_dpia(d, 'Data Protection Officer', now() + interval '1 year'),
       brent_mdm.grant_purpose(d, 'cvt_analyst')
  FROM unnest('{cvt_safeguarding,cvt_limited,cvt_index_only,cvt_no_index,cvt_hidden}'::text[]) d;

-- the children looked at: those with the events the risk factors count, and others
CREATE TEMP TABLE kids AS
WITH c AS (
  SELECT c.client_id FROM brent_mdm.client c
   WHERE c.status = 'active' AND c.date_of_birth > date :'d' - interval '18 years' AND c.date_of_birth <= :'d'),
ev AS (
  SELECT r.client_id FROM brent_mdm.client_record r JOIN borough.school_exclusion x ON upper(x.upn) = upper(r.upn)
  UNION SELECT r.client_id FROM brent_mdm.client_record r JOIN borough.missing_episode x
                    ON r.system = 'childrens_social_care' AND x.lcs_person_id = r.record_key
  UNION SELECT r.client_id FROM brent_mdm.client_record r JOIN borough.cse_concern x
                    ON r.system = 'childrens_social_care' AND upper(replace(x.lcs_person_id, ' ', '')) = r.record_key
  UNION SELECT r.client_id FROM brent_mdm.client_record r JOIN borough.offence x
                    ON r.system = 'youth_offending' AND x.yot_case_id = r.record_key)
(SELECT c.client_id FROM c JOIN ev USING (client_id) ORDER BY c.client_id LIMIT 100)
UNION
(SELECT c.client_id FROM c ORDER BY (c.client_id * 7919) % 1009 LIMIT 60)
UNION SELECT :kept
-- and children of family_units' other steps: placed at a parent's new postcode
-- (their own is the parent's former address), and the members of families of
-- a client under 16 that family_units takes as an adult (a parent's register
-- records joined to a child's)
UNION
(SELECT f.client_id FROM brent_mdm.family_units(:'d') f JOIN c USING (client_id) JOIN brent_mdm.client k USING (client_id)
  WHERE brent_mdm.postcode_normalise(k.postcode) <> f.postcode ORDER BY f.client_id LIMIT 10)
UNION
(SELECT f.client_id FROM brent_mdm.family_units(:'d') f JOIN c USING (client_id)
  WHERE f.family_id IN (SELECT g.family_id FROM brent_mdm.family_units(:'d') g JOIN brent_mdm.client k USING (client_id)
                         WHERE g.role <> 'child' AND k.date_of_birth > date :'d' - interval '16 years')
  ORDER BY f.client_id LIMIT 20);
GRANT SELECT ON kids TO cvt_analyst;
CREATE TEMP TABLE v (client_id bigint, v jsonb);
GRANT INSERT ON v TO cvt_analyst;
SELECT now() AS t0 \gset

-- ---- refusals and bad input, as the analyst ----
SET SESSION AUTHORIZATION cvt_analyst;
SELECT throws_ok(format('SELECT brent_mdm.child_view(%s, %L)', :kept, :'d'), '42501', 'a child''s view needs a purpose',
                 'without a purpose: refused (42501)');
SELECT brent_mdm.end_purpose(), brent_mdm.begin_purpose('cvt_index_only');
SELECT throws_ok(format('SELECT brent_mdm.child_view(%s, %L)', :kept, :'d'), '42501', 'DPIA "cvt_index_only" covers none of the children''s datasets',
                 'a DPIA that scopes the Client Index only: refused');
SELECT brent_mdm.end_purpose(), brent_mdm.begin_purpose('cvt_no_index');
SELECT throws_ok(format('SELECT brent_mdm.child_view(%s, %L)', :kept, :'d'), '42501', 'DPIA "cvt_no_index" does not cover the Client Index',
                 'a DPIA that scopes a children''s dataset but not the Client Index: refused');
SELECT brent_mdm.end_purpose(), brent_mdm.begin_purpose('cvt_hidden');
SELECT throws_ok(format('SELECT brent_mdm.child_view(%s, %L)', :kept, :'d'), '42501', NULL,
                 'a DPIA that shows the date of birth as a year only: refused (a child cannot be told)');
SELECT brent_mdm.end_purpose(), brent_mdm.begin_purpose('cvt_safeguarding');
SELECT throws_ok($$SELECT brent_mdm.child_view(NULL)$$, '22004', 'client_id must not be NULL', 'a NULL client: 22004');
SELECT throws_ok(format('SELECT brent_mdm.child_view(%s, NULL)', :kept), '22004', 'as_of must not be NULL', 'a NULL date: 22004');
SELECT throws_ok(format('SELECT brent_mdm.child_view(%s, current_date + 1)', :kept), '22008', NULL, 'a date in the future: 22008');
SELECT throws_ok($$SELECT brent_mdm.child_view(-1)$$, '42704', 'client -1 is not in the Client Index', 'an unknown client: 42704');
SELECT c.client_id AS adult FROM brent_mdm.client_masked c
 WHERE c.status = 'active' AND c.date_of_birth < date :'d' - interval '30 years' ORDER BY c.client_id LIMIT 1 \gset
SELECT throws_ok(format('SELECT brent_mdm.child_view(%s, %L)', :adult, :'d'), '22023', format('client %s is not a child on %s', :adult, :'d'),
                 'an adult: 22023');
SELECT throws_ok(format('SELECT brent_mdm.child_view(%s, %L)', :kept, '1990-01-01'), '22023', NULL,
                 'a date before the child was born: 22023');
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;
SELECT ok(brent_mdm.audit_flush(), 'the audit worker has stored what was queued');
SELECT is((SELECT count(*) FROM brent_mdm.audit_log WHERE action = 'child_view' AND dpia_id LIKE 'cvt\_%'
             AND logged_at >= :'t0'), 0::bigint, 'refused calls and bad input record no view');

-- ---- the views, as the analyst under the safeguarding DPIA ----
SET SESSION AUTHORIZATION cvt_analyst;
SELECT brent_mdm.end_purpose(), brent_mdm.begin_purpose('cvt_safeguarding');
SELECT lives_ok(format($$INSERT INTO v SELECT k.client_id, brent_mdm.child_view(k.client_id, %L) FROM kids k$$, :'d'),
                'the views of the children');
SELECT lives_ok(format($$INSERT INTO v SELECT %s, brent_mdm.child_view(%s, %L)$$, -:other, :other, :'d'),
                'the view of a merged client id');
CREATE TEMP TABLE my_scope AS SELECT table_name::text, masked_view::text, columns FROM brent_mdm.purpose_scope();
SELECT brent_mdm.end_purpose(), brent_mdm.begin_purpose('cvt_limited');
SELECT lives_ok(format($$INSERT INTO v SELECT 0, brent_mdm.child_view(%s, %L)$$, :kept, :'d'), 'a view under the limited DPIA');
SELECT brent_mdm.end_purpose();
CREATE TEMP TABLE no_scope AS SELECT * FROM brent_mdm.purpose_scope();
SELECT throws_ok(format('SELECT brent_mdm.child_view_audit(%s, %s, %L)', :kept, :kept, :'d'), '42501', NULL,
                 'the audit helper called directly without a purpose: refused');
RESET SESSION AUTHORIZATION;

-- ---- independent expectations, from the datasets themselves ----
CREATE TEMP TABLE x AS
SELECT k.client_id,
       (SELECT array_agg(DISTINCT upper(r.upn)) FROM brent_mdm.client_record r WHERE r.client_id = k.client_id) AS upns,
       (SELECT array_agg(DISTINCT r.record_key) FROM brent_mdm.client_record r
         WHERE r.client_id = k.client_id AND r.system = 'childrens_social_care') AS lcs,
       (SELECT count(*) FROM brent_mdm.client_record r WHERE r.client_id = k.client_id) AS records
  FROM kids k;
-- child_view forms the household from the Client Index alone (not yet from the
-- parents' names health visiting and early years record, nor the UPRNs of
-- council tax, housing and the electoral register, which family_units also
-- reads when they are located): compared with family_units without them
CREATE TEMP TABLE located_parents AS
SELECT * FROM brent_mdm.scorecard_dataset
 WHERE dataset IN ('health_visiting', 'early_years', 'council_tax_property', 'housing_property', 'electoral_register_property');
DELETE FROM brent_mdm.scorecard_dataset
 WHERE dataset IN ('health_visiting', 'early_years', 'council_tax_property', 'housing_property', 'electoral_register_property');
CREATE TEMP TABLE fam AS SELECT * FROM brent_mdm.family_units(:'d');
INSERT INTO brent_mdm.scorecard_dataset SELECT * FROM located_parents;
-- (less what child_view says it does not follow: a child who joined a unit at
-- another postcode than its own, a former address of the unit's adult; the
-- viewed child itself so placed has no household)
CREATE TEMP TABLE hh AS
SELECT k.client_id, coalesce(array_agg(f2.client_id ORDER BY f2.client_id) FILTER (WHERE f2.client_id IS NOT NULL AND m.own),
                             ARRAY[k.client_id]) AS members
  FROM kids k JOIN brent_mdm.client kc ON kc.client_id = k.client_id
  LEFT JOIN fam f1 ON f1.client_id = k.client_id AND brent_mdm.postcode_normalise(kc.postcode) = f1.postcode
  LEFT JOIN fam f2 ON f2.family_id = f1.family_id
  LEFT JOIN brent_mdm.client c2 ON c2.client_id = f2.client_id
  CROSS JOIN LATERAL (SELECT f2.role <> 'child' OR brent_mdm.postcode_normalise(c2.postcode) = f2.postcode AS own) m
 GROUP BY k.client_id;

SELECT is((SELECT count(*) FROM v WHERE client_id > 0), (SELECT count(*) FROM kids), 'a view of every child');
SELECT is((SELECT count(*) FROM v JOIN x USING (client_id) WHERE jsonb_array_length(v.v -> 'identities') <> x.records), 0::bigint,
          'identities: one per record of the child in the Client Index');
SELECT is((SELECT count(*) FROM v JOIN x USING (client_id)
            WHERE (SELECT coalesce(array_agg((e ->> 'exclusion_date') || ' ' || (e ->> 'category') ORDER BY (e ->> 'exclusion_date') || ' ' || (e ->> 'category')), '{}')
                     FROM jsonb_array_elements(v.v -> 'exclusions') e)
               <> (SELECT coalesce(array_agg(s.exclusion_date || ' ' || s.category ORDER BY s.exclusion_date || ' ' || s.category), '{}')
                     FROM borough.school_exclusion s WHERE upper(s.upn) = ANY (x.upns) AND s.exclusion_date <= :'d')),
          0::bigint, 'exclusions: those of the child''s UPNs in the table, up to the date');
SELECT cmp_ok((SELECT count(*) FROM v WHERE client_id > 0 AND jsonb_array_length(v -> 'exclusions') > 0), '>', 20::bigint,
              'and children with exclusions were looked at');
SELECT is((SELECT count(*) FROM v JOIN x USING (client_id)
            WHERE jsonb_array_length(v.v -> 'attendance')
               <> (SELECT count(*) FROM borough.school_attendance a WHERE upper(a.upn) = ANY (x.upns)
                     AND make_date(substr(a.academic_year, 1, 4)::int + CASE WHEN a.term = 'autumn' THEN 0 ELSE 1 END,
                                   CASE a.term WHEN 'autumn' THEN 9 WHEN 'spring' THEN 1 ELSE 4 END, 1) <= :'d')),
          0::bigint, 'attendance: every term of the child''s UPNs begun by the date');
SELECT is((SELECT count(*) FROM v JOIN x USING (client_id)
            WHERE (SELECT coalesce(array_agg((e ->> 'referral_date') || (e ->> 'category') ORDER BY (e ->> 'referral_date') || (e ->> 'category')), '{}')
                     FROM jsonb_array_elements(v.v -> 'social_care') e)
               <> (SELECT coalesce(array_agg(s.referral_date || s.category ORDER BY s.referral_date || s.category), '{}')
                     FROM borough.childrens_social_care s WHERE s.lcs_person_id = ANY (x.lcs) AND s.referral_date <= :'d')),
          0::bigint, 'social care episodes: those of the child''s social care records');
SELECT is((SELECT count(*) FROM v JOIN hh USING (client_id)
            WHERE (SELECT coalesce(array_agg((m ->> 'client_id')::bigint ORDER BY (m ->> 'client_id')::bigint), ARRAY[v.client_id])
                     FROM jsonb_array_elements(v.v #> '{household,members}') m) <> hh.members),
          0::bigint, 'household: the child''s family unit of family_units (or the child alone)');
SELECT cmp_ok((SELECT count(*) FROM v WHERE client_id > 0 AND v ->> 'household' IS NOT NULL), '>', 50::bigint,
              'and most children have a household');

-- each flag present exactly when its evidence exists (independent of the view's lists)
CREATE TEMP TABLE flag AS
SELECT v.client_id, f ->> 'factor' AS factor, (f ->> 'present')::boolean AS present, f -> 'evidence' AS evidence
  FROM v, jsonb_array_elements(v.v -> 'risk_factors') f WHERE v.client_id > 0;
SELECT is((SELECT count(*) FROM flag f JOIN x USING (client_id) WHERE f.factor = 'exclusions'
             AND f.present IS DISTINCT FROM EXISTS (SELECT FROM borough.school_exclusion s WHERE upper(s.upn) = ANY (x.upns)
                                                      AND s.exclusion_date > date :'d' - interval '12 months' AND s.exclusion_date <= :'d')),
          0::bigint, 'exclusions flag: exactly when an exclusion falls in the 12 months to the date');
SELECT is((SELECT count(*) FROM flag f JOIN x USING (client_id) WHERE f.factor = 'missing_episodes'
             AND f.present IS DISTINCT FROM EXISTS (SELECT FROM borough.missing_episode s WHERE s.lcs_person_id = ANY (x.lcs)
                                                      AND s.went_missing > date :'d' - interval '12 months' AND s.went_missing <= :'d')),
          0::bigint, 'missing episodes flag: exactly when an episode began in the 12 months');
SELECT is((SELECT count(*) FROM flag f JOIN x USING (client_id) WHERE f.factor = 'cse_concerns'
             AND f.present IS DISTINCT FROM EXISTS (SELECT FROM borough.cse_concern s WHERE upper(replace(s.lcs_person_id, ' ', '')) = ANY (x.lcs)
                                                      AND s.assessed_on > date :'d' - interval '12 months' AND s.assessed_on <= :'d')),
          0::bigint, 'CSE flag: exactly when an assessment (its social care number as typed) falls in the 12 months');
SELECT is((SELECT count(*) FROM flag f JOIN hh USING (client_id) WHERE f.factor = 'offending_in_household'
             AND f.present IS DISTINCT FROM EXISTS (
                   SELECT FROM borough.offence o JOIN brent_mdm.client_record r
                       ON r.system = 'youth_offending' AND r.record_key = o.yot_case_id
                    WHERE r.client_id = ANY (hh.members)
                      AND o.offence_date > date :'d' - interval '12 months' AND o.offence_date <= :'d')),
          0::bigint, 'offending flag: exactly when the child or a household member has an offence in the 12 months');
SELECT is((SELECT count(*) FROM flag f JOIN x USING (client_id) WHERE f.factor = 'poor_attendance'
             AND f.present IS DISTINCT FROM coalesce((
                   SELECT sum(t.missed)::numeric / sum(t.possible) >= 0.10
                     FROM (SELECT a.sessions_authorised_absence + a.sessions_unauthorised_absence AS missed, a.sessions_possible AS possible,
                                  dense_rank() OVER (ORDER BY make_date(substr(a.academic_year, 1, 4)::int + CASE WHEN a.term = 'autumn' THEN 0 ELSE 1 END,
                                                                        CASE a.term WHEN 'autumn' THEN 9 WHEN 'spring' THEN 1 ELSE 4 END, 1) DESC) AS nth
                             FROM borough.school_attendance a
                            WHERE upper(a.upn) = ANY (x.upns) AND a.sessions_possible > 0
                              AND make_date(substr(a.academic_year, 1, 4)::int + CASE WHEN a.term = 'autumn' THEN 0 ELSE 1 END,
                                            CASE a.term WHEN 'autumn' THEN 9 WHEN 'spring' THEN 1 ELSE 4 END, 1) <= :'d') t
                    WHERE t.nth <= 3), false)),
          0::bigint, 'poor attendance flag: exactly when 10 % or more of the last three terms'' sessions were missed');
SELECT is((SELECT count(*) FROM flag WHERE present AND jsonb_array_length(evidence) = 0)
        + (SELECT count(*) FROM flag WHERE factor NOT IN ('poor_attendance', 'asb_near_home') AND NOT present AND jsonb_array_length(evidence) > 0),
          0::bigint, 'no flag without evidence, no event flag false with evidence');
SELECT cmp_ok((SELECT count(DISTINCT factor) FROM flag WHERE present), '>=', 4::bigint,
              'flags of several factors are raised among these children');

-- ---- a merged id is followed ----
SELECT is((SELECT jsonb_build_array(v -> 'client_id', v -> 'requested_client_id', v -> 'merged') FROM v WHERE client_id = -:other),
          jsonb_build_array(:kept, :other, true), 'a merged id: the view is of the client it was merged into, and says so');
SELECT is((SELECT (v - 'requested_client_id' - 'merged' - 'note') FROM v WHERE client_id = -:other),
          (SELECT (v - 'requested_client_id' - 'merged' - 'note') FROM v WHERE client_id = :kept),
          'the same view as of the surviving client');

-- ---- masking and coverage under the limited DPIA ----
SELECT is((SELECT count(*) FROM v, jsonb_array_elements(v -> 'exclusions') e WHERE client_id = 0 AND e ->> 'category' IS NOT NULL),
          0::bigint, 'a column outside the DPIA''s column scope is masked (exclusion category: NULL)');
SELECT is((SELECT jsonb_array_length(v -> 'exclusions') FROM v WHERE client_id = 0),
          (SELECT jsonb_array_length(v -> 'exclusions') FROM v WHERE client_id = :kept), 'its rows are still listed');
SELECT is((SELECT v #>> '{person,given_name}' FROM v WHERE client_id = 0), NULL, 'the name is not in that DPIA''s scope: NULL');
SELECT ok((SELECT v -> 'not_covered' @> '[{"dataset": "missing_episode"}]' AND NOT v ? 'missing_episodes' FROM v WHERE client_id = 0),
          'a dataset outside the DPIA is listed as not covered, and not read');
SELECT is((SELECT f ->> 'not_assessed' FROM v, jsonb_array_elements(v -> 'risk_factors') f
            WHERE client_id = 0 AND f ->> 'factor' = 'missing_episodes'), 'missing_episode is not covered',
          'a risk factor whose evidence is not covered is not assessed (present NULL), never false');

-- ---- purpose_scope ----
SELECT is((SELECT array_agg(table_name ORDER BY table_name) FROM my_scope),
          (SELECT array_agg(table_name::text ORDER BY table_name::text) FROM brent_mdm.dpia_table_scope WHERE dpia_id = 'cvt_safeguarding'),
          'purpose_scope: the tables of the active DPIA');
SELECT is((SELECT count(*) FROM no_scope), 0::bigint, 'and nothing without a purpose');

-- ---- the audit: one record per view, with the child's client id; in the subject access report ----
SELECT ok(brent_mdm.audit_flush(), 'the audit worker has stored the views');
-- (the role is named by the worker in its own transaction: this test's roles are not committed)
SELECT is((SELECT count(*) FROM brent_mdm.audit_log WHERE action = 'child_view'
             AND dpia_id = 'cvt_safeguarding' AND logged_at >= :'t0'), (SELECT count(*) FROM kids) + 1,
          'one child_view record per call, under the DPIA');
SELECT is((SELECT count(*) FROM kids k WHERE NOT EXISTS (
             SELECT FROM brent_mdm.audit_log l WHERE l.action = 'child_view' AND l.logged_at >= :'t0'
                AND l.client_ids @> ARRAY[k.client_id])), 0::bigint, 'each record names the child''s client id');
SELECT is((SELECT client_ids FROM brent_mdm.audit_log WHERE action = 'child_view' AND logged_at >= :'t0'
             AND client_ids @> ARRAY[:other::bigint]), ARRAY[:kept, :other]::bigint[],
          'the view of a merged id names both ids');
SELECT ok(EXISTS (SELECT FROM brent_mdm.subject_access_report(:kept) r
                   WHERE r.source = 'audit' AND r.record ->> 'action' = 'child_view'
                     AND (r.record ->> 'logged_at')::timestamptz >= :'t0'
                     AND r.record ->> 'dpia_id' = 'cvt_safeguarding'),
          'the view appears in the child''s subject access report');

-- ---- attacks ----
-- a superuser's SECURITY DEFINER function: the purpose does not reach inside it
CREATE FUNCTION pg_temp.su_view(id bigint) RETURNS jsonb LANGUAGE sql SECURITY DEFINER
  SET search_path = pg_catalog AS $$ SELECT brent_mdm.child_view(id, '2026-03-31') $$;
CREATE FUNCTION pg_temp.su_scope() RETURNS bigint LANGUAGE sql SECURITY DEFINER
  SET search_path = pg_catalog AS $$ SELECT count(*) FROM brent_mdm.purpose_scope() $$;
GRANT EXECUTE ON FUNCTION pg_temp.su_view(bigint), pg_temp.su_scope() TO cvt_analyst;
SET SESSION AUTHORIZATION cvt_analyst;
SELECT brent_mdm.end_purpose(), brent_mdm.begin_purpose('cvt_safeguarding');
SELECT throws_ok(format('SELECT pg_temp.su_view(%s)', :kept), '42501', NULL,
                 'child_view inside a superuser''s SECURITY DEFINER function: refused');
SELECT is(pg_temp.su_scope(), 0::bigint, 'purpose_scope inside it: nothing');
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;

SELECT * FROM finish();
ROLLBACK;
