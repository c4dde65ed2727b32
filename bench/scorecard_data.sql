-- Random families and events for the scorecard's aggregate (test/scorecard_profile.sql
-- and bench/scorecard.sh): psql variables members (a multiple of 3: families of
-- one adult and two children) and events.  Tables sc_member (family_id,
-- client_id, role), sc_event (client_id, source, category, ef, et, missed,
-- possible) and sc_att (family_id, attached, closed: half the families attached,
-- a quarter closed), as bench/scorecard_plain.sql reads them.  Deterministic.
DROP TABLE IF EXISTS sc_event, sc_member, sc_att;
CREATE TABLE sc_event AS
SELECT g % :'members'::bigint AS client_id,
       (ARRAY['school_attendance', 'school_exclusion', 'offence', 'childrens_social_care', 'out_of_work_benefit',
              'health_flag', 'missing_episode', 'cse_concern', 'asb_case', 'ehcp'])[1 + ((g / :'members'::bigint) * 3 + g / 7) % 10] AS source,
       NULL::text AS category, DATE '2024-01-01' + ((g * 104729) % 820)::int AS ef, NULL::date AS et,
       NULL::int AS missed, NULL::int AS possible
  FROM generate_series(1::bigint, :'events'::bigint) g;
UPDATE sc_event SET et = ef WHERE source NOT IN ('childrens_social_care', 'out_of_work_benefit', 'ehcp');
UPDATE sc_event SET category = (ARRAY['suspension', 'permanent'])[1 + (client_id % 7 = 0)::int] WHERE source = 'school_exclusion';
UPDATE sc_event SET category = (ARRAY['CIN', 'CP', 'LAC'])[1 + client_id % 3] WHERE source = 'childrens_social_care';
UPDATE sc_event SET category = (ARRAY['mental_health', 'substance_misuse', 'new_mother'])[1 + client_id % 3] WHERE source = 'health_flag';
UPDATE sc_event SET category = (ARRAY['low', 'medium', 'high'])[1 + client_id % 3] WHERE source = 'cse_concern';
UPDATE sc_event SET category = (ARRAY['perpetrator', 'victim'])[1 + client_id % 2] WHERE source = 'asb_case';
UPDATE sc_event SET category = (ARRAY['ASD', 'SEMH'])[1 + client_id % 2] WHERE source = 'ehcp';
UPDATE sc_event SET et = CASE WHEN client_id % 4 = 0 THEN NULL ELSE ef + (client_id % 200)::int END
 WHERE source IN ('childrens_social_care', 'out_of_work_benefit', 'ehcp');
UPDATE sc_event SET ef = make_date(extract(year FROM ef)::int, (ARRAY[1, 4, 9])[1 + extract(doy FROM ef)::int % 3], 1),
                    et = make_date(extract(year FROM ef)::int, (ARRAY[3, 8, 12])[1 + extract(doy FROM ef)::int % 3], 31),
                    possible = 100 + (client_id % 50)::int, missed = ((client_id * 13 + extract(doy FROM ef)::int) % 25)::int
 WHERE source = 'school_attendance';
CREATE TABLE sc_member AS
SELECT c / 3 AS family_id, c AS client_id, CASE WHEN c % 3 = 0 THEN 'adult' ELSE 'child' END AS role
  FROM generate_series(0::bigint, :'members'::bigint - 1) c;
-- attachments (and some closures) for half the families, some too recent for an outcome
CREATE TABLE sc_att AS
SELECT f AS family_id, DATE '2024-06-01' + (f * 37 % 600)::int AS attached,
       CASE WHEN f % 4 = 0 THEN DATE '2024-06-01' + (f * 37 % 600)::int + 120 END AS closed
  FROM generate_series(0::bigint, :'members'::bigint / 3 - 1) f WHERE f % 2 = 0;
ANALYZE sc_event;
ANALYZE sc_member;
ANALYZE sc_att;
