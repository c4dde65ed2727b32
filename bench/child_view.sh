#!/usr/bin/env bash
# brent_mdm.child_view (issue 14): p95 over BRENT_CHILDREN children (default
# 10000) of a borough of BRENT_PEOPLE people (default 100000), as an analyst
# under a DPIA that covers the Client Index and every children's dataset, all
# protected (reads through the masking views, audited).  Each call is timed in
# the session (clock_timestamp around the call, in a loop: no client round
# trip), after 20 warm-up calls.
#
# Peer: the same sections (identities, school, attendance, exclusions, social
# care, missing episodes, CSE, the child's offences, EHCP, health flags)
# assembled by one plain SQL statement over the same masking views, as an
# analyst would write it (a PL/pgSQL wrapper only keeps its plan, as PREPARE
# would), checked equal to child_view's for every child, and timed the same
# way.  It leaves out what needs more than a lookup per dataset (the household,
# early help, CME by name, ASB near home, domestic abuse, the risk flags, the
# services), so its time is a floor for a plain-SQL view, not the same work.
set -euo pipefail
people=${BRENT_PEOPLE:-100000}
children=${BRENT_CHILDREN:-10000}
as_of=${BRENT_AS_OF:-2026-03-31}
db=brent_mdm_bench_child_view
dropdb --if-exists "$db" >/dev/null 2>&1 || true
psql -X -q -d postgres -c "DROP ROLE IF EXISTS bench_cv_owner" -c "DROP ROLE IF EXISTS bench_cv_analyst" >/dev/null 2>&1 || true
createdb "$db"
cleanup() {
  dropdb --if-exists "$db" >/dev/null 2>&1 || true
  psql -X -q -d postgres -c "DROP ROLE IF EXISTS bench_cv_owner" -c "DROP ROLE IF EXISTS bench_cv_analyst" >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "# child_view: $people people, $children children, as of $as_of"
start=$(date +%s)
psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION brent_mdm CASCADE;
SELECT count(*) FROM brent_mdm.generate_borough($people, seed => 1);
SELECT count(*) FROM brent_mdm.client_index_load('borough.person_record');
SELECT brent_mdm.scorecard_locate('borough');
CREATE ROLE bench_cv_owner NOLOGIN;
CREATE ROLE bench_cv_analyst LOGIN;
GRANT USAGE ON SCHEMA borough TO bench_cv_analyst;
GRANT EXECUTE ON FUNCTION brent_mdm.child_view(bigint, date) TO bench_cv_analyst;
GRANT SELECT ON borough.school, borough.address TO bench_cv_analyst;
SELECT brent_mdm.register_dpia('bench_safeguarding', 'Children''s safeguarding', 'Single view of a child at risk',
       'public_task', 'London Borough of Brent', 'Director of Children''s Services');
SELECT brent_mdm.protect('brent_mdm.client'), brent_mdm.protect('brent_mdm.client_record');
DO \$\$
DECLARE t regclass; a name;
BEGIN
  FOR t IN SELECT d.relation FROM brent_mdm.scorecard_dataset d
            WHERE d.dataset NOT IN ('school', 'gazetteer', 'gazetteer_point') LOOP
    EXECUTE format('ALTER TABLE %s OWNER TO bench_cv_owner', t);
    PERFORM brent_mdm.protect(t);
  END LOOP;
  FOR t IN SELECT 'brent_mdm.client'::regclass UNION ALL SELECT 'brent_mdm.client_record'::regclass
           UNION ALL SELECT d.relation FROM brent_mdm.scorecard_dataset d
            WHERE d.dataset NOT IN ('school', 'gazetteer', 'gazetteer_point') LOOP
    PERFORM brent_mdm.set_table_scope('bench_safeguarding', t, 'read');
    FOR a IN SELECT attname FROM pg_attribute WHERE attrelid = t AND attnum > 0 AND NOT attisdropped LOOP
      PERFORM brent_mdm.set_column_scope('bench_safeguarding', t, a, 'clear');
    END LOOP;
    EXECUTE format('GRANT SELECT ON %s TO bench_cv_analyst',
                   (SELECT masked_view FROM brent_mdm.protected_table WHERE table_name = t));
  END LOOP;
END \$\$;
SELECT brent_mdm.approve_dpia('bench_safeguarding', 'Data Protection Officer', now() + interval '1 day');
SELECT brent_mdm.grant_purpose('bench_safeguarding', 'bench_cv_analyst');
ANALYZE;
SQL
echo "# setup (borough, Client Index, protection): $(( $(date +%s) - start )) s"

psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<SQL
SET client_min_messages = warning;
SET SESSION AUTHORIZATION bench_cv_analyst;
SELECT brent_mdm.begin_purpose('bench_safeguarding') \g /dev/null
-- the children: a sample of those under 18 on the date (every one if fewer)
CREATE TEMP TABLE kids AS
SELECT c.client_id FROM brent_mdm.client_masked c
 WHERE c.status = 'active' AND c.date_of_birth > date '$as_of' - interval '18 years' AND c.date_of_birth <= '$as_of'
 ORDER BY (c.client_id * 2654435761) % 1000003 LIMIT $children;
-- the peer: one plain SQL statement over the masking views
CREATE FUNCTION pg_temp.peer_view(id bigint, as_of date) RETURNS jsonb LANGUAGE plpgsql AS \$f\$
BEGIN
  RETURN (
  WITH r AS (SELECT * FROM brent_mdm.client_record_masked r WHERE r.client_id = id),
  k AS (SELECT coalesce(array_agg(DISTINCT r.upn) FILTER (WHERE r.upn IS NOT NULL), '{}') AS upns,
               coalesce(array_agg(DISTINCT replace(r.nhs_number, ' ', '')) FILTER (WHERE r.nhs_number IS NOT NULL), '{}') AS nhss,
               coalesce(array_agg(DISTINCT r.record_key) FILTER (WHERE r.system = 'childrens_social_care'), '{}') AS lcs,
               coalesce(array_agg(DISTINCT r.record_key) FILTER (WHERE r.system = 'youth_offending'), '{}') AS yot,
               coalesce(array_agg(DISTINCT r.record_key) FILTER (WHERE r.system = 'school_census'), '{}') AS pupils
          FROM r)
  SELECT jsonb_build_object(
    'identities', (SELECT coalesce(jsonb_agg(jsonb_build_object('system', r.system, 'record_key', r.record_key,
                     'given_name', r.given_name, 'family_name', r.family_name, 'date_of_birth', r.date_of_birth,
                     'sex', r.sex, 'postcode', r.postcode, 'address_line', r.address_line,
                     'upn', r.upn, 'nhs_number', r.nhs_number, 'recorded_at', r.recorded_at)
                     ORDER BY r.system, r.record_key), '[]') FROM r),
    'school', (SELECT jsonb_build_object('census_date', x.census_date, 'school_urn', x.school_urn, 'school_name', s.school_name,
                        'phase', s.phase, 'ncy_year', x.ncy_year, 'pupil_record_id', x.pupil_record_id)
                 FROM borough.school_census_masked x LEFT JOIN borough.school s ON s.school_urn = x.school_urn
                WHERE (x.upn = ANY (k.upns) OR x.pupil_record_id = ANY (k.pupils)) AND (x.census_date IS NULL OR x.census_date <= as_of)
                ORDER BY x.census_date DESC NULLS LAST, x.pupil_record_id LIMIT 1),
    'attendance', (SELECT coalesce(jsonb_agg(jsonb_build_object('academic_year', t.academic_year, 'term', t.term, 'term_start', t.term_start,
                        'sessions_possible', t.sessions_possible, 'authorised_absence', t.sessions_authorised_absence,
                        'unauthorised_absence', t.sessions_unauthorised_absence,
                        'absence_rate', CASE WHEN t.sessions_possible > 0
                                             THEN round((t.sessions_authorised_absence + t.sessions_unauthorised_absence)::numeric / t.sessions_possible, 4) END)
                      ORDER BY t.term_start), '[]')
                     FROM (SELECT a.*, make_date(substr(a.academic_year, 1, 4)::int + CASE WHEN a.term = 'autumn' THEN 0 ELSE 1 END,
                                                 CASE a.term WHEN 'autumn' THEN 9 WHEN 'spring' THEN 1 ELSE 4 END, 1) AS term_start
                             FROM borough.school_attendance_masked a
                            WHERE a.upn = ANY (k.upns) AND a.academic_year ~ '^[0-9]{4}/[0-9]{2}\$' AND a.term IN ('autumn', 'spring', 'summer')) t
                    WHERE t.term_start <= as_of),
    'exclusions', (SELECT coalesce(jsonb_agg(jsonb_build_object('exclusion_date', x.exclusion_date, 'category', x.category,
                                                   'sessions', x.sessions) ORDER BY x.exclusion_date, x.category), '[]')
                     FROM borough.school_exclusion_masked x WHERE x.upn = ANY (k.upns) AND x.exclusion_date <= as_of),
    'social_care', (SELECT coalesce(jsonb_agg(jsonb_build_object('category', x.category, 'referral_date', x.referral_date,
                                                   'episode_end', x.episode_end, 'lcs_person_id', x.lcs_person_id)
                                ORDER BY x.referral_date, x.category), '[]')
                      FROM borough.childrens_social_care_masked x WHERE x.lcs_person_id = ANY (k.lcs) AND x.referral_date <= as_of),
    'missing_episodes', (SELECT coalesce(jsonb_agg(jsonb_build_object('went_missing', x.went_missing, 'returned', x.returned)
                                ORDER BY x.went_missing), '[]')
                           FROM borough.missing_episode_masked x WHERE x.lcs_person_id = ANY (k.lcs) AND x.went_missing <= as_of),
    'cse_concerns', (SELECT coalesce(jsonb_agg(jsonb_build_object('assessed_on', x.assessed_on, 'risk_level', lower(x.risk_level),
                                                   'outcome', x.outcome, 'closed_on', x.closed_on) ORDER BY x.assessed_on), '[]')
                       FROM borough.cse_concern_masked x WHERE upper(replace(x.lcs_person_id, ' ', '')) = ANY (k.lcs) AND x.assessed_on <= as_of),
    'offences', (SELECT coalesce(jsonb_agg(jsonb_build_object('offence_date', x.offence_date, 'offence_type', x.offence_type,
                                                   'outcome', x.outcome, 'yot_case_id', x.yot_case_id)
                                ORDER BY x.offence_date, x.yot_case_id), '[]')
                   FROM borough.offence_masked x WHERE x.yot_case_id = ANY (k.yot) AND x.offence_date <= as_of),
    'ehcp', (SELECT coalesce(jsonb_agg(jsonb_build_object('plan_start', x.plan_start, 'ceased_on', x.ceased_on,
                                                   'ceased_reason', x.ceased_reason, 'primary_need', x.primary_need,
                                                   'secondary_need', x.secondary_need) ORDER BY x.plan_start), '[]')
               FROM borough.ehcp_masked x WHERE (x.upn = ANY (k.upns) OR x.nhs_number = ANY (k.nhss)) AND x.plan_start <= as_of),
    'health_flags', (SELECT coalesce(jsonb_agg(jsonb_build_object('flag', x.flag, 'recorded_on', x.recorded_on)
                                ORDER BY x.recorded_on, x.flag), '[]')
                       FROM borough.health_flag_masked x WHERE x.nhs_number = ANY (k.nhss) AND x.recorded_on <= as_of))
    FROM k);
END \$f\$;
CREATE TEMP TABLE t (engine text, n int, client_id bigint, ms float8, v jsonb);
DO \$\$
DECLARE k record; t0 timestamptz; j jsonb; i int := 0;
BEGIN
  FOR k IN SELECT client_id FROM kids LOOP
    i := i + 1;
    t0 := clock_timestamp();
    j := brent_mdm.child_view(k.client_id, '$as_of');
    INSERT INTO t VALUES ('child_view', i, k.client_id, extract(epoch FROM clock_timestamp() - t0) * 1000, j);
  END LOOP;
  i := 0;
  FOR k IN SELECT client_id FROM kids LOOP
    i := i + 1;
    t0 := clock_timestamp();
    j := pg_temp.peer_view(k.client_id, '$as_of');
    INSERT INTO t VALUES ('plain SQL (10 sections)', i, k.client_id, extract(epoch FROM clock_timestamp() - t0) * 1000, j);
  END LOOP;
END \$\$;
SELECT brent_mdm.end_purpose() \g /dev/null
\pset footer off
SELECT engine, count(*) AS calls, round(avg(ms)::numeric, 2) AS avg_ms,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 2) AS p50_ms,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY ms)::numeric, 2) AS p95_ms,
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 2) AS p99_ms,
       round(max(ms)::numeric, 1) AS max_ms
  FROM t WHERE n > 20 GROUP BY engine ORDER BY engine;
-- the peer's sections equal child_view's, child by child
SELECT count(*) AS children_compared,
       count(*) FILTER (WHERE EXISTS (SELECT FROM jsonb_each(p.v) e WHERE c.v -> e.key IS DISTINCT FROM e.value)) AS sections_differ
  FROM t c JOIN t p USING (client_id)
 WHERE c.engine = 'child_view' AND p.engine <> 'child_view';
SELECT count(*) FILTER (WHERE v -> 'household' <> 'null') AS with_household,
       count(*) FILTER (WHERE EXISTS (SELECT FROM jsonb_array_elements(v -> 'risk_factors') f WHERE (f ->> 'present')::boolean)) AS with_a_risk_flag,
       round(avg(length(v::text))) AS avg_json_bytes
  FROM t WHERE engine = 'child_view';
SQL
echo "# total: $(( $(date +%s) - start )) s"
